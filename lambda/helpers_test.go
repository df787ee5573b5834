package lambda

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/api"
	"github.com/stepwise-dev/stepwise/logs"
	"github.com/stepwise-dev/stepwise/objstore/local"
	rlocal "github.com/stepwise-dev/stepwise/runner/local"
	"github.com/stepwise-dev/stepwise/store/sqlite"
)

const testRole = "arn:aws:iam::123456789012:role/lambda-role"

// env is the Lambda service (and S3) over real HTTP, with a SQLite store, a directory
// object store and the local runner.
type env struct {
	svc     *Service
	url     string
	objects *local.Store
	sink    *recordingSink
	dir     string

	mu         sync.Mutex
	s3Requests []string // Authorization headers of the tiny S3's requests
}

type envOption func(*Config, *rlocal.Options)

func unsandboxed() envOption {
	return func(_ *Config, o *rlocal.Options) { o.Unsandboxed = true }
}

func newEnv(t testing.TB, opts ...envOption) *env {
	t.Helper()
	dir := t.TempDir()
	st, err := sqlite.Open(t.Context(), filepath.Join(dir, "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	objects, err := local.New(filepath.Join(dir, "s3"))
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if os.Getenv("LAMBDA_TEST_LOG") != "" {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	e := &env{objects: objects, sink: newRecordingSink(), dir: dir}
	cfg := Config{Store: st, Objects: objects, Dir: filepath.Join(dir, "lambda"), Logs: e.sink, Logger: logger,
		Endpoint: func() string { return e.url }}
	ro := rlocal.Options{Logger: logger}
	for _, o := range opts {
		o(&cfg, &ro)
	}
	if cfg.Runner == nil {
		r, err := rlocal.New(ro)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Runner = r
	}
	e.svc = New(cfg)
	if err := e.svc.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	d := api.NewDispatcher(api.Options{Logger: logger})
	if err := e.svc.Register(d); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if k, ok := strings.CutPrefix(r.URL.Path, "/"+tinyBucket+"/"); ok && r.Method == http.MethodGet {
			e.serveTinyS3(w, r, k)
			return
		}
		d.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	e.url = srv.URL
	svc := e.svc
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = svc.Stop(ctx)
	})
	return e
}

// reply is an HTTP reply read whole.
type reply struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r *reply) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("reply %d %q: %v", r.Status, r.Body, err)
	}
	return m
}

func (e *env) do(t testing.TB, method, path string, body []byte, header map[string]string) *reply {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, e.url+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return &reply{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// fn describes a function to create.
type fn struct {
	Name    string
	Runtime string
	Handler string
	Files   map[string]string
	Exec    []string // files to mark executable
	Timeout int
	Memory  int
	Env     map[string]string
}

func (e *env) create(t testing.TB, f fn) *reply {
	t.Helper()
	in := map[string]any{"FunctionName": f.Name, "Runtime": f.Runtime, "Role": testRole, "Handler": f.Handler,
		"Code": map[string]any{"ZipFile": base64.StdEncoding.EncodeToString(zipOf(t, f.Files, f.Exec...))}}
	if f.Timeout != 0 {
		in["Timeout"] = f.Timeout
	}
	if f.Memory != 0 {
		in["MemorySize"] = f.Memory
	}
	if f.Env != nil {
		in["Environment"] = map[string]any{"Variables": f.Env}
	}
	b, _ := json.Marshal(in)
	return e.do(t, http.MethodPost, "/2015-03-31/functions", b, nil)
}

func (e *env) mustCreate(t testing.TB, f fn) {
	t.Helper()
	if r := e.create(t, f); r.Status != http.StatusCreated {
		t.Fatalf("create %s: %d %s", f.Name, r.Status, r.Body)
	}
}

func (e *env) invoke(t testing.TB, name, payload string, header map[string]string) *reply {
	t.Helper()
	return e.do(t, http.MethodPost, "/2015-03-31/functions/"+name+"/invocations", []byte(payload), header)
}

func zipOf(t testing.TB, files map[string]string, exec ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range files {
		h := &zip.FileHeader{Name: name, Method: zip.Deflate}
		mode := os.FileMode(0o644)
		for _, x := range exec {
			if x == name {
				mode = 0o755
			}
		}
		h.SetMode(mode)
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(w, body); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// recordingSink keeps the log events it is given and lets a test wait for a line.
type recordingSink struct {
	mu     sync.Mutex
	events map[string][]logs.Event // by group + " " + stream
	wake   chan struct{}
}

func newRecordingSink() *recordingSink {
	return &recordingSink{events: map[string][]logs.Event{}, wake: make(chan struct{})}
}

func (s *recordingSink) Put(_ context.Context, group, stream string, events ...logs.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events[group+" "+stream] = append(s.events[group+" "+stream], events...)
	close(s.wake)
	s.wake = make(chan struct{})
	return nil
}

// lines returns every message of a group, stream by stream.
func (s *recordingSink) lines(group string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for k, evs := range s.events {
		if strings.HasPrefix(k, group+" ") {
			for _, e := range evs {
				out = append(out, e.Message)
			}
		}
	}
	return out
}

func (s *recordingSink) streams(group string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for k := range s.events {
		if g, st, _ := strings.Cut(k, " "); g == group {
			out = append(out, st)
		}
	}
	return out
}

// waitFor waits until a line of group contains sub.
func (s *recordingSink) waitFor(t testing.TB, group, sub string) {
	t.Helper()
	deadline := time.After(60 * time.Second)
	for {
		s.mu.Lock()
		wake := s.wake
		s.mu.Unlock()
		for _, l := range s.lines(group) {
			if strings.Contains(l, sub) {
				return
			}
		}
		select {
		case <-wake:
		case <-deadline:
			t.Fatalf("no log line of %s contains %q; lines: %q", group, sub, s.lines(group))
		}
	}
}

// tinyBucket is served by the test server itself: GetObject of a key answers the key
// reversed, and records who asked (the boto3 inside a handler).
const tinyBucket = "tiny-bucket"

func (e *env) serveTinyS3(w http.ResponseWriter, r *http.Request, key string) {
	e.mu.Lock()
	e.s3Requests = append(e.s3Requests, r.Header.Get("Authorization"))
	e.mu.Unlock()
	b := []byte(key)
	for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
	w.Header().Set("Content-Type", "binary/octet-stream")
	w.Header().Set("ETag", `"0"`)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	_, _ = w.Write(b)
}
