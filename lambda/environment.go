package lambda

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/stepwise-dev/stepwise/logs"
	"github.com/stepwise-dev/stepwise/runner"
)

// Limits of an invocation.
const (
	maxSyncPayload     = 6291456
	maxAsyncPayload    = 1 << 20
	maxResponsePayload = 6291456
	// initTimeout bounds the runtime's start (its first /next), unless the function's
	// own timeout is longer.
	initTimeout = 10 * time.Second
	// flushWait bounds the wait for an embedded runtime client's flush marks: the output
	// it printed before reporting is read from pipes by another goroutine.
	flushWait = 2 * time.Second
	// tailBytes is how much of an invocation's log LogResult returns.
	tailBytes = 4096
	// stopGrace is how long an ended environment's process gets between SIGTERM and
	// SIGKILL.
	stopGrace = 500 * time.Millisecond
)

// invocation is one call of a function in an environment.
type invocation struct {
	id            string
	payload       []byte
	arn           string // the ARN it was invoked by (Lambda-Runtime-Invoked-Function-Arn)
	clientContext string
	traceID       string
	timeout       time.Duration
	start         time.Time // when the runtime took it (guarded by environment.mu)

	done    chan outcome // receives the runtime's report once
	flushed chan struct{}
	marks   int // flush marks seen (guarded by environment.logMu)
	log     []byte
}

// outcome is how an invocation ended.
type outcome struct {
	payload []byte
	// functionError: the function failed (X-Amz-Function-Error: Unhandled). unknown:
	// Lambda itself ended it (timeout, crash, out of memory): its payload has no error
	// type that Step Functions could use, which reports Lambda.Unknown.
	functionError bool
	unknown       bool
	errorType     string
	// report is what the REPORT line adds: "timeout", or "error" with errorType.
	report string
}

// environment is one warm execution environment: a runtime process and the Runtime API
// it speaks to.
type environment struct {
	p        *pool
	id       string
	revision string
	cfg      FunctionConfiguration
	stream   string // log stream
	group    string
	ours     bool // the runtime client is stepwise's: it prints flush marks
	dir      string
	started  time.Time

	job     runner.Job
	ln      net.Listener
	srv     *http.Server
	next    chan *invocation
	ready   chan struct{} // closed at the runtime's first /next
	stopped chan struct{} // closed when the environment is being ended
	stopMu  sync.Once

	mu           sync.Mutex
	cur          *invocation
	initDuration time.Duration
	initErr      []byte
	initErrType  string
	idleStop     func() bool
	invocations  int

	logMu   sync.Mutex
	logFile *os.File
	pre     []byte // output before an invocation began (init), for the next LogResult
}

func newID(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// startEnvironment starts a runtime process for a function's configuration.
func (p *pool) startEnvironment(ctx context.Context, doc *functionDoc) (*environment, error) {
	s := p.s
	now := s.cfg.Clock.Now().UTC()
	e := &environment{
		p:        p,
		id:       newID(8),
		revision: doc.Configuration.RevisionID,
		cfg:      doc.Configuration,
		group:    doc.Configuration.LoggingConfig.LogGroup,
		ours:     kindOf(doc.Configuration.Runtime) != kindProvided,
		started:  now,
		next:     make(chan *invocation),
		ready:    make(chan struct{}),
		stopped:  make(chan struct{}),
	}
	if e.group == "" {
		e.group = "/aws/lambda/" + p.name
	}
	hexID := newID(16)
	e.stream = now.Format("2006/01/02") + "/[" + latest + "]" + hexID
	e.dir = filepath.Join(s.envsDir(), p.name+"-"+e.id)
	if err := os.MkdirAll(e.dir, 0o755); err != nil {
		return nil, fmt.Errorf("lambda: environment: %w", err)
	}
	logDir := filepath.Join(s.cfg.Dir, "logs", p.name)
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		return nil, fmt.Errorf("lambda: logs: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(logDir, now.Format("2006-01-02")+"-"+hexID+".log"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lambda: logs: %w", err)
	}
	e.logFile = f
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		e.cleanup()
		return nil, fmt.Errorf("lambda: runtime API: %w", err)
	}
	e.ln = ln
	e.srv = &http.Server{Handler: e.runtimeAPI(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = e.srv.Serve(ln) }()

	spec := e.spec(doc)
	job, err := s.cfg.Runner.Start(ctx, spec)
	if err != nil {
		e.cleanup()
		return nil, fmt.Errorf("lambda: starting the runtime: %w", err)
	}
	e.job = job
	s.log.Debug("environment started", "function", p.name, "environment", e.id, "stream", e.stream)
	return e, nil
}

// spec is the runner spec of the environment's process.
func (e *environment) spec(doc *functionDoc) *runner.Spec {
	s := e.p.s
	c := &doc.Configuration
	code := filepath.Join(s.codeDir(e.p.name, doc.CodeID), "var")
	taskRoot, runtimeDir := "/var/task", "/var/runtime"
	var binds []runner.Bind
	if s.cfg.Runner.Sandboxed() {
		binds = []runner.Bind{
			{Host: code, Sandbox: "/var", ReadOnly: true},
			{Host: s.runtimeDir(), Sandbox: runtimeDir, ReadOnly: true},
		}
	} else {
		// Without a sandbox only paths under /opt/ml can be made up (as links in the
		// environment's directory): the code is there instead.
		taskRoot, runtimeDir = "/opt/ml/task", "/opt/ml/runtime"
		binds = []runner.Bind{
			{Host: filepath.Join(code, "task"), Sandbox: taskRoot, ReadOnly: true},
			{Host: s.runtimeDir(), Sandbox: runtimeDir, ReadOnly: true},
		}
	}
	env := map[string]string{}
	if c.Environment != nil {
		for k, v := range c.Environment.Variables {
			env[k] = v
		}
	}
	if s.cfg.Endpoint != nil {
		if u := s.cfg.Endpoint(); u != "" {
			if _, set := env["AWS_ENDPOINT_URL"]; !set {
				env["AWS_ENDPOINT_URL"] = u
			}
		}
	}
	for k, v := range map[string]string{
		"AWS_LAMBDA_FUNCTION_NAME":        c.FunctionName,
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": strconv.Itoa(c.MemorySize),
		"AWS_LAMBDA_FUNCTION_VERSION":     latest,
		"AWS_LAMBDA_INITIALIZATION_TYPE":  "on-demand",
		"AWS_LAMBDA_LOG_GROUP_NAME":       e.group,
		"AWS_LAMBDA_LOG_STREAM_NAME":      e.stream,
		"AWS_LAMBDA_RUNTIME_API":          e.ln.Addr().String(),
		"AWS_REGION":                      s.cfg.Region,
		"AWS_DEFAULT_REGION":              s.cfg.Region,
		"AWS_ACCESS_KEY_ID":               "ASIASTEPWISELAMBDA00",
		"AWS_SECRET_ACCESS_KEY":           "stepwise-lambda-execution-role-secret",
		"AWS_SESSION_TOKEN":               "stepwise-lambda-session-" + e.id,
		"LAMBDA_TASK_ROOT":                taskRoot,
		"LAMBDA_RUNTIME_DIR":              runtimeDir,
		"_HANDLER":                        c.Handler,
		"TZ":                              ":UTC",
	} {
		env[k] = v
	}
	if s.cfg.Credentials != nil {
		id, secret, token := s.cfg.Credentials()
		env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"] = id, secret
		if token != "" {
			env["AWS_SESSION_TOKEN"] = token
		} else {
			delete(env, "AWS_SESSION_TOKEN")
		}
	}
	if x := executionEnv(c.Runtime); x != "" {
		env["AWS_EXECUTION_ENV"] = x
	}
	if kindOf(c.Runtime) == kindNode {
		env["NODE_PATH"] = "/opt/nodejs/node_modules:" + taskRoot + "/node_modules"
	}
	mem := int64(c.MemorySize) << 20
	if l, ok := s.cfg.Runner.(interface{ Limits() string }); ok && l.Limits() == "rlimit" && kindOf(c.Runtime) == kindNode {
		// V8 reserves far more address space than it uses: an address-space limit
		// would stop node from starting at all.
		mem = 0
	}
	return &runner.Spec{
		ID:          "lambda-" + e.p.name + "-" + e.id,
		MLDir:       e.dir,
		Binds:       binds,
		Command:     s.command(c.Runtime, runtimeDir, taskRoot),
		Env:         env,
		WorkDir:     taskRoot,
		MemoryBytes: mem,
		StopGrace:   stopGrace,
		OnLine:      e.onLine,
	}
}

// watch waits for the process to end and takes the environment out of its pool.
func (e *environment) watch() {
	<-e.job.Done()
	e.stop()
	e.p.ended(e)
	_ = e.srv.Close()
	e.cleanup()
}

// stop ends the environment's process (a timeout, an idle environment, a deleted
// function, the server stopping).
func (e *environment) stop() {
	e.stopMu.Do(func() { close(e.stopped) })
	if e.job == nil {
		return
	}
	select {
	case <-e.job.Done():
		// Never Stop an ended job: runner/local signals process 0 (the caller's own
		// process group) for a job that could not start.
	default:
		e.job.Stop()
	}
}

func (e *environment) cleanup() {
	if e.ln != nil {
		_ = e.ln.Close()
	}
	e.logMu.Lock()
	if e.logFile != nil {
		_ = e.logFile.Close()
		e.logFile = nil
	}
	e.logMu.Unlock()
	_ = os.RemoveAll(e.dir)
}

// run invokes the function once in this environment, which must be free.
func (e *environment) run(inv *invocation) outcome {
	s := e.p.s
	clk := s.cfg.Clock
	limit := initTimeout
	if inv.timeout > limit {
		limit = inv.timeout
	}
	initC := clk.After(limit)
	handed := false
	var o outcome
	select {
	case e.next <- inv:
		handed = true
	case <-e.job.Done():
		e.startInvocation(inv)
		o = e.initFailure(inv)
	case <-initC:
		e.startInvocation(inv)
		e.stop()
		o = timedOut(inv, s.cfg.Clock.Now())
	}
	if handed {
		select {
		case o = <-inv.done:
		case <-clk.After(inv.timeout):
			e.stop()
			o = timedOut(inv, clk.Now())
		case <-e.job.Done():
			// The report may have raced with the exit.
			select {
			case o = <-inv.done:
			default:
				o = e.exitOutcome(inv)
			}
		}
	}
	e.finish(inv, &o)
	return o
}

// startInvocation makes inv current and logs its START (the runtime's /next does it
// when the runtime takes the invocation).
func (e *environment) startInvocation(inv *invocation) {
	e.mu.Lock()
	inv.start = e.p.s.cfg.Clock.Now()
	e.cur = inv
	e.invocations++
	first := e.invocations == 1
	e.mu.Unlock()
	e.logMu.Lock()
	if first || len(e.pre) > 0 {
		inv.log = append(inv.log, e.pre...)
		e.pre = nil
	}
	e.logMu.Unlock()
	e.emit(inv, "START RequestId: "+inv.id+" Version: "+latest)
}

// finish logs END and REPORT and releases the invocation.
func (e *environment) finish(inv *invocation, o *outcome) {
	s := e.p.s
	e.mu.Lock()
	dur := s.cfg.Clock.Now().Sub(inv.start)
	e.mu.Unlock()
	if dur < 0 {
		dur = 0
	}
	e.emit(inv, "END RequestId: "+inv.id)
	ms := float64(dur.Microseconds()) / 1000
	report := fmt.Sprintf("REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %d ms\tMemory Size: %d MB\tMax Memory Used: %d MB",
		inv.id, ms, int64(ms)+1, e.cfg.MemorySize, maxMemoryMB(e.job))
	e.mu.Lock()
	if e.invocations == 1 && e.initDuration > 0 {
		report += fmt.Sprintf("\tInit Duration: %.2f ms", float64(e.initDuration.Microseconds())/1000)
	}
	e.cur = nil
	e.mu.Unlock()
	switch o.report {
	case "timeout":
		report += "\tStatus: timeout"
	case "error":
		report += "\tStatus: error\tError Type: " + o.errorType
	}
	e.emit(inv, report)
	if o.report == "timeout" {
		var m struct {
			ErrorMessage string `json:"errorMessage"`
		}
		_ = json.Unmarshal(o.payload, &m)
		e.emit(inv, m.ErrorMessage)
	}
}

// timedOut is the outcome of an invocation that ran out of time.
func timedOut(inv *invocation, now time.Time) outcome {
	msg := fmt.Sprintf("%s %s Task timed out after %.2f seconds", now.UTC().Format("2006-01-02T15:04:05.000Z"), inv.id, inv.timeout.Seconds())
	b, _ := json.Marshal(struct {
		ErrorMessage string `json:"errorMessage"`
	}{msg})
	return outcome{payload: b, functionError: true, unknown: true, report: "timeout"}
}

// initFailure is the outcome when the runtime ended before taking the invocation: what
// it posted to /init/error, or how it exited.
func (e *environment) initFailure(inv *invocation) outcome {
	e.mu.Lock()
	body, typ := e.initErr, e.initErrType
	e.mu.Unlock()
	if body != nil {
		e.emit(inv, fmt.Sprintf("INIT_REPORT Init Duration: %.2f ms\tPhase: init\tStatus: error\tError Type: %s",
			float64(e.p.s.cfg.Clock.Now().Sub(e.started).Microseconds())/1000, typ))
		return outcome{payload: body, functionError: true, errorType: typ, report: "error"}
	}
	return e.exitOutcome(inv)
}

// exitOutcome is the outcome when the runtime's process ended during an invocation.
func (e *environment) exitOutcome(inv *invocation) outcome {
	res := e.job.Wait()
	typ := "Runtime.ExitError"
	if res.OutOfMemory {
		typ = "Runtime.OutOfMemory"
	}
	how := fmt.Sprintf("exit status %d", res.ExitCode)
	if sig := signalName(res); sig != "" {
		how = "signal: " + sig
	}
	if res.Err != nil {
		how = res.Err.Error()
	}
	msg := fmt.Sprintf("RequestId: %s Error: Runtime exited with error: %s", inv.id, how)
	e.emit(inv, msg)
	e.emit(inv, typ)
	b, _ := json.Marshal(struct {
		ErrorType    string `json:"errorType"`
		ErrorMessage string `json:"errorMessage"`
	}{typ, msg})
	return outcome{payload: b, functionError: true, unknown: true, errorType: typ, report: "error"}
}

// signalName words the signal that ended a process as Go's os/exec does ("killed").
func signalName(res runner.Result) string {
	n := 0
	switch {
	case res.Signal != "":
		for i := 1; i < 32; i++ {
			if sigNames[i] == res.Signal {
				n = i
			}
		}
	case res.ExitCode > 128 && res.ExitCode < 160:
		n = res.ExitCode - 128
	}
	if n == 0 {
		return ""
	}
	return syscall.Signal(n).String()
}

var sigNames = [32]string{1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 4: "SIGILL", 5: "SIGTRAP", 6: "SIGABRT", 7: "SIGBUS",
	8: "SIGFPE", 9: "SIGKILL", 10: "SIGUSR1", 11: "SIGSEGV", 12: "SIGUSR2", 13: "SIGPIPE", 14: "SIGALRM", 15: "SIGTERM"}

// onLine receives the process's output lines.
func (e *environment) onLine(_, line string) {
	if i := strings.Index(line, flushMark); i >= 0 {
		e.mark(line[i+len(flushMark):])
		line = line[:i]
		if line == "" {
			return
		}
	}
	e.mu.Lock()
	inv := e.cur
	e.mu.Unlock()
	e.emit(inv, line)
}

// mark counts a flush mark of invocation id; the second (stdout and stderr) releases
// the runtime's report.
func (e *environment) mark(id string) {
	e.mu.Lock()
	inv := e.cur
	e.mu.Unlock()
	if inv == nil || inv.id != id {
		return
	}
	e.logMu.Lock()
	inv.marks++
	if inv.marks == 2 {
		close(inv.flushed)
	}
	e.logMu.Unlock()
}

// emit writes one log line: to the log sink, the environment's log file and the
// invocation's log (LogResult); without an invocation, to the next one's.
func (e *environment) emit(inv *invocation, line string) {
	s := e.p.s
	now := s.cfg.Clock.Now()
	e.logMu.Lock()
	if e.logFile != nil {
		_, _ = io.WriteString(e.logFile, line+"\n")
	}
	if inv != nil {
		inv.log = append(inv.log, line...)
		inv.log = append(inv.log, '\n')
		if len(inv.log) > 4*tailBytes {
			inv.log = append(inv.log[:0], inv.log[len(inv.log)-tailBytes:]...)
		}
	} else {
		e.pre = append(e.pre, line...)
		e.pre = append(e.pre, '\n')
		if len(e.pre) > 4*tailBytes {
			e.pre = append(e.pre[:0], e.pre[len(e.pre)-tailBytes:]...)
		}
	}
	e.logMu.Unlock()
	if s.cfg.Logs != nil {
		if err := s.cfg.Logs.Put(s.ctx, e.group, e.stream, logs.Event{Time: now, Message: line}); err != nil && !errors.Is(err, context.Canceled) {
			s.log.Warn("function log not delivered", "function", e.p.name, "err", err)
		}
	}
}

// tail is the end of an invocation's log, as LogResult carries it.
func (inv *invocation) tail() []byte {
	if len(inv.log) <= tailBytes {
		return inv.log
	}
	return inv.log[len(inv.log)-tailBytes:]
}
