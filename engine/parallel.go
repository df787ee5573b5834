package engine

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/stepwise-dev/stepwise/asl"
	"github.com/stepwise-dev/stepwise/jsonv"
)

// runParallel runs every branch on the same input; the result is their outputs in order.
func (r *stateRun) runParallel(ctx context.Context, input any) (any, *Failure) {
	r.lane.add("ParallelStateStarted", nil)
	bctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make([]any, len(r.st.Branches))
	var (
		mu    sync.Mutex
		first *Failure
		wg    sync.WaitGroup
	)
	pw := r.x.spawn(len(r.st.Branches))
	defer pw.wake()
	var remaining atomic.Int64
	remaining.Store(int64(len(r.st.Branches)))
	for i, b := range r.st.Branches {
		wg.Add(1)
		go func(i int, b *asl.StateMachine) {
			defer wg.Done()
			defer r.x.exit(&remaining, pw)
			out, f := r.x.runMachine(bctx, b, input, r.lane.fork("b"+strconv.Itoa(i)), newScope(r.scope), nil)
			if f != nil {
				mu.Lock()
				if first == nil && f != errAborted {
					first = f
					cancel()
				}
				mu.Unlock()
				return
			}
			results[i] = out
		}(i, b)
	}
	wg.Wait()
	if first != nil {
		r.childFailed = true
		return nil, first
	}
	if ctx.Err() != nil {
		return nil, errAborted
	}
	// AWS records no ParallelStateSucceeded event.
	return results, nil
}

// mapIntField reads MaxConcurrency-like integer fields or their Path variant.
func (r *stateRun) mapIntField(v asl.Value, p asl.PathField, name string, doc any) (int, bool, *Failure) {
	if v != nil {
		f, ok := v.Lit.(float64)
		return int(f), ok, nil
	}
	if !p.Set {
		return 0, false, nil
	}
	val, err := r.resolvePath(p.Path, doc)
	if err != nil {
		return 0, false, r.runtime(r.invalidPath(p.Path, p.Src, err))
	}
	// Like AWS (Java), a string holding an integer is accepted too.
	f, ok := val.(float64)
	if s, isStr := val.(string); isStr {
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		f, ok = float64(n), err == nil
	}
	if !ok || f != math.Trunc(f) {
		return 0, false, r.runtime(fmt.Sprintf("The %sPath field refers to value %s which is not a valid integer: %s", name, quoteValue(val), p.Src))
	}
	return int(f), true, nil
}

func quoteValue(v any) string {
	if s, ok := v.(string); ok {
		return `"` + s + `"`
	}
	return `"` + jsonv.String(v) + `"`
}

// runMap runs the iterations of an inline Map (and, for now, a Distributed one over
// inline items).
func (r *stateRun) runMap(ctx context.Context, eff any) (any, *Failure) {
	st := r.st
	itemsDoc := eff
	if st.ItemsPath.Set && !st.ItemsPath.Null {
		v, err := r.resolvePath(st.ItemsPath.Path, eff)
		if err != nil {
			return nil, r.runtime(r.invalidPath(st.ItemsPath.Path, st.ItemsPath.Src, err))
		}
		itemsDoc = v
	}
	maxConc, _, f := r.mapIntField(st.MaxConcurrency, st.MaxConcurrencyPath, "MaxConcurrency", eff)
	if f != nil {
		return nil, f
	}
	items, keys, f := r.mapItems(itemsDoc)
	if f != nil {
		return nil, f
	}
	r.lane.add("MapStateStarted", jsonv.ObjectOf("length", float64(len(items))))
	tol, f := r.tolerance(eff, len(items))
	if f != nil {
		return nil, f
	}
	return r.iterate(ctx, eff, items, keys, maxConc, tol)
}

// tolerance is how many failed iterations a Map accepts (count -1: none, the first
// failure fails the state) and the percentage it was given as (-1: none), which the Map
// Run record shows.
type tolerance struct {
	count int
	pct   float64
}

func (r *stateRun) tolerance(doc any, n int) (tolerance, *Failure) {
	st := r.st
	tol, pctGiven := -1, -1.0
	if st.ToleratedFailureCount != nil || st.ToleratedFailureCountPath.Set {
		c, _, f := r.mapIntField(st.ToleratedFailureCount, st.ToleratedFailureCountPath, "ToleratedFailureCount", doc)
		if f != nil {
			return tolerance{}, f
		}
		if c < 0 {
			return tolerance{}, r.runtime("ToleratedFailureCount cannot be negative.")
		}
		tol = c
	}
	if st.ToleratedFailurePercentage != nil || st.ToleratedFailurePercentagePath.Set {
		var pct float64
		if st.ToleratedFailurePercentage != nil {
			pct, _ = st.ToleratedFailurePercentage.Lit.(float64)
		} else {
			p := st.ToleratedFailurePercentagePath
			val, err := r.resolvePath(p.Path, doc)
			if err != nil {
				return tolerance{}, r.runtime(r.invalidPath(p.Path, p.Src, err))
			}
			f, ok := val.(float64)
			if s, isStr := val.(string); isStr {
				n, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
				f, ok = n, err == nil
			}
			if !ok {
				return tolerance{}, r.runtime(fmt.Sprintf("The ToleratedFailurePercentagePath field refers to value %s which is not a valid float: %s", quoteValue(val), p.Src))
			}
			pct = f
		}
		if pct < 0 || pct > 100 {
			return tolerance{}, r.runtime("ToleratedFailurePercentage must be between 0 and 100.")
		}
		pctGiven = pct
	}
	return combineTolerance(tol, pctGiven, n), nil
}

// combineTolerance takes the larger of what the count and the percentage allow.
func combineTolerance(count int, pct float64, n int) tolerance {
	if pct >= 0 {
		if byPct := int(math.Floor(pct / 100 * float64(n))); count < 0 || byPct > count {
			count = byPct
		}
	}
	return tolerance{count: count, pct: pct}
}

// mapItems turns the Map's input into a list of items (an object iterates its values).
func (r *stateRun) mapItems(doc any) ([]any, []string, *Failure) {
	switch t := doc.(type) {
	case []any:
		return t, nil, nil
	case *jsonv.Object:
		return append([]any(nil), t.Values()...), t.Keys(), nil
	}
	return nil, nil, r.runtime(fmt.Sprintf("Map state input must be an array but was: %s", jsonv.String(doc)))
}

// iterate runs the processor once per item with at most maxConc at a time.
func (r *stateRun) iterate(ctx context.Context, eff any, items []any, keys []string, maxConc int, tol tolerance) (any, *Failure) {
	tolerated := tol.count
	st := r.st
	var failed atomic.Int64
	workers := maxConc
	if workers <= 0 || workers > r.x.eng.cfg.InlineMapConcurrency {
		workers = r.x.eng.cfg.InlineMapConcurrency
	}
	if workers > len(items) {
		workers = len(items)
	}
	results := make([]any, len(items))
	ictx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu    sync.Mutex
		first *Failure
		wg    sync.WaitGroup
	)
	selector := st.ItemSelector
	if selector == nil && st.Parameters != nil {
		selector = st.Parameters
	}
	distributed := st.ProcessorMode == "DISTRIBUTED"
	if distributed {
		mapRun := "arn:aws:states:us-east-1:123456789012:mapRun:" + r.x.params.StateMachineName + "/" + mapRunLabel(st) + ":" + r.x.eng.cfg.NewUUID()
		extra := jsonv.ObjectOf("maxConcurrency", float64(maxConc), "toleratedFailureCount", float64(max(tolerated, 0)))
		if tol.pct >= 0 {
			extra.Set("toleratedFailurePercentage", tol.pct)
		}
		r.lane.addExtra("MapRunStarted", jsonv.ObjectOf("mapRunArn", mapRun), extra)
	}
	var cursor atomic.Int64
	var remaining atomic.Int64
	remaining.Store(int64(workers))
	pw := r.x.spawn(workers)
	defer pw.wake()
	worker := func() {
		defer wg.Done()
		defer r.x.exit(&remaining, pw)
		for {
			i := int(cursor.Add(1) - 1)
			if i >= len(items) || ictx.Err() != nil {
				return
			}
			item := &mapItem{index: i, value: items[i]}
			if keys != nil {
				item.key = keys[i]
			}
			il := r.lane.fork("m" + strconv.Itoa(i))
			if distributed {
				// Each iteration of a Distributed Map is a child execution with its own history.
				il = &lane{h: NewHistory(r.x.eng.cfg.Clock.Now)}
			}
			input := items[i]
			if selector != nil {
				sr := *r
				sr.item = item
				sr.ctxObj = nil
				v, f := sr.evalItemSelector(selector, eff)
				if f != nil {
					mu.Lock()
					if first == nil {
						first = f
						cancel()
					}
					mu.Unlock()
					continue
				}
				input = v
			}
			il.iteration("MapIterationStarted", st.Name, i)
			out, f := r.x.runMachine(ictx, st.Processor, input, il, newScope(r.scope), item)
			if f != nil {
				if f == errAborted {
					il.iteration("MapIterationAborted", st.Name, i)
					continue
				}
				il.iteration("MapIterationFailed", st.Name, i)
				if tolerated >= 0 && int(failed.Add(1)) <= tolerated {
					results[i] = errorOutput(f)
					continue
				}
				if tolerated >= 0 {
					f = newFailure(ErrExceedToleratedFailure, "The specified tolerated failure threshold was exceeded")
				}
				mu.Lock()
				if first == nil {
					first = f
					cancel()
				}
				mu.Unlock()
				continue
			}
			il.iteration("MapIterationSucceeded", st.Name, i)
			results[i] = out
		}
	}
	wg.Add(workers)
	for w := 0; w < workers; w++ {
		go worker()
	}
	wg.Wait()
	if first != nil {
		if distributed {
			r.lane.add("MapRunFailed", jsonv.ObjectOf("error", first.Name, "cause", first.Cause))
		}
		r.childFailed = true
		return nil, first
	}
	if ctx.Err() != nil {
		return nil, errAborted
	}
	if distributed {
		r.lane.add("MapRunSucceeded", nil)
	}
	r.lane.add("MapStateSucceeded", nil)
	return results, nil
}

// mapRunLabel is the Map Run's label: the state's Label, else its name.
func mapRunLabel(st *asl.State) string {
	if st.Label != "" {
		return st.Label
	}
	return st.Name
}
