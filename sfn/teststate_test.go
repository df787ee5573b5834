package sfn

import (
	"path/filepath"
	"testing"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/internal/clock"
)

func TestTestState(t *testing.T) {
	t.Parallel()
	s := open(t, filepath.Join(t.TempDir(), "db"), clock.Real{})
	ctx := t.Context()
	task := `{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"f","Payload.$":"$.x"},
	  "ResultSelector":{"v.$":"$.Payload"},"ResultPath":"$.r","Next":"After",
	  "Retry":[{"ErrorEquals":["Throttled"],"IntervalSeconds":2,"BackoffRate":3,"MaxAttempts":2}],
	  "Catch":[{"ErrorEquals":["Broken"],"Next":"Handle"}]}`
	res, err := s.TestState(ctx, &TestStateInput{Definition: task, Input: `{"x":5}`, InspectionLevel: "DEBUG",
		Mock: &struct {
			Result      *string `json:"result"`
			ErrorOutput *struct {
				Error string `json:"error"`
				Cause string `json:"cause"`
			} `json:"errorOutput"`
			FieldValidationMode string `json:"fieldValidationMode"`
		}{Result: ptr(`{"Payload":10}`)}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != engine.TestSucceeded || *res.Output != `{"x":5,"r":{"v":10}}` || res.NextState != "After" {
		t.Fatalf("success: %+v %s", res, *res.Output)
	}
	if res.InspectionData["afterParameters"] != `{"FunctionName":"f","Payload":5}` || res.InspectionData["afterResultSelector"] != `{"v":10}` {
		t.Fatalf("inspection: %v", res.InspectionData)
	}
	mockErr := func(name string) *TestStateInput {
		in := &TestStateInput{Definition: task, Input: `{"x":1}`, InspectionLevel: "DEBUG"}
		in.Mock = &struct {
			Result      *string `json:"result"`
			ErrorOutput *struct {
				Error string `json:"error"`
				Cause string `json:"cause"`
			} `json:"errorOutput"`
			FieldValidationMode string `json:"fieldValidationMode"`
		}{ErrorOutput: &struct {
			Error string `json:"error"`
			Cause string `json:"cause"`
		}{Error: name, Cause: "c"}}
		return in
	}
	in := mockErr("Throttled")
	in.Definition = `{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"f"},"End":true,
	  "Retry":[{"ErrorEquals":["Throttled"],"IntervalSeconds":2,"BackoffRate":3,"MaxAttempts":2}]}`
	in.StateConfiguration = &struct {
		RetrierRetryCount int `json:"retrierRetryCount"`
	}{RetrierRetryCount: 1}
	res, err = s.TestState(ctx, in)
	if err != nil || res.Status != engine.TestRetriable {
		t.Fatalf("retriable: %+v %v", res, err)
	}
	if d := res.InspectionData["errorDetails"].(map[string]any); d["retryBackoffIntervalSeconds"] != 6.0 || d["retryIndex"] != 0 {
		t.Fatalf("retry details: %v", d)
	}
	res, err = s.TestState(ctx, mockErr("Broken"))
	if err != nil || res.Status != engine.TestCaughtError || res.NextState != "Handle" {
		t.Fatalf("caught: %+v %v", res, err)
	}
	res, err = s.TestState(ctx, mockErr("Other"))
	if err != nil || res.Status != engine.TestFailed || res.Error != "Other" {
		t.Fatalf("failed: %+v %v", res, err)
	}
	if _, err := s.TestState(ctx, &TestStateInput{Definition: `{"Type":"Pass","Nxt":"A"}`}); !isCode(err, "InvalidDefinition") {
		t.Fatalf("invalid: %v", err)
	}
}
