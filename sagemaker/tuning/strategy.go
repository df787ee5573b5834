package tuning

import (
	"math/rand/v2"
)

// Observation is a finished training job: its tuned values and its objective, always
// to be minimised (the caller negates a Maximize objective).
type Observation struct {
	Values    map[string]string
	Objective float64
}

// Strategy chooses the tuned hyperparameters of each training job.
type Strategy interface {
	// Propose returns the values of the index-th training job (from 0). done are the
	// jobs that have an objective so far, in job order; pending are the values of jobs
	// still running. ok is false when the strategy has nothing left to propose.
	Propose(index int, done []Observation, pending []map[string]string) (values map[string]string, ok bool)
}

// rng is the random stream of one job of a tuning job: the same seed and index give
// the same stream, whatever else happened before.
func rng(seed uint64, index int) *rand.Rand {
	return rand.New(rand.NewPCG(seed, uint64(index)^0x9e3779b97f4a7c15))
}

func randomPoint(r *rand.Rand, dims int) []float64 {
	x := make([]float64, dims)
	for i := range x {
		x[i] = r.Float64()
	}
	return x
}

// Random samples every range independently: uniformly on its scale.
type Random struct {
	Space Space
	Seed  uint64
}

// Propose implements Strategy; job index's values depend only on the seed and index.
func (s *Random) Propose(index int, _ []Observation, _ []map[string]string) (map[string]string, bool) {
	return s.Space.Values(randomPoint(rng(s.Seed, index), len(s.Space))), true
}

// Grid enumerates the combinations of categorical ranges, the last range varying
// fastest.
type Grid struct {
	Space Space
}

// Size is the number of combinations.
func (g *Grid) Size() int {
	n, _ := g.Space.GridSize(int(^uint(0) >> 1))
	return n
}

// Propose implements Strategy: the index-th combination, none past the last.
func (g *Grid) Propose(index int, _ []Observation, _ []map[string]string) (map[string]string, bool) {
	if index < 0 || index >= g.Size() {
		return nil, false
	}
	out := make(map[string]string, len(g.Space))
	for i := len(g.Space) - 1; i >= 0; i-- {
		p := g.Space[i]
		n := len(p.Values)
		out[p.Name] = p.Values[index%n]
		index /= n
	}
	return out, true
}
