package jsonata

import (
	"encoding/base64"
	"math"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

func fnString(ev *evaluator, c callCtx, args []any) (any, error) {
	v := args[0]
	if isUndef(v) {
		return undefined, nil
	}
	pretty, _ := arg(args, 1).(bool)
	s, err := stringify(v, pretty)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// toInteger is JavaScript's ToIntegerOrInfinity, as slice() applies it.
func toInteger(f float64) float64 {
	if f != f {
		return 0
	}
	return math.Trunc(f)
}

// jsSlice is Array.prototype.slice on a list of length n: it returns the bounds.
func jsSlice(n int, start, end float64) (int, int) {
	clamp := func(f float64) int {
		f = toInteger(f)
		if f < 0 {
			f += float64(n)
			if f < 0 {
				f = 0
			}
		}
		if f > float64(n) {
			f = float64(n)
		}
		return int(f)
	}
	s, e := clamp(start), clamp(end)
	if e < s {
		e = s
	}
	return s, e
}

func fnSubstring(ev *evaluator, c callCtx, args []any) (any, error) {
	str, ok := args[0].(string)
	if !ok {
		return undefined, nil
	}
	start, ok := arg(args, 1).(float64)
	if !ok {
		start = math.NaN() // as JavaScript computes with an undefined start
	}
	runes := []rune(str)
	n := float64(len(runes))
	if n+start < 0 {
		start = 0
	}
	if length, ok := arg(args, 2).(float64); ok {
		if length <= 0 {
			return "", nil
		}
		var end float64
		if start >= 0 {
			end = start + length
		} else {
			end = n + start + length
		}
		s, e := jsSlice(len(runes), start, end)
		return string(runes[s:e]), nil
	}
	s, e := jsSlice(len(runes), start, n)
	return string(runes[s:e]), nil
}

func fnSubstringBefore(ev *evaluator, c callCtx, args []any) (any, error) {
	str, ok := args[0].(string)
	if !ok {
		return undefined, nil
	}
	chars := propertyKey(arg(args, 1))
	if i := strings.Index(str, chars); i >= 0 {
		return str[:i], nil
	}
	return str, nil
}

func fnSubstringAfter(ev *evaluator, c callCtx, args []any) (any, error) {
	str, ok := args[0].(string)
	if !ok {
		return undefined, nil
	}
	chars := propertyKey(arg(args, 1))
	if i := strings.Index(str, chars); i >= 0 {
		return str[i+len(chars):], nil
	}
	return str, nil
}

func fnLowercase(ev *evaluator, c callCtx, args []any) (any, error) {
	str, ok := args[0].(string)
	if !ok {
		return undefined, nil
	}
	return strings.ToLower(str), nil
}

func fnUppercase(ev *evaluator, c callCtx, args []any) (any, error) {
	str, ok := args[0].(string)
	if !ok {
		return undefined, nil
	}
	return strings.ToUpper(str), nil
}

func fnLength(ev *evaluator, c callCtx, args []any) (any, error) {
	str, ok := args[0].(string)
	if !ok {
		return undefined, nil
	}
	return float64(utf8.RuneCountInString(str)), nil
}

func fnTrim(ev *evaluator, c callCtx, args []any) (any, error) {
	str, ok := args[0].(string)
	if !ok {
		return undefined, nil
	}
	var b strings.Builder
	space := false
	for i := 0; i < len(str); i++ {
		ch := str[i]
		if ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' {
			space = true
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteByte(ch)
	}
	if space {
		b.WriteByte(' ')
	}
	out := b.String()
	out = strings.TrimPrefix(out, " ")
	out = strings.TrimSuffix(out, " ")
	return out, nil
}

func fnPad(ev *evaluator, c callCtx, args []any) (any, error) {
	str, ok := args[0].(string)
	if !ok {
		return undefined, nil
	}
	width, _ := arg(args, 1).(float64)
	char, _ := arg(args, 2).(string)
	if char == "" {
		char = " "
	}
	width = math.Trunc(width)
	padLength := math.Abs(width) - float64(utf8.RuneCountInString(str))
	if !(padLength > 0) {
		return str, nil
	}
	if err := limitString(int(math.Min(padLength, 1<<30)) * len(char)); err != nil {
		return nil, err
	}
	n := int(padLength)
	padding := strings.Repeat(char, n)
	if utf8.RuneCountInString(char) > 1 {
		padding = string([]rune(padding)[:n])
	}
	if width > 0 {
		return str + padding, nil
	}
	return padding + str, nil
}

func fnJoin(ev *evaluator, c callCtx, args []any) (any, error) {
	vals, ok := items(args[0])
	if !ok {
		return undefined, nil
	}
	sep, _ := arg(args, 1).(string)
	strs := make([]string, len(vals))
	total := len(sep) * len(vals)
	for i, v := range vals {
		strs[i], _ = v.(string)
		total += len(strs[i])
	}
	if err := limitString(total); err != nil {
		return nil, err
	}
	return strings.Join(strs, sep), nil
}

// base64encode follows Node's Buffer.from(str, 'binary'): each UTF-16 code unit
// contributes its low byte.
func fnBase64Encode(ev *evaluator, c callCtx, args []any) (any, error) {
	str, ok := args[0].(string)
	if !ok {
		return undefined, nil
	}
	units := utf16.Encode([]rune(str))
	b := make([]byte, len(units))
	for i, u := range units {
		b[i] = byte(u)
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

// base64decode follows Node's Buffer.from(str, 'base64').toString('binary'): lenient
// about padding and stray characters, each byte becoming one character.
func fnBase64Decode(ev *evaluator, c callCtx, args []any) (any, error) {
	str, ok := args[0].(string)
	if !ok {
		return undefined, nil
	}
	clean := make([]byte, 0, len(str))
	for i := 0; i < len(str); i++ {
		ch := str[i]
		switch {
		case ch >= 'A' && ch <= 'Z', ch >= 'a' && ch <= 'z', ch >= '0' && ch <= '9', ch == '+', ch == '/':
			clean = append(clean, ch)
		case ch == '-':
			clean = append(clean, '+')
		case ch == '_':
			clean = append(clean, '/')
		case ch == '=':
			i = len(str)
		}
	}
	if len(clean)%4 == 1 {
		clean = clean[:len(clean)-1]
	}
	b, err := base64.RawStdEncoding.DecodeString(string(clean))
	if err != nil {
		return "", nil
	}
	rs := make([]rune, len(b))
	for i, c := range b {
		rs[i] = rune(c)
	}
	return string(rs), nil
}

const hexUpper = "0123456789ABCDEF"

// encodeURI implements JavaScript's encodeURI/encodeURIComponent: characters outside
// keep are percent-encoded as UTF-8; an unpaired surrogate is an error.
func encodeURI(s, keep string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(s); {
		ch := s[i]
		if ch < utf8.RuneSelf {
			if ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || strings.IndexByte(keep, ch) >= 0 {
				b.WriteByte(ch)
			} else {
				b.WriteByte('%')
				b.WriteByte(hexUpper[ch>>4])
				b.WriteByte(hexUpper[ch&15])
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n <= 1 {
			return "", false
		}
		for j := 0; j < n; j++ {
			c := s[i+j]
			b.WriteByte('%')
			b.WriteByte(hexUpper[c>>4])
			b.WriteByte(hexUpper[c&15])
		}
		i += n
	}
	return b.String(), true
}

// decodeURI implements decodeURI/decodeURIComponent; escapes of characters in
// reserved are left as they are.
func decodeURI(s, reserved string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] != '%' {
			b.WriteByte(s[i])
			i++
			continue
		}
		first, ok := hexByte(s, i)
		if !ok {
			return "", false
		}
		if first < 0x80 {
			if strings.IndexByte(reserved, first) >= 0 {
				b.WriteString(s[i : i+3])
			} else {
				b.WriteByte(first)
			}
			i += 3
			continue
		}
		n := 0
		switch {
		case first&0xE0 == 0xC0:
			n = 2
		case first&0xF0 == 0xE0:
			n = 3
		case first&0xF8 == 0xF0:
			n = 4
		default:
			return "", false
		}
		buf := []byte{first}
		j := i + 3
		for k := 1; k < n; k++ {
			if j >= len(s) || s[j] != '%' {
				return "", false
			}
			c, ok := hexByte(s, j)
			if !ok || c&0xC0 != 0x80 {
				return "", false
			}
			buf = append(buf, c)
			j += 3
		}
		r, size := utf8.DecodeRune(buf)
		if r == utf8.RuneError || size != n {
			return "", false
		}
		b.Write(buf)
		i = j
	}
	return b.String(), true
}

func hexByte(s string, i int) (byte, bool) {
	if i+2 >= len(s) {
		return 0, false
	}
	h := func(c byte) (byte, bool) {
		switch {
		case c >= '0' && c <= '9':
			return c - '0', true
		case c >= 'a' && c <= 'f':
			return c - 'a' + 10, true
		case c >= 'A' && c <= 'F':
			return c - 'A' + 10, true
		}
		return 0, false
	}
	hi, ok1 := h(s[i+1])
	lo, ok2 := h(s[i+2])
	return hi<<4 | lo, ok1 && ok2
}

func urlError(name string, v any) error {
	e := errValue("D3140", v)
	e.funcName = name
	return e
}

func fnEncodeURLComponent(ev *evaluator, c callCtx, args []any) (any, error) {
	str, ok := args[0].(string)
	if !ok {
		return undefined, nil
	}
	out, ok := encodeURI(str, "-_.!~*'()")
	if !ok {
		return nil, urlError("encodeUrlComponent", str)
	}
	return out, nil
}

func fnEncodeURL(ev *evaluator, c callCtx, args []any) (any, error) {
	str, ok := args[0].(string)
	if !ok {
		return undefined, nil
	}
	out, ok := encodeURI(str, "-_.!~*'();/?:@&=+$,#")
	if !ok {
		return nil, urlError("encodeUrl", str)
	}
	return out, nil
}

func fnDecodeURLComponent(ev *evaluator, c callCtx, args []any) (any, error) {
	str, ok := args[0].(string)
	if !ok {
		return undefined, nil
	}
	out, ok := decodeURI(str, "")
	if !ok {
		return nil, urlError("decodeUrlComponent", str)
	}
	return out, nil
}

func fnDecodeURL(ev *evaluator, c callCtx, args []any) (any, error) {
	str, ok := args[0].(string)
	if !ok {
		return undefined, nil
	}
	out, ok := decodeURI(str, ";/?:@&=+$,#")
	if !ok {
		return nil, urlError("decodeUrl", str)
	}
	return out, nil
}
