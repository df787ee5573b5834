package events_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/api"
	"github.com/stepwise-dev/stepwise/events"
	"github.com/stepwise-dev/stepwise/internal/clienttest"
	"github.com/stepwise-dev/stepwise/internal/clock"
	"github.com/stepwise-dev/stepwise/objstore/local"
	"github.com/stepwise-dev/stepwise/s3api"
	"github.com/stepwise-dev/stepwise/sfn"
	"github.com/stepwise-dev/stepwise/store"
	"github.com/stepwise-dev/stepwise/store/sqlite"
)

// env is a server with EventBridge, Step Functions (the real service, as a target)
// and S3 sending Object Created events.
type env struct {
	st     store.Store
	events *events.Service
	sfn    *sfn.Service
	url    string
	smArn  string
	// invoked receives the payloads of Lambda targets.
	invoked chan string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	dir := t.TempDir()
	st, err := sqlite.Open(t.Context(), filepath.Join(dir, "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	e := &env{st: st, invoked: make(chan string, 10)}
	e.events = events.New(events.Config{Store: st, Clock: clock.Real{},
		StartExecution: func(ctx context.Context, arn, name, input string) (string, error) {
			out, err := e.sfn.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: arn, Name: name, Input: &input})
			if err != nil {
				return "", err
			}
			return out.ExecutionArn, nil
		},
		InvokeFunction: func(_ context.Context, _ string, payload []byte) error {
			e.invoked <- string(payload)
			return nil
		}})
	e.sfn = sfn.New(sfn.Config{Store: st, Events: e.events})
	if err := e.sfn.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.sfn.Stop(context.Background()) })
	if err := e.events.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.events.Stop(context.Background()) })
	objects, err := local.New(filepath.Join(dir, "objects"))
	if err != nil {
		t.Fatal(err)
	}
	d := api.NewDispatcher(api.Options{})
	for _, reg := range []func(*api.Dispatcher) error{e.events.Register,
		func(d *api.Dispatcher) error { return d.RegisterJSON(e.sfn.JSONService()) },
		s3api.New(objects, s3api.Options{Events: e.events}).Register} {
		if err := reg(d); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(d)
	t.Cleanup(srv.Close)
	e.url = srv.URL
	sm, err := e.sfn.CreateStateMachine(t.Context(), &sfn.CreateStateMachineInput{Name: "pipeline",
		Definition: `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`, RoleArn: "arn:aws:iam::123456789012:role/r"})
	if err != nil {
		t.Fatal(err)
	}
	e.smArn = sm.StateMachineArn
	return e
}

// executions waits until the state machine has n executions, all ended, and returns
// their inputs.
func (e *env) executions(t *testing.T, n int) []string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := e.sfn.ListExecutions(t.Context(), &sfn.ListExecutionsInput{StateMachineArn: e.smArn})
		if err != nil {
			t.Fatal(err)
		}
		var inputs []string
		for _, x := range res.Executions {
			d, err := e.sfn.DescribeExecution(t.Context(), &sfn.DescribeExecutionInput{ExecutionArn: x.ExecutionArn})
			if err != nil {
				t.Fatal(err)
			}
			if d.Status != "RUNNING" && d.Input != nil {
				inputs = append(inputs, *d.Input)
			}
		}
		if len(res.Executions) > n {
			t.Fatalf("%d executions, want %d", len(res.Executions), n)
		}
		if len(inputs) == n {
			return inputs
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d executions ended", len(inputs), n)
		}
		<-time.After(20 * time.Millisecond) // the executions run on the real clock
	}
}

func awsCLI(t *testing.T, url string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(clienttest.ToolPath("aws"), append([]string{"--endpoint-url", url, "--output", "json"}, args...)...)
	cmd.Env = clienttest.Env(t, "test", "test")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func mustCLI(t *testing.T, url string, args ...string) string {
	t.Helper()
	out, err := awsCLI(t, url, args...)
	if err != nil {
		t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// TestAWSCLI: the aws CLI v1 puts rules and targets, puts events that start the
// state machine with the transformed input, lists rules and tests a pattern; bad input
// gets AWS's errors.
func TestAWSCLI(t *testing.T) {
	t.Parallel()
	clienttest.NeedTool(t, "aws")
	e := newEnv(t)
	out := mustCLI(t, e.url, "events", "put-rule", "--name", "nightly", "--schedule-expression", "cron(0 2 ? * MON-FRI *)")
	if !strings.Contains(out, `"RuleArn": "arn:aws:events:us-east-1:123456789012:rule/nightly"`) {
		t.Fatalf("put-rule: %s", out)
	}
	mustCLI(t, e.url, "events", "put-rule", "--name", "orders", "--event-pattern", `{"source":["shop"],"detail":{"total":[{"numeric":[">",100]}]}}`)
	out = mustCLI(t, e.url, "events", "put-targets", "--rule", "orders", "--targets",
		`[{"Id":"sm","Arn":"`+e.smArn+`","InputTransformer":{"InputPathsMap":{"id":"$.detail.id"},"InputTemplate":"{\"order\": <id>}"}}]`)
	if !strings.Contains(out, `"FailedEntryCount": 0`) {
		t.Fatalf("put-targets: %s", out)
	}
	out = mustCLI(t, e.url, "events", "put-events", "--entries",
		`[{"Source":"shop","DetailType":"Order","Detail":"{\"id\":\"o-1\",\"total\":150}"},{"Source":"shop","DetailType":"Order","Detail":"{\"id\":\"o-2\",\"total\":50}"},{"Source":"shop","DetailType":"Order","Detail":"nope"}]`)
	var put struct {
		FailedEntryCount int
		Entries          []struct{ EventId, ErrorCode string }
	}
	if err := json.Unmarshal([]byte(out), &put); err != nil || put.FailedEntryCount != 1 || put.Entries[2].ErrorCode != "MalformedDetail" {
		t.Fatalf("put-events: %s", out)
	}
	if inputs := e.executions(t, 1); inputs[0] != `{"order": "o-1"}` {
		t.Fatalf("execution input %s", inputs[0])
	}
	out = mustCLI(t, e.url, "events", "list-rules", "--name-prefix", "n")
	if !strings.Contains(out, `"Name": "nightly"`) || strings.Contains(out, "orders") || !strings.Contains(out, `"ScheduleExpression": "cron(0 2 ? * MON-FRI *)"`) {
		t.Fatalf("list-rules: %s", out)
	}
	out = mustCLI(t, e.url, "events", "test-event-pattern", "--event-pattern", `{"source":["shop"]}`, "--event",
		`{"id":"1","account":"123456789012","source":"shop","time":"2024-01-01T00:00:00Z","region":"us-east-1","detail-type":"x","detail":{}}`)
	if !strings.Contains(out, `"Result": true`) {
		t.Fatalf("test-event-pattern: %s", out)
	}
	out = mustCLI(t, e.url, "events", "list-targets-by-rule", "--rule", "orders")
	if !strings.Contains(out, `"Id": "sm"`) {
		t.Fatalf("list-targets-by-rule: %s", out)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"events", "put-rule", "--name", "bad", "--schedule-expression", "cron(0 12 * * * *)"},
			"An error occurred (ValidationException) when calling the PutRule operation: Parameter ScheduleExpression is not valid."},
		{[]string{"events", "put-rule", "--name", "bad", "--schedule-expression", "rate(1 minutes)"},
			"Parameter ScheduleExpression is not valid."},
		{[]string{"events", "put-rule", "--name", "bad", "--event-pattern", `{"source":"shop"}`},
			"An error occurred (InvalidEventPatternException) when calling the PutRule operation: Event pattern is not valid. Reason: "},
		{[]string{"events", "describe-rule", "--name", "nope"},
			"An error occurred (ResourceNotFoundException) when calling the DescribeRule operation: Rule nope does not exist on EventBus default."},
		{[]string{"events", "delete-rule", "--name", "orders"},
			"An error occurred (ValidationException) when calling the DeleteRule operation: Rule can't be deleted since it has targets."},
	} {
		out, err := awsCLI(t, e.url, c.args...)
		if err == nil || !strings.Contains(out, c.want) {
			t.Errorf("aws %s: %v %s, want %q", strings.Join(c.args, " "), err, out, c.want)
		}
	}
}

// TestBoto3: boto3 with its own request validation and reply parsing.
func TestBoto3(t *testing.T) {
	t.Parallel()
	clienttest.NeedPython(t, "boto3")
	e := newEnv(t)
	script := `import boto3, json, sys
ev = boto3.client("events", endpoint_url=sys.argv[1])
sm = sys.argv[2]
print(ev.put_rule(Name="r1", EventPattern=json.dumps({"source": ["app"]}), Description="d")["RuleArn"])
ev.put_rule(Name="r2", ScheduleExpression="rate(5 minutes)", State="DISABLED")
print(ev.put_targets(Rule="r1", Targets=[{"Id": "t", "Arn": sm, "InputPath": "$.detail"}])["FailedEntryCount"])
r = ev.describe_rule(Name="r2")
print(r["State"], r["ScheduleExpression"], r["EventBusName"])
print([x["Name"] for x in ev.list_rules()["Rules"]])
p = ev.list_rules(Limit=1)
print(len(p["Rules"]), "NextToken" in p, ev.list_rules(Limit=1, NextToken=p["NextToken"])["Rules"][0]["Name"])
res = ev.put_events(Entries=[{"Source": "app", "DetailType": "t", "Detail": json.dumps({"n": 1})}])
print(res["FailedEntryCount"], len(res["Entries"][0]["EventId"]))
print(ev.list_rule_names_by_target(TargetArn=sm)["RuleNames"])
print(ev.test_event_pattern(EventPattern=json.dumps({"detail": {"n": [{"numeric": ["<", 1]}]}}),
    Event=json.dumps({"id": "1", "account": "1", "source": "a", "time": "2024-01-01T00:00:00Z", "region": "r", "detail-type": "x", "detail": {"n": 1}}))["Result"])
try:
    ev.enable_rule(Name="nope")
except ev.exceptions.ResourceNotFoundException as err:
    print("not found:", err.response["Error"]["Message"])
try:
    ev.put_rule(Name="bad", EventPattern="{")
except ev.exceptions.InvalidEventPatternException:
    print("invalid pattern")
ev.remove_targets(Rule="r1", Ids=["t"])
ev.delete_rule(Name="r1")
print([x["Name"] for x in ev.list_rules()["Rules"]])
`
	cmd := exec.Command(clienttest.ToolPath("python3"), "-c", script, e.url, e.smArn)
	cmd.Env = clienttest.Env(t, "test", "test")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("boto3: %v\n%s", err, out)
	}
	want := `arn:aws:events:us-east-1:123456789012:rule/r1
0
DISABLED rate(5 minutes) default
['r1', 'r2']
1 True r2
0 36
['r1']
False
not found: Rule nope does not exist on EventBus default.
invalid pattern
['r2']
`
	if string(out) != want {
		t.Fatalf("boto3 said\n%s\nwant\n%s", out, want)
	}
	if inputs := e.executions(t, 1); inputs[0] != `{"n":1}` {
		t.Fatalf("execution input %s", inputs[0])
	}
}

// TestS3UploadStartsExecution: an upload to a bucket with EventBridge notifications
// makes an Object Created event that a rule turns into one execution; a bucket without
// them sends nothing.
func TestS3UploadStartsExecution(t *testing.T) {
	t.Parallel()
	clienttest.NeedTool(t, "aws")
	e := newEnv(t)
	mustCLI(t, e.url, "s3api", "create-bucket", "--bucket", "data")
	mustCLI(t, e.url, "s3api", "create-bucket", "--bucket", "quiet")
	mustCLI(t, e.url, "s3api", "put-bucket-notification-configuration", "--bucket", "data",
		"--notification-configuration", `{"EventBridgeConfiguration":{}}`)
	if out := mustCLI(t, e.url, "s3api", "get-bucket-notification-configuration", "--bucket", "data"); !strings.Contains(out, "EventBridgeConfiguration") {
		t.Fatalf("get-bucket-notification-configuration: %s", out)
	}
	mustCLI(t, e.url, "events", "put-rule", "--name", "arrivals", "--event-pattern",
		`{"source":["aws.s3"],"detail-type":["Object Created"],"detail":{"bucket":{"name":["data","quiet"]},"object":{"key":[{"prefix":"incoming/"}]}}}`)
	mustCLI(t, e.url, "events", "put-targets", "--rule", "arrivals", "--targets",
		`[{"Id":"sm","Arn":"`+e.smArn+`","InputTransformer":{"InputPathsMap":{"b":"$.detail.bucket.name","k":"$.detail.object.key","r":"$.detail.reason","n":"$.detail.object.size"},"InputTemplate":"{\"uri\": \"s3://<b>/<k>\", \"reason\": <r>, \"size\": <n>}"}}]`)
	file := filepath.Join(t.TempDir(), "f.csv")
	if err := exec.Command("sh", "-c", "printf 'a,b\\n1,2\\n' > "+file).Run(); err != nil {
		t.Fatal(err)
	}
	mustCLI(t, e.url, "s3", "cp", file, "s3://quiet/incoming/f.csv")
	mustCLI(t, e.url, "s3", "cp", file, "s3://data/other/f.csv")
	mustCLI(t, e.url, "s3", "cp", file, "s3://data/incoming/f.csv")
	inputs := e.executions(t, 1)
	if inputs[0] != `{"uri": "s3://data/incoming/f.csv", "reason": "PutObject", "size": 8}` {
		t.Fatalf("execution input %s", inputs[0])
	}
}

// TestInvalidPatternNeverMatches pins that a rule whose pattern matches nothing starts
// nothing (and that the event went through: the other rule fired).
func TestInvalidPatternNeverMatches(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	for name, p := range map[string]string{"none": `{"source":["app"],"detail":{"n":[{"numeric":[">",5,"<",6]}]}}`, "all": `{"source":["app"]}`} {
		if _, err := e.events.PutRule(ctx, &events.PutRuleInput{Name: name, EventPattern: p}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.events.PutTargets(ctx, &events.PutTargetsInput{Rule: name, Targets: []events.Target{{ID: "t", Arn: e.smArn, Input: `{"rule":"` + name + `"}`}}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.events.Publish(ctx, events.Event{Source: "app", DetailType: "x", Detail: json.RawMessage(`{"n":7}`)}); err != nil {
		t.Fatal(err)
	}
	if inputs := e.executions(t, 1); inputs[0] != `{"rule":"all"}` {
		t.Fatalf("inputs %v", inputs)
	}
}

// TestDuplicateDeliveryStartsOneExecution: the same event delivered twice to a state
// machine (the first reply lost) starts one execution: the name is fixed by event and
// target, and Step Functions answers the second start with the first execution.
func TestDuplicateDeliveryStartsOneExecution(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	svc := events.New(events.Config{Store: e.st, StartExecution: func(ctx context.Context, arn, name, input string) (string, error) {
		var first string
		for range 2 { // the delivery repeated
			out, err := e.sfn.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: arn, Name: name, Input: &input})
			if err != nil && !strings.Contains(err.Error(), "ExecutionAlreadyExists") {
				return "", err
			}
			if out != nil && first == "" {
				first = out.ExecutionArn
			}
		}
		return first, nil
	}})
	if _, err := svc.PutRule(ctx, &events.PutRuleInput{Name: "r", EventPattern: `{"source":["app"]}`}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.PutTargets(ctx, &events.PutTargetsInput{Rule: "r", Targets: []events.Target{{ID: "t", Arn: e.smArn}}}); err != nil {
		t.Fatal(err)
	}
	ev := events.Event{ID: "3f1d4c2e-0000-4000-8000-000000000001", Source: "app", DetailType: "x"}
	for range 2 { // and the event published twice
		if err := svc.Publish(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := svc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = svc.Stop(context.Background()) }()
	e.executions(t, 1)
}

// TestExecutionStatusChangeEvents: a Standard execution's start and end reach
// EventBridge as "Step Functions Execution Status Change" events with AWS's detail.
func TestExecutionStatusChangeEvents(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	if _, err := e.events.PutRule(ctx, &events.PutRuleInput{Name: "ends", EventPattern: `{"source":["aws.states"],
		"detail-type":["Step Functions Execution Status Change"],"detail":{"status":["SUCCEEDED","RUNNING"],"stateMachineArn":["` + e.smArn + `"]}}`}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.events.PutTargets(ctx, &events.PutTargetsInput{Rule: "ends", Targets: []events.Target{{ID: "fn",
		Arn: "arn:aws:lambda:us-east-1:123456789012:function:f", InputPath: "$.detail"}}}); err != nil {
		t.Fatal(err)
	}
	in := `{"x":1}`
	out, err := e.sfn.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: e.smArn, Name: "run-1", Input: &in})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]map[string]any{}
	for range 2 {
		var d map[string]any
		select {
		case p := <-e.invoked:
			if err := json.Unmarshal([]byte(p), &d); err != nil {
				t.Fatal(err)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("status events: got %v", got)
		}
		got[d["status"].(string)] = d
	}
	run, end := got["RUNNING"], got["SUCCEEDED"]
	if run == nil || end == nil || end["executionArn"] != out.ExecutionArn || end["name"] != "run-1" || end["input"] != in ||
		end["output"] != in || end["stopDate"] == nil || run["stopDate"] != nil || run["output"] != nil {
		t.Fatalf("events: %v", got)
	}
}
