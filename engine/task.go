package engine

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/stepwise-dev/stepwise/asl"
	"github.com/stepwise-dev/stepwise/integrations"
	"github.com/stepwise-dev/stepwise/jsonv"
)

// runWithRetry runs a Task, Parallel or Map state in JSONPath mode: the data flow around
// the work, then Retry and Catch on failure.
func (r *stateRun) runWithRetry(ctx context.Context) (any, string, *jsonv.Object, *Failure) {
	st := r.st
	eff, f := r.applyPath(st.InputPath, r.input)
	if f != nil {
		return nil, "", nil, f
	}
	r.x.inspect("afterInputPath", eff)
	return r.withRetry(ctx, func() (any, *Failure) {
		switch st.Type {
		case asl.TypeTask:
			return r.invokeTask(ctx, eff)
		case asl.TypeParallel:
			params := eff
			if st.Parameters != nil {
				var f *Failure
				if params, f = r.evalTemplate(st.Parameters, eff); f != nil {
					return nil, f
				}
			}
			return r.runParallel(ctx, params)
		case asl.TypeMap:
			return r.runMap(ctx, eff)
		default:
			return nil, r.runtime(fmt.Sprintf("State type '%s' has no retry", st.Type))
		}
	}, r.finishJSONPath)
}

// withRetry runs attempt until it succeeds (then finish makes the state's output), a
// retrier gives up, or a failure cannot be retried; then Catch decides. Both query
// languages share it.
func (r *stateRun) withRetry(ctx context.Context, attempt func() (any, *Failure), finish func(any) (any, string, *jsonv.Object, *Failure)) (any, string, *jsonv.Object, *Failure) {
	attempts := make([]int, len(r.st.Retry))
	for {
		result, f := attempt()
		if f == nil {
			return finish(result)
		}
		if f == errAborted || f.Evaluation {
			// A stopped execution, or a JSONata evaluation error: neither retried nor caught.
			return nil, "", nil, f
		}
		if delay, ok := r.retryDelay(f, attempts); ok {
			r.childFailed = false
			if sf := r.sleep(ctx, delay); sf != nil {
				return nil, "", nil, sf
			}
			r.retry++
			r.ctxObj = nil
			continue
		}
		if r.childFailed {
			r.lane.add(string(r.st.Type)+"StateFailed", nil)
		}
		return r.catch(f)
	}
}

// finishJSONPath applies ResultSelector, Assign, ResultPath and OutputPath to a result.
func (r *stateRun) finishJSONPath(result any) (any, string, *jsonv.Object, *Failure) {
	st := r.st
	var f *Failure
	r.x.inspect("result", result)
	if st.ResultSelector != nil {
		if result, f = r.evalTemplate(st.ResultSelector, result); f != nil {
			return nil, "", nil, f
		}
		r.x.inspect("afterResultSelector", result)
	}
	assigned, f := r.assignJSONPath(st.Assign, result)
	if f != nil {
		return nil, "", nil, f
	}
	out, f := r.applyResultPath(st.ResultPath, r.input, result)
	if f != nil {
		return nil, "", nil, f
	}
	r.x.inspect("afterResultPath", out)
	out, f = r.applyPath(st.OutputPath, out)
	return out, st.Next, assigned, f
}

// retryDelay picks the retrier for f; ok is false when none applies or it is exhausted.
func (r *stateRun) retryDelay(f *Failure, attempts []int) (time.Duration, bool) {
	for i, rt := range r.st.Retry {
		if !matchesError(rt.ErrorEquals, f.Name) {
			continue
		}
		if t := r.x.test; t != nil && attempts[i] == 0 {
			attempts[i] = t.cfg.RetrierRetryCount
		}
		if attempts[i] >= rt.MaxAttempts {
			return 0, false
		}
		if t := r.x.test; t != nil {
			// TestState answers RETRIABLE instead of waiting and trying again.
			secs := rt.IntervalSeconds * math.Pow(rt.BackoffRate, float64(attempts[i]))
			if rt.MaxDelaySeconds > 0 && secs > rt.MaxDelaySeconds {
				secs = rt.MaxDelaySeconds
			}
			t.retriable = &TestResult{Status: TestRetriable, Error: f.Name, Cause: f.Cause, RetryIndex: i, RetryBackoffSeconds: secs, CatchIndex: -1}
			return 0, false
		}
		secs := rt.IntervalSeconds * math.Pow(rt.BackoffRate, float64(attempts[i]))
		if rt.MaxDelaySeconds > 0 && secs > rt.MaxDelaySeconds {
			secs = rt.MaxDelaySeconds
		}
		if rt.JitterStrategy == "FULL" {
			secs = rand.Float64() * secs
		}
		attempts[i]++
		return time.Duration(secs * float64(time.Second)), true
	}
	return 0, false
}

// errorOutput is the {"Error","Cause"} object a catcher receives.
func errorOutput(f *Failure) *jsonv.Object {
	o := jsonv.NewObject(2)
	if f.HasError {
		o.Set("Error", f.Name)
	}
	if f.HasCause {
		o.Set("Cause", f.Cause)
	}
	return o
}

// catch hands f to the first matching catcher.
func (r *stateRun) catch(f *Failure) (any, string, *jsonv.Object, *Failure) {
	if r.x.test != nil && r.x.test.retriable != nil {
		return nil, "", nil, f
	}
	for i, c := range r.st.Catch {
		if !matchesError(c.ErrorEquals, f.Name) {
			continue
		}
		if r.x.test != nil {
			r.x.test.caught = i
		}
		eo := errorOutput(f)
		if r.st.IsJSONata() {
			return r.catchJSONata(c, eo)
		}
		assigned, af := r.assignJSONPath(c.Assign, eo)
		if af != nil {
			return nil, "", nil, af
		}
		out, rf := r.applyResultPath(c.ResultPath, r.input, eo)
		if rf != nil {
			return nil, "", nil, rf
		}
		return out, c.Next, assigned, nil
	}
	return nil, "", nil, f
}

// taskEvents names the history events of a task by the kind of its resource.
type taskEvents struct {
	scheduled, started, succeeded, failed, timedOut, submitted string
}

var (
	lambdaEvents   = taskEvents{"LambdaFunctionScheduled", "LambdaFunctionStarted", "LambdaFunctionSucceeded", "LambdaFunctionFailed", "LambdaFunctionTimedOut", ""}
	activityEvents = taskEvents{"ActivityScheduled", "ActivityStarted", "ActivitySucceeded", "ActivityFailed", "ActivityTimedOut", ""}
	serviceEvents  = taskEvents{"TaskScheduled", "TaskStarted", "TaskSucceeded", "TaskFailed", "TaskTimedOut", "TaskSubmitted"}
)

// resourceTypeAndName splits "arn:aws:states:::lambda:invoke.waitForTaskToken" into
// ("lambda", "invoke.waitForTaskToken") as the history's resourceType and resource.
func resourceTypeAndName(resource string) (string, string) {
	svc, action := integrations.ServiceParts(resource)
	_, p := integrations.SplitResource(resource)
	if len(resource) > 0 && len(svc) > 0 && len(action) > 0 {
		if strings.Contains(resource, ":::aws-sdk:") {
			svc = "aws-sdk:" + svc
		}
		return svc, action + string(p)
	}
	return svc, resource
}

// numberField reads TimeoutSeconds/HeartbeatSeconds or their Path variant.
func (r *stateRun) numberField(v asl.Value, p asl.PathField, eff any) (int, *Failure) {
	if v != nil && v.Kind == asl.TJSONata {
		n, _, f := r.jsonataNumber(v, "TimeoutSeconds", r.jsonataEnv(r.statesVar("", nil)))
		return int(n), f
	}
	if v != nil {
		f, _ := v.Lit.(float64)
		return int(f), nil
	}
	if p.Set {
		val, err := r.resolvePath(p.Path, eff)
		if err != nil {
			return 0, r.runtime(r.invalidPath(p.Path, p.Src, err))
		}
		f, ok := val.(float64)
		if !ok || f != math.Trunc(f) || f < 0 {
			return 0, r.runtime(fmt.Sprintf("Invalid value for '%s': %s", p.Src, display(val)))
		}
		return int(f), nil
	}
	return 0, nil
}

// invokeTask runs one attempt of a Task state and records its events.
func (r *stateRun) invokeTask(ctx context.Context, eff any) (any, *Failure) {
	st := r.st
	timeout, f := r.numberField(st.TimeoutSeconds, st.TimeoutSecondsPath, eff)
	if f != nil {
		return nil, f
	}
	heartbeat, f := r.numberField(st.HeartbeatSeconds, st.HeartbeatSecondsPath, eff)
	if f != nil {
		return nil, f
	}
	_, pattern := integrations.SplitResource(st.Resource)
	kind := integrations.Kind(st.Resource)
	ev := serviceEvents
	switch kind {
	case "lambda":
		ev = lambdaEvents
	case "activity":
		ev = activityEvents
	}
	if pattern == integrations.WaitForToken || kind == "activity" {
		// Every attempt gets its own token, which Parameters may read as $$.Task.Token.
		// It is derived from the attempt, so a resumed execution finds the same token.
		r.token = r.x.taskToken(r.lane.id, st.Name, r.enteredID, r.retry)
		r.ctxObj = nil
	}
	params := eff
	switch {
	case st.IsJSONata():
		if params, f = r.taskArguments(); f != nil {
			return nil, f
		}
		r.x.inspect("afterArguments", params)
	case st.Parameters != nil:
		if params, f = r.evalTemplate(st.Parameters, eff); f != nil {
			return nil, f
		}
		r.x.inspect("afterParameters", params)
	}
	resType, resName := resourceTypeAndName(st.Resource)
	sd := jsonv.NewObject(6)
	switch kind {
	case "service":
		sd.Set("resourceType", resType)
		sd.Set("resource", resName)
		sd.Set("region", "us-east-1")
		sd.Set("parameters", Payload{params})
	default:
		sd.Set("resource", st.Resource)
		sd.Set("input", Payload{params})
		sd.Set("inputDetails", notTruncated)
	}
	if timeout > 0 {
		sd.Set("timeoutInSeconds", float64(timeout))
	}
	if heartbeat > 0 {
		sd.Set("heartbeatInSeconds", float64(heartbeat))
	}
	r.lane.add(ev.scheduled, sd)
	var startD *jsonv.Object
	if kind == "service" {
		startD = jsonv.ObjectOf("resourceType", resType, "resource", resName)
	}
	if kind != "activity" {
		r.lane.add(ev.started, startD)
	}

	tctx, cancel := context.WithCancel(ctx)
	defer cancel()
	beat := make(chan struct{}, 1)
	req := &integrations.Request{
		Resource:       st.Resource,
		Pattern:        pattern,
		Input:          params,
		TaskToken:      r.token,
		ExecutionARN:   r.x.params.ExecutionARN,
		StateMachine:   r.x.params.StateMachineName,
		StateName:      st.Name,
		Attempt:        r.retry,
		IdempotencyKey: r.x.taskToken(r.lane.id, st.Name, r.enteredID, r.retry),
		TimeoutSec:     timeout,
		HeartbeatSec:   heartbeat,
		Heartbeat: func() {
			select {
			case beat <- struct{}{}:
			default:
			}
		},
	}
	if ev.submitted != "" && pattern != integrations.RequestResponse {
		req.Submitted = func(out any) {
			d := jsonv.NewObject(4)
			d.Set("resourceType", resType)
			d.Set("resource", resName)
			d.Set("output", Payload{out})
			d.Set("outputDetails", notTruncated)
			r.lane.add(ev.submitted, d)
		}
	}
	if kind == "activity" {
		var once sync.Once
		req.Started = func(worker string) {
			once.Do(func() { r.lane.add(ev.started, jsonv.ObjectOf("workerName", worker)) })
		}
	}
	if creds := st.Credentials; creds != nil {
		c, cf := r.evalTemplate(creds, eff)
		if cf != nil {
			return nil, cf
		}
		req.Credentials = c
	}
	type outcome struct {
		v   any
		err error
	}
	if rec := r.x.History.peek(r.lane); rec != nil {
		if ev.submitted != "" && rec.Type == ev.submitted {
			// Resumed after the request that started the work was accepted: it is not made
			// again (the handler learns so from Resubmitted), and if the task also ended,
			// nothing is invoked.
			if end := r.x.History.peekAt(r.lane, 1); end != nil && (end.Type == ev.succeeded || end.Type == ev.failed || end.Type == ev.timedOut) {
				r.lane.add(rec.Type, nil)
				rec = end
			} else {
				tctx = context.WithValue(tctx, resubmittedKey{}, resubmitted{recordedOutput(rec, nil)})
			}
		}
		// Resumed after the task ended: take the recorded outcome, invoke nothing.
		switch rec.Type {
		case ev.succeeded:
			r.lane.add(rec.Type, nil)
			return recordedOutput(rec, nil), nil
		case ev.failed:
			r.lane.add(rec.Type, nil)
			return nil, recordedFailure(rec)
		case ev.timedOut:
			r.lane.add(rec.Type, nil)
			return nil, &Failure{Name: ErrTimeout, HasError: true}
		}
	}
	clk := r.x.eng.cfg.Clock
	w := r.x.block()
	defer w.wake()
	done := make(chan outcome, 1)
	go func() {
		v, err := r.x.eng.cfg.Tasks.Invoke(tctx, req)
		w.wake()
		done <- outcome{v, err}
	}()
	timer := func(secs int) (<-chan struct{}, func() bool) {
		if secs <= 0 {
			return nil, func() bool { return false }
		}
		c := make(chan struct{})
		stop := clk.AfterFunc(time.Duration(secs)*time.Second, func() {
			w.wake()
			close(c)
		})
		return c, stop
	}
	timeoutC, stopTimeout := timer(timeout)
	defer stopTimeout()
	beatC, stopBeat := timer(heartbeat)
	defer func() { stopBeat() }()
	for {
		select {
		case o := <-done:
			if o.err != nil {
				var pe *integrations.ParametersError
				if errors.As(o.err, &pe) {
					// The call was never made: no TaskFailed, the execution fails.
					return nil, runtimeFailure(r.st.Name, r.enteredID, fmt.Sprintf("The Parameters '%s' could not be used to start the Task: [%s]", jsonv.String(pe.Parameters), pe.Reason))
				}
				fail := asFailure(o.err)
				d := r.taskDetails(kind, resType, resName)
				d.Set("error", fail.Name)
				d.Set("cause", fail.Cause)
				r.lane.add(ev.failed, d)
				return nil, fail
			}
			d := r.taskDetails(kind, resType, resName)
			d.Set("output", Payload{o.v})
			d.Set("outputDetails", notTruncated)
			r.lane.add(ev.succeeded, d)
			return o.v, nil
		case <-beat:
			if heartbeat > 0 {
				stopBeat()
				beatC, stopBeat = timer(heartbeat)
			}
		case <-beatC:
			cancel()
			// AWS reports a missed heartbeat as States.Timeout (recorded behaviour).
			return nil, r.timedOut(kind, ev, resType, resName, ErrTimeout)
		case <-timeoutC:
			cancel()
			return nil, r.timedOut(kind, ev, resType, resName, ErrTimeout)
		case <-ctx.Done():
			cancel()
			return nil, errAborted
		}
	}
}

func (r *stateRun) taskDetails(kind, resType, resName string) *jsonv.Object {
	d := jsonv.NewObject(4)
	if kind == "service" {
		d.Set("resourceType", resType)
		d.Set("resource", resName)
	}
	return d
}

func (r *stateRun) timedOut(kind string, ev taskEvents, resType, resName, name string) *Failure {
	d := r.taskDetails(kind, resType, resName)
	d.Set("error", name)
	r.lane.add(ev.timedOut, d)
	return &Failure{Name: name, HasError: true}
}

type (
	resubmittedKey struct{}
	resubmitted    struct{ out any }
)

// Resubmitted reports whether ctx (a task's) belongs to a task resumed after a restart
// whose TaskSubmitted event was recorded: the request that started its work was accepted
// and must not be made again. out is the response that event recorded; a handler passes
// it to Request.Submitted, which then replays the recorded event.
func Resubmitted(ctx context.Context) (out any, ok bool) {
	v := ctx.Value(resubmittedKey{})
	if v == nil {
		return nil, false
	}
	return v.(resubmitted).out, true
}

// recordedFailure is the failure a replayed TaskFailed-like event recorded.
func recordedFailure(e *Event) *Failure {
	f := &Failure{}
	if d := e.Details(); d != nil {
		if v, ok := d.Get("error"); ok {
			f.Name, f.HasError = display(v), true
		}
		if v, ok := d.Get("cause"); ok {
			f.Cause, f.HasCause = display(v), true
		}
	}
	return f
}
