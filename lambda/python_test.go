package lambda

import (
	"encoding/base64"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func needHostPython(t testing.TB, modules ...string) {
	t.Helper()
	args := []string{"-c", "import sys"}
	if len(modules) > 0 {
		args = []string{"-c", "import " + strings.Join(modules, ", ")}
	}
	if out, err := exec.Command("/usr/bin/python3", args...).CombinedOutput(); err != nil {
		t.Skipf("/usr/bin/python3 cannot import %v: %s", modules, out)
	}
}

const pyHandler = `import json, os, sys

def handler(event, context):
    print("got", json.dumps(event))
    print("to stderr", file=sys.stderr)
    if event.get("fail"):
        raise ValueError("bad input: " + str(event["fail"]))
    if event.get("set"):
        return {1, 2}
    return {
        "event": event,
        "function_name": context.function_name,
        "memory": context.memory_limit_in_mb,
        "request_id": context.aws_request_id,
        "arn": context.invoked_function_arn,
        "remaining_positive": context.get_remaining_time_in_millis() > 0,
        "group": context.log_group_name,
        "stream": context.log_stream_name,
        "task_root": os.environ["LAMBDA_TASK_ROOT"],
        "cwd": os.getcwd(),
        "region": os.environ["AWS_REGION"],
        "custom": os.environ.get("CUSTOM"),
        "tmp_writable": open("/tmp/x", "w").write("x") == 1,
    }
`

func TestPythonHandler(t *testing.T) {
	t.Parallel()
	needHostPython(t)
	e := newEnv(t)
	e.mustCreate(t, fn{Name: "py", Runtime: "python3.11", Handler: "app.handler", Files: map[string]string{"app.py": pyHandler},
		Env: map[string]string{"CUSTOM": "yes"}})

	r := e.invoke(t, "py", `{"a":1}`, map[string]string{"X-Amz-Log-Type": "Tail"})
	if r.Status != http.StatusOK || r.Header.Get("X-Amz-Function-Error") != "" {
		t.Fatalf("invoke: %d %v %s", r.Status, r.Header, r.Body)
	}
	out := r.json(t)
	if ev, _ := out["event"].(map[string]any); ev["a"] != float64(1) {
		t.Fatalf("event %v", out)
	}
	for k, want := range map[string]any{"function_name": "py", "memory": "128", "arn": "arn:aws:lambda:us-east-1:123456789012:function:py",
		"remaining_positive": true, "group": "/aws/lambda/py", "task_root": "/var/task", "cwd": "/var/task", "region": "us-east-1",
		"custom": "yes", "tmp_writable": true, "request_id": r.Header.Get("X-Amzn-Requestid")} {
		if out[k] != want {
			t.Errorf("%s = %v, want %v", k, out[k], want)
		}
	}
	if r.Header.Get("X-Amz-Executed-Version") != "$LATEST" {
		t.Errorf("executed version %q", r.Header.Get("X-Amz-Executed-Version"))
	}
	tail, err := base64.StdEncoding.DecodeString(r.Header.Get("X-Amz-Log-Result"))
	if err != nil {
		t.Fatal(err)
	}
	id := out["request_id"].(string)
	for _, want := range []string{"START RequestId: " + id + " Version: $LATEST", `got {"a": 1}`, "to stderr", "END RequestId: " + id,
		"REPORT RequestId: " + id + "\tDuration: ", "Memory Size: 128 MB", "Init Duration: "} {
		if !strings.Contains(string(tail), want) {
			t.Errorf("log tail lacks %q:\n%s", want, tail)
		}
	}
	if strings.Contains(string(tail), flushMark) {
		t.Errorf("log tail holds the flush mark:\n%q", tail)
	}
	stream, _ := out["stream"].(string)
	if streams := e.sink.streams("/aws/lambda/py"); len(streams) != 1 || streams[0] != stream || !strings.Contains(stream, "/[$LATEST]") {
		t.Errorf("streams %v, context says %q", streams, stream)
	}

	files, _ := filepath.Glob(filepath.Join(e.dir, "lambda", "logs", "py", "*.log"))
	if len(files) != 1 {
		t.Fatalf("log files %v", files)
	}
	if b, _ := os.ReadFile(files[0]); !strings.Contains(string(b), "START RequestId: "+id) || !strings.Contains(string(b), `got {"a": 1}`) {
		t.Errorf("log file:\n%s", b)
	}

	// The same environment serves the next invocation: no Init Duration.
	r = e.invoke(t, "py", `{"b":2}`, map[string]string{"X-Amz-Log-Type": "Tail"})
	tail, _ = base64.StdEncoding.DecodeString(r.Header.Get("X-Amz-Log-Result"))
	if r.Status != http.StatusOK || strings.Contains(string(tail), "Init Duration") || r.json(t)["stream"] != stream {
		t.Fatalf("warm invoke: %d %s\n%s", r.Status, r.Body, tail)
	}

	// An exception: Unhandled, with the error as Lambda's Python runtime gives it.
	r = e.invoke(t, "py", `{"fail":"x"}`, nil)
	if r.Status != http.StatusOK || r.Header.Get("X-Amz-Function-Error") != "Unhandled" {
		t.Fatalf("failing invoke: %d %v %s", r.Status, r.Header, r.Body)
	}
	errDoc := r.json(t)
	trace, _ := errDoc["stackTrace"].([]any)
	if errDoc["errorType"] != "ValueError" || errDoc["errorMessage"] != "bad input: x" || errDoc["requestId"] == "" || len(trace) != 1 ||
		!strings.HasPrefix(trace[0].(string), `  File "/var/task/app.py", line 7, in handler`) {
		t.Fatalf("error document %s", r.Body)
	}
	if !strings.HasPrefix(string(r.Body), `{"errorMessage": "bad input: x", "errorType": "ValueError", "requestId": "`) {
		t.Errorf("error document not in Lambda's key order and spacing: %s", r.Body)
	}

	// A result that is not JSON.
	r = e.invoke(t, "py", `{"set":true}`, nil)
	if d := r.json(t); r.Header.Get("X-Amz-Function-Error") != "Unhandled" || d["errorType"] != "Runtime.MarshalError" ||
		!strings.Contains(d["errorMessage"].(string), "Unable to marshal response: Object of type set is not JSON serializable") {
		t.Fatalf("marshal error: %v %s", r.Header, r.Body)
	}
	// The environment survived all of it.
	if streams := e.sink.streams("/aws/lambda/py"); len(streams) != 1 {
		t.Errorf("streams %v: the environment was not reused", streams)
	}
}

func TestPythonImportError(t *testing.T) {
	t.Parallel()
	needHostPython(t)
	e := newEnv(t)
	e.mustCreate(t, fn{Name: "noimport", Runtime: "python3.12", Handler: "missing.handler", Files: map[string]string{"app.py": pyHandler}})
	r := e.invoke(t, "noimport", `{}`, nil)
	d := r.json(t)
	if r.Header.Get("X-Amz-Function-Error") != "Unhandled" || d["errorType"] != "Runtime.ImportModuleError" ||
		d["errorMessage"] != "Unable to import module 'missing': No module named 'missing'" {
		t.Fatalf("%d %v %s", r.Status, r.Header, r.Body)
	}
	e.mustCreate(t, fn{Name: "nohandler", Runtime: "python3.12", Handler: "app.nope", Files: map[string]string{"app.py": pyHandler}})
	r = e.invoke(t, "nohandler", `{}`, nil)
	if d := r.json(t); d["errorType"] != "Runtime.HandlerNotFound" || d["errorMessage"] != "Handler 'nope' missing on module 'app'" {
		t.Fatalf("%d %v %s", r.Status, r.Header, r.Body)
	}
}

func TestPythonTimeoutEndsTheEnvironment(t *testing.T) {
	t.Parallel()
	needHostPython(t)
	e := newEnv(t)
	e.mustCreate(t, fn{Name: "slow", Runtime: "python3.11", Handler: "app.handler", Timeout: 1, Files: map[string]string{"app.py": `
import threading
def handler(event, context):
    if event.get("hang"):
        print("hanging")
        threading.Event().wait()
    return "quick"
`}})
	r := e.invoke(t, "slow", `{"hang":true}`, map[string]string{"X-Amz-Log-Type": "Tail"})
	d := r.json(t)
	msg, _ := d["errorMessage"].(string)
	id := r.Header.Get("X-Amzn-Requestid")
	if r.Status != http.StatusOK || r.Header.Get("X-Amz-Function-Error") != "Unhandled" || len(d) != 1 ||
		!strings.HasSuffix(msg, " "+id+" Task timed out after 1.00 seconds") {
		t.Fatalf("%d %v %s", r.Status, r.Header, r.Body)
	}
	tail, _ := base64.StdEncoding.DecodeString(r.Header.Get("X-Amz-Log-Result"))
	if !strings.Contains(string(tail), "hanging") || !strings.Contains(string(tail), "Status: timeout") || !strings.Contains(string(tail), "Task timed out after 1.00 seconds") {
		t.Errorf("tail:\n%s", tail)
	}
	// A fresh environment serves the next one.
	r = e.invoke(t, "slow", `{}`, nil)
	if r.Status != http.StatusOK || string(r.Body) != `"quick"` {
		t.Fatalf("after the timeout: %d %v %s", r.Status, r.Header, r.Body)
	}
	if n := len(e.sink.streams("/aws/lambda/slow")); n != 2 {
		t.Errorf("%d log streams, want 2 (the timed-out environment ended)", n)
	}
}

func TestPythonOverMemory(t *testing.T) {
	t.Parallel()
	needHostPython(t)
	e := newEnv(t)
	e.mustCreate(t, fn{Name: "hungry", Runtime: "python3.11", Handler: "app.handler", Memory: 128, Timeout: 60, Files: map[string]string{"app.py": `
def handler(event, context):
    blocks = []
    for _ in range(64):
        blocks.append(b"x" * (16 << 20))
    return len(blocks)
`}})
	r := e.invoke(t, "hungry", `{}`, nil)
	d := r.json(t)
	if r.Header.Get("X-Amz-Function-Error") != "Unhandled" {
		t.Fatalf("%d %v %s", r.Status, r.Header, r.Body)
	}
	switch d["errorType"] {
	case "Runtime.OutOfMemory": // a cgroup's limit killed it
		if msg, _ := d["errorMessage"].(string); !strings.Contains(msg, "Error: Runtime exited with error: signal: killed") {
			t.Errorf("message %q", msg)
		}
	case "MemoryError": // an address-space limit: Python raised
	default:
		t.Fatalf("error %s", r.Body)
	}
}

func TestPythonUnsandboxed(t *testing.T) {
	t.Parallel()
	needHostPython(t)
	e := newEnv(t, unsandboxed())
	e.mustCreate(t, fn{Name: "plain", Runtime: "python3.11", Handler: "pkg/mod.handler", Files: map[string]string{
		"pkg/__init__.py": "", "pkg/mod.py": "import os\ndef handler(event, context):\n    return os.path.exists(os.environ['LAMBDA_TASK_ROOT'] + '/pkg/mod.py')\n"}})
	r := e.invoke(t, "plain", ``, nil)
	if r.Status != http.StatusOK || string(r.Body) != "true" {
		t.Fatalf("%d %v %s", r.Status, r.Header, r.Body)
	}
}
