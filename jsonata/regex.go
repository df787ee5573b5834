package jsonata

import (
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/stepwise-dev/stepwise/jsonv"
)

// Regular expressions are written in JavaScript syntax and run on Go's regexp (RE2).
// translateRegex rewrites the syntax that differs; what RE2 cannot do at all
// (lookahead, lookbehind, backreferences) is rejected at compile time with S0303.

type regexLiteral struct {
	source  string
	flags   string
	re      *regexp.Regexp
	anchors bool // uses ^ or \b, which depend on the text before a match
	matcher *regexMatcher
}

// regexMatcher is the function value a regex literal evaluates to.
type regexMatcher struct {
	lit *regexLiteral
}

// jsSpace is JavaScript's \s.
const jsSpace = `\t\n\x{0B}\f\r \x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}\x{FEFF}`

func compileRegex(pattern, flags string) (*regexLiteral, *Error) {
	tr, ok := translateRegex(pattern)
	if !ok {
		e := errValue("S0303", pattern)
		return nil, e
	}
	prefix := ""
	if strings.Contains(flags, "i") {
		prefix += "i"
	}
	if strings.Contains(flags, "m") {
		prefix += "m"
	}
	if prefix != "" {
		tr = "(?" + prefix + ")" + tr
	}
	re, err := regexp.Compile(tr)
	if err != nil {
		return nil, errValue("S0303", pattern)
	}
	lit := &regexLiteral{source: pattern, flags: flags, re: re,
		anchors: strings.ContainsAny(pattern, "^") || strings.Contains(pattern, `\b`) || strings.Contains(pattern, `\B`)}
	lit.matcher = &regexMatcher{lit: lit}
	return lit, nil
}

// translateRegex converts JavaScript regex syntax to RE2 syntax.
func translateRegex(p string) (string, bool) {
	var b strings.Builder
	rs := []rune(p)
	inClass := false
	for i := 0; i < len(rs); i++ {
		c := rs[i]
		switch {
		case c == '\\':
			if i+1 >= len(rs) {
				return "", false
			}
			i++
			e := rs[i]
			switch e {
			case 'd', 'D', 'w', 'W', 't', 'n', 'r', 'f', 'v':
				if e == 'v' {
					b.WriteString(`\x{0B}`)
				} else {
					b.WriteRune('\\')
					b.WriteRune(e)
				}
			case 'b', 'B':
				if inClass {
					if e == 'b' {
						b.WriteString(`\x{08}`)
					} else {
						b.WriteString("B")
					}
				} else {
					b.WriteRune('\\')
					b.WriteRune(e)
				}
			case 's':
				if inClass {
					b.WriteString(jsSpace)
				} else {
					b.WriteString("[" + jsSpace + "]")
				}
			case 'S':
				if inClass {
					b.WriteString(`\S`)
				} else {
					b.WriteString("[^" + jsSpace + "]")
				}
			case '0':
				b.WriteString(`\x{0}`)
			case 'x':
				if i+2 < len(rs) && isHex(rs[i+1]) && isHex(rs[i+2]) {
					b.WriteString(`\x{` + string(rs[i+1:i+3]) + `}`)
					i += 2
				} else {
					b.WriteString("x")
				}
			case 'u':
				if i+1 < len(rs) && rs[i+1] == '{' {
					end := i + 2
					for end < len(rs) && rs[end] != '}' {
						end++
					}
					if end >= len(rs) {
						return "", false
					}
					b.WriteString(`\x{` + string(rs[i+2:end]) + `}`)
					i = end
				} else if code, ok := hex4(rs, i+1); ok {
					b.WriteString(`\x{` + strconv.FormatInt(int64(code), 16) + `}`)
					i += 4
				} else {
					b.WriteString("u")
				}
			case 'c':
				if i+1 < len(rs) && (rs[i+1] >= 'a' && rs[i+1] <= 'z' || rs[i+1] >= 'A' && rs[i+1] <= 'Z') {
					b.WriteString(`\x{` + strconv.FormatInt(int64(rs[i+1]%32), 16) + `}`)
					i++
				} else {
					b.WriteString(`\\c`)
				}
			case 'p', 'P':
				// Unicode property escapes (JavaScript's u flag) have the same form in RE2
				b.WriteRune('\\')
				b.WriteRune(e)
			case 'k':
				return "", false
			default:
				if e >= '1' && e <= '9' {
					// backreferences are not supported by RE2
					return "", false
				}
				b.WriteString(regexp.QuoteMeta(string(e)))
			}
		case inClass:
			if c == ']' {
				inClass = false
			}
			if c == '[' {
				b.WriteString(`\[`)
				continue
			}
			b.WriteRune(c)
		case c == '[':
			if i+2 < len(rs)+1 && i+1 < len(rs) && rs[i+1] == ']' {
				b.WriteString(`[^\x{0}-\x{10FFFF}]`)
				i++
				continue
			}
			if i+2 < len(rs) && rs[i+1] == '^' && rs[i+2] == ']' {
				b.WriteString(`[\x{0}-\x{10FFFF}]`)
				i += 2
				continue
			}
			inClass = true
			b.WriteRune(c)
			if i+1 < len(rs) && rs[i+1] == '^' {
				b.WriteRune('^')
				i++
			}
		case c == '(' && i+2 < len(rs) && rs[i+1] == '?':
			switch rs[i+2] {
			case ':':
				b.WriteString("(?:")
				i += 2
			case '<':
				if i+3 < len(rs) && (rs[i+3] == '=' || rs[i+3] == '!') {
					return "", false
				}
				b.WriteString("(?P<")
				i += 2
			default:
				// lookahead (?= (?! and anything else
				return "", false
			}
		case c == '.':
			b.WriteString(`[^\n\r\x{2028}\x{2029}]`)
		default:
			b.WriteRune(c)
		}
	}
	return b.String(), true
}

func isHex(c rune) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// regexMatch is one match, with byte offsets into the string.
type regexMatch struct {
	start, end int
	match      string
	groups     []any // strings, or undefined for groups that did not take part
}

// matchIter runs a matcher over a string the way jsonata-js does: each next match is
// searched for from the end of the previous one, and a further match of the empty
// string is an error (D1004) because it would never progress.
type matchIter struct {
	ev      *evaluator
	str     string
	lit     *regexLiteral
	all     [][]int // all matches, for patterns whose anchors need the whole string
	fn      any     // a matcher function other than a regex
	nextFn  any
	started bool
	done    bool
}

func (ev *evaluator) newMatchIter(matcher any, str string) *matchIter {
	it := &matchIter{ev: ev, str: str}
	if m, ok := matcher.(*regexMatcher); ok {
		it.lit = m.lit
		if m.lit.anchors {
			it.all = m.lit.re.FindAllStringSubmatchIndex(str, -1)
		}
	} else {
		it.fn = matcher
	}
	return it
}

func (lit *regexLiteral) execAt(str string, from int, all [][]int) []int {
	if from > len(str) {
		return nil
	}
	if lit.anchors {
		for _, m := range all {
			if m[0] >= from {
				return m
			}
		}
		return nil
	}
	loc := lit.re.FindStringSubmatchIndex(str[from:])
	if loc == nil {
		return nil
	}
	for i := range loc {
		if loc[i] >= 0 {
			loc[i] += from
		}
	}
	return loc
}

func (lit *regexLiteral) toMatch(str string, loc []int) *regexMatch {
	m := &regexMatch{start: loc[0], end: loc[1], match: str[loc[0]:loc[1]]}
	for g := 1; g < len(loc)/2; g++ {
		if loc[2*g] < 0 {
			m.groups = append(m.groups, undefined)
		} else {
			m.groups = append(m.groups, str[loc[2*g]:loc[2*g+1]])
		}
	}
	return m
}

// next returns the next match, or nil at the end.
func (it *matchIter) next() (*regexMatch, error) {
	if it.done {
		return nil, nil
	}
	if err := it.ev.tick(); err != nil {
		return nil, err
	}
	if it.lit != nil {
		return it.nextRegex()
	}
	var res any
	var err error
	if !it.started {
		it.started = true
		res, err = it.ev.apply(it.fn, []any{it.str}, nil, it.ev.root)
	} else {
		if !isFunction(it.nextFn) {
			it.done = true
			return nil, nil
		}
		res, err = it.ev.apply(it.nextFn, nil, nil, it.ev.root)
	}
	if err != nil {
		return nil, err
	}
	if isUndef(res) {
		it.done = true
		return nil, nil
	}
	o, ok := res.(*jsonv.Object)
	if !ok {
		return nil, newError("T1010")
	}
	start, okStart := o.Get("start")
	_, isNum := start.(float64)
	groups, _ := o.Get("groups")
	next, _ := o.Get("next")
	if !(okStart && isNum) && !isArray(groups) && !isFunction(next) {
		return nil, newError("T1010")
	}
	it.nextFn = next
	m := &regexMatch{}
	if s, ok := o.Get("match"); ok {
		m.match, _ = s.(string)
	}
	sf, _ := start.(float64)
	m.start = byteIndex(it.str, int(sf))
	m.end = m.start + len(m.match)
	if gv, ok := items(groups); ok {
		m.groups = gv
	}
	return m, nil
}

func (it *matchIter) nextRegex() (*regexMatch, error) {
	if !it.started {
		it.started = true
		loc := it.lit.execAt(it.str, 0, it.all)
		if loc == nil {
			it.done = true
			return nil, nil
		}
		m := it.lit.toMatch(it.str, loc)
		it.nextFn = m
		return m, nil
	}
	prev := it.nextFn.(*regexMatch)
	if prev.end >= len(it.str) {
		it.done = true
		return nil, nil
	}
	loc := it.lit.execAt(it.str, prev.end, it.all)
	if loc == nil {
		it.done = true
		return nil, nil
	}
	if loc[0] == loc[1] {
		e := errValue("D1004", it.lit.source)
		return nil, e
	}
	m := it.lit.toMatch(it.str, loc)
	it.nextFn = m
	return m, nil
}

// utf16Index converts a byte offset in s to a UTF-16 offset, as JavaScript reports.
func utf16Index(s string, off int) int {
	n := 0
	for i, r := range s {
		if i >= off {
			break
		}
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

// byteIndex converts a UTF-16 offset in s to a byte offset.
func byteIndex(s string, u int) int {
	n := 0
	for i, r := range s {
		if n >= u {
			return i
		}
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return len(s)
}

// call makes a regex usable as a function: /re/(str) returns the first match as an
// object with a next() function, as in jsonata-js.
func (m *regexMatcher) call(ev *evaluator, args []any) (any, error) {
	str, ok := arg(args, 0).(string)
	if !ok {
		return undefined, nil
	}
	from := 0
	if f, ok := arg(args, 1).(float64); ok && f > 0 {
		from = byteIndex(str, int(f))
	}
	var all [][]int
	if m.lit.anchors {
		all = m.lit.re.FindAllStringSubmatchIndex(str, -1)
	}
	loc := m.lit.execAt(str, from, all)
	if loc == nil {
		return undefined, nil
	}
	return m.matchObject(str, m.lit.toMatch(str, loc), all), nil
}

func (m *regexMatcher) matchObject(str string, rm *regexMatch, all [][]int) any {
	o := jsonv.NewObject(5)
	o.Set("match", rm.match)
	o.Set("start", float64(utf16Index(str, rm.start)))
	o.Set("end", float64(utf16Index(str, rm.end)))
	groups := make([]any, len(rm.groups))
	copy(groups, rm.groups)
	o.Set("groups", groups)
	o.Set("next", &builtin{name: "next", arity: 0, fn: func(ev *evaluator, c callCtx, args []any) (any, error) {
		if rm.end >= len(str) {
			return undefined, nil
		}
		loc := m.lit.execAt(str, rm.end, all)
		if loc == nil {
			return undefined, nil
		}
		if loc[0] == loc[1] {
			return nil, errValue("D1004", m.lit.source)
		}
		return m.matchObject(str, m.lit.toMatch(str, loc), all), nil
	}})
	return o
}

func (m *regexMatcher) asBuiltin() *builtin {
	return &builtin{name: "", arity: 2, nparams: 2, fn: func(ev *evaluator, c callCtx, args []any) (any, error) {
		return m.call(ev, args)
	}}
}

func fnMatch(ev *evaluator, c callCtx, args []any) (any, error) {
	str, ok := args[0].(string)
	if !ok {
		return undefined, nil
	}
	limit, hasLimit := arg(args, 2).(float64)
	if hasLimit && limit < 0 {
		e := errValue("D3040", limit)
		e.index = 3
		return nil, e
	}
	result := newSeq(0)
	if hasLimit && limit == 0 {
		return result, nil
	}
	it := ev.newMatchIter(args[1], str)
	m, err := it.next()
	if err != nil {
		return nil, err
	}
	count := 0.0
	for m != nil && (!hasLimit || count < limit) {
		o := jsonv.NewObject(3)
		o.Set("match", m.match)
		o.Set("index", float64(utf16Index(str, m.start)))
		groups := make([]any, len(m.groups))
		copy(groups, m.groups)
		o.Set("groups", groups)
		result.vals = append(result.vals, o)
		if m, err = it.next(); err != nil {
			return nil, err
		}
		count++
	}
	return result, nil
}

func fnContains(ev *evaluator, c callCtx, args []any) (any, error) {
	str, ok := args[0].(string)
	token := arg(args, 1)
	if !ok || isUndef(token) {
		return undefined, nil
	}
	if t, ok := token.(string); ok {
		return strings.Contains(str, t), nil
	}
	it := ev.newMatchIter(token, str)
	m, err := it.next()
	if err != nil {
		return nil, err
	}
	return m != nil, nil
}

func fnReplace(ev *evaluator, c callCtx, args []any) (any, error) {
	str, ok := args[0].(string)
	if !ok {
		return undefined, nil
	}
	pattern := arg(args, 1)
	replacement := arg(args, 2)
	if p, ok := pattern.(string); ok && p == "" {
		e := errValue("D3010", p)
		e.index = 2
		return nil, e
	}
	limit, hasLimit := arg(args, 3).(float64)
	if hasLimit && limit < 0 {
		e := errValue("D3011", limit)
		e.index = 4
		return nil, e
	}
	if hasLimit && limit == 0 {
		return str, nil
	}
	if p, ok := pattern.(string); ok {
		rep, _ := replacement.(string)
		var b strings.Builder
		pos := 0
		count := 0.0
		for !hasLimit || count < limit {
			if err := ev.tick(); err != nil {
				return nil, err
			}
			i := strings.Index(str[pos:], p)
			if i < 0 {
				break
			}
			b.WriteString(str[pos : pos+i])
			b.WriteString(rep)
			if b.Len() > maxStringLength {
				return nil, errTooLarge()
			}
			pos += i + len(p)
			count++
		}
		b.WriteString(str[pos:])
		return b.String(), nil
	}
	it := ev.newMatchIter(pattern, str)
	m, err := it.next()
	if err != nil {
		return nil, err
	}
	if m == nil {
		return str, nil
	}
	var b strings.Builder
	pos := 0
	count := 0.0
	for m != nil && (!hasLimit || count < limit) {
		if m.start > pos {
			b.WriteString(str[pos:min(m.start, len(str))])
		}
		var sub any
		if rep, ok := replacement.(string); ok {
			sub = expandReplacement(rep, m)
		} else {
			o := jsonv.NewObject(4)
			o.Set("match", m.match)
			o.Set("start", float64(utf16Index(str, m.start)))
			o.Set("end", float64(utf16Index(str, m.end)))
			o.Set("groups", append([]any(nil), m.groups...))
			if sub, err = ev.apply(replacement, []any{o}, nil, c.env); err != nil {
				return nil, err
			}
		}
		s, ok := sub.(string)
		if !ok {
			return nil, errValue("D3012", sub)
		}
		b.WriteString(s)
		if b.Len() > maxStringLength {
			return nil, errTooLarge()
		}
		pos = m.start + len(m.match)
		count++
		if m, err = it.next(); err != nil {
			return nil, err
		}
	}
	if pos < len(str) {
		b.WriteString(str[pos:])
	}
	return b.String(), nil
}

// expandReplacement substitutes $0, $1... and $$ in a replacement string.
func expandReplacement(rep string, m *regexMatch) string {
	var b strings.Builder
	pos := 0
	index := strings.IndexByte(rep, '$')
	for index != -1 && pos < len(rep) {
		b.WriteString(rep[pos:index])
		pos = index + 1
		var dollar byte
		if pos < len(rep) {
			dollar = rep[pos]
		}
		switch {
		case dollar == '$':
			b.WriteByte('$')
			pos++
		case dollar == '0':
			b.WriteString(m.match)
			pos++
		default:
			maxDigits := 1
			if len(m.groups) > 0 {
				maxDigits = int(math.Floor(math.Log10(float64(len(m.groups))))) + 1
			}
			n, ok := parseLeadingInt(rep[pos:min(pos+maxDigits, len(rep))])
			if maxDigits > 1 && n > len(m.groups) {
				n, ok = parseLeadingInt(rep[pos:min(pos+maxDigits-1, len(rep))])
			}
			if ok {
				if len(m.groups) > 0 && n >= 1 && n <= len(m.groups) {
					if s, ok := m.groups[n-1].(string); ok {
						b.WriteString(s)
					}
				}
				pos += len(strconv.Itoa(n))
			} else {
				b.WriteByte('$')
			}
		}
		index = strings.IndexByte(rep[pos:], '$')
		if index >= 0 {
			index += pos
		}
	}
	if pos < len(rep) {
		b.WriteString(rep[pos:])
	}
	return b.String()
}

// parseLeadingInt is parseInt(s, 10): the leading decimal digits.
func parseLeadingInt(s string) (int, bool) {
	n, i := 0, 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		n = n*10 + int(s[i]-'0')
		i++
	}
	return n, i > 0
}

func fnSplit(ev *evaluator, c callCtx, args []any) (any, error) {
	str, ok := args[0].(string)
	if !ok {
		return undefined, nil
	}
	sep := arg(args, 1)
	limitF, hasLimit := arg(args, 2).(float64)
	if hasLimit && limitF < 0 {
		e := errValue("D3020", limitF)
		e.index = 3
		return nil, e
	}
	limit := -1
	if hasLimit {
		limit = 0 // a NaN limit is 0, as JavaScript's ToUint32 makes it
		if limitF == limitF {
			limit = int(math.Min(limitF, 1<<31))
		}
	}
	result := []any{}
	if limit == 0 {
		return result, nil
	}
	if s, ok := sep.(string); ok {
		var parts []string
		if s == "" {
			for _, r := range str {
				parts = append(parts, string(r))
			}
		} else {
			parts = strings.Split(str, s)
		}
		if len(parts) > maxSequence {
			return nil, errSequence()
		}
		for _, p := range parts {
			if limit >= 0 && len(result) >= limit {
				break
			}
			result = append(result, p)
		}
		return result, nil
	}
	it := ev.newMatchIter(sep, str)
	m, err := it.next()
	if err != nil {
		return nil, err
	}
	if m == nil {
		return append(result, str), nil
	}
	start := 0
	count := 0
	for m != nil && (limit < 0 || count < limit) {
		if len(result) >= maxSequence {
			return nil, errSequence()
		}
		result = append(result, str[min(start, len(str)):max(min(m.start, len(str)), min(start, len(str)))])
		start = m.end
		if m, err = it.next(); err != nil {
			return nil, err
		}
		count++
	}
	if limit < 0 || count < limit {
		result = append(result, str[min(start, len(str)):])
	}
	return result, nil
}
