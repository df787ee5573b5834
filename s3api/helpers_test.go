package s3api

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"github.com/stepwise-dev/stepwise/internal/clienttest"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/api"
	"github.com/stepwise-dev/stepwise/objstore/local"
)

// testServer is the S3 API over objstore/local in a temporary directory, served over
// real HTTP.
type testServer struct {
	URL   string
	Root  string // the store's root
	Dir   string // the directory holding Root: nothing may be written beside Root
	store *local.Store
	creds map[string]string

	mu sync.Mutex
	// payloads counts the x-amz-content-sha256 kinds the server was sent
	// (UNSIGNED-PAYLOAD, STREAMING-..., "hash" for a hex digest).
	payloads map[string]int
}

// payloadKinds returns what payloads counts.
func (s *testServer) payloadKinds() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.payloads)
}

type serverOpts struct {
	creds map[string]string // signatures checked with these keys when set
	tls   bool
}

func newTestServer(t *testing.T, o serverOpts) *testServer {
	t.Helper()
	dir := t.TempDir()
	root := filepath.Join(dir, "s3")
	st, err := local.New(root, local.WithLogger(testLogger(t)))
	if err != nil {
		t.Fatal(err)
	}
	opts := api.Options{Logger: testLogger(t)}
	var keys api.KeyStore
	if o.creds != nil {
		opts.Verifier = api.NewSigV4Verifier(o.creds)
		keys = api.StaticKeys(o.creds)
	}
	d := api.NewDispatcher(opts)
	svc := New(st, Options{Keys: keys, Logger: testLogger(t)})
	if err := svc.Register(d); err != nil {
		t.Fatal(err)
	}
	ts := &testServer{Root: root, Dir: dir, store: st, creds: o.creds, payloads: map[string]int{}}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		kind := r.Header.Get("X-Amz-Content-Sha256")
		if isHexSHA256(kind) {
			kind = "hash"
		}
		ts.mu.Lock()
		ts.payloads[kind]++
		ts.mu.Unlock()
		d.ServeHTTP(w, r)
	})
	var srv *httptest.Server
	if o.tls {
		srv = httptest.NewTLSServer(h)
	} else {
		srv = httptest.NewServer(h)
	}
	t.Cleanup(srv.Close)
	ts.URL = srv.URL
	return ts
}

// testLogger sends the server's warnings and errors to the test's log, for failures.
func testLogger(t *testing.T) *slog.Logger {
	w := &testWriter{t: t}
	t.Cleanup(func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.done = true
	})
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type testWriter struct {
	mu   sync.Mutex
	t    *testing.T
	done bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimSpace(string(p)))
	}
	return len(p), nil
}

// do sends a request and returns the response with its body read.
func (s *testServer) do(t *testing.T, method, path string, body []byte, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, s.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		if strings.EqualFold(k, "Host") {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	if body == nil {
		req.ContentLength = 0
	}
	return send(t, req)
}

func send(t *testing.T, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// wantError checks an S3 error reply.
func wantError(t *testing.T, resp *http.Response, body []byte, status int, code string) {
	t.Helper()
	if resp.StatusCode != status || !bytes.Contains(body, []byte("<Code>"+code+"</Code>")) {
		t.Fatalf("got %d %s, want %d %s", resp.StatusCode, body, status, code)
	}
}

func mustStatus(t *testing.T, resp *http.Response, body []byte, status int) {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("%s %s: got %d %s, want %d", resp.Request.Method, resp.Request.URL, resp.StatusCode, body, status)
	}
}

// signer signs requests with SigV4 as S3 clients do, for the raw-HTTP tests that need
// signatures checked (the aws CLI and boto3 cannot send signed aws-chunked bodies).
type signer struct {
	key, secret, region string
	now                 time.Time
}

func (sg signer) scope() string {
	return sg.now.Format("20060102") + "/" + sg.region + "/s3/aws4_request"
}

// sign adds the Authorization header; payloadHash is the x-amz-content-sha256 value.
func (sg signer) sign(req *http.Request, payloadHash string) string {
	amzDate := sg.now.UTC().Format("20060102T150405Z")
	req.Header.Set("X-Amz-Date", amzDate)
	req.Header.Set("X-Amz-Content-Sha256", payloadHash)
	names := []string{"host"}
	for k := range req.Header {
		names = append(names, strings.ToLower(k))
	}
	sort.Strings(names)
	var canon strings.Builder
	canon.WriteString(req.Method + "\n" + req.URL.EscapedPath() + "\n")
	q := req.URL.Query()
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		if i > 0 {
			canon.WriteByte('&')
		}
		canon.WriteString(url.QueryEscape(k) + "=" + strings.ReplaceAll(url.QueryEscape(q.Get(k)), "+", "%20"))
	}
	canon.WriteByte('\n')
	for _, n := range names {
		v := req.Host
		if n != "host" {
			v = strings.TrimSpace(req.Header.Get(n))
		}
		canon.WriteString(n + ":" + v + "\n")
	}
	canon.WriteString("\n" + strings.Join(names, ";") + "\n" + payloadHash)
	sum := sha256.Sum256([]byte(canon.String()))
	toSign := "AWS4-HMAC-SHA256\n" + amzDate + "\n" + sg.scope() + "\n" + hex.EncodeToString(sum[:])
	key := signingKey(sg.secret, sg.now.Format("20060102"), sg.region, "s3")
	m := hmac.New(sha256.New, key)
	m.Write([]byte(toSign))
	sig := hex.EncodeToString(m.Sum(nil))
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+sg.key+"/"+sg.scope()+
		", SignedHeaders="+strings.Join(names, ";")+", Signature="+sig)
	return sig
}

// chunkedBody frames data as aws-chunked with chunks of size n, signing each chunk
// when seed is set, and adds trailer lines (signed too when seed is set).
func chunkedBody(sg signer, seed string, data []byte, n int, trailer map[string]string) []byte {
	var b bytes.Buffer
	cs := &chunkSigner{key: signingKey(sg.secret, sg.now.Format("20060102"), sg.region, "s3"),
		amzDate: sg.now.UTC().Format("20060102T150405Z"), scope: sg.scope(), prev: seed}
	write := func(chunk []byte) {
		b.WriteString(strings.ToUpper(hexLen(len(chunk))))
		if seed != "" {
			sum := sha256.Sum256(chunk)
			sig := cs.chunk(sum[:])
			cs.prev = sig
			b.WriteString(";chunk-signature=" + sig)
		}
		b.WriteString("\r\n")
		b.Write(chunk)
		if len(chunk) > 0 {
			b.WriteString("\r\n")
		}
	}
	for len(data) > 0 {
		c := data[:min(n, len(data))]
		data = data[len(c):]
		write(c)
	}
	write(nil)
	names := make([]string, 0, len(trailer))
	for k := range trailer {
		names = append(names, k)
	}
	sort.Strings(names)
	var canon strings.Builder
	for _, k := range names {
		b.WriteString(k + ":" + trailer[k] + "\r\n")
		canon.WriteString(k + ":" + trailer[k] + "\n")
	}
	if seed != "" && len(trailer) > 0 {
		b.WriteString("x-amz-trailer-signature:" + cs.trailer([]byte(canon.String())) + "\r\n")
	}
	b.WriteString("\r\n")
	return b.Bytes()
}

func hexLen(n int) string { return strconv.FormatInt(int64(n), 16) }

// Tools: the aws CLI and python3 (with boto3), run with an environment of their own.

// runCmd runs a command with env in dir; it returns stdout, stderr and the exit code.
func runCmd(t *testing.T, env []string, dir string, name string, args ...string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, toolPath(name), args...)
	cmd.Env, cmd.Dir = env, dir
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ee := (*exec.ExitError)(nil); err != nil && !errors.As(err, &ee) {
		t.Fatalf("%s %v: %v", name, args, err)
	}
	return out.String(), errb.String(), cmd.ProcessState.ExitCode()
}

// walkOutside lists the files under dir that are not under root: anything a request
// wrote where the store must not write.
func walkOutside(t *testing.T, dir, root string) []string {
	t.Helper()
	var out []string
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if p == dir || p == root {
			return nil
		}
		if strings.HasPrefix(p, root+string(filepath.Separator)) {
			return nil
		}
		out = append(out, p)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// The real clients, shared with the api and e2e tests (internal/clienttest).
var (
	toolPath  = clienttest.ToolPath
	needTool  = clienttest.NeedTool
	clientEnv = clienttest.Env
)

func needBoto3(t *testing.T) { clienttest.NeedPython(t, "boto3") }
