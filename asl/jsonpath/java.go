package jsonpath

import (
	"math"
	"strconv"
	"strings"

	"github.com/stepwise-dev/stepwise/jsonv"
)

// AWS evaluates paths and intrinsics in Java on values Jackson decoded into LinkedHashMap,
// ArrayList, String, Integer, Long, Double, Boolean and null; its messages and
// States.Format print those with Java's toString. These helpers reproduce that text.

// maxExactLong bounds the integral numbers treated as Java Integer or Long rather than Double.
const maxExactLong = 1 << 63

// JavaString renders v as Java's toString of the decoded value: strings bare, objects as
// {a=1, b=[x, y]}, integral numbers without a fraction, other numbers as Double.toString.
func JavaString(v any) string {
	var b strings.Builder
	appendJava(&b, v)
	return b.String()
}

func appendJava(b *strings.Builder, v any) {
	switch t := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(t))
	case float64:
		b.WriteString(JavaNumber(t))
	case string:
		b.WriteString(t)
	case []any:
		b.WriteByte('[')
		for i, e := range t {
			if i > 0 {
				b.WriteString(", ")
			}
			appendJava(b, e)
		}
		b.WriteByte(']')
	case *jsonv.Object:
		b.WriteByte('{')
		for i, k := range t.Keys() {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(k)
			b.WriteByte('=')
			appendJava(b, t.Values()[i])
		}
		b.WriteByte('}')
	default:
		b.WriteString(jsonv.String(v))
	}
}

// IsJavaIntegral reports whether Jackson would have decoded f as an Integer or Long: the
// JSON model here does not keep "1" and "1.0" apart, so integral values count as integers.
func IsJavaIntegral(f float64) bool {
	return f == math.Trunc(f) && math.Abs(f) < maxExactLong
}

// JavaNumber formats f as Java prints the boxed number: an integer as digits, any other
// value as Double.toString ("1.5", "1.0E-5", "1.0E21").
func JavaNumber(f float64) string {
	if IsJavaIntegral(f) {
		return strconv.FormatInt(int64(f), 10)
	}
	return JavaDouble(f)
}

// JavaDouble is Java's Double.toString with the shortest digits that round-trip.
func JavaDouble(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	abs := math.Abs(f)
	if abs >= 1e-3 && abs < 1e7 {
		s := strconv.FormatFloat(f, 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	s := strconv.FormatFloat(f, 'e', -1, 64) // d.ddde±xx
	mant, exp, _ := strings.Cut(s, "e")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	e, _ := strconv.Atoi(exp)
	return mant + "E" + strconv.Itoa(e)
}

// JavaClass names the Java class of the decoded value, as Jayway prints it.
func JavaClass(v any) string {
	switch t := v.(type) {
	case nil:
		return "null"
	case bool:
		return "java.lang.Boolean"
	case string:
		return "java.lang.String"
	case []any:
		return "java.util.ArrayList"
	case *jsonv.Object:
		return "java.util.LinkedHashMap"
	case float64:
		if IsJavaIntegral(t) {
			if t >= math.MinInt32 && t <= math.MaxInt32 {
				return "java.lang.Integer"
			}
			return "java.lang.Long"
		}
		return "java.lang.Double"
	}
	return "java.lang.Object"
}
