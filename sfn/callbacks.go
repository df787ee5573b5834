package sfn

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/stepwise-dev/stepwise/api"
	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/integrations"
	"github.com/stepwise-dev/stepwise/jsonv"
	"github.com/stepwise-dev/stepwise/store"
)

// callbacks connects SendTaskSuccess/Failure/Heartbeat to the tasks that wait for them:
// .waitForTaskToken integrations and activities. Tokens live in the store (validity,
// exactly-once completion); the waiting itself is in memory, and an execution resumed
// after a restart waits again on the same token (tokens are derived from the attempt).
type callbacks struct {
	mu      sync.Mutex
	waiters map[string]*waiter
	early   map[string]completion    // completions that arrived before their waiter
	notify  map[string]chan struct{} // per activity ARN: a task was queued
	// waiting, if set (by tests), is told each token a task starts waiting on.
	waiting func(token string)
}

type waiter struct {
	done      chan completion
	heartbeat func()
	started   func(worker string)
}

type completion struct {
	output any
	err    error
}

func newCallbacks() *callbacks {
	return &callbacks{waiters: map[string]*waiter{}, early: map[string]completion{}, notify: map[string]chan struct{}{}}
}

// wait blocks until the token is completed or ctx ends.
func (c *callbacks) wait(ctx context.Context, token string, heartbeat func(), started func(string)) (any, error) {
	w := &waiter{done: make(chan completion, 1), heartbeat: heartbeat, started: started}
	c.mu.Lock()
	if e, ok := c.early[token]; ok {
		delete(c.early, token)
		c.mu.Unlock()
		return e.output, e.err
	}
	c.waiters[token] = w
	c.mu.Unlock()
	if c.waiting != nil {
		c.waiting(token)
	}
	defer func() {
		c.mu.Lock()
		delete(c.waiters, token)
		c.mu.Unlock()
	}()
	select {
	case r := <-w.done:
		return r.output, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (c *callbacks) complete(token string, r completion) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if w, ok := c.waiters[token]; ok {
		w.done <- r
		return
	}
	c.early[token] = r
}

// taken tells the waiting activity task that a worker took it.
func (c *callbacks) taken(token, worker string) {
	c.mu.Lock()
	w := c.waiters[token]
	c.mu.Unlock()
	if w != nil && w.started != nil {
		w.started(worker)
	}
}

func (c *callbacks) beat(token string) {
	c.mu.Lock()
	w := c.waiters[token]
	c.mu.Unlock()
	if w != nil && w.heartbeat != nil {
		w.heartbeat()
	}
}

// activityQueued returns the channel closed when a task of the activity is queued.
func (c *callbacks) activityQueued(activity string) chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch, ok := c.notify[activity]
	if !ok {
		ch = make(chan struct{})
		c.notify[activity] = ch
	}
	return ch
}

func (c *callbacks) signalActivity(activity string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ch, ok := c.notify[activity]; ok {
		close(ch)
		delete(c.notify, activity)
	}
}

// openToken stores an open token for a callback or activity task (idempotently: a
// resumed execution opens the same token again).
func (s *Service) openToken(ctx context.Context, req *integrations.Request, activity string) error {
	now := s.cfg.Clock.Now()
	t := store.TaskToken{Token: req.TaskToken, ExecutionARN: req.ExecutionARN, StateName: req.StateName, Attempt: req.Attempt,
		ActivityARN: activity, Status: store.TaskTokenStatusWaiting, CreatedAt: now}
	if activity != "" {
		t.Input = jsonv.String(req.Input)
	}
	if req.TimeoutSec > 0 {
		t.TimeoutDeadline = now.Add(time.Duration(req.TimeoutSec) * time.Second)
	}
	if req.HeartbeatSec > 0 {
		t.HeartbeatDeadline = now.Add(time.Duration(req.HeartbeatSec) * time.Second)
	}
	_, err := s.cfg.Store.TaskTokenCreate(ctx, &store.TaskTokenCreateParams{TaskToken: t})
	if err != nil && !errors.Is(err, store.ErrAlreadyExists) {
		return err
	}
	return nil
}

// recorded returns the outcome a task's token was completed with before a restart: the
// task resumed after it receives that outcome instead of waiting for a second one.
func (s *Service) recorded(ctx context.Context, token string) (completion, bool) {
	t, err := s.cfg.Store.TaskTokenGetByToken(ctx, &store.TaskTokenGetByTokenParams{Token: token})
	if err != nil || t.Status != store.TaskTokenStatusCompleted || t.Result == "" {
		return completion{}, false
	}
	v, err := jsonv.DecodeString(t.Result)
	o, ok := v.(*jsonv.Object)
	if err != nil || !ok {
		return completion{}, false
	}
	if out, ok := o.Get("output"); ok {
		return completion{output: out}, true
	}
	e, _ := o.Get("error")
	c, _ := o.Get("cause")
	es, _ := e.(string)
	cs, _ := c.(string)
	return completion{err: &integrations.TaskError{Name: es, Cause: cs}}, true
}

// closeToken marks a token done when its task ends without SendTask* (timeout, stop).
func (s *Service) closeToken(token string) {
	_, _ = s.cfg.Store.TaskTokenComplete(context.Background(), &store.TaskTokenCompleteParams{Token: token, CompletedAt: s.cfg.Clock.Now()})
}

// awaitToken opens the request's token and waits for its completion.
func (s *Service) awaitToken(ctx context.Context, req *integrations.Request, activity string) (any, error) {
	if err := s.openToken(ctx, req, activity); err != nil {
		return nil, err
	}
	if r, ok := s.recorded(ctx, req.TaskToken); ok {
		return r.output, r.err
	}
	if activity != "" {
		s.callbacks.signalActivity(activity)
	}
	out, err := s.callbacks.wait(ctx, req.TaskToken, req.Heartbeat, req.Started)
	if ctx.Err() != nil && !engine.Halted(ctx) {
		s.closeToken(req.TaskToken)
	}
	return out, err
}

// callbackHandler wraps an integration's .waitForTaskToken form: the request is made (by
// next, when a handler for the base resource exists), then the task waits for its token.
func (s *Service) callbackHandler(next integrations.Handler) integrations.Handler {
	return integrations.HandlerFunc(func(ctx context.Context, req *integrations.Request) (any, error) {
		if err := s.openToken(ctx, req, ""); err != nil {
			return nil, err
		}
		if out, ok := engine.Resubmitted(ctx); ok {
			// Resumed after the base request was accepted (TaskSubmitted is recorded): it is
			// not made again, and the recorded event replays.
			if req.Submitted != nil {
				req.Submitted(out)
			}
		} else if next != nil {
			// Made also when the token was completed before a restart: the request may not
			// have been made (a worker can answer a token it read from the history), and the
			// history must hold its TaskSubmitted before the outcome.
			base, _ := integrations.SplitResource(req.Resource)
			r := *req
			r.Resource, r.Pattern = base, integrations.RequestResponse
			r.Submitted = nil
			resp, err := next.Invoke(ctx, &r)
			if err != nil {
				if !engine.Halted(ctx) {
					s.closeToken(req.TaskToken)
				}
				return nil, err
			}
			if req.Submitted != nil {
				req.Submitted(resp)
			}
		}
		if r, ok := s.recorded(ctx, req.TaskToken); ok {
			return r.output, r.err
		}
		out, err := s.callbacks.wait(ctx, req.TaskToken, req.Heartbeat, nil)
		if ctx.Err() != nil && !engine.Halted(ctx) {
			s.closeToken(req.TaskToken)
		}
		return out, err
	})
}

// SendTaskSuccessInput is the SendTaskSuccess request.
type SendTaskSuccessInput struct {
	TaskToken string `json:"taskToken"`
	Output    string `json:"output"`
}

// SendTaskFailureInput is the SendTaskFailure request.
type SendTaskFailureInput struct {
	TaskToken string `json:"taskToken"`
	Error     string `json:"error"`
	Cause     string `json:"cause"`
}

// SendTaskHeartbeatInput is the SendTaskHeartbeat request.
type SendTaskHeartbeatInput struct {
	TaskToken string `json:"taskToken"`
}

func checkToken(token string) error {
	if token == "" || len(token) > 2048 {
		return errValidation("1 validation error detected: Value at 'taskToken' failed to satisfy constraint: Member must have length between 1 and 2048")
	}
	return nil
}

// finish closes a token exactly once, keeping the outcome with it (so an acknowledged
// outcome survives a crash), and maps the store's answers to AWS's errors.
func (s *Service) finish(ctx context.Context, token string, result *jsonv.Object) error {
	if err := checkToken(token); err != nil {
		return err
	}
	_, err := s.cfg.Store.TaskTokenComplete(ctx, &store.TaskTokenCompleteParams{Token: token, CompletedAt: s.cfg.Clock.Now(), Result: jsonv.String(result)})
	switch {
	case errors.Is(err, store.ErrNotFound):
		return errInvalidToken("Invalid token")
	case errors.Is(err, store.ErrTaskClosed):
		return api.NewError("TaskTimedOut", "Task Timed Out: 'Provided task does not exist anymore'")
	}
	return err
}

// SendTaskSuccess completes a waiting task with an output.
func (s *Service) SendTaskSuccess(ctx context.Context, in *SendTaskSuccessInput) (*struct{}, error) {
	if len(in.Output) > 262144 {
		return nil, errInvalidOutput("the output exceeds the maximum size of 262144 bytes")
	}
	out, err := jsonv.DecodeString(in.Output)
	if err != nil {
		return nil, errInvalidOutput(err.Error())
	}
	if err := s.finish(ctx, in.TaskToken, jsonv.ObjectOf("output", out)); err != nil {
		return nil, err
	}
	s.callbacks.complete(in.TaskToken, completion{output: out})
	return &struct{}{}, nil
}

// SendTaskFailure fails a waiting task with an error and a cause.
func (s *Service) SendTaskFailure(ctx context.Context, in *SendTaskFailureInput) (*struct{}, error) {
	if len(in.Error) > 256 {
		return nil, errValidation("1 validation error detected: Value at 'error' failed to satisfy constraint: Member must have length less than or equal to 256")
	}
	if len(in.Cause) > 32768 {
		return nil, errValidation("1 validation error detected: Value at 'cause' failed to satisfy constraint: Member must have length less than or equal to 32768")
	}
	if err := s.finish(ctx, in.TaskToken, jsonv.ObjectOf("error", in.Error, "cause", in.Cause)); err != nil {
		return nil, err
	}
	s.callbacks.complete(in.TaskToken, completion{err: &integrations.TaskError{Name: in.Error, Cause: in.Cause}})
	return &struct{}{}, nil
}

// SendTaskHeartbeat tells a waiting task that its worker is alive.
func (s *Service) SendTaskHeartbeat(ctx context.Context, in *SendTaskHeartbeatInput) (*struct{}, error) {
	if err := checkToken(in.TaskToken); err != nil {
		return nil, err
	}
	t, err := s.cfg.Store.TaskTokenGetByToken(ctx, &store.TaskTokenGetByTokenParams{Token: in.TaskToken})
	if errors.Is(err, store.ErrNotFound) {
		return nil, errInvalidToken("Invalid token")
	}
	if err != nil {
		return nil, err
	}
	if t.Status != store.TaskTokenStatusWaiting {
		return nil, api.NewError("TaskTimedOut", "Task Timed Out: 'Provided task does not exist anymore'")
	}
	s.callbacks.beat(in.TaskToken)
	return &struct{}{}, nil
}

// isActivity reports whether a Task resource is an activity ARN.
func isActivity(resource string) bool {
	return strings.Contains(resource, ":states:") && strings.Contains(resource, ":activity:")
}
