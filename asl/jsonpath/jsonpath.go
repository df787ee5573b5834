// Package jsonpath implements the JSONPath dialect of AWS Step Functions, which is Jayway
// JsonPath as AWS runs it. A definite path (field names and single indices only) yields one
// value or an error carrying Jayway's message; an indefinite path (wildcards, slices, filters,
// unions, deep scan) yields the list of every match, possibly empty.
//
// A path starts with "$" (the state input), "$$" (the context object) or "$name" (the
// Step Functions variable name); Root tells the caller which document to pass to Get.
package jsonpath

import (
	"errors"
	"strings"

	"github.com/stepwise-dev/stepwise/jsonv"
)

// ErrNotFound is wrapped by Get when a definite path selects nothing.
var ErrNotFound = errors.New("jsonpath: no value at path")

// ErrCannotSet is wrapped by Set when the value cannot be placed at the path.
var ErrCannotSet = errors.New("jsonpath: cannot set value at path")

// NotFoundError is the error Get returns for a definite path that selects nothing. Msg is
// Jayway's own text, e.g. "No results for path: $['a']" or "Missing property in path $['a']",
// which AWS quotes after "Invalid path '<path>' : ".
type NotFoundError struct {
	Msg string
}

func (e *NotFoundError) Error() string { return e.Msg }

// Unwrap makes errors.Is(err, ErrNotFound) true.
func (e *NotFoundError) Unwrap() error { return ErrNotFound }

// SetError is the error Set returns; it wraps ErrCannotSet.
type SetError struct {
	Msg string
}

func (e *SetError) Error() string { return e.Msg }

// Unwrap makes errors.Is(err, ErrCannotSet) true.
func (e *SetError) Unwrap() error { return ErrCannotSet }

// SyntaxError is returned by Compile for a malformed path.
type SyntaxError struct {
	Path string
	Pos  int
	Msg  string
}

func (e *SyntaxError) Error() string {
	return "invalid JSONPath " + quote(e.Path) + ": " + e.Msg
}

func quote(s string) string { return "'" + s + "'" }

// Path is a compiled JSONPath expression. It is immutable and safe for concurrent use.
type Path struct {
	src      string
	root     string
	toks     []token
	definite bool
	// simple is set when every token is a single field or a single index: Get then walks
	// the document without allocating.
	simple bool
}

// Compile parses s. Leading and trailing blanks are ignored, as Jayway ignores them.
func Compile(s string) (*Path, error) {
	p := &parser{src: s, s: strings.TrimSpace(s)}
	return p.parsePath()
}

// MustCompile is Compile for paths known to be valid; it panics on error.
func MustCompile(s string) *Path {
	p, err := Compile(s)
	if err != nil {
		panic(err)
	}
	return p
}

// String returns the source text.
func (p *Path) String() string { return p.src }

// Root is "" for a path on the state input ($), "$" for the context object ($$), or the
// variable name for a path on a variable ($name).
func (p *Path) Root() string { return p.root }

// IsDefinite reports whether the path selects at most one value: only field names, single
// indices, a trailing field union (merged into one object, as Jayway does) and a trailing
// function.
func (p *Path) IsDefinite() bool { return p.definite }

// IsRoot reports whether the path is just its root ("$", "$$" or "$name").
func (p *Path) IsRoot() bool { return len(p.toks) == 0 }

// Canonical renders the path the way Jayway prints it in its messages: "$['a'][0]".
func (p *Path) Canonical() string {
	var b strings.Builder
	b.WriteByte('$')
	for i := range p.toks {
		p.toks[i].appendFragment(&b)
	}
	return b.String()
}

// Get evaluates the path against doc. A definite path returns the value or an error
// wrapping ErrNotFound (a *NotFoundError with Jayway's message). An indefinite path returns
// a []any of every match in Jayway's order, empty when nothing matches; it never fails with
// ErrNotFound (AWS turns Jayway's exceptions on such paths into an empty list).
func (p *Path) Get(doc any) (any, error) {
	if p.simple {
		cur := doc
		for i := range p.toks {
			t := &p.toks[i]
			if t.kind == tkField {
				o, ok := cur.(*jsonv.Object)
				if !ok {
					return nil, p.definiteGet(doc)
				}
				v, ok := o.Get(t.names[0])
				if !ok {
					return nil, p.definiteGet(doc)
				}
				cur = v
				continue
			}
			a, ok := cur.([]any)
			if !ok {
				return nil, p.definiteGet(doc)
			}
			ix := t.idx[0]
			if ix < 0 {
				ix += len(a)
			}
			if ix < 0 || ix >= len(a) {
				return nil, p.definiteGet(doc)
			}
			cur = a[ix]
		}
		return cur, nil
	}
	if p.definite {
		return p.getDefinite(doc)
	}
	out := make([]any, 0, 4)
	ev := evaluator{root: doc}
	if n := len(p.toks); p.toks[n-1].kind == tkFunc {
		// A function after an indefinite prefix applies to the list of matches.
		ev.walk(p.toks[:n-1], doc, &out)
		return callFunc(&p.toks[n-1], out), nil
	}
	ev.walk(p.toks, doc, &out)
	return out, nil
}

// definiteGet re-runs a failed simple walk through the general evaluator to produce
// Jayway's exact message; it only runs on the error path.
func (p *Path) definiteGet(doc any) error {
	_, err := p.getDefinite(doc)
	if err == nil {
		// Cannot happen: the fast walk and the general one agree on what exists.
		return &NotFoundError{Msg: "No results for path: " + p.Canonical()}
	}
	return err
}

// Set returns a new document equal to doc with value placed at the path, for ResultPath.
// doc is not modified: objects and arrays along the path are copied. "$" replaces the whole
// document; missing intermediate objects are created. It fails (wrapping ErrCannotSet) when
// the path is not made only of field names and indices, when it goes through a value that is
// not an object (or not an array, for an index), or when an index is out of range.
func (p *Path) Set(doc any, value any) (any, error) {
	for i := range p.toks {
		t := &p.toks[i]
		if !(t.kind == tkField && len(t.names) == 1) && !(t.kind == tkIndex && len(t.idx) == 1) {
			return nil, &SetError{Msg: "the path " + p.src + " is not a reference path that can receive a value"}
		}
	}
	return p.set(doc, 0, value)
}

func (p *Path) set(cur any, i int, value any) (any, error) {
	if i == len(p.toks) {
		return value, nil
	}
	t := &p.toks[i]
	if t.kind == tkField {
		var o *jsonv.Object
		switch c := cur.(type) {
		case *jsonv.Object:
			o = c.Clone()
		case absent:
			o = jsonv.NewObject(1)
		default:
			return nil, p.setErr(i, cur)
		}
		child, ok := o.Get(t.names[0])
		if !ok {
			child = absent{}
		}
		nv, err := p.set(child, i+1, value)
		if err != nil {
			return nil, err
		}
		o.Set(t.names[0], nv)
		return o, nil
	}
	a, ok := cur.([]any)
	if !ok {
		return nil, p.setErr(i, cur)
	}
	ix := t.idx[0]
	if ix < 0 {
		ix += len(a)
	}
	if ix < 0 || ix >= len(a) {
		return nil, p.setErr(i, cur)
	}
	c := append([]any(nil), a...)
	nv, err := p.set(c[ix], i+1, value)
	if err != nil {
		return nil, err
	}
	c[ix] = nv
	return c, nil
}

// absent stands for a missing field while Set walks down: it becomes a new object.
type absent struct{}

func (p *Path) setErr(i int, cur any) error {
	var b strings.Builder
	b.WriteByte('$')
	for j := 0; j < i; j++ {
		p.toks[j].appendFragment(&b)
	}
	return &SetError{Msg: "cannot set " + p.src + ": the value at " + b.String() + " is " + describe(cur)}
}

func describe(v any) string {
	switch v.(type) {
	case absent:
		return "missing"
	case nil:
		return "null"
	case []any:
		return "an array"
	case *jsonv.Object:
		return "an object"
	}
	return "a " + jsonv.TypeName(v)
}
