package jsonata

import (
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/stepwise-dev/stepwise/jsonv"
)

type builtinFn = func(ev *evaluator, c callCtx, args []any) (any, error)

// builtins is the library of functions every expression can call.
var builtins = map[string]*builtin{}

// define registers a built-in. arity is the number of arguments higher-order
// functions pass it (JavaScript's Function.length of the jsonata-js implementation,
// which does not count defaulted parameters); nparams is the number of parameters.
func define(name, sig string, arity, nparams int, fn builtinFn) {
	builtins[name] = &builtin{name: name, sig: mustSignature(sig), arity: arity, nparams: nparams, fn: fn}
}

func init() {
	// aggregation
	define("sum", "<a<n>:n>", 1, 1, fnSum)
	define("count", "<a:n>", 1, 1, fnCount)
	define("max", "<a<n>:n>", 1, 1, fnMax)
	define("min", "<a<n>:n>", 1, 1, fnMin)
	define("average", "<a<n>:n>", 1, 1, fnAverage)
	// strings
	define("string", "<x-b?:s>", 1, 2, fnString)
	define("substring", "<s-nn?:s>", 3, 3, fnSubstring)
	define("substringBefore", "<s-s:s>", 2, 2, fnSubstringBefore)
	define("substringAfter", "<s-s:s>", 2, 2, fnSubstringAfter)
	define("lowercase", "<s-:s>", 1, 1, fnLowercase)
	define("uppercase", "<s-:s>", 1, 1, fnUppercase)
	define("length", "<s-:n>", 1, 1, fnLength)
	define("trim", "<s-:s>", 1, 1, fnTrim)
	define("pad", "<s-ns?:s>", 3, 3, fnPad)
	define("match", "<s-f<s:o>n?:a<o>>", 3, 3, fnMatch)
	define("contains", "<s-(sf):b>", 2, 2, fnContains)
	define("replace", "<s-(sf)(sf)n?:s>", 4, 4, fnReplace)
	define("split", "<s-(sf)n?:a<s>>", 3, 3, fnSplit)
	define("join", "<a<s>s?:s>", 2, 2, fnJoin)
	define("formatNumber", "<n-so?:s>", 3, 3, fnFormatNumber)
	define("formatBase", "<n-n?:s>", 2, 2, fnFormatBase)
	define("formatInteger", "<n-s:s>", 2, 2, fnFormatInteger)
	define("parseInteger", "<s-s:n>", 2, 2, fnParseInteger)
	define("base64encode", "<s-:s>", 1, 1, fnBase64Encode)
	define("base64decode", "<s-:s>", 1, 1, fnBase64Decode)
	define("encodeUrlComponent", "<s-:s>", 1, 1, fnEncodeURLComponent)
	define("encodeUrl", "<s-:s>", 1, 1, fnEncodeURL)
	define("decodeUrlComponent", "<s-:s>", 1, 1, fnDecodeURLComponent)
	define("decodeUrl", "<s-:s>", 1, 1, fnDecodeURL)
	// numbers
	define("number", "<(nsb)-:n>", 1, 1, fnNumber)
	define("floor", "<n-:n>", 1, 1, fnFloor)
	define("ceil", "<n-:n>", 1, 1, fnCeil)
	define("round", "<n-n?:n>", 2, 2, fnRound)
	define("abs", "<n-:n>", 1, 1, fnAbs)
	define("sqrt", "<n-:n>", 1, 1, fnSqrt)
	define("power", "<n-n:n>", 2, 2, fnPower)
	define("random", "<:n>", 0, 0, fnRandom)
	// booleans
	define("boolean", "<x-:b>", 1, 1, fnBoolean)
	define("not", "<x-:b>", 1, 1, fnNot)
	// higher-order functions
	define("map", "<af>", 2, 2, fnMap)
	define("zip", "<a+>", 0, 0, fnZip)
	define("filter", "<af>", 2, 2, fnFilter)
	define("single", "<af?>", 2, 2, fnSingle)
	define("reduce", "<afj?:j>", 3, 3, fnReduce)
	define("sift", "<o-f?:o>", 2, 2, fnSift)
	define("each", "<o-f:a>", 2, 2, fnEach)
	define("sort", "<af?:a>", 2, 2, fnSort)
	// arrays and objects
	define("keys", "<x-:a<s>>", 1, 1, fnKeys)
	define("lookup", "<x-s:x>", 2, 2, fnLookup)
	define("append", "<xx:a>", 2, 2, fnAppend)
	define("exists", "<x:b>", 1, 1, fnExists)
	define("spread", "<x-:a<o>>", 1, 1, fnSpread)
	define("merge", "<a<o>:o>", 1, 1, fnMerge)
	define("reverse", "<a:a>", 1, 1, fnReverse)
	define("shuffle", "<a:a>", 1, 1, fnShuffle)
	define("distinct", "<x:x>", 1, 1, fnDistinct)
	define("type", "<x:s>", 1, 1, fnType)
	define("error", "<s?:x>", 1, 1, fnError)
	define("assert", "<bs?:x>", 2, 2, fnAssert)
	define("eval", "<sx?:x>", 2, 2, fnEval)
	define("clone", "<(oa)-:o>", 1, 1, fnClone)
	// dates and times
	define("toMillis", "<s-s?:n>", 2, 2, fnToMillis)
	define("fromMillis", "<n-s?s?:s>", 3, 3, fnFromMillis)
	define("now", "<s?s?:s>", 2, 2, fnNow)
	define("millis", "<:n>", 0, 0, fnMillis)
}

// propertyKey is a string argument as JavaScript converts it where a string is
// expected: an undefined argument becomes "undefined".
func propertyKey(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	if isUndef(v) {
		return "undefined"
	}
	s, _ := stringify(v, false)
	return s
}

// arg returns args[i], or undefined.
func arg(args []any, i int) any {
	if i < len(args) {
		return args[i]
	}
	return undefined
}

// toBoolean is JSONata's effective boolean value (jsonata-js fn.boolean); undefined
// stays undefined.
func toBoolean(v any) (any, error) { return toBooleanDepth(v, 0) }

func toBooleanDepth(v any, depth int) (any, error) {
	if depth > maxDataDepth {
		return nil, &Error{Code: "U1001", Message: msgTooDeep}
	}
	switch t := v.(type) {
	case undefinedType:
		return undefined, nil
	case bool:
		return t, nil
	case string:
		return t != "", nil
	case float64:
		num, err := isNumeric(t)
		if err != nil {
			return nil, err
		}
		return num && t != 0, nil
	case *jsonv.Object:
		return t.Len() > 0, nil
	case nil:
		return false, nil
	}
	if vals, ok := items(v); ok {
		if len(vals) == 1 {
			return toBooleanDepth(vals[0], depth+1)
		}
		for _, e := range vals {
			b, err := toBooleanDepth(e, depth+1)
			if err != nil {
				return nil, err
			}
			if b == true {
				return true, nil
			}
		}
		return false, nil
	}
	return false, nil
}

// formatNumber writes a number as JavaScript's Number.prototype.toString does.
func formatNumber(f float64) string {
	if math.IsNaN(f) {
		return "NaN"
	}
	if math.IsInf(f, 1) {
		return "Infinity"
	}
	if math.IsInf(f, -1) {
		return "-Infinity"
	}
	return string(jsonv.AppendNumber(nil, f))
}

// toPrecision15 is Number(f.toPrecision(15)), which $string applies to non-integers
// to hide binary rounding noise (0.1 + 0.2 gives 0.3).
func toPrecision15(f float64) float64 {
	if f == math.Trunc(f) {
		return f
	}
	g, err := strconv.ParseFloat(strconv.FormatFloat(f, 'g', 15, 64), 64)
	if err != nil {
		return f
	}
	return g
}

// stringify is jsonata-js's fn.string: strings as they are, functions as "", and
// anything else as JSON (with numbers to 15 significant digits).
func stringify(v any, pretty bool) (string, *Error) {
	switch t := v.(type) {
	case string:
		return t, nil
	case float64:
		if math.IsInf(t, 0) || math.IsNaN(t) {
			return "", errValue("D3001", t)
		}
	}
	if isFunction(v) {
		return "", nil
	}
	if s, ok := v.(*seq); ok && s.outerWrapper && len(s.vals) > 0 {
		v = s.vals[0]
	}
	var b []byte
	var err *Error
	if pretty {
		b, err = appendJSONPretty(nil, v, "", 0)
	} else {
		b, err = appendJSON(nil, v, 0)
	}
	if err != nil {
		return "", err
	}
	return string(b), nil
}

func jsonNumber(b []byte, f float64) ([]byte, *Error) {
	if ok, err := isNumeric(f); err != nil {
		return nil, err.(*Error)
	} else if !ok {
		return append(b, "null"...), nil
	}
	return jsonv.AppendNumber(b, toPrecision15(f)), nil
}

// appendJSON is JSON.stringify with jsonata-js's replacer.
func appendJSON(b []byte, v any, depth int) ([]byte, *Error) {
	if depth > maxDataDepth {
		return nil, &Error{Code: "U1001", Message: msgTooDeep}
	}
	if len(b) > maxStringLength {
		return nil, errTooLarge()
	}
	var err *Error
	switch t := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case bool:
		if t {
			return append(b, "true"...), nil
		}
		return append(b, "false"...), nil
	case float64:
		return jsonNumber(b, t)
	case string:
		return jsonv.AppendString(b, t), nil
	case *jsonv.Object:
		b = append(b, '{')
		first := true
		keys := t.Keys()
		for i, val := range t.Values() {
			if isUndef(val) {
				continue
			}
			if !first {
				b = append(b, ',')
			}
			first = false
			b = jsonv.AppendString(b, keys[i])
			b = append(b, ':')
			if b, err = appendJSON(b, val, depth+1); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), nil
	case *tupleStream:
		return appendJSON(b, toJSON(t), depth)
	}
	if vals, ok := items(v); ok {
		b = append(b, '[')
		for i, e := range vals {
			if i > 0 {
				b = append(b, ',')
			}
			if isUndef(e) {
				b = append(b, "null"...)
				continue
			}
			if b, err = appendJSON(b, e, depth+1); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	}
	if isFunction(v) {
		return append(b, `""`...), nil
	}
	return append(b, "null"...), nil
}

// appendJSONPretty is JSON.stringify(v, replacer, 2).
func appendJSONPretty(b []byte, v any, indent string, depth int) ([]byte, *Error) {
	if depth > maxDataDepth {
		return nil, &Error{Code: "U1001", Message: msgTooDeep}
	}
	if len(b) > maxStringLength {
		return nil, errTooLarge()
	}
	var err *Error
	inner := indent + "  "
	switch t := v.(type) {
	case *jsonv.Object:
		keys := t.Keys()
		n := 0
		for i, val := range t.Values() {
			if isUndef(val) {
				continue
			}
			if n == 0 {
				b = append(b, '{')
			} else {
				b = append(b, ',')
			}
			n++
			b = append(b, '\n')
			b = append(b, inner...)
			b = jsonv.AppendString(b, keys[i])
			b = append(b, ": "...)
			if b, err = appendJSONPretty(b, val, inner, depth+1); err != nil {
				return nil, err
			}
		}
		if n == 0 {
			return append(b, "{}"...), nil
		}
		b = append(b, '\n')
		b = append(b, indent...)
		return append(b, '}'), nil
	case *tupleStream:
		return appendJSONPretty(b, toJSON(t), indent, depth)
	}
	if vals, ok := items(v); ok {
		if len(vals) == 0 {
			return append(b, "[]"...), nil
		}
		b = append(b, '[')
		for i, e := range vals {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '\n')
			b = append(b, inner...)
			if isUndef(e) {
				b = append(b, "null"...)
				continue
			}
			if b, err = appendJSONPretty(b, e, inner, depth+1); err != nil {
				return nil, err
			}
		}
		b = append(b, '\n')
		b = append(b, indent...)
		return append(b, ']'), nil
	}
	return appendJSON(b, v, depth)
}

// compareStrings orders strings as JavaScript does, by UTF-16 code units.
func compareStrings(a, b string) int {
	for a != "" && b != "" {
		ra, na := utf8.DecodeRuneInString(a)
		rb, nb := utf8.DecodeRuneInString(b)
		if ra != rb {
			ua, ub := utf16First(ra), utf16First(rb)
			if ua != ub {
				if ua < ub {
					return -1
				}
				return 1
			}
			if ra < rb {
				return -1
			}
			return 1
		}
		a, b = a[na:], b[nb:]
	}
	switch {
	case a == "" && b == "":
		return 0
	case a == "":
		return -1
	}
	return 1
}

func utf16First(r rune) rune {
	if r >= 0x10000 {
		return 0xD800 + ((r - 0x10000) >> 10)
	}
	return r
}

// hofArgs builds the arguments a higher-order function passes to its function
// argument: the value, then the index (or key) and the whole structure if the
// function takes them.
func hofArgs(buf []any, f any, v, index, whole any) []any {
	buf = append(buf[:0], v)
	n := arity(f)
	if n >= 2 {
		buf = append(buf, index)
	}
	if n >= 3 {
		buf = append(buf, whole)
	}
	return buf
}

// hofArgsIndex is hofArgs for an array index (boxed only if the function takes it).
func hofArgsIndex(buf []any, f any, v any, index int, whole any) []any {
	buf = append(buf[:0], v)
	n := arity(f)
	if n >= 2 {
		buf = append(buf, box(float64(index)))
	}
	if n >= 3 {
		buf = append(buf, whole)
	}
	return buf
}

func (ev *evaluator) callFunc(f any, args []any, c callCtx) (any, error) {
	return ev.apply(f, args, nil, c.env)
}

func fnType(ev *evaluator, c callCtx, args []any) (any, error) {
	v := args[0]
	switch v.(type) {
	case undefinedType:
		return undefined, nil
	case nil:
		return "null", nil
	case string:
		return "string", nil
	case bool:
		return "boolean", nil
	case float64:
		num, err := isNumeric(v)
		if err != nil {
			return nil, err
		}
		if num {
			return "number", nil
		}
		return "object", nil
	}
	if isArray(v) {
		return "array", nil
	}
	if isFunction(v) {
		return "function", nil
	}
	return "object", nil
}

func fnError(ev *evaluator, c callCtx, args []any) (any, error) {
	msg, _ := arg(args, 0).(string)
	if msg == "" {
		msg = "$error() function evaluated"
	}
	return nil, &Error{Code: "D3137", Message: msg}
}

func fnAssert(ev *evaluator, c callCtx, args []any) (any, error) {
	if cond, _ := args[0].(bool); !cond {
		msg, _ := arg(args, 1).(string)
		if msg == "" {
			msg = "$assert() statement failed"
		}
		return nil, &Error{Code: "D3141", Message: msg}
	}
	return undefined, nil
}

func fnBoolean(ev *evaluator, c callCtx, args []any) (any, error) {
	return toBoolean(args[0])
}

func fnNot(ev *evaluator, c callCtx, args []any) (any, error) {
	if isUndef(args[0]) {
		return undefined, nil
	}
	b, err := toBoolean(args[0])
	if err != nil {
		return nil, err
	}
	return b != true, nil
}

func fnExists(ev *evaluator, c callCtx, args []any) (any, error) {
	return !isUndef(arg(args, 0)), nil
}

func fnEval(ev *evaluator, c callCtx, args []any) (any, error) {
	src, ok := args[0].(string)
	if !ok {
		return undefined, nil
	}
	input := c.input
	if len(args) > 1 && !isUndef(args[1]) {
		input = args[1]
		if a, ok := input.([]any); ok {
			input = &seq{vals: []any{a}, sequence: true, outerWrapper: true}
		}
	}
	ast, err := parse(src)
	if err != nil {
		msg := err.Error()
		if e, ok := err.(*Error); ok {
			e.populate()
			msg = e.Message
		}
		e := errValue("D3120", msg)
		e.cause = err
		return nil, e
	}
	env := c.env
	if env == nil {
		env = ev.root
	}
	res, err := ev.eval(ast, input, env)
	if err != nil {
		e, ok := err.(*Error)
		if !ok || e.Code == "U1001" {
			return nil, err
		}
		e.populate()
		out := errValue("D3121", e.Message)
		out.cause = err
		return nil, out
	}
	return res, nil
}

func fnClone(ev *evaluator, c callCtx, args []any) (any, error) {
	if isUndef(args[0]) {
		return undefined, nil
	}
	s, err := stringify(args[0], false)
	if err != nil {
		return nil, err
	}
	v, derr := jsonv.DecodeString(s)
	if derr != nil {
		return undefined, nil
	}
	return v, nil
}

// limitString guards against building absurdly large strings.
func limitString(n int) error {
	if n > maxStringLength || n < 0 {
		return errTooLarge()
	}
	return nil
}

// maxStringLength is the longest string (in bytes) an evaluation may build.
const maxStringLength = 1 << 26
