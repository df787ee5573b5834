package sfn

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stepwise-dev/stepwise/internal/clock"
	"github.com/stepwise-dev/stepwise/store/sqlite"
)

func TestActivityWorkerCompletesTheTask(t *testing.T) {
	t.Parallel()
	s := open(t, filepath.Join(t.TempDir(), "db"), clock.Real{})
	ctx := t.Context()
	act, err := s.CreateActivity(ctx, &CreateActivityInput{Name: "review"})
	if err != nil {
		t.Fatal(err)
	}
	sm, err := s.CreateStateMachine(ctx, &CreateStateMachineInput{Name: "A", RoleArn: role,
		Definition: `{"StartAt":"Ask","States":{"Ask":{"Type":"Task","Resource":"` + act.ActivityArn + `","End":true}}}`})
	if err != nil {
		t.Fatal(err)
	}
	run, err := s.StartExecution(ctx, &StartExecutionInput{StateMachineArn: sm.StateMachineArn, Input: ptr(`{"doc":42}`)})
	if err != nil {
		t.Fatal(err)
	}
	task, err := s.GetActivityTask(ctx, &GetActivityTaskInput{ActivityArn: act.ActivityArn, WorkerName: "w1"})
	if err != nil || task.TaskToken == "" || task.Input != `{"doc":42}` {
		t.Fatalf("task %+v %v", task, err)
	}
	if _, err := s.SendTaskHeartbeat(ctx, &SendTaskHeartbeatInput{TaskToken: task.TaskToken}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SendTaskSuccess(ctx, &SendTaskSuccessInput{TaskToken: task.TaskToken, Output: `{"approved":true}`}); err != nil {
		t.Fatal(err)
	}
	if d := waitStatus(t, s, run.ExecutionArn); d.Status != "SUCCEEDED" || *d.Output != `{"approved":true}` {
		t.Fatalf("got %s %v", d.Status, d.Output)
	}
	// A token is completed once.
	if _, err := s.SendTaskSuccess(ctx, &SendTaskSuccessInput{TaskToken: task.TaskToken, Output: `{}`}); !isCode(err, "TaskTimedOut") {
		t.Fatalf("second completion: %v", err)
	}
	if _, err := s.SendTaskSuccess(ctx, &SendTaskSuccessInput{TaskToken: "nope", Output: `{}`}); !isCode(err, "InvalidToken") {
		t.Fatalf("unknown token: %v", err)
	}
}

func TestWaitForTaskTokenFailureIsCaught(t *testing.T) {
	t.Parallel()
	s := open(t, filepath.Join(t.TempDir(), "db"), clock.Real{})
	ctx := t.Context()
	sm, err := s.CreateStateMachine(ctx, &CreateStateMachineInput{Name: "C", RoleArn: role, Definition: `{"StartAt":"Notify","States":{
		"Notify":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken",
		  "Parameters":{"QueueUrl":"q","MessageBody":{"token.$":"$$.Task.Token"}},
		  "Catch":[{"ErrorEquals":["Rejected"],"ResultPath":"$.err","Next":"Handled"}],"End":true},
		"Handled":{"Type":"Pass","End":true}}}`})
	if err != nil {
		t.Fatal(err)
	}
	run, err := s.StartExecution(ctx, &StartExecutionInput{StateMachineArn: sm.StateMachineArn})
	if err != nil {
		t.Fatal(err)
	}
	token := ""
	for token == "" {
		s.writer.flush(ctx)
		h, err := s.GetExecutionHistory(ctx, &GetExecutionHistoryInput{ExecutionArn: run.ExecutionArn})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range h.Events {
			var ev struct {
				Type    string
				Details struct{ Parameters string } `json:"taskScheduledEventDetails"`
			}
			_ = json.Unmarshal(e, &ev)
			if ev.Type == "TaskScheduled" {
				var p struct{ MessageBody struct{ Token string } }
				_ = json.Unmarshal([]byte(ev.Details.Parameters), &p)
				token = p.MessageBody.Token
			}
		}
	}
	if _, err := s.SendTaskFailure(ctx, &SendTaskFailureInput{TaskToken: token, Error: "Rejected", Cause: "no"}); err != nil {
		t.Fatal(err)
	}
	d := waitStatus(t, s, run.ExecutionArn)
	if d.Status != "SUCCEEDED" || !strings.Contains(*d.Output, `"Error":"Rejected"`) {
		t.Fatalf("got %s %v", d.Status, d.Output)
	}
}

func TestAcknowledgedTaskSuccessSurvivesARestart(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "db")
	st, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	s1 := New(Config{Store: st, TokenKey: []byte("test-key")}) // the key open() uses: tokens must survive the restart
	if err := s1.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	act, _ := s1.CreateActivity(ctx, &CreateActivityInput{Name: "a"})
	sm, _ := s1.CreateStateMachine(ctx, &CreateStateMachineInput{Name: "S", RoleArn: role,
		Definition: `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + act.ActivityArn + `","End":true}}}`})
	run, _ := s1.StartExecution(ctx, &StartExecutionInput{StateMachineArn: sm.StateMachineArn})
	task, err := s1.GetActivityTask(ctx, &GetActivityTaskInput{ActivityArn: act.ActivityArn})
	if err != nil || task.TaskToken == "" {
		t.Fatalf("%+v %v", task, err)
	}
	// The server goes away before the execution records the outcome: nothing but the
	// store's answer to SendTaskSuccess survives (the waiter is gone).
	if err := s1.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := s1.SendTaskSuccess(ctx, &SendTaskSuccessInput{TaskToken: task.TaskToken, Output: `{"done":1}`}); err != nil {
		t.Fatal(err)
	}
	_ = st.Close()
	s2 := open(t, path, clock.Real{})
	if d := waitStatus(t, s2, run.ExecutionArn); d.Status != "SUCCEEDED" || *d.Output != `{"done":1}` {
		t.Fatalf("after restart: %s %v", d.Status, d.Output)
	}
}
