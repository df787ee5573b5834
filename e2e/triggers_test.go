package e2e

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// passDefinition is a state machine that only returns its input.
const passDefinition = `{"StartAt":"Done","States":{"Done":{"Type":"Pass","End":true}}}`

// triggerExecution is one entry of list-executions, with its input from describe-execution.
type triggerExecution struct {
	ExecutionArn string
	Name         string
	StartDate    float64
	Input        string
}

// executionsOf lists a state machine's executions with their inputs.
func executionsOf(aws *cli, sm string) []triggerExecution {
	aws.t.Helper()
	var list struct{ Executions []triggerExecution }
	aws.ok(&list, "stepfunctions", "list-executions", "--state-machine-arn", sm)
	for i := range list.Executions {
		var d struct{ Input string }
		aws.ok(&d, "stepfunctions", "describe-execution", "--execution-arn", list.Executions[i].ExecutionArn)
		list.Executions[i].Input = d.Input
	}
	return list.Executions
}

// zipFiles packs files (name → body) as a Lambda deployment package.
func zipFiles(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.WriteString(w, body)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestTriggers drives issue 7's triggers through `stepwise server` with the aws CLI: an
// S3 upload matched by an EventBridge rule, an SNS notification to an HTTP subscriber,
// a scheduled rule, and a failing Lambda function with its logs.
func TestTriggers(t *testing.T) {
	t.Parallel()
	needTool(t, "aws")
	srv := startServer(t, t.TempDir())

	t.Run("upload starts a pipeline", func(t *testing.T) {
		t.Parallel()
		aws := newCLI(t, srv.URL)
		var sm struct{ StateMachineArn string }
		aws.ok(&sm, "stepfunctions", "create-state-machine", "--name", "on-upload", "--definition", passDefinition, "--role-arn", roleARN)
		aws.ok(nil, "s3", "mb", "s3://trigger-bucket")
		aws.ok(nil, "s3api", "put-bucket-notification-configuration", "--bucket", "trigger-bucket",
			"--notification-configuration", `{"EventBridgeConfiguration":{}}`)
		aws.ok(nil, "events", "put-rule", "--name", "incoming-uploads", "--event-pattern",
			`{"source":["aws.s3"],"detail-type":["Object Created"],"detail":{"bucket":{"name":["trigger-bucket"]},"object":{"key":[{"prefix":"incoming/"}]}}}`)
		targets, _ := json.Marshal([]map[string]any{{
			"Id": "pipeline", "Arn": sm.StateMachineArn, "RoleArn": roleARN,
			"InputTransformer": map[string]any{
				"InputPathsMap": map[string]string{"bucket": "$.detail.bucket.name", "key": "$.detail.object.key"},
				"InputTemplate": `{"s3uri":"s3://<bucket>/<key>","key":<key>}`,
			},
		}})
		var put struct{ FailedEntryCount int }
		aws.ok(&put, "events", "put-targets", "--rule", "incoming-uploads", "--targets", string(targets))
		if put.FailedEntryCount != 0 {
			t.Fatalf("put-targets: %+v", put)
		}

		// A witness rule matches every upload to the bucket: once it has started an
		// execution for both keys, both events have been matched against every rule and
		// their deliveries are stored, so the prefix rule's have been made too.
		var witness struct{ StateMachineArn string }
		aws.ok(&witness, "stepfunctions", "create-state-machine", "--name", "every-upload", "--definition", passDefinition, "--role-arn", roleARN)
		aws.ok(nil, "events", "put-rule", "--name", "every-upload", "--event-pattern",
			`{"source":["aws.s3"],"detail-type":["Object Created"],"detail":{"bucket":{"name":["trigger-bucket"]}}}`)
		aws.ok(nil, "events", "put-targets", "--rule", "every-upload", "--targets",
			`[{"Id":"witness","Arn":"`+witness.StateMachineArn+`","RoleArn":"`+roleARN+`","InputPath":"$.detail.object"}]`)

		aws.ok(nil, "s3", "cp", writeTemp(t, "other.csv", []byte("a,b\n")), "s3://trigger-bucket/elsewhere/other.csv")
		aws.ok(nil, "s3", "cp", writeTemp(t, "data.csv", []byte("a,b\n1,2\n")), "s3://trigger-bucket/incoming/data.csv")
		poll(t, 30*time.Second, "the witness rule starts an execution per upload", func() bool {
			keys := map[string]bool{}
			for _, e := range executionsOf(aws, witness.StateMachineArn) {
				var obj struct{ Key string }
				_ = json.Unmarshal([]byte(e.Input), &obj)
				keys[obj.Key] = true
			}
			return keys["elsewhere/other.csv"] && keys["incoming/data.csv"]
		})
		var execs []triggerExecution
		poll(t, 30*time.Second, "the upload starts an execution", func() bool {
			execs = executionsOf(aws, sm.StateMachineArn)
			return len(execs) > 0
		})
		if again := executionsOf(aws, sm.StateMachineArn); len(execs) != 1 || len(again) != 1 {
			t.Fatalf("executions: %+v then %+v, want exactly one\nserver log: %s", execs, again, srv.log)
		}
		var in map[string]any
		if err := json.Unmarshal([]byte(execs[0].Input), &in); err != nil {
			t.Fatalf("input %q: %v", execs[0].Input, err)
		}
		if in["s3uri"] != "s3://trigger-bucket/incoming/data.csv" || in["key"] != "incoming/data.csv" || len(in) != 2 {
			t.Errorf("transformed input %s", execs[0].Input)
		}
	})

	t.Run("notification reaches an HTTP subscriber", func(t *testing.T) {
		t.Parallel()
		aws := newCLI(t, srv.URL)
		type envelope struct {
			Type, MessageId, TopicArn, Message, SubscribeURL, Subject string
		}
		got := make(chan envelope, 16)
		sub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var e envelope
			if err := json.NewDecoder(r.Body).Decode(&e); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			if typ := r.Header.Get("x-amz-sns-message-type"); typ != e.Type {
				t.Errorf("x-amz-sns-message-type %q, body Type %q", typ, e.Type)
			}
			if e.Type == "SubscriptionConfirmation" {
				resp, err := http.Get(e.SubscribeURL)
				if err != nil {
					t.Errorf("confirming: %v", err)
				} else {
					body, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "ConfirmSubscriptionResponse") {
						t.Errorf("SubscribeURL: %d %s", resp.StatusCode, body)
					}
				}
			}
			got <- e
		}))
		t.Cleanup(sub.Close)

		var topic struct{ TopicArn string }
		aws.ok(&topic, "sns", "create-topic", "--name", "pipeline-events")
		var subscribed struct{ SubscriptionArn string }
		aws.ok(&subscribed, "sns", "subscribe", "--topic-arn", topic.TopicArn, "--protocol", "http", "--notification-endpoint", sub.URL+"/hook")
		select {
		case e := <-got:
			if e.Type != "SubscriptionConfirmation" || e.TopicArn != topic.TopicArn {
				t.Fatalf("first post: %+v", e)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("no SubscriptionConfirmation in 30 s\nserver log: %s", srv.log)
		}
		poll(t, 30*time.Second, "the subscription is confirmed", func() bool {
			var subs struct {
				Subscriptions []struct{ SubscriptionArn, Endpoint string }
			}
			aws.ok(&subs, "sns", "list-subscriptions-by-topic", "--topic-arn", topic.TopicArn)
			return len(subs.Subscriptions) == 1 && strings.HasPrefix(subs.Subscriptions[0].SubscriptionArn, topic.TopicArn+":")
		})

		def, _ := json.Marshal(map[string]any{
			"StartAt": "Notify",
			"States": map[string]any{"Notify": map[string]any{
				"Type": "Task", "Resource": "arn:aws:states:::sns:publish", "End": true,
				"Parameters": map[string]any{"TopicArn": topic.TopicArn, "Subject": "pipeline", "Message.$": "$.message"},
			}},
		})
		var sm struct{ StateMachineArn string }
		aws.ok(&sm, "stepfunctions", "create-state-machine", "--name", "notify", "--definition", string(def), "--role-arn", roleARN)
		var ex struct{ ExecutionArn string }
		aws.ok(&ex, "stepfunctions", "start-execution", "--state-machine-arn", sm.StateMachineArn, "--input", `{"message":"model r2 0.91"}`)
		var d struct{ Status, Output string }
		poll(t, 30*time.Second, "the publishing execution ends", func() bool {
			aws.ok(&d, "stepfunctions", "describe-execution", "--execution-arn", ex.ExecutionArn)
			return d.Status != "RUNNING"
		})
		if d.Status != "SUCCEEDED" || !strings.Contains(d.Output, "MessageId") {
			t.Fatalf("execution %+v\nserver log: %s", d, srv.log)
		}
		select {
		case e := <-got:
			if e.Type != "Notification" || e.Message != "model r2 0.91" || e.Subject != "pipeline" || e.TopicArn != topic.TopicArn ||
				!strings.Contains(d.Output, e.MessageId) {
				t.Errorf("notification %+v; execution output %s", e, d.Output)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("no Notification in 30 s\nserver log: %s", srv.log)
		}
	})

	t.Run("schedule starts a pipeline", func(t *testing.T) {
		t.Parallel()
		aws := newCLI(t, srv.URL)
		var sm struct{ StateMachineArn string }
		aws.ok(&sm, "stepfunctions", "create-state-machine", "--name", "nightly", "--definition", passDefinition, "--role-arn", roleARN)
		created := time.Now()
		aws.ok(nil, "events", "put-rule", "--name", "every-minute", "--schedule-expression", "rate(1 minute)")
		targets, _ := json.Marshal([]map[string]any{{
			"Id": "pipeline", "Arn": sm.StateMachineArn, "RoleArn": roleARN,
			"InputTransformer": map[string]any{
				"InputPathsMap": map[string]string{"due": "$.time", "rule": "$.resources[0]"},
				"InputTemplate": `{"due":<due>,"rule":<rule>}`,
			},
		}})
		aws.ok(nil, "events", "put-targets", "--rule", "every-minute", "--targets", string(targets))
		// The first due time is the next whole minute: at most 60 s away.
		var execs []triggerExecution
		poll(t, 65*time.Second, "the schedule starts an execution", func() bool {
			execs = executionsOf(aws, sm.StateMachineArn)
			return len(execs) > 0
		})
		seen := map[string]bool{}
		for _, e := range executionsOf(aws, sm.StateMachineArn) {
			var in struct{ Due, Rule string }
			if err := json.Unmarshal([]byte(e.Input), &in); err != nil {
				t.Fatalf("input %q: %v", e.Input, err)
			}
			due, err := time.Parse(time.RFC3339, in.Due)
			if err != nil {
				t.Fatalf("due %q: %v", in.Due, err)
			}
			started := time.UnixMilli(int64(e.StartDate * 1000))
			if due.Truncate(time.Minute) != due || !due.After(created) || started.Before(due) {
				t.Errorf("execution %s started %v for due time %v; rule created %v", e.Name, started, due, created)
			}
			if seen[in.Due] {
				t.Errorf("two executions for due time %s", in.Due)
			}
			seen[in.Due] = true
			if !strings.HasSuffix(in.Rule, ":rule/every-minute") {
				t.Errorf("rule %q", in.Rule)
			}
		}
		aws.ok(nil, "events", "disable-rule", "--name", "every-minute")
	})

	t.Run("function fails a task and logs", func(t *testing.T) {
		t.Parallel()
		needPython(t)
		aws := newCLI(t, srv.URL)
		trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
		var role struct{ Role struct{ Arn string } }
		aws.ok(&role, "iam", "create-role", "--role-name", "trigger-lambda", "--assume-role-policy-document", trust)
		code := writeTemp(t, "fn.zip", zipFiles(t, map[string]string{"check.py": `
class ModelTooWeak(Exception):
    pass

def handler(event, context):
    print("checking r2", event["r2"])
    if event["r2"] < 0.5:
        raise ModelTooWeak("r2 %s is below 0.5" % event["r2"])
    return {"ok": True}
`}))
		// Lambda refuses a role IAM does not have.
		aws.fails("InvalidParameterValueException", "lambda", "create-function", "--function-name", "check-model", "--runtime", "python3.11",
			"--role", "arn:aws:iam::123456789012:role/no-such-role", "--handler", "check.handler", "--zip-file", "fileb://"+code)
		aws.ok(nil, "lambda", "create-function", "--function-name", "check-model", "--runtime", "python3.11",
			"--role", role.Role.Arn, "--handler", "check.handler", "--zip-file", "fileb://"+code)
		aws.ok(nil, "lambda", "wait", "function-active-v2", "--function-name", "check-model")

		def, _ := json.Marshal(map[string]any{
			"StartAt": "Check",
			"States": map[string]any{"Check": map[string]any{
				"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true,
				"Parameters": map[string]any{"FunctionName": "check-model", "Payload.$": "$"},
			}},
		})
		var sm struct{ StateMachineArn string }
		aws.ok(&sm, "stepfunctions", "create-state-machine", "--name", "check", "--definition", string(def), "--role-arn", roleARN)
		var ex struct{ ExecutionArn string }
		aws.ok(&ex, "stepfunctions", "start-execution", "--state-machine-arn", sm.StateMachineArn, "--input", `{"r2":0.2}`)
		var d struct{ Status, Error, Cause string }
		poll(t, 60*time.Second, "the execution ends", func() bool {
			aws.ok(&d, "stepfunctions", "describe-execution", "--execution-arn", ex.ExecutionArn)
			return d.Status != "RUNNING"
		})
		if d.Status != "FAILED" || d.Error != "ModelTooWeak" || !strings.Contains(d.Cause, "r2 0.2 is below 0.5") {
			t.Fatalf("execution %+v\nserver log: %s", d, srv.log)
		}

		poll(t, 30*time.Second, "the function's output is in CloudWatch Logs", func() bool {
			var out struct {
				Events []struct{ Message, LogStreamName string }
			}
			stdout, _, code := aws.run("logs", "filter-log-events", "--log-group-name", "/aws/lambda/check-model")
			if code != 0 || json.Unmarshal([]byte(stdout), &out) != nil {
				return false
			}
			var printed, raised bool
			for _, e := range out.Events {
				printed = printed || strings.Contains(e.Message, "checking r2 0.2")
				raised = raised || strings.Contains(e.Message, "ModelTooWeak")
			}
			return printed && raised
		})
	})
}
