package jsonata

import (
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

type tokenType uint8

const (
	tokEnd tokenType = iota
	tokOperator
	tokName
	tokVariable
	tokString
	tokNumber
	tokValue // true, false, null
	tokRegex
)

type token struct {
	typ tokenType
	str string // operator, name, variable name or string literal
	num float64
	val any // for tokValue
	re  *regexLiteral
	pos int // offset just after the token, as jsonata-js reports it
}

// operatorChars are the characters that end a name; '!' and '~' are not operators on
// their own but still stop a name.
func isOperatorChar(c rune) bool {
	switch c {
	case '.', '[', ']', '{', '}', '(', ')', ',', '@', '#', ';', ':', '?', '+', '-', '*', '/', '%', '|', '=', '<', '>', '^', '&', '!', '~':
		return true
	}
	return false
}

func isSpace(c rune) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v'
}

// lexer turns the expression into tokens on demand. Whether a '/' starts a regex
// depends on the parser's state, so the parser tells next() which it expects.
type lexer struct {
	src []rune
	pos int
}

func (l *lexer) at(i int) rune {
	if i < 0 || i >= len(l.src) {
		return 0
	}
	return l.src[i]
}

func (l *lexer) op(s string) (token, error) {
	return token{typ: tokOperator, str: s, pos: l.pos}, nil
}

// next returns the next token; infix is true when an operator is expected, in which
// case '/' is division rather than the start of a regex literal.
func (l *lexer) next(infix bool) (token, error) {
	for {
		for l.pos < len(l.src) && isSpace(l.src[l.pos]) {
			l.pos++
		}
		if l.pos >= len(l.src) {
			return token{typ: tokEnd, pos: len(l.src)}, nil
		}
		if l.src[l.pos] == '/' && l.at(l.pos+1) == '*' {
			start := l.pos
			l.pos += 2
			for !(l.at(l.pos) == '*' && l.at(l.pos+1) == '/') {
				l.pos++
				if l.pos >= len(l.src) {
					return token{}, errToken("S0106", start, "")
				}
			}
			l.pos += 2
			continue
		}
		break
	}
	c := l.src[l.pos]
	if !infix && c == '/' {
		l.pos++
		return l.scanRegex()
	}
	c1 := l.at(l.pos + 1)
	two := ""
	switch {
	case c == '.' && c1 == '.':
		two = ".."
	case c == ':' && c1 == '=':
		two = ":="
	case c == '!' && c1 == '=':
		two = "!="
	case c == '>' && c1 == '=':
		two = ">="
	case c == '<' && c1 == '=':
		two = "<="
	case c == '*' && c1 == '*':
		two = "**"
	case c == '~' && c1 == '>':
		two = "~>"
	case c == '?' && c1 == ':':
		two = "?:"
	case c == '?' && c1 == '?':
		two = "??"
	}
	if two != "" {
		l.pos += 2
		return l.op(two)
	}
	if isOperatorChar(c) {
		l.pos++
		return l.op(string(c))
	}
	if c == '"' || c == '\'' {
		return l.scanString(c)
	}
	if n := numberPrefix(l.src[l.pos:]); n > 0 {
		text := string(l.src[l.pos : l.pos+n])
		f, err := strconv.ParseFloat(text, 64)
		if err != nil || f > maxFloat || f < -maxFloat {
			return token{}, errToken("S0102", l.pos, text)
		}
		l.pos += n
		return token{typ: tokNumber, num: f, pos: l.pos}, nil
	}
	if c == '`' {
		l.pos++
		for i := l.pos; i < len(l.src); i++ {
			if l.src[i] == '`' {
				name := string(l.src[l.pos:i])
				l.pos = i + 1
				return token{typ: tokName, str: name, pos: l.pos}, nil
			}
		}
		l.pos = len(l.src)
		return token{}, errToken("S0105", l.pos, "")
	}
	i := l.pos
	for i < len(l.src) && !isSpace(l.src[i]) && !isOperatorChar(l.src[i]) {
		i++
	}
	if c == '$' {
		name := string(l.src[l.pos+1 : i])
		l.pos = i
		return token{typ: tokVariable, str: name, pos: l.pos}, nil
	}
	name := string(l.src[l.pos:i])
	l.pos = i
	switch name {
	case "or", "in", "and":
		return l.op(name)
	case "true":
		return token{typ: tokValue, val: true, pos: l.pos}, nil
	case "false":
		return token{typ: tokValue, val: false, pos: l.pos}, nil
	case "null":
		return token{typ: tokValue, val: nil, pos: l.pos}, nil
	}
	return token{typ: tokName, str: name, pos: l.pos}, nil
}

// numberPrefix returns the length of the JSON-style number at the start of s
// (-?(0|[1-9][0-9]*)(\.[0-9]+)?([Ee][-+]?[0-9]+)?), or 0.
func numberPrefix(s []rune) int {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	if i >= len(s) || s[i] < '0' || s[i] > '9' {
		return 0
	}
	if s[i] == '0' {
		i++
	} else {
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	}
	if i+1 < len(s) && s[i] == '.' && s[i+1] >= '0' && s[i+1] <= '9' {
		i += 2
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		if j < len(s) && s[j] >= '0' && s[j] <= '9' {
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			i = j
		}
	}
	return i
}

func (l *lexer) scanString(quote rune) (token, error) {
	l.pos++
	var buf []rune
	// A high surrogate from \uD8xx waits for its pair. An unpaired surrogate is kept
	// (as WTF-8 bytes, see runesToString) so that functions such as $encodeUrl can
	// reject it as JavaScript does.
	var pendingHigh rune
	flush := func() {
		if pendingHigh != 0 {
			buf = append(buf, pendingHigh)
			pendingHigh = 0
		}
	}
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		if c == '\\' {
			l.pos++
			c = l.at(l.pos)
			var r rune = -1
			switch c {
			case '"', '\\', '/':
				r = c
			case 'b':
				r = '\b'
			case 'f':
				r = '\f'
			case 'n':
				r = '\n'
			case 'r':
				r = '\r'
			case 't':
				r = '\t'
			case 'u':
				code, ok := hex4(l.src, l.pos+1)
				if !ok {
					return token{}, errToken("S0104", l.pos, "")
				}
				l.pos += 4
				switch {
				case utf16.IsSurrogate(code) && code < 0xDC00:
					flush()
					pendingHigh = code
				case utf16.IsSurrogate(code):
					if pendingHigh != 0 {
						buf = append(buf, utf16.DecodeRune(pendingHigh, code))
						pendingHigh = 0
					} else {
						buf = append(buf, code)
					}
				default:
					flush()
					buf = append(buf, code)
				}
				l.pos++
				continue
			default:
				return token{}, errToken("S0103", l.pos, string(c))
			}
			flush()
			buf = append(buf, r)
		} else if c == quote {
			flush()
			l.pos++
			return token{typ: tokString, str: runesToString(buf), pos: l.pos}, nil
		} else {
			flush()
			buf = append(buf, c)
		}
		l.pos++
	}
	return token{}, errToken("S0101", l.pos, "")
}

func hex4(s []rune, at int) (rune, bool) {
	if at+4 > len(s) {
		return 0, false
	}
	var r rune
	for _, c := range s[at : at+4] {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= c - '0'
		case c >= 'a' && c <= 'f':
			r |= c - 'a' + 10
		case c >= 'A' && c <= 'F':
			r |= c - 'A' + 10
		default:
			return 0, false
		}
	}
	return r, true
}

// scanRegex reads a regex literal after its opening '/': up to the next unescaped '/'
// outside brackets, then the flags i and m.
func (l *lexer) scanRegex() (token, error) {
	start := l.pos
	depth := 0
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		if c == '/' && depth == 0 {
			backslashes := 0
			for l.at(l.pos-(backslashes+1)) == '\\' {
				backslashes++
			}
			if backslashes%2 == 0 {
				pattern := string(l.src[start:l.pos])
				if pattern == "" {
					return token{}, errToken("S0301", l.pos, "")
				}
				l.pos++
				fstart := l.pos
				for l.at(l.pos) == 'i' || l.at(l.pos) == 'm' {
					l.pos++
				}
				flags := string(l.src[fstart:l.pos])
				re, err := compileRegex(pattern, flags)
				if err != nil {
					err.Position = l.pos
					return token{}, err
				}
				return token{typ: tokRegex, re: re, pos: l.pos}, nil
			}
		}
		prev := l.at(l.pos - 1)
		if (c == '(' || c == '[' || c == '{') && prev != '\\' {
			depth++
		}
		if (c == ')' || c == ']' || c == '}') && prev != '\\' {
			depth--
		}
		l.pos++
	}
	return token{}, errToken("S0302", l.pos, "")
}

// decodeWTF8 is []rune(s), except that unpaired surrogates encoded as three WTF-8
// bytes (as the lexer stores them) decode to the surrogate itself.
func decodeWTF8(s string) []rune {
	out := make([]rune, 0, len(s))
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 && i+2 < len(s) && s[i] == 0xED && s[i+1] >= 0xA0 && s[i+1] <= 0xBF && s[i+2] >= 0x80 && s[i+2] <= 0xBF {
			out = append(out, rune(s[i]&0x0F)<<12|rune(s[i+1]&0x3F)<<6|rune(s[i+2]&0x3F))
			i += 3
			continue
		}
		out = append(out, r)
		i += n
	}
	return out
}

// runesToString is string(runes), except that surrogate code points are written as
// three WTF-8 bytes rather than replaced by U+FFFD.
func runesToString(rs []rune) string {
	b := make([]byte, 0, len(rs))
	for _, r := range rs {
		if utf16.IsSurrogate(r) {
			b = append(b, byte(0xE0|(r>>12)), byte(0x80|((r>>6)&0x3F)), byte(0x80|(r&0x3F)))
			continue
		}
		b = utf8.AppendRune(b, r)
	}
	return string(b)
}
