package cli

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// serverRun is a `stepwise server` running in the test: its banner lines as they come,
// and its exit status once ctx is cancelled.
type serverRun struct {
	lines  chan string
	status chan int
	stderr *syncBuffer
}

func runServer(ctx context.Context, t *testing.T, env map[string]string, args ...string) *serverRun {
	t.Helper()
	pr, pw := io.Pipe()
	run := &serverRun{lines: make(chan string, 64), status: make(chan int, 1), stderr: &syncBuffer{}}
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			run.lines <- sc.Text()
		}
		close(run.lines)
	}()
	go func() {
		code := serveUntil(ctx, args, func(k string) string { return env[k] }, pw, run.stderr)
		_ = pw.Close()
		run.status <- code
	}()
	return run
}

// syncBuffer is written by the server's goroutines and read by the test.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (w *syncBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *syncBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// banner reads the banner, field by field ("url" from the first line).
func (r *serverRun) banner(t *testing.T) map[string]string {
	t.Helper()
	fields := map[string]string{}
	for line := range r.lines {
		if rest, ok := strings.CutPrefix(line, "stepwise "); ok {
			_, url, _ := strings.Cut(rest, " serving on ")
			fields["url"] = url
			continue
		}
		key, val, _ := strings.Cut(strings.TrimSpace(line), "  ")
		fields[key] = strings.TrimSpace(val)
		if key == "clients" {
			return fields
		}
	}
	t.Fatalf("no banner; status %d", <-r.status)
	return nil
}

func healthOf(t *testing.T, url string) int {
	t.Helper()
	res, err := http.Get(url + "/_stepwise/health")
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()
	return res.StatusCode
}

func TestServerCommandServesUntilCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	dir := filepath.Join(t.TempDir(), "data")
	run := runServer(ctx, t, nil, "--listen", "127.0.0.1:0", "--data-dir", dir)
	b := run.banner(t)
	if !strings.HasPrefix(b["url"], "http://127.0.0.1:") || b["data directory"] != dir ||
		b["persistence"] != "sqlite: "+filepath.Join(dir, "stepwise.db") || b["account, region"] != "123456789012, us-east-1" ||
		!strings.HasPrefix(b["signatures"], "not checked") {
		t.Fatalf("banner %v", b)
	}
	if code := healthOf(t, b["url"]); code != 200 {
		t.Fatalf("health %d", code)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Fatal(err)
	}
	cancel()
	if code := <-run.status; code != 0 {
		t.Fatalf("exit %d: %s", code, run.stderr)
	}
}

func TestServerCommandEnvironmentAndFlags(t *testing.T) {
	t.Parallel()
	envDir, flagDir := t.TempDir(), t.TempDir()
	env := map[string]string{
		"STEPWISE_LISTEN":            "127.0.0.1:0",
		"STEPWISE_DATA_DIR":          envDir,
		"STEPWISE_REGION":            "eu-west-1",
		"STEPWISE_ACCESS_KEY_ID":     "AKIDTEST",
		"STEPWISE_SECRET_ACCESS_KEY": "secret",
	}
	for _, tt := range []struct {
		args    []string
		dataDir string
	}{
		{nil, envDir}, // the environment replaces the defaults
		{[]string{"--data-dir", flagDir}, flagDir}, // flags replace the environment
	} {
		ctx, cancel := context.WithCancel(t.Context())
		run := runServer(ctx, t, env, tt.args...)
		b := run.banner(t)
		if b["data directory"] != tt.dataDir || b["account, region"] != "123456789012, eu-west-1" ||
			b["signatures"] != "required, with access key AKIDTEST" {
			t.Errorf("%v: banner %v", tt.args, b)
		}
		cancel()
		if code := <-run.status; code != 0 {
			t.Fatalf("exit %d: %s", code, run.stderr)
		}
	}
}

func TestServerCommandRefusals(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		env  map[string]string
		args []string
		msg  string
	}{
		{nil, []string{"--listen", "0.0.0.0:0"}, "STEPWISE_ACCESS_KEY_ID"},
		{map[string]string{"STEPWISE_LISTEN": ":8083"}, nil, "not a loopback address"},
		{map[string]string{"STEPWISE_ACCESS_KEY_ID": "x"}, []string{"--listen", "127.0.0.1:0"}, "set both"},
		{nil, []string{"--log-level", "loud"}, "--log-level"},
		{nil, []string{"extra"}, "unexpected argument"},
		{nil, []string{"--account-id", "42"}, "must be 12 digits"},
	} {
		run := runServer(t.Context(), t, tt.env, tt.args...)
		if code := <-run.status; code != 2 || !strings.Contains(run.stderr.String(), tt.msg) {
			t.Errorf("%v %v: exit %d: %s", tt.env, tt.args, code, run.stderr)
		}
	}
}

// The real process: started as a child (this test binary re-run), stopped with
// SIGTERM, exits 0.
func TestServerCommandStopsOnSIGTERM(t *testing.T) {
	t.Parallel()
	if os.Getenv("STEPWISE_TEST_SERVER_CHILD") == "1" {
		t.Skip("inside the child")
	}
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestServerChild$")
	cmd.Env = append(os.Environ(), "STEPWISE_TEST_SERVER_CHILD=1", "STEPWISE_LISTEN=127.0.0.1:0", "STEPWISE_DATA_DIR="+t.TempDir())
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	url := ""
	for sc.Scan() {
		if _, u, ok := strings.Cut(sc.Text(), " serving on "); ok {
			url = u
			break
		}
	}
	if url == "" {
		_ = cmd.Wait()
		t.Fatalf("no URL printed: %s", stderr.String())
	}
	if code := healthOf(t, url); code != 200 {
		t.Fatalf("health %d", code)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("%v: %s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "stepwise server: stopped") {
		t.Fatalf("stderr: %s", stderr.String())
	}
}

// TestServerChild is the child process of TestServerCommandStopsOnSIGTERM.
func TestServerChild(t *testing.T) {
	if os.Getenv("STEPWISE_TEST_SERVER_CHILD") != "1" {
		t.Skip("run as a child process only")
	}
	os.Exit(Main([]string{"server"}, strings.NewReader(""), os.Stdout, os.Stderr))
}
