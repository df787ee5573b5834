package jsonv

import (
	"math"
	"sort"
	"strconv"
	"unicode/utf8"
)

// Marshal serialises v compactly, keys in insertion order, without HTML escaping
// (as Jackson and JSON.stringify write it).
func Marshal(v any) []byte { return Append(nil, v) }

// String is Marshal as a string.
func String(v any) string { return string(Append(nil, v)) }

// Append appends v's compact serialisation to b.
func Append(b []byte, v any) []byte {
	switch t := v.(type) {
	case nil:
		return append(b, "null"...)
	case bool:
		if t {
			return append(b, "true"...)
		}
		return append(b, "false"...)
	case float64:
		return AppendNumber(b, t)
	case string:
		return AppendString(b, t)
	case []any:
		b = append(b, '[')
		for i, e := range t {
			if i > 0 {
				b = append(b, ',')
			}
			b = Append(b, e)
		}
		return append(b, ']')
	case *Object:
		b = append(b, '{')
		for i, k := range t.Keys() {
			if i > 0 {
				b = append(b, ',')
			}
			b = AppendString(b, k)
			b = append(b, ':')
			b = Append(b, t.vals[i])
		}
		return append(b, '}')
	case int:
		return strconv.AppendInt(b, int64(t), 10)
	case map[string]any, []string, int64:
		return Append(b, FromGo(t))
	}
	return append(b, "null"...)
}

// AppendNumber writes f as JavaScript's Number.prototype.toString does: integers
// without a fraction, the shortest round-tripping digits, exponents outside [1e-6, 1e21).
func AppendNumber(b []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(b, "null"...)
	}
	if f == 0 {
		return append(b, '0')
	}
	abs := math.Abs(f)
	if abs < 1e21 && abs >= 1e-6 {
		if f == math.Trunc(f) && abs < 1e18 {
			return strconv.AppendInt(b, int64(f), 10)
		}
		return strconv.AppendFloat(b, f, 'f', -1, 64)
	}
	s := strconv.FormatFloat(f, 'e', -1, 64)
	// Go writes e+21 / e-07; JavaScript writes e+21 / e-7.
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		out = append(out, s[i])
		if (s[i] == '+' || s[i] == '-') && i > 0 && s[i-1] == 'e' {
			j := i + 1
			for j < len(s)-1 && s[j] == '0' {
				j++
			}
			out = append(out, s[j:]...)
			break
		}
	}
	return append(b, out...)
}

const hexDigits = "0123456789abcdef"

// AppendString writes s as a JSON string literal.
func AppendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// Indent serialises v with two-space indentation, for people to read.
func Indent(v any) string {
	return string(appendIndent(nil, v, ""))
}

func appendIndent(b []byte, v any, pre string) []byte {
	switch t := v.(type) {
	case []any:
		if len(t) == 0 {
			return append(b, "[]"...)
		}
		b = append(b, "[\n"...)
		for i, e := range t {
			b = append(b, pre+"  "...)
			b = appendIndent(b, e, pre+"  ")
			if i < len(t)-1 {
				b = append(b, ',')
			}
			b = append(b, '\n')
		}
		return append(b, pre+"]"...)
	case *Object:
		if t.Len() == 0 {
			return append(b, "{}"...)
		}
		b = append(b, "{\n"...)
		for i, k := range t.Keys() {
			b = append(b, pre+"  "...)
			b = AppendString(b, k)
			b = append(b, ": "...)
			b = appendIndent(b, t.vals[i], pre+"  ")
			if i < t.Len()-1 {
				b = append(b, ',')
			}
			b = append(b, '\n')
		}
		return append(b, pre+"}"...)
	}
	return Append(b, v)
}

func sortStrings(s []string) { sort.Strings(s) }
