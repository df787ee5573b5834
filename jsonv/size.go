package jsonv

import (
	"unicode/utf8"
)

// Size returns the length in bytes of Marshal(v) without building it, stopping early
// once the count passes limit (pass a negative limit for no limit).
func Size(v any, limit int) int {
	n := 0
	size(v, &n, limit)
	return n
}

func size(v any, n *int, limit int) {
	if limit >= 0 && *n > limit {
		return
	}
	switch t := v.(type) {
	case nil:
		*n += 4
	case bool:
		if t {
			*n += 4
		} else {
			*n += 5
		}
	case float64:
		var buf [32]byte
		*n += len(AppendNumber(buf[:0], t))
	case string:
		*n += stringSize(t)
	case []any:
		*n += 2
		for i, e := range t {
			if i > 0 {
				*n++
			}
			size(e, n, limit)
		}
	case *Object:
		*n += 2
		for i, k := range t.keys {
			if i > 0 {
				*n++
			}
			*n += stringSize(k) + 1
			size(t.vals[i], n, limit)
		}
	default:
		*n += len(Marshal(t))
	}
}

func stringSize(s string) int {
	n := 2
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t' || c == '\b' || c == '\f':
				n += 2
			case c < 0x20:
				n += 6
			default:
				n++
			}
			i++
			continue
		}
		r, w := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && w == 1 {
			n += 6
		} else {
			n += w
		}
		i += w
	}
	return n
}
