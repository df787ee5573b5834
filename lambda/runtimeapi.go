package lambda

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"time"
)

// The Lambda Runtime API (2018-06-01), served to one environment's runtime on loopback:
// the runtime asks for the next invocation, then reports its response or error; a
// runtime that cannot start reports an init error.
const runtimePrefix = "/2018-06-01/runtime"

func (e *environment) runtimeAPI() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+runtimePrefix+"/invocation/next", e.serveNext)
	mux.HandleFunc("POST "+runtimePrefix+"/invocation/{id}/response", e.serveResponse)
	mux.HandleFunc("POST "+runtimePrefix+"/invocation/{id}/error", e.serveError)
	mux.HandleFunc("POST "+runtimePrefix+"/init/error", e.serveInitError)
	return mux
}

func writeRuntimeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

type runtimeError struct {
	ErrorMessage string `json:"errorMessage"`
	ErrorType    string `json:"errorType"`
}

var accepted = struct {
	Status string `json:"status"`
}{"OK"}

func (e *environment) serveNext(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	if e.initDuration == 0 {
		e.initDuration = e.p.s.cfg.Clock.Now().Sub(e.started)
		if e.initDuration <= 0 {
			e.initDuration = time.Microsecond
		}
	}
	e.mu.Unlock()
	var inv *invocation
	select {
	case inv = <-e.next:
	case <-e.stopped:
		writeRuntimeJSON(w, http.StatusGone, runtimeError{"The environment is shutting down.", "EnvironmentShutdown"})
		return
	case <-r.Context().Done():
		return
	}
	e.startInvocation(inv)
	e.mu.Lock()
	deadline := inv.start.Add(inv.timeout)
	e.mu.Unlock()
	h := w.Header()
	h.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
	h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(deadline.UnixMilli(), 10))
	h.Set("Lambda-Runtime-Invoked-Function-Arn", inv.arn)
	h.Set("Lambda-Runtime-Trace-Id", inv.traceID)
	if inv.clientContext != "" {
		h.Set("Lambda-Runtime-Client-Context", inv.clientContext)
	}
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(inv.payload)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(inv.payload)
}

// current returns the invocation a report is for, or answers 400 as Lambda does.
func (e *environment) current(w http.ResponseWriter, id string) *invocation {
	e.mu.Lock()
	inv := e.cur
	e.mu.Unlock()
	if inv == nil || inv.id != id {
		writeRuntimeJSON(w, http.StatusBadRequest, runtimeError{"Invalid request ID", "InvalidRequestID"})
		return nil
	}
	return inv
}

// report hands an invocation's outcome to the waiting invoker once, after the output
// the runtime printed before reporting has been read.
func (e *environment) report(inv *invocation, o outcome) bool {
	if e.ours {
		select {
		case <-inv.flushed:
		case <-time.After(flushWait): // a wall-clock bound on reading pipes, not a timeout of the function
		}
	}
	select {
	case inv.done <- o:
		return true
	default:
		return false
	}
}

func (e *environment) serveResponse(w http.ResponseWriter, r *http.Request) {
	inv := e.current(w, r.PathValue("id"))
	if inv == nil {
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxResponsePayload+1))
	if err != nil {
		return
	}
	if len(body) > maxResponsePayload {
		msg := "Response payload size exceeded maximum allowed payload size (6291556 bytes)."
		b, _ := json.Marshal(runtimeError{msg, "Function.ResponseSizeTooLarge"})
		e.report(inv, outcome{payload: b, functionError: true, errorType: "Function.ResponseSizeTooLarge", report: "error"})
		writeRuntimeJSON(w, http.StatusRequestEntityTooLarge, runtimeError{"Exceeded maximum allowed payload size (6291556 bytes).", "RequestEntityTooLarge"})
		return
	}
	if !e.report(inv, outcome{payload: body}) {
		writeRuntimeJSON(w, http.StatusBadRequest, runtimeError{"Invalid request ID", "InvalidRequestID"})
		return
	}
	writeRuntimeJSON(w, http.StatusAccepted, accepted)
}

// errorReport reads an error a runtime posted: its JSON body, or one made from the
// Lambda-Runtime-Function-Error-Type header when the body is not an error document.
func errorReport(r *http.Request) ([]byte, string) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxResponsePayload))
	typ := r.Header.Get("Lambda-Runtime-Function-Error-Type")
	var doc struct {
		ErrorType *string `json:"errorType"`
	}
	if json.Unmarshal(body, &doc) == nil && json.Valid(body) {
		if doc.ErrorType != nil {
			typ = *doc.ErrorType
		}
		return body, typ
	}
	if typ == "" {
		typ = "Unhandled"
	}
	b, _ := json.Marshal(runtimeError{string(body), typ})
	return b, typ
}

func (e *environment) serveError(w http.ResponseWriter, r *http.Request) {
	inv := e.current(w, r.PathValue("id"))
	if inv == nil {
		return
	}
	body, typ := errorReport(r)
	if !e.report(inv, outcome{payload: body, functionError: true, errorType: typ}) {
		writeRuntimeJSON(w, http.StatusBadRequest, runtimeError{"Invalid request ID", "InvalidRequestID"})
		return
	}
	writeRuntimeJSON(w, http.StatusAccepted, accepted)
}

func (e *environment) serveInitError(w http.ResponseWriter, r *http.Request) {
	body, typ := errorReport(r)
	e.mu.Lock()
	already := e.initErr != nil
	if !already {
		e.initErr, e.initErrType = body, typ
	}
	e.mu.Unlock()
	if already {
		writeRuntimeJSON(w, http.StatusForbidden, runtimeError{"Invalid state transition: init error reported twice", "InvalidStateTransition"})
		return
	}
	writeRuntimeJSON(w, http.StatusAccepted, accepted)
	// Lambda ends a runtime that failed to start; the pending invocation gets the error.
	go e.stop()
}
