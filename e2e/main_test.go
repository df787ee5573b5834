package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/stepwise-dev/stepwise/internal/clienttest"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/jsonv"
)

// binary is the stepwise binary TestMain built for this run.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "stepwise-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "stepwise")
	build := exec.Command("go", "build", "-o", binary, "github.com/stepwise-dev/stepwise/cmd/stepwise")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: building stepwise:", err)
		_ = os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// Account and region of every server the tests start (the defaults).
const (
	account = "123456789012"
	region  = "us-east-1"
	roleARN = "arn:aws:iam::123456789012:role/e2e"
)

func smARN(name string) string {
	return "arn:aws:states:" + region + ":" + account + ":stateMachine:" + name
}

func execARN(sm, name string) string {
	return "arn:aws:states:" + region + ":" + account + ":execution:" + sm + ":" + name
}

// server is one `stepwise server` process.
type server struct {
	t       testing.TB
	dataDir string
	URL     string
	cmd     *exec.Cmd
	log     *tailBuffer
	exited  chan struct{}
	client  *client
}

// startServer runs the binary on a free loopback port with dataDir and waits for its
// banner. The process is killed when the test ends, if it still runs.
func startServer(t testing.TB, dataDir string) *server {
	t.Helper()
	cmd := exec.Command(binary, "server", "--listen", "127.0.0.1:0", "--data-dir", dataDir, "--log-level", "warn")
	cmd.Env = append(os.Environ(), "STEPWISE_ACCESS_KEY_ID=", "STEPWISE_SECRET_ACCESS_KEY=")
	// The server dies with the test binary even if a cleanup never runs.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	s := &server{t: t, dataDir: dataDir, cmd: cmd, log: &tailBuffer{max: 64 << 10}, exited: make(chan struct{})}
	cmd.Stderr = s.log
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		_ = cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(s.kill)
	url := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if _, u, ok := strings.Cut(sc.Text(), " serving on "); ok {
				url <- u
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case s.URL = <-url:
	case <-s.exited:
		t.Fatalf("stepwise server exited before serving: %s", s.log)
	case <-time.After(30 * time.Second):
		t.Fatalf("stepwise server printed no banner in 30 s: %s", s.log)
	}
	s.client = newClient(s.URL)
	return s
}

// kill ends the process with SIGKILL, as a crash or an OOM kill would.
func (s *server) kill() {
	select {
	case <-s.exited:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.exited
	s.client.close()
}

// stop ends the process with SIGTERM and expects a clean exit.
func (s *server) stop() {
	s.t.Helper()
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(40 * time.Second):
		s.kill()
		s.t.Fatalf("stepwise server ignored SIGTERM for 40 s: %s", s.log)
	}
	if code := s.cmd.ProcessState.ExitCode(); code != 0 {
		s.t.Errorf("stepwise server exited with %d after SIGTERM: %s", code, s.log)
	}
	s.client.close()
}

// tailBuffer keeps the last max bytes written to it: the server's log, for failures.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (w *tailBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.b = append(w.b, p...)
	if len(w.b) > w.max {
		w.b = append([]byte(nil), w.b[len(w.b)-w.max:]...)
	}
	return len(p), nil
}

func (w *tailBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return string(w.b)
}

// client speaks the Step Functions awsJson 1.0 protocol directly. The servers under test
// do not check signatures on loopback; an Authorization header still names the region,
// which moto reads.
type client struct {
	url  string
	http *http.Client
}

func newClient(url string) *client {
	return &client{url: url, http: &http.Client{Timeout: 90 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}}
}

func (c *client) close() { c.http.CloseIdleConnections() }

// apiError is an error reply.
type apiError struct {
	Status  int
	Code    string
	Message string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message)
}

// errorCode is the AWS error code of err, or "" when err is not an error reply.
func errorCode(err error) string {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae.Code
	}
	return ""
}

// call sends op with the JSON of in (a *jsonv.Object or a struct) and decodes the reply
// into out (nil to ignore it).
func (c *client) call(ctx context.Context, op string, in any, out any) error {
	var body []byte
	switch v := in.(type) {
	case *jsonv.Object:
		body = jsonv.Marshal(v)
	case []byte:
		body = v
	default:
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = b
	}
	return c.raw(ctx, "AWSStepFunctions."+op, body, out)
}

func (c *client) raw(ctx context.Context, target string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url+"/", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", target)
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=test/20260101/"+region+"/states/aws4_request, SignedHeaders=host, Signature=0")
	res, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	if res.StatusCode != http.StatusOK {
		var e struct {
			Type    string `json:"__type"`
			Message string `json:"message"`
			Msg2    string `json:"Message"`
		}
		_ = json.Unmarshal(data, &e)
		code := e.Type
		if i := strings.LastIndexByte(code, '#'); i >= 0 {
			code = code[i+1:]
		}
		msg := e.Message
		if msg == "" {
			msg = e.Msg2
		}
		return &apiError{Status: res.StatusCode, Code: code, Message: msg}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s: decoding %s: %w", target, data, err)
	}
	return nil
}

// The replies the tests read.

type startReply struct {
	ExecutionArn string  `json:"executionArn"`
	StartDate    float64 `json:"startDate"`
}

type describeReply struct {
	ExecutionArn           string  `json:"executionArn"`
	StateMachineArn        string  `json:"stateMachineArn"`
	Name                   string  `json:"name"`
	Status                 string  `json:"status"`
	Input                  *string `json:"input"`
	Output                 *string `json:"output"`
	Error                  string  `json:"error"`
	Cause                  string  `json:"cause"`
	StateMachineVersionArn string  `json:"stateMachineVersionArn"`
	StateMachineAliasArn   string  `json:"stateMachineAliasArn"`
	RedriveCount           int     `json:"redriveCount"`
	RedriveStatus          string  `json:"redriveStatus"`
}

// historyEvent keeps the envelope and the details object as raw JSON.
type historyEvent struct {
	ID              int64
	PreviousEventID int64
	Type            string
	Details         map[string]json.RawMessage // one key, "<type>EventDetails"
}

func (e *historyEvent) UnmarshalJSON(b []byte) error {
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return err
	}
	var env struct {
		ID              int64  `json:"id"`
		PreviousEventID int64  `json:"previousEventId"`
		Type            string `json:"type"`
	}
	if err := json.Unmarshal(b, &env); err != nil {
		return err
	}
	e.ID, e.PreviousEventID, e.Type = env.ID, env.PreviousEventID, env.Type
	e.Details = map[string]json.RawMessage{}
	for k, v := range all {
		if strings.HasSuffix(k, "EventDetails") {
			e.Details[k] = v
		}
	}
	return nil
}

// detail returns one string field of the event's details ("" when absent).
func (e *historyEvent) detail(field string) string {
	for _, d := range e.Details {
		var m map[string]json.RawMessage
		if json.Unmarshal(d, &m) != nil {
			continue
		}
		var s string
		if json.Unmarshal(m[field], &s) == nil {
			return s
		}
	}
	return ""
}

// history returns an execution's whole history, in order, page by page.
func (c *client) history(ctx context.Context, arn string) ([]historyEvent, error) {
	var all []historyEvent
	token := ""
	for {
		in := jsonv.ObjectOf("executionArn", arn, "maxResults", float64(1000))
		if token != "" {
			in.Set("nextToken", token)
		}
		var page struct {
			Events    []historyEvent `json:"events"`
			NextToken string         `json:"nextToken"`
		}
		if err := c.call(ctx, "GetExecutionHistory", in, &page); err != nil {
			return nil, err
		}
		all = append(all, page.Events...)
		if token = page.NextToken; token == "" {
			return all, nil
		}
	}
}

func (c *client) describe(ctx context.Context, arn string) (*describeReply, error) {
	var d describeReply
	err := c.call(ctx, "DescribeExecution", jsonv.ObjectOf("executionArn", arn), &d)
	return &d, err
}

func (c *client) createStateMachine(ctx context.Context, name, definition, typ string) (string, error) {
	in := jsonv.ObjectOf("name", name, "definition", definition, "roleArn", roleARN)
	if typ != "" {
		in.Set("type", typ)
	}
	var out struct {
		StateMachineArn string `json:"stateMachineArn"`
	}
	err := c.call(ctx, "CreateStateMachine", in, &out)
	return out.StateMachineArn, err
}

func (c *client) start(ctx context.Context, sm, name, input string) (string, error) {
	in := jsonv.ObjectOf("stateMachineArn", sm, "input", input)
	if name != "" {
		in.Set("name", name)
	}
	var out startReply
	err := c.call(ctx, "StartExecution", in, &out)
	return out.ExecutionArn, err
}

// waitDone polls until the execution leaves RUNNING and returns its description. A real
// process has no signal to wait on: polling is the client's only way, as with AWS.
func (c *client) waitDone(ctx context.Context, arn string) (*describeReply, error) {
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	for {
		d, err := c.describe(ctx, arn)
		if err != nil {
			return nil, err
		}
		if d.Status != "RUNNING" {
			return d, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%s still RUNNING: %w", arn, ctx.Err())
		case <-tick.C:
		}
	}
}

// waitEvent polls the history until an event of type typ appears and returns it.
func (c *client) waitEvent(ctx context.Context, arn, typ string) (*historyEvent, error) {
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	for {
		h, err := c.history(ctx, arn)
		if err != nil {
			return nil, err
		}
		for i := range h {
			if h[i].Type == typ {
				return &h[i], nil
			}
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%s: no %s event: %w", arn, typ, ctx.Err())
		case <-tick.C:
		}
	}
}

// Real clients: the aws CLI and boto3, isolated from the machine's AWS configuration.

// longRuns reports whether the long crash and load variants were asked for.
func longRuns() bool { return os.Getenv("STEPWISE_E2E_LONG") == "1" }

// The real clients, shared with the api and s3api tests (internal/clienttest).
var (
	toolPath   = clienttest.ToolPath
	needTool   = clienttest.NeedTool
	needPython = clienttest.NeedPython
)

func clientEnv(t testing.TB) []string { return clienttest.Env(t, "test", "test") }
