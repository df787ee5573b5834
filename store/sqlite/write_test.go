package sqlite

import (
	"context"
	"errors"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stepwise-dev/stepwise/store"
)

// TestBatchIsolatesFailedWrites pins the group commit's contract: writes that share a
// transaction commit together, but one that fails after writing leaves nothing behind
// and does not take the others with it; a write whose context is cancelled is skipped.
func TestBatchIsolatesFailedWrites(t *testing.T) {
	t.Parallel()
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	boom := errors.New("boom")
	tag := func(key string, fail error) func(*wtx) error {
		return func(tx *wtx) error {
			if err := setTags(tx, "arn:r", []store.Tag{{Key: key, Value: "v"}}); err != nil {
				return err
			}
			return fail
		}
	}
	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	batch := []*writeReq{
		{ctx: t.Context(), fn: tag("a", nil)},
		{ctx: t.Context(), fn: tag("b", boom)},
		{ctx: cancelled, fn: tag("c", nil)},
		{ctx: t.Context(), fn: tag("d", nil)},
	}
	for _, r := range batch {
		r.done = make(chan error, 1)
	}
	s.wlock <- struct{}{}
	s.runBatch(batch)
	<-s.wlock
	want := []error{nil, boom, context.Canceled, nil}
	for i, r := range batch {
		if err := <-r.done; !errors.Is(err, want[i]) || (want[i] == nil && err != nil) {
			t.Errorf("write %d: %v, want %v", i, err, want[i])
		}
	}
	tags, err := s.TagList(t.Context(), &store.TagListParams{ResourceARN: "arn:r"})
	if err != nil {
		t.Fatal(err)
	}
	if len(tags) != 2 || tags[0].Key != "a" || tags[1].Key != "d" {
		t.Fatalf("tags %+v, want a and d", tags)
	}
}

// TestCloseFailsQueuedWrites: a write queued behind a running batch when the store
// closes gets ErrClosed rather than waiting forever, and later calls get it at once.
func TestCloseFailsQueuedWrites(t *testing.T) {
	t.Parallel()
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	running, release := make(chan struct{}), make(chan struct{})
	first := make(chan error, 1)
	go func() {
		first <- s.write(t.Context(), func(*wtx) error {
			close(running)
			<-release
			return nil
		})
	}()
	<-running
	queued := make(chan error, 1)
	go func() { queued <- s.TagSet(t.Context(), &store.TagSetParams{ResourceARN: "arn:r"}) }()
	// Wait until the second write is in the queue before closing.
	for {
		s.qmu.Lock()
		n := len(s.queue)
		s.qmu.Unlock()
		if n == 1 {
			break
		}
		select {
		case err := <-queued:
			t.Fatalf("second write returned %v while the first held the lock", err)
		default:
		}
		runtime.Gosched()
	}
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	for !s.closed.Load() {
		runtime.Gosched()
	}
	close(release)
	if err := <-first; err != nil {
		t.Fatalf("running write: %v", err)
	}
	if err := <-queued; !errors.Is(err, store.ErrClosed) {
		t.Fatalf("queued write: %v, want ErrClosed", err)
	}
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	if err := s.TagSet(t.Context(), &store.TagSetParams{ResourceARN: "arn:r"}); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("write after close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}
