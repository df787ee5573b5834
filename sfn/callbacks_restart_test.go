package sfn

import (
	"context"
	"encoding/json"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/integrations"
	"github.com/stepwise-dev/stepwise/internal/clock"
	"github.com/stepwise-dev/stepwise/jsonv"
	"github.com/stepwise-dev/stepwise/store/sqlite"
)

// baseCalls is a real handler for a callback's base resource (events:putEvents here): it
// counts the requests it accepts and hands on each task token it was sent.
type baseCalls struct {
	mu     sync.Mutex
	n      int
	tokens chan string
}

func (b *baseCalls) Invoke(_ context.Context, req *integrations.Request) (any, error) {
	b.mu.Lock()
	b.n++
	b.mu.Unlock()
	o, _ := req.Input.(*jsonv.Object)
	tok, _ := o.Get("token")
	b.tokens <- tok.(string)
	return jsonv.ObjectOf("FailedEntryCount", 0.0), nil
}

func (b *baseCalls) count() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.n
}

// openWithBase opens a service whose registry sends events:putEvents to b.
// waiting, if not nil, receives each token a task starts waiting on.
func openWithBase(t *testing.T, path string, clk clock.Clock, b *baseCalls, waiting chan<- string) (*Service, func()) {
	t.Helper()
	st, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	reg := integrations.NewRegistry()
	reg.Handle("arn:aws:states:::events:putEvents", b)
	s := New(Config{Store: st, Clock: clk, Tasks: reg, TokenKey: []byte("k")})
	if waiting != nil {
		s.callbacks.waiting = func(token string) { waiting <- token }
	}
	if err := s.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	stop := func() {
		_ = s.Stop(context.Background())
		_ = st.Close()
	}
	return s, stop
}

const callbackBaseDef = `{"StartAt":"Ask","States":{
	"Ask":{"Type":"Task","Resource":"arn:aws:states:::events:putEvents.waitForTaskToken",
	  "Parameters":{"token.$":"$$.Task.Token"},"ResultPath":"$.answer","Next":"Pause"},
	"Pause":{"Type":"Wait","Seconds":60,"Next":"Done"},
	"Done":{"Type":"Pass","End":true}}}`

func eventTypes(t *testing.T, s *Service, arn string) map[string]int {
	t.Helper()
	h, err := s.GetExecutionHistory(t.Context(), &GetExecutionHistoryInput{ExecutionArn: arn})
	if err != nil {
		t.Fatal(err)
	}
	n := map[string]int{}
	for _, e := range h.Events {
		var ev struct{ Type string }
		_ = json.Unmarshal(e, &ev)
		n[ev.Type]++
	}
	return n
}

func checkOneTask(t *testing.T, types map[string]int) {
	t.Helper()
	for _, typ := range []string{"TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskSucceeded", "TaskStateExited", "WaitStateEntered", "ExecutionSucceeded"} {
		if types[typ] != 1 {
			t.Errorf("%d %s events, want 1 (all: %v)", types[typ], typ, types)
		}
	}
}

// A callback task whose base request and token both completed before a restart is not
// run again: its recorded TaskSubmitted and TaskSucceeded replay, and so does the rest.
func TestCallbackWithBaseRequestCompletedBeforeARestart(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "db")
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clk := clock.NewManual(start)
	b := &baseCalls{tokens: make(chan string, 4)}
	s1, stop1 := openWithBase(t, path, clk, b, nil)
	ctx := t.Context()
	sm, err := s1.CreateStateMachine(ctx, &CreateStateMachineInput{Name: "CB", RoleArn: role, Definition: callbackBaseDef})
	if err != nil {
		t.Fatal(err)
	}
	run, err := s1.StartExecution(ctx, &StartExecutionInput{StateMachineArn: sm.StateMachineArn, Input: ptr(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	token := <-b.tokens
	if _, err := s1.SendTaskSuccess(ctx, &SendTaskSuccessInput{TaskToken: token, Output: `{"ok":1}`}); err != nil {
		t.Fatal(err)
	}
	<-clk.Waiters() // the execution has moved on to Pause
	stop1()

	clk2 := clock.NewManual(start.Add(time.Second))
	s2, stop2 := openWithBase(t, path, clk2, b, nil)
	defer stop2()
	<-clk2.Waiters()
	clk2.AdvanceToNext()
	d := waitStatus(t, s2, run.ExecutionArn)
	if d.Status != "SUCCEEDED" || *d.Output != `{"answer":{"ok":1}}` {
		t.Fatalf("got %s %v", d.Status, d.Output)
	}
	checkOneTask(t, eventTypes(t, s2, run.ExecutionArn))
	if n := b.count(); n != 1 {
		t.Errorf("the base request was made %d times, want 1", n)
	}
}

// A callback task restarted while it waits for its token does not make its base request
// again (it was accepted: TaskSubmitted is recorded); the token still completes it.
func TestCallbackWithBaseRequestWaitingAcrossARestart(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "db")
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clk := clock.NewManual(start)
	b := &baseCalls{tokens: make(chan string, 4)}
	s1, stop1 := openWithBase(t, path, clk, b, nil)
	ctx := t.Context()
	sm, err := s1.CreateStateMachine(ctx, &CreateStateMachineInput{Name: "CB", RoleArn: role, Definition: callbackBaseDef})
	if err != nil {
		t.Fatal(err)
	}
	run, err := s1.StartExecution(ctx, &StartExecutionInput{StateMachineArn: sm.StateMachineArn, Input: ptr(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	token := <-b.tokens
	// Wait until TaskSubmitted is committed: the base request was accepted.
	for eventTypes(t, s1, run.ExecutionArn)["TaskSubmitted"] == 0 {
		s1.writer.flush(ctx)
	}
	stop1()

	clk2 := clock.NewManual(start.Add(time.Second))
	waiting := make(chan string, 1)
	s2, stop2 := openWithBase(t, path, clk2, b, waiting)
	defer stop2()
	if got := <-waiting; got != token {
		t.Fatalf("the resumed task waits on %q, want %q", got, token)
	}
	if _, err := s2.SendTaskSuccess(ctx, &SendTaskSuccessInput{TaskToken: token, Output: `{"ok":2}`}); err != nil {
		t.Fatal(err)
	}
	<-clk2.Waiters()
	clk2.AdvanceToNext()
	d := waitStatus(t, s2, run.ExecutionArn)
	if d.Status != "SUCCEEDED" || *d.Output != `{"answer":{"ok":2}}` {
		t.Fatalf("got %s %v", d.Status, d.Output)
	}
	checkOneTask(t, eventTypes(t, s2, run.ExecutionArn))
	if n := b.count(); n != 1 {
		t.Errorf("the base request was made %d times, want 1", n)
	}
}
