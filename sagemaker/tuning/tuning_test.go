package tuning

import (
	"errors"
	"maps"
	"math"
	"strconv"
	"testing"
)

func must(t *testing.T) func(Param, error) Param {
	return func(p Param, err error) Param {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
}

func TestScalingEnds(t *testing.T) {
	t.Parallel()
	cases := []struct {
		p        Param
		at0, at1 string
		mid      float64 // value at u = 0.5
	}{
		{must(t)(ContinuousParam("lin", "2", "10", Linear)), "2", "10", 6},
		{must(t)(ContinuousParam("auto", "2", "10", Auto)), "2", "10", 6},
		{must(t)(ContinuousParam("log", "0.001", "10", Logarithmic)), "0.001", "10", 0.1},
		{must(t)(ContinuousParam("rev", "0", "0.99", ReverseLogarithmic)), "0", "0.99", 0.9},
	}
	for _, c := range cases {
		if got := c.p.Value(0); got != c.at0 {
			t.Errorf("%s at 0 = %s, want %s", c.p.Name, got, c.at0)
		}
		if got := c.p.Value(1); got != c.at1 {
			t.Errorf("%s at 1 = %s, want %s", c.p.Name, got, c.at1)
		}
		mid, _ := strconv.ParseFloat(c.p.Value(0.5), 64)
		if math.Abs(mid-c.mid) > 1e-9*math.Max(1, c.mid) {
			t.Errorf("%s at 0.5 = %v, want %v", c.p.Name, mid, c.mid)
		}
	}
}

// Every integer of a range gets an equal share of the unit interval on a linear scale,
// and a logarithmic scale favours the small ones.
func TestIntegerShares(t *testing.T) {
	t.Parallel()
	lin := must(t)(IntegerParam("n", "1", "4", Linear))
	log := must(t)(IntegerParam("n", "1", "1000", Logarithmic))
	counts := map[string]int{}
	small := 0
	const n = 4000
	for i := range n {
		u := (float64(i) + 0.5) / n
		counts[lin.Value(u)]++
		if v, _ := strconv.Atoi(log.Value(u)); v <= 31 {
			small++
		}
	}
	for _, v := range []string{"1", "2", "3", "4"} {
		if counts[v] != n/4 {
			t.Errorf("value %s drawn %d times of %d", v, counts[v], n)
		}
	}
	if small < n*4/10 || small > n*6/10 { // about half of log10(1000) lies below 31.6
		t.Errorf("log scale: %d of %d values at most 31", small, n)
	}
}

func TestRangeValidation(t *testing.T) {
	t.Parallel()
	bad := []func() (Param, error){
		func() (Param, error) { return IntegerParam("a", "x", "3", Linear) },
		func() (Param, error) { return IntegerParam("a", "1.5", "3", Linear) },
		func() (Param, error) { return IntegerParam("a", "5", "3", Linear) },
		func() (Param, error) { return IntegerParam("a", "0", "3", Logarithmic) },
		func() (Param, error) { return IntegerParam("a", "1", "3", ReverseLogarithmic) },
		func() (Param, error) { return ContinuousParam("a", "0", "1", Logarithmic) },
		func() (Param, error) { return ContinuousParam("a", "0.1", "1", ReverseLogarithmic) },
		func() (Param, error) { return ContinuousParam("a", "-0.1", "0.5", ReverseLogarithmic) },
		func() (Param, error) { return ContinuousParam("a", "NaN", "1", Linear) },
		func() (Param, error) { return ContinuousParam("a", "1", "2", "Cubic") },
		func() (Param, error) { return CategoricalParam("a", nil) },
		func() (Param, error) { return CategoricalParam("a", []string{"x", "x"}) },
	}
	for i, f := range bad {
		if _, err := f(); !errors.Is(err, ErrRange) {
			t.Errorf("case %d: err %v", i, err)
		}
	}
	if _, err := ContinuousParam("a", "0", "0.999", ReverseLogarithmic); err != nil {
		t.Error(err)
	}
}

func TestGridEnumeratesEveryCombinationOnce(t *testing.T) {
	t.Parallel()
	space := Space{
		must(t)(CategoricalParam("a", []string{"1", "2", "3"})),
		must(t)(CategoricalParam("b", []string{"x", "y"})),
	}
	g := &Grid{Space: space}
	if g.Size() != 6 {
		t.Fatalf("size %d", g.Size())
	}
	seen := map[string]bool{}
	var order []string
	for i := range 6 {
		v, ok := g.Propose(i, nil, nil)
		if !ok {
			t.Fatalf("no combination %d", i)
		}
		k := v["a"] + v["b"]
		if seen[k] {
			t.Fatalf("combination %s twice", k)
		}
		seen[k] = true
		order = append(order, k)
	}
	if order[0] != "1x" || order[1] != "1y" || order[5] != "3y" {
		t.Fatalf("order %v", order)
	}
	if _, ok := g.Propose(6, nil, nil); ok {
		t.Fatal("a seventh combination")
	}
	if n, ok := (Space{must(t)(IntegerParam("i", "1", "3", Linear))}).GridSize(100); ok {
		t.Fatalf("grid over an integer range: %d", n)
	}
}

func testSpace(t *testing.T) Space {
	return Space{
		must(t)(ContinuousParam("eta", "0.001", "1", Logarithmic)),
		must(t)(IntegerParam("depth", "1", "10", Linear)),
		must(t)(CategoricalParam("booster", []string{"gbtree", "dart"})),
	}
}

// The same seed proposes the same values; another seed does not.
func TestSeedsReproducible(t *testing.T) {
	t.Parallel()
	space := testSpace(t)
	var done []Observation
	for _, name := range []string{"Random", "Bayesian"} {
		a, _ := NewStrategy(name, space, 7)
		b, _ := NewStrategy(name, space, 7)
		c, _ := NewStrategy(name, space, 8)
		same := 0
		for i := range 12 {
			va, _ := a.Propose(i, done, nil)
			vb, _ := b.Propose(i, done, nil)
			vc, _ := c.Propose(i, done, nil)
			if !maps.Equal(va, vb) {
				t.Fatalf("%s job %d: %v then %v", name, i, va, vb)
			}
			if maps.Equal(va, vc) {
				same++
			}
			for _, p := range space {
				if _, ok := p.Unit(va[p.Name]); !ok {
					t.Fatalf("%s proposed %s=%s outside its range", name, p.Name, va[p.Name])
				}
			}
			eta, _ := strconv.ParseFloat(va["eta"], 64)
			done = append(done, Observation{Values: va, Objective: math.Abs(math.Log10(eta) + 2)})
		}
		if same > 2 {
			t.Fatalf("%s: seeds 7 and 8 agree on %d of 12 jobs", name, same)
		}
		done = nil
	}
}

// bestAfter runs a strategy sequentially on f and returns the best value found.
func bestAfter(s Strategy, space Space, f func(map[string]string) float64, jobs, parallel int) float64 {
	var done []Observation
	best := math.Inf(1)
	for i := 0; i < jobs; i += parallel {
		var batch []map[string]string
		for j := i; j < min(i+parallel, jobs); j++ {
			v, ok := s.Propose(j, done, batch)
			if !ok {
				break
			}
			batch = append(batch, v)
		}
		for _, v := range batch {
			y := f(v)
			done = append(done, Observation{Values: v, Objective: y})
			best = math.Min(best, y)
		}
	}
	return best
}

// Over the same seeds, Bayesian search ends closer to the minimum than random search,
// in one and in two dimensions, sequentially and with parallel jobs.
func TestBayesianBeatsRandom(t *testing.T) {
	t.Parallel()
	oneD := Space{must(t)(ContinuousParam("x", "0", "1", Linear))}
	f1 := func(v map[string]string) float64 {
		x, _ := strconv.ParseFloat(v["x"], 64)
		return (x - 0.731) * (x - 0.731)
	}
	twoD := Space{
		must(t)(ContinuousParam("lr", "0.0001", "1", Logarithmic)),
		must(t)(IntegerParam("depth", "1", "20", Linear)),
	}
	f2 := func(v map[string]string) float64 {
		lr, _ := strconv.ParseFloat(v["lr"], 64)
		d, _ := strconv.Atoi(v["depth"])
		a := math.Log10(lr) + 1.7
		b := float64(d-13) / 5
		return a*a + b*b
	}
	cases := []struct {
		name           string
		space          Space
		f              func(map[string]string) float64
		jobs, parallel int
	}{
		{"1-D", oneD, f1, 12, 1},
		{"2-D", twoD, f2, 20, 1},
		{"2-D parallel", twoD, f2, 20, 3},
	}
	for _, c := range cases {
		var bayes, random float64
		const seeds = 20
		for seed := range uint64(seeds) {
			bayes += bestAfter(&Bayesian{Space: c.space, Seed: seed}, c.space, c.f, c.jobs, c.parallel)
			random += bestAfter(&Random{Space: c.space, Seed: seed}, c.space, c.f, c.jobs, c.parallel)
		}
		t.Logf("%s: mean best Bayesian %.3g, random %.3g", c.name, bayes/seeds, random/seeds)
		if bayes >= random/2 {
			t.Errorf("%s: Bayesian mean best %.3g is not well below random's %.3g", c.name, bayes/seeds, random/seeds)
		}
	}
}

func FuzzParamUnit(f *testing.F) {
	f.Add(uint8(0), "1", "10", "Linear", 0.3, "4")
	f.Add(uint8(1), "0.001", "1", "Logarithmic", 0.99, "0.5")
	f.Add(uint8(1), "0", "0.9", "ReverseLogarithmic", 0.5, "0.1")
	f.Add(uint8(0), "-5", "5", "Auto", 1.0, "x")
	f.Fuzz(func(t *testing.T, kind uint8, lo, hi, scaling string, u float64, value string) {
		var p Param
		var err error
		if kind%2 == 0 {
			p, err = IntegerParam("p", lo, hi, Scaling(scaling))
		} else {
			p, err = ContinuousParam("p", lo, hi, Scaling(scaling))
		}
		if err != nil {
			return
		}
		v := p.Value(u)
		back, ok := p.Unit(v)
		if !ok {
			t.Fatalf("Value(%v) = %s is not in [%v, %v]", u, v, p.Min, p.Max)
		}
		if p.Value(back) != v && p.Kind == Integer {
			t.Fatalf("integer %s maps to %v and back to %s", v, back, p.Value(back))
		}
		if _, ok := p.Unit(value); ok {
			n, _ := strconv.ParseFloat(value, 64)
			if n < p.Min || n > p.Max {
				t.Fatalf("Unit accepted %s outside [%v, %v]", value, p.Min, p.Max)
			}
		}
	})
}

// BenchmarkBayesianPropose measures one Bayesian proposal (model fit and acquisition)
// with n finished jobs over three ranges.
func BenchmarkBayesianPropose(b *testing.B) {
	for _, n := range []int{10, 50, 200} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			space := Space{}
			for _, p := range []func() (Param, error){
				func() (Param, error) { return ContinuousParam("eta", "0.001", "1", Logarithmic) },
				func() (Param, error) { return IntegerParam("depth", "1", "10", Linear) },
				func() (Param, error) { return CategoricalParam("booster", []string{"gbtree", "dart"}) },
			} {
				v, err := p()
				if err != nil {
					b.Fatal(err)
				}
				space = append(space, v)
			}
			r := &Random{Space: space, Seed: 1}
			var done []Observation
			for i := range n {
				v, _ := r.Propose(i, nil, nil)
				eta, _ := strconv.ParseFloat(v["eta"], 64)
				done = append(done, Observation{Values: v, Objective: math.Abs(math.Log10(eta) + 2)})
			}
			s := &Bayesian{Space: space, Seed: 1}
			b.ResetTimer()
			for i := range b.N {
				s.Propose(n+i, done, nil)
			}
		})
	}
}
