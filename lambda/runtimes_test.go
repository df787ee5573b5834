package lambda

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/store"
)

func needNode(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed")
	}
}

func TestNodeHandler(t *testing.T) {
	t.Parallel()
	needNode(t)
	e := newEnv(t)
	e.mustCreate(t, fn{Name: "js", Runtime: "nodejs20.x", Handler: "index.handler", Files: map[string]string{"index.js": `
exports.handler = async (event, context) => {
  console.log("event", JSON.stringify(event));
  if (event.fail) throw new TypeError("no good: " + event.fail);
  return { echo: event, fn: context.functionName, mem: context.memoryLimitInMB, id: context.awsRequestId,
           left: context.getRemainingTimeInMillis() > 0, root: process.env.LAMBDA_TASK_ROOT };
};
`}})
	r := e.invoke(t, "js", `{"x":[1,2]}`, map[string]string{"X-Amz-Log-Type": "Tail"})
	if r.Status != http.StatusOK || r.Header.Get("X-Amz-Function-Error") != "" {
		t.Fatalf("%d %v %s", r.Status, r.Header, r.Body)
	}
	out := r.json(t)
	id := r.Header.Get("X-Amzn-Requestid")
	if out["fn"] != "js" || out["mem"] != "128" || out["id"] != id || out["left"] != true || out["root"] != "/var/task" {
		t.Fatalf("result %s", r.Body)
	}
	tail, _ := base64.StdEncoding.DecodeString(r.Header.Get("X-Amz-Log-Result"))
	if !strings.Contains(string(tail), "\t"+id+"\tINFO\tevent {\"x\":[1,2]}") {
		t.Errorf("tail lacks the console.log line:\n%s", tail)
	}
	r = e.invoke(t, "js", `{"fail":"y"}`, nil)
	d := r.json(t)
	trace, _ := d["trace"].([]any)
	if r.Header.Get("X-Amz-Function-Error") != "Unhandled" || d["errorType"] != "TypeError" || d["errorMessage"] != "no good: y" ||
		len(trace) == 0 || trace[0] != "TypeError: no good: y" {
		t.Fatalf("%v %s", r.Header, r.Body)
	}
	// Callback style.
	e.mustCreate(t, fn{Name: "cb", Runtime: "nodejs22.x", Handler: "lib/main.go", Files: map[string]string{"lib/main.js": `
exports.go = (event, context, callback) => { setTimeout(() => callback(null, "called back " + event.n), 1); };
`}})
	if r := e.invoke(t, "cb", `{"n":7}`, nil); string(r.Body) != `"called back 7"` {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
}

func TestProvidedBootstrap(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed")
	}
	e := newEnv(t)
	// A bootstrap in shell, speaking the Runtime API with curl, as the Lambda docs' example.
	bootstrap := `#!/bin/sh
set -eu
API="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime"
echo "bootstrap starting for $_HANDLER"
while true; do
  HEADERS=$(mktemp)
  EVENT=$(curl -sS -LD "$HEADERS" "$API/invocation/next")
  ID=$(grep -Fi Lambda-Runtime-Aws-Request-Id "$HEADERS" | tr -d '[:space:]' | cut -d: -f2)
  case "$EVENT" in
    *fail*) curl -sS -X POST "$API/invocation/$ID/error" -H 'Lambda-Runtime-Function-Error-Type: Shell.Failure' -d '{"errorMessage":"asked to fail","errorType":"Shell.Failure"}' >/dev/null ;;
    *exit*) exit 3 ;;
    *) curl -sS -X POST "$API/invocation/$ID/response" -d "{\"got\":$EVENT,\"handler\":\"$_HANDLER\"}" >/dev/null ;;
  esac
done
`
	e.mustCreate(t, fn{Name: "sh", Runtime: "provided.al2023", Handler: "whatever.handler", Files: map[string]string{"bootstrap": bootstrap}, Exec: []string{"bootstrap"}})
	r := e.invoke(t, "sh", `{"k":"v"}`, nil)
	if r.Status != http.StatusOK || string(r.Body) != `{"got":{"k":"v"},"handler":"whatever.handler"}` {
		t.Fatalf("%d %v %s", r.Status, r.Header, r.Body)
	}
	r = e.invoke(t, "sh", `"fail"`, nil)
	if r.Header.Get("X-Amz-Function-Error") != "Unhandled" || string(r.Body) != `{"errorMessage":"asked to fail","errorType":"Shell.Failure"}` {
		t.Fatalf("%d %v %s", r.Status, r.Header, r.Body)
	}
	// The runtime exits during an invocation.
	r = e.invoke(t, "sh", `"exit"`, nil)
	d := r.json(t)
	if r.Header.Get("X-Amz-Function-Error") != "Unhandled" || d["errorType"] != "Runtime.ExitError" ||
		d["errorMessage"] != "RequestId: "+r.Header.Get("X-Amzn-Requestid")+" Error: Runtime exited with error: exit status 3" {
		t.Fatalf("%d %v %s", r.Status, r.Header, r.Body)
	}
	e.sink.waitFor(t, "/aws/lambda/sh", "bootstrap starting for whatever.handler")

	// A bootstrap that is not executable cannot start.
	e.mustCreate(t, fn{Name: "noexec", Runtime: "provided", Handler: "h", Files: map[string]string{"bootstrap": bootstrap}})
	r = e.invoke(t, "noexec", `{}`, nil)
	if d := r.json(t); r.Header.Get("X-Amz-Function-Error") != "Unhandled" || d["errorType"] != "Runtime.ExitError" {
		t.Fatalf("%d %v %s", r.Status, r.Header, r.Body)
	}
}

func TestEventInvocation(t *testing.T) {
	t.Parallel()
	needHostPython(t)
	e := newEnv(t)
	e.mustCreate(t, fn{Name: "ev", Runtime: "python3.11", Handler: "app.handler", Files: map[string]string{"app.py": "def handler(event, context):\n    print('async got', event['n'])\n"}})
	r := e.invoke(t, "ev", `{"n":42}`, map[string]string{"X-Amz-Invocation-Type": "Event"})
	if r.Status != http.StatusAccepted || len(r.Body) != 0 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	e.sink.waitFor(t, "/aws/lambda/ev", "async got 42")
	e.sink.waitFor(t, "/aws/lambda/ev", "END RequestId: "+r.Header.Get("X-Amzn-Requestid"))

	r = e.invoke(t, "ev", `{"n":1}`, map[string]string{"X-Amz-Invocation-Type": "DryRun"})
	if r.Status != http.StatusNoContent {
		t.Fatalf("dry run: %d %s", r.Status, r.Body)
	}
	r = e.invoke(t, "nope", `{}`, map[string]string{"X-Amz-Invocation-Type": "Event"})
	if r.Status != http.StatusNotFound || r.Header.Get("X-Amzn-Errortype") != "ResourceNotFoundException" {
		t.Fatalf("missing function: %d %v %s", r.Status, r.Header, r.Body)
	}
}

// TestBoto3ReachesStepwise: a handler's boto3 (Debian's python3-boto3 predates
// AWS_ENDPOINT_URL) reaches the server through the runtime client's hook.
func TestBoto3ReachesStepwise(t *testing.T) {
	t.Parallel()
	needHostPython(t, "boto3")
	e := newEnv(t)
	e.mustCreate(t, fn{Name: "b3", Runtime: "python3.11", Handler: "app.handler", Timeout: 30, Memory: 256, Files: map[string]string{"app.py": `
import boto3
s3 = boto3.client("s3")
def handler(event, context):
    res = boto3.resource("s3").Object(event["bucket"], "via-resource").get()["Body"].read().decode()
    return s3.get_object(Bucket=event["bucket"], Key=event["key"])["Body"].read().decode() + " " + res
`}})
	r := e.invoke(t, "b3", fmt.Sprintf(`{"bucket":%q,"key":"olleh"}`, tinyBucket), map[string]string{"X-Amz-Log-Type": "Tail"})
	if r.Status != http.StatusOK || string(r.Body) != `"hello ecruoser-aiv"` {
		tail, _ := base64.StdEncoding.DecodeString(r.Header.Get("X-Amz-Log-Result"))
		t.Fatalf("%d %v %s\n%s", r.Status, r.Header, r.Body, tail)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.s3Requests) != 2 || !strings.Contains(e.s3Requests[0], "Credential=ASIASTEPWISELAMBDA00/") {
		t.Fatalf("S3 requests %q", e.s3Requests)
	}
}

// TestConcurrentInvocations: two invocations run at once, in two environments. Each
// handler connects to the test and waits until the other one has connected too.
func TestConcurrentInvocations(t *testing.T) {
	t.Parallel()
	needHostPython(t)
	e := newEnv(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		var conns []net.Conn
		for len(conns) < 2 {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_, _ = bufio.NewReader(c).ReadString('\n')
			conns = append(conns, c)
		}
		for _, c := range conns {
			_, _ = c.Write([]byte("go\n"))
			_ = c.Close()
		}
	}()
	e.mustCreate(t, fn{Name: "par", Runtime: "python3.11", Handler: "app.handler", Timeout: 60, Files: map[string]string{"app.py": `
import socket
def handler(event, context):
    s = socket.create_connection(("127.0.0.1", event["port"]))
    s.sendall(b"here\n")
    return {"said": s.makefile().readline().strip(), "stream": context.log_stream_name}
`}})
	port := ln.Addr().(*net.TCPAddr).Port
	var wg sync.WaitGroup
	results := make([]map[string]any, 2)
	for i := range results {
		wg.Go(func() {
			r := e.invoke(t, "par", fmt.Sprintf(`{"port":%d}`, port), nil)
			_ = json.Unmarshal(r.Body, &results[i])
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(90 * time.Second):
		t.Fatal("the two invocations did not run at once")
	}
	if results[0]["said"] != "go" || results[1]["said"] != "go" || results[0]["stream"] == results[1]["stream"] {
		t.Fatalf("results %v", results)
	}
}

// TestQueuedEventInvocationSurvivesAStop: an asynchronous invocation still queued when
// the server stops is in the store, and the next server runs it (then forgets it).
func TestQueuedEventInvocationSurvivesAStop(t *testing.T) {
	t.Parallel()
	needHostPython(t)
	e := newEnv(t)
	e.mustCreate(t, fn{Name: "later", Runtime: "python3.11", Handler: "app.handler", Files: map[string]string{"app.py": "def handler(event, context):\n    print('queued got', event['n'])\n"}})
	cfg := e.svc.cfg
	ctx := t.Context()
	if err := e.svc.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	// What a server that stopped with the invocation queued leaves in the store.
	doc, _ := json.Marshal(&asyncDoc{Function: "later", ARN: e.svc.functionARN("later"), Payload: []byte(`{"n":7}`)})
	if _, err := cfg.Store.ResourceCreate(ctx, &store.ResourceCreateParams{Kind: kindAsync, Name: "req-queued", Doc: doc}); err != nil {
		t.Fatal(err)
	}
	next := New(cfg)
	if err := next.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = next.Stop(context.Background()) })
	e.sink.waitFor(t, "/aws/lambda/later", "queued got 7")
	e.sink.waitFor(t, "/aws/lambda/later", "END RequestId: req-queued")
	// Forgotten once run (Stop waits for the invocation's goroutine to finish).
	if err := next.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := cfg.Store.ResourceGet(ctx, &store.ResourceGetParams{Kind: kindAsync, Name: "req-queued"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the invocation is still queued after it ran: %v", err)
	}

	// Invoke records the invocation before it answers 202.
	r := e.invoke(t, "later", `{"n":8}`, map[string]string{"X-Amz-Invocation-Type": "Event"})
	if r.Status != http.StatusServiceUnavailable {
		t.Fatalf("a stopped service queued an invocation: %d %s", r.Status, r.Body)
	}
}
