package logs

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/stepwise-dev/stepwise/internal/clock"
	"github.com/stepwise-dev/stepwise/store/sqlite"
)

// BenchmarkSinkLines: a job's output through the Sink, a line per Put as the runner
// calls it, stored once flushed (b.N lines).
func BenchmarkSinkLines(b *testing.B) {
	st, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	svc := New(Config{Store: st, Clock: clock.Real{}})
	if err := svc.Start(b.Context()); err != nil {
		b.Fatal(err)
	}
	line := "epoch 12 step 3400 loss=0.1234 accuracy=0.9876 lr=0.001"
	b.ResetTimer()
	for i := range b.N {
		if err := svc.Put(b.Context(), "/bench", "job/algo-1", Event{Message: fmt.Sprint(line, i)}); err != nil {
			b.Fatal(err)
		}
	}
	if err := svc.Stop(b.Context()); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkFilterGroup: FilterLogEvents with a pattern over a group of 100,000 events
// (one call scans at most filterScanLimit of them).
func BenchmarkFilterGroup(b *testing.B) {
	st, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	svc := New(Config{Store: st, Clock: clock.Real{}})
	if err := svc.Start(b.Context()); err != nil {
		b.Fatal(err)
	}
	defer svc.Stop(b.Context())
	for i := range 100000 {
		_ = svc.Put(b.Context(), "/bench", fmt.Sprintf("s%d", i%4), Event{Message: fmt.Sprintf(`{"level": "%s", "n": %d}`, []string{"INFO", "ERROR"}[i%50/49], i)})
		if i%5000 == 4999 {
			if err := svc.Flush(b.Context()); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ResetTimer()
	for range b.N {
		out, err := svc.FilterLogEvents(b.Context(), &FilterLogEventsInput{LogGroupName: ptr("/bench"), FilterPattern: ptr(`{ $.level = "ERROR" }`)})
		if err != nil || len(out.Events) != 2000 {
			b.Fatalf("%v %d", err, len(out.Events))
		}
	}
}
