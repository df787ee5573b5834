package iam

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/api"
	"github.com/stepwise-dev/stepwise/internal/clienttest"
	"github.com/stepwise-dev/stepwise/store/sqlite"
)

// server is the service behind a dispatcher, served over HTTP as stepwise server does.
type server struct {
	svc *Service
	url string
	dir string
}

func newServer(t testing.TB, opts ...api.Options) *server {
	t.Helper()
	dir := t.TempDir()
	st, err := sqlite.Open(t.Context(), filepath.Join(dir, "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	svc := New(Config{Store: st})
	o := api.Options{}
	if len(opts) > 0 {
		o = opts[0]
	}
	d := api.NewDispatcher(o)
	if err := svc.Register(d); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(d)
	t.Cleanup(srv.Close)
	return &server{svc: svc, url: srv.URL, dir: dir}
}

// aws runs the aws CLI against the server from the server's directory (for file://).
func (s *server) aws(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, clienttest.ToolPath("aws"), append([]string{"--endpoint-url", s.url}, args...)...)
	cmd.Env = clienttest.Env(t, "test", "test")
	cmd.Dir = s.dir
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	err := cmd.Run()
	if err != nil && cmd.ProcessState == nil {
		t.Fatal(err)
	}
	return so.String(), se.String(), cmd.ProcessState.ExitCode()
}

// mustAWS runs the aws CLI and fails the test unless it succeeds.
func (s *server) mustAWS(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, code := s.aws(t, args...)
	if code != 0 {
		t.Fatalf("aws %v: exit %d: %s", args, code, errOut)
	}
	return out
}

// python runs a boto3 script with the server's URL as argv[1]; its stdout is returned.
func (s *server) python(t *testing.T, script string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, clienttest.ToolPath("python3"), "-c", script, s.url)
	cmd.Env = clienttest.Env(t, "test", "test")
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	if err := cmd.Run(); err != nil {
		t.Fatalf("boto3: %v\n%s\n%s", err, so.String(), se.String())
	}
	return so.String()
}

func writeFile(t *testing.T, dir, name, text string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}
