// Package tuning holds the search of SageMaker hyperparameter tuning jobs, apart from
// the service: hyperparameter ranges with their scaling, and the strategies that
// choose each training job's values (Random, Grid, Bayesian). Every strategy works on
// the unit cube — each numeric range scaled to [0,1] as its ScalingType says — and is
// deterministic for a seed, so a tuning job resumed after a restart proposes what it
// would have proposed.
package tuning

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Kind is a range's type.
type Kind int

// Range kinds.
const (
	Integer Kind = iota
	Continuous
	Categorical
)

// Scaling is a numeric range's ScalingType.
type Scaling string

// Scalings. Auto is searched as Linear.
const (
	Auto               Scaling = "Auto"
	Linear             Scaling = "Linear"
	Logarithmic        Scaling = "Logarithmic"
	ReverseLogarithmic Scaling = "ReverseLogarithmic"
)

// ErrRange is the error of an invalid range; its message says which and why.
var ErrRange = errors.New("invalid hyperparameter range")

// Param is one tuned hyperparameter.
type Param struct {
	Name    string
	Kind    Kind
	Min     float64 // numeric kinds
	Max     float64
	Scaling Scaling
	Values  []string // Categorical
}

func rangeErr(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrRange, fmt.Sprintf(format, a...))
}

// IntegerParam parses an IntegerParameterRange.
func IntegerParam(name, minValue, maxValue string, scaling Scaling) (Param, error) {
	lo, err1 := strconv.ParseInt(strings.TrimSpace(minValue), 10, 64)
	hi, err2 := strconv.ParseInt(strings.TrimSpace(maxValue), 10, 64)
	switch {
	case err1 != nil:
		return Param{}, rangeErr("The MinValue %q of the integer hyperparameter %s is not an integer.", minValue, name)
	case err2 != nil:
		return Param{}, rangeErr("The MaxValue %q of the integer hyperparameter %s is not an integer.", maxValue, name)
	case lo > hi:
		return Param{}, rangeErr("The MinValue %d of the hyperparameter %s must be less than or equal to its MaxValue %d.", lo, name, hi)
	case math.Abs(float64(lo)) > 1<<52 || math.Abs(float64(hi)) > 1<<52:
		return Param{}, rangeErr("The range of the integer hyperparameter %s is too large.", name)
	}
	p := Param{Name: name, Kind: Integer, Min: float64(lo), Max: float64(hi), Scaling: scaling}
	return p, p.checkScaling()
}

// ContinuousParam parses a ContinuousParameterRange.
func ContinuousParam(name, minValue, maxValue string, scaling Scaling) (Param, error) {
	lo, err1 := strconv.ParseFloat(strings.TrimSpace(minValue), 64)
	hi, err2 := strconv.ParseFloat(strings.TrimSpace(maxValue), 64)
	switch {
	case err1 != nil || math.IsInf(lo, 0) || math.IsNaN(lo):
		return Param{}, rangeErr("The MinValue %q of the continuous hyperparameter %s is not a number.", minValue, name)
	case err2 != nil || math.IsInf(hi, 0) || math.IsNaN(hi):
		return Param{}, rangeErr("The MaxValue %q of the continuous hyperparameter %s is not a number.", maxValue, name)
	case lo > hi:
		return Param{}, rangeErr("The MinValue %s of the hyperparameter %s must be less than or equal to its MaxValue %s.", minValue, name, maxValue)
	case math.Abs(lo) > 1e300 || math.Abs(hi) > 1e300:
		return Param{}, rangeErr("The range of the continuous hyperparameter %s is too large.", name)
	}
	p := Param{Name: name, Kind: Continuous, Min: lo, Max: hi, Scaling: scaling}
	return p, p.checkScaling()
}

// CategoricalParam makes a CategoricalParameterRange.
func CategoricalParam(name string, values []string) (Param, error) {
	if len(values) == 0 {
		return Param{}, rangeErr("The categorical hyperparameter %s has no values.", name)
	}
	seen := map[string]bool{}
	for _, v := range values {
		if seen[v] {
			return Param{}, rangeErr("The categorical hyperparameter %s lists the value %q twice.", name, v)
		}
		seen[v] = true
	}
	return Param{Name: name, Kind: Categorical, Values: append([]string(nil), values...)}, nil
}

func (p Param) checkScaling() error {
	switch p.Scaling {
	case "", Auto, Linear:
		return nil
	case Logarithmic:
		if p.Min <= 0 {
			return rangeErr("Hyperparameter %s: Logarithmic scaling works only for ranges that have only values greater than 0.", p.Name)
		}
		return nil
	case ReverseLogarithmic:
		if p.Kind == Integer {
			return rangeErr("Hyperparameter %s: ReverseLogarithmic scaling is only valid for continuous hyperparameters.", p.Name)
		}
		if p.Min < 0 || p.Max >= 1 {
			return rangeErr("Hyperparameter %s: Reverse logarithmic scaling works only for ranges that are entirely within the range 0<=x<1.0.", p.Name)
		}
		return nil
	}
	return rangeErr("Hyperparameter %s: unknown ScalingType %q.", p.Name, p.Scaling)
}

// bounds are the ends of the interval a numeric range is searched on: an integer range
// is widened by half a unit on each side so every integer gets an equal share.
func (p Param) bounds() (lo, hi float64) {
	if p.Kind == Integer {
		lo, hi = p.Min-0.5, p.Max+0.5
		if p.Scaling == Logarithmic && lo <= 0 {
			lo = p.Min / 2
		}
		return lo, hi
	}
	return p.Min, p.Max
}

// Size is the number of values of a categorical or integer range (0 for continuous).
func (p Param) Size() int {
	switch p.Kind {
	case Categorical:
		return len(p.Values)
	case Integer:
		return int(p.Max-p.Min) + 1
	}
	return 0
}

// Value is the hyperparameter at unit coordinate u (clamped to [0,1]), as the string a
// training job receives.
func (p Param) Value(u float64) string {
	u = clamp01(u)
	if p.Kind == Categorical {
		i := min(int(u*float64(len(p.Values))), len(p.Values)-1)
		return p.Values[i]
	}
	v := p.fromUnit(u)
	if p.Kind == Integer {
		n := math.Max(p.Min, math.Min(p.Max, math.Round(v)))
		return strconv.FormatInt(int64(n), 10)
	}
	switch u {
	case 0:
		v = p.Min
	case 1:
		v = p.Max
	}
	v = math.Max(p.Min, math.Min(p.Max, v))
	return strconv.FormatFloat(v, 'g', -1, 64)
}

func (p Param) fromUnit(u float64) float64 {
	lo, hi := p.bounds()
	switch p.Scaling {
	case Logarithmic:
		return math.Exp(math.Log(lo) + u*(math.Log(hi)-math.Log(lo)))
	case ReverseLogarithmic:
		// Dense near 1: log-uniform on 1-v.
		a, b := math.Log(1-lo), math.Log(1-hi)
		return 1 - math.Exp(a+u*(b-a))
	}
	return lo + u*(hi-lo)
}

// Unit is the unit coordinate of a hyperparameter value; ok is false when the value is
// not in the range (a categorical value not listed, a number outside the bounds). A
// categorical value maps to the middle of its share of [0,1].
func (p Param) Unit(value string) (u float64, ok bool) {
	if p.Kind == Categorical {
		for i, v := range p.Values {
			if v == value {
				return (float64(i) + 0.5) / float64(len(p.Values)), true
			}
		}
		return 0, false
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
	if err != nil || math.IsNaN(v) || v < p.Min || v > p.Max {
		return 0, false
	}
	lo, hi := p.bounds()
	if hi == lo {
		return 0.5, true
	}
	switch p.Scaling {
	case Logarithmic:
		u = (math.Log(v) - math.Log(lo)) / (math.Log(hi) - math.Log(lo))
	case ReverseLogarithmic:
		a, b := math.Log(1-lo), math.Log(1-hi)
		u = (math.Log(1-v) - a) / (b - a)
	default:
		u = (v - lo) / (hi - lo)
	}
	return clamp01(u), true
}

func clamp01(u float64) float64 {
	if math.IsNaN(u) || u < 0 {
		return 0
	}
	if u > 1 {
		return 1
	}
	return u
}

// Space is the tuned hyperparameters of a tuning job, in a fixed order.
type Space []Param

// Values maps a point of the unit cube to hyperparameter values.
func (s Space) Values(x []float64) map[string]string {
	out := make(map[string]string, len(s))
	for i, p := range s {
		out[p.Name] = p.Value(x[i])
	}
	return out
}

// Point maps hyperparameter values back to the unit cube; ok is false when a value is
// missing or outside its range.
func (s Space) Point(values map[string]string) (x []float64, ok bool) {
	x = make([]float64, len(s))
	for i, p := range s {
		v, present := values[p.Name]
		if !present {
			return nil, false
		}
		if x[i], ok = p.Unit(v); !ok {
			return nil, false
		}
	}
	return x, true
}

// GridSize is the number of combinations of an all-categorical space; ok is false when
// a range is not categorical or the count passes limit.
func (s Space) GridSize(limit int) (n int, ok bool) {
	n = 1
	for _, p := range s {
		if p.Kind != Categorical {
			return 0, false
		}
		n *= len(p.Values)
		if n > limit {
			return n, false
		}
	}
	return n, true
}
