package tuning

import (
	"errors"
	"math"
	"slices"
	"strings"
)

// Bayesian is model-based search: after a few random jobs, a Gaussian process (Matérn
// 5/2 kernel on the unit cube, a categorical range counting as distance 1 when the
// categories differ) is fitted to the objectives, and the next job takes the point of
// highest expected improvement among random and local candidates. Jobs still running
// count as observations at the mean objective (the "constant liar"), so parallel jobs
// spread out instead of proposing the same point. The kernel's length scale and noise
// are chosen by marginal likelihood on a small grid.
type Bayesian struct {
	Space Space
	Seed  uint64
	// Initial is the number of random jobs before the model is used; 0 is a default
	// from the number of ranges (3 to 10).
	Initial int
}

func (b *Bayesian) initial() int {
	if b.Initial > 0 {
		return b.Initial
	}
	return min(10, max(3, len(b.Space)+1))
}

// Propose implements Strategy.
func (b *Bayesian) Propose(index int, done []Observation, pending []map[string]string) (map[string]string, bool) {
	r := rng(b.Seed, index)
	var xs [][]float64
	var ys []float64
	seen := map[string]bool{}
	for _, o := range done {
		x, ok := b.Space.Point(o.Values)
		if !ok || math.IsNaN(o.Objective) || math.IsInf(o.Objective, 0) {
			continue
		}
		xs = append(xs, b.snap(x))
		ys = append(ys, o.Objective)
		seen[b.key(x)] = true
	}
	if len(xs) < b.initial() {
		return b.Space.Values(randomPoint(r, len(b.Space))), true
	}
	var liars [][]float64
	for _, v := range pending {
		if x, ok := b.Space.Point(v); ok {
			liars = append(liars, b.snap(x))
			seen[b.key(x)] = true
		}
	}
	// Standardise the objectives.
	mean, sd := meanSD(ys)
	zs := make([]float64, len(ys))
	for i, y := range ys {
		zs[i] = (y - mean) / sd
	}
	cats := b.cats()
	model, err := fitBest(xs, zs, cats)
	if err != nil {
		return b.Space.Values(randomPoint(r, len(b.Space))), true
	}
	best := slices.Min(zs)
	if len(liars) > 0 {
		allX := append(append([][]float64(nil), xs...), liars...)
		allZ := append(append([]float64(nil), zs...), make([]float64, len(liars))...) // the mean, 0
		if m, err := fit(allX, allZ, cats, model.ls, model.noise); err == nil {
			model = m
		}
	}

	var bestX []float64
	bestEI := math.Inf(-1)
	consider := func(x []float64) {
		x = b.snap(x)
		if seen[b.key(x)] {
			return
		}
		if ei := model.expectedImprovement(x, best); ei > bestEI {
			bestEI, bestX = ei, x
		}
	}
	nRandom := 1000
	if len(xs) > 150 {
		nRandom = 300
	}
	for range nRandom {
		consider(randomPoint(r, len(b.Space)))
	}
	order := make([]int, len(zs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, c int) int { return cmpFloat(zs[a], zs[c]) })
	for _, i := range order[:min(5, len(order))] {
		for range 100 {
			x := slices.Clone(xs[i])
			for d := range x {
				if cats[d] > 0 {
					if r.Float64() < 0.2 {
						x[d] = r.Float64()
					}
					continue
				}
				x[d] = clamp01(x[d] + 0.07*r.NormFloat64())
			}
			consider(x)
		}
	}
	if bestX == nil { // every candidate was tried already
		return b.Space.Values(randomPoint(r, len(b.Space))), true
	}
	return b.Space.Values(bestX), true
}

// cats is, per dimension, the number of categories (0 for a numeric range).
func (b *Bayesian) cats() []int {
	c := make([]int, len(b.Space))
	for i, p := range b.Space {
		if p.Kind == Categorical {
			c[i] = len(p.Values)
		}
	}
	return c
}

// snap moves a point to the unit coordinates of the values it stands for (integers and
// categories are steps), so a candidate and an observation of the same values coincide.
func (b *Bayesian) snap(x []float64) []float64 {
	out := make([]float64, len(x))
	for i, p := range b.Space {
		out[i] = x[i]
		if p.Kind != Continuous {
			if u, ok := p.Unit(p.Value(x[i])); ok {
				out[i] = u
			}
		}
	}
	return out
}

func (b *Bayesian) key(x []float64) string {
	v := b.Space.Values(x)
	parts := make([]string, len(b.Space))
	for i, p := range b.Space {
		parts[i] = v[p.Name]
	}
	return strings.Join(parts, "\x00")
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func meanSD(ys []float64) (mean, sd float64) {
	for _, y := range ys {
		mean += y
	}
	mean /= float64(len(ys))
	for _, y := range ys {
		sd += (y - mean) * (y - mean)
	}
	sd = math.Sqrt(sd / float64(len(ys)))
	if sd < 1e-12 {
		sd = 1
	}
	return mean, sd
}

// gp is a fitted Gaussian process with unit signal variance.
type gp struct {
	xs    [][]float64
	cats  []int
	ls    float64
	noise float64
	chol  [][]float64 // lower Cholesky factor of K + noise·I
	alpha []float64   // (K + noise·I)⁻¹ y
	lml   float64     // log marginal likelihood
}

var (
	lengthScales = []float64{0.05, 0.1, 0.2, 0.35, 0.5, 0.8, 1.2}
	noises       = []float64{1e-6, 1e-3, 1e-2, 1e-1}
)

func fitBest(xs [][]float64, ys []float64, cats []int) (*gp, error) {
	var best *gp
	for _, ls := range lengthScales {
		for _, n := range noises {
			m, err := fit(xs, ys, cats, ls, n)
			if err == nil && (best == nil || m.lml > best.lml) {
				best = m
			}
		}
	}
	if best == nil {
		return nil, errors.New("no kernel fits")
	}
	return best, nil
}

func kernel(a, b []float64, cats []int, ls float64) float64 {
	var r2 float64
	for i := range a {
		if n := cats[i]; n > 0 {
			if category(a[i], n) != category(b[i], n) {
				r2++
			}
			continue
		}
		d := a[i] - b[i]
		r2 += d * d
	}
	r := math.Sqrt(r2) / ls
	s := math.Sqrt(5) * r
	return (1 + s + s*s/3) * math.Exp(-s)
}

func category(u float64, n int) int { return min(int(u*float64(n)), n-1) }

func fit(xs [][]float64, ys []float64, cats []int, ls, noise float64) (*gp, error) {
	n := len(xs)
	k := make([][]float64, n)
	for i := range k {
		k[i] = make([]float64, n)
		for j := 0; j <= i; j++ {
			v := kernel(xs[i], xs[j], cats, ls)
			k[i][j], k[j][i] = v, v
		}
		k[i][i] += noise
	}
	l, err := cholesky(k)
	if err != nil {
		return nil, err
	}
	alpha := solveUpper(l, solveLower(l, ys))
	lml := -0.5 * float64(n) * math.Log(2*math.Pi)
	for i := range n {
		lml -= 0.5*ys[i]*alpha[i] + math.Log(l[i][i])
	}
	return &gp{xs: xs, cats: cats, ls: ls, noise: noise, chol: l, alpha: alpha, lml: lml}, nil
}

func (m *gp) predict(x []float64) (mu, sigma float64) {
	ks := make([]float64, len(m.xs))
	for i, xi := range m.xs {
		ks[i] = kernel(x, xi, m.cats, m.ls)
		mu += ks[i] * m.alpha[i]
	}
	v := solveLower(m.chol, ks)
	variance := 1.0
	for _, e := range v {
		variance -= e * e
	}
	return mu, math.Sqrt(math.Max(variance, 1e-12))
}

// expectedImprovement below best (minimisation), with a small exploration margin.
func (m *gp) expectedImprovement(x []float64, best float64) float64 {
	mu, sigma := m.predict(x)
	imp := best - mu - 0.01
	z := imp / sigma
	return imp*normCDF(z) + sigma*normPDF(z)
}

func normCDF(z float64) float64 { return 0.5 * math.Erfc(-z/math.Sqrt2) }
func normPDF(z float64) float64 { return math.Exp(-z*z/2) / math.Sqrt(2*math.Pi) }

func cholesky(a [][]float64) ([][]float64, error) {
	n := len(a)
	l := make([][]float64, n)
	for i := range l {
		l[i] = make([]float64, n)
	}
	for i := range n {
		for j := 0; j <= i; j++ {
			s := a[i][j]
			for k := range j {
				s -= l[i][k] * l[j][k]
			}
			if i == j {
				if s <= 0 {
					return nil, errors.New("matrix not positive definite")
				}
				l[i][i] = math.Sqrt(s)
			} else {
				l[i][j] = s / l[j][j]
			}
		}
	}
	return l, nil
}

func solveLower(l [][]float64, b []float64) []float64 {
	x := make([]float64, len(b))
	for i := range b {
		s := b[i]
		for k := range i {
			s -= l[i][k] * x[k]
		}
		x[i] = s / l[i][i]
	}
	return x
}

func solveUpper(l [][]float64, b []float64) []float64 {
	n := len(b)
	x := make([]float64, n)
	for i := n - 1; i >= 0; i-- {
		s := b[i]
		for k := i + 1; k < n; k++ {
			s -= l[k][i] * x[k]
		}
		x[i] = s / l[i][i]
	}
	return x
}

// NewStrategy returns the strategy named by a tuning job's Strategy (Bayesian, Random
// or Grid); ok is false for any other name.
func NewStrategy(name string, space Space, seed uint64) (s Strategy, ok bool) {
	switch name {
	case "Bayesian":
		return &Bayesian{Space: space, Seed: seed}, true
	case "Random":
		return &Random{Space: space, Seed: seed}, true
	case "Grid":
		return &Grid{Space: space}, true
	}
	return nil, false
}
