// Package integrations maps a Task state's resource ARN to the handler that runs it:
// service integrations (SageMaker, Lambda, SNS, nested executions...), activities and
// mocked responses all plug in here.
package integrations

import (
	"context"
	"fmt"
	"strings"
	"sync"
)

// Pattern is how a Task waits for its result, from the resource ARN's suffix.
type Pattern string

// The integration patterns.
const (
	RequestResponse Pattern = ""
	Sync            Pattern = ".sync"
	Sync2           Pattern = ".sync:2"
	WaitForToken    Pattern = ".waitForTaskToken"
)

// Request is one invocation of a Task state's resource.
type Request struct {
	Resource     string
	Pattern      Pattern
	Input        any // the effective parameters (JSONPath) or arguments (JSONata)
	TaskToken    string
	Credentials  any
	ExecutionARN string
	StateMachine string // the state machine's name
	StateName    string
	Attempt      int // 0 for the first attempt, then the retry count
	// IdempotencyKey is the same for the same attempt of the same state visit, also after
	// a restart, so a handler can recognise work it already started.
	IdempotencyKey string
	TimeoutSec     int
	HeartbeatSec   int
	// Heartbeat is non-nil for callback tasks; the handler (or whoever completes the token)
	// calls it to reset the heartbeat timer.
	Heartbeat func()
	// Submitted is called by .sync and callback handlers once the request that starts the
	// work has been accepted (the TaskSubmitted event), with that request's response.
	Submitted func(output any)
	// Started is set for activity tasks: the handler calls it when a worker takes the
	// task (ActivityStarted is recorded then, with the worker's name).
	Started func(worker string)
}

// Handler runs Task states for the resources it is registered for.
type Handler interface {
	Invoke(ctx context.Context, req *Request) (any, error)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, req *Request) (any, error)

// Invoke calls f.
func (f HandlerFunc) Invoke(ctx context.Context, req *Request) (any, error) { return f(ctx, req) }

// TaskError is a failure a task reports: an ASL error name and a cause.
type TaskError struct {
	Name  string
	Cause string
}

func (e *TaskError) Error() string { return e.Name + ": " + e.Cause }

// SDKError is how a service call that the service rejected reaches a Task state: the
// error name Step Functions gives it (e.g. "SageMaker.ResourceInUseException") and, as
// the cause, the AWS Java SDK's wording of the service's reply.
func SDKError(name, service, code, message string, status int, requestID string) *TaskError {
	return &TaskError{Name: name, Cause: fmt.Sprintf("%s (Service: %s; Status Code: %d; Error Code: %s; Request ID: %s; Proxy: null)",
		message, service, status, code, requestID)}
}

// ParametersError is returned by a handler when the task's parameters cannot make the
// call at all (a field the service's API does not have): the execution fails with
// States.Runtime "The Parameters '...' could not be used to start the Task: [Reason]",
// which no Retry or Catch handles, as on AWS.
type ParametersError struct {
	Parameters any
	Reason     string // e.g. `The field "ProcessingOutputs" is not supported by Step Functions`
}

func (e *ParametersError) Error() string { return "States.Runtime: " + e.Reason }

// SplitResource separates a resource ARN from its pattern suffix.
func SplitResource(resource string) (base string, p Pattern) {
	for _, s := range []Pattern{Sync2, Sync, WaitForToken} {
		if strings.HasSuffix(resource, string(s)) {
			return strings.TrimSuffix(resource, string(s)), s
		}
	}
	return resource, RequestResponse
}

// Kind classifies a resource for history events: "lambda" for a bare function ARN,
// "activity" for an activity ARN, "service" for the arn:aws:states::: integrations.
func Kind(resource string) string {
	switch {
	case strings.HasPrefix(resource, "arn:aws:lambda:") || strings.Contains(resource, ":lambda:") && strings.Contains(resource, ":function:"):
		return "lambda"
	case strings.Contains(resource, ":states:") && strings.Contains(resource, ":activity:"):
		return "activity"
	default:
		return "service"
	}
}

// ServiceParts returns the service and action of an "arn:aws:states:::svc:action" resource.
func ServiceParts(resource string) (service, action string) {
	base, _ := SplitResource(resource)
	i := strings.Index(base, ":::")
	if i < 0 {
		return "", ""
	}
	rest := base[i+3:]
	rest = strings.TrimPrefix(rest, "aws-sdk:")
	j := strings.Index(rest, ":")
	if j < 0 {
		return rest, ""
	}
	return rest[:j], rest[j+1:]
}

// Registry finds the handler for a resource: an exact ARN first, then the longest
// registered prefix.
type Registry struct {
	mu       sync.RWMutex
	exact    map[string]Handler
	prefixes map[string]Handler
	fallback Handler
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{exact: map[string]Handler{}, prefixes: map[string]Handler{}}
}

// Handle registers h for an exact resource ARN (pattern suffix included or not).
func (r *Registry) Handle(resource string, h Handler) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.exact[resource] = h
}

// HandlePrefix registers h for every resource starting with prefix.
func (r *Registry) HandlePrefix(prefix string, h Handler) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.prefixes[prefix] = h
}

// Fallback registers h for resources nothing else handles.
func (r *Registry) Fallback(h Handler) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fallback = h
}

// Lookup finds the handler for resource.
func (r *Registry) Lookup(resource string) (Handler, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if h, ok := r.exact[resource]; ok {
		return h, true
	}
	base, _ := SplitResource(resource)
	if h, ok := r.exact[base]; ok {
		return h, true
	}
	best := ""
	var bh Handler
	for p, h := range r.prefixes {
		if strings.HasPrefix(resource, p) && len(p) > len(best) {
			best, bh = p, h
		}
	}
	if bh != nil {
		return bh, true
	}
	if r.fallback != nil {
		return r.fallback, true
	}
	return nil, false
}

// Invoke runs req through the registered handler.
func (r *Registry) Invoke(ctx context.Context, req *Request) (any, error) {
	h, ok := r.Lookup(req.Resource)
	if !ok {
		return nil, &TaskError{Name: "States.Runtime", Cause: fmt.Sprintf("No integration handles the resource '%s'", req.Resource)}
	}
	return h.Invoke(ctx, req)
}
