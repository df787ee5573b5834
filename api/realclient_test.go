package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"github.com/stepwise-dev/stepwise/internal/clienttest"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The real clients, the aws CLI and boto3, against the dispatcher over HTTP: what they
// parse from our replies is what users will see.

func runAWS(t *testing.T, env []string, url string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), "aws", append([]string{"--endpoint-url", url, "--output", "json"}, args...)...)
	cmd.Env = env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ee := (*exec.ExitError)(nil); err != nil && !errors.As(err, &ee) {
		t.Fatalf("aws %v: %v", args, err)
	}
	return out.String(), errb.String(), cmd.ProcessState.ExitCode()
}

func TestAWSCLI(t *testing.T) {
	t.Parallel()
	needTool(t, "aws")
	srv := httptest.NewServer(newTestDispatcher(nil))
	t.Cleanup(srv.Close)
	env := clientEnv(t, "test", "test")

	t.Run("list-state-machines follows nextToken", func(t *testing.T) {
		t.Parallel()
		out, errb, code := runAWS(t, env, srv.URL, "stepfunctions", "list-state-machines")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errb)
		}
		var got struct {
			StateMachines []struct {
				StateMachineArn string
				Name            string
				CreationDate    json.RawMessage
			} `json:"stateMachines"`
		}
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		var names []string
		for _, sm := range got.StateMachines {
			names = append(names, sm.Name)
		}
		if strings.Join(names, ",") != "alpha,beta,gamma" {
			t.Fatalf("names %v\n%s", names, out)
		}
		if got.StateMachines[2].StateMachineArn != "arn:aws:states:us-east-1:123456789012:stateMachine:gamma" {
			t.Errorf("arn %s", got.StateMachines[2].StateMachineArn)
		}
		// CLI v1 prints timestamps as botocore parsed them: ISO 8601 with the milliseconds.
		if d := string(got.StateMachines[0].CreationDate); !strings.Contains(d, "2026-01-02T03:04:05.678") && d != "1767323045.678" {
			t.Errorf("creationDate %s", d)
		}
	})

	t.Run("an api.Error reaches the CLI with its code and message", func(t *testing.T) {
		t.Parallel()
		arn := "arn:aws:states:us-east-1:123456789012:stateMachine:nope"
		_, errb, code := runAWS(t, env, srv.URL, "stepfunctions", "describe-state-machine", "--state-machine-arn", arn)
		want := "An error occurred (StateMachineDoesNotExist) when calling the DescribeStateMachine operation: State Machine Does Not Exist: '" + arn + "'"
		if code == 0 || !strings.Contains(errb, want) {
			t.Fatalf("exit %d, stderr:\n%s", code, errb)
		}
	})

	t.Run("a mapped sentinel error", func(t *testing.T) {
		t.Parallel()
		_, errb, code := runAWS(t, env, srv.URL, "stepfunctions", "start-execution",
			"--state-machine-arn", "arn:aws:states:us-east-1:123456789012:stateMachine:alpha", "--name", "bad-input")
		if code == 0 || !strings.Contains(errb, "(InvalidExecutionInput)") ||
			!strings.Contains(errb, "Invalid State Machine Execution Input: 'starting bad-input: execution input is not valid'") {
			t.Fatalf("exit %d, stderr:\n%s", code, errb)
		}
	})

	t.Run("start-execution round-trips its input", func(t *testing.T) {
		t.Parallel()
		out, errb, code := runAWS(t, env, srv.URL, "stepfunctions", "start-execution",
			"--state-machine-arn", "arn:aws:states:us-east-1:123456789012:stateMachine:alpha", "--name", "run-1",
			"--input", `{"x":"<é>"}`)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errb)
		}
		if !strings.Contains(out, `"executionArn": "arn:aws:states:us-east-1:123456789012:execution:alpha:run-1"`) {
			t.Fatalf("output:\n%s", out)
		}
	})
}

// boto3Script runs each call named on its command line and prints one JSON line per
// call: the parsed result, or the ClientError's Error and HTTP status.
const boto3Script = `
import json, sys, boto3, botocore
from botocore.config import Config
from botocore import UNSIGNED

url, key, secret, mode = sys.argv[1:5]
cfg = Config(retries={"total_max_attempts": 1}, s3={"addressing_style": "path"},
             signature_version=UNSIGNED if mode == "unsigned" else None)
session = boto3.session.Session(aws_access_key_id=key, aws_secret_access_key=secret, region_name="us-east-1")
def client(name):
    c = session.client(name, endpoint_url=url, config=cfg)
    if mode == "tamper":
        # Change the body after it was signed: the signature no longer matches.
        def tamper(request, **kwargs):
            request.body = request.body.replace(b"alpha", b"omega")
        c.meta.events.register("before-send.*", tamper)
    return c

sm = "arn:aws:states:us-east-1:123456789012:stateMachine:alpha"
calls = {
    "list": lambda: client("stepfunctions").list_state_machines(),
    "describe": lambda: client("stepfunctions").describe_state_machine(stateMachineArn=sm),
    "start": lambda: client("stepfunctions").start_execution(stateMachineArn=sm, name="run-1", input='{"x":"<é>"}'),
    "badinput": lambda: client("stepfunctions").start_execution(stateMachineArn=sm, name="bad-input"),
    "unexpected": lambda: client("stepfunctions").start_execution(stateMachineArn=sm, name="unexpected"),
    "panic": lambda: client("stepfunctions").start_execution(stateMachineArn=sm, name="panic"),
    "sts": lambda: client("sts").get_caller_identity(),
    "assume": lambda: client("sts").assume_role(RoleArn="arn:aws:iam::123456789012:role/r", RoleSessionName="session"),
    "lambda": lambda: client("lambda").get_function(FunctionName="nope"),
    "s3": lambda: client("s3").list_objects_v2(Bucket="nope"),
}
for name in sys.argv[5:]:
    try:
        r = calls[name]()
        meta = r.pop("ResponseMetadata", {})
        print(json.dumps({"name": name, "result": r, "requestId": meta.get("RequestId")}, default=str))
    except botocore.exceptions.ClientError as e:
        print(json.dumps({"name": name, "error": e.response["Error"],
                          "status": e.response["ResponseMetadata"].get("HTTPStatusCode"),
                          "requestId": e.response["ResponseMetadata"].get("RequestId")}))
`

type boto3Result struct {
	Name   string         `json:"name"`
	Result map[string]any `json:"result"`
	Error  *struct {
		Code    string
		Message string
	} `json:"error"`
	Status    int    `json:"status"`
	RequestID string `json:"requestId"`
}

func runBoto3(t *testing.T, url, key, secret, mode string, calls ...string) map[string]boto3Result {
	t.Helper()
	script := filepath.Join(t.TempDir(), "calls.py")
	if err := os.WriteFile(script, []byte(boto3Script), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), "python3", append([]string{script, url, key, secret, mode}, calls...)...)
	cmd.Env = clientEnv(t, key, secret)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("python3: %v\n%s", err, errb.String())
	}
	res := map[string]boto3Result{}
	for line := range strings.SplitSeq(strings.TrimSpace(out.String()), "\n") {
		var r boto3Result
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("%v: %s", err, line)
		}
		res[r.Name] = r
	}
	return res
}

// wantClientError checks that a call failed with the code (and, when given, message).
func wantClientError(t *testing.T, r boto3Result, code string, status int, message string) {
	t.Helper()
	if r.Error == nil {
		t.Errorf("%s: succeeded, want %s: %v", r.Name, code, r.Result)
		return
	}
	if r.Error.Code != code || r.Status != status || message != "" && r.Error.Message != message {
		t.Errorf("%s: got %s %d %q, want %s %d %q", r.Name, r.Error.Code, r.Status, r.Error.Message, code, status, message)
	}
	if len(r.RequestID) != 36 {
		t.Errorf("%s: request id %q", r.Name, r.RequestID)
	}
}

func TestBoto3(t *testing.T) {
	t.Parallel()
	needBoto3(t)
	srv := httptest.NewServer(newTestDispatcher(nil))
	t.Cleanup(srv.Close)
	res := runBoto3(t, srv.URL, "test", "test", "signed",
		"list", "describe", "start", "badinput", "unexpected", "panic", "sts", "assume", "lambda", "s3")

	list := res["list"]
	if list.Error != nil {
		t.Fatalf("list: %+v", list.Error)
	}
	sms, _ := list.Result["stateMachines"].([]any)
	if len(sms) != 2 || list.Result["nextToken"] != "page2" {
		t.Fatalf("list: %v", list.Result)
	}
	first := sms[0].(map[string]any)
	// boto3 turns the epoch number into a datetime: milliseconds and UTC survive.
	if first["name"] != "alpha" || first["creationDate"] != "2026-01-02 03:04:05.678000+00:00" {
		t.Errorf("list: %v", first)
	}
	if len(list.RequestID) != 36 {
		t.Errorf("request id %q", list.RequestID)
	}

	wantClientError(t, res["describe"], "StateMachineDoesNotExist", 400,
		"State Machine Does Not Exist: 'arn:aws:states:us-east-1:123456789012:stateMachine:alpha'")
	wantClientError(t, res["badinput"], "InvalidExecutionInput", 400,
		"Invalid State Machine Execution Input: 'starting bad-input: execution input is not valid'")
	wantClientError(t, res["unexpected"], "InternalFailure", 500, "An internal error occurred.")
	wantClientError(t, res["panic"], "InternalFailure", 500, "An internal error occurred.")

	start := res["start"]
	if start.Error != nil || start.Result["executionArn"] != "arn:aws:states:us-east-1:123456789012:execution:alpha:run-1" ||
		start.Result["startDate"] != "2026-01-02 03:04:05.678000+00:00" {
		t.Errorf("start: %+v", start)
	}

	// The other protocols' extension points, as botocore reads them.
	sts := res["sts"]
	if sts.Error != nil || sts.Result["Account"] != "123456789012" || sts.Result["Arn"] != "arn:aws:iam::123456789012:root" ||
		len(sts.RequestID) != 36 {
		t.Errorf("sts: %+v", sts)
	}
	wantClientError(t, res["assume"], "MalformedPolicyDocument", 400, "role arn:aws:iam::123456789012:role/r: policy is not valid")
	wantClientError(t, res["lambda"], "ResourceNotFoundException", 404,
		"Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope")
	wantClientError(t, res["s3"], "NoSuchBucket", 404, "The specified bucket does not exist")
}

func TestBoto3SignatureVerification(t *testing.T) {
	t.Parallel()
	needBoto3(t)
	srv := httptest.NewServer(newTestDispatcher(NewSigV4Verifier(map[string]string{"AKIDSTEPWISE": "s3cr3t/key+x"})))
	t.Cleanup(srv.Close)

	t.Run("signed with the right key", func(t *testing.T) {
		t.Parallel()
		res := runBoto3(t, srv.URL, "AKIDSTEPWISE", "s3cr3t/key+x", "signed", "list", "start", "sts", "lambda", "s3")
		if r := res["list"]; r.Error != nil {
			t.Errorf("list: %+v", r.Error)
		}
		if r := res["start"]; r.Error != nil {
			t.Errorf("start: %+v", r.Error)
		}
		if r := res["sts"]; r.Error != nil {
			t.Errorf("sts: %+v", r.Error)
		}
		// Past verification, these reach their handlers' errors.
		wantClientError(t, res["lambda"], "ResourceNotFoundException", 404, "")
		wantClientError(t, res["s3"], "NoSuchBucket", 404, "")
	})
	t.Run("wrong secret", func(t *testing.T) {
		t.Parallel()
		res := runBoto3(t, srv.URL, "AKIDSTEPWISE", "wrong", "signed", "list", "sts", "lambda", "s3")
		wantClientError(t, res["list"], "InvalidSignatureException", 400, signatureMismatchMessage)
		wantClientError(t, res["sts"], "SignatureDoesNotMatch", 403, "")
		wantClientError(t, res["lambda"], "InvalidSignatureException", 403, "")
		wantClientError(t, res["s3"], "SignatureDoesNotMatch", 403, "")
	})
	t.Run("unknown access key", func(t *testing.T) {
		t.Parallel()
		res := runBoto3(t, srv.URL, "AKIDUNKNOWN", "s3cr3t/key+x", "signed", "list", "sts", "s3")
		wantClientError(t, res["list"], "UnrecognizedClientException", 400, "The security token included in the request is invalid.")
		wantClientError(t, res["sts"], "InvalidClientTokenId", 403, "")
		wantClientError(t, res["s3"], "InvalidAccessKeyId", 403, "")
	})
	t.Run("body changed after signing", func(t *testing.T) {
		t.Parallel()
		res := runBoto3(t, srv.URL, "AKIDSTEPWISE", "s3cr3t/key+x", "tamper", "start")
		wantClientError(t, res["start"], "InvalidSignatureException", 400, signatureMismatchMessage)
	})
	t.Run("unsigned", func(t *testing.T) {
		t.Parallel()
		res := runBoto3(t, srv.URL, "AKIDSTEPWISE", "s3cr3t/key+x", "unsigned", "list")
		wantClientError(t, res["list"], "MissingAuthenticationTokenException", 400, "Missing Authentication Token")
	})
	t.Run("aws CLI signed with the right key", func(t *testing.T) {
		t.Parallel()
		needTool(t, "aws")
		out, errb, code := runAWS(t, clientEnv(t, "AKIDSTEPWISE", "s3cr3t/key+x"), srv.URL, "stepfunctions", "list-state-machines")
		if code != 0 || !strings.Contains(out, "gamma") {
			t.Fatalf("exit %d: %s%s", code, out, errb)
		}
		_, errb, code = runAWS(t, clientEnv(t, "AKIDSTEPWISE", "nope"), srv.URL, "stepfunctions", "list-state-machines")
		if code == 0 || !strings.Contains(errb, "(InvalidSignatureException)") {
			t.Fatalf("exit %d: %s", code, errb)
		}
	})
}

// The real clients, shared with the s3api and e2e tests (internal/clienttest).
var (
	needTool  = clienttest.NeedTool
	clientEnv = clienttest.Env
)

func needBoto3(t *testing.T) { clienttest.NeedPython(t, "boto3") }
