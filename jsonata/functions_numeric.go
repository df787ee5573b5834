package jsonata

import (
	"math"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
)

func numbers(v any) ([]any, bool) {
	if isUndef(v) {
		return nil, false
	}
	vals, ok := items(v)
	return vals, ok
}

func fnSum(ev *evaluator, c callCtx, args []any) (any, error) {
	vals, ok := numbers(args[0])
	if !ok {
		return undefined, nil
	}
	total := 0.0
	for _, v := range vals {
		f, _ := v.(float64)
		total += f
	}
	return total, nil
}

func fnCount(ev *evaluator, c callCtx, args []any) (any, error) {
	vals, ok := numbers(args[0])
	if !ok {
		return 0.0, nil
	}
	return float64(len(vals)), nil
}

func fnMax(ev *evaluator, c callCtx, args []any) (any, error) {
	vals, ok := numbers(args[0])
	if !ok || len(vals) == 0 {
		return undefined, nil
	}
	m := math.Inf(-1)
	for _, v := range vals {
		f, _ := v.(float64)
		if f > m || f != f {
			m = f
		}
	}
	return m, nil
}

func fnMin(ev *evaluator, c callCtx, args []any) (any, error) {
	vals, ok := numbers(args[0])
	if !ok || len(vals) == 0 {
		return undefined, nil
	}
	m := math.Inf(1)
	for _, v := range vals {
		f, _ := v.(float64)
		if f < m || f != f {
			m = f
		}
	}
	return m, nil
}

func fnAverage(ev *evaluator, c callCtx, args []any) (any, error) {
	vals, ok := numbers(args[0])
	if !ok || len(vals) == 0 {
		return undefined, nil
	}
	total := 0.0
	for _, v := range vals {
		f, _ := v.(float64)
		total += f
	}
	return total / float64(len(vals)), nil
}

var (
	decimalNumber = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?([Ee][-+]?[0-9]+)?$`)
	radixNumber   = regexp.MustCompile(`^(0[xX][0-9A-Fa-f]+)|(0[oO][0-7]+)|(0[bB][0-1]+)$`)
)

func fnNumber(ev *evaluator, c callCtx, args []any) (any, error) {
	switch t := args[0].(type) {
	case undefinedType:
		return undefined, nil
	case float64:
		return t, nil
	case bool:
		if t {
			return 1.0, nil
		}
		return 0.0, nil
	case string:
		if decimalNumber.MatchString(t) {
			f, err := strconv.ParseFloat(t, 64)
			if err == nil && !math.IsInf(f, 0) {
				return f, nil
			}
		} else if radixNumber.MatchString(t) {
			return jsRadixNumber(t), nil
		}
	}
	e := errValue("D3030", args[0])
	e.index = 1
	return nil, e
}

// jsRadixNumber is Number() on a 0x, 0o or 0b literal (NaN if anything follows).
func jsRadixNumber(s string) float64 {
	if len(s) < 3 {
		return math.NaN()
	}
	base := 16
	switch s[1] {
	case 'o', 'O':
		base = 8
	case 'b', 'B':
		base = 2
	}
	n, err := strconv.ParseUint(s[2:], base, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			f := 0.0
			for _, ch := range s[2:] {
				d, _ := strconv.ParseUint(string(ch), base, 8)
				f = f*float64(base) + float64(d)
			}
			return f
		}
		return math.NaN()
	}
	return float64(n)
}

func fnFloor(ev *evaluator, c callCtx, args []any) (any, error) {
	f, ok := args[0].(float64)
	if !ok {
		return undefined, nil
	}
	return math.Floor(f), nil
}

func fnCeil(ev *evaluator, c callCtx, args []any) (any, error) {
	f, ok := args[0].(float64)
	if !ok {
		return undefined, nil
	}
	return math.Ceil(f), nil
}

func fnAbs(ev *evaluator, c callCtx, args []any) (any, error) {
	f, ok := args[0].(float64)
	if !ok {
		return undefined, nil
	}
	return math.Abs(f), nil
}

func fnSqrt(ev *evaluator, c callCtx, args []any) (any, error) {
	f, ok := args[0].(float64)
	if !ok {
		return undefined, nil
	}
	if f < 0 {
		e := errValue("D3060", f)
		e.index = 1
		return nil, e
	}
	return math.Sqrt(f), nil
}

func fnPower(ev *evaluator, c callCtx, args []any) (any, error) {
	base, ok := args[0].(float64)
	if !ok {
		return undefined, nil
	}
	exp, _ := arg(args, 1).(float64)
	r := jsPow(base, exp)
	if math.IsInf(r, 0) || math.IsNaN(r) {
		e := errValue("D3061", base)
		e.exp = exp
		e.index = 1
		return nil, e
	}
	return r, nil
}

// jsPow is Math.pow, which differs from math.Pow for a base of ±1 with an infinite
// exponent (NaN in JavaScript).
func jsPow(b, e float64) float64 {
	if math.IsInf(e, 0) && (b == 1 || b == -1) {
		return math.NaN()
	}
	return math.Pow(b, e)
}

func fnRandom(ev *evaluator, c callCtx, args []any) (any, error) {
	return rand.Float64(), nil
}

// jsRound is Math.round: halves round towards +Infinity.
func jsRound(f float64) float64 {
	if math.IsInf(f, 0) || f != f {
		return f
	}
	r := math.Floor(f)
	if f-r >= 0.5 {
		r++
	}
	return r
}

// shiftDecimal multiplies f by 10^n exactly in decimal, as jsonata-js does by
// rewriting the exponent of the number's string form.
func shiftDecimal(f float64, n int) float64 {
	s := formatNumber(f)
	mant, exp := s, 0
	if i := strings.IndexByte(s, 'e'); i >= 0 {
		mant = s[:i]
		exp, _ = strconv.Atoi(s[i+1:])
	}
	g, err := strconv.ParseFloat(mant+"e"+strconv.Itoa(exp+n), 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return g // ±Inf or 0, as Number() gives
		}
		return math.NaN() // "Infinitye2" and "NaNe2" are not numbers
	}
	return g
}

// roundHalfEven is $round: half-to-even rounding at the given decimal precision.
func roundHalfEven(f float64, precision int) float64 {
	if precision != 0 {
		f = shiftDecimal(f, precision)
	}
	r := jsRound(f)
	diff := r - f
	if math.Abs(diff) == 0.5 && math.Abs(math.Mod(r, 2)) == 1 {
		r--
	}
	if precision != 0 {
		r = shiftDecimal(r, -precision)
	}
	if r == 0 {
		r = 0 // no negative zero in JSON
	}
	return r
}

func fnRound(ev *evaluator, c callCtx, args []any) (any, error) {
	f, ok := args[0].(float64)
	if !ok {
		return undefined, nil
	}
	p, _ := arg(args, 1).(float64)
	if p != p {
		p = 0 // a NaN precision is falsy in jsonata-js: no shift
	}
	return roundHalfEven(f, int(max(-1000, min(p, 1000)))), nil
}

func fnFormatBase(ev *evaluator, c callCtx, args []any) (any, error) {
	f, ok := args[0].(float64)
	if !ok {
		return undefined, nil
	}
	f = roundHalfEven(f, 0)
	radix := 10.0
	if r, ok := arg(args, 1).(float64); ok {
		radix = roundHalfEven(r, 0)
	}
	if !(radix >= 2 && radix <= 36) {
		return nil, errValue("D3100", radix)
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return formatNumber(f), nil
	}
	if math.Abs(f) < 1<<62 {
		return strconv.FormatInt(int64(f), int(radix)), nil
	}
	return formatNumber(f), nil
}
