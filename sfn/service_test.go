package sfn

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/api"
	"github.com/stepwise-dev/stepwise/internal/clock"
	"github.com/stepwise-dev/stepwise/store/sqlite"
)

func open(t *testing.T, path string, clk clock.Clock) *Service {
	t.Helper()
	st, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	s := New(Config{Store: st, Clock: clk, TokenKey: []byte("test-key")})
	if err := s.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = s.Stop(context.Background())
		_ = st.Close()
	})
	return s
}

func ptr(s string) *string { return &s }

const role = "arn:aws:iam::123456789012:role/r"

// waitStatus polls DescribeExecution until the execution leaves RUNNING (the history is
// committed asynchronously, by the group-commit writer).
func waitStatus(t *testing.T, s *Service, arn string) *DescribeExecutionOutput {
	t.Helper()
	for i := 0; i < 2000; i++ {
		s.writer.flush(t.Context())
		d, err := s.DescribeExecution(t.Context(), &DescribeExecutionInput{ExecutionArn: arn})
		if err != nil {
			t.Fatal(err)
		}
		if d.Status != "RUNNING" {
			return d
		}
		s.mu.Lock()
		x := s.running[arn]
		s.mu.Unlock()
		if x != nil {
			<-x.Done()
		}
	}
	t.Fatal("execution did not end")
	return nil
}

func TestStartDescribeAndHistory(t *testing.T) {
	t.Parallel()
	s := open(t, filepath.Join(t.TempDir(), "db"), clock.Real{})
	ctx := t.Context()
	sm, err := s.CreateStateMachine(ctx, &CreateStateMachineInput{Name: "M", RoleArn: role,
		Definition: `{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"x.$":"$.v"},"Next":"B"},"B":{"Type":"Succeed"}}}`})
	if err != nil {
		t.Fatal(err)
	}
	st, err := s.StartExecution(ctx, &StartExecutionInput{StateMachineArn: sm.StateMachineArn, Name: "e1", Input: ptr(`{"v":7}`)})
	if err != nil {
		t.Fatal(err)
	}
	d := waitStatus(t, s, st.ExecutionArn)
	if d.Status != "SUCCEEDED" || d.Output == nil || *d.Output != `{"x":7}` {
		t.Fatalf("got %s %v", d.Status, d.Output)
	}
	h, err := s.GetExecutionHistory(ctx, &GetExecutionHistoryInput{ExecutionArn: st.ExecutionArn})
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, e := range h.Events {
		s := string(e)
		types = append(types, s[strings.Index(s, `"type":"`)+8:][:strings.Index(s[strings.Index(s, `"type":"`)+8:], `"`)])
	}
	want := "ExecutionStarted PassStateEntered PassStateExited SucceedStateEntered SucceedStateExited ExecutionSucceeded"
	if strings.Join(types, " ") != want {
		t.Fatalf("history %v", types)
	}
	// Same name and input: the same execution. Another input: ExecutionAlreadyExists.
	if _, err := s.StartExecution(ctx, &StartExecutionInput{StateMachineArn: sm.StateMachineArn, Name: "e1", Input: ptr(`{"v":8}`)}); !isCode(err, "ExecutionAlreadyExists") {
		t.Fatalf("got %v", err)
	}
}

func isCode(err error, code string) bool {
	var ae *api.Error
	return errors.As(err, &ae) && ae.Code == code
}

func TestBadRequests(t *testing.T) {
	t.Parallel()
	s := open(t, filepath.Join(t.TempDir(), "db"), clock.Real{})
	ctx := t.Context()
	if _, err := s.CreateStateMachine(ctx, &CreateStateMachineInput{Name: "bad name", RoleArn: role, Definition: `{}`}); !isCode(err, "InvalidName") {
		t.Errorf("name: %v", err)
	}
	if _, err := s.CreateStateMachine(ctx, &CreateStateMachineInput{Name: "M", RoleArn: role, Definition: `{"StartAt":"A","States":{}}`}); !isCode(err, "InvalidDefinition") {
		t.Errorf("definition: %v", err)
	}
	if _, err := s.DescribeStateMachine(ctx, &DescribeStateMachineInput{StateMachineArn: "arn:aws:states:us-east-1:123456789012:stateMachine:Nope"}); !isCode(err, "StateMachineDoesNotExist") {
		t.Errorf("missing: %v", err)
	}
	if _, err := s.DescribeExecution(ctx, &DescribeExecutionInput{ExecutionArn: "arn:aws:states:us-east-1:123456789012:stateMachine:Nope"}); !isCode(err, "InvalidArn") {
		t.Errorf("arn: %v", err)
	}
	sm, _ := s.CreateStateMachine(ctx, &CreateStateMachineInput{Name: "M", RoleArn: role, Definition: `{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}`})
	if _, err := s.StartExecution(ctx, &StartExecutionInput{StateMachineArn: sm.StateMachineArn, Input: ptr(`{"a":`)}); !isCode(err, "InvalidExecutionInput") {
		t.Errorf("input: %v", err)
	}
}

func TestRestartResumesARunningExecution(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "db")
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clk := clock.NewManual(start)
	st, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	s1 := New(Config{Store: st, Clock: clk, TokenKey: []byte("k")})
	if err := s1.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	sm, err := s1.CreateStateMachine(ctx, &CreateStateMachineInput{Name: "W", RoleArn: role,
		Definition: `{"StartAt":"P","States":{"P":{"Type":"Pass","Result":{"n":1},"Next":"W"},"W":{"Type":"Wait","Seconds":60,"Next":"Q"},"Q":{"Type":"Pass","End":true}}}`})
	if err != nil {
		t.Fatal(err)
	}
	run, err := s1.StartExecution(ctx, &StartExecutionInput{StateMachineArn: sm.StateMachineArn, Name: "long"})
	if err != nil {
		t.Fatal(err)
	}
	<-clk.Waiters() // the execution waits
	// The server stops (as at SIGTERM) with the execution mid-wait.
	if err := s1.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	_ = st.Close()

	clk2 := clock.NewManual(start.Add(45 * time.Second))
	s2 := open(t, path, clk2)
	d, err := s2.DescribeExecution(ctx, &DescribeExecutionInput{ExecutionArn: run.ExecutionArn})
	if err != nil || d.Status != "RUNNING" {
		t.Fatalf("after restart: %v %v", d, err)
	}
	<-clk2.Waiters()
	clk2.AdvanceToNext()
	d = waitStatus(t, s2, run.ExecutionArn)
	if d.Status != "SUCCEEDED" || *d.Output != `{"n":1}` {
		t.Fatalf("got %s %v", d.Status, d.Output)
	}
	if got := d.StopDate.Sub(start); got != 60*time.Second {
		t.Errorf("the wait ended %v after the start, want 60s", got)
	}
	h, _ := s2.GetExecutionHistory(ctx, &GetExecutionHistoryInput{ExecutionArn: run.ExecutionArn})
	if len(h.Events) != 8 {
		t.Errorf("%d events, want 8 (no event lost or repeated)", len(h.Events))
	}
}

func TestRedriveFromTheFailedState(t *testing.T) {
	t.Parallel()
	s := open(t, filepath.Join(t.TempDir(), "db"), clock.Real{})
	ctx := t.Context()
	// A Fail state fails again after the redrive, but the Pass before it is not run
	// again: the redriven history continues from the failed state.
	sm, err := s.CreateStateMachine(ctx, &CreateStateMachineInput{Name: "R", RoleArn: role,
		Definition: `{"StartAt":"A","States":{"A":{"Type":"Pass","Result":1,"ResultPath":"$.a","Next":"B"},"B":{"Type":"Fail","Error":"Broken","Cause":"b"}}}`})
	if err != nil {
		t.Fatal(err)
	}
	x, _ := s.StartExecution(ctx, &StartExecutionInput{StateMachineArn: sm.StateMachineArn})
	if d := waitStatus(t, s, x.ExecutionArn); d.Status != "FAILED" || d.RedriveStatus != "REDRIVABLE" {
		t.Fatalf("first: %+v", d)
	}
	if _, err := s.RedriveExecution(ctx, &RedriveExecutionInput{ExecutionArn: x.ExecutionArn}); err != nil {
		t.Fatal(err)
	}
	d := waitStatus(t, s, x.ExecutionArn)
	if d.Status != "FAILED" || d.RedriveCount != 1 || d.RedriveDate == nil {
		t.Fatalf("after redrive: %+v", d)
	}
	h, _ := s.GetExecutionHistory(ctx, &GetExecutionHistoryInput{ExecutionArn: x.ExecutionArn})
	var types []string
	for _, e := range h.Events {
		var ev struct{ Type string }
		_ = json.Unmarshal(e, &ev)
		types = append(types, ev.Type)
	}
	want := "ExecutionStarted PassStateEntered PassStateExited FailStateEntered ExecutionFailed ExecutionRedriven FailStateEntered ExecutionFailed"
	if strings.Join(types, " ") != want {
		t.Fatalf("history\n got %s\nwant %s", strings.Join(types, " "), want)
	}
	ok, _ := s.CreateStateMachine(ctx, &CreateStateMachineInput{Name: "OK", RoleArn: role, Definition: `{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}`})
	y, _ := s.StartExecution(ctx, &StartExecutionInput{StateMachineArn: ok.StateMachineArn})
	waitStatus(t, s, y.ExecutionArn)
	if _, err := s.RedriveExecution(ctx, &RedriveExecutionInput{ExecutionArn: y.ExecutionArn}); !isCode(err, "ExecutionNotRedrivable") {
		t.Fatalf("redriving a success: %v", err)
	}
}
