package batch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
)

// Invoker sends one request to a serving process and returns its response body. A
// response other than 2xx is a *StatusError; an error wrapping ErrFatal ends the whole
// run (the serving process is gone).
type Invoker interface {
	Invoke(ctx context.Context, body []byte) ([]byte, error)
}

// ErrFatal is wrapped by invoker errors after which no request can succeed.
var ErrFatal = errors.New("batch: serving process unavailable")

// Object is one input object of a run.
type Object struct {
	// Name is how logs name the object ("bucket/key").
	Name string
	// Open reads the object (decompressed).
	Open func(ctx context.Context) (io.ReadCloser, error)
	// Create starts the object's output.
	Create func(ctx context.Context) (Output, error)
}

// Output receives an object's results in order. Commit publishes them; Abort discards
// what was written (an object's output exists only when all of it succeeded).
type Output interface {
	io.Writer
	Commit() error
	Abort()
}

// Source hands out the objects of a run one at a time; it returns nil when there are
// no more. Several runs (one per instance) may share one source.
type Source func(ctx context.Context) (*Object, error)

// Options configure a run.
type Options struct {
	Batcher BatcherOptions
	// Concurrency is MaxConcurrentTransforms: requests in flight at once.
	Concurrency int
	// AssembleLine is AssembleWith=Line: each response ends with a line ending (one is
	// added where it is missing).
	AssembleLine bool
	// Done is called once per object with nil (its output is published) or why it
	// failed (nothing published).
	Done func(obj *Object, err error)
}

// objectState is an object being transformed.
type objectState struct {
	obj    *Object
	failed atomic.Bool // read by the reader and the senders
	// out and err belong to the writer.
	out Output
	err error
}

// item is one element of the ordered stream the writer consumes: the start of an
// object, a request, or the end of an object.
type item struct {
	kind  int // itemStart, itemBatch, itemEnd
	state *objectState
	batch *Batch
	err   error // a read error (itemEnd) or the request's error
	resp  []byte
	done  chan struct{}
}

const (
	itemStart = iota
	itemBatch
	itemEnd
)

// Run transforms the objects of src with inv: requests of each object go out with at
// most opts.Concurrency in flight, across objects, and each object's responses are
// written to its output in input order. Memory holds at most about twice Concurrency
// requests. An object that fails (a request that fails, a record too large, a response
// the DataProcessing cannot align) is reported through Done and the run goes on with
// the next; Run returns an error only when it cannot go on (ctx ended, ErrFatal, the
// source fails).
func Run(ctx context.Context, src Source, inv Invoker, opts Options) error {
	n := max(opts.Concurrency, 1)
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	window := make(chan struct{}, 2*n+1) // requests between the reader and the writer
	ordered := make(chan *item, 2*n+4)
	work := make(chan *item, n)

	var wg sync.WaitGroup
	var prodErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(ordered)
		defer close(work)
		prodErr = produce(ctx, src, opts, window, ordered, work)
		if prodErr != nil {
			cancel(prodErr)
		}
	}()
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range work {
				switch {
				case ctx.Err() != nil:
					it.err = context.Cause(ctx)
				case it.state.failed.Load():
					it.err = errSkipped
				default:
					it.resp, it.err = inv.Invoke(ctx, it.batch.Body)
					if it.err != nil {
						it.state.failed.Store(true)
						if errors.Is(it.err, ErrFatal) {
							cancel(it.err)
						}
					}
				}
				close(it.done)
			}
		}()
	}

	werr := write(ctx, opts, window, ordered)
	if werr != nil {
		cancel(werr)
	}
	// Drain what the reader still sends so it can end, then wait for everyone.
	for it := range ordered {
		if it.kind == itemBatch {
			<-it.done
			<-window
		}
		it.state.abort()
	}
	wg.Wait()
	if werr != nil {
		return werr
	}
	if prodErr != nil {
		return prodErr
	}
	return context.Cause(ctx)
}

var errSkipped = errors.New("batch: skipped after an earlier request of the object failed")

func produce(ctx context.Context, src Source, opts Options, window chan struct{}, ordered, work chan<- *item) error {
	send := func(it *item) error {
		select {
		case ordered <- it:
			return nil
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
	for {
		obj, err := src(ctx)
		if err != nil {
			return err
		}
		if obj == nil {
			return nil
		}
		st := &objectState{obj: obj}
		if err := send(&item{kind: itemStart, state: st}); err != nil {
			return err
		}
		readErr := func() error {
			rc, err := obj.Open(ctx)
			if err != nil {
				return err
			}
			defer rc.Close()
			b := NewBatcher(rc, opts.Batcher)
			for !st.failed.Load() {
				bt, err := b.Next()
				if err == io.EOF {
					return nil
				}
				if err != nil {
					return err
				}
				select {
				case window <- struct{}{}:
				case <-ctx.Done():
					return context.Cause(ctx)
				}
				it := &item{kind: itemBatch, state: st, batch: bt, done: make(chan struct{})}
				if err := send(it); err != nil {
					<-window
					return err
				}
				select {
				case work <- it:
				case <-ctx.Done():
					it.err = context.Cause(ctx)
					close(it.done)
					return it.err
				}
			}
			return nil
		}()
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		if readErr != nil {
			st.failed.Store(true)
		}
		if err := send(&item{kind: itemEnd, state: st, err: readErr}); err != nil {
			return err
		}
	}
}

// write consumes the ordered stream: it opens outputs, writes responses in order and
// publishes or discards each object's output at its end.
func write(ctx context.Context, opts Options, window chan struct{}, ordered <-chan *item) error {
	for it := range ordered {
		st := it.state
		switch it.kind {
		case itemStart:
			out, err := st.obj.Create(ctx)
			if err != nil {
				st.fail(err)
				continue
			}
			st.out = out
		case itemBatch:
			<-it.done
			err := it.err
			if err == nil && st.err == nil {
				err = writeResponse(st.out, it.batch, it.resp, opts)
			}
			<-window
			if err != nil && !errors.Is(err, errSkipped) {
				if errors.Is(err, ErrFatal) || ctx.Err() != nil {
					st.abort()
					return err
				}
				st.fail(err)
			}
		case itemEnd:
			if it.err != nil {
				st.fail(it.err)
			}
			if st.err == nil && ctx.Err() != nil {
				st.abort()
				return context.Cause(ctx)
			}
			if st.err == nil {
				if err := st.out.Commit(); err != nil {
					st.err = fmt.Errorf("publishing the output: %w", err)
				}
				st.out = nil
			}
			if opts.Done != nil {
				opts.Done(st.obj, st.err)
			}
		}
	}
	return nil
}

// fail records an object's first error and discards its output.
func (st *objectState) fail(err error) {
	st.failed.Store(true)
	if st.err == nil {
		st.err = err
	}
	st.abort()
}

func (st *objectState) abort() {
	if st.out != nil {
		st.out.Abort()
		st.out = nil
	}
}

// writeResponse writes one response: as is (AssembleWith None), ending with a line
// ending (Line), or cut into lines joined to their records (DataProcessing).
func writeResponse(out Output, b *Batch, resp []byte, opts Options) error {
	p := opts.Batcher.Processing
	if !p.AlignsOutput() {
		if _, err := out.Write(resp); err != nil {
			return err
		}
		if opts.AssembleLine && (len(resp) == 0 || resp[len(resp)-1] != '\n') {
			_, err := out.Write([]byte{'\n'})
			return err
		}
		return nil
	}
	lines := SplitLines(resp)
	if len(lines) != b.Records {
		return fmt.Errorf("%w: the response has %d lines for the %d records of the request; JoinSource and OutputFilter need one output line per input record", ErrFilter, len(lines), b.Records)
	}
	var buf []byte
	for i, l := range lines {
		var in []byte
		if p.Join {
			in = b.Inputs[i]
		}
		rec, err := p.JoinOutput(in, l)
		if err != nil {
			return err
		}
		buf = append(append(buf, rec...), '\n')
	}
	_, err := out.Write(buf)
	return err
}
