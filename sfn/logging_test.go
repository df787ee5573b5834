package sfn

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stepwise-dev/stepwise/internal/clock"
	"github.com/stepwise-dev/stepwise/logs"
	"github.com/stepwise-dev/stepwise/store/sqlite"
)

// TestExecutionLogging: executions of machines with a LoggingConfiguration write their
// history events to the log group, as Step Functions does: a Standard one at level ALL
// with its data, an Express one at level ERROR without.
func TestExecutionLogging(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	sink := logs.New(logs.Config{Store: st})
	s := New(Config{Store: st, Clock: clock.Real{}, TokenKey: []byte("k"), Logs: sink})
	for _, c := range []interface{ Start(context.Context) error }{sink, s} {
		if err := c.Start(ctx); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		_ = s.Stop(context.Background())
		_ = sink.Stop(context.Background())
		_ = st.Close()
	})
	const groupARN = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/vendedlogs/states/M-Logs:*"
	logging := func(level string, data bool) json.RawMessage {
		b, _ := json.Marshal(map[string]any{"level": level, "includeExecutionData": data,
			"destinations": []any{map[string]any{"cloudWatchLogsLogGroup": map[string]any{"logGroupArn": groupARN}}}})
		return b
	}
	sm, err := s.CreateStateMachine(ctx, &CreateStateMachineInput{Name: "M", RoleArn: role, LoggingConfiguration: logging("ALL", true),
		Definition: `{"StartAt":"A","States":{"A":{"Type":"Pass","Result":{"x":1},"Next":"B"},"B":{"Type":"Succeed"}}}`})
	if err != nil {
		t.Fatal(err)
	}
	x, err := s.StartExecution(ctx, &StartExecutionInput{StateMachineArn: sm.StateMachineArn, Name: "run1", Input: ptr(`{"v":7}`)})
	if err != nil {
		t.Fatal(err)
	}
	if d := waitStatus(t, s, x.ExecutionArn); d.Status != "SUCCEEDED" {
		t.Fatalf("execution %s", d.Status)
	}
	ex, err := s.CreateStateMachine(ctx, &CreateStateMachineInput{Name: "X", RoleArn: role, Type: "EXPRESS", LoggingConfiguration: logging("ERROR", false),
		Definition: `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"F"},"F":{"Type":"Fail","Error":"Boom","Cause":"bad"}}}`})
	if err != nil {
		t.Fatal(err)
	}
	if out, err := s.StartSyncExecution(ctx, &StartExecutionInput{StateMachineArn: ex.StateMachineArn, Name: "x1", Input: ptr(`{"secret":1}`)}); err != nil || out.Status != "FAILED" {
		t.Fatalf("express: %v %+v", err, out)
	}
	if err := sink.Flush(ctx); err != nil {
		t.Fatal(err)
	}

	events, err := sink.FilterLogEvents(ctx, &logs.FilterLogEventsInput{LogGroupName: ptr("/aws/vendedlogs/states/M-Logs"), LogStreamNamePrefix: ptr("states/M/")})
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, e := range events.Events {
		if !strings.HasSuffix(e.LogStreamName, "/run1") {
			t.Fatalf("stream %s", e.LogStreamName)
		}
		var m struct {
			ID             string         `json:"id"`
			Type           string         `json:"type"`
			Details        map[string]any `json:"details"`
			PreviousEvent  string         `json:"previous_event_id"`
			EventTimestamp string         `json:"event_timestamp"`
			ExecutionArn   string         `json:"execution_arn"`
			RedriveCount   string         `json:"redrive_count"`
		}
		if err := json.Unmarshal([]byte(e.Message), &m); err != nil {
			t.Fatalf("%s: %v", e.Message, err)
		}
		if m.ExecutionArn != x.ExecutionArn || m.RedriveCount != "0" || m.EventTimestamp == "" || m.PreviousEvent == "" {
			t.Fatalf("event %s", e.Message)
		}
		types = append(types, m.ID+":"+m.Type)
		if m.Type == "ExecutionStarted" && m.Details["input"] != `{"v":7}` {
			t.Fatalf("ExecutionStarted without its input: %s", e.Message)
		}
	}
	want := "1:ExecutionStarted 2:PassStateEntered 3:PassStateExited 4:SucceedStateEntered 5:SucceedStateExited 6:ExecutionSucceeded"
	if got := strings.Join(types, " "); got != want {
		t.Fatalf("logged %s\nwant   %s", got, want)
	}

	events, err = sink.FilterLogEvents(ctx, &logs.FilterLogEventsInput{LogGroupName: ptr("/aws/vendedlogs/states/M-Logs"), LogStreamNamePrefix: ptr("states/X/")})
	if err != nil {
		t.Fatal(err)
	}
	var msgs []string
	for _, e := range events.Events {
		msgs = append(msgs, e.Message)
	}
	got := strings.Join(msgs, "\n")
	if !strings.Contains(got, `"type":"FailStateEntered"`) || !strings.Contains(got, `"type":"ExecutionFailed"`) ||
		strings.Contains(got, "ExecutionStarted") || strings.Contains(got, "secret") || len(msgs) != 2 {
		t.Fatalf("express at ERROR logged:\n%s", got)
	}
}
