package sfn

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stepwise-dev/stepwise/internal/clock"
	"github.com/stepwise-dev/stepwise/jsonv"
)

func TestNestedExecutions(t *testing.T) {
	t.Parallel()
	s := open(t, filepath.Join(t.TempDir(), "db"), clock.Real{})
	ctx := t.Context()
	child, err := s.CreateStateMachine(ctx, &CreateStateMachineInput{Name: "Child", RoleArn: role,
		Definition: `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.fail","IsPresent":true,"Next":"F"}],"Default":"P"},
		 "P":{"Type":"Pass","Result":{"Arg1":"argument1"},"End":true},"F":{"Type":"Fail","Error":"SomeFailure","Cause":"child failed"}}}`})
	if err != nil {
		t.Fatal(err)
	}
	parentDef := func(resource string) string {
		return `{"StartAt":"S","States":{"S":{"Type":"Task","Resource":"` + resource + `",
		 "Parameters":{"StateMachineArn.$":"$.arn","Input.$":"$.input"},"End":true}}}`
	}
	run := func(name, resource, input string) *DescribeExecutionOutput {
		sm, err := s.CreateStateMachine(ctx, &CreateStateMachineInput{Name: name, RoleArn: role, Definition: parentDef(resource)})
		if err != nil {
			t.Fatal(err)
		}
		x, err := s.StartExecution(ctx, &StartExecutionInput{StateMachineArn: sm.StateMachineArn, Input: &input})
		if err != nil {
			t.Fatal(err)
		}
		return waitStatus(t, s, x.ExecutionArn)
	}
	in := `{"arn":"` + child.StateMachineArn + `","input":{"k":1}}`
	d := run("Sync2", "arn:aws:states:::states:startExecution.sync:2", in)
	out, _ := jsonv.DecodeString(*d.Output)
	o := out.(*jsonv.Object)
	if v, _ := o.Get("Output"); d.Status != "SUCCEEDED" || jsonv.String(v) != `{"Arg1":"argument1"}` {
		t.Fatalf(".sync:2: %s %s", d.Status, *d.Output)
	}
	if v, _ := o.Get("Input"); jsonv.String(v) != `{"k":1}` {
		t.Fatalf(".sync:2 input: %s", *d.Output)
	}
	d = run("Sync", "arn:aws:states:::states:startExecution.sync", in)
	if !strings.Contains(*d.Output, `"Output":"{\"Arg1\":\"argument1\"}"`) {
		t.Fatalf(".sync keeps Output as text: %s", *d.Output)
	}
	d = run("SyncFail", "arn:aws:states:::states:startExecution.sync", `{"arn":"`+child.StateMachineArn+`","input":{"fail":true}}`)
	if d.Status != "FAILED" || d.Error != "States.TaskFailed" || !strings.Contains(d.Cause, `"Error":"SomeFailure"`) {
		t.Fatalf("failed child: %s %s %s", d.Status, d.Error, d.Cause)
	}
	d = run("Fire", "arn:aws:states:::states:startExecution", in)
	if d.Status != "SUCCEEDED" || !strings.Contains(*d.Output, `"ExecutionArn":"arn:aws:states:us-east-1:123456789012:execution:Child:`) {
		t.Fatalf("request-response: %s %v", d.Status, d.Output)
	}
	d = run("NoSuch", "arn:aws:states:::states:startExecution", `{"arn":"arn:aws:states:us-east-1:123456789012:stateMachine:Nope","input":{}}`)
	if d.Error != "StepFunctions.StateMachineDoesNotExistException" || !strings.HasPrefix(d.Cause, "State Machine Does Not Exist: 'arn:aws:states:us-east-1:123456789012:stateMachine:Nope' (Service: AWSStepFunctions; Status Code: 400;") {
		t.Fatalf("missing child: %s %s", d.Error, d.Cause)
	}
	// The children are linked to their parents.
	list, err := s.ListExecutions(ctx, &ListExecutionsInput{StateMachineArn: child.StateMachineArn})
	if err != nil || len(list.Executions) != 4 {
		t.Fatalf("children: %+v %v", list, err)
	}
}
