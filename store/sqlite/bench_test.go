package sqlite_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/store"
	"github.com/stepwise-dev/stepwise/store/sqlite"
)

// The benchmarks measure durable state transitions: one transition appends three
// history events (about 250 bytes of details each, like TaskStateExited /
// TaskStateEntered / TaskScheduled) and replaces the execution's snapshot, in one
// transaction with the execution's row. They report transitions/s and events/s.
//
//	go test -run '^$' -bench . -benchtime 100000x ./store/sqlite/

const eventsPerTransition = 3

var benchDetails = `{"name":"Train model","input":"` + strings.Repeat(`{\"k\":1}`, 24) + `","inputDetails":{"truncated":false}}`

func benchStore(b *testing.B, sync sqlite.Synchronous, executions int) (*sqlite.Store, []string, []int64) {
	b.Helper()
	s, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "bench.db"), sqlite.WithSynchronous(sync))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	if _, _, err := s.StateMachineCreate(b.Context(), &store.StateMachineCreateParams{ARN: "arn:sm", Name: "sm",
		StateMachineConfig: store.StateMachineConfig{Type: store.StateMachineTypeStandard, Definition: "{}"}}); err != nil {
		b.Fatal(err)
	}
	arns := make([]string, executions)
	last := make([]int64, executions)
	for i := range arns {
		arns[i] = fmt.Sprintf("arn:aws:states:us-east-1:123456789012:execution:sm:%08d", i)
		if _, err := s.ExecutionCreate(b.Context(), &store.ExecutionCreateParams{ARN: arns[i], Name: arns[i], StateMachineARN: "arn:sm",
			Input: `{"dataset":"s3://bucket/train.csv"}`, Events: []*store.Event{{ID: 1, Type: "ExecutionStarted", Details: benchDetails}}}); err != nil {
			b.Fatal(err)
		}
		last[i] = 1
	}
	return s, arns, last
}

func transition(arn string, last int64, now time.Time) *store.ExecutionAppendEventsParams {
	evs := make([]*store.Event, eventsPerTransition)
	for i := range evs {
		id := last + int64(i) + 1
		evs[i] = &store.Event{ID: id, PreviousEventID: id - 1, Type: "TaskStateEntered", Timestamp: now, Details: benchDetails}
	}
	return &store.ExecutionAppendEventsParams{ARN: arn, Events: evs,
		Update: &store.ExecutionUpdate{Snapshot: []byte(benchDetails[:200])}}
}

// report adds the throughput metrics; cpu0 is cpuTime() when the timer started.
func report(b *testing.B, transitions int64, cpu0 time.Duration) {
	secs := b.Elapsed().Seconds()
	b.ReportMetric(float64(transitions)/secs, "transitions/s")
	b.ReportMetric(float64(transitions*eventsPerTransition)/secs, "events/s")
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(cpu.Microseconds())/float64(transitions), "cpu-µs/transition")
	}
}

// BenchmarkAppendMany: the engine's writer path, ExecutionAppendEventsMany with one
// transition for each of batch executions per call.
func BenchmarkAppendMany(b *testing.B) {
	for _, syn := range []sqlite.Synchronous{sqlite.SynchronousFull, sqlite.SynchronousNormal} {
		for _, batch := range []int{64, 256, 1024} {
			b.Run(fmt.Sprintf("sync=%s/batch=%d", syn, batch), func(b *testing.B) {
				s, arns, last := benchStore(b, syn, batch)
				now := time.Now()
				b.ResetTimer()
				cpu0 := cpuTime()
				var done int64
				for done < int64(b.N) {
					n := min(batch, b.N-int(done))
					ps := make([]*store.ExecutionAppendEventsParams, n)
					for i := range ps {
						ps[i] = transition(arns[i], last[i], now)
						last[i] += eventsPerTransition
					}
					errs, err := s.ExecutionAppendEventsMany(b.Context(), ps)
					if err != nil {
						b.Fatal(err)
					}
					for _, err := range errs {
						if err != nil {
							b.Fatal(err)
						}
					}
					done += int64(n)
				}
				report(b, done, cpu0)
			})
		}
	}
}

// BenchmarkAppendConcurrent: many goroutines, each stepping its own execution with
// ExecutionAppendEvents; the store groups their commits.
func BenchmarkAppendConcurrent(b *testing.B) {
	for _, syn := range []sqlite.Synchronous{sqlite.SynchronousFull, sqlite.SynchronousNormal} {
		for _, workers := range []int{1, 16, 256} {
			b.Run(fmt.Sprintf("sync=%s/workers=%d", syn, workers), func(b *testing.B) {
				s, arns, last := benchStore(b, syn, workers)
				now := time.Now()
				var next atomic.Int64
				var wg sync.WaitGroup
				b.ResetTimer()
				cpu0 := cpuTime()
				for w := range workers {
					wg.Go(func() {
						for next.Add(1) <= int64(b.N) {
							if err := s.ExecutionAppendEvents(b.Context(), transition(arns[w], last[w], now)); err != nil {
								b.Error(err)
								return
							}
							last[w] += eventsPerTransition
						}
					})
				}
				wg.Wait()
				report(b, int64(b.N), cpu0)
			})
		}
	}
}

// BenchmarkExecutionEventList reads a 300-event history in pages of 100.
func BenchmarkExecutionEventList(b *testing.B) {
	s, arns, _ := benchStore(b, sqlite.SynchronousNormal, 1)
	for last := int64(1); last < 300; last += eventsPerTransition {
		if err := s.ExecutionAppendEvents(b.Context(), transition(arns[0], last, time.Now())); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for b.Loop() {
		token := ""
		for {
			res, err := s.ExecutionEventList(b.Context(), &store.ExecutionEventListParams{ExecutionARN: arns[0], NextToken: token})
			if err != nil {
				b.Fatal(err)
			}
			if token = res.NextToken; token == "" {
				break
			}
		}
	}
}
