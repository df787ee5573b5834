package sagemaker

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/stepwise-dev/stepwise/api"
	"github.com/stepwise-dev/stepwise/store"
)

// SageMaker Runtime: POST /endpoints/{EndpointName}/invocations (InvokeEndpoint,
// restJson1, signing name sagemaker), a reverse proxy to the endpoint's serving
// processes. The request body is read by the dispatcher (at most 6 MB are accepted);
// the reply is streamed from the serving process as it comes.

// Limits of InvokeEndpoint (botocore's sagemaker-runtime model).
const (
	maxInvokeBody        = 6291456
	maxCustomAttributes  = 1024
	maxTargetVariant     = 63
	maxInferenceID       = 64
	invocationTimeout    = 60 * time.Second
	maxOriginalMessage   = 2048
	runtimeReadBodyLimit = 16 << 20 // bodies beyond it are refused by the dispatcher
)

// InvokeEndpoint's headers.
const (
	hdrCustomAttributes = "X-Amzn-Sagemaker-Custom-Attributes"
	hdrTargetVariant    = "X-Amzn-Sagemaker-Target-Variant"
	hdrTargetModel      = "X-Amzn-Sagemaker-Target-Model"
	hdrInferenceID      = "X-Amzn-Sagemaker-Inference-Id"
	hdrInvokedVariant   = "X-Amzn-Invoked-Production-Variant"
)

// registerRuntime adds SageMaker Runtime (InvokeEndpoint) to a dispatcher.
func (s *Service) registerRuntime(d *api.Dispatcher) error {
	m := s.fleets()
	return d.RegisterREST(&api.RESTService{
		SigningName:     "sagemaker",
		Protocol:        api.ProtocolRESTJSON,
		Match:           api.PathPrefix("/endpoints/"),
		MaxRequestBytes: runtimeReadBodyLimit,
		MapError:        mapError,
		Handler: func(ctx context.Context, w http.ResponseWriter, r *http.Request, body []byte) error {
			err := m.serveRuntime(ctx, w, r, body)
			var me *modelErr
			if errors.As(err, &me) {
				writeModelError(w, me)
				return nil
			}
			return err
		},
	})
}

// writeModelError writes a ModelError as botocore reads it: the code in
// x-amzn-ErrorType, the message and the error's members in the JSON body.
func writeModelError(w http.ResponseWriter, e *modelErr) {
	b, _ := json.Marshal(e)
	h := w.Header()
	h.Set("x-amzn-ErrorType", "ModelError")
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusFailedDependency)
	_, _ = w.Write(b)
}

// runtimeError is an error of SageMaker Runtime (restJson1: the code in
// x-amzn-ErrorType, the message in the body).
func runtimeError(code string, status int, format string, a ...any) *api.Error {
	return &api.Error{Code: code, Message: fmt.Sprintf(format, a...), HTTPStatus: status, Sender: status < 500}
}

func runtimeValidation(format string, a ...any) *api.Error {
	return runtimeError("ValidationError", http.StatusBadRequest, format, a...)
}

// runtimeConstraint is a model-constraint violation, in SageMaker Runtime's code.
func runtimeConstraint(value *string, field, constraint string) *api.Error {
	return runtimeValidation("1 validation error detected: %s", api.ConstraintViolation(value, field, constraint))
}

func (m *fleetManager) serveRuntime(ctx context.Context, w http.ResponseWriter, r *http.Request, body []byte) error {
	rest, _ := strings.CutPrefix(r.URL.Path, "/endpoints/")
	name, op, _ := strings.Cut(rest, "/")
	if op != "invocations" || r.Method != http.MethodPost {
		e := runtimeError("UnknownOperationException", http.StatusNotFound,
			"No SageMaker Runtime operation matches %s %s: stepwise serves InvokeEndpoint (POST /endpoints/{EndpointName}/invocations).", r.Method, r.URL.Path)
		return e
	}
	reqID := ""
	if info := api.RequestInfoFrom(ctx); info != nil {
		info.Operation = "InvokeEndpoint"
		reqID = info.RequestID
	}
	if err := checkInvoke(name, reqID, r.Header, body); err != nil {
		return err
	}
	le := m.lookup(name)
	var table *routeTable
	if le != nil {
		table = le.route.Load()
	}
	if table == nil {
		return m.notServing(ctx, name)
	}
	target := r.Header.Get(hdrTargetVariant)
	ctx, cancel := context.WithTimeout(ctx, invocationTimeout)
	defer cancel()
	for {
		var v *liveVariant
		if target != "" {
			v = table.byName[target]
			if v == nil {
				return runtimeValidation("Variant %s not found for endpoint %s.", target, name)
			}
		} else if v = table.pick(); v == nil {
			return runtimeValidation("Endpoint %s has no production variant with a weight above 0: set a weight with UpdateEndpointWeightsAndCapacities or name a variant with TargetVariant.", name)
		}
		in, si, err := v.acquire(ctx)
		if errors.Is(err, errStaleRoute) {
			// The fleet was replaced after the table was read: read it again.
			if table = le.route.Load(); table == nil {
				return m.notServing(ctx, name)
			}
			continue
		}
		if err != nil {
			return m.timedOut(le, v.name)
		}
		err = m.forward(ctx, w, r, body, le, v.name, in, si)
		in.release()
		return err
	}
}

// checkInvoke applies InvokeEndpoint's model constraints.
func checkInvoke(name, reqID string, h http.Header, body []byte) error {
	if len(name) > 63 {
		return runtimeConstraint(&name, "endpointName", "Member must have length less than or equal to 63")
	}
	if !jobNamePattern.MatchString(name) {
		return runtimeConstraint(&name, "endpointName", "Member must satisfy regular expression pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9])*")
	}
	if len(body) > maxInvokeBody {
		return runtimeValidation("Request %s has oversize body: %d bytes, more than the %d bytes InvokeEndpoint accepts.",
			reqID, len(body), maxInvokeBody)
	}
	for _, c := range []struct {
		header, field string
		limit         int
	}{
		{hdrCustomAttributes, "customAttributes", maxCustomAttributes},
		{hdrTargetVariant, "targetVariant", maxTargetVariant},
		{hdrInferenceID, "inferenceId", maxInferenceID},
		{"Content-Type", "contentType", 1024},
		{"Accept", "accept", 1024},
	} {
		if v := h.Get(c.header); len(v) > c.limit {
			return runtimeConstraint(nil, c.field, fmt.Sprintf("Member must have length less than or equal to %d", c.limit))
		}
	}
	if h.Get(hdrTargetModel) != "" {
		return runtimeValidation("TargetModel is for multi-model endpoints, which stepwise does not serve yet.")
	}
	return nil
}

// notServing is the reply for an endpoint with no fleet in service.
func (m *fleetManager) notServing(ctx context.Context, name string) error {
	r, err := m.s.cfg.Store.ResourceGet(ctx, &store.ResourceGetParams{Kind: kindEndpoint, Name: name})
	if isNotFound(err) {
		return runtimeValidation("Endpoint %s of account %s not found.", name, m.s.cfg.AccountID)
	}
	if err != nil {
		return err
	}
	return runtimeError("ModelNotReadyException", http.StatusTooManyRequests,
		"Endpoint %s of account %s is not ready: its status is %s; it takes invocations once it is InService.", name, m.s.cfg.AccountID, r.Status)
}

// timedOut is the reply when no instance took the request in time (all restarting).
func (m *fleetManager) timedOut(le *liveEndpoint, variant string) error {
	return m.modelError(le, variant, nil, 0, "",
		"Your invocation timed out while waiting for a response from container primary. Review the latency metrics for each container in Amazon CloudWatch, resolve the issue, and try again.")
}

var copyBuffers = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// forward sends the invocation to one serving process and streams its reply back.
func (m *fleetManager) forward(ctx context.Context, w http.ResponseWriter, r *http.Request, body []byte, le *liveEndpoint, variant string, in *liveInstance, si *servingInstance) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, si.URL+"/invocations", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.ContentLength = int64(len(body))
	for _, h := range [...]string{"Content-Type", "Accept", hdrCustomAttributes, hdrInferenceID} {
		if v := r.Header.Get(h); v != "" {
			req.Header.Set(h, v)
		}
	}
	resp, err := si.Client.Do(req)
	if err != nil {
		return m.failedInvoke(ctx, le, variant, in, si, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		kind := "server"
		if resp.StatusCode < 500 {
			kind = "client"
		}
		original := truncate(string(msg), maxOriginalMessage)
		return m.modelError(le, variant, in, resp.StatusCode, original,
			fmt.Sprintf("Received %s error (%d) from primary with message %q.", kind, resp.StatusCode, original))
	}
	h := w.Header()
	if ct := resp.Header.Get("Content-Type"); ct != "" {
		h.Set("Content-Type", ct)
	} else {
		h["Content-Type"] = nil // no sniffing: the reply is the model's bytes
	}
	if ca := resp.Header.Get(hdrCustomAttributes); ca != "" {
		h.Set(hdrCustomAttributes, ca)
	}
	h.Set(hdrInvokedVariant, variant)
	if resp.ContentLength >= 0 {
		h.Set("Content-Length", strconv.FormatInt(resp.ContentLength, 10))
	}
	w.WriteHeader(http.StatusOK)
	buf := copyBuffers.Get().(*[]byte)
	_, err = io.CopyBuffer(w, resp.Body, *buf)
	copyBuffers.Put(buf)
	if err != nil {
		m.s.log.Warn("an invocation reply was cut short", "endpoint", le.name, "variant", variant, "err", err)
	}
	return nil
}

// failedInvoke is the reply when the request to the serving process failed: it timed
// out, or the process died handling it (it is restarted by its supervisor).
func (m *fleetManager) failedInvoke(ctx context.Context, le *liveEndpoint, variant string, in *liveInstance, si *servingInstance, err error) error {
	if ctx.Err() != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return m.timedOut(le, variant)
		}
		return ctx.Err() // the client went away
	}
	// A connection cut by a dying process: wait a little for its exit status.
	t := time.NewTimer(2 * time.Second)
	select {
	case <-si.Done():
	case <-t.C:
	}
	t.Stop()
	if exit := si.exit(); exit != "" {
		return m.modelError(le, variant, in, 0, "",
			fmt.Sprintf("The primary container of production variant %s stopped while handling the request: its process %s; it is being restarted.", variant, exit))
	}
	return m.modelError(le, variant, in, 0, "",
		fmt.Sprintf("An error occurred while sending the request to the primary container of production variant %s: %v", variant, err))
}

// modelError writes SageMaker Runtime's ModelError (424) with its extra members.
func (m *fleetManager) modelError(le *liveEndpoint, variant string, in *liveInstance, status int, original, msg string) error {
	logRef := "the endpoint's logs"
	stream := variant
	if in != nil {
		logRef = in.opts.Dir + "/output.log"
		stream = in.logStream()
	}
	return &modelErr{
		Message:            truncate(fmt.Sprintf("%s See %s in account %s for more information.", msg, logRef, m.s.cfg.AccountID), maxOriginalMessage),
		OriginalStatusCode: status,
		OriginalMessage:    original,
		LogStreamArn: fmt.Sprintf("arn:aws:logs:%s:%s:log-group:/aws/sagemaker/Endpoints/%s:log-stream:%s",
			m.s.cfg.Region, m.s.cfg.AccountID, le.name, stream),
	}
}

// modelErr is a ModelError; it carries members the dispatcher's error shape lacks, so
// the runtime's handler writes it itself (writeModelError).
type modelErr struct {
	Message            string `json:"message"`
	OriginalStatusCode int    `json:"OriginalStatusCode,omitempty"`
	OriginalMessage    string `json:"OriginalMessage,omitempty"`
	LogStreamArn       string `json:"LogStreamArn,omitempty"`
}

func (e *modelErr) Error() string { return "ModelError: " + e.Message }
