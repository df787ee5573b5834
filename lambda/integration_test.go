package lambda

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/asl"
	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/integrations"
	"github.com/stepwise-dev/stepwise/jsonv"
)

func (e *env) runMachine(t *testing.T, def, input string) engine.Result {
	t.Helper()
	sm, err := asl.Parse([]byte(def), asl.Options{})
	if err != nil {
		t.Fatal(err)
	}
	reg := integrations.NewRegistry()
	e.svc.RegisterIntegrations(reg)
	eng := engine.New(engine.Config{Tasks: reg})
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	_, res := eng.Run(ctx, sm, engine.StartParams{Name: "exec-1", StateMachineName: "M", Input: jsonv.MustDecode(input)})
	return res
}

const sfnHandler = `import time
class ModelNotReady(Exception):
    pass

def handler(event, context):
    if isinstance(event, dict) and event.get("raise"):
        raise ModelNotReady("not yet: " + event["raise"])
    if isinstance(event, dict) and event.get("sleep"):
        time.sleep(event["sleep"])
    return event
`

func TestStepFunctionsIntegration(t *testing.T) {
	t.Parallel()
	needHostPython(t)
	e := newEnv(t)
	e.mustCreate(t, fn{Name: "echo", Runtime: "python3.11", Handler: "app.handler", Timeout: 1, Files: map[string]string{"app.py": sfnHandler}})

	invoke := `{"StartAt":"S","States":{"S":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName.$":"$.fn","Payload.$":"$.payload"%s},"End":true}}}`
	res := e.runMachine(t, fmt.Sprintf(invoke, ""), `{"fn":"echo","payload":{"a":[1,"x"]}}`)
	if res.Status != engine.StatusSucceeded {
		t.Fatalf("%s %s %s", res.Status, res.Error, res.Cause)
	}
	out := res.Output.(*jsonv.Object)
	if strings.Join(out.Keys(), ",") != "ExecutedVersion,Payload,SdkHttpMetadata,SdkResponseMetadata,StatusCode" {
		t.Fatalf("output keys %v", out.Keys())
	}
	if p, _ := out.Get("Payload"); jsonv.String(p) != `{"a":[1,"x"]}` {
		t.Fatalf("payload %s", jsonv.String(p))
	}
	if sc, _ := out.Get("StatusCode"); sc != float64(200) {
		t.Fatalf("status %v", sc)
	}
	md, _ := out.Get("SdkHttpMetadata")
	if hh, _ := md.(*jsonv.Object).Get("HttpHeaders"); !strings.Contains(jsonv.String(hh), `"X-Amz-Executed-Version":"$LATEST"`) {
		t.Fatalf("metadata %s", jsonv.String(md))
	}
	// A string Payload is sent as is: "0" is the JSON number 0.
	res = e.runMachine(t, fmt.Sprintf(invoke, ""), `{"fn":"echo","payload":"0"}`)
	if p, _ := res.Output.(*jsonv.Object).Get("Payload"); res.Status != engine.StatusSucceeded || jsonv.String(p) != "0" {
		t.Fatalf("%s %v", res.Status, jsonv.String(res.Output))
	}
	// LogType Tail adds LogResult.
	res = e.runMachine(t, fmt.Sprintf(invoke, `,"LogType":"Tail"`), `{"fn":"echo","payload":null}`)
	if res.Status != engine.StatusSucceeded || strings.Join(res.Output.(*jsonv.Object).Keys(), ",") != "ExecutedVersion,LogResult,Payload,SdkHttpMetadata,SdkResponseMetadata,StatusCode" {
		t.Fatalf("%s %s", res.Status, jsonv.String(res.Output))
	}

	// The function's exception: its class name, the error document as the cause.
	res = e.runMachine(t, fmt.Sprintf(invoke, ""), `{"fn":"echo","payload":{"raise":"soon"}}`)
	if res.Status != engine.StatusFailed || res.Error != "ModelNotReady" ||
		!strings.HasPrefix(res.Cause, `{"errorMessage":"not yet: soon","errorType":"ModelNotReady","requestId":"`) ||
		!strings.Contains(res.Cause, `"stackTrace":["  File \"/var/task/app.py\", line 7, in handler\n`) {
		t.Fatalf("%s %s %s", res.Status, res.Error, res.Cause)
	}
	// A timeout: Lambda.Unknown.
	res = e.runMachine(t, fmt.Sprintf(invoke, ""), `{"fn":"echo","payload":{"sleep":30}}`)
	if res.Status != engine.StatusFailed || res.Error != "Lambda.Unknown" ||
		!strings.HasPrefix(res.Cause, `The cause could not be determined because Lambda did not return an error type. Returned payload: {"errorMessage":"`) ||
		!strings.Contains(res.Cause, "Task timed out after 1.00 seconds") {
		t.Fatalf("%s %s %s", res.Status, res.Error, res.Cause)
	}
	// A missing function: the SDK's error.
	res = e.runMachine(t, fmt.Sprintf(invoke, ""), `{"fn":"nope","payload":{}}`)
	if res.Status != engine.StatusFailed || res.Error != "Lambda.ResourceNotFoundException" ||
		!strings.HasPrefix(res.Cause, "Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope (Service: AWSLambda; Status Code: 404; Error Code: ResourceNotFoundException; Request ID: ") {
		t.Fatalf("%s %s %s", res.Status, res.Error, res.Cause)
	}
	// A field lambda:invoke does not have.
	res = e.runMachine(t, fmt.Sprintf(invoke, `,"Bogus":1`), `{"fn":"echo","payload":{}}`)
	if res.Status != engine.StatusFailed || res.Error != "States.Runtime" || !strings.Contains(res.Cause, `The field "Bogus" is not supported by Step Functions`) {
		t.Fatalf("%s %s %s", res.Status, res.Error, res.Cause)
	}

	// A bare function ARN: the state's input in, the function's response out.
	bare := `{"StartAt":"S","States":{"S":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:%s","End":true}}}`
	res = e.runMachine(t, fmt.Sprintf(bare, "echo"), `"HelloWorld"`)
	if res.Status != engine.StatusSucceeded || jsonv.String(res.Output) != `"HelloWorld"` {
		t.Fatalf("%s %s %s %s", res.Status, res.Error, res.Cause, jsonv.String(res.Output))
	}
	res = e.runMachine(t, fmt.Sprintf(bare, "echo"), `{"raise":"x"}`)
	if res.Status != engine.StatusFailed || res.Error != "ModelNotReady" || !strings.HasPrefix(res.Cause, `{"errorMessage": "not yet: x", "errorType": "ModelNotReady", "requestId": "`) {
		t.Fatalf("%s %s %s", res.Status, res.Error, res.Cause)
	}
	// Catch and Retry see the names.
	caught := `{"StartAt":"S","States":{"S":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:echo",
	  "Catch":[{"ErrorEquals":["ModelNotReady"],"ResultPath":"$.err","Next":"C"}],"End":true},"C":{"Type":"Pass","End":true}}}`
	res = e.runMachine(t, caught, `{"raise":"y"}`)
	if res.Status != engine.StatusSucceeded || !strings.Contains(jsonv.String(res.Output), `"Error":"ModelNotReady"`) {
		t.Fatalf("%s %s", res.Status, jsonv.String(res.Output))
	}
}
