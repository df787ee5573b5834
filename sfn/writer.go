package sfn

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/jsonv"
	"github.com/stepwise-dev/stepwise/store"
)

// writer commits history events to the store in batches: one transaction carries the
// events of many executions (group commit), so durable transitions cost a fraction of a
// transaction each. A single goroutine commits, so each execution's events stay in order.
type writer struct {
	st  store.Store
	log *slog.Logger
	ch  chan item
	wg  sync.WaitGroup
	// mu guards sends against the close at stop: after it, events are dropped (the
	// executions they belong to resume from what was committed).
	mu     sync.RWMutex
	closed bool
}

type item struct {
	arn   string
	ev    *store.Event
	upd   *store.ExecutionUpdate
	flush chan struct{}     // closed once everything before it is committed
	after func(store.Store) // run once the batch holding the event is committed
}

const maxBatch = 4096

func newWriter(st store.Store, log *slog.Logger) *writer {
	return &writer{st: st, log: log, ch: make(chan item, 8*maxBatch)}
}

func (w *writer) start() {
	w.wg.Add(1)
	go w.loop()
}

// stop commits what is queued; callers must not enqueue after it.
func (w *writer) stop(ctx context.Context) error {
	w.mu.Lock()
	if !w.closed {
		w.closed = true
		close(w.ch)
	}
	w.mu.Unlock()
	done := make(chan struct{})
	go func() { w.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// flush waits until everything enqueued so far is committed.
func (w *writer) flush(ctx context.Context) {
	c := make(chan struct{})
	if !w.send(item{flush: c}) {
		return
	}
	select {
	case <-c:
	case <-ctx.Done():
	}
}

func (w *writer) loop() {
	defer w.wg.Done()
	for first := range w.ch {
		batch := []item{first}
	drain:
		for len(batch) < maxBatch {
			select {
			case it, ok := <-w.ch:
				if !ok {
					break drain
				}
				batch = append(batch, it)
			default:
				break drain
			}
		}
		w.commit(batch)
	}
}

func (w *writer) commit(batch []item) {
	var params []*store.ExecutionAppendEventsParams
	byARN := map[string]*store.ExecutionAppendEventsParams{}
	var flushes []chan struct{}
	var afters []func(store.Store)
	for _, it := range batch {
		if it.after != nil {
			afters = append(afters, it.after)
		}
		if it.flush != nil {
			flushes = append(flushes, it.flush)
			continue
		}
		p := byARN[it.arn]
		if p == nil {
			p = &store.ExecutionAppendEventsParams{ARN: it.arn}
			byARN[it.arn] = p
			params = append(params, p)
		}
		p.Events = append(p.Events, it.ev)
		if it.upd != nil {
			p.Update = it.upd
		}
	}
	if len(params) > 0 {
		for attempt := 0; ; attempt++ {
			errs, err := w.st.ExecutionAppendEventsMany(context.Background(), params)
			if err == nil {
				for i, e := range errs {
					if e != nil {
						w.log.Error("history append refused", "execution_arn", params[i].ARN, "error", e)
					}
				}
				break
			}
			w.log.Error("history commit failed", "error", err, "attempt", attempt)
			if attempt == 4 {
				break
			}
			time.Sleep(time.Duration(attempt+1) * 50 * time.Millisecond) // back off from a busy database
		}
	}
	for _, f := range afters {
		f(w.st)
	}
	for _, f := range flushes {
		close(f)
	}
}

// sink hands one execution's new events to the writer.
type sink struct {
	w   *writer
	arn string
	// Map runs by lane, from MapStateStarted (item count) and MapRunStarted (ARN).
	mapItems map[string]int64
	mapRuns  map[string]string
	log      *slog.Logger
}

// Event implements engine.Sink.
func (k *sink) Event(e *engine.Event) {
	k.w.send(item{arn: k.arn, ev: eventToStore(e), upd: updateFor(e), after: k.mapRun(e)})
}

// send queues an item unless the writer has stopped.
func (w *writer) send(it item) bool {
	w.mu.RLock()
	defer w.mu.RUnlock()
	if w.closed {
		return false
	}
	w.ch <- it
	return true
}

// seed teaches the sink the Map Runs of the recorded events of a resumed execution, so
// the runs it started before a restart are closed when they end after it.
func (k *sink) seed(events []*engine.Event) {
	for _, e := range events {
		switch e.Type {
		case "MapStateStarted", "MapRunStarted":
			_ = k.mapRun(e) // learn lanes and ARNs; the record exists already
		case "MapRunSucceeded", "MapRunFailed", "MapRunAborted":
			delete(k.mapRuns, e.Lane)
		}
	}
}

// mapRun keeps the Map Run records of a Distributed Map in step with its events.
func (k *sink) mapRun(e *engine.Event) func(store.Store) {
	switch e.Type {
	case "MapStateStarted":
		if k.mapItems == nil {
			k.mapItems, k.mapRuns = map[string]int64{}, map[string]string{}
		}
		if v, ok := e.Details().Get("length"); ok {
			n, _ := v.(float64)
			k.mapItems[e.Lane] = int64(n)
		}
	case "MapRunStarted":
		v, _ := e.Details().Get("mapRunArn")
		arn, _ := v.(string)
		if k.mapRuns == nil {
			k.mapItems, k.mapRuns = map[string]int64{}, map[string]string{}
		}
		k.mapRuns[e.Lane] = arn
		total := k.mapItems[e.Lane]
		run := store.MapRun{ARN: arn, ExecutionARN: k.arn, Status: store.MapRunStatusRunning, StartDate: e.Timestamp,
			ItemCounts: store.MapRunCounts{Running: total, Total: total}, ExecutionCounts: store.MapRunCounts{Running: total, Total: total}}
		if e.Extra != nil {
			num := func(k string) float64 { v, _ := e.Extra.Get(k); f, _ := v.(float64); return f }
			run.MaxConcurrency = int(num("maxConcurrency"))
			run.ToleratedFailureCount = int64(num("toleratedFailureCount"))
			run.ToleratedFailurePercentage = num("toleratedFailurePercentage")
		}
		return func(st store.Store) {
			if _, err := st.MapRunCreate(context.Background(), &store.MapRunCreateParams{MapRun: run}); err != nil && k.log != nil {
				k.log.Error("map run not recorded", "map_run_arn", arn, "error", err)
			}
		}
	case "MapRunSucceeded", "MapRunFailed", "MapRunAborted":
		arn := k.mapRuns[e.Lane]
		total := k.mapItems[e.Lane]
		status, counts := store.MapRunStatusSucceeded, store.MapRunCounts{Succeeded: total, Total: total}
		switch e.Type {
		case "MapRunFailed":
			status, counts = store.MapRunStatusFailed, store.MapRunCounts{Failed: total, Total: total}
		case "MapRunAborted":
			status, counts = store.MapRunStatusAborted, store.MapRunCounts{Aborted: total, Total: total}
		}
		stop := e.Timestamp
		return func(st store.Store) {
			_, err := st.MapRunUpdate(context.Background(), &store.MapRunUpdateParams{ARN: arn, Status: status, StopDate: &stop,
				ItemCounts: &counts, ExecutionCounts: &counts})
			if err != nil && k.log != nil {
				k.log.Error("map run not updated", "map_run_arn", arn, "error", err)
			}
		}
	}
	return nil
}

// eventToStore converts an engine event for the store. The lane and next state, which the
// engine needs to replay, travel beside the AWS details.
func eventToStore(e *engine.Event) *store.Event {
	return &store.Event{ID: e.ID, PreviousEventID: e.PreviousEventID, Type: e.Type, Timestamp: e.Timestamp,
		Details: e.DetailsJSON(), Lane: e.Lane, Next: e.Next}
}

// eventFromStore rebuilds an engine event to resume an execution.
func eventFromStore(e *store.Event) *engine.Event {
	var d *jsonv.Object
	if e.Details != "" {
		if v, err := jsonv.DecodeString(e.Details); err == nil {
			d, _ = v.(*jsonv.Object)
		}
	}
	return engine.RecordedEvent(e.ID, e.PreviousEventID, e.Timestamp, e.Type, e.Lane, e.Next, d)
}

// updateFor is the execution row change an event implies: the end of the execution.
func updateFor(e *engine.Event) *store.ExecutionUpdate {
	var status store.ExecutionStatus
	switch e.Type {
	case "ExecutionSucceeded":
		status = store.ExecutionStatusSucceeded
	case "ExecutionFailed":
		status = store.ExecutionStatusFailed
	case "ExecutionTimedOut":
		status = store.ExecutionStatusTimedOut
	case "ExecutionAborted":
		status = store.ExecutionStatusAborted
	default:
		return nil
	}
	stop := e.Timestamp
	u := &store.ExecutionUpdate{Status: status, StopDate: &stop}
	d := e.Details()
	if v, ok := d.Get("output"); ok {
		s := payloadText(v)
		u.Output = &s
	}
	if v, ok := d.Get("error"); ok {
		s, _ := v.(string)
		u.Error = &s
	}
	if v, ok := d.Get("cause"); ok {
		s, _ := v.(string)
		u.Cause = &s
	}
	return u
}

func payloadText(v any) string {
	if p, ok := v.(engine.Payload); ok {
		return jsonv.String(p.V)
	}
	if s, ok := v.(string); ok {
		return s
	}
	return jsonv.String(v)
}
