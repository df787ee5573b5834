package logs

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/stepwise-dev/stepwise/internal/clock"
	"github.com/stepwise-dev/stepwise/store"
)

// writer is the Sink's buffer: Put appends to it in memory and returns; the loop writes
// everything waiting in one store transaction when enough has gathered or the flush
// interval passes, so a job printing thousands of lines a second costs a few commits.
type writer struct {
	st        store.LogStore
	clk       clock.Clock
	log       *slog.Logger
	maxEvents int

	mu      sync.Mutex
	drained *sync.Cond // signalled when a flush takes the buffer
	pending map[streamKey]*store.LogEventBatch
	order   []streamKey
	n       int
	running bool // the loop writes; otherwise Put writes at once
	kick    chan struct{}

	flushMu sync.Mutex // one flush at a time, so a stream's batches are stored in order

	onFlush func() // tests: called after each flush of the loop
}

type streamKey struct{ group, stream string }

// backlogFactor bounds the buffer: a Put that finds maxEvents*backlogFactor events
// waiting waits for the next flush (the store is behind; memory must not grow without end).
const backlogFactor = 20

func newWriter(st store.LogStore, clk clock.Clock, log *slog.Logger, maxEvents int) *writer {
	w := &writer{st: st, clk: clk, log: log, maxEvents: maxEvents, pending: map[streamKey]*store.LogEventBatch{},
		kick: make(chan struct{}, 1)}
	w.drained = sync.NewCond(&w.mu)
	return w
}

func (w *writer) put(ctx context.Context, group, stream string, events []Event) error {
	if group == "" || stream == "" {
		return errors.New("logs: Put needs a group and a stream")
	}
	now := int64(0)
	w.mu.Lock()
	for w.running && w.n >= w.maxEvents*backlogFactor {
		w.drained.Wait()
	}
	k := streamKey{group, stream}
	b := w.pending[k]
	if b == nil {
		b = &store.LogEventBatch{GroupName: group, StreamName: stream, Create: true}
		w.pending[k] = b
		w.order = append(w.order, k)
	}
	for _, e := range events {
		if e.Message == "" {
			continue // the API's events have a message of at least one character
		}
		ts := e.Time.UnixMilli()
		if e.Time.IsZero() {
			if now == 0 {
				now = w.clk.Now().UnixMilli()
			}
			ts = now
		}
		b.Events = append(b.Events, store.LogEventInput{Timestamp: max(ts, 0), Message: e.Message})
		w.n++
	}
	running, full := w.running, w.n >= w.maxEvents
	w.mu.Unlock()
	if !running {
		return w.flush(ctx)
	}
	if full {
		select {
		case w.kick <- struct{}{}:
		default:
		}
	}
	return nil
}

// loop writes the buffer every interval, or sooner when it fills, until ctx ends.
func (w *writer) loop(ctx context.Context, interval time.Duration) {
	w.mu.Lock()
	w.running = true
	w.mu.Unlock()
	tick := w.clk.After(interval)
	for {
		ticked := false
		select {
		case <-ctx.Done():
			return
		case <-w.kick:
		case <-tick:
			ticked = true
		}
		if err := w.flush(context.WithoutCancel(ctx)); err != nil {
			w.log.Error("writing log events", "error", err)
		}
		if w.onFlush != nil {
			w.onFlush()
		}
		if ticked {
			tick = w.clk.After(interval)
		}
	}
}

// stop makes later Puts write at once.
func (w *writer) stop() {
	w.mu.Lock()
	w.running = false
	w.drained.Broadcast()
	w.mu.Unlock()
}

// flush writes everything buffered so far.
func (w *writer) flush(ctx context.Context) error {
	w.flushMu.Lock()
	defer w.flushMu.Unlock()
	w.mu.Lock()
	pending, order := w.pending, w.order
	w.pending, w.order, w.n = map[streamKey]*store.LogEventBatch{}, nil, 0
	w.drained.Broadcast()
	w.mu.Unlock()
	if len(order) == 0 {
		return nil
	}
	batches := make([]*store.LogEventBatch, 0, len(order))
	for _, k := range order {
		batches = append(batches, pending[k])
	}
	errs, err := w.st.LogEventAppend(ctx, &store.LogEventAppendParams{Batches: batches, IngestionTime: w.clk.Now().UnixMilli()})
	if err != nil {
		return err
	}
	var all []error
	for i, e := range errs {
		if e != nil {
			all = append(all, e)
			w.log.Error("log events not stored", "log_group", batches[i].GroupName, "log_stream", batches[i].StreamName, "error", e)
		}
	}
	return errors.Join(all...)
}
