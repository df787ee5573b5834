package jsonpath

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/stepwise-dev/stepwise/jsonv"
)

type tokKind uint8

const (
	tkField    tokKind = iota // .name, ['name'], ['a','b']
	tkIndex                   // [0], [0,1]
	tkSlice                   // [a:b], [a:], [:b]
	tkWildcard                // .*, [*]
	tkScan                    // ..
	tkFilter                  // [?(...)]
	tkFunc                    // .length()
)

type token struct {
	kind           tokKind
	names          []string
	idx            []int
	from, to       int
	hasFrom, hasTo bool
	filter         expr
	fn             string
}

// definite reports whether the token keeps a single branch, as Jayway's isTokenDefinite.
// A field union counts: at the leaf Jayway merges it into one object, elsewhere it fails.
func (t *token) definite() bool {
	switch t.kind {
	case tkField, tkFunc:
		return true
	case tkIndex:
		return len(t.idx) == 1
	}
	return false
}

// appendFragment writes the token as Jayway prints it: properties joined with ", " as the
// Jayway release AWS runs does ("Multi properties can only be used as path leafs: $['a', 'b']").
func (t *token) appendFragment(b *strings.Builder) {
	switch t.kind {
	case tkField:
		b.WriteByte('[')
		for i, n := range t.names {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteByte('\'')
			b.WriteString(n)
			b.WriteByte('\'')
		}
		b.WriteByte(']')
	case tkIndex:
		b.WriteByte('[')
		for i, n := range t.idx {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Itoa(n))
		}
		b.WriteByte(']')
	case tkSlice:
		b.WriteByte('[')
		if t.hasFrom {
			b.WriteString(strconv.Itoa(t.from))
		}
		b.WriteByte(':')
		if t.hasTo {
			b.WriteString(strconv.Itoa(t.to))
		}
		b.WriteByte(']')
	case tkWildcard:
		b.WriteString("[*]")
	case tkScan:
		b.WriteString("..")
	case tkFilter:
		b.WriteString("[?]")
	case tkFunc:
		b.WriteByte('.')
		b.WriteString(t.fn)
		b.WriteString("()")
	}
}

// maxDepth bounds filter nesting so hostile input cannot exhaust the stack.
const maxDepth = 100

type parser struct {
	src   string // as given, for messages
	s     string // trimmed text being parsed
	i     int
	depth int
}

func (p *parser) fail(msg string) error {
	return &SyntaxError{Path: p.src, Pos: p.i, Msg: msg}
}

func (p *parser) more() bool { return p.i < len(p.s) }

func (p *parser) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *parser) skipSpaces() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n' || p.s[p.i] == '\r') {
		p.i++
	}
}

func (p *parser) parsePath() (*Path, error) {
	if !p.more() || p.s[0] != '$' {
		return nil, p.fail("a path must start with '$'")
	}
	path := &Path{src: p.src}
	p.i = 1
	if p.peek() == '$' {
		path.root = "$"
		p.i++
	} else if p.more() {
		r, _ := utf8.DecodeRuneInString(p.s[p.i:])
		if r == '_' || unicode.IsLetter(r) {
			start := p.i
			for p.more() {
				r, n := utf8.DecodeRuneInString(p.s[p.i:])
				if r != '_' && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
					break
				}
				p.i += n
			}
			path.root = p.s[start:p.i]
		}
	}
	if p.more() && p.peek() != '.' && p.peek() != '[' {
		return nil, p.fail("expected '.' or '[' after the root")
	}
	toks, err := p.tokens(false)
	if err != nil {
		return nil, err
	}
	if p.more() {
		return nil, p.fail("unexpected character " + strconv.QuoteRune(rune(p.peek())))
	}
	path.toks = toks
	path.definite = true
	path.simple = true
	for i := range toks {
		t := &toks[i]
		if !t.definite() {
			path.definite = false
		}
		if !((t.kind == tkField && len(t.names) == 1) || (t.kind == tkIndex && len(t.idx) == 1)) {
			path.simple = false
		}
	}
	return path, nil
}

// tokens reads path tokens until the text ends or, inside a filter, until a character that
// cannot continue a path. A function token must be the last one.
func (p *parser) tokens(inFilter bool) ([]token, error) {
	var toks []token
	afterBracket := false
	for p.more() {
		c := p.peek()
		switch {
		case c == '.':
			if p.i+1 < len(p.s) && p.s[p.i+1] == '.' {
				toks = append(toks, token{kind: tkScan})
				p.i += 2
			} else {
				p.i++
			}
			if !p.more() || (inFilter && !startsToken(p.peek())) {
				return nil, p.fail("a path must not end with '.' or '..'")
			}
			if p.peek() == '.' {
				return nil, p.fail("unexpected '.'")
			}
			t, err := p.afterDot(inFilter)
			if err != nil {
				return nil, err
			}
			toks = append(toks, t)
			afterBracket = false
		case c == '[':
			t, err := p.bracket()
			if err != nil {
				return nil, err
			}
			toks = append(toks, t)
			afterBracket = true
		case afterBracket && !inFilter && c != ' ':
			// Jayway reads a property straight after a bracket: $['a']b is $['a']['b'].
			t, err := p.afterDot(inFilter)
			if err != nil {
				return nil, err
			}
			toks = append(toks, t)
			afterBracket = false
		default:
			if inFilter {
				return toks, p.checkFuncLast(toks)
			}
			return nil, p.fail("unexpected character " + strconv.QuoteRune(rune(c)))
		}
		if toks[len(toks)-1].kind == tkScan && !p.more() {
			return nil, p.fail("a path must not end with '..'")
		}
	}
	if n := len(toks); n > 0 && toks[n-1].kind == tkScan {
		return nil, p.fail("a path must not end with '..'")
	}
	return toks, p.checkFuncLast(toks)
}

func (p *parser) checkFuncLast(toks []token) error {
	for i := range toks {
		if toks[i].kind == tkFunc && i != len(toks)-1 {
			return p.fail("a function must end the path")
		}
		if toks[i].kind == tkScan && i+1 < len(toks) && toks[i+1].kind == tkFunc {
			return p.fail("a function cannot follow '..'")
		}
	}
	return nil
}

func startsToken(c byte) bool {
	return c == '[' || c == '*' || !isFilterStop(c)
}

// isFilterStop reports characters that end a dot-notation name inside a filter, where the
// name is followed by an operator or the end of the filter.
func isFilterStop(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', '.', '[', '(', ')', '<', '>', '=', '~', '!', '&', '|', ',':
		return true
	}
	return false
}

// afterDot reads what follows a '.': a bracket, a wildcard, a name or a function.
func (p *parser) afterDot(inFilter bool) (token, error) {
	switch p.peek() {
	case '[':
		return p.bracket()
	case '*':
		p.i++
		return token{kind: tkWildcard}, nil
	}
	start := p.i
	for p.more() {
		c := p.peek()
		if inFilter {
			if isFilterStop(c) {
				break
			}
		} else {
			if c == ' ' {
				return token{}, p.fail("use bracket notation ['my prop'] for a name with blanks")
			}
			if c == '.' || c == '[' || c == '(' {
				break
			}
		}
		p.i++
	}
	name := p.s[start:p.i]
	if name == "" {
		return token{}, p.fail("expected a name")
	}
	if p.peek() == '(' {
		p.i++
		p.skipSpaces()
		if p.peek() != ')' {
			return token{}, p.fail("functions take no arguments")
		}
		p.i++
		if !knownFunc(name) {
			return token{}, p.fail("unknown function " + name + "()")
		}
		return token{kind: tkFunc, fn: name}, nil
	}
	return token{kind: tkField, names: []string{name}}, nil
}

func knownFunc(name string) bool {
	switch name {
	case "length", "size", "min", "max", "avg", "sum", "stddev", "keys", "first", "last":
		return true
	}
	return false
}

// bracket reads a [...] token; p.i is on the '['.
func (p *parser) bracket() (token, error) {
	p.i++
	p.skipSpaces()
	switch c := p.peek(); c {
	case '\'', '"':
		var names []string
		for {
			p.skipSpaces()
			q := p.peek()
			if q != '\'' && q != '"' {
				return token{}, p.fail("expected a quoted name")
			}
			s, err := p.quoted()
			if err != nil {
				return token{}, err
			}
			names = append(names, s)
			p.skipSpaces()
			if p.peek() == ',' {
				p.i++
				continue
			}
			if p.peek() != ']' {
				return token{}, p.fail("expected ',' or ']' after a name")
			}
			p.i++
			return token{kind: tkField, names: names}, nil
		}
	case '*':
		p.i++
		p.skipSpaces()
		if p.peek() != ']' {
			return token{}, p.fail("expected ']' after '*'")
		}
		p.i++
		return token{kind: tkWildcard}, nil
	case '?':
		p.i++
		p.skipSpaces()
		if p.peek() != '(' {
			return token{}, p.fail("expected '(' after '?'")
		}
		p.i++
		e, err := p.orExpr()
		if err != nil {
			return token{}, err
		}
		p.skipSpaces()
		if p.peek() != ')' {
			return token{}, p.fail("expected ')' to close the filter")
		}
		p.i++
		p.skipSpaces()
		if p.peek() != ']' {
			return token{}, p.fail("expected ']' to close the filter")
		}
		p.i++
		return token{kind: tkFilter, filter: e}, nil
	}
	end := strings.IndexByte(p.s[p.i:], ']')
	if end < 0 {
		return token{}, p.fail("missing ']'")
	}
	body := strings.TrimSpace(p.s[p.i : p.i+end])
	p.i += end + 1
	if body == "" {
		return token{}, p.fail("empty brackets")
	}
	for i := 0; i < len(body); i++ {
		c := body[i]
		if (c < '0' || c > '9') && c != '-' && c != ':' && c != ',' && c != ' ' {
			return token{}, p.fail("expected an index, a slice, a quoted name, '*' or a filter in brackets")
		}
	}
	if strings.Contains(body, ":") {
		return p.slice(body)
	}
	var idx []int
	for _, part := range strings.Split(body, ",") {
		n, err := parseInt32(strings.TrimSpace(part))
		if err != nil {
			return token{}, p.fail("bad index " + strconv.Quote(part))
		}
		idx = append(idx, n)
	}
	return token{kind: tkIndex, idx: idx}, nil
}

// slice parses "a:b", "a:", ":b" as Jayway does: a third part (a step) is ignored.
func (p *parser) slice(body string) (token, error) {
	if strings.ContainsAny(body, " ,") {
		return token{}, p.fail("bad slice " + strconv.Quote(body))
	}
	parts := strings.Split(body, ":")
	// Java's String.split drops trailing empty parts.
	for len(parts) > 0 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	t := token{kind: tkSlice}
	var err error
	if len(parts) > 0 && parts[0] != "" {
		if t.from, err = parseInt32(parts[0]); err != nil {
			return token{}, p.fail("bad slice " + strconv.Quote(body))
		}
		t.hasFrom = true
	}
	if len(parts) > 1 && parts[1] != "" {
		if t.to, err = parseInt32(parts[1]); err != nil {
			return token{}, p.fail("bad slice " + strconv.Quote(body))
		}
		t.hasTo = true
	}
	if !t.hasFrom && !t.hasTo {
		return token{}, p.fail("bad slice " + strconv.Quote(body))
	}
	return t, nil
}

func parseInt32(s string) (int, error) {
	n, err := strconv.ParseInt(s, 10, 32)
	return int(n), err
}

// quoted reads a '...' or "..." string with Java escapes; p.i is on the opening quote.
func (p *parser) quoted() (string, error) {
	q := p.s[p.i]
	p.i++
	var b strings.Builder
	for p.more() {
		c := p.s[p.i]
		switch {
		case c == q:
			p.i++
			return b.String(), nil
		case c == '\\' && p.i+1 < len(p.s):
			p.i++
			e := p.s[p.i]
			p.i++
			switch e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case 'u':
				if p.i+4 <= len(p.s) {
					if n, err := strconv.ParseUint(p.s[p.i:p.i+4], 16, 16); err == nil {
						b.WriteRune(rune(n))
						p.i += 4
						continue
					}
				}
				b.WriteByte('u')
			default:
				b.WriteByte(e)
			}
		default:
			b.WriteByte(c)
			p.i++
		}
	}
	return "", p.fail("unterminated string")
}

// Filter expressions, as Jayway's filter compiler reads them.

type expr interface{}

type orExpr struct{ l, r expr }
type andExpr struct{ l, r expr }
type notExpr struct{ x expr }
type existsExpr struct{ v *operand }
type relExpr struct {
	op   string
	l, r *operand
}

type operandKind uint8

const (
	opPath operandKind = iota
	opLiteral
	opRegex
)

type operand struct {
	kind     operandKind
	relative bool // @ rather than $
	toks     []token
	definite bool
	lit      any
	re       *regexp.Regexp
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > maxDepth {
		return p.fail("filter nested too deeply")
	}
	return nil
}

func (p *parser) orExpr() (expr, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	l, err := p.andExpr()
	if err != nil {
		return nil, err
	}
	for {
		p.skipSpaces()
		if !strings.HasPrefix(p.s[p.i:], "||") {
			return l, nil
		}
		p.i += 2
		r, err := p.andExpr()
		if err != nil {
			return nil, err
		}
		l = orExpr{l, r}
	}
}

func (p *parser) andExpr() (expr, error) {
	l, err := p.unary()
	if err != nil {
		return nil, err
	}
	for {
		p.skipSpaces()
		if !strings.HasPrefix(p.s[p.i:], "&&") {
			return l, nil
		}
		p.i += 2
		r, err := p.unary()
		if err != nil {
			return nil, err
		}
		l = andExpr{l, r}
	}
}

func (p *parser) unary() (expr, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	p.skipSpaces()
	switch p.peek() {
	case '!':
		if p.i+1 < len(p.s) && p.s[p.i+1] == '=' {
			break
		}
		p.i++
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		return notExpr{x}, nil
	case '(':
		p.i++
		e, err := p.orExpr()
		if err != nil {
			return nil, err
		}
		p.skipSpaces()
		if p.peek() != ')' {
			return nil, p.fail("expected ')'")
		}
		p.i++
		return e, nil
	}
	return p.relation()
}

var wordOps = []string{"subsetof", "contains", "noneof", "anyof", "empty", "size", "nin", "in"}

func (p *parser) relation() (expr, error) {
	l, err := p.operand()
	if err != nil {
		return nil, err
	}
	p.skipSpaces()
	op := ""
	for _, o := range []string{"==", "!=", "<=", ">=", "=~", "<", ">"} {
		if strings.HasPrefix(p.s[p.i:], o) {
			op = o
			break
		}
	}
	if op == "" {
		for _, o := range wordOps {
			if strings.HasPrefix(p.s[p.i:], o) {
				next := p.i + len(o)
				if next < len(p.s) && (isLetter(p.s[next]) || p.s[next] == '_') {
					continue
				}
				op = o
				break
			}
		}
	}
	if op == "" {
		if l.kind != opPath {
			return nil, p.fail("expected a comparison operator")
		}
		return existsExpr{l}, nil
	}
	p.i += len(op)
	r, err := p.operand()
	if err != nil {
		return nil, err
	}
	return relExpr{op: op, l: l, r: r}, nil
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func (p *parser) operand() (*operand, error) {
	p.skipSpaces()
	if !p.more() {
		return nil, p.fail("expected a value")
	}
	c := p.peek()
	switch {
	case c == '@' || c == '$':
		p.i++
		toks, err := p.tokens(true)
		if err != nil {
			return nil, err
		}
		o := &operand{kind: opPath, relative: c == '@', toks: toks, definite: true}
		for i := range toks {
			if !toks[i].definite() {
				o.definite = false
			}
		}
		return o, nil
	case c == '\'' || c == '"':
		s, err := p.quoted()
		if err != nil {
			return nil, err
		}
		return &operand{kind: opLiteral, lit: s}, nil
	case c == '-' || (c >= '0' && c <= '9'):
		start := p.i
		p.i++
		for p.more() {
			c := p.peek()
			if (c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '-' || c == '+' {
				p.i++
				continue
			}
			break
		}
		f, err := strconv.ParseFloat(p.s[start:p.i], 64)
		if err != nil || math.IsInf(f, 0) {
			return nil, p.fail("bad number " + strconv.Quote(p.s[start:p.i]))
		}
		return &operand{kind: opLiteral, lit: f}, nil
	case c == '/':
		return p.regex()
	case c == '[' || c == '{':
		return p.jsonLiteral()
	}
	for _, w := range []struct {
		word string
		v    any
	}{{"true", true}, {"false", false}, {"null", nil}} {
		if strings.HasPrefix(p.s[p.i:], w.word) {
			p.i += len(w.word)
			return &operand{kind: opLiteral, lit: w.v}, nil
		}
	}
	return nil, p.fail("expected a value")
}

// regex reads /pattern/flags. Java's matches() must match the whole input, hence \A...\z.
func (p *parser) regex() (*operand, error) {
	p.i++
	start := p.i
	for p.more() && p.peek() != '/' {
		if p.peek() == '\\' {
			p.i++
		}
		p.i++
	}
	if !p.more() {
		return nil, p.fail("unterminated regular expression")
	}
	pat := p.s[start:p.i]
	p.i++
	flags := ""
	for p.more() && isLetter(p.peek()) {
		switch p.peek() {
		case 'i':
			flags += "i"
		case 'm':
			flags += "m"
		case 's':
			flags += "s"
		}
		p.i++
	}
	src := `\A(?:` + pat + `)\z`
	if flags != "" {
		src = "(?" + flags + ")" + src
	}
	re, err := regexp.Compile(src)
	if err != nil {
		return nil, p.fail("bad regular expression: " + err.Error())
	}
	return &operand{kind: opRegex, re: re}, nil
}

// jsonLiteral reads a JSON array or object literal such as ['a','b'] (single quotes allowed).
func (p *parser) jsonLiteral() (*operand, error) {
	start := p.i
	depth := 0
	var q byte
	for p.more() {
		c := p.s[p.i]
		p.i++
		if q != 0 {
			if c == '\\' {
				p.i++
			} else if c == q {
				q = 0
			}
			continue
		}
		switch c {
		case '\'', '"':
			q = c
		case '[', '{':
			depth++
		case ']', '}':
			depth--
			if depth == 0 {
				text := p.s[start:p.i]
				v, err := jsonv.DecodeString(singleToDoubleQuotes(text))
				if err != nil {
					return nil, p.fail("bad JSON literal " + strconv.Quote(text))
				}
				return &operand{kind: opLiteral, lit: v}, nil
			}
		}
	}
	return nil, p.fail("unterminated JSON literal")
}

// singleToDoubleQuotes turns 'x' strings into "x" so Jayway-style literals decode as JSON.
func singleToDoubleQuotes(s string) string {
	if !strings.Contains(s, "'") {
		return s
	}
	var b strings.Builder
	var q byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case q == 0 && (c == '\'' || c == '"'):
			q = c
			b.WriteByte('"')
		case q != 0 && c == '\\' && i+1 < len(s):
			if s[i+1] == '\'' {
				b.WriteByte('\'')
			} else {
				b.WriteByte(c)
				b.WriteByte(s[i+1])
			}
			i++
		case q != 0 && c == q:
			q = 0
			b.WriteByte('"')
		case q == '\'' && c == '"':
			b.WriteString(`\"`)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
