package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/stepwise-dev/stepwise/store"
)

// writeReq is one queued write: fn runs inside the batch's transaction.
type writeReq struct {
	ctx  context.Context
	fn   func(*wtx) error
	done chan error // buffered: the batch runner never blocks on it
}

// write runs fn in a transaction and returns once that transaction is committed (or
// fn failed and its changes were rolled back). Writes queued by other goroutines in the
// meantime commit in the same transaction, each under its own savepoint.
//
// fn must do all its work through the wtx and must not keep results if it returns an
// error; it may run on another goroutine than the caller's.
func (s *Store) write(ctx context.Context, fn func(*wtx) error) error {
	r := &writeReq{ctx: ctx, fn: fn, done: make(chan error, 1)}
	s.qmu.Lock()
	if s.closed.Load() {
		s.qmu.Unlock()
		return store.ErrClosed
	}
	s.queue = append(s.queue, r)
	s.qmu.Unlock()
	for {
		select {
		case err := <-r.done:
			return err
		case s.wlock <- struct{}{}:
			// Leader: commit what is queued (our own request, unless an earlier leader
			// took it), then look again: if the batch cap left ours queued, we lead again.
			// Once Close has begun, the queue is left for it to fail.
			s.qmu.Lock()
			n := min(len(s.queue), s.maxBatch)
			if s.closed.Load() {
				n = 0
			}
			batch := s.queue[:n:n]
			s.queue = s.queue[n:]
			s.qmu.Unlock()
			if len(batch) > 0 {
				s.runBatch(batch)
			}
			<-s.wlock
		}
	}
}

// runBatch commits a batch in one transaction and tells each request its result.
func (s *Store) runBatch(batch []*writeReq) {
	// The batch serves several callers, so one caller's cancelled context must not
	// abort the others' statements: each request's context is only checked before its
	// own function runs.
	ctx := context.WithoutCancel(batch[0].ctx)
	results := make([]error, len(batch))
	if _, err := s.wconn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		s.finish(batch, results, fmt.Errorf("sqlite: begin: %w", err))
		return
	}
	tx := &wtx{s: s, ctx: ctx}
	single := len(batch) == 1
	for i, r := range batch {
		if err := r.ctx.Err(); err != nil {
			results[i] = err
			continue
		}
		if single {
			results[i] = r.fn(tx)
			continue
		}
		err, fatal := tx.savepoint("op", r.fn)
		if fatal != nil {
			s.rollback(ctx)
			s.finish(batch, results, fatal)
			return
		}
		results[i] = err
	}
	if single && results[0] != nil {
		s.rollback(ctx)
		s.finish(batch, results, nil)
		return
	}
	if _, err := s.wconn.ExecContext(ctx, "COMMIT"); err != nil {
		s.rollback(ctx)
		s.finish(batch, results, fmt.Errorf("sqlite: commit: %w", err))
		return
	}
	s.finish(batch, results, nil)
}

// finish delivers results; a non-nil fatal error replaces every result, because the
// whole transaction was rolled back.
func (s *Store) finish(batch []*writeReq, results []error, fatal error) {
	if fatal != nil {
		s.log.Error("sqlite: write transaction failed", "path", s.path, "writes", len(batch), "error", fatal)
	}
	for i, r := range batch {
		if fatal != nil {
			r.done <- fatal
		} else {
			r.done <- results[i]
		}
	}
}

func (s *Store) rollback(ctx context.Context) {
	// An error here means SQLite already rolled back (it does on some I/O errors).
	_, _ = s.wconn.ExecContext(ctx, "ROLLBACK")
}

// wtx is the write transaction as seen by a write function.
type wtx struct {
	s   *Store
	ctx context.Context
}

// savepoint runs fn under a savepoint: on error its changes are undone and err is fn's
// error; fatal reports that the transaction itself is gone (SQLite rolls back the whole
// transaction on some errors, and later writes must not run outside it).
func (t *wtx) savepoint(name string, fn func(*wtx) error) (err, fatal error) {
	if _, err := t.s.wconn.ExecContext(t.ctx, "SAVEPOINT "+name); err != nil {
		return nil, fmt.Errorf("sqlite: savepoint: %w", err)
	}
	err = fn(t)
	if err != nil {
		if _, rerr := t.s.wconn.ExecContext(t.ctx, "ROLLBACK TO "+name); rerr != nil {
			return nil, fmt.Errorf("sqlite: %w (then rollback to savepoint: %w)", err, rerr)
		}
	}
	if _, rerr := t.s.wconn.ExecContext(t.ctx, "RELEASE "+name); rerr != nil {
		return nil, fmt.Errorf("sqlite: release savepoint: %w", errors.Join(err, rerr))
	}
	return err, nil
}

func (t *wtx) stmt(query string) (*sql.Stmt, error) {
	if st, ok := t.s.wstmts[query]; ok {
		return st, nil
	}
	st, err := t.s.wconn.PrepareContext(t.ctx, query)
	if err != nil {
		return nil, err
	}
	t.s.wstmts[query] = st
	return st, nil
}

func (t *wtx) exec(query string, args ...any) (sql.Result, error) {
	st, err := t.stmt(query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(t.ctx, args...)
}

// execN runs an UPDATE or DELETE and returns how many rows it changed.
func (t *wtx) execN(query string, args ...any) (int64, error) {
	res, err := t.exec(query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (t *wtx) queryRow(query string, args ...any) scanner {
	st, err := t.stmt(query)
	if err != nil {
		return errRow{err}
	}
	return st.QueryRowContext(t.ctx, args...)
}

func (t *wtx) query(query string, args ...any) (*sql.Rows, error) {
	st, err := t.stmt(query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(t.ctx, args...)
}
