package engine

import (
	"context"
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

var epoch = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

type run struct {
	x       *Execution
	res     Result
	elapsed time.Duration
}

// runManual runs a definition on a manual clock, advancing it to each timer in turn, and
// reports how much virtual time passed.
func runManual(t *testing.T, def, input string, tasks Tasks) run {
	t.Helper()
	sm, err := asl.Parse([]byte(def), asl.Options{})
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	clk := clock.NewManual(epoch)
	eng := New(Config{Clock: clk, Tasks: tasks})
	x := eng.Start(t.Context(), sm, StartParams{Name: "test", StateMachineName: "M", Input: jsonv.MustDecode(input)})
	for {
		select {
		case <-x.Done():
			res := x.Result()
			return run{x: x, res: res, elapsed: res.StopTime.Sub(epoch)}
		case <-clk.Waiters():
			// Advance only once every lane waits, so no lane races the clock.
			for x.Busy() > 0 {
				runtime.Gosched()
			}
			clk.AdvanceToNext()
		}
	}
}

// failingTask fails with err the first n calls, then returns result.
func failingTask(n int, errName string, result string) (Tasks, *int) {
	calls := 0
	var mu sync.Mutex
	return integrations.HandlerFunc(func(ctx context.Context, req *integrations.Request) (any, error) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls <= n {
			return nil, &integrations.TaskError{Name: errName, Cause: "attempt failed"}
		}
		return jsonv.MustDecode(result), nil
	}), &calls
}

func TestRetryBacksOffAsAWSDoes(t *testing.T) {
	t.Parallel()
	tasks, calls := failingTask(2, "Flaky", `{"ok":true}`)
	r := runManual(t, `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
		"Retry":[{"ErrorEquals":["Flaky"],"IntervalSeconds":1,"BackoffRate":2,"MaxAttempts":3}],"End":true}}}`, `{}`, tasks)
	if r.res.Status != StatusSucceeded || *calls != 3 {
		t.Fatalf("status %s after %d calls", r.res.Status, *calls)
	}
	if r.elapsed != 3*time.Second {
		t.Fatalf("retries waited %v, want 1s + 2s", r.elapsed)
	}
	want := "ExecutionStarted TaskStateEntered TaskScheduled TaskStarted TaskFailed TaskScheduled TaskStarted TaskFailed TaskScheduled TaskStarted TaskSucceeded TaskStateExited ExecutionSucceeded"
	if got := strings.Join(r.x.History.Types(), " "); got != want {
		t.Fatalf("history\n got %s\nwant %s", got, want)
	}
}

func TestMaxDelaySecondsCapsTheBackoff(t *testing.T) {
	t.Parallel()
	tasks, _ := failingTask(3, "Flaky", `1`)
	r := runManual(t, `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::x:y",
		"Retry":[{"ErrorEquals":["States.ALL"],"IntervalSeconds":1,"BackoffRate":10,"MaxDelaySeconds":5,"MaxAttempts":5}],"End":true}}}`, `{}`, tasks)
	if r.res.Status != StatusSucceeded || r.elapsed != 11*time.Second {
		t.Fatalf("status %s, waited %v, want 1s+5s+5s", r.res.Status, r.elapsed)
	}
}

func TestRetriesExhaustedThenCaught(t *testing.T) {
	t.Parallel()
	tasks, calls := failingTask(10, "Flaky", `1`)
	r := runManual(t, `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::x:y",
		"Retry":[{"ErrorEquals":["Flaky"],"IntervalSeconds":2,"MaxAttempts":2,"BackoffRate":1}],
		"Catch":[{"ErrorEquals":["States.TaskFailed"],"ResultPath":"$.error","Next":"Handled"}],"End":true},
		"Handled":{"Type":"Pass","End":true}}}`, `{"keep":1}`, tasks)
	if r.res.Status != StatusSucceeded || *calls != 3 || r.elapsed != 4*time.Second {
		t.Fatalf("status %s, %d calls, %v", r.res.Status, *calls, r.elapsed)
	}
	want := `{"keep":1,"error":{"Error":"Flaky","Cause":"attempt failed"}}`
	if got := jsonv.String(r.res.Output); got != want {
		t.Fatalf("output %s, want %s", got, want)
	}
}

func TestTaskTimeoutIsNotCaughtByTaskFailed(t *testing.T) {
	t.Parallel()
	block := integrations.HandlerFunc(func(ctx context.Context, _ *integrations.Request) (any, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	})
	r := runManual(t, `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::x:y","TimeoutSeconds":5,
		"Catch":[{"ErrorEquals":["States.TaskFailed"],"Next":"Wrong"},{"ErrorEquals":["States.Timeout"],"Next":"Right"}],"End":true},
		"Wrong":{"Type":"Fail","Error":"Wrong"},"Right":{"Type":"Pass","End":true}}}`, `{}`, block)
	if r.res.Status != StatusSucceeded || r.elapsed != 5*time.Second {
		t.Fatalf("status %s (%s), after %v", r.res.Status, r.res.Error, r.elapsed)
	}
	if !strings.Contains(strings.Join(r.x.History.Types(), " "), "TaskTimedOut TaskStateExited PassStateEntered") {
		t.Fatalf("history %v", r.x.History.Types())
	}
}

func TestHeartbeatTimeout(t *testing.T) {
	t.Parallel()
	block := integrations.HandlerFunc(func(ctx context.Context, req *integrations.Request) (any, error) {
		if req.TaskToken == "" {
			t.Error("a callback task must get a token")
		}
		<-ctx.Done()
		return nil, ctx.Err()
	})
	r := runManual(t, `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken",
		"HeartbeatSeconds":3,"TimeoutSeconds":100,"Parameters":{"MessageBody":{"token.$":"$$.Task.Token"}},"End":true}}}`, `{}`, block)
	if r.res.Status != StatusFailed || r.res.Error != ErrTimeout || r.elapsed != 3*time.Second {
		t.Fatalf("got %s %s after %v", r.res.Status, r.res.Error, r.elapsed)
	}
}

func TestExecutionTimeoutEndsAWait(t *testing.T) {
	t.Parallel()
	r := runManual(t, `{"TimeoutSeconds":5,"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":60,"End":true}}}`, `{}`, nil)
	if r.res.Status != StatusTimedOut || r.res.HasError || r.elapsed != 5*time.Second {
		t.Fatalf("got %s %s after %v", r.res.Status, r.res.Error, r.elapsed)
	}
	types := r.x.History.Types()
	if types[len(types)-1] != "ExecutionTimedOut" {
		t.Fatalf("history %v", types)
	}
}

func TestWaitUntilTimestamp(t *testing.T) {
	t.Parallel()
	r := runManual(t, `{"StartAt":"W","States":{"W":{"Type":"Wait","TimestampPath":"$.at","End":true}}}`,
		`{"at":"2026-03-01T12:01:30Z"}`, nil)
	if r.res.Status != StatusSucceeded || r.elapsed != 90*time.Second {
		t.Fatalf("got %s after %v", r.res.Status, r.elapsed)
	}
}

func TestStopAbortsARunningExecution(t *testing.T) {
	t.Parallel()
	sm, err := asl.Parse([]byte(`{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":10,"End":true}}}`), asl.Options{})
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewManual(epoch)
	x := New(Config{Clock: clk}).Start(t.Context(), sm, StartParams{})
	<-clk.Waiters()
	x.Stop("Stopped", "by the test")
	<-x.Done()
	res := x.Result()
	if res.Status != StatusAborted || res.Error != "Stopped" || res.Cause != "by the test" {
		t.Fatalf("got %+v", res)
	}
}

func TestRuntimeErrorsAreNeverCaught(t *testing.T) {
	t.Parallel()
	r := runManual(t, `{"StartAt":"P","States":{"P":{"Type":"Parallel","OutputPath":"$.missing",
		"Branches":[{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}],
		"Catch":[{"ErrorEquals":["States.Runtime"],"Next":"C"},{"ErrorEquals":["States.ALL"],"Next":"C"}],"End":true},"C":{"Type":"Pass","End":true}}}`, `{}`, nil)
	if r.res.Status != StatusFailed || r.res.Error != ErrRuntime {
		t.Fatalf("got %s %s", r.res.Status, r.res.Error)
	}
	if !strings.Contains(r.res.Cause, "Invalid path '$.missing'") {
		t.Fatalf("cause %q", r.res.Cause)
	}
}

func TestMapKeepsItemOrder(t *testing.T) {
	t.Parallel()
	var items []string
	for i := 0; i < 200; i++ {
		items = append(items, jsonv.String(float64(i)))
	}
	r := runManual(t, `{"StartAt":"M","States":{"M":{"Type":"Map","MaxConcurrency":7,
		"ItemSelector":{"v.$":"$$.Map.Item.Value","i.$":"$$.Map.Item.Index"},
		"ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}`,
		`[`+strings.Join(items, ",")+`]`, nil)
	out, ok := r.res.Output.([]any)
	if r.res.Status != StatusSucceeded || !ok || len(out) != 200 {
		t.Fatalf("got %s %v", r.res.Status, r.res.Output)
	}
	for i, o := range out {
		v, _ := o.(*jsonv.Object).Get("v")
		idx, _ := o.(*jsonv.Object).Get("i")
		if v != float64(i) || idx != float64(i) {
			t.Fatalf("item %d is %s", i, jsonv.String(o))
		}
	}
}

func TestParallelFailsWithTheBranchError(t *testing.T) {
	t.Parallel()
	r := runManual(t, `{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[
		{"StartAt":"A","States":{"A":{"Type":"Wait","Seconds":100,"End":true}}},
		{"StartAt":"B","States":{"B":{"Type":"Fail","Error":"BranchBroke","Cause":"b"}}}]}}}`, `{}`, nil)
	if r.res.Status != StatusFailed || r.res.Error != "BranchBroke" {
		t.Fatalf("got %s %s", r.res.Status, r.res.Error)
	}
}

func TestPayloadOverLimitFails(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("x", MaxPayloadBytes)
	r := runManual(t, `{"StartAt":"P","States":{"P":{"Type":"Pass","Result":"`+big+`","End":true}}}`, `{}`, nil)
	if r.res.Status != StatusFailed || r.res.Error != ErrDataLimitExceeded {
		t.Fatalf("got %s %s", r.res.Status, r.res.Error)
	}
}

func TestPreviousEventIDsChainAlongTheLane(t *testing.T) {
	t.Parallel()
	r := runManual(t, `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},"B":{"Type":"Pass","End":true}}}`, `{}`, nil)
	for i, e := range r.x.History.Events() {
		if e.ID != int64(i+1) || e.PreviousEventID != int64(i) {
			t.Fatalf("event %d: id %d previous %d", i, e.ID, e.PreviousEventID)
		}
	}
}

func TestAssignOverTheSizeLimitFails(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("x", 200000)
	r := runManual(t, `{"StartAt":"A","States":{"A":{"Type":"Pass","Assign":{"a.$":"$.big","b.$":"$.big"},"End":true}}}`, `{"big":"`+big+`"}`, nil)
	if r.res.Status != StatusFailed || r.res.Error != ErrDataLimitExceeded || !strings.Contains(r.res.Cause, "combined") {
		t.Fatalf("got %s %s %s", r.res.Status, r.res.Error, r.res.Cause)
	}
}

func TestParametersErrorFailsTheExecutionUncaught(t *testing.T) {
	t.Parallel()
	bad := integrations.HandlerFunc(func(_ context.Context, req *integrations.Request) (any, error) {
		return nil, &integrations.ParametersError{Parameters: req.Input, Reason: `The field "ProcessingOutputs" is not supported by Step Functions`}
	})
	r := runManual(t, `{"StartAt":"P","States":{"P":{"Type":"Task","Resource":"arn:aws:states:::sagemaker:createProcessingJob.sync",
		"Parameters":{"ProcessingOutputs":[]},"Catch":[{"ErrorEquals":["States.ALL"],"Next":"Caught"}],"End":true},
		"Caught":{"Type":"Pass","End":true}}}`, `{}`, bad)
	want := `An error occurred while executing the state 'P' (entered at the event id #2). The Parameters '{"ProcessingOutputs":[]}' could not be used to start the Task: [The field "ProcessingOutputs" is not supported by Step Functions]`
	if r.res.Status != StatusFailed || r.res.Error != "States.Runtime" || r.res.Cause != want {
		t.Fatalf("status %s error %s cause %q", r.res.Status, r.res.Error, r.res.Cause)
	}
	if h := strings.Join(r.x.History.Types(), " "); strings.Contains(h, "TaskFailed") || strings.Contains(h, "PassStateEntered") {
		t.Fatalf("history %s", h)
	}
}
