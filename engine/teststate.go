package engine

import (
	"context"
	"fmt"

	"github.com/stepwise-dev/stepwise/asl"
	"github.com/stepwise-dev/stepwise/jsonv"
)

// TestStatus is how a TestState run ended.
type TestStatus string

// The TestState outcomes.
const (
	TestSucceeded   TestStatus = "SUCCEEDED"
	TestFailed      TestStatus = "FAILED"
	TestRetriable   TestStatus = "RETRIABLE"
	TestCaughtError TestStatus = "CAUGHT_ERROR"
)

// TestConfig sets up one TestState run.
type TestConfig struct {
	// RetrierRetryCount is how many times the matching retrier already retried.
	RetrierRetryCount int
	// Variables are visible to the state as workflow variables.
	Variables *jsonv.Object
}

// TestResult is TestState's answer.
type TestResult struct {
	Status     TestStatus
	Output     any
	HasOutput  bool
	Error      string
	Cause      string
	NextState  string
	Inspection *jsonv.Object // afterInputPath, afterParameters, result, ... as JSON text
	Variables  *jsonv.Object // after the state's Assign
	// RetryIndex and RetryBackoffSeconds describe the retrier of a RETRIABLE result;
	// CatchIndex the catcher of a CAUGHT_ERROR one.
	RetryIndex          int
	RetryBackoffSeconds float64
	CatchIndex          int
}

// testMode is an execution's TestState state.
type testMode struct {
	cfg       TestConfig
	inspect   *jsonv.Object
	retriable *TestResult
	caught    int
}

func (x *Execution) inspect(key string, v any) {
	if x.test != nil {
		x.test.inspect.Set(key, jsonv.String(v))
	}
}

// TestState runs one state of sm once, as the TestState API does: no retry waits (a
// matching retrier answers RETRIABLE), the data flow after each stage reported.
func (e *Engine) TestState(ctx context.Context, sm *asl.StateMachine, stateName string, p StartParams, cfg TestConfig) *TestResult {
	st, ok := sm.States[stateName]
	if !ok {
		return &TestResult{Status: TestFailed, Error: ErrRuntime, Cause: fmt.Sprintf("State '%s' does not exist", stateName)}
	}
	if p.Name == "" {
		p.Name = e.cfg.NewUUID()
	}
	if p.StartTime.IsZero() {
		p.StartTime = e.cfg.Clock.Now()
	}
	if p.Input == nil {
		p.Input = jsonv.NewObject(0)
	}
	x := &Execution{eng: e, params: p, sm: sm, History: NewHistory(e.cfg.Clock.Now), root: newScope(nil), ctx: ctx, done: make(chan struct{})}
	x.test = &testMode{cfg: cfg, inspect: jsonv.NewObject(8), caught: -1}
	if cfg.Variables != nil {
		cfg.Variables.Range(func(k string, v any) bool {
			x.root.set(k, v)
			return true
		})
	}
	x.busy.Store(1)
	x.inspect("input", p.Input)
	out, next, fail := x.runState(ctx, st, p.Input, &lane{h: x.History}, x.root, nil)
	res := &TestResult{Inspection: x.test.inspect, Variables: jsonv.NewObject(0)}
	x.root.mu.RLock()
	for k, v := range x.root.vars {
		res.Variables.Set(k, v)
	}
	x.root.mu.RUnlock()
	switch {
	case x.test.retriable != nil:
		r := x.test.retriable
		r.Inspection, r.Variables = res.Inspection, res.Variables
		return r
	case fail != nil:
		res.Status, res.Error, res.Cause = TestFailed, fail.Name, fail.Cause
	default:
		res.Status, res.Output, res.HasOutput, res.NextState = TestSucceeded, out, true, next
		if x.test.caught >= 0 {
			res.Status, res.CatchIndex = TestCaughtError, x.test.caught
		}
	}
	return res
}
