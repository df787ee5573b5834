package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"os/exec"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// motoServer is moto's server in its default mode, on a free loopback port.
type motoServer struct {
	URL    string
	cmd    *exec.Cmd
	log    *tailBuffer
	exited chan struct{}
}

// startMoto runs `python3 -m moto.server` and waits until it answers.
func startMoto(t testing.TB) *motoServer {
	t.Helper()
	needPython(t, "moto.server", "boto3")
	port := freePort(t)
	cmd := exec.Command(toolPath("python3"), "-m", "moto.server", "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	cmd.Env = clientEnv(t)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	m := &motoServer{URL: fmt.Sprintf("http://127.0.0.1:%d", port), cmd: cmd, log: &tailBuffer{max: 16 << 10}, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = m.log, m.log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = cmd.Wait(); close(m.exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-m.exited
	})
	c := newClient(m.URL)
	defer c.close()
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
		err := c.call(ctx, "ListStateMachines", []byte("{}"), nil)
		cancel()
		if err == nil {
			return m
		}
		select {
		case <-m.exited:
			t.Fatalf("moto's server exited: %s", m.log)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("moto's server did not answer in 60 s (%v): %s", err, m.log)
		}
		time.Sleep(100 * time.Millisecond) // moto has no readiness signal but its answers
	}
}

// freePort returns a loopback port that was free a moment ago (moto cannot take port 0
// and tell which it got).
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// awsBehaviour is what AWS answers to the calls of testdata/differential.py, from the API
// reference and recorded replies: StartExecution is idempotent only while the execution
// runs with the same input; definitions are validated at creation; an execution runs and
// its history is its own.
var awsBehaviour = map[string]any{
	"create with an invalid definition":                      "InvalidDefinition",
	"create with a definition that is not JSON":              "InvalidDefinition",
	"start again with the same name and input while running": "OK",
	"start again with the same name and another input":       "ExecutionAlreadyExists",
	"status after stop":                                      "ABORTED",
	"error and cause after stop":                             []any{"E", "C"},
	"start again with the same name and input after stop":    "ExecutionAlreadyExists",
	"status of a Pass execution":                             "SUCCEEDED",
	"output of a Pass execution":                             `{"v":7}`,
	"history of a Pass execution":                            []any{"ExecutionStarted", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"},
	"state names in the history":                             []any{"P"},
	"executions listed as SUCCEEDED":                         []any{"run"},
	"start again with the same name and input after success": "ExecutionAlreadyExists",
	"describe a non-ARN":                                     "InvalidArn",
	"describe a missing execution":                           "ExecutionDoesNotExist",
	"stop a missing execution":                               "ExecutionDoesNotExist",
	"start a missing state machine":                          "StateMachineDoesNotExist",
	"start with input that is not JSON":                      "InvalidExecutionInput",
	"start with a name with a space":                         "InvalidName",
	"send task success with an unknown token":                "InvalidToken",
	"list executions with an unknown status filter":          "ValidationException",
	"validate an invalid definition":                         "FAIL",
	"start a sync Express execution":                         []any{"SUCCEEDED", `{"s":1}`},
}

func observe(t *testing.T, url string) map[string]any {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, toolPath("python3"), "testdata/differential.py", url)
	cmd.Env = clientEnv(t)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("differential.py against %s: %v: %s", url, err, stderr.String())
	}
	var obs map[string]any
	if err := json.Unmarshal(out, &obs); err != nil {
		t.Fatalf("differential.py: %v in %s", err, out)
	}
	return obs
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestAgainstMoto runs the same boto3 calls against stepwise and moto's server and checks
// stepwise's answers against AWS's; moto's differences are logged beside them.
func TestAgainstMoto(t *testing.T) {
	t.Parallel()
	needPython(t, "boto3")
	srv := startServer(t, t.TempDir())
	moto := startMoto(t)

	stepwise, motos := observe(t, srv.URL), observe(t, moto.URL)
	differs, wrong := 0, 0
	for _, key := range slices.Sorted(maps.Keys(awsBehaviour)) {
		want := awsBehaviour[key]
		got, ok := stepwise[key]
		if !ok {
			t.Errorf("%s: not observed", key)
			continue
		}
		if jsonText(got) != jsonText(want) {
			wrong++
			t.Errorf("%s: stepwise %s, AWS %s", key, jsonText(got), jsonText(want))
		}
		if m := motos[key]; jsonText(m) != jsonText(want) {
			differs++
			t.Logf("moto differs from AWS: %s: moto %s, AWS and stepwise %s", key, jsonText(m), jsonText(want))
		}
	}
	t.Logf("moto differs from AWS on %d of %d observations, stepwise on %d", differs, len(awsBehaviour), wrong)
}
