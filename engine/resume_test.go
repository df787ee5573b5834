package engine

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/asl"
	"github.com/stepwise-dev/stepwise/integrations"
	"github.com/stepwise-dev/stepwise/internal/clock"
	"github.com/stepwise-dev/stepwise/jsonv"
)

// recorder is a sink that keeps what a store would have committed.
type recorder struct {
	mu     sync.Mutex
	events []*Event
}

func (r *recorder) Event(e *Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

func (r *recorder) snapshot() []*Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*Event(nil), r.events...)
}

// countingTasks counts invocations per state and answers {"state": name}.
type countingTasks struct {
	mu      sync.Mutex
	calls   map[string]int
	blockOn string // invocations of this state block until the context ends
	blocked chan struct{}
}

func (c *countingTasks) Invoke(ctx context.Context, req *integrations.Request) (any, error) {
	c.mu.Lock()
	c.calls[req.StateName]++
	c.mu.Unlock()
	if req.StateName == c.blockOn {
		close(c.blocked)
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return jsonv.ObjectOf("state", req.StateName), nil
}

const pipeline = `{"StartAt":"Prepare","States":{
 "Prepare":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","ResultPath":"$.prepare","Next":"Fan"},
 "Fan":{"Type":"Map","ItemsPath":"$.items","MaxConcurrency":2,"ItemProcessor":{"StartAt":"Work","States":{
   "Work":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true}}},"ResultPath":"$.fan","Next":"Both"},
 "Both":{"Type":"Parallel","Branches":[
   {"StartAt":"Left","States":{"Left":{"Type":"Pass","Result":"l","End":true}}},
   {"StartAt":"Right","States":{"Right":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true}}}],
  "ResultPath":"$.both","Next":"Train"},
 "Train":{"Type":"Task","Resource":"arn:aws:states:::sagemaker:createTrainingJob.sync","ResultPath":"$.train","Next":"Done"},
 "Done":{"Type":"Succeed"}}}`

func TestResumeAfterCrashRepeatsNoCompletedTask(t *testing.T) {
	t.Parallel()
	sm, err := asl.Parse([]byte(pipeline), asl.Options{})
	if err != nil {
		t.Fatal(err)
	}
	input := jsonv.MustDecode(`{"items":[1,2,3]}`)
	params := StartParams{Name: "e1", StateMachineName: "M", Input: input, StartTime: epoch}

	// The uninterrupted run, for comparison.
	whole := &countingTasks{calls: map[string]int{}}
	_, want := New(Config{Clock: clock.NewManual(epoch), Tasks: whole}).Run(t.Context(), sm, params)

	// A run that "crashes" while Train is in flight: the engine is abandoned and only
	// the events a store had committed survive.
	first := &countingTasks{calls: map[string]int{}, blockOn: "Train", blocked: make(chan struct{})}
	rec := &recorder{}
	p1 := params
	p1.Sinks = []Sink{rec}
	crashed := New(Config{Clock: clock.NewManual(epoch), Tasks: first, TokenKey: []byte("k")}).Start(t.Context(), sm, p1)
	<-first.blocked
	committed := rec.snapshot()
	crashed.Stop("", "") // stands for the process dying; nothing more is recorded

	second := &countingTasks{calls: map[string]int{}}
	rec2 := &recorder{}
	p2 := params
	p2.Resume, p2.Sinks = committed, []Sink{rec2}
	x, got := New(Config{Clock: clock.NewManual(epoch), Tasks: second, TokenKey: []byte("k")}).Run(t.Context(), sm, p2)

	if got.Status != StatusSucceeded || !jsonv.Equal(got.Output, want.Output) {
		t.Fatalf("resumed: %s %s, want %s", got.Status, jsonv.String(got.Output), jsonv.String(want.Output))
	}
	for _, s := range []string{"Prepare", "Work", "Right"} {
		if second.calls[s] != 0 {
			t.Errorf("%s completed before the crash but was invoked again %d times", s, second.calls[s])
		}
	}
	if second.calls["Train"] != 1 {
		t.Errorf("Train was in flight and must be dispatched again once, got %d", second.calls["Train"])
	}
	// The history is the uninterrupted one: same event types, ids 1..n, nothing twice.
	all := x.History.Events()
	if len(all) != len(committed)+len(rec2.snapshot()) {
		t.Errorf("%d events, %d committed + %d new", len(all), len(committed), len(rec2.snapshot()))
	}
	for i, e := range all {
		if e.ID != int64(i+1) {
			t.Fatalf("event %d has id %d", i, e.ID)
		}
	}
	wx, _ := New(Config{Clock: clock.NewManual(epoch), Tasks: &countingTasks{calls: map[string]int{}}}).Run(t.Context(), sm, params)
	if wantTypes := wx.History.Events(); typeCounts(all) != typeCounts(wantTypes) {
		t.Errorf("event types differ from an uninterrupted run:\n got %s\nwant %s", typeCounts(all), typeCounts(wantTypes))
	}
}

func typeCounts(events []*Event) string {
	m := map[string]int{}
	for _, e := range events {
		m[e.Type]++
	}
	var b strings.Builder
	for _, k := range []string{"TaskScheduled", "TaskSucceeded", "TaskStateEntered", "TaskStateExited", "MapIterationStarted", "MapIterationSucceeded", "PassStateEntered", "ParallelStateStarted", "TaskSubmitted", "ExecutionStarted", "ExecutionSucceeded"} {
		fmt.Fprintf(&b, "%s=%d ", k, m[k])
	}
	return b.String()
}

func TestResumedWaitWaitsOnlyWhatWasLeft(t *testing.T) {
	t.Parallel()
	sm, err := asl.Parse([]byte(`{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":10,"Next":"P"},"P":{"Type":"Pass","End":true}}}`), asl.Options{})
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewManual(epoch)
	rec := &recorder{}
	x := New(Config{Clock: clk}).Start(t.Context(), sm, StartParams{Name: "w", StartTime: epoch, Sinks: []Sink{rec}})
	<-clk.Waiters() // the wait has begun
	committed := rec.snapshot()
	x.Stop("", "")

	// The server comes back 7 s later.
	clk2 := clock.NewManual(epoch.Add(7 * time.Second))
	y := New(Config{Clock: clk2}).Start(t.Context(), sm, StartParams{Name: "w", StartTime: epoch, Resume: committed})
	for {
		select {
		case <-y.Done():
			if res := y.Result(); res.Status != StatusSucceeded || !res.StopTime.Equal(epoch.Add(10*time.Second)) {
				t.Fatalf("got %s at %v, want success at +10s", res.Status, res.StopTime.Sub(epoch))
			}
			return
		case <-clk2.Waiters():
			for y.Busy() > 0 {
				runtime.Gosched()
			}
			clk2.AdvanceToNext()
		}
	}
}

func TestRedriveRerunsOnlyWhatFailed(t *testing.T) {
	t.Parallel()
	sm, err := asl.Parse([]byte(`{"StartAt":"Prep","States":{
	 "Prep":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","ResultPath":"$.prep","Next":"Fan"},
	 "Fan":{"Type":"Map","ItemsPath":"$.items","MaxConcurrency":1,"ItemProcessor":{"StartAt":"Work","States":{
	   "Work":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true}}},"End":true}}}`), asl.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	calls := map[string]int{}
	failItem := true
	tasks := integrations.HandlerFunc(func(ctx context.Context, req *integrations.Request) (any, error) {
		mu.Lock()
		defer mu.Unlock()
		in, _ := req.Input.(float64)
		key := fmt.Sprintf("%s/%v", req.StateName, in)
		calls[key]++
		if req.StateName == "Work" && in == 2 && failItem {
			return nil, &integrations.TaskError{Name: "Boom", Cause: "item 2"}
		}
		return in, nil
	})
	rec := &recorder{}
	params := StartParams{Name: "r", StateMachineName: "M", Input: jsonv.MustDecode(`{"items":[1,2,3]}`), StartTime: epoch, Sinks: []Sink{rec}}
	_, first := New(Config{Clock: clock.NewManual(epoch), Tasks: tasks, TokenKey: []byte("k")}).Run(t.Context(), sm, params)
	if first.Status != StatusFailed || first.Error != "Boom" {
		t.Fatalf("first run: %+v", first)
	}
	history := rec.snapshot()
	PrepareRedrive(history)
	mu.Lock()
	failItem = false
	mu.Unlock()
	p2 := params
	p2.Resume, p2.Sinks, p2.RedriveCount = history, nil, 1
	_, second := New(Config{Clock: clock.NewManual(epoch), Tasks: tasks, TokenKey: []byte("k")}).Run(t.Context(), sm, p2)
	if second.Status != StatusSucceeded || jsonv.String(second.Output) != "[1,2,3]" {
		t.Fatalf("redrive: %+v %s", second, jsonv.String(second.Output))
	}
	mu.Lock()
	defer mu.Unlock()
	want := map[string]int{"Prep/0": 1, "Work/1": 1, "Work/2": 2, "Work/3": 1}
	for k, n := range want {
		if calls[k] != n {
			t.Errorf("%s invoked %d times, want %d (all: %v)", k, calls[k], n, calls)
		}
	}
}
