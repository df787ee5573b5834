package sns

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec // verifying SignatureVersion 1
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/api"
	"github.com/stepwise-dev/stepwise/internal/clienttest"
	"github.com/stepwise-dev/stepwise/internal/clock"
	"github.com/stepwise-dev/stepwise/store"
	"github.com/stepwise-dev/stepwise/store/sqlite"
)

// env is the SNS service over SQLite on a temporary file, behind a dispatcher served
// over real HTTP, with a manual clock.
type env struct {
	st   store.Store
	clk  *clock.Manual
	svc  *Service
	srv  *httptest.Server
	disp atomic.Pointer[api.Dispatcher]
	opts []func(*Config)
	// attempted receives every delivery attempt once it is recorded.
	attempted chan Delivery
}

var epoch = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func newEnv(t *testing.T, opts ...func(*Config)) *env {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	e := &env{st: st, clk: clock.NewManual(epoch), opts: opts, attempted: make(chan Delivery, 100)}
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.disp.Load().ServeHTTP(w, r)
	}))
	t.Cleanup(e.srv.Close)
	e.start(t)
	return e
}

// start (re)starts the service over the env's store and clock.
func (e *env) start(t *testing.T) {
	t.Helper()
	cfg := Config{Store: e.st, Clock: e.clk, Endpoint: func() string { return e.srv.URL }}
	for _, o := range e.opts {
		o(&cfg)
	}
	svc := New(cfg)
	svc.attempted = e.attempted
	if err := svc.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Stop(context.Background()) })
	d := api.NewDispatcher(api.Options{})
	if err := svc.Register(d); err != nil {
		t.Fatal(err)
	}
	e.svc = svc
	e.disp.Store(d)
}

// restart stops the service and starts a new one on the same store, as a server
// restart does.
func (e *env) restart(t *testing.T) {
	t.Helper()
	if err := e.svc.Stop(t.Context()); err != nil {
		t.Fatal(err)
	}
	e.start(t)
}

// subscriber is an HTTP endpoint run by a test: it records what SNS posts, answers 503
// while down, and confirms subscriptions by fetching SubscribeURL when autoConfirm.
type subscriber struct {
	t           *testing.T
	srv         *httptest.Server
	down        atomic.Bool
	refuse      atomic.Bool // answer 404
	autoConfirm bool
	got         chan received
	attempts    atomic.Int32
}

type received struct {
	header http.Header
	body   []byte
	msg    map[string]any // the decoded envelope (nil for raw deliveries)
}

func newSubscriber(t *testing.T, autoConfirm bool) *subscriber {
	s := &subscriber{t: t, autoConfirm: autoConfirm, got: make(chan received, 100)}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *subscriber) serve(w http.ResponseWriter, r *http.Request) {
	s.attempts.Add(1)
	if s.down.Load() {
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
		return
	}
	if s.refuse.Load() {
		http.NotFound(w, r)
		return
	}
	body, _ := io.ReadAll(r.Body)
	rc := received{header: r.Header.Clone(), body: body}
	if r.Header.Get("x-amz-sns-rawdelivery") != "true" {
		_ = json.Unmarshal(body, &rc.msg)
	}
	if s.autoConfirm && r.Header.Get("x-amz-sns-message-type") == typeConfirmation {
		resp, err := http.Get(rc.msg["SubscribeURL"].(string))
		if err != nil {
			s.t.Errorf("confirming: %v", err)
		} else {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !bytes.Contains(b, []byte("<ConfirmSubscriptionResult>")) {
				s.t.Errorf("SubscribeURL answered %d: %s", resp.StatusCode, b)
			}
		}
	}
	s.got <- rc
	w.WriteHeader(http.StatusOK)
}

// next waits for the next message posted.
func (s *subscriber) next(t *testing.T) received {
	t.Helper()
	select {
	case r := <-s.got:
		return r
	case <-t.Context().Done():
		t.Fatal("no message reached the subscriber")
	}
	return received{}
}

// none checks nothing more was posted (what was posted is already in the channel:
// deliveries happen before the clock advance that triggers them returns its effects).
func (s *subscriber) none(t *testing.T) {
	t.Helper()
	select {
	case r := <-s.got:
		t.Fatalf("unexpected message: %s", r.body)
	default:
	}
}

// verifySignature checks an envelope's signature with the certificate at its
// SigningCertURL, as subscribers' SNS message validators do.
func verifySignature(t *testing.T, msg map[string]any) {
	t.Helper()
	resp, err := http.Get(msg["SigningCertURL"].(string))
	if err != nil {
		t.Fatal(err)
	}
	certPEM, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	block, _ := pem.Decode(certPEM)
	if block == nil {
		t.Fatalf("SigningCertURL served %d %q", resp.StatusCode, certPEM)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	switch msg["Type"] {
	case typeNotification:
		names = []string{"Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"}
	default:
		names = []string{"Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"}
	}
	var b strings.Builder
	for _, n := range names {
		if v, ok := msg[n].(string); ok {
			b.WriteString(n + "\n" + v + "\n")
		}
	}
	sig, err := base64.StdEncoding.DecodeString(msg["Signature"].(string))
	if err != nil {
		t.Fatal(err)
	}
	pub := cert.PublicKey.(*rsa.PublicKey)
	if msg["SignatureVersion"] == "2" {
		sum := sha256.Sum256([]byte(b.String()))
		err = rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig)
	} else {
		sum := sha1.Sum([]byte(b.String())) //nolint:gosec // SignatureVersion 1
		err = rsa.VerifyPKCS1v15(pub, crypto.SHA1, sum[:], sig)
	}
	if err != nil {
		t.Fatalf("signature does not verify: %v", err)
	}
}

// waitTimer waits until a delivery loop is blocked on the clock.
func (e *env) waitTimer(t *testing.T) {
	t.Helper()
	for e.clk.Pending() == 0 {
		select {
		case <-e.clk.Waiters():
		case <-t.Context().Done():
			t.Fatal("no delivery is waiting for a retry")
		}
	}
}

// message returns the one kept message of a topic.
func (e *env) messages(t *testing.T, topicArn string) []Message {
	t.Helper()
	msgs, err := e.svc.Messages(t.Context(), topicArn)
	if err != nil {
		t.Fatal(err)
	}
	return msgs
}

// attempt waits for the next recorded delivery attempt.
func (e *env) attempt(t *testing.T) Delivery {
	t.Helper()
	select {
	case d := <-e.attempted:
		return d
	case <-t.Context().Done():
		t.Fatal("no delivery attempt was recorded")
	}
	return Delivery{}
}

// runAWS runs the aws CLI against the env's server.
func (e *env) runAWS(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	clienttest.NeedTool(t, "aws")
	cmd := exec.CommandContext(t.Context(), clienttest.ToolPath("aws"), append([]string{"--endpoint-url", e.srv.URL, "--output", "json"}, args...)...)
	cmd.Env = clienttest.Env(t, "test", "test")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ee := (*exec.ExitError)(nil); err != nil && !errors.As(err, &ee) {
		t.Fatalf("aws %v: %v", args, err)
	}
	return out.String(), errb.String(), cmd.ProcessState.ExitCode()
}

// awsOK runs the aws CLI and decodes its JSON output.
func (e *env) awsOK(t *testing.T, args ...string) map[string]any {
	t.Helper()
	out, errb, code := e.runAWS(t, args...)
	if code != 0 {
		t.Fatalf("aws %v: exit %d: %s", args, code, errb)
	}
	var v map[string]any
	if strings.TrimSpace(out) == "" {
		return v
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("aws %v: %v\n%s", args, err, out)
	}
	return v
}

// awsFails runs the aws CLI and expects the error text.
func (e *env) awsFails(t *testing.T, want string, args ...string) {
	t.Helper()
	_, errb, code := e.runAWS(t, args...)
	if code == 0 || !strings.Contains(errb, want) {
		t.Fatalf("aws %v: exit %d, want %q in:\n%s", args, code, want, errb)
	}
}

func (e *env) topic(t *testing.T, name string) string {
	t.Helper()
	arn, err := e.svc.CreateTopic(t.Context(), name, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return arn
}

func httpGet(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
