package logs

import (
	"context"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stepwise-dev/stepwise/api"
	"github.com/stepwise-dev/stepwise/internal/clienttest"
	"github.com/stepwise-dev/stepwise/internal/clock"
	"github.com/stepwise-dev/stepwise/store/sqlite"
)

// env is the logs service over SQLite, served by a dispatcher on an httptest server.
type env struct {
	svc *Service
	st  *sqlite.Store
	url string
}

func newEnv(t *testing.T, clk clock.Clock, opts ...func(*Service)) *env {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	svc := New(Config{Store: st, Clock: clk})
	for _, o := range opts {
		o(svc)
	}
	if err := svc.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Stop(context.Background()) })
	d := api.NewDispatcher(api.Options{})
	if err := svc.Register(d); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(d)
	t.Cleanup(srv.Close)
	return &env{svc: svc, st: st, url: srv.URL}
}

// boto3 runs a script with `client` a CloudWatch Logs client of the server and
// sys.argv[2:] the args; it returns what the script printed.
func (e *env) boto3(t *testing.T, script string, args ...string) string {
	t.Helper()
	clienttest.NeedPython(t, "boto3")
	argv := append([]string{"-c", `import boto3, json, sys, time
client = boto3.client("logs", endpoint_url=sys.argv[1])
` + script, e.url}, args...)
	cmd := exec.CommandContext(t.Context(), clienttest.ToolPath("python3"), argv...)
	cmd.Env = clienttest.Env(t, "test", "test")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("boto3: %v\n%s", err, out)
	}
	return string(out)
}

// aws runs the aws CLI against the server; it returns stdout, stderr and whether it
// succeeded.
func (e *env) aws(t *testing.T, args ...string) (string, string, bool) {
	t.Helper()
	clienttest.NeedTool(t, "aws")
	cmd := exec.CommandContext(t.Context(), clienttest.ToolPath("aws"), append([]string{"--endpoint-url", e.url, "--output", "json", "logs"}, args...)...)
	cmd.Env = clienttest.Env(t, "test", "test")
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err == nil
}

func (e *env) mustAWS(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, ok := e.aws(t, args...)
	if !ok {
		t.Fatalf("aws logs %v: %s", args, errOut)
	}
	return out
}

func wantText(t *testing.T, got, want string) {
	t.Helper()
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}
