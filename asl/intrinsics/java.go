package intrinsics

import (
	"math"
	"slices"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/stepwise-dev/stepwise/asl/jsonpath"
	"github.com/stepwise-dev/stepwise/jsonv"
)

// AWS runs intrinsics in Java on Jackson-decoded values. The helpers here reproduce the
// Java behaviours that show through: casts to int, Math.round, hash codes and HashSet
// order, java.util.Random, and Jackson's JSON text.

const (
	minInt32 = math.MinInt32
	maxInt32 = math.MaxInt32
)

// javaIntValue is Number.intValue() of the decoded number: an integral value is an
// Integer or Long and keeps its low 32 bits; any other is a Double, truncated toward zero
// and saturated.
func javaIntValue(f float64) int32 {
	if jsonpath.IsJavaIntegral(f) {
		return int32(int64(f))
	}
	switch {
	case math.IsNaN(f):
		return 0
	case f >= maxInt32:
		return maxInt32
	case f <= minInt32:
		return minInt32
	}
	return int32(f)
}

// javaRound is Math.round(double): the nearest integer, halves rounded up. ok is false
// when the result does not fit a long.
func javaRound(f float64) (int64, bool) {
	if math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) >= 1<<63 {
		return 0, false
	}
	r := math.Floor(f)
	if f-r >= 0.5 {
		r++
	}
	return int64(r), true
}

// javaHash is hashCode() of the decoded value: Integer, Long, Double, String, Boolean,
// ArrayList (List.hashCode) and LinkedHashMap (Map.hashCode); null hashes to 0.
func javaHash(v any) int32 {
	switch t := v.(type) {
	case nil:
		return 0
	case bool:
		if t {
			return 1231
		}
		return 1237
	case string:
		var h int32
		for _, u := range utf16.Encode([]rune(t)) {
			h = 31*h + int32(u)
		}
		return h
	case float64:
		if jsonpath.IsJavaIntegral(t) {
			l := int64(t)
			if l >= minInt32 && l <= maxInt32 {
				return int32(l)
			}
			return int32(uint64(l) ^ uint64(l)>>32)
		}
		bits := math.Float64bits(t)
		return int32(bits ^ bits>>32)
	case []any:
		h := int32(1)
		for _, e := range t {
			h = 31*h + javaHash(e)
		}
		return h
	case *jsonv.Object:
		var h int32
		t.Range(func(k string, e any) bool {
			h += javaHash(k) ^ javaHash(e)
			return true
		})
		return h
	}
	return 0
}

// hashSetOrder returns the distinct elements of a in the iteration order of
// new HashSet<>(a): by bucket of the table HashSet sizes for the collection, then in
// insertion order within a bucket. (Buckets of more than eight colliding values, which
// Java turns into trees, are not reproduced.)
func hashSetOrder(a []any) []any {
	capacity := max(int(float32(len(a))/0.75)+1, 16)
	size := 1
	for size < capacity {
		size <<= 1
	}
	type entry struct {
		v      any
		bucket int
	}
	var uniq []entry
	seen := map[int32][]int{}
next:
	for _, v := range a {
		h := javaHash(v)
		for _, j := range seen[h] {
			if jsonv.Equal(uniq[j].v, v) {
				continue next
			}
		}
		seen[h] = append(seen[h], len(uniq))
		spread := h ^ int32(uint32(h)>>16)
		uniq = append(uniq, entry{v, int(spread) & (size - 1)})
	}
	slices.SortStableFunc(uniq, func(x, y entry) int { return x.bucket - y.bucket })
	out := make([]any, len(uniq))
	for i, e := range uniq {
		out[i] = e.v
	}
	return out
}

// javaRandom is java.util.Random, a 48-bit linear congruential generator.
type javaRandom struct{ seed int64 }

const (
	randMultiplier = 0x5DEECE66D
	randMask       = 1<<48 - 1
)

func newJavaRandom(seed int64) *javaRandom {
	return &javaRandom{seed: (seed ^ randMultiplier) & randMask}
}

func (r *javaRandom) next(bits uint) int32 {
	r.seed = (r.seed*randMultiplier + 0xB) & randMask
	return int32(uint64(r.seed) >> (48 - bits))
}

// nextInt is Random.nextInt(bound) for bound > 0.
func (r *javaRandom) nextInt(bound int32) int32 {
	v := r.next(31)
	m := bound - 1
	if bound&m == 0 {
		return int32((int64(bound) * int64(v)) >> 31)
	}
	for u := v; ; u = r.next(31) {
		v = u % bound
		if u-v+m >= 0 { // int32 overflow makes this negative for the biased tail
			return v
		}
	}
}

// base64Values maps both the standard and the URL-safe alphabets, as Commons Codec does.
var base64Values = func() [256]int8 {
	var t [256]int8
	for i := range t {
		t[i] = -1
	}
	const std = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := 0; i < len(std); i++ {
		t[std[i]] = int8(i)
	}
	t['-'] = 62
	t['_'] = 63
	return t
}()

// lenientBase64 decodes like Apache Commons Codec's Base64.decodeBase64: bytes outside
// the alphabet are ignored, the first '=' ends the input, and a partial final group gives
// the bytes it holds.
func lenientBase64(s string) []byte {
	out := make([]byte, 0, len(s)*3/4)
	var acc uint32
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '=' {
			break
		}
		v := base64Values[c]
		if v < 0 {
			continue
		}
		acc = acc<<6 | uint32(v)
		n++
		if n == 4 {
			out = append(out, byte(acc>>16), byte(acc>>8), byte(acc))
			acc, n = 0, 0
		}
	}
	switch n {
	case 2:
		out = append(out, byte(acc>>4))
	case 3:
		out = append(out, byte(acc>>10), byte(acc>>2))
	}
	return out
}

// javaJSON writes v as Jackson does: compact, numbers as Java prints them (1, 1.5,
// 1.0E-5), control characters as \n-style or upper-case \u00XX escapes.
func javaJSON(v any) string {
	return string(appendJavaJSON(nil, v))
}

func appendJavaJSON(b []byte, v any) []byte {
	switch t := v.(type) {
	case float64:
		return append(b, jsonpath.JavaNumber(t)...)
	case string:
		return appendJacksonString(b, t)
	case []any:
		b = append(b, '[')
		for i, e := range t {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJavaJSON(b, e)
		}
		return append(b, ']')
	case *jsonv.Object:
		b = append(b, '{')
		for i, k := range t.Keys() {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJacksonString(b, k)
			b = append(b, ':')
			b = appendJavaJSON(b, t.Values()[i])
		}
		return append(b, '}')
	}
	return jsonv.Append(b, v)
}

func appendJacksonString(b []byte, s string) []byte {
	const hex = "0123456789ABCDEF"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b = append(b, "\uFFFD"...)
			} else {
				b = append(b, s[i:i+size]...)
			}
			i += size
			continue
		}
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
			if c < 0x20 {
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			} else {
				b = append(b, c)
			}
		}
		i++
	}
	return append(b, '"')
}
