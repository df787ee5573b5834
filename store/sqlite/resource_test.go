package sqlite_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/internal/clock"
	"github.com/stepwise-dev/stepwise/store"
	"github.com/stepwise-dev/stepwise/store/sqlite"
)

// Dates a caller leaves zero come from the store's clock, as UTC microseconds.
func TestResourceDatesFromClock(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	c := clock.NewManual(time.Date(2025, 6, 1, 12, 0, 0, 123456789, time.FixedZone("X", -7200)))
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "db"), sqlite.WithNow(c.Now))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	want := time.Date(2025, 6, 1, 14, 0, 0, 123456000, time.UTC)
	r, err := s.ResourceCreate(ctx, &store.ResourceCreateParams{Kind: "k", Name: "n"})
	if err != nil {
		t.Fatal(err)
	}
	if r.CreatedAt != want || r.UpdatedAt != want {
		t.Fatalf("created %v, updated %v; want %v", r.CreatedAt, r.UpdatedAt, want)
	}
	c.Advance(90 * time.Second)
	r, err = s.ResourceUpdate(ctx, &store.ResourceUpdateParams{Kind: "k", Name: "n", Status: "Done"})
	if err != nil {
		t.Fatal(err)
	}
	if r.CreatedAt != want || r.UpdatedAt != want.Add(90*time.Second) {
		t.Fatalf("created %v, updated %v; want %v, %v", r.CreatedAt, r.UpdatedAt, want, want.Add(90*time.Second))
	}
}
