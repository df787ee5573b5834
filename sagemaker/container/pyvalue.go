package container

import (
	"fmt"
	"math"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// The training toolkits are Python: they json.loads every hyperparameter value, then
// print the results with str(), repr() and json.dumps. pyValue models just enough of
// Python's value types for those three renderings to come out byte for byte as the
// toolkit's do.

type pyKind uint8

const (
	pyNone pyKind = iota
	pyBool
	pyInt
	pyFloat
	pyStr
	pyList
	pyDict
)

type pyValue struct {
	kind pyKind
	b    bool
	i    *big.Int
	f    float64
	s    string
	list []pyValue
	keys []string // dict keys in insertion order (JSON object keys are always strings)
	vals []pyValue
}

func pyString(s string) pyValue     { return pyValue{kind: pyStr, s: s} }
func pyBoolean(b bool) pyValue      { return pyValue{kind: pyBool, b: b} }
func pyInteger(n int64) pyValue     { return pyValue{kind: pyInt, i: big.NewInt(n)} }
func pyNull() pyValue               { return pyValue{kind: pyNone} }
func pyStrings(ss []string) pyValue { return pyValue{kind: pyList, list: mapSlice(ss, pyString)} }

func mapSlice[T, U any](in []T, f func(T) U) []U {
	out := make([]U, len(in))
	for i, v := range in {
		out[i] = f(v)
	}
	return out
}

// pyDictBuilder builds a dict in insertion order; setting an existing key replaces its
// value in place, as Python's dict does.
type pyDictBuilder struct{ v pyValue }

func newPyDict() *pyDictBuilder { return &pyDictBuilder{v: pyValue{kind: pyDict}} }

func (d *pyDictBuilder) set(k string, v pyValue) *pyDictBuilder {
	for i, key := range d.v.keys {
		if key == k {
			d.v.vals[i] = v
			return d
		}
	}
	d.v.keys = append(d.v.keys, k)
	d.v.vals = append(d.v.vals, v)
	return d
}

func (d *pyDictBuilder) value() pyValue { return d.v }

func (v pyValue) get(k string) (pyValue, bool) {
	for i, key := range v.keys {
		if key == k {
			return v.vals[i], true
		}
	}
	return pyValue{}, false
}

// truthy is Python's bool(v).
func (v pyValue) truthy() bool {
	switch v.kind {
	case pyNone:
		return false
	case pyBool:
		return v.b
	case pyInt:
		return v.i.Sign() != 0
	case pyFloat:
		return v.f != 0
	case pyStr:
		return v.s != ""
	case pyList:
		return len(v.list) > 0
	default:
		return len(v.keys) > 0
	}
}

// maxJSONDepth bounds nesting; Python would raise RecursionError (not ValueError) far
// deeper than any hyperparameter goes, so treating deeper input as not-JSON is harmless.
const maxJSONDepth = 200

// pyJSONLoads is Python's json.loads for one string; ok is false where Python raises
// ValueError (the toolkit then keeps the raw string).
func pyJSONLoads(s string) (v pyValue, ok bool) {
	p := &jsonParser{s: s}
	p.ws()
	v, ok = p.value(0)
	if !ok {
		return pyValue{}, false
	}
	p.ws()
	return v, p.pos == len(p.s)
}

type jsonParser struct {
	s   string
	pos int
}

func (p *jsonParser) ws() {
	for p.pos < len(p.s) {
		switch p.s[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *jsonParser) lit(word string) bool {
	if strings.HasPrefix(p.s[p.pos:], word) {
		p.pos += len(word)
		return true
	}
	return false
}

func (p *jsonParser) value(depth int) (pyValue, bool) {
	if p.pos >= len(p.s) || depth > maxJSONDepth {
		return pyValue{}, false
	}
	switch c := p.s[p.pos]; {
	case c == '"':
		s, ok := p.str()
		return pyString(s), ok
	case c == '{':
		return p.object(depth)
	case c == '[':
		return p.array(depth)
	case p.lit("null"):
		return pyNull(), true
	case p.lit("true"):
		return pyBoolean(true), true
	case p.lit("false"):
		return pyBoolean(false), true
	case p.lit("NaN"):
		return pyValue{kind: pyFloat, f: math.NaN()}, true
	case p.lit("Infinity"):
		return pyValue{kind: pyFloat, f: math.Inf(1)}, true
	case p.lit("-Infinity"):
		return pyValue{kind: pyFloat, f: math.Inf(-1)}, true
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	}
	return pyValue{}, false
}

func (p *jsonParser) digits() int {
	start := p.pos
	for p.pos < len(p.s) && p.s[p.pos] >= '0' && p.s[p.pos] <= '9' {
		p.pos++
	}
	return p.pos - start
}

// number follows Python's NUMBER_RE: -?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?; a number
// with a fraction or an exponent is a float, else an int of any size.
func (p *jsonParser) number() (pyValue, bool) {
	start := p.pos
	if p.s[p.pos] == '-' {
		p.pos++
	}
	intStart := p.pos
	n := p.digits()
	if n == 0 {
		return pyValue{}, false
	}
	if n > 1 && p.s[intStart] == '0' {
		// "01": Python's regex matches "0" and then reports extra data.
		p.pos = intStart + 1
	}
	isFloat := false
	if p.pos+1 < len(p.s) && p.s[p.pos] == '.' && p.s[p.pos+1] >= '0' && p.s[p.pos+1] <= '9' {
		p.pos++
		p.digits()
		isFloat = true
	}
	if p.pos < len(p.s) && (p.s[p.pos] == 'e' || p.s[p.pos] == 'E') {
		save := p.pos
		p.pos++
		if p.pos < len(p.s) && (p.s[p.pos] == '+' || p.s[p.pos] == '-') {
			p.pos++
		}
		if p.digits() == 0 {
			p.pos = save
		} else {
			isFloat = true
		}
	}
	text := p.s[start:p.pos]
	if isFloat {
		f, err := strconv.ParseFloat(text, 64)
		if err != nil && !isRangeErr(err) {
			return pyValue{}, false
		}
		return pyValue{kind: pyFloat, f: f}, true // overflow gives ±Inf, as float() does
	}
	i, ok := new(big.Int).SetString(text, 10)
	return pyValue{kind: pyInt, i: i}, ok
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

func (p *jsonParser) str() (string, bool) {
	p.pos++ // opening quote
	var b strings.Builder
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		switch {
		case c == '"':
			p.pos++
			return b.String(), true
		case c < 0x20:
			return "", false // strict mode rejects raw control characters
		case c == '\\':
			if p.pos+1 >= len(p.s) {
				return "", false
			}
			e := p.s[p.pos+1]
			p.pos += 2
			switch e {
			case '"', '\\', '/':
				b.WriteByte(e)
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case 'u':
				r, ok := p.hex4()
				if !ok {
					return "", false
				}
				if utf16.IsSurrogate(r) && strings.HasPrefix(p.s[p.pos:], "\\u") {
					save := p.pos
					p.pos += 2
					if r2, ok := p.hex4(); ok && utf16.DecodeRune(r, r2) != utf8.RuneError {
						r = utf16.DecodeRune(r, r2)
					} else {
						p.pos = save
					}
				}
				// A lone surrogate is legal in a Python str but not in Go; it becomes U+FFFD.
				b.WriteRune(r)
			default:
				return "", false
			}
		default:
			r, size := utf8.DecodeRuneInString(p.s[p.pos:])
			b.WriteRune(r)
			p.pos += size
		}
	}
	return "", false
}

func (p *jsonParser) hex4() (rune, bool) {
	if p.pos+4 > len(p.s) {
		return 0, false
	}
	n, err := strconv.ParseUint(p.s[p.pos:p.pos+4], 16, 32)
	if err != nil || strings.ContainsAny(p.s[p.pos:p.pos+4], "+-") {
		return 0, false
	}
	p.pos += 4
	return rune(n), true
}

func (p *jsonParser) array(depth int) (pyValue, bool) {
	p.pos++
	v := pyValue{kind: pyList, list: []pyValue{}}
	p.ws()
	if p.pos < len(p.s) && p.s[p.pos] == ']' {
		p.pos++
		return v, true
	}
	for {
		p.ws()
		el, ok := p.value(depth + 1)
		if !ok {
			return pyValue{}, false
		}
		v.list = append(v.list, el)
		p.ws()
		if p.pos >= len(p.s) {
			return pyValue{}, false
		}
		switch p.s[p.pos] {
		case ',':
			p.pos++
		case ']':
			p.pos++
			return v, true
		default:
			return pyValue{}, false
		}
	}
}

func (p *jsonParser) object(depth int) (pyValue, bool) {
	p.pos++
	d := newPyDict()
	p.ws()
	if p.pos < len(p.s) && p.s[p.pos] == '}' {
		p.pos++
		return d.value(), true
	}
	for {
		p.ws()
		if p.pos >= len(p.s) || p.s[p.pos] != '"' {
			return pyValue{}, false
		}
		k, ok := p.str()
		if !ok {
			return pyValue{}, false
		}
		p.ws()
		if p.pos >= len(p.s) || p.s[p.pos] != ':' {
			return pyValue{}, false
		}
		p.pos++
		p.ws()
		el, ok := p.value(depth + 1)
		if !ok {
			return pyValue{}, false
		}
		d.set(k, el)
		p.ws()
		if p.pos >= len(p.s) {
			return pyValue{}, false
		}
		switch p.s[p.pos] {
		case ',':
			p.pos++
		case '}':
			p.pos++
			return d.value(), true
		default:
			return pyValue{}, false
		}
	}
}

// str is Python's str(v).
func (v pyValue) str() string {
	if v.kind == pyStr {
		return v.s
	}
	return v.repr()
}

// repr is Python's repr(v).
func (v pyValue) repr() string {
	switch v.kind {
	case pyNone:
		return "None"
	case pyBool:
		if v.b {
			return "True"
		}
		return "False"
	case pyInt:
		return v.i.String()
	case pyFloat:
		return pyFloatRepr(v.f)
	case pyStr:
		return pyStrRepr(v.s)
	case pyList:
		parts := mapSlice(v.list, pyValue.repr)
		return "[" + strings.Join(parts, ", ") + "]"
	default:
		parts := make([]string, len(v.keys))
		for i, k := range v.keys {
			parts[i] = pyStrRepr(k) + ": " + v.vals[i].repr()
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
}

// pyFloatRepr is float.__repr__: the shortest round-tripping digits, positional when
// the decimal exponent is in [-4, 16), else scientific with a two-digit exponent.
func pyFloatRepr(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	e := strconv.FormatFloat(f, 'e', -1, 64) // e.g. "-1.2345e+06"
	sign := ""
	if e[0] == '-' {
		sign, e = "-", e[1:]
	}
	mant, expStr, _ := strings.Cut(e, "e")
	exp, _ := strconv.Atoi(expStr)
	digits := strings.Replace(mant, ".", "", 1)
	if exp < -4 || exp >= 16 {
		m := digits[:1]
		if len(digits) > 1 {
			m += "." + digits[1:]
		}
		es := "+"
		if exp < 0 {
			es, exp = "-", -exp
		}
		return fmt.Sprintf("%s%se%s%02d", sign, m, es, exp)
	}
	var out string
	switch {
	case exp < 0:
		out = "0." + strings.Repeat("0", -exp-1) + digits
	case exp+1 >= len(digits):
		out = digits + strings.Repeat("0", exp+1-len(digits)) + ".0"
	default:
		out = digits[:exp+1] + "." + digits[exp+1:]
	}
	return sign + out
}

// pyStrRepr is str.__repr__.
func pyStrRepr(s string) string {
	quote := byte('\'')
	if strings.IndexByte(s, '\'') >= 0 && strings.IndexByte(s, '"') < 0 {
		quote = '"'
	}
	var b strings.Builder
	b.WriteByte(quote)
	for _, r := range s {
		switch {
		case r == rune(quote) || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < ' ' || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r < 0x7f:
			b.WriteRune(r)
		case unicode.IsPrint(r):
			b.WriteRune(r)
		case r <= 0xff:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r <= 0xffff:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			fmt.Fprintf(&b, `\U%08x`, r)
		}
	}
	b.WriteByte(quote)
	return b.String()
}

// pyJSONDumps is json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=True).
func pyJSONDumps(v pyValue) string {
	var b strings.Builder
	dumpJSON(&b, v)
	return b.String()
}

func dumpJSON(b *strings.Builder, v pyValue) {
	switch v.kind {
	case pyNone:
		b.WriteString("null")
	case pyBool:
		b.WriteString(strconv.FormatBool(v.b))
	case pyInt:
		b.WriteString(v.i.String())
	case pyFloat:
		switch {
		case math.IsNaN(v.f):
			b.WriteString("NaN")
		case math.IsInf(v.f, 1):
			b.WriteString("Infinity")
		case math.IsInf(v.f, -1):
			b.WriteString("-Infinity")
		default:
			b.WriteString(pyFloatRepr(v.f))
		}
	case pyStr:
		writeASCIIJSONString(b, v.s)
	case pyList:
		b.WriteByte('[')
		for i, el := range v.list {
			if i > 0 {
				b.WriteByte(',')
			}
			dumpJSON(b, el)
		}
		b.WriteByte(']')
	default:
		idx := make([]int, len(v.keys))
		for i := range idx {
			idx[i] = i
		}
		sort.SliceStable(idx, func(a, c int) bool { return v.keys[idx[a]] < v.keys[idx[c]] })
		b.WriteByte('{')
		for n, i := range idx {
			if n > 0 {
				b.WriteByte(',')
			}
			writeASCIIJSONString(b, v.keys[i])
			b.WriteByte(':')
			dumpJSON(b, v.vals[i])
		}
		b.WriteByte('}')
	}
}

// writeASCIIJSONString escapes like Python's ensure_ascii encoder: everything outside
// printable ASCII becomes \uXXXX (UTF-16 surrogate pairs above U+FFFF).
func writeASCIIJSONString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r >= ' ' && r <= '~':
			b.WriteRune(r)
		case r > 0xffff:
			r1, r2 := utf16.EncodeRune(r)
			fmt.Fprintf(b, `\u%04x\u%04x`, r1, r2)
		default:
			fmt.Fprintf(b, `\u%04x`, r)
		}
	}
	b.WriteByte('"')
}

// decodeHyperparameter is the toolkit's read_hyperparameters for one value: json.loads,
// or the raw string when that fails.
func decodeHyperparameter(raw string) pyValue {
	if v, ok := pyJSONLoads(raw); ok {
		return v
	}
	return pyString(raw)
}

// cmdArgs is mapping.to_cmd_args: keys sorted, "--key" ("-k" for one-character keys),
// then str() of the value (None gives "", a dict gives k1=v1,k2=v2 sorted by key).
func cmdArgs(hps pyValue) []string {
	keys := append([]string(nil), hps.keys...)
	sort.Strings(keys)
	args := make([]string, 0, 2*len(keys))
	for _, k := range keys {
		switch utf8.RuneCountInString(k) {
		case 0:
			args = append(args, "")
		case 1:
			args = append(args, "-"+k)
		default:
			args = append(args, "--"+k)
		}
		v, _ := hps.get(k)
		args = append(args, cmdArgValue(v))
	}
	return args
}

func cmdArgValue(v pyValue) string {
	switch v.kind {
	case pyNone:
		return ""
	case pyDict:
		idx := make([]int, len(v.keys))
		for i := range idx {
			idx[i] = i
		}
		sort.SliceStable(idx, func(a, c int) bool { return v.keys[idx[a]] < v.keys[idx[c]] })
		parts := make([]string, len(idx))
		for n, i := range idx {
			parts[n] = v.keys[i] + "=" + v.vals[i].str()
		}
		return strings.Join(parts, ",")
	default:
		return v.str()
	}
}

// HyperParameterArgs returns the command-line arguments the SageMaker training toolkit
// passes a script-mode entry point for these hyperparameters (reserved sagemaker_* keys
// removed), e.g. {"lr":"0.1","flag":"true"} → ["--flag","True","--lr","0.1"].
func HyperParameterArgs(hps map[string]string) []string {
	user, _ := splitHyperparameters(hps)
	return cmdArgs(user)
}
