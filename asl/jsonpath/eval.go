package jsonpath

import (
	"math"
	"strconv"
	"strings"

	"github.com/stepwise-dev/stepwise/jsonv"
)

// jaywayProvider is the JSON provider class Jayway names in its "not a json object" message.
const jaywayProvider = "com.jayway.jsonpath.spi.json.JacksonJsonProvider"

// getDefinite evaluates a definite path and fails with the message Jayway raises for it.
func (p *Path) getDefinite(doc any) (any, error) {
	cur := doc
	var at strings.Builder // the canonical path walked so far
	at.WriteByte('$')
	n := len(p.toks)
	for i := 0; i < n; i++ {
		t := &p.toks[i]
		leaf := i == n-1
		switch t.kind {
		case tkField:
			o, ok := cur.(*jsonv.Object)
			if !ok {
				var frag strings.Builder
				t.appendFragment(&frag)
				return nil, &NotFoundError{Msg: "Expected to find an object with property " + frag.String() +
					" in path " + at.String() + " but found '" + JavaClass(cur) +
					"'. This is not a json object according to the JsonProvider: '" + jaywayProvider + "'."}
			}
			if len(t.names) > 1 {
				if !leaf {
					t.appendFragment(&at)
					return nil, &NotFoundError{Msg: "Multi properties can only be used as path leafs: " + at.String()}
				}
				return mergeFields(o, t.names), nil
			}
			v, ok := o.Get(t.names[0])
			if !ok {
				if leaf {
					return nil, &NotFoundError{Msg: "No results for path: " + p.Canonical()}
				}
				t.appendFragment(&at)
				return nil, &NotFoundError{Msg: "Missing property in path " + at.String()}
			}
			cur = v
			t.appendFragment(&at)
		case tkIndex:
			if cur == nil {
				return nil, &NotFoundError{Msg: "The path " + at.String() + " is null"}
			}
			a, ok := cur.([]any)
			if !ok {
				var rest strings.Builder
				for j := i; j < n; j++ {
					p.toks[j].appendFragment(&rest)
				}
				return nil, &NotFoundError{Msg: "Filter: " + rest.String() +
					" can only be applied to arrays. Current context is: " + JavaString(cur)}
			}
			ix := t.idx[0]
			t.appendFragment(&at)
			if ix < 0 {
				ix += len(a)
			}
			if ix < 0 || ix >= len(a) {
				return nil, &NotFoundError{Msg: "Index out of bounds when evaluating path " + at.String()}
			}
			cur = a[ix]
		case tkFunc:
			return callFunc(t, cur), nil
		}
	}
	return cur, nil
}

// lookup evaluates definite tokens without building messages, for filters.
func lookup(toks []token, cur any) (any, bool) {
	for i := range toks {
		t := &toks[i]
		switch t.kind {
		case tkField:
			o, ok := cur.(*jsonv.Object)
			if !ok {
				return nil, false
			}
			if len(t.names) > 1 {
				if i != len(toks)-1 {
					return nil, false
				}
				return mergeFields(o, t.names), true
			}
			v, ok := o.Get(t.names[0])
			if !ok {
				return nil, false
			}
			cur = v
		case tkIndex:
			a, ok := cur.([]any)
			if !ok {
				return nil, false
			}
			ix := t.idx[0]
			if ix < 0 {
				ix += len(a)
			}
			if ix < 0 || ix >= len(a) {
				return nil, false
			}
			cur = a[ix]
		case tkFunc:
			return callFunc(t, cur), true
		}
	}
	return cur, true
}

// mergeFields is Jayway's leaf field union: an object of the fields that are present.
func mergeFields(o *jsonv.Object, names []string) *jsonv.Object {
	m := jsonv.NewObject(len(names))
	for _, k := range names {
		if v, ok := o.Get(k); ok {
			m.Set(k, v)
		}
	}
	return m
}

type evaluator struct {
	root  any
	depth int
}

// walk appends every match of toks applied to cur. Jayway raises an exception where a
// definite prefix meets a missing field or a non-array; AWS then yields an empty list, which
// is what skipping gives, since a definite prefix has a single branch.
func (ev *evaluator) walk(toks []token, cur any, out *[]any) {
	if len(toks) == 0 {
		*out = append(*out, cur)
		return
	}
	t, rest := &toks[0], toks[1:]
	switch t.kind {
	case tkField:
		o, ok := cur.(*jsonv.Object)
		if !ok {
			return
		}
		if len(t.names) > 1 && len(rest) == 0 {
			*out = append(*out, mergeFields(o, t.names))
			return
		}
		for _, k := range t.names {
			if v, ok := o.Get(k); ok {
				ev.walk(rest, v, out)
			}
		}
	case tkIndex:
		a, ok := cur.([]any)
		if !ok {
			return
		}
		for _, ix := range t.idx {
			ev.index(rest, a, ix, out)
		}
	case tkSlice:
		a, ok := cur.([]any)
		if !ok {
			return
		}
		from, to := sliceBounds(t, len(a))
		for ix := from; ix < to; ix++ {
			ev.index(rest, a, ix, out)
		}
	case tkWildcard:
		switch c := cur.(type) {
		case *jsonv.Object:
			for _, v := range c.Values() {
				ev.walk(rest, v, out)
			}
		case []any:
			for _, v := range c {
				ev.walk(rest, v, out)
			}
		}
	case tkFilter:
		switch c := cur.(type) {
		case *jsonv.Object:
			if ev.accept(t.filter, c) {
				ev.walk(rest, c, out)
			}
		case []any:
			for _, v := range c {
				if ev.accept(t.filter, v) {
					ev.walk(rest, v, out)
				}
			}
		}
	case tkScan:
		ev.scan(rest, cur, out)
	case tkFunc:
		*out = append(*out, callFunc(t, cur))
	}
}

// index is Jayway's handleArrayIndex: negative indices count from the end, and an index out
// of range selects nothing.
func (ev *evaluator) index(rest []token, a []any, ix int, out *[]any) {
	if ix < 0 {
		ix += len(a)
	}
	if ix >= 0 && ix < len(a) {
		ev.walk(rest, a[ix], out)
	}
}

// sliceBounds reproduces Jayway's slice arithmetic, including its handling of a negative
// start in [a:b], which is not normalised and so also reaches elements from the end.
func sliceBounds(t *token, n int) (from, to int) {
	switch {
	case t.hasFrom && !t.hasTo:
		from = t.from
		if from < 0 {
			from += n
		}
		from = max(from, 0)
		if n == 0 || from >= n {
			return 0, 0
		}
		return from, n
	case !t.hasFrom:
		if n == 0 {
			return 0, 0
		}
		to = t.to
		if to < 0 {
			to += n
		}
		return 0, min(n, to)
	default:
		from, to = t.from, min(n, t.to)
		if from >= to || n == 0 {
			return 0, 0
		}
		return from, to
	}
}

// scan is Jayway's deep scan: at every object and array below cur, the token after ".."
// is tried on the node itself (when its kind suits the token), then the scan descends.
func (ev *evaluator) scan(rest []token, cur any, out *[]any) {
	ev.depth++
	defer func() { ev.depth-- }()
	if ev.depth > 1000 {
		return
	}
	pt := &rest[0]
	switch c := cur.(type) {
	case *jsonv.Object:
		if pt.kind != tkIndex && pt.kind != tkSlice && (pt.kind != tkFilter || ev.accept(pt.filter, c)) {
			ev.walk(rest, c, out)
		}
		for _, v := range c.Values() {
			ev.scan(rest, v, out)
		}
	case []any:
		matches := false
		switch pt.kind {
		case tkIndex, tkSlice, tkWildcard:
			matches = true
		case tkFilter:
			matches = ev.accept(pt.filter, c)
		}
		if matches {
			if len(rest) == 1 {
				ev.walk(rest, c, out)
			} else {
				// Jayway applies the token after pt to every element here, skipping pt.
				for _, v := range c {
					ev.walk(rest[1:], v, out)
				}
			}
		}
		for _, v := range c {
			ev.scan(rest, v, out)
		}
	}
}

// callFunc applies a trailing path function. Numeric functions read the numbers in an
// array and ignore other values; a function that does not apply yields null.
func callFunc(t *token, v any) any {
	switch t.fn {
	case "length", "size":
		switch c := v.(type) {
		case []any:
			return float64(len(c))
		case *jsonv.Object:
			return float64(c.Len())
		case string:
			return float64(len(utf16Units(c)))
		}
		return nil
	case "keys":
		if o, ok := v.(*jsonv.Object); ok {
			ks := make([]any, 0, o.Len())
			for _, k := range o.Keys() {
				ks = append(ks, k)
			}
			return ks
		}
		return nil
	case "first", "last":
		a, ok := v.([]any)
		if !ok || len(a) == 0 {
			return nil
		}
		if t.fn == "first" {
			return a[0]
		}
		return a[len(a)-1]
	}
	a, ok := v.([]any)
	if !ok {
		return nil
	}
	var nums []float64
	for _, e := range a {
		if f, ok := e.(float64); ok {
			nums = append(nums, f)
		}
	}
	if len(nums) == 0 {
		return nil
	}
	switch t.fn {
	case "min":
		m := nums[0]
		for _, f := range nums[1:] {
			m = math.Min(m, f)
		}
		return m
	case "max":
		m := nums[0]
		for _, f := range nums[1:] {
			m = math.Max(m, f)
		}
		return m
	}
	sum := 0.0
	for _, f := range nums {
		sum += f
	}
	switch t.fn {
	case "sum":
		return sum
	case "avg":
		return sum / float64(len(nums))
	}
	mean := sum / float64(len(nums))
	sq := 0.0
	for _, f := range nums {
		sq += (f - mean) * (f - mean)
	}
	return math.Sqrt(sq / float64(len(nums)))
}

func utf16Units(s string) []uint16 {
	var u []uint16
	for _, r := range s {
		if r >= 0x10000 {
			r -= 0x10000
			u = append(u, uint16(0xD800+(r>>10)), uint16(0xDC00+(r&0x3FF)))
			continue
		}
		u = append(u, uint16(r))
	}
	return u
}

// Filters.

// undefined marks a filter path that selects nothing; it equals nothing, not even itself.
type undefined struct{}

func (ev *evaluator) accept(e expr, item any) bool {
	switch x := e.(type) {
	case orExpr:
		return ev.accept(x.l, item) || ev.accept(x.r, item)
	case andExpr:
		return ev.accept(x.l, item) && ev.accept(x.r, item)
	case notExpr:
		return !ev.accept(x.x, item)
	case existsExpr:
		_, found := ev.value(x.v, item)
		return found
	case relExpr:
		return ev.relation(x, item)
	}
	return false
}

// value evaluates a filter operand; found is false when a path selects nothing.
func (ev *evaluator) value(o *operand, item any) (v any, found bool) {
	switch o.kind {
	case opLiteral:
		return o.lit, true
	case opRegex:
		return o.re, true
	}
	base := ev.root
	if o.relative {
		base = item
	}
	if o.definite {
		v, ok := lookup(o.toks, base)
		if !ok {
			return undefined{}, false
		}
		return v, true
	}
	out := []any{}
	sub := evaluator{root: ev.root, depth: ev.depth}
	toks := o.toks
	var fn *token
	if n := len(toks); n > 0 && toks[n-1].kind == tkFunc {
		fn, toks = &toks[n-1], toks[:n-1]
	}
	sub.walk(toks, base, &out)
	if fn != nil {
		return callFunc(fn, out), true
	}
	return out, true
}

func (ev *evaluator) relation(x relExpr, item any) bool {
	l, lok := ev.value(x.l, item)
	r, rok := ev.value(x.r, item)
	switch x.op {
	case "==":
		return lok && rok && filterEqual(l, r)
	case "!=":
		return !(lok && rok && filterEqual(l, r))
	case "<", "<=", ">", ">=":
		if !lok || !rok {
			return false
		}
		c, ok := compare(l, r)
		if !ok {
			return false
		}
		switch x.op {
		case "<":
			return c < 0
		case "<=":
			return c <= 0
		case ">":
			return c > 0
		}
		return c >= 0
	case "=~":
		return lok && rok && regexMatch(l, r)
	case "in", "nin":
		found := false
		if list, ok := r.([]any); ok && lok {
			for _, e := range list {
				if filterEqual(l, e) {
					found = true
					break
				}
			}
		}
		if x.op == "nin" {
			return rok && !found
		}
		return found
	case "contains":
		switch lv := l.(type) {
		case string:
			rs, ok := r.(string)
			return ok && strings.Contains(lv, rs)
		case []any:
			for _, e := range lv {
				if filterEqual(e, r) {
					return true
				}
			}
		}
		return false
	case "subsetof", "anyof", "noneof":
		ll, ok1 := l.([]any)
		rl, ok2 := r.([]any)
		if !ok1 || !ok2 {
			return false
		}
		in := func(v any) bool {
			for _, e := range rl {
				if filterEqual(v, e) {
					return true
				}
			}
			return false
		}
		switch x.op {
		case "subsetof":
			for _, e := range ll {
				if !in(e) {
					return false
				}
			}
			return true
		case "anyof":
			for _, e := range ll {
				if in(e) {
					return true
				}
			}
			return false
		}
		for _, e := range ll {
			if in(e) {
				return false
			}
		}
		return true
	case "size":
		f, ok := r.(float64)
		if !ok {
			return false
		}
		switch lv := l.(type) {
		case string:
			return float64(len(utf16Units(lv))) == math.Trunc(f)
		case []any:
			return float64(len(lv)) == math.Trunc(f)
		case *jsonv.Object:
			return float64(lv.Len()) == math.Trunc(f)
		}
		return false
	case "empty":
		b, ok := r.(bool)
		if !ok {
			return false
		}
		switch lv := l.(type) {
		case string:
			return (lv == "") == b
		case []any:
			return (len(lv) == 0) == b
		case *jsonv.Object:
			return (lv.Len() == 0) == b
		}
		return false
	}
	return false
}

// filterEqual is Jayway's value-node equality: a number and a string compare as numbers
// when the string parses as one; other kinds must match.
func filterEqual(a, b any) bool {
	switch x := a.(type) {
	case float64:
		switch y := b.(type) {
		case float64:
			return x == y
		case string:
			f, err := strconv.ParseFloat(strings.TrimSpace(y), 64)
			return err == nil && f == x
		}
		return false
	case string:
		switch y := b.(type) {
		case string:
			return x == y
		case float64:
			return x == JavaString(y)
		}
		return false
	case undefined:
		return false
	}
	if _, ok := b.(undefined); ok {
		return false
	}
	return jsonv.Equal(a, b)
}

func compare(a, b any) (int, bool) {
	switch x := a.(type) {
	case float64:
		if y, ok := b.(float64); ok {
			switch {
			case x < y:
				return -1, true
			case x > y:
				return 1, true
			}
			return 0, true
		}
	case string:
		if y, ok := b.(string); ok {
			return strings.Compare(x, y), true
		}
	}
	return 0, false
}

func regexMatch(l, r any) bool {
	type matcher interface{ MatchString(string) bool }
	lm, lIsRe := l.(matcher)
	rm, rIsRe := r.(matcher)
	if lIsRe == rIsRe {
		return false
	}
	m, in := lm, r
	if rIsRe {
		m, in = rm, l
	}
	switch v := in.(type) {
	case string:
		return m.MatchString(v)
	case float64:
		return m.MatchString(JavaString(v))
	case bool:
		return m.MatchString(strconv.FormatBool(v))
	}
	return m.MatchString("")
}
