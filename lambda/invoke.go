package lambda

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode"

	"github.com/stepwise-dev/stepwise/internal/uuid"
	"github.com/stepwise-dev/stepwise/store"
)

// Invocation types.
const (
	invokeSync   = "RequestResponse"
	invokeAsync  = "Event"
	invokeDryRun = "DryRun"
)

// asyncRetryDelays are the waits before Lambda's two retries of an asynchronous
// invocation that failed.
var asyncRetryDelays = []time.Duration{time.Minute, 2 * time.Minute}

// invokeParams is one Invoke call.
type invokeParams struct {
	FunctionName   string // as the caller named it
	Qualifier      string
	InvocationType string // "" is RequestResponse
	Tail           bool
	ClientContext  string // base64 JSON, as in X-Amz-Client-Context
	Payload        []byte
	RequestID      string // "" makes one
}

// invokeResult is Invoke's reply.
type invokeResult struct {
	StatusCode int
	Payload    []byte
	// FunctionError is "Unhandled" when the function failed; ErrorType is the error
	// type it reported, Unknown says Lambda ended it (timeout, crash, memory).
	FunctionError string
	ErrorType     string
	Unknown       bool
	LogResult     string // base64 tail of the log, with Tail
	RequestID     string
}

// invoke runs Invoke: checks, then a synchronous run, an asynchronous one queued, or
// (DryRun) nothing.
func (s *Service) invoke(ctx context.Context, in *invokeParams) (*invokeResult, error) {
	typ := in.InvocationType
	if typ == "" {
		typ = invokeSync
	}
	if typ != invokeSync && typ != invokeAsync && typ != invokeDryRun {
		return nil, errValidation(&in.InvocationType, "invocationType", "Member must satisfy enum value set: [Event, RequestResponse, DryRun]")
	}
	name, err := s.resolve(in.FunctionName, in.Qualifier)
	if err != nil {
		return nil, err
	}
	doc, _, err := s.getFunction(ctx, name)
	if err != nil {
		return nil, err
	}
	limit := maxSyncPayload
	if typ == invokeAsync {
		limit = maxAsyncPayload
	}
	if len(in.Payload) > limit {
		return nil, lambdaError(codeTooLarge, http.StatusRequestEntityTooLarge,
			"Request must be smaller than %d bytes for the InvokeFunction operation", limit)
	}
	payload := in.Payload
	if len(strings.TrimSpace(string(payload))) == 0 {
		payload = []byte("{}")
	} else if err := checkPayload(payload); err != nil {
		return nil, err
	}
	clientContext := ""
	if in.ClientContext != "" {
		cc, err := decodeClientContext(in.ClientContext)
		if err != nil {
			return nil, err
		}
		clientContext = cc
	}
	id := in.RequestID
	if id == "" {
		id = uuid.New()
	}
	arn := doc.Configuration.FunctionArn
	if q := qualifierOf(in.FunctionName, in.Qualifier); q != "" {
		arn += ":" + q
	}
	res := &invokeResult{RequestID: id}
	switch typ {
	case invokeDryRun:
		res.StatusCode = http.StatusNoContent
		return res, nil
	case invokeAsync:
		if err := s.enqueue(doc, &invocation{id: id, payload: payload, arn: arn, clientContext: clientContext}); err != nil {
			return nil, err
		}
		res.StatusCode = http.StatusAccepted
		return res, nil
	}
	inv := &invocation{id: id, payload: payload, arn: arn, clientContext: clientContext}
	o, err := s.runOnce(ctx, doc, inv)
	if err != nil {
		return nil, err
	}
	res.StatusCode = http.StatusOK
	res.Payload = o.payload
	if o.functionError {
		res.FunctionError = "Unhandled"
		res.ErrorType = o.errorType
		res.Unknown = o.unknown
	}
	if in.Tail {
		res.LogResult = encodeTail(inv.tail())
	}
	return res, nil
}

// runOnce runs an invocation in a free environment of the function.
func (s *Service) runOnce(ctx context.Context, doc *functionDoc, inv *invocation) (outcome, error) {
	p, err := s.pool(doc.Configuration.FunctionName)
	if err != nil {
		return outcome{}, err
	}
	e, err := p.acquire(ctx, doc)
	if err != nil {
		if errors.Is(err, errStopped) {
			return outcome{}, lambdaError(codeService, http.StatusServiceUnavailable, "The Lambda service is stopping.")
		}
		if ctx.Err() != nil {
			return outcome{}, ctx.Err()
		}
		return outcome{}, err
	}
	defer p.release(e)
	inv.timeout = time.Duration(doc.Configuration.Timeout) * time.Second
	inv.traceID = traceID(s.cfg.Clock.Now())
	inv.done = make(chan outcome, 1)
	inv.flushed = make(chan struct{})
	return e.run(inv), nil
}

// kindAsync is a queued asynchronous invocation in the store: it is recorded before
// Invoke answers 202 and deleted once it has run (or failed after its retries), so a
// server stop loses none — those still queued run when the server starts again (at least
// once, as Lambda's asynchronous invocations are).
const kindAsync = "lambda:async-invocation"

// asyncDoc is a queued asynchronous invocation.
type asyncDoc struct {
	Function      string `json:"Function"`
	ARN           string `json:"ARN"`
	Payload       []byte `json:"Payload"`
	ClientContext string `json:"ClientContext,omitempty"`
	Attempt       int    `json:"Attempt"` // attempts that failed so far
}

// enqueue records an asynchronous invocation and runs it in the background.
func (s *Service) enqueue(doc *functionDoc, inv *invocation) error {
	a := &asyncDoc{Function: doc.Configuration.FunctionName, ARN: inv.arn, Payload: inv.payload, ClientContext: inv.clientContext}
	b, err := json.Marshal(a)
	if err != nil {
		return err
	}
	if _, err := s.cfg.Store.ResourceCreate(context.WithoutCancel(s.ctx), &store.ResourceCreateParams{
		Kind: kindAsync, Name: inv.id, Doc: b, CreatedAt: s.cfg.Clock.Now(),
	}); err != nil {
		return fmt.Errorf("lambda: queueing an asynchronous invocation: %w", err)
	}
	return s.runAsync(inv.id, a)
}

// resumeAsync runs again the asynchronous invocations queued when the server stopped.
func (s *Service) resumeAsync(ctx context.Context) error {
	var after string
	for {
		res, err := s.cfg.Store.ResourceList(ctx, &store.ResourceListParams{Kind: kindAsync, After: after})
		if err != nil {
			return fmt.Errorf("lambda: listing queued asynchronous invocations: %w", err)
		}
		for _, r := range res.Resources {
			var a asyncDoc
			if err := json.Unmarshal(r.Doc, &a); err != nil {
				s.log.Error("dropping an unreadable queued invocation", "request_id", r.Name, "err", err)
				s.forgetAsync(r.Name)
				continue
			}
			if err := s.runAsync(r.Name, &a); err != nil {
				return err
			}
		}
		if res.Next == "" {
			return nil
		}
		after = res.Next
	}
}

func (s *Service) forgetAsync(id string) {
	err := s.cfg.Store.ResourceDelete(context.WithoutCancel(s.ctx), &store.ResourceDeleteParams{Kind: kindAsync, Name: id})
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.log.Warn("could not remove a finished asynchronous invocation", "request_id", id, "err", err)
	}
}

// runAsync runs a queued invocation in the background, retrying a failure twice as
// Lambda does, and forgets it when it is done. A server stop leaves it queued.
func (s *Service) runAsync(id string, a *asyncDoc) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return lambdaError(codeService, http.StatusServiceUnavailable, "The Lambda service is stopping.")
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		name := a.Function
		for attempt := a.Attempt; ; attempt++ {
			if s.ctx.Err() != nil {
				return // stays queued for the next start
			}
			d, _, err := s.getFunction(s.ctx, name)
			if err != nil {
				if s.ctx.Err() != nil {
					return
				}
				s.log.Info("asynchronous invocation dropped", "function", name, "request_id", id, "err", err)
				s.forgetAsync(id)
				return
			}
			run := &invocation{id: id, payload: a.Payload, arn: a.ARN, clientContext: a.ClientContext}
			o, err := s.runOnce(s.ctx, d, run)
			if err == nil && !o.functionError {
				s.forgetAsync(id)
				return
			}
			if s.ctx.Err() != nil {
				return // stopped mid-run: it runs again at the next start
			}
			if err != nil {
				s.log.Info("asynchronous invocation dropped", "function", name, "request_id", id, "err", err)
				s.forgetAsync(id)
				return
			}
			if attempt >= len(asyncRetryDelays) {
				s.log.Info("asynchronous invocation failed after its retries", "function", name, "request_id", id, "error_type", o.errorType)
				s.forgetAsync(id)
				return
			}
			a.Attempt = attempt + 1
			if b, err := json.Marshal(a); err == nil {
				_, _ = s.cfg.Store.ResourceUpdate(context.WithoutCancel(s.ctx), &store.ResourceUpdateParams{Kind: kindAsync, Name: id, Doc: b})
			}
			select {
			case <-s.cfg.Clock.After(asyncRetryDelays[attempt]):
			case <-s.ctx.Done():
				return
			}
		}
	}()
	return nil
}

// FunctionError is the error Invoke returns for a function that failed: Payload is the
// error document the function (or Lambda) gave.
type FunctionError struct {
	Function string
	Type     string // the error type, "" when Lambda gave none
	Payload  []byte
}

func (e *FunctionError) Error() string {
	if e.Type == "" {
		return fmt.Sprintf("lambda: function %s failed: %s", e.Function, e.Payload)
	}
	return fmt.Sprintf("lambda: function %s failed with %s: %s", e.Function, e.Type, e.Payload)
}

// Invoke invokes a function for another service (EventBridge and SNS targets): by name
// or ARN, synchronously (the function's response; a *FunctionError when it failed) or,
// with async, queued (nil, nil). Errors of the Lambda API come back as *api.Error.
func (s *Service) Invoke(ctx context.Context, functionNameOrARN string, payload []byte, async bool) ([]byte, error) {
	typ := invokeSync
	if async {
		typ = invokeAsync
	}
	res, err := s.invoke(ctx, &invokeParams{FunctionName: functionNameOrARN, InvocationType: typ, Payload: payload})
	if err != nil {
		return nil, err
	}
	if res.FunctionError != "" {
		ref, _ := parseFunctionName(functionNameOrARN)
		typ := res.ErrorType
		if res.Unknown {
			typ = ""
		}
		return res.Payload, &FunctionError{Function: ref.Name, Type: typ, Payload: res.Payload}
	}
	return res.Payload, nil
}

// checkPayload refuses a payload that is not JSON, in Lambda's words (which come from
// its Java JSON parser).
func checkPayload(b []byte) error {
	if json.Valid(b) {
		return nil
	}
	var v any
	err := json.Unmarshal(b, &v)
	detail := ""
	if err != nil {
		detail = err.Error()
	}
	t := strings.TrimSpace(string(b))
	if t != "" && (unicode.IsLetter(rune(t[0])) || t[0] == '_') {
		end := strings.IndexFunc(t, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' })
		if end < 0 {
			end = len(t)
		}
		detail = fmt.Sprintf("Unrecognized token '%s': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')", t[:end])
	}
	return lambdaError(codeInvalidContent, http.StatusBadRequest, "Could not parse request body into json: Could not parse payload into json: %s", detail)
}

// qualifierOf is the qualifier a caller named, in the name or the parameter.
func qualifierOf(name, qualifier string) string {
	if qualifier != "" {
		return qualifier
	}
	ref, _ := parseFunctionName(name)
	return ref.Qualifier
}

// traceID is an X-Ray trace header for an invocation.
func traceID(now time.Time) string {
	return fmt.Sprintf("Root=1-%08x-%s;Parent=%s;Sampled=0;Lineage=1:%s:0", now.Unix(), newID(12), newID(8), newID(4))
}
