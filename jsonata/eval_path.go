package jsonata

import (
	"math"
	"unicode/utf16"

	"github.com/stepwise-dev/stepwise/jsonv"
)

// stepResult is the sequence a path step produced, in one of three forms: a single
// item (the common case, kept without allocating), a list of items, or a whole value
// that jsonata-js keeps as is (an array that is the only result of the last step, or
// the value of an array constructor that starts the path).
type stepResult struct {
	kind  uint8
	one   any
	vals  []any
	value any
}

const (
	srVals uint8 = iota
	srOne
	srValue
)

func (r *stepResult) inputs() []any {
	switch r.kind {
	case srOne:
		return []any{r.one}
	case srVals:
		return r.vals
	}
	if s, ok := r.value.(string); ok {
		// a path whose first step yields a string iterates its characters, as
		// jsonata-js's loops over a JavaScript string do
		return stringUnits(s)
	}
	vals, _ := items(r.value)
	return vals
}

// stringUnits splits s into its UTF-16 code units, as indexing a JavaScript string does.
func stringUnits(s string) []any {
	var out []any
	for _, u := range utf16.Encode([]rune(s)) {
		out = append(out, runesToString([]rune{rune(u)}))
	}
	return out
}

// empty reports whether the result ends the path (undefined or an empty array).
func (r *stepResult) empty() bool {
	switch r.kind {
	case srOne:
		return false
	case srVals:
		return len(r.vals) == 0
	}
	if isUndef(r.value) {
		return true
	}
	if vals, ok := items(r.value); ok {
		return len(vals) == 0
	}
	if s, ok := r.value.(string); ok {
		return s == "" // jsonata-js tests the length of whatever the step gave
	}
	return false
}

func (ev *evaluator) evalPath(n *node, input any, env *frame) (any, error) {
	steps := n.items
	if _, ok := items(input); ok && steps[0].kind != nVariable {
		return ev.evalPathFrom(n, 0, stepResult{kind: srValue, value: input}, env)
	}
	if !n.simple {
		return ev.evalPathFrom(n, 0, stepResult{kind: srOne, one: input}, env)
	}
	// Fast path for the common case: a chain of plain steps applied to one item.
	one := input
	last := len(steps) - 1
	for i, step := range steps {
		res, err := ev.evalStepItem(step, one, env)
		if err != nil {
			return nil, err
		}
		switch t := res.(type) {
		case undefinedType:
			return undefined, nil
		case []any:
			if i == last {
				return res, nil
			}
			if len(t) == 0 {
				return undefined, nil
			}
			return ev.evalPathFrom(n, i+1, stepResult{kind: srVals, vals: t}, env)
		case *seq:
			if i == last && !t.sequence {
				return res, nil
			}
			if !t.cons {
				if len(t.vals) == 0 {
					return undefined, nil
				}
				return ev.evalPathFrom(n, i+1, stepResult{kind: srVals, vals: t.vals}, env)
			}
		}
		one = res
	}
	return one, nil
}

// evalPathFrom evaluates the path's steps from start on, given the sequence the
// previous steps produced.
func (ev *evaluator) evalPathFrom(n *node, start int, cur stepResult, env *frame) (any, error) {
	steps := n.items
	isTuple := false
	var tuples *tupleStream
	last := len(steps) - 1
	res := cur
	for i := start; i < len(steps); i++ {
		step := steps[i]
		if step.tuple {
			isTuple = true
		}
		var err error
		switch {
		case i == 0 && step.consarray:
			var in any
			if cur.kind == srOne {
				in = seqOf(cur.one)
			} else {
				in = cur.value
			}
			v, err := ev.eval(step, in, env)
			if err != nil {
				return nil, err
			}
			res = stepResult{kind: srValue, value: v}
		case isTuple:
			if tuples, err = ev.evalTupleStep(step, cur.inputs(), tuples, env); err != nil {
				return nil, err
			}
		default:
			if res, err = ev.evalStep(step, &cur, env, i == last); err != nil {
				return nil, err
			}
		}
		if !isTuple && res.empty() {
			break
		}
		if !step.hasFocus {
			cur = res
		}
	}

	var result any
	if isTuple {
		if n.tuple {
			result = tuples
		} else {
			s := newSeq(len(tuples.tuples))
			for _, t := range tuples.tuples {
				s.vals = append(s.vals, t.focus)
			}
			result = s
		}
	} else {
		switch res.kind {
		case srOne:
			if !n.keepSingletonArray && n.group == nil && !isSequence(res.one) {
				return res.one, nil
			}
			result = seqOf(res.one)
		case srVals:
			if !n.keepSingletonArray && n.group == nil && !n.keepArray {
				switch len(res.vals) {
				case 0:
					return undefined, nil
				case 1:
					if !isSequence(res.vals[0]) {
						return res.vals[0], nil
					}
				}
			}
			result = &seq{vals: res.vals, sequence: true}
		default:
			result = res.value
		}
	}
	if n.keepSingletonArray {
		if s, ok := result.(*seq); ok && s.cons && !s.sequence {
			result = seqOf(s)
		}
		if s, ok := result.(*seq); ok {
			s.keepSingleton = true
		}
	}
	if n.group != nil {
		if isTuple {
			return ev.evalGroup(n.group.pairs, n.group.pos, tuples, env)
		}
		return ev.evalGroup(n.group.pairs, n.group.pos, result, env)
	}
	return result, nil
}

// evalStep applies one step to every item of the input sequence and flattens the
// results into the next sequence.
func (ev *evaluator) evalStep(step *node, in *stepResult, env *frame, lastStep bool) (stepResult, error) {
	if step.kind == nSort {
		if s, ok := in.value.(string); ok && in.kind == srValue {
			// jsonata-js's sort returns a string (array-like, not an array) as it is
			return stepResult{kind: srOne, one: s}, nil
		}
		sorted, err := ev.evalSort(step, in.inputs(), nil, env)
		if err != nil {
			return stepResult{}, err
		}
		var v any = sorted
		for _, st := range step.stages {
			if v, err = ev.evalFilter(st.expr, v, env); err != nil {
				return stepResult{}, err
			}
		}
		if vals, ok := items(v); ok {
			return stepResult{kind: srVals, vals: vals}, nil
		}
		return stepResult{kind: srValue, value: v}, nil
	}
	if in.kind == srOne {
		res, err := ev.evalStepItem(step, in.one, env)
		if err != nil {
			return stepResult{}, err
		}
		if isUndef(res) {
			return stepResult{kind: srVals}, nil
		}
		if vals, ok := items(res); ok {
			if lastStep && !isSequence(res) {
				return stepResult{kind: srValue, value: res}, nil
			}
			if isCons(res) {
				return stepResult{kind: srOne, one: res}, nil
			}
			return stepResult{kind: srVals, vals: vals}, nil
		}
		return stepResult{kind: srOne, one: res}, nil
	}
	input := in.inputs()
	out := make([]any, 0, len(input))
	count := 0
	var first any
	for _, item := range input {
		res, err := ev.evalStepItem(step, item, env)
		if err != nil {
			return stepResult{}, err
		}
		if isUndef(res) {
			continue
		}
		count++
		if count == 1 {
			first = res
		}
		if vals, ok := items(res); ok && !isCons(res) {
			if len(out)+len(vals) > maxSequence {
				return stepResult{}, errSequence()
			}
			out = append(out, vals...)
		} else {
			out = append(out, res)
		}
	}
	if lastStep && count == 1 && isArray(first) && !isSequence(first) {
		return stepResult{kind: srValue, value: first}, nil
	}
	if err := ev.built(len(out)); err != nil {
		return stepResult{}, err
	}
	return stepResult{kind: srVals, vals: out}, nil
}

func (ev *evaluator) evalStepItem(step *node, item any, env *frame) (any, error) {
	res, err := ev.eval(step, item, env)
	if err != nil {
		return nil, err
	}
	for _, st := range step.stages {
		if res, err = ev.evalFilter(st.expr, res, env); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// frameFromTuple makes the variables bound along a path visible to an expression.
func frameFromTuple(env *frame, t *tuple) *frame {
	n := len(t.names)
	return &frame{parent: env, names: t.names[:n:n], vals: append([]any(nil), t.vals...)}
}

func (ev *evaluator) evalTupleStep(step *node, input []any, tuples *tupleStream, env *frame) (*tupleStream, error) {
	if step.kind == nSort {
		var result *tupleStream
		if tuples != nil {
			sorted, err := ev.evalSort(step, nil, tuples.tuples, env)
			if err != nil {
				return nil, err
			}
			result = &tupleStream{}
			for _, v := range sorted {
				result.tuples = append(result.tuples, v.(*tuple))
			}
		} else {
			sorted, err := ev.evalSort(step, input, nil, env)
			if err != nil {
				return nil, err
			}
			result = &tupleStream{}
			for i, v := range sorted {
				t := &tuple{focus: v}
				if step.hasIndex {
					t.set(step.index, float64(i))
				}
				result.tuples = append(result.tuples, t)
			}
		}
		return ev.evalStages(step.stages, result, env)
	}
	if tuples == nil {
		tuples = &tupleStream{tuples: make([]*tuple, len(input))}
		for i, item := range input {
			tuples.tuples[i] = &tuple{focus: item}
		}
	}
	result := &tupleStream{}
	for _, t := range tuples.tuples {
		res, err := ev.eval(step, t.focus, frameFromTuple(env, t))
		if err != nil {
			return nil, err
		}
		if isUndef(res) {
			continue
		}
		if ts, ok := res.(*tupleStream); ok {
			for _, r := range ts.tuples {
				nt := t.clone()
				nt.focus = r.focus
				for i, name := range r.names {
					nt.set(name, r.vals[i])
				}
				result.tuples = append(result.tuples, nt)
			}
			continue
		}
		list, ok := items(res)
		if !ok {
			list = []any{res}
		}
		for bb, r := range list {
			nt := t.clone()
			if step.hasFocus && step.focus != "" {
				nt.set(step.focus, r)
			} else {
				nt.focus = r
			}
			if step.hasIndex && step.index != "" {
				nt.set(step.index, float64(bb))
			}
			if step.ancestor != nil {
				nt.set(step.ancestor.label, t.focus)
			}
			result.tuples = append(result.tuples, nt)
		}
	}
	return ev.evalStages(step.stages, result, env)
}

func (ev *evaluator) evalStages(stages []*stage, ts *tupleStream, env *frame) (*tupleStream, error) {
	for _, st := range stages {
		if st.isIndex {
			for i, t := range ts.tuples {
				t.set(st.name, float64(i))
			}
			continue
		}
		r, err := ev.evalFilter(st.expr, ts, env)
		if err != nil {
			return nil, err
		}
		ts = r.(*tupleStream)
	}
	return ts, nil
}

// evalFilter applies a predicate: a number selects by position (negative from the
// end), numbers in general select positions, anything else is a boolean test.
func (ev *evaluator) evalFilter(pred *node, input any, env *frame) (any, error) {
	if ts, ok := input.(*tupleStream); ok {
		out := &tupleStream{}
		if pred.kind == nNumber {
			index := int(math.Floor(pred.num))
			if index < 0 {
				index += len(ts.tuples)
			}
			if index >= 0 && index < len(ts.tuples) {
				out.tuples = append(out.tuples, ts.tuples[index])
			}
			return out, nil
		}
		for i, t := range ts.tuples {
			res, err := ev.eval(pred, t.focus, frameFromTuple(env, t))
			if err != nil {
				return nil, err
			}
			keep, err := predicateCount(res, i, len(ts.tuples))
			if err != nil {
				return nil, err
			}
			for ; keep > 0; keep-- {
				out.tuples = append(out.tuples, t)
			}
		}
		return out, nil
	}
	list, ok := items(input)
	if !ok {
		list = []any{input}
	}
	if pred.kind == nNumber {
		index := int(math.Floor(pred.num))
		if math.IsInf(pred.num, 0) || math.Abs(pred.num) > 1e15 {
			return newSeq(0), nil
		}
		if index < 0 {
			index += len(list)
		}
		if index >= 0 && index < len(list) {
			item := list[index]
			if isArray(item) {
				return item, nil
			}
			if !isUndef(item) {
				return seqOf(item), nil
			}
		}
		return newSeq(0), nil
	}
	out := newSeq(0)
	for i, item := range list {
		res, err := ev.eval(pred, item, env)
		if err != nil {
			return nil, err
		}
		keep, err := predicateCount(res, i, len(list))
		if err != nil {
			return nil, err
		}
		for ; keep > 0; keep-- {
			out.vals = append(out.vals, item)
		}
	}
	return out, nil
}

// predicateCount decides how many times the item at index passes a predicate value:
// once for a true boolean value, and once per matching position in a list of
// numbers (jsonata-js repeats an item whose position is listed twice).
func predicateCount(res any, index, n int) (int, error) {
	num, err := isNumeric(res)
	if err != nil {
		return 0, err
	}
	if num {
		if matchesIndex(res.(float64), index, n) {
			return 1, nil
		}
		return 0, nil
	}
	nums, err := isArrayOfNumbers(res)
	if err != nil {
		return 0, err
	}
	if nums {
		vals, _ := items(res)
		count := 0
		for _, v := range vals {
			if matchesIndex(v.(float64), index, n) {
				count++
			}
		}
		return count, nil
	}
	b, err := toBoolean(res)
	if err != nil {
		return 0, err
	}
	if b == true {
		return 1, nil
	}
	return 0, nil
}

func matchesIndex(f float64, index, n int) bool {
	ii := math.Floor(f)
	if ii < 0 {
		ii += float64(n)
	}
	return ii == float64(index)
}

// evalSort orders values (or tuples) by the step's order-by terms.
func (ev *evaluator) evalSort(step *node, vals []any, tuples []*tuple, env *frame) ([]any, error) {
	isTuple := tuples != nil
	if isTuple {
		vals = make([]any, len(tuples))
		for i, t := range tuples {
			vals[i] = t
		}
	}
	termValue := func(term sortTerm, v any) (any, error) {
		if isTuple {
			t := v.(*tuple)
			return ev.eval(term.expr, t.focus, frameFromTuple(env, t))
		}
		return ev.eval(term.expr, v, env)
	}
	comp := func(a, b any) (bool, error) {
		c := 0
		for _, term := range step.terms {
			aa, err := termValue(term, a)
			if err != nil {
				return false, err
			}
			bb, err := termValue(term, b)
			if err != nil {
				return false, err
			}
			if isUndef(aa) {
				if isUndef(bb) {
					c = 0
				} else {
					c = 1
				}
				if c != 0 {
					break
				}
				continue
			}
			if isUndef(bb) {
				c = -1
				break
			}
			okType := func(v any) bool {
				switch v.(type) {
				case string, float64:
					return true
				}
				return false
			}
			if !okType(aa) || !okType(bb) {
				v := bb
				if !okType(aa) {
					v = aa
				}
				e := errValue("T2008", v)
				e.Position = step.pos
				return false, e
			}
			switch x := aa.(type) {
			case float64:
				y, ok := bb.(float64)
				if !ok {
					e := errValue("T2007", aa)
					e.value2 = bb
					e.Position = step.pos
					return false, e
				}
				if x == y {
					continue
				}
				if x < y {
					c = -1
				} else {
					c = 1
				}
			case string:
				y, ok := bb.(string)
				if !ok {
					e := errValue("T2007", aa)
					e.value2 = bb
					e.Position = step.pos
					return false, e
				}
				cs := compareStrings(x, y)
				if cs == 0 {
					continue
				}
				c = cs
			}
			if term.descending {
				c = -c
			}
			break
		}
		return c == 1, nil
	}
	return mergeSort(vals, comp)
}

// mergeSort is the stable merge sort of jsonata-js's $sort: swap(a, b) reports
// whether a must come after b.
func mergeSort(vals []any, swap func(a, b any) (bool, error)) ([]any, error) {
	if len(vals) <= 1 {
		return vals, nil
	}
	src := append([]any(nil), vals...)
	dst := make([]any, len(vals))
	for width := 1; width < len(src); width *= 2 {
		for lo := 0; lo < len(src); lo += 2 * width {
			mid := min(lo+width, len(src))
			hi := min(lo+2*width, len(src))
			i, j, k := lo, mid, lo
			for i < mid && j < hi {
				s, err := swap(src[i], src[j])
				if err != nil {
					return nil, err
				}
				if s {
					dst[k] = src[j]
					j++
				} else {
					dst[k] = src[i]
					i++
				}
				k++
			}
			k += copy(dst[k:], src[i:mid])
			copy(dst[k:], src[j:hi])
		}
		src, dst = dst, src
	}
	return src, nil
}

type groupEntry struct {
	key       string
	data      any
	tuples    []*tuple
	exprIndex int
}

// evalGroup evaluates an object constructor, grouping the input sequence by key.
func (ev *evaluator) evalGroup(pairs [][2]*node, pos int, input any, env *frame) (any, error) {
	ts, reduce := input.(*tupleStream)
	var list []any
	if !reduce {
		var ok bool
		if list, ok = items(input); !ok {
			list = []any{input}
		}
		if len(list) == 0 {
			list = []any{undefined}
		}
		if len(list) == 1 {
			return ev.evalObjectSingle(pairs, pos, list[0], env)
		}
	}
	var groups []*groupEntry
	index := map[string]int{}
	n := len(list)
	if reduce {
		n = len(ts.tuples)
	}
	for i := 0; i < n; i++ {
		var item any
		var t *tuple
		ienv := env
		if reduce {
			t = ts.tuples[i]
			item = t.focus
			ienv = frameFromTuple(env, t)
		} else {
			item = list[i]
		}
		for pi, pr := range pairs {
			k, err := ev.eval(pr[0], item, ienv)
			if err != nil {
				return nil, err
			}
			key, ok, err := groupKey(k, pos)
			if err != nil {
				return nil, err
			}
			if !ok {
				continue
			}
			if gi, ok := index[key]; ok {
				g := groups[gi]
				if g.exprIndex != pi {
					e := errValue("D1009", key)
					e.Position = pos
					return nil, e
				}
				if reduce {
					g.tuples = append(g.tuples, t)
				} else if g.data, err = appendJS(g.data, item); err != nil {
					return nil, err
				}
				continue
			}
			g := &groupEntry{key: key, data: item, exprIndex: pi}
			if reduce {
				g.tuples = []*tuple{t}
			}
			index[key] = len(groups)
			groups = append(groups, g)
		}
	}
	result := jsonv.NewObject(len(groups))
	for _, g := range groups {
		context := g.data
		genv := env
		if reduce {
			t, err := reduceTuples(g.tuples)
			if err != nil {
				return nil, err
			}
			context = t.focus
			genv = frameFromTuple(env, t)
		}
		v, err := ev.eval(pairs[g.exprIndex][1], context, genv)
		if err != nil {
			return nil, err
		}
		if !isUndef(v) {
			result.Set(g.key, v)
		}
	}
	return result, nil
}

// evalObjectSingle is evalGroup for a single input item, where no grouping can occur:
// the usual object constructor.
func (ev *evaluator) evalObjectSingle(pairs [][2]*node, pos int, item any, env *frame) (any, error) {
	type key struct {
		s  string
		ok bool
	}
	var keyBuf [8]key
	keys := keyBuf[:0]
	if len(pairs) > len(keyBuf) {
		keys = make([]key, 0, len(pairs))
	}
	for _, pr := range pairs {
		k, err := ev.eval(pr[0], item, env)
		if err != nil {
			return nil, err
		}
		s, ok, err := groupKey(k, pos)
		if err != nil {
			return nil, err
		}
		if ok {
			for _, prev := range keys {
				if prev.ok && prev.s == s {
					e := errValue("D1009", s)
					e.Position = pos
					return nil, e
				}
			}
		}
		keys = append(keys, key{s, ok})
	}
	result := jsonv.NewObject(len(pairs))
	for pi, pr := range pairs {
		if !keys[pi].ok {
			continue
		}
		v, err := ev.eval(pr[1], item, env)
		if err != nil {
			return nil, err
		}
		if !isUndef(v) {
			result.Set(keys[pi].s, v)
		}
	}
	return result, nil
}

// groupKey checks an object key: a string, or undefined (ok false) to skip the pair.
func groupKey(k any, pos int) (string, bool, error) {
	if isUndef(k) {
		return "", false, nil
	}
	s, ok := k.(string)
	if !ok {
		e := errValue("T1003", k)
		e.Position = pos
		return "", false, e
	}
	if s == "_jsonata_lambda" || s == "_jsonata_function" {
		e := errValue("D1013", s)
		e.Position = pos
		return "", false, e
	}
	return s, true, nil
}

// reduceTuples merges the tuples of one group: each variable collects its values.
func reduceTuples(ts []*tuple) (*tuple, error) {
	if len(ts) == 1 {
		return ts[0], nil
	}
	r := ts[0].clone()
	var err error
	for _, t := range ts[1:] {
		if r.focus, err = appendJS(r.focus, t.focus); err != nil {
			return nil, err
		}
		for i, name := range t.names {
			v, err := appendJS(r.get(name), t.vals[i])
			if err != nil {
				return nil, err
			}
			r.set(name, v)
		}
	}
	return r, nil
}

// evalWildcard returns the values of all fields of an object (array values are
// flattened), or the elements of an array.
func evalWildcard(input any) (any, error) {
	if s, ok := input.(*seq); ok && s.outerWrapper && len(s.vals) > 0 {
		input = s.vals[0]
	}
	results := newSeq(0)
	plain := false
	bg := newBudget()
	add := func(v any) {
		if vals, ok := items(v); ok {
			plain = true
			results.vals = flattenInto(results.vals, vals, 0, bg)
			return
		}
		results.vals = append(results.vals, v)
	}
	switch t := input.(type) {
	case *jsonv.Object:
		for _, v := range t.Values() {
			add(v)
		}
	case []any:
		for _, v := range t {
			add(v)
		}
	case *seq:
		for _, v := range t.vals {
			add(v)
		}
		// jsonata-js enumerates a sequence's keys, which include its enumerable
		// flags: their values (true) are part of the result
		if t.sequence {
			add(true)
		}
		if t.keepSingleton {
			add(true)
		}
	}
	if bg.over {
		return nil, errSequence()
	}
	if plain {
		return results.vals, nil
	}
	return results, nil
}

func flattenInto(out []any, vals []any, depth int, bg *budget) []any {
	for _, v := range vals {
		if !bg.take() || len(out) >= maxSequence {
			bg.over = true
			return out
		}
		if inner, ok := items(v); ok && depth < maxDataDepth {
			out = flattenInto(out, inner, depth+1, bg)
		} else {
			out = append(out, v)
		}
	}
	return out
}

// evalDescendants returns the input and all values nested within it.
func evalDescendants(input any) (any, error) {
	if isUndef(input) {
		return undefined, nil
	}
	results := newSeq(0)
	bg := newBudget()
	recurseDescendants(input, results, 0, bg)
	if bg.over {
		return nil, errSequence()
	}
	if len(results.vals) == 1 {
		return results.vals[0], nil
	}
	return results, nil
}

func recurseDescendants(input any, results *seq, depth int, bg *budget) {
	if depth > maxDataDepth || !bg.take() || len(results.vals) >= maxSequence {
		bg.over = true
		return
	}
	if vals, ok := items(input); ok {
		for _, v := range vals {
			recurseDescendants(v, results, depth+1, bg)
		}
		return
	}
	results.vals = append(results.vals, input)
	if o, ok := input.(*jsonv.Object); ok {
		for _, v := range o.Values() {
			recurseDescendants(v, results, depth+1, bg)
		}
	}
}
