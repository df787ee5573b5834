package events

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/netip"
	"sort"
	"strings"
)

// PatternError is an event pattern that is not valid; its text is AWS's
// InvalidEventPatternException message.
type PatternError struct{ Reason string }

func (e *PatternError) Error() string { return "Event pattern is not valid. Reason: " + e.Reason }

func patternErr(format string, a ...any) error {
	return &PatternError{Reason: fmt.Sprintf(format, a...)}
}

// Pattern is a compiled event pattern: EventBridge's content filtering over an event's
// JSON (the envelope with its detail).
type Pattern struct {
	root *objFilter
}

// objFilter matches a JSON object: every field filter, and one alternative of every
// $or, must match.
type objFilter struct {
	fields []fieldFilter
	ors    [][]*objFilter
}

// fieldFilter matches one member: either a nested object or a list of leaf matchers
// (any of which may match any of the member's values).
type fieldFilter struct {
	name     string
	obj      *objFilter
	matchers []matcher
}

// matcher is one element of a leaf array.
type matcher interface {
	// value reports whether a present scalar value (string, json.Number, bool, nil)
	// matches.
	value(v any) bool
	// absent reports whether the member being absent matches.
	absent() bool
}

// maxPatternDepth bounds nesting, so no pattern can exhaust the stack.
const maxPatternDepth = 64

// CompilePattern parses and checks an event pattern.
func CompilePattern(text string) (*Pattern, error) {
	v, err := decodeJSON([]byte(text))
	if err != nil {
		return nil, patternErr("%s", jsonReason(err))
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, patternErr("Filter is not an object")
	}
	if len(obj) == 0 {
		return nil, patternErr("Empty event pattern is not allowed")
	}
	root, err := compileObject(obj, 0)
	if err != nil {
		return nil, err
	}
	return &Pattern{root: root}, nil
}

func jsonReason(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("Invalid JSON at offset %d: %s", se.Offset, se.Error())
	}
	return "Invalid JSON: " + err.Error()
}

// decodeJSON decodes one JSON value with numbers kept as json.Number.
func decodeJSON(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("unexpected content after the JSON value")
	}
	return v, nil
}

func compileObject(obj map[string]any, depth int) (*objFilter, error) {
	if depth > maxPatternDepth {
		return nil, patternErr("Pattern is nested too deeply")
	}
	f := &objFilter{}
	names := make([]string, 0, len(obj))
	for k := range obj {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, name := range names {
		v := obj[name]
		if name == "$or" {
			alts, ok := v.([]any)
			if !ok || len(alts) < 2 {
				return nil, patternErr("\"$or\" must be an array of at least two objects")
			}
			var or []*objFilter
			for _, a := range alts {
				o, ok := a.(map[string]any)
				if !ok || len(o) == 0 {
					return nil, patternErr("\"$or\" must be an array of at least two objects")
				}
				c, err := compileObject(o, depth+1)
				if err != nil {
					return nil, err
				}
				or = append(or, c)
			}
			f.ors = append(f.ors, or)
			continue
		}
		switch x := v.(type) {
		case map[string]any:
			if len(x) == 0 {
				return nil, patternErr("Empty objects are not allowed")
			}
			c, err := compileObject(x, depth+1)
			if err != nil {
				return nil, err
			}
			f.fields = append(f.fields, fieldFilter{name: name, obj: c})
		case []any:
			if len(x) == 0 {
				return nil, patternErr("Empty arrays are not allowed")
			}
			var ms []matcher
			for _, el := range x {
				m, err := compileMatcher(name, el)
				if err != nil {
					return nil, err
				}
				ms = append(ms, m)
			}
			f.fields = append(f.fields, fieldFilter{name: name, matchers: ms})
		default:
			return nil, patternErr("\"%s\" must be an object or an array", name)
		}
	}
	return f, nil
}

func compileMatcher(field string, el any) (matcher, error) {
	switch x := el.(type) {
	case map[string]any:
		if len(x) != 1 {
			return nil, patternErr("Only one key allowed in match expression for \"%s\"", field)
		}
		for k, v := range x {
			return compileRule(k, v)
		}
	case []any:
		return nil, patternErr("Match value must be String, number, true, false, or null")
	case json.Number:
		f, err := x.Float64()
		if err != nil {
			return nil, patternErr("Value %s is not a valid number", x)
		}
		return exactNumber(f), nil
	}
	return exactValue{el}, nil
}

func compileRule(kind string, v any) (matcher, error) {
	switch kind {
	case "prefix", "suffix":
		s, fold, err := stringOrIgnoreCase(kind, v)
		if err != nil {
			return nil, err
		}
		return affix{suffix: kind == "suffix", s: s, fold: fold}, nil
	case "equals-ignore-case":
		s, ok := v.(string)
		if !ok {
			return nil, patternErr("equals-ignore-case match pattern must be a string")
		}
		return ignoreCase(s), nil
	case "anything-but":
		return compileAnythingBut(v)
	case "numeric":
		return compileNumeric(v)
	case "exists":
		b, ok := v.(bool)
		if !ok {
			return nil, patternErr("exists match pattern must be either true or false.")
		}
		return exists(b), nil
	case "cidr":
		s, ok := v.(string)
		if !ok {
			return nil, patternErr("prefix match pattern must be a string")
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, patternErr("Nonstandard IP address: %s", s)
		}
		return cidr{p.Masked()}, nil
	case "wildcard":
		s, ok := v.(string)
		if !ok {
			return nil, patternErr("wildcard match pattern must be a string")
		}
		w, err := compileWildcard(s)
		if err != nil {
			return nil, err
		}
		return w, nil
	}
	return nil, patternErr("Unrecognized match type %s", kind)
}

// stringOrIgnoreCase reads the value of prefix or suffix: a string, or
// {"equals-ignore-case": string}.
func stringOrIgnoreCase(kind string, v any) (string, bool, error) {
	switch x := v.(type) {
	case string:
		return x, false, nil
	case map[string]any:
		if s, ok := x["equals-ignore-case"].(string); ok && len(x) == 1 {
			return s, true, nil
		}
	}
	return "", false, patternErr("%s match pattern must be a string", kind)
}

func compileAnythingBut(v any) (matcher, error) {
	var inner []matcher
	add := func(el any) error {
		switch x := el.(type) {
		case string:
			inner = append(inner, exactValue{x})
		case json.Number:
			f, err := x.Float64()
			if err != nil {
				return patternErr("Value %s is not a valid number", x)
			}
			inner = append(inner, exactNumber(f))
		default:
			return patternErr("Inside anything but list, start|null|boolean is not supported.")
		}
		return nil
	}
	switch x := v.(type) {
	case []any:
		if len(x) == 0 {
			return nil, patternErr("Empty arrays are not allowed")
		}
		for _, el := range x {
			if err := add(el); err != nil {
				return nil, err
			}
		}
	case map[string]any:
		if len(x) != 1 {
			return nil, patternErr("Only one key allowed in match expression for anything-but")
		}
		for k, val := range x {
			switch k {
			case "prefix", "suffix":
				s, fold, err := stringOrIgnoreCase(k, val)
				if err != nil {
					return nil, err
				}
				inner = append(inner, affix{suffix: k == "suffix", s: s, fold: fold})
			case "equals-ignore-case":
				vals, ok := val.([]any)
				if !ok {
					vals = []any{val}
				}
				for _, el := range vals {
					s, ok := el.(string)
					if !ok {
						return nil, patternErr("Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.")
					}
					inner = append(inner, ignoreCase(s))
				}
			case "wildcard":
				vals, ok := val.([]any)
				if !ok {
					vals = []any{val}
				}
				for _, el := range vals {
					s, ok := el.(string)
					if !ok {
						return nil, patternErr("wildcard match pattern must be a string")
					}
					w, err := compileWildcard(s)
					if err != nil {
						return nil, err
					}
					inner = append(inner, w)
				}
			default:
				return nil, patternErr("Unsupported anything-but pattern: %s", k)
			}
		}
	default:
		if err := add(x); err != nil {
			return nil, err
		}
	}
	return anythingBut(inner), nil
}

// numeric bounds, as AWS accepts them.
const maxNumeric = 5e9

func compileNumeric(v any) (matcher, error) {
	arr, ok := v.([]any)
	if !ok || len(arr) == 0 || len(arr)%2 != 0 || len(arr) > 4 {
		return nil, patternErr("Value of numeric must be an array.")
	}
	n := numeric{lo: math.Inf(-1), hi: math.Inf(1)}
	for i := 0; i < len(arr); i += 2 {
		op, ok := arr[i].(string)
		if !ok {
			return nil, patternErr("Unrecognized numeric range operator: %v", arr[i])
		}
		num, ok := arr[i+1].(json.Number)
		if !ok {
			return nil, patternErr("Value of %s must be numeric", op)
		}
		f, err := num.Float64()
		if err != nil || f < -maxNumeric || f > maxNumeric {
			return nil, patternErr("Value of %s must be numeric between -5.0E9 and 5.0E9", op)
		}
		// Two pairs are a range: a lower bound first, then an upper bound.
		lower, upper := op == ">" || op == ">=", op == "<" || op == "<="
		switch {
		case op == "=" && len(arr) == 2:
			n.lo, n.hi = f, f
		case lower && i == 0:
			n.lo, n.loOpen = f, op == ">"
		case upper && (i == 2 || len(arr) == 2):
			n.hi, n.hiOpen = f, op == "<"
		case op == "=" || lower || upper:
			return nil, patternErr("Bad numeric range operator: %s", op)
		default:
			return nil, patternErr("Unrecognized numeric range operator: %s", op)
		}
	}
	if n.lo > n.hi {
		return nil, patternErr("Bottom must be less than top")
	}
	return n, nil
}

// Match reports whether the event (its JSON) matches the pattern.
func (p *Pattern) Match(event []byte) (bool, error) {
	v, err := decodeJSON(event)
	if err != nil {
		return false, err
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return false, errors.New("an event is a JSON object")
	}
	return p.MatchValue(obj), nil
}

// MatchValue matches an event already decoded with numbers as json.Number.
func (p *Pattern) MatchValue(event map[string]any) bool {
	return p.root.match(event)
}

func (f *objFilter) match(obj map[string]any) bool {
	for i := range f.fields {
		if !f.fields[i].match(obj) {
			return false
		}
	}
	for _, alts := range f.ors {
		ok := false
		for _, a := range alts {
			if a.match(obj) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

func (ff *fieldFilter) match(obj map[string]any) bool {
	v, present := obj[ff.name]
	if ff.obj != nil {
		switch x := v.(type) {
		case map[string]any:
			return ff.obj.match(x)
		case []any: // an array of objects: any element may match
			for _, el := range x {
				if o, ok := el.(map[string]any); ok && ff.obj.match(o) {
					return true
				}
			}
		}
		// A nested filter of only exists:false matches an absent object.
		if !present {
			return ff.obj.match(map[string]any{})
		}
		return false
	}
	var values []any
	if arr, ok := v.([]any); ok {
		values = arr
	} else if present {
		values = []any{v}
	}
	if len(values) == 0 {
		for _, m := range ff.matchers {
			if m.absent() {
				return true
			}
		}
		return false
	}
	for _, m := range ff.matchers {
		for _, val := range values {
			if m.value(val) {
				return true
			}
		}
	}
	return false
}

func isScalar(v any) bool {
	switch v.(type) {
	case map[string]any, []any:
		return false
	}
	return true
}

type exactValue struct{ v any } // a string, bool or nil

func (m exactValue) value(v any) bool { return v == m.v }
func (exactValue) absent() bool       { return false }

type exactNumber float64

func (m exactNumber) value(v any) bool {
	n, ok := v.(json.Number)
	if !ok {
		return false
	}
	f, err := n.Float64()
	return err == nil && f == float64(m)
}
func (exactNumber) absent() bool { return false }

type affix struct {
	suffix bool
	s      string
	fold   bool
}

func (m affix) value(v any) bool {
	s, ok := v.(string)
	if !ok || len(s) < len(m.s) {
		return false
	}
	part := s[:len(m.s)]
	if m.suffix {
		part = s[len(s)-len(m.s):]
	}
	if m.fold {
		return strings.EqualFold(part, m.s)
	}
	return part == m.s
}
func (affix) absent() bool { return false }

type ignoreCase string

func (m ignoreCase) value(v any) bool {
	s, ok := v.(string)
	return ok && strings.EqualFold(s, string(m))
}
func (ignoreCase) absent() bool { return false }

type anythingBut []matcher

func (m anythingBut) value(v any) bool {
	if !isScalar(v) {
		return false
	}
	for _, in := range m {
		if in.value(v) {
			return false
		}
	}
	return true
}
func (anythingBut) absent() bool { return false }

type numeric struct {
	lo, hi         float64
	loOpen, hiOpen bool
}

func (m numeric) value(v any) bool {
	n, ok := v.(json.Number)
	if !ok {
		return false
	}
	f, err := n.Float64()
	if err != nil {
		return false
	}
	if f < m.lo || m.loOpen && f == m.lo {
		return false
	}
	if f > m.hi || m.hiOpen && f == m.hi {
		return false
	}
	return true
}
func (numeric) absent() bool { return false }

type exists bool

func (m exists) value(v any) bool { return bool(m) && isScalar(v) }
func (m exists) absent() bool     { return !bool(m) }

type cidr struct{ p netip.Prefix }

func (m cidr) value(v any) bool {
	s, ok := v.(string)
	if !ok {
		return false
	}
	a, err := netip.ParseAddr(s)
	return err == nil && m.p.Contains(a)
}
func (cidr) absent() bool { return false }

// wildcard is a "wildcard" pattern: literal parts separated by "*".
type wildcard []string

func compileWildcard(s string) (wildcard, error) {
	var parts []string
	var cur strings.Builder
	prevStar := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\\':
			if i+1 >= len(s) || (s[i+1] != '*' && s[i+1] != '\\') {
				return nil, patternErr("Invalid escape character at pos %d", i)
			}
			i++
			cur.WriteByte(s[i])
			prevStar = false
		case '*':
			if prevStar {
				return nil, patternErr("Consecutive wildcard characters at pos %d", i)
			}
			parts = append(parts, cur.String())
			cur.Reset()
			prevStar = true
		default:
			cur.WriteByte(c)
			prevStar = false
		}
	}
	return append(parts, cur.String()), nil
}

func (w wildcard) value(v any) bool {
	s, ok := v.(string)
	return ok && w.matchString(s)
}
func (wildcard) absent() bool { return false }

// matchString matches s against the parts: the first is a prefix, the last a suffix,
// the middle ones appear in order (leftmost match is enough for "*" patterns).
func (w wildcard) matchString(s string) bool {
	if len(w) == 1 {
		return s == w[0]
	}
	first, last := w[0], w[len(w)-1]
	if len(s) < len(first)+len(last) || !strings.HasPrefix(s, first) || !strings.HasSuffix(s, last) {
		return false
	}
	mid := s[len(first) : len(s)-len(last)]
	for _, p := range w[1 : len(w)-1] {
		i := strings.Index(mid, p)
		if i < 0 {
			return false
		}
		mid = mid[i+len(p):]
	}
	return true
}
