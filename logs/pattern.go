package logs

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// Pattern is a compiled CloudWatch Logs filter pattern. The three syntaxes are:
//
//   - terms: `ERROR`, `"Failed to start"`, `ERROR -Retrying` (exclusion), `?ERROR ?WARN`
//     (any of), matched case-sensitively as substrings of the message; `%regex%` alone
//     is a regular expression;
//   - JSON: `{ $.level = "ERROR" && ($.latency > 500 || $.user.id = 1) }` over messages
//     that are JSON, with = != < <= > >=, * wildcards in strings, %regex% values,
//     IS TRUE/FALSE/NULL, NOT EXISTS and $.list[0] indexes;
//   - space-delimited: `[ip, user, ..., status = 4*, bytes > 1000]` over the message's
//     space-separated fields ("quoted" and [bracketed] fields count as one), "..."
//     standing for any number of fields, conditions joined with && and ||.
//
// An empty pattern, or `""`, matches every event.
type Pattern struct {
	match func(msg string) bool
}

// Match reports whether a log message matches the pattern.
func (p *Pattern) Match(msg string) bool { return p.match(msg) }

// ParsePattern compiles a filter pattern.
func ParsePattern(text string) (*Pattern, error) {
	t := strings.TrimSpace(text)
	switch {
	case t == "" || t == `""`:
		return &Pattern{match: func(string) bool { return true }}, nil
	case t[0] == '{':
		return parseJSONPattern(t)
	case t[0] == '[':
		return parseSpacePattern(t)
	case len(t) >= 2 && t[0] == '%' && t[len(t)-1] == '%' && !strings.ContainsAny(t[1:len(t)-1], "%"):
		re, err := compileRegex(t[1 : len(t)-1])
		if err != nil {
			return nil, err
		}
		return &Pattern{match: re.MatchString}, nil
	}
	return parseTermPattern(t)
}

func compileRegex(expr string) (*regexp.Regexp, error) {
	if expr == "" {
		return nil, errors.New("empty regular expression")
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, fmt.Errorf("regular expression %q: %w", expr, err)
	}
	return re, nil
}

// Term patterns.

func parseTermPattern(t string) (*Pattern, error) {
	var all, anyOf, none []string
	for i := 0; i < len(t); {
		c := t[i]
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
			i++
			continue
		}
		kind := byte(0)
		if c == '-' || c == '?' {
			kind = c
			i++
			if i >= len(t) {
				return nil, fmt.Errorf("%q must be followed by a term", string(c))
			}
		}
		var term string
		if t[i] == '"' {
			s, n, err := quoted(t[i:])
			if err != nil {
				return nil, err
			}
			term, i = s, i+n
		} else {
			j := i
			for j < len(t) && !isSpace(t[j]) {
				if t[j] == '"' {
					return nil, fmt.Errorf("a quote inside the term at offset %d", j)
				}
				j++
			}
			term, i = t[i:j], j
		}
		if term == "" {
			if kind != 0 {
				return nil, fmt.Errorf("%q must be followed by a term", string(kind))
			}
			continue
		}
		switch kind {
		case '-':
			none = append(none, term)
		case '?':
			anyOf = append(anyOf, term)
		default:
			all = append(all, term)
		}
	}
	return &Pattern{match: func(msg string) bool {
		for _, s := range none {
			if strings.Contains(msg, s) {
				return false
			}
		}
		for _, s := range all {
			if !strings.Contains(msg, s) {
				return false
			}
		}
		if len(anyOf) == 0 {
			return true
		}
		for _, s := range anyOf {
			if strings.Contains(msg, s) {
				return true
			}
		}
		return false
	}}, nil
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// quoted reads a "double-quoted" string at the start of s (backslash escapes the next
// character) and returns it and how many bytes it took.
func quoted(s string) (string, int, error) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if i+1 < len(s) {
				i++
				b.WriteByte(s[i])
			}
		case '"':
			return b.String(), i + 1, nil
		default:
			b.WriteByte(s[i])
		}
	}
	return "", 0, errors.New("unterminated quoted string")
}

// The expression lexer shared by JSON and space-delimited patterns.

type tokKind int

const (
	tokEOF tokKind = iota
	tokPunct
	tokString  // "quoted"
	tokRegex   // %regex%
	tokWord    // an unquoted value or name
	tokSel     // $.a.b[0]
	tokEllipse // ...
)

type token struct {
	kind tokKind
	text string
}

func lex(s string) ([]token, error) {
	var out []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case isSpace(c):
			i++
		case c == '"':
			v, n, err := quoted(s[i:])
			if err != nil {
				return nil, err
			}
			out = append(out, token{tokString, v})
			i += n
		case c == '%':
			j := strings.IndexByte(s[i+1:], '%')
			if j < 0 {
				return nil, errors.New("unterminated %regex%")
			}
			out = append(out, token{tokRegex, s[i+1 : i+1+j]})
			i += j + 2
		case strings.HasPrefix(s[i:], "..."):
			out = append(out, token{tokEllipse, "..."})
			i += 3
		case strings.HasPrefix(s[i:], "&&"), strings.HasPrefix(s[i:], "||"), strings.HasPrefix(s[i:], "!="),
			strings.HasPrefix(s[i:], "<="), strings.HasPrefix(s[i:], ">="):
			out = append(out, token{tokPunct, s[i : i+2]})
			i += 2
		case strings.IndexByte("(){}[],=<>", c) >= 0:
			out = append(out, token{tokPunct, s[i : i+1]})
			i++
		case c == '$':
			j := i + 1
			for j < len(s) {
				if s[j] == '[' {
					k := strings.IndexByte(s[j:], ']')
					if k < 0 {
						return nil, errors.New("unterminated [ in a selector")
					}
					j += k + 1
					continue
				}
				if isSpace(s[j]) || strings.IndexByte("(){}],=!<>&|\"", s[j]) >= 0 {
					break
				}
				j++
			}
			out = append(out, token{tokSel, s[i:j]})
			i = j
		default:
			j := i
			for j < len(s) && !isSpace(s[j]) && strings.IndexByte("(){}[],=!<>&|\"", s[j]) < 0 {
				j++
			}
			if j == i {
				return nil, fmt.Errorf("unexpected %q at offset %d", string(c), i)
			}
			out = append(out, token{tokWord, s[i:j]})
			i = j
		}
	}
	return out, nil
}

type parser struct {
	toks []token
	pos  int
	// operand parses the left side of a comparison (a selector, a field name).
	operand func(t token) (string, error)
}

func (p *parser) peek() token {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return token{kind: tokEOF}
}

func (p *parser) next() token {
	t := p.peek()
	if p.pos < len(p.toks) {
		p.pos++
	}
	return t
}

func (p *parser) isPunct(s string) bool {
	t := p.peek()
	return t.kind == tokPunct && t.text == s
}

// cond is a compiled condition over a lookup of values by name (a JSON selector or a
// space-delimited field).
type cond func(look lookup) bool

// lookup returns the value of an operand: a string, a float64, a bool, nil (JSON
// null), a map or slice, and whether it is there at all.
type lookup func(operand string) (any, bool)

func (p *parser) parseOr(depth int) (cond, error) {
	if depth > 50 {
		return nil, errors.New("expression nested too deep")
	}
	left, err := p.parseAnd(depth)
	if err != nil {
		return nil, err
	}
	for p.isPunct("||") {
		p.next()
		right, err := p.parseAnd(depth)
		if err != nil {
			return nil, err
		}
		l := left
		left = func(look lookup) bool { return l(look) || right(look) }
	}
	return left, nil
}

func (p *parser) parseAnd(depth int) (cond, error) {
	left, err := p.parseUnary(depth)
	if err != nil {
		return nil, err
	}
	for p.isPunct("&&") {
		p.next()
		right, err := p.parseUnary(depth)
		if err != nil {
			return nil, err
		}
		l := left
		left = func(look lookup) bool { return l(look) && right(look) }
	}
	return left, nil
}

func (p *parser) parseUnary(depth int) (cond, error) {
	if p.isPunct("(") {
		p.next()
		c, err := p.parseOr(depth + 1)
		if err != nil {
			return nil, err
		}
		if !p.isPunct(")") {
			return nil, errors.New("missing )")
		}
		p.next()
		return c, nil
	}
	return p.parseComparison()
}

func (p *parser) parseComparison() (cond, error) {
	operand, err := p.operand(p.next())
	if err != nil {
		return nil, err
	}
	t := p.next()
	if t.kind == tokWord {
		switch strings.ToUpper(t.text) {
		case "IS":
			v := p.next()
			var want func(any) bool
			switch strings.ToUpper(v.text) {
			case "TRUE":
				want = func(x any) bool { return x == true }
			case "FALSE":
				want = func(x any) bool { return x == false }
			case "NULL":
				want = func(x any) bool { return x == nil }
			default:
				return nil, fmt.Errorf("IS must be followed by TRUE, FALSE or NULL, not %q", v.text)
			}
			return func(look lookup) bool { x, ok := look(operand); return ok && want(x) }, nil
		case "NOT":
			if v := p.next(); strings.ToUpper(v.text) != "EXISTS" {
				return nil, fmt.Errorf("NOT must be followed by EXISTS, not %q", v.text)
			}
			return func(look lookup) bool { _, ok := look(operand); return !ok }, nil
		case "EXISTS":
			return func(look lookup) bool { _, ok := look(operand); return ok }, nil
		}
	}
	if t.kind != tokPunct {
		return nil, fmt.Errorf("expected a comparison operator after %s, found %q", operand, t.text)
	}
	op := t.text
	switch op {
	case "=", "!=", "<", "<=", ">", ">=":
	default:
		return nil, fmt.Errorf("expected a comparison operator after %s, found %q", operand, op)
	}
	v := p.next()
	cmp, err := comparison(op, v)
	if err != nil {
		return nil, err
	}
	return func(look lookup) bool {
		x, ok := look(operand)
		return ok && cmp(x)
	}, nil
}

// comparison compiles "<op> <value>" into a test of an operand's value.
func comparison(op string, v token) (func(any) bool, error) {
	switch v.kind {
	case tokRegex:
		if op != "=" && op != "!=" {
			return nil, fmt.Errorf("a regular expression needs = or !=, not %s", op)
		}
		re, err := compileRegex(v.text)
		if err != nil {
			return nil, err
		}
		return func(x any) bool {
			s, ok := scalarText(x)
			return ok && re.MatchString(s) == (op == "=")
		}, nil
	case tokString, tokWord:
	default:
		return nil, fmt.Errorf("expected a value after %s", op)
	}
	if n, err := strconv.ParseFloat(v.text, 64); err == nil && v.kind == tokWord {
		return func(x any) bool {
			f, ok := number(x)
			if !ok {
				return false
			}
			switch op {
			case "=":
				return f == n
			case "!=":
				return f != n
			case "<":
				return f < n
			case "<=":
				return f <= n
			case ">":
				return f > n
			default:
				return f >= n
			}
		}, nil
	}
	if op != "=" && op != "!=" {
		return nil, fmt.Errorf("%s needs a number, not %q", op, v.text)
	}
	glob := v.text
	return func(x any) bool {
		s, ok := scalarText(x)
		return ok && globMatch(glob, s) == (op == "=")
	}, nil
}

func number(x any) (float64, bool) {
	switch v := x.(type) {
	case float64:
		return v, true
	case json.Number:
		f, err := v.Float64()
		return f, err == nil
	case string:
		f, err := strconv.ParseFloat(v, 64)
		return f, err == nil
	}
	return 0, false
}

// scalarText is the text a string comparison sees: strings as they are, numbers and
// booleans as written; objects, arrays and null have none.
func scalarText(x any) (string, bool) {
	switch v := x.(type) {
	case string:
		return v, true
	case json.Number:
		return v.String(), true
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), true
	case bool:
		return strconv.FormatBool(v), true
	}
	return "", false
}

// globMatch matches s against a pattern whose only wildcard is *.
func globMatch(pattern, s string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == s
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, mid := range parts[1 : len(parts)-1] {
		i := strings.Index(s, mid)
		if i < 0 {
			return false
		}
		s = s[i+len(mid):]
	}
	return strings.HasSuffix(s, last)
}

// JSON patterns.

func parseJSONPattern(t string) (*Pattern, error) {
	toks, err := lex(t)
	if err != nil {
		return nil, err
	}
	if len(toks) < 2 || toks[0].text != "{" || toks[len(toks)-1].text != "}" || toks[len(toks)-1].kind != tokPunct {
		return nil, errors.New("a JSON pattern is enclosed in { }")
	}
	sels := map[string][]selStep{}
	p := &parser{toks: toks[1 : len(toks)-1], operand: func(t token) (string, error) {
		if t.kind != tokSel {
			return "", fmt.Errorf("expected a selector such as $.field, found %q", t.text)
		}
		steps, err := parseSelector(t.text)
		if err != nil {
			return "", err
		}
		sels[t.text] = steps
		return t.text, nil
	}}
	c, err := p.parseOr(0)
	if err != nil {
		return nil, err
	}
	if p.pos != len(p.toks) {
		return nil, fmt.Errorf("unexpected %q", p.peek().text)
	}
	return &Pattern{match: func(msg string) bool {
		msg = strings.TrimSpace(msg)
		if msg == "" || (msg[0] != '{' && msg[0] != '[') {
			return false
		}
		dec := json.NewDecoder(bytes.NewReader([]byte(msg)))
		dec.UseNumber()
		var doc any
		if dec.Decode(&doc) != nil {
			return false
		}
		return c(func(sel string) (any, bool) { return selectJSON(doc, sels[sel]) })
	}}, nil
}

// selStep is one step of a selector: a member name, or an index (idx >= 0).
type selStep struct {
	name string
	idx  int
}

// parseSelector reads $.a.b[0].c (also $.a["b"]... is not supported: names are plain).
func parseSelector(sel string) ([]selStep, error) {
	if !strings.HasPrefix(sel, "$") {
		return nil, fmt.Errorf("selector %q must start with $", sel)
	}
	var steps []selStep
	rest := sel[1:]
	for rest != "" {
		switch rest[0] {
		case '.':
			j := 1
			for j < len(rest) && rest[j] != '.' && rest[j] != '[' {
				j++
			}
			if j == 1 {
				return nil, fmt.Errorf("selector %q has an empty member name", sel)
			}
			steps = append(steps, selStep{name: rest[1:j], idx: -1})
			rest = rest[j:]
		case '[':
			j := strings.IndexByte(rest, ']')
			if j < 0 {
				return nil, fmt.Errorf("selector %q: unterminated [", sel)
			}
			n, err := strconv.Atoi(rest[1:j])
			if err != nil || n < 0 {
				return nil, fmt.Errorf("selector %q: index %q is not a number", sel, rest[1:j])
			}
			steps = append(steps, selStep{idx: n})
			rest = rest[j+1:]
		default:
			return nil, fmt.Errorf("selector %q: unexpected %q", sel, rest[:1])
		}
	}
	return steps, nil
}

func selectJSON(doc any, steps []selStep) (any, bool) {
	cur := doc
	for _, st := range steps {
		if st.idx >= 0 {
			a, ok := cur.([]any)
			if !ok || st.idx >= len(a) {
				return nil, false
			}
			cur = a[st.idx]
			continue
		}
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[st.name]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// Space-delimited patterns.

// spaceField is one field of a space-delimited pattern: "..." or a name, with the
// condition written in its place (nil: none).
type spaceField struct {
	ellipsis bool
	name     string
	cond     cond
}

func parseSpacePattern(t string) (*Pattern, error) {
	if !strings.HasSuffix(t, "]") {
		return nil, errors.New("a space-delimited pattern is enclosed in [ ]")
	}
	toks, err := lex(t[1 : len(t)-1])
	if err != nil {
		return nil, err
	}
	var fields []spaceField
	// Split on commas at the top level.
	start := 0
	for i := 0; i <= len(toks); i++ {
		if i < len(toks) && !(toks[i].kind == tokPunct && toks[i].text == ",") {
			continue
		}
		seg := toks[start:i]
		start = i + 1
		switch {
		case len(seg) == 0:
			return nil, errors.New("an empty field")
		case len(seg) == 1 && seg[0].kind == tokEllipse:
			if len(fields) == 0 || !fields[len(fields)-1].ellipsis {
				fields = append(fields, spaceField{ellipsis: true})
			}
			continue
		}
		name := seg[0].text
		if seg[0].kind != tokWord || !isFieldName(name) {
			return nil, fmt.Errorf("expected a field name, found %q", seg[0].text)
		}
		f := spaceField{name: name}
		if len(seg) > 1 {
			p := &parser{toks: seg, operand: func(t token) (string, error) {
				if t.kind != tokWord || !isFieldName(t.text) {
					return "", fmt.Errorf("expected a field name, found %q", t.text)
				}
				return t.text, nil
			}}
			c, err := p.parseOr(0)
			if err != nil {
				return nil, err
			}
			if p.pos != len(p.toks) {
				return nil, fmt.Errorf("unexpected %q", p.peek().text)
			}
			f.cond = c
		}
		fields = append(fields, f)
	}
	return &Pattern{match: func(msg string) bool {
		words := splitFields(msg)
		bound := map[string]string{}
		look := func(name string) (any, bool) { v, ok := bound[name]; return v, ok }
		budget := 100000
		var try func(fi, wi int) bool
		try = func(fi, wi int) bool {
			if budget--; budget < 0 {
				return false
			}
			if fi == len(fields) {
				if wi != len(words) {
					return false
				}
				for _, f := range fields {
					if f.cond != nil && !f.cond(look) {
						return false
					}
				}
				return true
			}
			f := fields[fi]
			if f.ellipsis {
				for k := wi; k <= len(words); k++ {
					if try(fi+1, k) {
						return true
					}
				}
				return false
			}
			if wi >= len(words) {
				return false
			}
			old, had := bound[f.name]
			bound[f.name] = words[wi]
			if try(fi+1, wi+1) {
				return true
			}
			if had {
				bound[f.name] = old
			} else {
				delete(bound, f.name)
			}
			return false
		}
		return try(0, 0)
	}}, nil
}

func isFieldName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r != '_' && r != '-' && r != '.' && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			return false
		}
	}
	return true
}

// splitFields splits a message at spaces; a field that starts with " runs to the next
// ", one that starts with [ to the matching ], and both lose those delimiters.
func splitFields(msg string) []string {
	var out []string
	for i := 0; i < len(msg); {
		if isSpace(msg[i]) {
			i++
			continue
		}
		switch msg[i] {
		case '"':
			j := strings.IndexByte(msg[i+1:], '"')
			if j >= 0 {
				out = append(out, msg[i+1:i+1+j])
				i += j + 2
				continue
			}
		case '[':
			depth, j := 0, i
			for ; j < len(msg); j++ {
				if msg[j] == '[' {
					depth++
				} else if msg[j] == ']' {
					if depth--; depth == 0 {
						break
					}
				}
			}
			if j < len(msg) {
				out = append(out, msg[i+1:j])
				i = j + 1
				continue
			}
		}
		j := i
		for j < len(msg) && !isSpace(msg[j]) {
			j++
		}
		out = append(out, msg[i:j])
		i = j
	}
	return out
}
