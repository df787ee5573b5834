package jsonata

import (
	"math"
	"unsafe"

	"github.com/stepwise-dev/stepwise/jsonv"
)

// undefinedType is the type of Undefined: JSONata's "no value", which is distinct
// from JSON null (a nil interface in jsonv).
type undefinedType struct{}

// Undefined is the value Evaluate returns when an expression yields nothing (JSONata's
// undefined, e.g. a path that matches no data). Test for it with IsUndefined.
var Undefined any = undefinedType{}

// undefined is the package's short name for Undefined.
var undefined = Undefined

// IsUndefined reports whether v is JSONata's undefined (as opposed to null, which is nil).
func IsUndefined(v any) bool {
	_, ok := v.(undefinedType)
	return ok
}

func isUndef(v any) bool {
	_, ok := v.(undefinedType)
	return ok
}

const maxFloat = math.MaxFloat64

// smallInts holds boxed small integers: storing a float64 in an interface allocates,
// and small integer results (indexes, counters, doubled values) are common.
var smallInts = func() []any {
	out := make([]any, 1024)
	for i := range out {
		out[i] = float64(i)
	}
	return out
}()

// box returns f as an interface value, without allocating for small integers.
func box(f float64) any {
	if f >= 0 && f < 1024 {
		if i := int(f); float64(i) == f && !(f == 0 && math.Signbit(f)) {
			return smallInts[i]
		}
	}
	return f
}

// seq is an array that carries the flags jsonata-js attaches to JavaScript arrays.
// A plain JSON array is a []any; a seq is used whenever one of these flags matters:
//   - sequence: a result sequence, which collapses to its only item (or to undefined
//     when empty) at the end of each evaluation step and is flattened into paths;
//   - keepSingleton: the path ended in [] so a one-item sequence stays an array;
//   - outerWrapper: the top-level input array wrapped so it is treated as one value;
//   - cons: an array built by an array constructor inside a path, kept whole there.
type seq struct {
	vals          []any
	sequence      bool
	keepSingleton bool
	outerWrapper  bool
	cons          bool
}

func newSeq(n int) *seq { return &seq{vals: make([]any, 0, n), sequence: true} }

func seqOf(v any) *seq { return &seq{vals: []any{v}, sequence: true} }

// tuple is one element of a tuple stream: the context item ('@') plus the variables
// bound along the path by @$v, #$i and the parent operator.
type tuple struct {
	focus any
	names []string
	vals  []any
}

func (t *tuple) get(name string) any {
	if name == "@" {
		return t.focus
	}
	for i, n := range t.names {
		if n == name {
			return t.vals[i]
		}
	}
	return undefined
}

func (t *tuple) set(name string, v any) {
	if name == "@" {
		t.focus = v
		return
	}
	for i, n := range t.names {
		if n == name {
			t.vals[i] = v
			return
		}
	}
	t.names = append(t.names, name)
	t.vals = append(t.vals, v)
}

func (t *tuple) clone() *tuple {
	return &tuple{
		focus: t.focus,
		names: append([]string(nil), t.names...),
		vals:  append([]any(nil), t.vals...),
	}
}

// tupleStream is a sequence of tuples flowing through a path that binds variables.
type tupleStream struct {
	tuples []*tuple
}

// isArray reports whether v is an array in JavaScript's sense (plain or flagged).
func isArray(v any) bool {
	switch v.(type) {
	case []any, *seq:
		return true
	}
	return false
}

// items returns the elements of an array value, or nil, false.
func items(v any) ([]any, bool) {
	switch t := v.(type) {
	case []any:
		return t, true
	case *seq:
		return t.vals, true
	}
	return nil, false
}

func isSequence(v any) bool {
	s, ok := v.(*seq)
	return ok && s.sequence
}

func isCons(v any) bool {
	s, ok := v.(*seq)
	return ok && s.cons
}

// isNumeric is jsonata-js's isNumeric: a number that is not NaN; infinite numbers
// are an error (D1001) wherever they would be used.
func isNumeric(v any) (bool, error) {
	f, ok := v.(float64)
	if !ok || f != f {
		return false, nil
	}
	if math.IsInf(f, 0) {
		return false, errValue("D1001", f)
	}
	return true, nil
}

func isArrayOfStrings(v any) bool {
	a, ok := items(v)
	if !ok {
		return false
	}
	for _, e := range a {
		if _, ok := e.(string); !ok {
			return false
		}
	}
	return true
}

func isArrayOfNumbers(v any) (bool, error) {
	a, ok := items(v)
	if !ok {
		return false, nil
	}
	for _, e := range a {
		n, err := isNumeric(e)
		if err != nil {
			return false, err
		}
		if !n {
			return false, nil
		}
	}
	return true, nil
}

// appendJS is jsonata-js's fn.append: undefined arguments are ignored, scalars are
// promoted to arrays and the result is a new plain array.
func appendJS(a, b any) (any, error) {
	if isUndef(a) {
		return b, nil
	}
	if isUndef(b) {
		return a, nil
	}
	av, aok := items(a)
	bv, bok := items(b)
	if len(av)+len(bv) >= maxSequence {
		return nil, errSequence()
	}
	out := make([]any, 0, len(av)+len(bv)+2)
	if aok {
		out = append(out, av...)
	} else {
		out = append(out, a)
	}
	if bok {
		out = append(out, bv...)
	} else {
		out = append(out, b)
	}
	return out, nil
}

// deepEqual is jsonata-js's isDeepEqual (used by = and !=, $distinct). It reports an
// error if the values are too large to compare.
func deepEqual(a, b any) (bool, error) {
	bg := newBudget()
	eq := deepEqualB(a, b, bg, 0)
	if bg.over {
		return false, errTooLarge()
	}
	return eq, nil
}

func deepEqualB(a, b any, bg *budget, depth int) bool {
	if depth > maxDataDepth || !bg.take() {
		bg.over = true
		return false
	}
	if eq, ok := jsonv.EqualScalar(a, b); ok {
		return eq
	}
	switch x := a.(type) {
	case undefinedType:
		return isUndef(b)
	case *jsonv.Object:
		y, ok := b.(*jsonv.Object)
		if !ok {
			return false
		}
		if x == y {
			return true
		}
		if x.Len() != y.Len() {
			return false
		}
		keys := x.Keys()
		vals := x.Values()
		for i, k := range keys {
			w, ok := y.Get(k)
			if !ok || !deepEqualB(vals[i], w, bg, depth+1) {
				return false
			}
		}
		return true
	}
	if av, ok := items(a); ok {
		bv, ok := items(b)
		if !ok || len(av) != len(bv) {
			return false
		}
		if len(av) > 0 && &av[0] == &bv[0] {
			return true
		}
		for i := range av {
			if !deepEqualB(av[i], bv[i], bg, depth+1) {
				return false
			}
		}
		return true
	}
	// functions and other internal values compare by identity
	return sameRef(a, b)
}

// strictEqual is JavaScript's ===, used by the in operator.
func strictEqual(a, b any) bool {
	if eq, ok := jsonv.EqualScalar(a, b); ok {
		return eq
	}
	if isUndef(a) {
		return isUndef(b)
	}
	return sameRef(a, b)
}

// sameRef compares reference values (objects, arrays, functions) by identity.
func sameRef(a, b any) bool {
	switch x := a.(type) {
	case []any:
		y, ok := b.([]any)
		return ok && len(x) == len(y) && unsafe.SliceData(x) == unsafe.SliceData(y)
	case *jsonv.Object:
		y, ok := b.(*jsonv.Object)
		return ok && x == y
	case *seq:
		y, ok := b.(*seq)
		return ok && x == y
	case *lambda:
		y, ok := b.(*lambda)
		return ok && x == y
	case *builtin:
		y, ok := b.(*builtin)
		return ok && x == y
	case *regexMatcher:
		y, ok := b.(*regexMatcher)
		return ok && x == y
	case *Function:
		y, ok := b.(*Function)
		return ok && x == y
	}
	return false
}

// toJSON converts an internal value into the public jsonv model: flagged arrays
// become []any, and undefined values and functions inside objects and arrays are
// treated as JSON.stringify treats them (dropped from objects, null in arrays). A
// function that is the whole value becomes a *Function. It copies only the
// containers it must change.
func toJSON(v any) any {
	out, _ := toJSONChecked(v)
	return out
}

// toJSONChecked is toJSON that reports values too large to convert.
func toJSONChecked(v any) (any, error) {
	if isFunction(v) {
		if f, ok := v.(*Function); ok {
			return f, nil
		}
		return &Function{fn: v}, nil
	}
	bg := newBudget()
	out, _ := toJSONDepth(v, 0, bg)
	if bg.over {
		return nil, errTooLarge()
	}
	return out, nil
}

func toJSONDepth(v any, depth int, bg *budget) (any, bool) {
	if depth > maxDataDepth || !bg.take() {
		bg.over = true
		return v, false
	}
	switch t := v.(type) {
	case *seq:
		out, _ := convertSlice(t.vals, depth, bg)
		return out, true
	case []any:
		return convertSlice(t, depth, bg)
	case *jsonv.Object:
		var out *jsonv.Object
		keys := t.Keys()
		vals := t.Values()
		for i, k := range keys {
			e := vals[i]
			drop := isUndef(e) || isFunction(e)
			c, changed := e, false
			if !drop {
				c, changed = toJSONDepth(e, depth+1, bg)
			}
			if !changed && !drop {
				if out != nil {
					out.Set(k, e)
				}
				continue
			}
			if out == nil {
				out = jsonv.NewObject(len(keys))
				for j := 0; j < i; j++ {
					out.Set(keys[j], vals[j])
				}
			}
			if !drop {
				out.Set(k, c)
			}
		}
		if out == nil {
			return t, false
		}
		return out, true
	case *tupleStream:
		out := make([]any, 0, len(t.tuples))
		for _, tp := range t.tuples {
			c, _ := toJSONDepth(tp.focus, depth+1, bg)
			out = append(out, c)
		}
		return out, true
	}
	return v, false
}

// convertSlice converts the elements of an array, copying it only if something
// changes: undefined members (which a sequence can hold after a predicate on an
// undefined value) and functions become null, as in JSON.stringify.
func convertSlice(vals []any, depth int, bg *budget) ([]any, bool) {
	var out []any
	for i, e := range vals {
		var c any
		changed, drop := false, false
		switch {
		case isUndef(e), isFunction(e):
			c, changed = nil, true
		default:
			c, changed = toJSONDepth(e, depth+1, bg)
		}
		if !changed && !drop {
			if out != nil {
				out = append(out, e)
			}
			continue
		}
		if out == nil {
			out = make([]any, i, len(vals))
			copy(out, vals[:i])
		}
		if !drop {
			out = append(out, c)
		}
	}
	if out == nil {
		return vals, false
	}
	return out, true
}

// budget bounds the work of one walk over data. Values can share structure (an
// object whose fields all refer to the same object), so a walk can be exponentially
// longer than the memory the value occupies; walks stop when their budget runs out.
type budget struct {
	left int
	over bool
}

// maxWalk is the number of values one walk may visit.
const maxWalk = 50_000_000

func newBudget() *budget { return &budget{left: maxWalk} }

func (b *budget) take() bool {
	if b.left <= 0 {
		b.over = true
		return false
	}
	b.left--
	return true
}

func errTooLarge() *Error {
	return &Error{Code: "U1001", Message: msgTooLarge}
}

// maxSequence is the longest sequence or array an evaluation may build (the limit
// jsonata-js puts on ranges); longer ones are a D2015 error.
const maxSequence = 10_000_000

func errSequence() *Error { return errValue("D2015", float64(maxSequence)) }

// maxDataDepth bounds recursion over data structures (which expressions can build
// arbitrarily deep) so that walking them cannot exhaust the Go stack.
const maxDataDepth = 10000
