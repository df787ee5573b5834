package engine

import (
	"context"
	"fmt"
	"math"
	"sync"
	"sync/atomic"

	"github.com/stepwise-dev/stepwise/asl"
	"github.com/stepwise-dev/stepwise/jsonv"
)

// runParallel runs every branch on the same input; the result is their outputs in order.
func (r *stateRun) runParallel(ctx context.Context, input any) (any, *Failure) {
	r.x.History.add(r.lane, "ParallelStateStarted", nil)
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
			out, f := r.x.runMachine(bctx, b, input, r.lane.fork(), newScope(r.scope), nil)
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
		return nil, first
	}
	if ctx.Err() != nil {
		return nil, errAborted
	}
	r.x.History.add(r.lane, "ParallelStateSucceeded", nil)
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
		return 0, false, r.runtime(jaywayNotFound(p.Src, doc, r))
	}
	f, ok := val.(float64)
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
			return nil, r.runtime(jaywayNotFound(st.ItemsPath.Src, eff, r))
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
	return r.iterate(ctx, eff, items, keys, maxConc)
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
func (r *stateRun) iterate(ctx context.Context, eff any, items []any, keys []string, maxConc int) (any, *Failure) {
	st := r.st
	r.x.History.add(r.lane, "MapStateStarted", jsonv.ObjectOf("length", float64(len(items))))
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
			il := r.lane.fork()
			input := items[i]
			if selector != nil {
				sr := *r
				sr.item = item
				sr.ctxObj = nil
				v, f := sr.evalTemplate(selector, eff)
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
			d := jsonv.ObjectOf("name", st.Name, "index", float64(i))
			r.x.History.add(il, "MapIterationStarted", d)
			out, f := r.x.runMachine(ictx, st.Processor, input, il, newScope(r.scope), item)
			if f != nil {
				if f == errAborted {
					r.x.History.add(il, "MapIterationAborted", jsonv.ObjectOf("name", st.Name, "index", float64(i)))
					continue
				}
				r.x.History.add(il, "MapIterationFailed", jsonv.ObjectOf("name", st.Name, "index", float64(i)))
				mu.Lock()
				if first == nil {
					first = f
					cancel()
				}
				mu.Unlock()
				continue
			}
			r.x.History.add(il, "MapIterationSucceeded", jsonv.ObjectOf("name", st.Name, "index", float64(i)))
			results[i] = out
		}
	}
	wg.Add(workers)
	for w := 0; w < workers; w++ {
		go worker()
	}
	wg.Wait()
	if first != nil {
		return nil, first
	}
	if ctx.Err() != nil {
		return nil, errAborted
	}
	r.x.History.add(r.lane, "MapStateSucceeded", nil)
	return results, nil
}
