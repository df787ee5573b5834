// Package sqlite is the store.Store driver for SQLite (pure Go, modernc.org/sqlite):
// the default, embedded database of a single stepwise node.
//
// One connection writes; a small pool reads (WAL lets readers run beside the writer).
// Every write is queued and the goroutine that takes the write connection commits
// everything queued so far in one transaction, each write under its own savepoint:
// concurrent steps of many executions share one fsync (group commit) while each stays
// atomic on its own.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/stepwise-dev/stepwise/store"
)

// Synchronous is SQLite's synchronous setting for the WAL.
type Synchronous string

// Synchronous settings. FULL (the default) syncs the WAL on every commit, so a
// committed step survives a power cut; NORMAL syncs only at checkpoints, so it survives
// a crash of the process but may lose the last commits on a power cut.
const (
	SynchronousFull   Synchronous = "FULL"
	SynchronousNormal Synchronous = "NORMAL"
	SynchronousOff    Synchronous = "OFF"
)

// Option configures Open.
type Option func(*options)

type options struct {
	log         *slog.Logger
	synchronous Synchronous
	readers     int
	maxBatch    int
	busyTimeout time.Duration
	now         func() time.Time
}

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithSynchronous sets the durability of commits (default SynchronousFull).
func WithSynchronous(s Synchronous) Option { return func(o *options) { o.synchronous = s } }

// WithReaders sets the number of reading connections (default: GOMAXPROCS, at least 2).
func WithReaders(n int) Option { return func(o *options) { o.readers = n } }

// WithMaxBatch caps how many queued writes one transaction commits (default 512).
func WithMaxBatch(n int) Option { return func(o *options) { o.maxBatch = n } }

// WithBusyTimeout sets how long a connection waits for another process's lock
// (default 10s).
func WithBusyTimeout(d time.Duration) Option { return func(o *options) { o.busyTimeout = d } }

// WithNow sets the clock used for dates a caller leaves zero (default time.Now).
func WithNow(now func() time.Time) Option { return func(o *options) { o.now = now } }

// Store is a SQLite database holding stepwise's state. It implements store.Store.
type Store struct {
	path string
	log  *slog.Logger
	now  func() time.Time

	wdb   *sql.DB
	wconn *sql.Conn
	// wstmts caches statements prepared on wconn; only the write-lock holder uses it.
	wstmts map[string]*sql.Stmt

	rdb    *sql.DB
	rmu    sync.Mutex
	rstmts map[string]*sql.Stmt

	// wlock is held by the goroutine running a write batch.
	wlock    chan struct{}
	qmu      sync.Mutex
	queue    []*writeReq
	closed   atomic.Bool // set under qmu, so no write is queued after Close drains
	maxBatch int

	closeOnce sync.Once
	closeErr  error
}

var _ store.Store = (*Store)(nil)

// Open opens (creating if needed) the database at path and applies the migrations it
// lacks.
func Open(ctx context.Context, path string, opts ...Option) (*Store, error) {
	o := options{synchronous: SynchronousFull, maxBatch: 512, busyTimeout: 10 * time.Second, now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	if o.log == nil {
		o.log = slog.New(slog.DiscardHandler)
	}
	if o.readers <= 0 {
		o.readers = max(2, runtime.GOMAXPROCS(0))
	}
	if o.maxBatch <= 0 {
		o.maxBatch = 1
	}
	switch o.synchronous {
	case SynchronousFull, SynchronousNormal, SynchronousOff:
	default:
		return nil, fmt.Errorf("sqlite: unknown synchronous setting %q", o.synchronous)
	}
	if path == "" || strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("sqlite: unusable database path %q", path)
	}
	pragmas := fmt.Sprintf("?_pragma=busy_timeout(%d)&_pragma=foreign_keys(1)", o.busyTimeout.Milliseconds())

	s := &Store{
		path:     path,
		log:      o.log,
		now:      o.now,
		wstmts:   map[string]*sql.Stmt{},
		rstmts:   map[string]*sql.Stmt{},
		wlock:    make(chan struct{}, 1),
		maxBatch: o.maxBatch,
	}
	var err error
	// A large page cache keeps the b-tree pages a step touches in memory instead of
	// reading them back with a system call each time. Checkpointing every 10000 pages
	// (about 40 MB of WAL) rather than SQLite's 1000 writes the hot pages (execution rows,
	// index leaves) to the database file far less often.
	s.wdb, err = sql.Open("sqlite", path+pragmas+"&_pragma=journal_mode(WAL)&_pragma=synchronous("+string(o.synchronous)+")"+
		"&_pragma=cache_size(-65536)&_pragma=temp_store(MEMORY)&_pragma=wal_autocheckpoint(10000)")
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	s.wdb.SetMaxOpenConns(1)
	s.wconn, err = s.wdb.Conn(ctx)
	if err != nil {
		_ = s.wdb.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	ms, err := loadMigrations(migrationFS, "migrations")
	if err == nil {
		var applied []int
		applied, err = migrate(ctx, s.wconn, ms, s.now)
		if len(applied) > 0 {
			s.log.InfoContext(ctx, "database migrated", "path", path, "applied", applied)
		}
	}
	if err != nil {
		_ = s.wconn.Close()
		_ = s.wdb.Close()
		return nil, fmt.Errorf("sqlite: migrate %s: %w", path, err)
	}
	s.rdb, err = sql.Open("sqlite", path+pragmas+"&_pragma=query_only(1)&_pragma=cache_size(-16384)")
	if err != nil {
		_ = s.wconn.Close()
		_ = s.wdb.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	s.rdb.SetMaxOpenConns(o.readers)
	s.rdb.SetMaxIdleConns(o.readers)
	return s, nil
}

// Close waits for the write in progress, fails queued ones with store.ErrClosed and
// closes the database. Calling it again returns the first call's result.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.qmu.Lock()
		s.closed.Store(true)
		s.qmu.Unlock()
		s.wlock <- struct{}{} // waits for the running batch
		s.qmu.Lock()
		queued := s.queue
		s.queue = nil
		s.qmu.Unlock()
		for _, r := range queued {
			r.done <- store.ErrClosed
		}
		var errs []error
		for _, st := range s.wstmts {
			errs = append(errs, st.Close())
		}
		s.rmu.Lock()
		for _, st := range s.rstmts {
			errs = append(errs, st.Close())
		}
		s.rmu.Unlock()
		errs = append(errs, s.rdb.Close(), s.wconn.Close(), s.wdb.Close())
		s.closeErr = errors.Join(errs...)
		// wlock stays taken: a writer that races Close finds the store closed.
	})
	return s.closeErr
}

// rstmt returns a statement prepared on the read pool.
func (s *Store) rstmt(ctx context.Context, query string) (*sql.Stmt, error) {
	s.rmu.Lock()
	defer s.rmu.Unlock()
	if s.closed.Load() {
		return nil, store.ErrClosed
	}
	if st, ok := s.rstmts[query]; ok {
		return st, nil
	}
	st, err := s.rdb.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	s.rstmts[query] = st
	return st, nil
}

// querier is what the read helpers need; both the write transaction and reads satisfy
// it, so a lookup is written once and used inside writes and by Get methods alike.
type querier interface {
	queryRow(query string, args ...any) scanner
	query(query string, args ...any) (*sql.Rows, error)
}

// reader runs reads on the read pool, inside a read transaction when tx is set (for
// answers built from several queries).
type reader struct {
	s   *Store
	ctx context.Context
	tx  *sql.Tx
}

func (s *Store) reader(ctx context.Context) *reader { return &reader{s: s, ctx: ctx} }

// readTx runs fn in one read transaction, so its queries see one snapshot.
func (s *Store) readTx(ctx context.Context, fn func(*reader) error) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	tx, err := s.rdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	return fn(&reader{s: s, ctx: ctx, tx: tx})
}

func (r *reader) stmt(query string) (*sql.Stmt, error) {
	st, err := r.s.rstmt(r.ctx, query)
	if err != nil {
		return nil, err
	}
	if r.tx != nil {
		st = r.tx.StmtContext(r.ctx, st)
	}
	return st, nil
}

func (r *reader) queryRow(query string, args ...any) scanner {
	st, err := r.stmt(query)
	if err != nil {
		return errRow{err}
	}
	return st.QueryRowContext(r.ctx, args...)
}

func (r *reader) query(query string, args ...any) (*sql.Rows, error) {
	st, err := r.stmt(query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(r.ctx, args...)
}

// errRow is a row whose query could not even be prepared (the store is closed, say).
type errRow struct{ err error }

func (e errRow) Scan(...any) error { return e.err }
