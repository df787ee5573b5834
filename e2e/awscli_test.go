package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// cli runs the aws CLI against one endpoint.
type cli struct {
	t   *testing.T
	url string
	env []string
}

func newCLI(t *testing.T, url string) *cli {
	t.Helper()
	needTool(t, "aws")
	return &cli{t: t, url: url, env: clientEnv(t)}
}

// run returns the command's stdout, stderr and exit status.
func (c *cli) run(args ...string) (stdout, stderr string, code int) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(c.t.Context(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, toolPath("aws"), append([]string{"--endpoint-url", c.url, "--output", "json"}, args...)...)
	cmd.Env = c.env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ee := (*exec.ExitError)(nil); err != nil && !errors.As(err, &ee) {
		c.t.Fatalf("aws %v: %v", args, err)
	}
	return out.String(), errb.String(), cmd.ProcessState.ExitCode()
}

// ok runs a command that must succeed and decodes its JSON output into out (if not nil).
func (c *cli) ok(out any, args ...string) {
	c.t.Helper()
	stdout, stderr, code := c.run(args...)
	if code != 0 {
		c.t.Fatalf("aws %s: exit %d: %s", strings.Join(args, " "), code, stderr)
	}
	if out != nil {
		if err := json.Unmarshal([]byte(stdout), out); err != nil {
			c.t.Fatalf("aws %s: %v in %q", strings.Join(args, " "), err, stdout)
		}
	}
}

var cliErrorRE = regexp.MustCompile(`An error occurred \(([A-Za-z.]+)\) when calling the (\w+) operation(?: \([^)]*\))?: (.*)`)

// fails runs a command that must fail with the AWS error code want; it returns the message.
func (c *cli) fails(want string, args ...string) string {
	c.t.Helper()
	_, stderr, code := c.run(args...)
	m := cliErrorRE.FindStringSubmatch(stderr)
	if code == 0 || m == nil {
		c.t.Fatalf("aws %s: exit %d, want error %s; stderr %q", strings.Join(args, " "), code, want, stderr)
	}
	if m[1] != want {
		c.t.Errorf("aws %s: error %s (%s), want %s", strings.Join(args, " "), m[1], m[3], want)
	}
	return strings.TrimSpace(m[3])
}

func testdataFile(t *testing.T, name string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return "file://" + p
}

// TestAWSCLI drives one server with the aws CLI, as a user would: definitions from files,
// pagination with --max-items/--starting-token, callbacks, versions and aliases, errors.
func TestAWSCLI(t *testing.T) {
	t.Parallel()
	needTool(t, "aws")
	srv := startServer(t, t.TempDir())
	api := srv.client

	t.Run("executions, listing and history", func(t *testing.T) {
		t.Parallel()
		aws := newCLI(t, srv.URL)
		var created struct{ StateMachineArn string }
		aws.ok(&created, "stepfunctions", "create-state-machine", "--name", "cli-pass",
			"--definition", testdataFile(t, "pass.asl.json"), "--role-arn", roleARN)
		if created.StateMachineArn != smARN("cli-pass") {
			t.Fatalf("created %q", created.StateMachineArn)
		}
		var started struct{ ExecutionArn string }
		aws.ok(&started, "stepfunctions", "start-execution", "--state-machine-arn", created.StateMachineArn,
			"--name", "run-0", "--input", `{"who":"cli"}`)
		if started.ExecutionArn != execARN("cli-pass", "run-0") {
			t.Fatalf("started %q", started.ExecutionArn)
		}
		arns := []string{started.ExecutionArn}
		for _, name := range []string{"run-1", "run-2", "run-3", "run-4"} {
			arn, err := api.start(t.Context(), created.StateMachineArn, name, `{"who":"`+name+`"}`)
			if err != nil {
				t.Fatal(err)
			}
			arns = append(arns, arn)
		}
		for _, arn := range arns {
			if _, err := api.waitDone(t.Context(), arn); err != nil {
				t.Fatal(err)
			}
		}

		var d struct {
			Status, Input, Output string
			InputDetails          struct{ Included bool }
		}
		aws.ok(&d, "stepfunctions", "describe-execution", "--execution-arn", started.ExecutionArn)
		if d.Status != "SUCCEEDED" || d.Input != `{"who":"cli"}` || d.Output != `{"who":"cli","out":{"greeting":"hello cli"}}` || !d.InputDetails.Included {
			t.Errorf("describe-execution: %+v", d)
		}

		type listed struct {
			Executions []struct{ Name, Status string }
			NextToken  string
		}
		var all listed
		aws.ok(&all, "stepfunctions", "list-executions", "--state-machine-arn", created.StateMachineArn, "--status-filter", "SUCCEEDED")
		if len(all.Executions) != 5 || all.NextToken != "" {
			t.Errorf("list-executions --status-filter SUCCEEDED: %+v", all)
		}
		var running listed
		aws.ok(&running, "stepfunctions", "list-executions", "--state-machine-arn", created.StateMachineArn, "--status-filter", "RUNNING")
		if len(running.Executions) != 0 {
			t.Errorf("list-executions --status-filter RUNNING: %+v", running)
		}
		// --max-items pages on the client side with a token of its own that wraps ours.
		seen := map[string]bool{}
		token := ""
		for page := 0; ; page++ {
			args := []string{"stepfunctions", "list-executions", "--state-machine-arn", created.StateMachineArn, "--max-items", "2"}
			if token != "" {
				args = append(args, "--starting-token", token)
			}
			var p listed
			aws.ok(&p, args...)
			if len(p.Executions) > 2 {
				t.Fatalf("page %d has %d items", page, len(p.Executions))
			}
			for _, e := range p.Executions {
				if seen[e.Name] {
					t.Errorf("%s listed twice", e.Name)
				}
				seen[e.Name] = true
			}
			if token = p.NextToken; token == "" || page > 5 {
				break
			}
		}
		if len(seen) != 5 {
			t.Errorf("pages listed %d executions, want 5: %v", len(seen), seen)
		}

		// History: the whole of it, then newest first in pages of 2, then without data.
		type events struct {
			Events []struct {
				ID                           int64
				Type                         string
				StateEnteredEventDetails     map[string]any
				ExecutionStartedEventDetails map[string]any
			}
			NextToken string
		}
		var h events
		aws.ok(&h, "stepfunctions", "get-execution-history", "--execution-arn", started.ExecutionArn)
		wantTypes := []string{"ExecutionStarted", "PassStateEntered", "PassStateExited", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"}
		if got := eventTypes(h.Events, func(i int) string { return h.Events[i].Type }); strings.Join(got, ",") != strings.Join(wantTypes, ",") {
			t.Fatalf("history %v, want %v", got, wantTypes)
		}
		var ids []int64
		token = ""
		for page := 0; page < 10; page++ {
			args := []string{"stepfunctions", "get-execution-history", "--execution-arn", started.ExecutionArn, "--reverse-order", "--max-items", "2"}
			if token != "" {
				args = append(args, "--starting-token", token)
			}
			var p events
			aws.ok(&p, args...)
			for _, e := range p.Events {
				ids = append(ids, e.ID)
			}
			if token = p.NextToken; token == "" {
				break
			}
		}
		if want := []int64{6, 5, 4, 3, 2, 1}; !equalInts(ids, want) {
			t.Errorf("reverse pages gave ids %v, want %v", ids, want)
		}
		var bare events
		aws.ok(&bare, "stepfunctions", "get-execution-history", "--execution-arn", started.ExecutionArn, "--no-include-execution-data")
		for _, e := range bare.Events {
			for _, d := range []map[string]any{e.StateEnteredEventDetails, e.ExecutionStartedEventDetails} {
				if _, ok := d["input"]; ok {
					t.Errorf("event %d %s carries input with --no-include-execution-data: %v", e.ID, e.Type, d)
				}
			}
		}
		if len(bare.Events) != len(h.Events) {
			t.Errorf("--no-include-execution-data gave %d events, want %d", len(bare.Events), len(h.Events))
		}
	})

	t.Run("stop-execution", func(t *testing.T) {
		t.Parallel()
		aws := newCLI(t, srv.URL)
		var created struct{ StateMachineArn string }
		aws.ok(&created, "stepfunctions", "create-state-machine", "--name", "cli-wait",
			"--definition", testdataFile(t, "wait.asl.json"), "--role-arn", roleARN)
		var started struct{ ExecutionArn string }
		aws.ok(&started, "stepfunctions", "start-execution", "--state-machine-arn", created.StateMachineArn)
		if _, err := api.waitEvent(t.Context(), started.ExecutionArn, "WaitStateEntered"); err != nil {
			t.Fatal(err)
		}
		var stopped struct{ StopDate float64 }
		aws.ok(&stopped, "stepfunctions", "stop-execution", "--execution-arn", started.ExecutionArn,
			"--error", "Operator.Stop", "--cause", "stopped from the aws CLI")
		if stopped.StopDate == 0 {
			t.Errorf("stop-execution without stopDate")
		}
		var d struct{ Status, Error, Cause string }
		aws.ok(&d, "stepfunctions", "describe-execution", "--execution-arn", started.ExecutionArn)
		if d.Status != "ABORTED" || d.Error != "Operator.Stop" || d.Cause != "stopped from the aws CLI" {
			t.Errorf("after stop-execution: %+v", d)
		}
		h, err := api.history(t.Context(), started.ExecutionArn)
		if err != nil {
			t.Fatal(err)
		}
		if last := h[len(h)-1]; last.Type != "ExecutionAborted" || last.detail("error") != "Operator.Stop" {
			t.Errorf("last event %+v", last)
		}
	})

	t.Run("versions and aliases", func(t *testing.T) {
		t.Parallel()
		aws := newCLI(t, srv.URL)
		var created struct{ StateMachineArn string }
		aws.ok(&created, "stepfunctions", "create-state-machine", "--name", "cli-versioned",
			"--definition", testdataFile(t, "pass.asl.json"), "--role-arn", roleARN)
		var v struct{ StateMachineVersionArn string }
		aws.ok(&v, "stepfunctions", "publish-state-machine-version", "--state-machine-arn", created.StateMachineArn,
			"--description", "first")
		if v.StateMachineVersionArn != created.StateMachineArn+":1" {
			t.Fatalf("version %q", v.StateMachineVersionArn)
		}
		var a struct{ StateMachineAliasArn string }
		aws.ok(&a, "stepfunctions", "create-state-machine-alias", "--name", "live",
			"--routing-configuration", "stateMachineVersionArn="+v.StateMachineVersionArn+",weight=100")
		if a.StateMachineAliasArn != created.StateMachineArn+":live" {
			t.Fatalf("alias %q", a.StateMachineAliasArn)
		}
		var started struct{ ExecutionArn string }
		aws.ok(&started, "stepfunctions", "start-execution", "--state-machine-arn", a.StateMachineAliasArn,
			"--name", "through-alias", "--input", `{"who":"alias"}`)
		d, err := api.waitDone(t.Context(), started.ExecutionArn)
		if err != nil {
			t.Fatal(err)
		}
		if d.Status != "SUCCEEDED" || d.StateMachineAliasArn != a.StateMachineAliasArn ||
			d.StateMachineVersionArn != v.StateMachineVersionArn || d.StateMachineArn != created.StateMachineArn {
			t.Errorf("execution through the alias: %+v", d)
		}
		var versions struct {
			StateMachineVersions []struct{ StateMachineVersionArn string }
		}
		aws.ok(&versions, "stepfunctions", "list-state-machine-versions", "--state-machine-arn", created.StateMachineArn)
		if len(versions.StateMachineVersions) != 1 {
			t.Errorf("list-state-machine-versions: %+v", versions)
		}
	})

	t.Run("send-task-success to a waitForTaskToken task", func(t *testing.T) {
		t.Parallel()
		aws := newCLI(t, srv.URL)
		var created struct{ StateMachineArn string }
		aws.ok(&created, "stepfunctions", "create-state-machine", "--name", "cli-callback",
			"--definition", testdataFile(t, "callback.asl.json"), "--role-arn", roleARN)
		var started struct{ ExecutionArn string }
		aws.ok(&started, "stepfunctions", "start-execution", "--state-machine-arn", created.StateMachineArn,
			"--input", `{"order":7}`)
		if _, err := api.waitEvent(t.Context(), started.ExecutionArn, "TaskStarted"); err != nil {
			t.Fatal(err)
		}
		// The worker finds its token where a queue consumer would: in the message body.
		stdout, stderr, code := aws.run("stepfunctions", "get-execution-history", "--execution-arn", started.ExecutionArn,
			"--query", "events[?type=='TaskScheduled'].taskScheduledEventDetails.parameters | [0]", "--output", "text")
		if code != 0 {
			t.Fatalf("get-execution-history --query: %s", stderr)
		}
		token := tokenFromParameters(t, strings.TrimSpace(stdout))
		aws.ok(nil, "stepfunctions", "send-task-success", "--task-token", token, "--task-output", `{"approved":true}`)
		d, err := api.waitDone(t.Context(), started.ExecutionArn)
		if err != nil {
			t.Fatal(err)
		}
		if d.Status != "SUCCEEDED" || d.Output == nil || *d.Output != `{"order":7,"answer":{"approved":true}}` {
			t.Errorf("after send-task-success: %+v output %v", d, deref(d.Output))
		}
		// The token is spent: a second answer is refused, as AWS refuses it.
		aws.fails("TaskTimedOut", "stepfunctions", "send-task-success", "--task-token", token, "--task-output", `{}`)
	})

	t.Run("validate-state-machine-definition", func(t *testing.T) {
		t.Parallel()
		aws := newCLI(t, srv.URL)
		var ok struct {
			Result      string
			Diagnostics []struct{ Severity, Code, Message string }
		}
		aws.ok(&ok, "stepfunctions", "validate-state-machine-definition", "--definition", testdataFile(t, "pass.asl.json"))
		if ok.Result != "OK" || len(ok.Diagnostics) != 0 {
			t.Errorf("valid definition: %+v", ok)
		}
		var bad struct {
			Result      string
			Diagnostics []struct{ Severity, Code, Message, Location string }
		}
		aws.ok(&bad, "stepfunctions", "validate-state-machine-definition", "--definition", testdataFile(t, "invalid.asl.json"))
		if bad.Result != "FAIL" || len(bad.Diagnostics) == 0 || bad.Diagnostics[0].Severity != "ERROR" {
			t.Errorf("invalid definition: %+v", bad)
		}
	})

	t.Run("errors", func(t *testing.T) {
		t.Parallel()
		aws := newCLI(t, srv.URL)
		if _, err := api.createStateMachine(t.Context(), "cli-errors", `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`, ""); err != nil {
			t.Fatal(err)
		}
		aws.fails("StateMachineDoesNotExist", "stepfunctions", "start-execution", "--state-machine-arn", smARN("cli-missing"))
		aws.fails("ExecutionDoesNotExist", "stepfunctions", "describe-execution", "--execution-arn", execARN("cli-errors", "missing"))
		aws.fails("InvalidArn", "stepfunctions", "describe-state-machine", "--state-machine-arn", "not-an-arn")
		aws.fails("InvalidName", "stepfunctions", "start-execution", "--state-machine-arn", smARN("cli-errors"), "--name", "a b")
		aws.fails("InvalidDefinition", "stepfunctions", "create-state-machine", "--name", "cli-invalid",
			"--definition", testdataFile(t, "invalid.asl.json"), "--role-arn", roleARN)
		aws.fails("InvalidExecutionInput", "stepfunctions", "start-execution", "--state-machine-arn", smARN("cli-errors"), "--input", "{not json")
		aws.fails("ValidationException", "stepfunctions", "list-executions", "--state-machine-arn", smARN("cli-errors"), "--status-filter", "SLEEPING")
	})
}

func eventTypes[T any](events []T, typ func(int) string) []string {
	out := make([]string, len(events))
	for i := range events {
		out[i] = typ(i)
	}
	return out
}

func equalInts(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

// callbackDetail reads the message the callback test machines send to their worker
// (sqs:sendMessage.waitForTaskToken's MessageBody, holding the task token and the number
// to double) from a TaskScheduled event's parameters, where the test's worker finds it.
// stepwise has no SQS: the task only waits for its token, which is what these tests of
// the engine's callbacks need.
func callbackDetail(parameters string) (token string, n float64, ok bool) {
	var p struct {
		MessageBody struct {
			Token string  `json:"token"`
			N     float64 `json:"n"`
		}
	}
	if json.Unmarshal([]byte(parameters), &p) != nil || p.MessageBody.Token == "" {
		return "", 0, false
	}
	return p.MessageBody.Token, p.MessageBody.N, true
}

// tokenFromParameters reads the task token from a TaskScheduled event's parameters.
func tokenFromParameters(t testing.TB, parameters string) string {
	t.Helper()
	token, _, ok := callbackDetail(parameters)
	if !ok {
		t.Fatalf("no token in parameters %q", parameters)
	}
	return token
}
