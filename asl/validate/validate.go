package validate

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/stepwise-dev/stepwise/jsonv"
)

const (
	langJSONPath = "JSONPath"
	langJSONata  = "JSONata"
)

// stateTypes in the order AWS lists them in its enum message.
var stateTypes = []string{"Task", "Wait", "Pass", "Succeed", "Fail", "Choice", "Parallel", "Map"}

// checker accumulates problems while walking one definition.
type checker struct {
	opts       Options
	express    bool
	topJSONata bool
	schema     []Problem
	targets    []Problem // dangling transitions, reported after the schema problems
	unreached  []Problem
	ending     []Problem
	names      map[string]bool // every state name seen, for DUPLICATE_STATE_NAME
}

// Definition validates a parsed definition (a jsonv value) and returns every problem found,
// in the order AWS reports them: schema problems in document order, then dangling
// transitions, unreachable states and a missing terminal state.
func Definition(def any, opts Options) []Problem {
	c := &checker{opts: opts, express: opts.Type == "EXPRESS", names: map[string]bool{}}
	root, ok := def.(*jsonv.Object)
	if !ok {
		return []Problem{{Code: CodeSchema, Message: "Definition must be a valid JSON object"}}
	}
	c.root(root)
	out := append(c.schema, c.targets...)
	out = append(out, c.unreached...)
	return append(out, c.ending...)
}

// Source validates a definition given as JSON text, as CreateStateMachine receives it:
// text that is not JSON is an INVALID_JSON_DESCRIPTION problem (with this package's parser
// message, not Jackson's), blank text is not a JSON object.
func Source(data []byte, opts Options) []Problem {
	if len(bytes.TrimSpace(data)) == 0 {
		return []Problem{{Code: CodeSchema, Message: "Definition must be a valid JSON object"}}
	}
	def, err := jsonv.Decode(data)
	if err != nil {
		return []Problem{{Code: CodeInvalidJSON, Message: err.Error()}}
	}
	return Definition(def, opts)
}

func (c *checker) add(code, loc, format string, a ...any) {
	msg := format
	if len(a) > 0 {
		msg = fmt.Sprintf(format, a...)
	}
	c.schema = append(c.schema, Problem{Code: code, Message: msg, Location: loc})
}

func (c *checker) schemaErr(loc, format string, a ...any) { c.add(CodeSchema, loc, format, a...) }

func member(ptr, key string) string  { return ptr + "/" + key }
func index(ptr string, i int) string { return ptr + "[" + strconv.Itoa(i) + "]" }

// rootPtr is where AWS locates problems of the top-level object.
func rootPtr(ptr string) string {
	if ptr == "" {
		return "/"
	}
	return ptr
}

func (c *checker) root(root *jsonv.Object) {
	// The machine's language: JSONPath only for the exact string "JSONPath" or when absent;
	// any other value makes it JSONata (measured on AWS), and is reported against the enum.
	if v, ok := root.Get("QueryLanguage"); ok {
		c.topJSONata = v != langJSONPath
	}
	var unsupported []string
	for _, k := range root.Keys() {
		switch k {
		case "StartAt", "States", "Comment", "Version", "TimeoutSeconds", "QueryLanguage":
		default:
			unsupported = append(unsupported, k)
		}
	}
	for _, k := range javaOrder(unsupported) {
		c.schemaErr("/", "Field '%s' is not supported", k)
	}
	c.required(root, "", "States", "StartAt")
	for _, k := range root.Keys() {
		v, _ := root.Get(k)
		p := member("", k)
		switch k {
		case "Comment", "Version":
			c.wantString(v, p)
		case "TimeoutSeconds":
			c.intRange(v, p, 0, 99999999, false)
		case "QueryLanguage":
			c.queryLanguageValue(v, p)
		}
	}
	c.machine(root, "", true)
}

// required reports the absent members of names with AWS's schema wording. The list is in
// Java HashSet order, which is the order AWS prints.
func (c *checker) required(o *jsonv.Object, ptr string, names ...string) {
	var missing []string
	for _, n := range names {
		if !o.Has(n) {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		c.schemaErr(rootPtr(ptr), "These fields are required: [%s]", strings.Join(javaOrder(missing), ", "))
	}
}

// machine checks a StartAt/States container: the top level, a Parallel branch or a Map
// processor.
func (c *checker) machine(o *jsonv.Object, ptr string, top bool) {
	states, isObj := o.Get("States")
	sp := member(ptr, "States")
	so, ok := states.(*jsonv.Object)
	if isObj && !ok {
		c.typeErr(sp, "OBJECT")
	}
	if ok && so.Len() == 0 {
		c.schemaErr(sp, "Value cannot be empty")
	}
	if v, has := o.Get("StartAt"); has {
		c.wantString(v, member(ptr, "StartAt"))
	}
	if so == nil {
		return
	}
	// Graph problems of this container come before those of the containers nested in it.
	c.graph(o, so, ptr, top)
	for _, name := range so.Keys() {
		st, _ := so.Get(name)
		stPtr := member(sp, name)
		if c.names[name] {
			c.add(CodeDuplicateStateName, stPtr, "Duplicate State name: %s", name)
		}
		c.names[name] = true
		c.state(name, st, stPtr)
	}
}

// queryLanguageValue reports a QueryLanguage value outside the enum.
func (c *checker) queryLanguageValue(v any, p string) {
	s, ok := v.(string)
	if !ok {
		c.typeErr(p, "STRING")
		return
	}
	if s != langJSONPath && s != langJSONata {
		c.schemaErr(p, "Value should be one of the following: [JSONPath, JSONata]")
	}
}

func (c *checker) typeErr(p, want string) {
	c.schemaErr(p, "Expected value of type [%s]", want)
}

func (c *checker) wantString(v any, p string) (string, bool) {
	s, ok := v.(string)
	if !ok {
		c.typeErr(p, "STRING")
	}
	return s, ok
}

func (c *checker) wantBool(v any, p string) (bool, bool) {
	b, ok := v.(bool)
	if !ok {
		c.typeErr(p, "BOOLEAN")
	}
	return b, ok
}

func (c *checker) wantObject(v any, p string) (*jsonv.Object, bool) {
	o, ok := v.(*jsonv.Object)
	if !ok {
		c.typeErr(p, "OBJECT")
	}
	return o, ok
}

func (c *checker) wantArray(v any, p string) ([]any, bool) {
	a, ok := v.([]any)
	if !ok {
		c.typeErr(p, "ARRAY")
	}
	return a, ok
}

func isInteger(v any) (float64, bool) {
	f, ok := v.(float64)
	return f, ok && f == math.Trunc(f) && !math.IsInf(f, 0)
}

// intRange checks an integer field. A JSONata state may give the value as an expression.
func (c *checker) intRange(v any, p string, lo, hi float64, jsonata bool) {
	if s, ok := v.(string); ok && jsonata {
		c.jsonataString(s, p, false)
		return
	}
	f, ok := isInteger(v)
	if !ok {
		c.typeErr(p, "INTEGER")
		return
	}
	if f < lo {
		c.schemaErr(p, "Minimum value is %s", num(lo))
	} else if f > hi {
		c.schemaErr(p, "Maximum value is %s", num(hi))
	}
}

// numRange checks a number field that may carry a fraction.
func (c *checker) numRange(v any, p string, lo, hi float64, jsonata bool) {
	if s, ok := v.(string); ok && jsonata {
		c.jsonataString(s, p, false)
		return
	}
	f, ok := v.(float64)
	if !ok {
		c.typeErr(p, "NUMBER")
		return
	}
	if f < lo {
		c.schemaErr(p, "Minimum value is %s", num(lo))
	} else if f > hi {
		c.schemaErr(p, "Maximum value is %s", num(hi))
	}
}

func num(f float64) string { return string(jsonv.AppendNumber(nil, f)) }

func (c *checker) enum(v any, p string, values ...string) {
	s, ok := c.wantString(v, p)
	if !ok {
		return
	}
	for _, x := range values {
		if s == x {
			return
		}
	}
	c.schemaErr(p, "Value should be one of the following: [%s]", strings.Join(values, ", "))
}

// exclusive reports each pair of mutually exclusive fields present together.
func (c *checker) exclusive(o *jsonv.Object, ptr string, a, b string) {
	if o.Has(a) && o.Has(b) {
		c.schemaErr(member(ptr, a), "Only one of '%s' or '%s' can be specified", a, b)
	}
}

// javaOrder returns names in the iteration order of a java.util.HashSet holding them, the
// order in which AWS lists field names in its messages. Names sharing a bucket keep their
// given order.
func javaOrder(names []string) []string {
	if len(names) < 2 {
		return names
	}
	capacity := 16
	for float64(len(names)) > float64(capacity)*0.75 {
		capacity *= 2
	}
	bucket := func(s string) int {
		var h int32
		for _, r := range s {
			if r > 0xFFFF { // Java hashes UTF-16 code units
				r -= 0x10000
				h = 31*h + int32(0xD800+(r>>10))
				h = 31*h + int32(0xDC00+(r&0x3FF))
				continue
			}
			h = 31*h + int32(r)
		}
		u := uint32(h)
		return int((u ^ (u >> 16)) & uint32(capacity-1))
	}
	out := make([]string, 0, len(names))
	for b := 0; b < capacity; b++ {
		for _, n := range names {
			if bucket(n) == b {
				out = append(out, n)
			}
		}
	}
	return out
}
