// Package intrinsics implements the 18 States.* intrinsic functions of Amazon States
// Language (JSONPath mode): parsing a call such as "States.Format('Hello {}', $.name)" and
// evaluating it with AWS's results, including the Java behaviours AWS shows through them
// (Java toString text, HashSet order, java.util.Random, truncating casts).
package intrinsics

import (
	"strconv"
	"strings"

	"github.com/stepwise-dev/stepwise/asl/jsonpath"
)

// ASL error names an evaluation can fail with.
const (
	// ErrRuntime is what AWS raises for every failed intrinsic call it has been observed
	// on: bad argument types or counts, values out of range, malformed templates or JSON.
	ErrRuntime = "States.Runtime"
	// ErrIntrinsicFailure is the ASL name reserved for intrinsic failures.
	ErrIntrinsicFailure = "States.IntrinsicFailure"
)

// MaxNesting is how deep calls may nest in one field, as AWS documents.
const MaxNesting = 10

// Resolver resolves the JSONPath arguments ($, $$ and $var paths) of a call. Its errors are
// returned by Eval unchanged, so the caller can word a missing path as AWS does.
type Resolver interface {
	Resolve(p *jsonpath.Path) (any, error)
}

// Error is a failed evaluation: Name is the ASL error, Cause AWS's text (without the
// "An error occurred while executing the state ..." prefix, which needs the state).
type Error struct {
	Name  string
	Cause string
}

func (e *Error) Error() string { return e.Name + ": " + e.Cause }

// invalidArgs is AWS's error for arguments a function rejects.
func invalidArgs(fn string) *Error {
	return &Error{Name: ErrRuntime, Cause: "Invalid arguments in " + fn}
}

// ParseError reports malformed intrinsic syntax; AWS rejects such a definition.
type ParseError struct {
	Expr string
	Pos  int
	Msg  string
}

func (e *ParseError) Error() string {
	return "invalid intrinsic function call at offset " + strconv.Itoa(e.Pos) + ": " + e.Msg
}

// ArgKind says what an argument is.
type ArgKind uint8

// The kinds of arguments.
const (
	ArgString ArgKind = iota // 'text'
	ArgNumber                // 12, -1.5, 1e3
	ArgBool                  // true, false
	ArgNull                  // null
	ArgPath                  // $.a, $$.Execution.Id, $var.x
	ArgCall                  // States.X(...)
)

// Arg is one argument of a call.
type Arg struct {
	Kind ArgKind
	// Value is the literal's value: a string (escapes resolved), float64, bool or nil.
	Value any
	Path  *jsonpath.Path
	Call  *Call
	// raw is a string literal's text between the quotes, escapes kept, for Format templates.
	raw string
}

// Call is a parsed intrinsic function call.
type Call struct {
	Name string // "States.Format"
	Args []Arg
	src  string
	fn   *function
}

// String returns the source text of the call.
func (c *Call) String() string { return c.src }

// Paths returns every JSONPath argument in the call and its nested calls, in order.
func (c *Call) Paths() []*jsonpath.Path {
	var out []*jsonpath.Path
	for _, a := range c.Args {
		switch a.Kind {
		case ArgPath:
			out = append(out, a.Path)
		case ArgCall:
			out = append(out, a.Call.Paths()...)
		}
	}
	return out
}

// IsCall reports whether s looks like an intrinsic call: "States.", a name, then "(".
// Parse decides whether it is a valid one.
func IsCall(s string) bool {
	rest, ok := strings.CutPrefix(s, "States.")
	if !ok {
		return false
	}
	n := 0
	for n < len(rest) && isIdent(rest[n]) {
		n++
	}
	if n == 0 {
		return false
	}
	rest = strings.TrimLeft(rest[n:], " \t\n\r")
	return strings.HasPrefix(rest, "(")
}

func isIdent(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

// Parse parses the text of a ".$" field holding an intrinsic call. Only the syntax, the
// function name and the nesting depth are checked here; AWS accepts a definition with a
// wrong number or type of arguments and fails when the call runs.
func Parse(expr string) (*Call, error) {
	p := &parser{s: expr}
	p.ws()
	c, err := p.call(1)
	if err != nil {
		return nil, err
	}
	p.ws()
	if p.i != len(p.s) {
		return nil, p.fail("unexpected text after the call")
	}
	return c, nil
}

type parser struct {
	s string
	i int
}

func (p *parser) fail(msg string) error { return &ParseError{Expr: p.s, Pos: p.i, Msg: msg} }

func (p *parser) ws() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *parser) call(depth int) (*Call, error) {
	start := p.i
	if depth > MaxNesting {
		return nil, p.fail("intrinsic functions nest more than " + strconv.Itoa(MaxNesting) + " deep")
	}
	if !strings.HasPrefix(p.s[p.i:], "States.") {
		return nil, p.fail("expected States.<function>(")
	}
	p.i += len("States.")
	n := p.i
	for p.i < len(p.s) && isIdent(p.s[p.i]) {
		p.i++
	}
	name := "States." + p.s[n:p.i]
	fn := functions[name]
	if fn == nil {
		p.i = n
		return nil, p.fail("unknown intrinsic function " + strconv.Quote(name))
	}
	p.ws()
	if p.i >= len(p.s) || p.s[p.i] != '(' {
		return nil, p.fail("expected '(' after " + name)
	}
	p.i++
	c := &Call{Name: name, fn: fn}
	p.ws()
	if p.i < len(p.s) && p.s[p.i] == ')' {
		p.i++
		c.src = p.s[start:p.i]
		return c, nil
	}
	for {
		p.ws()
		a, err := p.arg(depth)
		if err != nil {
			return nil, err
		}
		c.Args = append(c.Args, a)
		p.ws()
		if p.i >= len(p.s) {
			return nil, p.fail("missing ')'")
		}
		switch p.s[p.i] {
		case ',':
			p.i++
			continue
		case ')':
			p.i++
			c.src = p.s[start:p.i]
			return c, nil
		}
		return nil, p.fail("expected ',' or ')'")
	}
}

func (p *parser) arg(depth int) (Arg, error) {
	if p.i >= len(p.s) {
		return Arg{}, p.fail("expected an argument")
	}
	switch c := p.s[p.i]; {
	case c == '\'':
		return p.stringLit()
	case c == '$':
		return p.path()
	case strings.HasPrefix(p.s[p.i:], "States."):
		call, err := p.call(depth + 1)
		if err != nil {
			return Arg{}, err
		}
		return Arg{Kind: ArgCall, Call: call}, nil
	case c == '-' || c >= '0' && c <= '9':
		return p.number()
	}
	for _, w := range []struct {
		word string
		kind ArgKind
		v    any
	}{{"true", ArgBool, true}, {"false", ArgBool, false}, {"null", ArgNull, nil}} {
		if strings.HasPrefix(p.s[p.i:], w.word) {
			end := p.i + len(w.word)
			if end < len(p.s) && isIdent(p.s[end]) {
				break
			}
			p.i = end
			return Arg{Kind: w.kind, Value: w.v}, nil
		}
	}
	return Arg{}, p.fail("expected a string, number, boolean, null, path or intrinsic call")
}

// stringLit reads '...'. The only escapes are \' \{ \} and \\ (AWS rejects the definition
// for any other, such as \"); other characters, newlines included, stand for themselves.
func (p *parser) stringLit() (Arg, error) {
	p.i++
	start := p.i
	var b strings.Builder
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch c {
		case '\'':
			raw := p.s[start:p.i]
			p.i++
			return Arg{Kind: ArgString, Value: b.String(), raw: raw}, nil
		case '\\':
			if p.i+1 >= len(p.s) {
				return Arg{}, p.fail("unterminated string")
			}
			switch e := p.s[p.i+1]; e {
			case '\'', '{', '}', '\\':
				b.WriteByte(e)
				p.i += 2
				continue
			}
			return Arg{}, p.fail("invalid escape sequence \\" + string(p.s[p.i+1]))
		}
		b.WriteByte(c)
		p.i++
	}
	return Arg{}, p.fail("unterminated string")
}

// number reads a JSON-style number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
func (p *parser) number() (Arg, error) {
	start := p.i
	s := p.s
	if s[p.i] == '-' {
		p.i++
	}
	digits := func() int {
		n := 0
		for p.i < len(s) && s[p.i] >= '0' && s[p.i] <= '9' {
			p.i++
			n++
		}
		return n
	}
	intStart := p.i
	if digits() == 0 || (s[intStart] == '0' && p.i-intStart > 1) {
		return Arg{}, p.fail("bad number")
	}
	if p.i < len(s) && s[p.i] == '.' {
		p.i++
		if digits() == 0 {
			return Arg{}, p.fail("bad number")
		}
	}
	if p.i < len(s) && (s[p.i] == 'e' || s[p.i] == 'E') {
		p.i++
		if p.i < len(s) && (s[p.i] == '+' || s[p.i] == '-') {
			p.i++
		}
		if digits() == 0 {
			return Arg{}, p.fail("bad number")
		}
	}
	if p.i < len(s) && (isIdent(s[p.i]) || s[p.i] == '.') {
		return Arg{}, p.fail("bad number")
	}
	f, err := strconv.ParseFloat(s[start:p.i], 64)
	if err != nil {
		// Out of range: AWS accepts such literals; keep the infinity and let the function judge.
		if ne, ok := err.(*strconv.NumError); !ok || ne.Err != strconv.ErrRange {
			return Arg{}, p.fail("bad number")
		}
	}
	return Arg{Kind: ArgNumber, Value: f}, nil
}

// path reads a JSONPath argument. It ends at a comma, a closing parenthesis or a blank
// outside brackets, parentheses and quotes, so "$['a, b']", filters and ".length()" stay whole.
func (p *parser) path() (Arg, error) {
	start := p.i
	depth := 0
	var q byte
scan:
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case q != 0:
			if c == '\\' {
				p.i++
			} else if c == q {
				q = 0
			}
		case c == '\'' || c == '"':
			if depth > 0 {
				q = c
			}
		case depth == 0 && (c == ',' || c == ')' || c == ' ' || c == '\t' || c == '\n' || c == '\r'):
			break scan
		case c == '[' || c == '(':
			depth++
		case c == ']' || c == ')':
			depth--
		}
		p.i++
	}
	p.i = min(p.i, len(p.s)) // a trailing backslash inside quotes skipped past the end
	text := p.s[start:p.i]
	jp, err := jsonpath.Compile(text)
	if err != nil {
		p.i = start
		return Arg{}, p.fail("invalid path " + strconv.Quote(text) + ": " + err.Error())
	}
	return Arg{Kind: ArgPath, Path: jp}, nil
}

// Eval evaluates the call; nested calls and paths are evaluated first, left to right.
func (c *Call) Eval(r Resolver) (any, error) {
	args := make([]any, len(c.Args))
	for i := range c.Args {
		a := &c.Args[i]
		switch a.Kind {
		case ArgPath:
			v, err := r.Resolve(a.Path)
			if err != nil {
				return nil, err
			}
			args[i] = v
		case ArgCall:
			v, err := a.Call.Eval(r)
			if err != nil {
				return nil, err
			}
			args[i] = v
		default:
			args[i] = a.Value
		}
	}
	f := c.fn
	if len(args) < f.minArgs || (f.maxArgs >= 0 && len(args) > f.maxArgs) {
		return nil, invalidArgs(c.Name)
	}
	return f.eval(c, args)
}
