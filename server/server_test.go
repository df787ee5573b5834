package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/api"
)

// call GETs url, or POSTs {} with the headers when there are any.
func call(t *testing.T, url string, header map[string]string) (int, string) {
	t.Helper()
	method, body := "GET", io.Reader(nil)
	if header != nil {
		method, body = "POST", strings.NewReader("{}")
	}
	req, err := http.NewRequestWithContext(t.Context(), method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func start(t *testing.T, cfg Config) *Server {
	t.Helper()
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:0"
	}
	if cfg.DataDir == "" {
		cfg.DataDir = filepath.Join(t.TempDir(), "data")
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Stop(context.Background()) })
	return s
}

func TestServerServesHealthAndStops(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "nested", "data")
	s := start(t, Config{DataDir: dir, Version: "v-test"})
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o700 {
		t.Fatalf("data directory: %v %v", fi, err)
	}
	if s.DatabasePath() != filepath.Join(dir, "stepwise.db") || s.DataDir() != dir {
		t.Errorf("paths %s %s", s.DataDir(), s.DatabasePath())
	}
	if !strings.HasPrefix(s.URL(), "http://127.0.0.1:") || strings.HasSuffix(s.URL(), ":0") {
		t.Errorf("url %s", s.URL())
	}
	code, body := call(t, s.URL()+"/_stepwise/health", nil)
	var h struct{ Status, Version, Region, AccountID string }
	if err := json.Unmarshal([]byte(body), &h); err != nil || code != 200 || h.Status != "ok" || h.Version != "v-test" ||
		h.Region != "us-east-1" {
		t.Fatalf("%d %s", code, body)
	}
	if err := s.Start(t.Context()); err == nil {
		t.Error("started twice")
	}
	if err := s.Stop(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(t.Context()); err != nil {
		t.Fatal("second stop:", err)
	}
	<-s.Done()
	if s.Err() != nil {
		t.Fatal(s.Err())
	}
	if _, err := http.Get(s.URL() + "/_stepwise/health"); err == nil {
		t.Fatal("still serving after Stop")
	}
}

func TestStopBeforeStart(t *testing.T) {
	t.Parallel()
	s, err := New(Config{Listen: "127.0.0.1:0", DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(t.Context()); err == nil {
		t.Fatal("started after Stop")
	}
}

func TestListenBeyondLoopbackNeedsCredentials(t *testing.T) {
	t.Parallel()
	creds := map[string]string{"AKID": "secret"}
	tests := []struct {
		listen string
		creds  map[string]string
		ok     bool
	}{
		{"127.0.0.1:0", nil, true},
		{"127.0.0.2:0", nil, true},
		{"[::1]:0", nil, true},
		{"localhost:0", nil, true},
		{"0.0.0.0:8083", nil, false},
		{":8083", nil, false},
		{"[::]:8083", nil, false},
		{"192.168.1.10:8083", nil, false},
		{"my-host.example:8083", nil, false},
		{"0.0.0.0:8083", creds, true},
		{"192.168.1.10:8083", creds, true},
		{"no-port", nil, false},
	}
	for _, tt := range tests {
		_, err := New(Config{Listen: tt.listen, DataDir: t.TempDir(), Credentials: tt.creds})
		if (err == nil) != tt.ok {
			t.Errorf("%s creds=%v: %v", tt.listen, tt.creds != nil, err)
		}
		if err != nil && tt.listen != "no-port" && !errors.Is(err, ErrCredentialsRequired) {
			t.Errorf("%s: %v is not ErrCredentialsRequired", tt.listen, err)
		}
	}
	if _, err := New(Config{Listen: "0.0.0.0:0", Credentials: map[string]string{"AKID": ""}, DataDir: t.TempDir()}); err == nil {
		t.Error("empty secret accepted")
	}
}

func TestConfigChecks(t *testing.T) {
	t.Parallel()
	for _, id := range []string{"12345678901", "1234567890123", "12345678901x"} {
		if _, err := New(Config{AccountID: id, DataDir: t.TempDir()}); err == nil {
			t.Errorf("account id %q accepted", id)
		}
	}
	s, err := New(Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if s.URL() != "http://127.0.0.1:8083" || s.Region() != "us-east-1" || s.AccountID() != "123456789012" || s.SignaturesChecked() {
		t.Errorf("defaults: %s %s %s %v", s.URL(), s.Region(), s.AccountID(), s.SignaturesChecked())
	}
}

func TestDataDirDefaultsToHome(t *testing.T) {
	t.Parallel()
	home, err := os.UserHomeDir()
	if err != nil {
		t.Skip("no home directory")
	}
	for in, want := range map[string]string{
		"":         filepath.Join(home, ".stepwise"),
		"~/sw":     filepath.Join(home, "sw"),
		"/tmp/x/.": "/tmp/x",
	} {
		if got, err := ResolveDataDir(in); err != nil || got != want {
			t.Errorf("%q: got %q %v, want %q", in, got, err, want)
		}
	}
	got, err := ResolveDataDir("rel")
	if err != nil || !filepath.IsAbs(got) {
		t.Errorf("relative: %q %v", got, err)
	}
}

// lifecycleService records its lifecycle and serves one JSON operation that can be held
// open, to see requests in flight across Stop.
type lifecycleService struct {
	name      string
	log       *[]string
	mu        *sync.Mutex
	failStart bool
	entered   chan struct{}
	release   chan struct{}
}

func (l *lifecycleService) record(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	*l.log = append(*l.log, s)
}

func (l *lifecycleService) Register(d *api.Dispatcher) error {
	if l.entered == nil {
		return nil
	}
	return d.RegisterJSON(&api.JSONService{
		TargetPrefix: "AWSStepFunctions", SigningName: "states", Protocol: api.ProtocolJSON10,
		Operations: map[string]api.JSONHandler{
			"ListStateMachines": func(context.Context, []byte) (any, error) {
				close(l.entered)
				<-l.release
				return map[string][]string{"stateMachines": {}}, nil
			},
		},
	})
}

func (l *lifecycleService) Start(context.Context) error {
	if l.failStart {
		return fmt.Errorf("%s cannot start", l.name)
	}
	l.record("start " + l.name)
	return nil
}

func (l *lifecycleService) Stop(context.Context) error {
	l.record("stop " + l.name)
	return nil
}

func TestServicesStartInOrderAndStopInReverse(t *testing.T) {
	t.Parallel()
	var log []string
	var mu sync.Mutex
	a := &lifecycleService{name: "a", log: &log, mu: &mu}
	b := &lifecycleService{name: "b", log: &log, mu: &mu}
	s := start(t, Config{Services: []Service{a, b}})
	if err := s.Stop(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(log, ","); got != "start a,start b,stop b,stop a" {
		t.Fatal(got)
	}

	log = nil
	c := &lifecycleService{name: "c", log: &log, mu: &mu, failStart: true}
	s2, err := New(Config{Listen: "127.0.0.1:0", DataDir: t.TempDir(), Services: []Service{a, c}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s2.Start(t.Context()); err == nil || !strings.Contains(err.Error(), "c cannot start") {
		t.Fatalf("start: %v", err)
	}
	if got := strings.Join(log, ","); got != "start a,stop a" {
		t.Fatalf("a failed start must stop what started: %s", got)
	}
}

func TestStopWaitsForRequestsInFlight(t *testing.T) {
	t.Parallel()
	var log []string
	var mu sync.Mutex
	svc := &lifecycleService{name: "sfn", log: &log, mu: &mu, entered: make(chan struct{}), release: make(chan struct{})}
	s := start(t, Config{Services: []Service{svc}})
	type result struct {
		code int
		body string
	}
	done := make(chan result, 1)
	go func() {
		req, _ := http.NewRequest("POST", s.URL(), strings.NewReader("{}"))
		req.Header.Set("X-Amz-Target", "AWSStepFunctions.ListStateMachines")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- result{0, err.Error()}
			return
		}
		b, _ := io.ReadAll(res.Body)
		_ = res.Body.Close()
		done <- result{res.StatusCode, string(b)}
	}()
	<-svc.entered
	// A Stop that may not wait gives up on the request in flight.
	expired, cancel := context.WithCancel(t.Context())
	cancel()
	stopped := make(chan error, 1)
	go func() { stopped <- s.Stop(expired) }()
	if err := <-stopped; !errors.Is(err, context.Canceled) {
		t.Fatalf("stop with an expired context: %v", err)
	}
	close(svc.release)
	<-done
}

func TestStopLetsRequestsInFlightFinish(t *testing.T) {
	t.Parallel()
	var log []string
	var mu sync.Mutex
	svc := &lifecycleService{name: "sfn", log: &log, mu: &mu, entered: make(chan struct{}), release: make(chan struct{})}
	s := start(t, Config{Services: []Service{svc}})
	done := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest("POST", s.URL(), strings.NewReader("{}"))
		req.Header.Set("X-Amz-Target", "AWSStepFunctions.ListStateMachines")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- 0
			return
		}
		_ = res.Body.Close()
		done <- res.StatusCode
	}()
	<-svc.entered
	stopped := make(chan error, 1)
	go func() { stopped <- s.Stop(t.Context()) }()
	close(svc.release)
	if code := <-done; code != 200 {
		t.Fatalf("request in flight: %d", code)
	}
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
}

func TestCredentialsTurnOnSignatureChecks(t *testing.T) {
	t.Parallel()
	var log []string
	var mu sync.Mutex
	svc := &lifecycleService{name: "sfn", log: &log, mu: &mu, entered: make(chan struct{}), release: make(chan struct{})}
	s := start(t, Config{Credentials: map[string]string{"AKID": "secret"}, Services: []Service{svc}})
	if !s.SignaturesChecked() {
		t.Fatal("signatures not checked")
	}
	code, body := call(t, s.URL(), map[string]string{"X-Amz-Target": "AWSStepFunctions.ListStateMachines"})
	if code != 400 || !strings.Contains(body, "MissingAuthenticationTokenException") {
		t.Fatalf("%d %s", code, body)
	}
	if code, _ := call(t, s.URL()+"/_stepwise/health", nil); code != 200 {
		t.Fatalf("health %d", code)
	}
}

// listService answers ListStateMachines with one state machine.
type listService struct{}

func (listService) Register(d *api.Dispatcher) error {
	type sm struct {
		StateMachineArn string        `json:"stateMachineArn"`
		Name            string        `json:"name"`
		Type            string        `json:"type"`
		CreationDate    api.Timestamp `json:"creationDate"`
	}
	type out struct {
		StateMachines []sm `json:"stateMachines"`
	}
	return d.RegisterJSON(&api.JSONService{
		TargetPrefix: "AWSStepFunctions", SigningName: "states", Protocol: api.ProtocolJSON10,
		Operations: map[string]api.JSONHandler{
			"ListStateMachines": api.JSONOp(func(ctx context.Context, _ *struct{}) (*out, error) {
				ri := api.RequestInfoFrom(ctx)
				arn := "arn:aws:states:" + ri.Region + ":" + ri.AccountID + ":stateMachine:only"
				return &out{[]sm{{arn, "only", "STANDARD", api.NewTimestamp(time.Unix(1767225600, 0))}}}, nil
			}),
		},
	})
}

// The aws CLI against a real port, with signatures required.
func TestAWSCLIAgainstSignedServer(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("the aws CLI is not installed")
	}
	s := start(t, Config{Credentials: map[string]string{"AKIDSERVER": "server-secret"}, Region: "eu-west-1",
		Services: []Service{listService{}}})
	aws := func(key, secret string) (string, error) {
		cmd := exec.CommandContext(t.Context(), "aws", "--endpoint-url", s.URL(), "--output", "text",
			"stepfunctions", "list-state-machines", "--query", "stateMachines[0].stateMachineArn")
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "AWS_ACCESS_KEY_ID=" + key,
			"AWS_SECRET_ACCESS_KEY=" + secret, "AWS_DEFAULT_REGION=eu-west-1", "AWS_CONFIG_FILE=/dev/null",
			"AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_MAX_ATTEMPTS=1", "PYENV_ROOT=" + os.Getenv("PYENV_ROOT")}
		out, err := cmd.CombinedOutput()
		return strings.TrimSpace(string(out)), err
	}
	if out, err := aws("AKIDSERVER", "server-secret"); err != nil || out != "arn:aws:states:eu-west-1:123456789012:stateMachine:only" {
		t.Fatalf("%v: %s", err, out)
	}
	if out, err := aws("AKIDSERVER", "guess"); err == nil || !strings.Contains(out, "(InvalidSignatureException)") {
		t.Fatalf("wrong secret: %v: %s", err, out)
	}
}

// pollService holds ListStateMachines open until the server drains, as a long poll does.
type pollService struct{ entered chan struct{} }

func (p pollService) Register(d *api.Dispatcher) error {
	return d.RegisterJSON(&api.JSONService{
		TargetPrefix: "AWSStepFunctions", SigningName: "states", Protocol: api.ProtocolJSON10,
		Operations: map[string]api.JSONHandler{
			"ListStateMachines": func(ctx context.Context, _ []byte) (any, error) {
				close(p.entered)
				select {
				case <-d.Draining():
					return nil, nil
				case <-ctx.Done():
					return nil, ctx.Err()
				}
			},
		},
	})
}

func TestStopDrainsLongPolls(t *testing.T) {
	t.Parallel()
	svc := pollService{entered: make(chan struct{})}
	s := start(t, Config{Services: []Service{svc}})
	done := make(chan string, 1)
	go func() {
		req, _ := http.NewRequest("POST", s.URL(), strings.NewReader("{}"))
		req.Header.Set("X-Amz-Target", "AWSStepFunctions.ListStateMachines")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- err.Error()
			return
		}
		b, _ := io.ReadAll(res.Body)
		_ = res.Body.Close()
		done <- fmt.Sprint(res.StatusCode, " ", string(b))
	}()
	<-svc.entered
	// No deadline: Stop returns only because the poll answered.
	if err := s.Stop(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := <-done; got != "200 {}" {
		t.Fatal(got)
	}
}
