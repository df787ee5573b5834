// Package engine runs Amazon States Language state machines: it walks the states,
// moves data through them exactly as AWS Step Functions does, dispatches Task states to
// integrations, and records every history event as GetExecutionHistory returns it.
package engine

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stepwise-dev/stepwise/asl"
	"github.com/stepwise-dev/stepwise/integrations"
	"github.com/stepwise-dev/stepwise/internal/clock"
	"github.com/stepwise-dev/stepwise/internal/uuid"
	"github.com/stepwise-dev/stepwise/jsonv"
)

// MaxPayloadBytes is the limit on a state's input or output (256 KiB).
const MaxPayloadBytes = 262144

// Status of an execution, persisted as these strings.
type Status string

// The execution statuses.
const (
	StatusRunning   Status = "RUNNING"
	StatusSucceeded Status = "SUCCEEDED"
	StatusFailed    Status = "FAILED"
	StatusTimedOut  Status = "TIMED_OUT"
	StatusAborted   Status = "ABORTED"
)

// Tasks runs Task states; *integrations.Registry is the usual one.
type Tasks interface {
	Invoke(ctx context.Context, req *integrations.Request) (any, error)
}

// Config wires an Engine.
type Config struct {
	Clock  clock.Clock
	Tasks  Tasks
	Logger *slog.Logger
	// NewUUID makes execution names and map run ids; random v4 by default.
	NewUUID func() string
	// TokenKey signs task tokens (HMAC-SHA256), so a token is unguessable yet the same
	// when an execution is resumed. Random per engine by default; a server sets a
	// persistent one.
	TokenKey []byte
	// InlineMapConcurrency bounds an inline Map with MaxConcurrency 0 (AWS runs 40).
	InlineMapConcurrency int
}

// Engine runs executions. It is safe for concurrent use.
type Engine struct {
	cfg Config
}

// New returns an engine; zero fields of cfg get defaults.
func New(cfg Config) *Engine {
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.NewUUID == nil {
		cfg.NewUUID = NewUUID
	}
	if len(cfg.TokenKey) == 0 {
		cfg.TokenKey = make([]byte, 32)
		_, _ = rand.Read(cfg.TokenKey)
	}
	if cfg.InlineMapConcurrency <= 0 {
		cfg.InlineMapConcurrency = 40
	}
	if cfg.Tasks == nil {
		cfg.Tasks = integrations.NewRegistry()
	}
	return &Engine{cfg: cfg}
}

// NewUUID returns a random version 4 UUID.
func NewUUID() string { return uuid.New() }

// StartParams describe one execution.
type StartParams struct {
	ExecutionARN     string
	Name             string
	StateMachineARN  string
	StateMachineName string
	RoleARN          string
	Type             string // STANDARD or EXPRESS
	Input            any
	StartTime        time.Time // zero: now
	RedriveCount     int
	// Sync marks an EXPRESS execution started with StartSyncExecution.
	Sync  bool
	Sinks []Sink
	// Resume holds the recorded history of an execution being resumed after a restart.
	// The engine replays it: recorded events are not appended again, recorded task
	// outcomes are used instead of invoking the task again, waits count from their start.
	Resume []*Event
}

// Result is how an execution ended.
type Result struct {
	Status Status
	Output any
	// HasOutput is false when the execution produced no output (failures).
	HasOutput bool
	Error     string
	Cause     string
	HasError  bool
	HasCause  bool
	StopTime  time.Time
}

// Execution is one running or finished execution.
type Execution struct {
	eng     *Engine
	params  StartParams
	sm      *asl.StateMachine
	History *History
	root    *scope

	ctx    context.Context
	cancel context.CancelCauseFunc
	done   chan struct{}

	mu     sync.Mutex
	result Result
	busy   atomic.Int64
	test   *testMode // set for TestState runs
}

// stopCause is the reason an execution's context was cancelled.
type stopCause struct {
	status Status
	err    string
	cause  string
	at     time.Time
}

func (s *stopCause) Error() string { return string(s.status) + ": " + s.err }

// Start begins an execution of sm and returns at once.
func (e *Engine) Start(ctx context.Context, sm *asl.StateMachine, p StartParams) *Execution {
	if p.StartTime.IsZero() {
		p.StartTime = e.cfg.Clock.Now()
	}
	if p.Type == "" {
		p.Type = "STANDARD"
	}
	if p.Name == "" {
		p.Name = e.cfg.NewUUID()
	}
	if p.StateMachineName == "" {
		p.StateMachineName = "StateMachine"
	}
	if p.StateMachineARN == "" {
		p.StateMachineARN = "arn:aws:states:us-east-1:123456789012:stateMachine:" + p.StateMachineName
	}
	if p.ExecutionARN == "" {
		if p.Type == "EXPRESS" {
			p.ExecutionARN = "arn:aws:states:us-east-1:123456789012:express:" + p.StateMachineName + ":" + p.Name + ":" + e.cfg.NewUUID()
		} else {
			p.ExecutionARN = "arn:aws:states:us-east-1:123456789012:execution:" + p.StateMachineName + ":" + p.Name
		}
	}
	if p.Input == nil {
		p.Input = jsonv.NewObject(0)
	}
	cctx, cancel := context.WithCancelCause(context.WithoutCancel(ctx))
	x := &Execution{
		eng:     e,
		params:  p,
		sm:      sm,
		History: NewHistory(e.cfg.Clock.Now, p.Sinks...),
		root:    newScope(nil),
		ctx:     cctx,
		cancel:  cancel,
		done:    make(chan struct{}),
	}
	if len(p.Resume) > 0 {
		x.History.resumeFrom(p.Resume)
	}
	x.result.Status = StatusRunning
	x.busy.Store(1)
	go x.run()
	return x
}

// Run starts an execution and waits for it to end.
func (e *Engine) Run(ctx context.Context, sm *asl.StateMachine, p StartParams) (*Execution, Result) {
	x := e.Start(ctx, sm, p)
	select {
	case <-x.done:
	case <-ctx.Done():
		x.Stop("", "")
		<-x.done
	}
	return x, x.Result()
}

// Done is closed when the execution has ended.
func (x *Execution) Done() <-chan struct{} { return x.done }

// Result returns the outcome (Status RUNNING while it runs).
func (x *Execution) Result() Result {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.result
}

// Params returns what the execution was started with.
func (x *Execution) Params() StartParams { return x.params }

// statusHalted marks an execution halted by its host (a shutdown): it ends without a
// last event, to be resumed later.
const statusHalted Status = "HALTED"

// Halt ends a running execution without recording anything more, as if the process had
// stopped: a server shutting down halts its executions and resumes them when it starts.
func (x *Execution) Halt() {
	x.cancel(&stopCause{status: statusHalted})
}

// Halted reports whether ctx (a task's) ended because its execution was halted, not
// stopped or timed out: work started for it should be left as it is, to be resumed.
func Halted(ctx context.Context) bool {
	sc, ok := context.Cause(ctx).(*stopCause)
	return ok && sc.status == statusHalted
}

// Stop aborts a running execution (StopExecution).
func (x *Execution) Stop(errName, cause string) {
	x.cancel(&stopCause{status: StatusAborted, err: errName, cause: cause, at: x.eng.cfg.Clock.Now()})
}

func (x *Execution) run() {
	defer close(x.done)
	defer x.busy.Add(-1)
	l := &lane{h: x.History}
	started := jsonv.NewObject(3)
	started.Set("input", Payload{x.params.Input})
	started.Set("inputDetails", notTruncated)
	started.Set("roleArn", x.params.RoleARN)
	l.add("ExecutionStarted", started)

	if x.sm.TimeoutSeconds > 0 {
		// Counted from the start, also when the execution is resumed.
		left := x.params.StartTime.Add(time.Duration(x.sm.TimeoutSeconds) * time.Second).Sub(x.eng.cfg.Clock.Now())
		stop := x.eng.cfg.Clock.AfterFunc(left, func() {
			// AWS reports an execution timeout with neither error nor cause.
			x.cancel(&stopCause{status: StatusTimedOut, at: x.eng.cfg.Clock.Now()})
		})
		defer stop()
	}

	out, fail := x.runMachine(x.ctx, x.sm, x.params.Input, l, x.root, nil)
	res := Result{StopTime: x.eng.cfg.Clock.Now()}
	if sc := x.stopped(); sc != nil && sc.status == statusHalted {
		res.Status = StatusRunning
	} else if sc != nil {
		res.Status = sc.status
		if !sc.at.IsZero() {
			res.StopTime = sc.at
		}
		d := jsonv.NewObject(2)
		if sc.err != "" {
			d.Set("error", sc.err)
			res.Error, res.HasError = sc.err, true
		}
		if sc.cause != "" {
			d.Set("cause", sc.cause)
			res.Cause, res.HasCause = sc.cause, true
		}
		if sc.status == StatusTimedOut {
			l.add("ExecutionTimedOut", d)
		} else {
			l.add("ExecutionAborted", d)
		}
	} else if fail != nil {
		res.Status = StatusFailed
		d := jsonv.NewObject(2)
		if fail.HasError {
			d.Set("error", fail.Name)
			res.Error, res.HasError = fail.Name, true
		}
		if fail.HasCause {
			d.Set("cause", fail.Cause)
			res.Cause, res.HasCause = fail.Cause, true
		}
		l.add("ExecutionFailed", d)
	} else {
		res.Status = StatusSucceeded
		res.Output, res.HasOutput = out, true
		d := jsonv.NewObject(2)
		d.Set("output", Payload{out})
		d.Set("outputDetails", notTruncated)
		l.add("ExecutionSucceeded", d)
	}
	x.mu.Lock()
	x.result = res
	x.mu.Unlock()
	x.cancel(nil)
}

// stopped returns why the execution was stopped from outside, if it was.
func (x *Execution) stopped() *stopCause {
	if x.ctx.Err() == nil {
		return nil
	}
	if sc, ok := context.Cause(x.ctx).(*stopCause); ok {
		return sc
	}
	return nil
}

// Payload marks a JSON value held in event details that the API renders as a string.
type Payload struct{ V any }

// taskToken derives the token of one task attempt.
func (x *Execution) taskToken(lane, state string, entered int64, attempt int) string {
	m := hmac.New(sha256.New, x.eng.cfg.TokenKey)
	fmt.Fprintf(m, "%s\x00%s\x00%s\x00%d\x00%d", x.params.ExecutionARN, lane, state, entered, attempt)
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}
