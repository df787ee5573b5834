package jsonata

import (
	"math"
	"math/rand/v2"

	"github.com/stepwise-dev/stepwise/jsonv"
)

func fnMap(ev *evaluator, c callCtx, args []any) (any, error) {
	arr, ok := items(args[0])
	if !ok {
		return undefined, nil
	}
	f := args[1]
	result := newSeq(len(arr))
	var buf [3]any
	for i, v := range arr {
		res, err := ev.callFunc(f, hofArgsIndex(buf[:0], f, v, i, args[0]), c)
		if err != nil {
			return nil, err
		}
		if !isUndef(res) {
			result.vals = append(result.vals, res)
		}
	}
	return result, nil
}

func fnFilter(ev *evaluator, c callCtx, args []any) (any, error) {
	arr, ok := items(args[0])
	if !ok {
		return undefined, nil
	}
	f := args[1]
	result := newSeq(len(arr))
	var buf [3]any
	for i, v := range arr {
		res, err := ev.callFunc(f, hofArgsIndex(buf[:0], f, v, i, args[0]), c)
		if err != nil {
			return nil, err
		}
		b, err := toBoolean(res)
		if err != nil {
			return nil, err
		}
		if b == true {
			result.vals = append(result.vals, v)
		}
	}
	return result, nil
}

func fnSingle(ev *evaluator, c callCtx, args []any) (any, error) {
	arr, ok := items(args[0])
	if !ok {
		return undefined, nil
	}
	f := arg(args, 1)
	found := false
	var result any = undefined
	var buf [3]any
	for i, v := range arr {
		positive := true
		if !isUndef(f) {
			res, err := ev.callFunc(f, hofArgsIndex(buf[:0], f, v, i, args[0]), c)
			if err != nil {
				return nil, err
			}
			b, err := toBoolean(res)
			if err != nil {
				return nil, err
			}
			positive = b == true
		}
		if positive {
			if found {
				e := newError("D3138")
				e.index = i
				return nil, e
			}
			result = v
			found = true
		}
	}
	if !found {
		return nil, newError("D3139")
	}
	return result, nil
}

func fnZip(ev *evaluator, c callCtx, args []any) (any, error) {
	length := math.MaxInt
	lists := make([][]any, len(args))
	for i, a := range args {
		vals, ok := items(a)
		if !ok {
			length = 0
			continue
		}
		lists[i] = vals
		length = min(length, len(vals))
	}
	if len(args) == 0 {
		length = 0
	}
	result := make([]any, 0, length)
	for i := 0; i < length; i++ {
		t := make([]any, len(lists))
		for j, l := range lists {
			t[j] = l[i]
		}
		result = append(result, t)
	}
	return result, nil
}

func fnReduce(ev *evaluator, c callCtx, args []any) (any, error) {
	arr, ok := items(args[0])
	if !ok {
		return undefined, nil
	}
	f := args[1]
	n := arity(f)
	if n < 2 {
		e := newError("D3050")
		e.index = 1
		return nil, e
	}
	var result any
	index := 0
	init := arg(args, 2)
	if isUndef(init) && len(arr) > 0 {
		result = arr[0]
		index = 1
	} else {
		result = init
	}
	buf := make([]any, 0, 4)
	for ; index < len(arr); index++ {
		buf = append(buf[:0], result, arr[index])
		if n >= 3 {
			buf = append(buf, float64(index))
		}
		if n >= 4 {
			buf = append(buf, args[0])
		}
		var err error
		if result, err = ev.callFunc(f, buf, c); err != nil {
			return nil, err
		}
	}
	return result, nil
}

func fnSift(ev *evaluator, c callCtx, args []any) (any, error) {
	obj, ok := args[0].(*jsonv.Object)
	if !ok {
		return undefined, nil
	}
	f := args[1]
	result := jsonv.NewObject(0)
	keys := obj.Keys()
	var buf [3]any
	for i, v := range obj.Values() {
		res, err := ev.callFunc(f, hofArgs(buf[:0], f, v, keys[i], obj), c)
		if err != nil {
			return nil, err
		}
		b, err := toBoolean(res)
		if err != nil {
			return nil, err
		}
		if b == true {
			result.Set(keys[i], v)
		}
	}
	if result.Len() == 0 {
		return undefined, nil
	}
	return result, nil
}

func fnEach(ev *evaluator, c callCtx, args []any) (any, error) {
	result := newSeq(0)
	obj, ok := args[0].(*jsonv.Object)
	if !ok {
		return result, nil
	}
	f := args[1]
	keys := obj.Keys()
	var buf [3]any
	for i, v := range obj.Values() {
		res, err := ev.callFunc(f, hofArgs(buf[:0], f, v, keys[i], obj), c)
		if err != nil {
			return nil, err
		}
		if !isUndef(res) {
			result.vals = append(result.vals, res)
		}
	}
	return result, nil
}

func fnSort(ev *evaluator, c callCtx, args []any) (any, error) {
	arr, ok := items(args[0])
	if !ok {
		return undefined, nil
	}
	if len(arr) <= 1 {
		return args[0], nil
	}
	f := arg(args, 1)
	var swap func(a, b any) (bool, error)
	if isUndef(f) {
		nums, err := isArrayOfNumbers(arr)
		if err != nil {
			return nil, err
		}
		if !nums && !isArrayOfStrings(arr) {
			e := newError("D3070")
			e.index = 1
			return nil, e
		}
		swap = func(a, b any) (bool, error) {
			if err := ev.tick(); err != nil {
				return false, err
			}
			if x, ok := a.(float64); ok {
				return x > b.(float64), nil
			}
			return compareStrings(a.(string), b.(string)) > 0, nil
		}
	} else {
		buf := make([]any, 2)
		swap = func(a, b any) (bool, error) {
			buf[0], buf[1] = a, b
			res, err := ev.callFunc(f, buf[:2], c)
			if err != nil {
				return false, err
			}
			return jsTruthy(res), nil
		}
	}
	return mergeSort(arr, swap)
}

func fnKeys(ev *evaluator, c callCtx, args []any) (any, error) {
	result := newSeq(0)
	switch t := args[0].(type) {
	case *jsonv.Object:
		result.vals = append(result.vals, stringsToAny(t.Keys())...)
		return result, nil
	}
	if _, ok := items(args[0]); ok {
		bg := newBudget()
		collectKeys(args[0], map[string]bool{}, result, 0, bg)
		if bg.over {
			return nil, errTooLarge()
		}
	}
	return result, nil
}

// collectKeys merges the keys of all objects in (nested) arrays, in first-seen order.
func collectKeys(v any, seen map[string]bool, out *seq, depth int, bg *budget) {
	if !bg.take() {
		return
	}
	if o, ok := v.(*jsonv.Object); ok {
		for _, k := range o.Keys() {
			if !seen[k] {
				seen[k] = true
				out.vals = append(out.vals, k)
			}
		}
		return
	}
	if arr, ok := items(v); ok && depth < maxDataDepth {
		for _, e := range arr {
			collectKeys(e, seen, out, depth+1, bg)
		}
	}
}

func stringsToAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

func fnLookup(ev *evaluator, c callCtx, args []any) (any, error) {
	return lookupField(args[0], propertyKey(arg(args, 1))), nil
}

func fnAppend(ev *evaluator, c callCtx, args []any) (any, error) {
	res, err := appendJS(arg(args, 0), arg(args, 1))
	if err != nil {
		return nil, err
	}
	if vals, ok := res.([]any); ok {
		if err := ev.built(len(vals)); err != nil {
			return nil, err
		}
	}
	return res, nil
}

func fnSpread(ev *evaluator, c callCtx, args []any) (any, error) {
	return spread(args[0], 0)
}

func spread(v any, depth int) (any, error) {
	if arr, ok := items(v); ok {
		if depth > maxDataDepth {
			return nil, errTooLarge()
		}
		var result any = newSeq(0)
		for _, e := range arr {
			s, err := spread(e, depth+1)
			if err != nil {
				return nil, err
			}
			if result, err = appendJS(result, s); err != nil {
				return nil, err
			}
		}
		return result, nil
	}
	if o, ok := v.(*jsonv.Object); ok {
		result := newSeq(o.Len())
		keys := o.Keys()
		for i, val := range o.Values() {
			result.vals = append(result.vals, jsonv.ObjectOf(keys[i], val))
		}
		return result, nil
	}
	return v, nil
}

func fnMerge(ev *evaluator, c callCtx, args []any) (any, error) {
	arr, ok := items(args[0])
	if !ok {
		return undefined, nil
	}
	result := jsonv.NewObject(0)
	for _, v := range arr {
		if o, ok := v.(*jsonv.Object); ok {
			keys := o.Keys()
			for i, val := range o.Values() {
				result.Set(keys[i], val)
			}
		}
	}
	return result, nil
}

func fnReverse(ev *evaluator, c callCtx, args []any) (any, error) {
	arr, ok := items(args[0])
	if !ok {
		return undefined, nil
	}
	if len(arr) <= 1 {
		return args[0], nil
	}
	out := make([]any, len(arr))
	for i, v := range arr {
		out[len(arr)-1-i] = v
	}
	return out, nil
}

func fnShuffle(ev *evaluator, c callCtx, args []any) (any, error) {
	arr, ok := items(args[0])
	if !ok {
		return undefined, nil
	}
	if len(arr) <= 1 {
		return args[0], nil
	}
	out := append([]any(nil), arr...)
	rand.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out, nil
}

func fnDistinct(ev *evaluator, c callCtx, args []any) (any, error) {
	v := args[0]
	arr, ok := items(v)
	if !ok || len(arr) <= 1 {
		return v, nil
	}
	out := make([]any, 0, len(arr))
	seenStr := map[string]bool{}
	seenNum := map[float64]bool{}
	var others []any
	for _, e := range arr {
		switch t := e.(type) {
		case string:
			if seenStr[t] {
				continue
			}
			seenStr[t] = true
		case float64:
			if seenNum[t] {
				continue
			}
			seenNum[t] = true
		default:
			dup := false
			for _, o := range others {
				if err := ev.tick(); err != nil {
					return nil, err
				}
				eq, err := deepEqual(e, o)
				if err != nil {
					return nil, err
				}
				if eq {
					dup = true
					break
				}
			}
			if dup {
				continue
			}
			others = append(others, e)
		}
		out = append(out, e)
	}
	if isSequence(v) {
		return &seq{vals: out, sequence: true}, nil
	}
	return out, nil
}
