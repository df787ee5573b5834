// Command load measures a real `stepwise server` through its HTTP API: StartExecution
// calls per second with their latency, and durable state transitions per second
// sustained by many executions of a chain of Pass states. It runs the same StartExecution
// load against moto's server (its default mode) for comparison. Everything is on
// loopback and bounded in count and time.
//
//	go run ./scripts/load                      # build stepwise, run both phases, then moto
//	go run ./scripts/load -moto=false -starts 50000
//	go run ./scripts/load -cpuprofile /tmp/server.pprof   # profile the server meanwhile
//	go run ./scripts/load -endpoint http://127.0.0.1:8083 # a server you started
//
// See docs/server-performance.md for the figures and how to read them.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/stepwise-dev/stepwise/internal/cli"
	"github.com/stepwise-dev/stepwise/jsonv"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "serve-profiled" {
		os.Exit(serveProfiled(os.Args[2:]))
	}
	os.Exit(run())
}

// serveProfiled is `stepwise server` (the same code as the binary: cli.Main) under a CPU
// profile written when the server stops. Usage: load serve-profiled FILE server ARGS...
func serveProfiled(args []string) int {
	if len(args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: load serve-profiled PROFILE server [args]")
		return 2
	}
	f, err := os.Create(args[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer f.Close()
	if err := pprof.StartCPUProfile(f); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	code := cli.Main(args[1:], os.Stdin, os.Stdout, os.Stderr)
	pprof.StopCPUProfile()
	return code
}

type config struct {
	bin, endpoint, cpuprofile string
	starts, motoStarts        int
	concurrency               int
	executions, states        int
	moto                      bool
	maxTime                   time.Duration
	jsonOut                   string
}

func run() int {
	var c config
	flag.StringVar(&c.bin, "bin", "", "stepwise binary (default: go build ./cmd/stepwise into a temp dir)")
	flag.StringVar(&c.endpoint, "endpoint", "", "measure a running server at this URL instead of starting one")
	flag.StringVar(&c.cpuprofile, "cpuprofile", "", "write the server's CPU profile here (runs the server through this program)")
	flag.IntVar(&c.starts, "starts", 20000, "StartExecution calls against stepwise")
	flag.IntVar(&c.motoStarts, "moto-starts", 3000, "StartExecution calls against moto")
	flag.IntVar(&c.concurrency, "concurrency", 32, "concurrent client connections")
	flag.IntVar(&c.executions, "executions", 5000, "executions of the Pass chain in the transitions phase (0: skip it)")
	flag.IntVar(&c.states, "states", 20, "Pass states in the chain")
	flag.BoolVar(&c.moto, "moto", true, "run the StartExecution load against moto's server too (python3 -m moto.server)")
	flag.DurationVar(&c.maxTime, "max-time", 90*time.Second, "bound on each phase")
	flag.StringVar(&c.jsonOut, "json", "", "also write the results as JSON to this file")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := measure(ctx, c)
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		return 1
	}
	report(os.Stdout, c, res)
	if c.jsonOut != "" {
		b, _ := json.MarshalIndent(res, "", "  ")
		if err := os.WriteFile(c.jsonOut, b, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "load:", err)
			return 1
		}
	}
	return 0
}

// Results are the figures of one run.
type Results struct {
	Machine     string      `json:"machine"`
	GoVersion   string      `json:"go"`
	Concurrency int         `json:"concurrency"`
	Stepwise    StartFigure `json:"stepwise_start"`
	Moto        StartFigure `json:"moto_start"`
	Transitions TransFigure `json:"stepwise_transitions"`
}

// StartFigure is a StartExecution load.
type StartFigure struct {
	Calls    int     `json:"calls"`
	Errors   int     `json:"errors"`
	Seconds  float64 `json:"seconds"`
	PerSec   float64 `json:"per_second"`
	P50ms    float64 `json:"p50_ms"`
	P90ms    float64 `json:"p90_ms"`
	P99ms    float64 `json:"p99_ms"`
	MaxMs    float64 `json:"max_ms"`
	FirstErr string  `json:"first_error,omitempty"`
}

// TransFigure is the transitions phase.
type TransFigure struct {
	Executions    int     `json:"executions"`
	States        int     `json:"states_per_execution"`
	Transitions   int     `json:"transitions"`
	EventsPerExec int     `json:"events_per_execution"`
	Seconds       float64 `json:"seconds"`
	PerSec        float64 `json:"transitions_per_second"`
	EventsPerSec  float64 `json:"events_per_second"`
	StartSeconds  float64 `json:"start_seconds"`
	Succeeded     int     `json:"succeeded"`
}

func measure(ctx context.Context, c config) (*Results, error) {
	res := &Results{Machine: machineDescription(), GoVersion: runtime.Version(), Concurrency: c.concurrency}
	url := c.endpoint
	if url == "" {
		srv, err := startStepwise(ctx, c)
		if err != nil {
			return nil, err
		}
		defer srv.stop()
		url = srv.url
	}
	sw := newClient(url, c.concurrency)

	// Phase 1: StartExecution calls against a one-state machine (the executions run too).
	if err := sw.createStateMachine(ctx, "load-start", passChain(1)); err != nil {
		return nil, err
	}
	fmt.Fprintf(os.Stderr, "stepwise: %d StartExecution calls, %d at a time...\n", c.starts, c.concurrency)
	res.Stepwise = startLoad(ctx, sw, smARN("load-start"), c.starts, c.concurrency, c.maxTime)

	// Phase 2: durable transitions.
	if c.executions > 0 {
		fmt.Fprintf(os.Stderr, "stepwise: %d executions of %d Pass states...\n", c.executions, c.states)
		tf, err := transitions(ctx, sw, c)
		if err != nil {
			return nil, err
		}
		res.Transitions = *tf
	}

	// Phase 3: the same StartExecution load against moto.
	if c.moto {
		m, err := startMoto(ctx)
		if err != nil {
			fmt.Fprintln(os.Stderr, "moto:", err, "(skipped)")
		} else {
			defer m.stop()
			mc := newClient(m.url, c.concurrency)
			if err := mc.createStateMachine(ctx, "load-start", passChain(1)); err != nil {
				return nil, fmt.Errorf("moto: %w", err)
			}
			fmt.Fprintf(os.Stderr, "moto: %d StartExecution calls, %d at a time...\n", c.motoStarts, c.concurrency)
			res.Moto = startLoad(ctx, mc, smARN("load-start"), c.motoStarts, c.concurrency, c.maxTime)
		}
	}
	return res, nil
}

func report(w io.Writer, c config, r *Results) {
	fmt.Fprintf(w, "\nmachine: %s, %s, client concurrency %d\n\n", r.Machine, r.GoVersion, r.Concurrency)
	fmt.Fprintf(w, "%-32s %10s %10s %8s %8s %8s %8s %7s\n", "StartExecution", "calls", "calls/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "errors")
	line := func(name string, f StartFigure) {
		fmt.Fprintf(w, "%-32s %10d %10.0f %8.2f %8.2f %8.2f %8.1f %7d\n", name, f.Calls, f.PerSec, f.P50ms, f.P90ms, f.P99ms, f.MaxMs, f.Errors)
		if f.FirstErr != "" {
			fmt.Fprintf(w, "  first error: %s\n", f.FirstErr)
		}
	}
	line("stepwise (SQLite, Standard)", r.Stepwise)
	if r.Moto.Calls > 0 {
		line("moto server (default mode)", r.Moto)
		fmt.Fprintf(w, "stepwise / moto: %.1fx\n", r.Stepwise.PerSec/r.Moto.PerSec)
	}
	t := r.Transitions
	if t.Executions == 0 {
		return
	}
	fmt.Fprintf(w, "\ndurable transitions: %d executions x %d Pass states = %d transitions (%d history events each)\n",
		t.Executions, t.States, t.Transitions, t.EventsPerExec)
	fmt.Fprintf(w, "  all started in %.2f s, all %d SUCCEEDED after %.2f s: %.0f transitions/s, %.0f events/s\n",
		t.StartSeconds, t.Succeeded, t.Seconds, t.PerSec, t.EventsPerSec)
	fmt.Fprintln(w, "\nbars: StartExecution >= 2000/s:", verdict(r.Stepwise.PerSec >= 2000),
		"| transitions >= 10000/s:", verdict(t.PerSec >= 10000),
		"| >= 10x moto:", verdict(r.Moto.Calls > 0 && r.Stepwise.PerSec >= 10*r.Moto.PerSec))
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT met"
}

// startLoad sends n StartExecution calls from conc workers and times each.
func startLoad(ctx context.Context, c *client, sm string, n, conc int, maxTime time.Duration) StartFigure {
	// A short warm-up: connections, caches.
	for i := range min(100, n) {
		_ = c.call(ctx, "StartExecution", jsonv.ObjectOf("stateMachineArn", sm, "name", fmt.Sprintf("warm-%d", i)), nil)
	}
	ctx, cancel := context.WithTimeout(ctx, maxTime)
	defer cancel()
	lat := make([]time.Duration, n)
	var next, errs atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	begin := time.Now()
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				in := jsonv.ObjectOf("stateMachineArn", sm, "name", "x-"+strconv.Itoa(i), "input", `{"i":`+strconv.Itoa(i)+`}`)
				t0 := time.Now()
				err := c.call(ctx, "StartExecution", in, nil)
				lat[i] = time.Since(t0)
				if err != nil {
					errs.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(begin)
	done := min(int(next.Load()), n)
	lat = lat[:done]
	slices.Sort(lat)
	pct := func(p float64) float64 {
		if len(lat) == 0 {
			return 0
		}
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
	}
	f := StartFigure{Calls: done, Errors: int(errs.Load()), Seconds: elapsed.Seconds(), PerSec: float64(done) / elapsed.Seconds(),
		P50ms: pct(0.50), P90ms: pct(0.90), P99ms: pct(0.99), MaxMs: pct(1)}
	if e, ok := firstErr.Load().(string); ok {
		f.FirstErr = e
	}
	return f
}

// passChain is a definition of n Pass states in a row, each doing a little data flow.
func passChain(n int) string {
	var b strings.Builder
	b.WriteString(`{"StartAt":"S0","States":{`)
	for i := range n {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `"S%d":{"Type":"Pass","Result":%d,"ResultPath":"$.step"`, i, i)
		if i == n-1 {
			b.WriteString(`,"End":true}`)
		} else {
			fmt.Fprintf(&b, `,"Next":"S%d"}`, i+1)
		}
	}
	b.WriteString("}}")
	return b.String()
}

// transitions starts the executions, waits until none runs, and checks the histories.
func transitions(ctx context.Context, c *client, cfg config) (*TransFigure, error) {
	sm := fmt.Sprintf("load-chain%d", cfg.states)
	if err := c.createStateMachine(ctx, sm, passChain(cfg.states)); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.maxTime)
	defer cancel()
	begin := time.Now()
	f := startLoad(ctx, c, smARN(sm), cfg.executions, cfg.concurrency, cfg.maxTime)
	if f.Errors > 0 {
		return nil, fmt.Errorf("%d StartExecution errors, first: %s", f.Errors, f.FirstErr)
	}
	started := time.Since(begin)
	// Poll until no execution of the chain runs.
	for {
		var page struct {
			Executions []json.RawMessage `json:"executions"`
		}
		err := c.call(ctx, "ListExecutions", jsonv.ObjectOf("stateMachineArn", smARN(sm), "statusFilter", "RUNNING", "maxResults", 1.0), &page)
		if err != nil {
			return nil, err
		}
		if len(page.Executions) == 0 {
			break
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("executions still running after %v", cfg.maxTime)
		case <-time.After(20 * time.Millisecond):
		}
	}
	elapsed := time.Since(begin)

	// Count the SUCCEEDED ones and the events of a sample.
	succeeded, token := 0, ""
	for {
		in := jsonv.ObjectOf("stateMachineArn", smARN(sm), "statusFilter", "SUCCEEDED", "maxResults", 1000.0)
		if token != "" {
			in.Set("nextToken", token)
		}
		var page struct {
			Executions []json.RawMessage `json:"executions"`
			NextToken  string            `json:"nextToken"`
		}
		if err := c.call(ctx, "ListExecutions", in, &page); err != nil {
			return nil, err
		}
		succeeded += len(page.Executions)
		if token = page.NextToken; token == "" {
			break
		}
	}
	total := cfg.executions + min(100, cfg.executions) // with the warm-up executions
	if succeeded != total {
		return nil, fmt.Errorf("%d of %d executions SUCCEEDED", succeeded, total)
	}
	events := 0
	for i := 0; i < cfg.executions; i += max(1, cfg.executions/10) {
		var h struct {
			Events []struct {
				Type string `json:"type"`
			} `json:"events"`
		}
		arn := "arn:aws:states:us-east-1:123456789012:execution:" + sm + ":x-" + strconv.Itoa(i)
		if err := c.call(ctx, "GetExecutionHistory", jsonv.ObjectOf("executionArn", arn, "maxResults", 1000.0), &h); err != nil {
			return nil, err
		}
		entered := 0
		for _, e := range h.Events {
			if strings.HasSuffix(e.Type, "StateEntered") {
				entered++
			}
		}
		if entered != cfg.states {
			return nil, fmt.Errorf("%s: %d states entered, want %d", arn, entered, cfg.states)
		}
		events = len(h.Events)
	}
	n := cfg.executions * cfg.states
	return &TransFigure{Executions: cfg.executions, States: cfg.states, Transitions: n, EventsPerExec: events,
		Seconds: elapsed.Seconds(), PerSec: float64(n) / elapsed.Seconds(),
		EventsPerSec: float64(cfg.executions*events) / elapsed.Seconds(), StartSeconds: started.Seconds(), Succeeded: succeeded}, nil
}

// client speaks awsJson 1.0 to a Step Functions endpoint, keeping connections alive.
type client struct {
	url  string
	http *http.Client
}

func newClient(url string, conns int) *client {
	return &client{url: url, http: &http.Client{Timeout: 60 * time.Second,
		Transport: &http.Transport{MaxIdleConns: conns * 2, MaxIdleConnsPerHost: conns * 2}}}
}

func (c *client) call(ctx context.Context, op string, in *jsonv.Object, out any) error {
	body := jsonv.Marshal(in)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url+"/", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", "AWSStepFunctions."+op)
	// Neither server checks signatures on loopback; the scope tells moto the region.
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/states/aws4_request, SignedHeaders=host, Signature=0")
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
		return fmt.Errorf("%s: %d %s", op, res.StatusCode, bytes.TrimSpace(data))
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

func (c *client) createStateMachine(ctx context.Context, name, def string) error {
	return c.call(ctx, "CreateStateMachine", jsonv.ObjectOf("name", name, "definition", def, "roleArn", "arn:aws:iam::123456789012:role/load"), nil)
}

func smARN(name string) string { return "arn:aws:states:us-east-1:123456789012:stateMachine:" + name }

// process is a server this program started.
type process struct {
	url  string
	cmd  *exec.Cmd
	done chan struct{}
	dir  string
}

func (p *process) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
	if p.dir != "" {
		_ = os.RemoveAll(p.dir)
	}
}

func startStepwise(ctx context.Context, c config) (*process, error) {
	dir, err := os.MkdirTemp("", "stepwise-load-")
	if err != nil {
		return nil, err
	}
	bin := c.bin
	if bin == "" && c.cpuprofile == "" {
		// Built from the checkout the program runs in.
		gomod, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
		if err != nil || !strings.HasSuffix(strings.TrimSpace(string(gomod)), "go.mod") {
			return nil, errors.New("run from the stepwise checkout, or pass -bin")
		}
		bin = filepath.Join(dir, "stepwise")
		build := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/stepwise-dev/stepwise/cmd/stepwise")
		build.Dir = filepath.Dir(strings.TrimSpace(string(gomod)))
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return nil, fmt.Errorf("building stepwise: %w", err)
		}
	}
	args := []string{"server", "--listen", "127.0.0.1:0", "--data-dir", filepath.Join(dir, "data"), "--log-level", "warn"}
	var cmd *exec.Cmd
	if c.cpuprofile != "" {
		self, err := os.Executable()
		if err != nil {
			return nil, err
		}
		cmd = exec.Command(self, append([]string{"serve-profiled", c.cpuprofile}, args...)...)
	} else {
		cmd = exec.Command(bin, args...)
	}
	cmd.Env = append(os.Environ(), "STEPWISE_ACCESS_KEY_ID=", "STEPWISE_SECRET_ACCESS_KEY=")
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &process{cmd: cmd, done: make(chan struct{}), dir: dir}
	go func() { _ = cmd.Wait(); close(p.done) }()
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if _, u, ok := strings.Cut(sc.Text(), " serving on "); ok {
			p.url = u
			break
		}
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	if p.url == "" {
		p.stop()
		return nil, errors.New("stepwise server printed no banner")
	}
	return p, nil
}

func startMoto(ctx context.Context) (*process, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	cmd := exec.Command("python3", "-m", "moto.server", "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_DEFAULT_REGION=us-east-1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &process{url: fmt.Sprintf("http://127.0.0.1:%d", port), cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }()
	c := newClient(p.url, 1)
	deadline := time.Now().Add(60 * time.Second)
	for {
		if err := c.call(ctx, "ListStateMachines", jsonv.NewObject(0), nil); err == nil {
			return p, nil
		}
		select {
		case <-p.done:
			return nil, errors.New("moto's server exited (is moto[server] installed?)")
		case <-ctx.Done():
			p.stop()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.stop()
			return nil, errors.New("moto's server did not answer in 60 s")
		}
	}
}

// machineDescription names the CPU and its cores, from /proc/cpuinfo when there is one.
func machineDescription() string {
	model := runtime.GOARCH
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	return fmt.Sprintf("%s, %d CPUs, %s", model, runtime.NumCPU(), runtime.GOOS)
}
