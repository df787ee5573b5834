package engine

import (
	"errors"
	"fmt"
	"strings"

	"github.com/stepwise-dev/stepwise/asl"
	"github.com/stepwise-dev/stepwise/asl/jsonpath"
)

// choose returns the first matching Choice rule, or nil.
func (r *stateRun) choose(input any) (*asl.ChoiceRule, *Failure) {
	for _, rule := range r.st.Choices {
		ok, f := r.evalRule(rule, input)
		if f != nil {
			return nil, f
		}
		if ok {
			return rule, nil
		}
	}
	return nil, nil
}

func (r *stateRun) evalRule(rule *asl.ChoiceRule, input any) (bool, *Failure) {
	switch {
	case rule.And != nil:
		for _, sub := range rule.And {
			ok, f := r.evalRule(sub, input)
			if f != nil || !ok {
				return false, f
			}
		}
		return true, nil
	case rule.Or != nil:
		for _, sub := range rule.Or {
			ok, f := r.evalRule(sub, input)
			if f != nil {
				return false, f
			}
			if ok {
				return true, nil
			}
		}
		return false, nil
	case rule.Not != nil:
		ok, f := r.evalRule(rule.Not, input)
		return !ok, f
	}
	if rule.Variable == nil {
		return false, nil
	}
	val, err := r.resolvePath(rule.Variable, input)
	present := err == nil
	if err != nil && !errors.Is(err, jsonpath.ErrNotFound) {
		if errors.Is(err, errVariableNotFound) {
			present = false
		} else {
			return false, r.runtime(err.Error())
		}
	}
	op := rule.Operator
	if op == "IsPresent" {
		want, _ := rule.Value.(bool)
		return present == want, nil
	}
	if !present {
		return false, r.runtime(fmt.Sprintf("Invalid path '%s': The choice state's condition path references an invalid value.", rule.VarSrc))
	}
	operand := rule.Value
	if rule.ValuePath != nil {
		v, err := r.resolvePath(rule.ValuePath, input)
		if err != nil {
			return false, r.runtime(fmt.Sprintf("Invalid path '%s': The choice state's condition path references an invalid value.", rule.Value))
		}
		operand = v
		op = strings.TrimSuffix(op, "Path")
	}
	return compare(op, val, operand), nil
}

// compare applies one Choice comparison. Type mismatches are false, as in AWS.
func compare(op string, v, operand any) bool {
	switch op {
	case "IsNull":
		want, _ := operand.(bool)
		return (v == nil) == want
	case "IsNumeric":
		want, _ := operand.(bool)
		_, ok := v.(float64)
		return ok == want
	case "IsString":
		want, _ := operand.(bool)
		_, ok := v.(string)
		return ok == want
	case "IsBoolean":
		want, _ := operand.(bool)
		_, ok := v.(bool)
		return ok == want
	case "IsTimestamp":
		want, _ := operand.(bool)
		s, ok := v.(string)
		if ok {
			_, ok = ParseTimestamp(s)
		}
		return ok == want
	case "StringMatches":
		s, ok1 := v.(string)
		p, ok2 := operand.(string)
		return ok1 && ok2 && wildcardMatch(p, s)
	case "BooleanEquals":
		a, ok1 := v.(bool)
		b, ok2 := operand.(bool)
		return ok1 && ok2 && a == b
	}
	switch {
	case strings.HasPrefix(op, "String"):
		a, ok1 := v.(string)
		b, ok2 := operand.(string)
		if !ok1 || !ok2 {
			return false
		}
		return ordered(strings.TrimPrefix(op, "String"), strings.Compare(a, b))
	case strings.HasPrefix(op, "Numeric"):
		a, ok1 := v.(float64)
		b, ok2 := operand.(float64)
		if !ok1 || !ok2 {
			return false
		}
		c := 0
		if a < b {
			c = -1
		} else if a > b {
			c = 1
		}
		return ordered(strings.TrimPrefix(op, "Numeric"), c)
	case strings.HasPrefix(op, "Timestamp"):
		as, ok1 := v.(string)
		bs, ok2 := operand.(string)
		if !ok1 || !ok2 {
			return false
		}
		a, ok1 := ParseTimestamp(as)
		b, ok2 := ParseTimestamp(bs)
		if !ok1 || !ok2 {
			return false
		}
		return ordered(strings.TrimPrefix(op, "Timestamp"), a.Compare(b))
	}
	return false
}

func ordered(rel string, c int) bool {
	switch rel {
	case "Equals":
		return c == 0
	case "LessThan":
		return c < 0
	case "GreaterThan":
		return c > 0
	case "LessThanEquals":
		return c <= 0
	case "GreaterThanEquals":
		return c >= 0
	}
	return false
}

// wildcardMatch implements StringMatches: '*' matches any run of characters; '\*' and
// '\\' are literal.
func wildcardMatch(pattern, s string) bool {
	type tok struct {
		star bool
		r    rune
	}
	var toks []tok
	rs := []rune(pattern)
	for i := 0; i < len(rs); i++ {
		if rs[i] == '\\' && i+1 < len(rs) {
			i++
			toks = append(toks, tok{r: rs[i]})
			continue
		}
		if rs[i] == '*' {
			toks = append(toks, tok{star: true})
			continue
		}
		toks = append(toks, tok{r: rs[i]})
	}
	str := []rune(s)
	// Classic two-pointer wildcard matching with backtracking to the last star.
	pi, si, starP, starS := 0, 0, -1, 0
	for si < len(str) {
		if pi < len(toks) && !toks[pi].star && toks[pi].r == str[si] {
			pi++
			si++
		} else if pi < len(toks) && toks[pi].star {
			starP, starS = pi, si
			pi++
		} else if starP >= 0 {
			pi = starP + 1
			starS++
			si = starS
		} else {
			return false
		}
	}
	for pi < len(toks) && toks[pi].star {
		pi++
	}
	return pi == len(toks)
}
