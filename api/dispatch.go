// Package api is stepwise's AWS wire layer: it takes the HTTP requests that the aws CLI,
// boto3 and the AWS SDKs send, finds the service and operation they are for, checks
// their signature when asked to, decodes them, and writes replies and errors in the shape
// each AWS protocol expects.
//
// Services register with a Dispatcher by protocol: RegisterJSON (awsJson 1.0/1.1, routed
// by X-Amz-Target), RegisterQuery (Action= forms with XML replies), RegisterREST (routed
// by path). Operations return their output or an error; an *Error is sent as is, other
// errors go through the service's ErrorMapper and, failing that, become an internal
// failure that is logged and never shown to the client.
package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/stepwise-dev/stepwise/internal/uuid"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

// InternalPrefix is the path prefix of stepwise's own pages (console, metrics, health).
// No S3 bucket can take it: bucket names have no underscores.
const InternalPrefix = "/_stepwise/"

// DefaultMaxRequestBytes bounds request bodies of services that set no limit of their
// own: AWS's 1 MB request limit of Step Functions.
const DefaultMaxRequestBytes = 1 << 20

// Defaults of Options.
const (
	DefaultRegion    = "us-east-1"
	DefaultAccountID = "123456789012"
)

// Options configure a Dispatcher.
type Options struct {
	// Region and AccountID are the ones the server stands for; they go into every ARN.
	Region    string
	AccountID string
	// Verifier checks request signatures; nil leaves them unchecked (the default on
	// loopback, where the aws CLI's dummy keys must just work).
	Verifier Verifier
	Logger   *slog.Logger
	// Version is reported by the health page.
	Version string
}

// Dispatcher is an http.Handler that routes AWS API requests to registered services.
// Register every service, internal page and health check before serving: registration
// is not synchronised with requests.
type Dispatcher struct {
	opts     Options
	log      *slog.Logger
	json     map[string]*JSONService  // by X-Amz-Target prefix
	query    map[string]*QueryService // by signing name
	rest     []*RESTService
	internal *http.ServeMux
	checks   []healthCheck
	drain    chan struct{}
	drainOne sync.Once
}

// NewDispatcher makes a dispatcher that serves InternalPrefix+"health" and nothing else
// until services are registered.
func NewDispatcher(opts Options) *Dispatcher {
	if opts.Region == "" {
		opts.Region = DefaultRegion
	}
	if opts.AccountID == "" {
		opts.AccountID = DefaultAccountID
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	d := &Dispatcher{
		opts:     opts,
		log:      opts.Logger,
		json:     map[string]*JSONService{},
		query:    map[string]*QueryService{},
		internal: http.NewServeMux(),
		drain:    make(chan struct{}),
	}
	d.internal.HandleFunc("GET "+InternalPrefix+"health", d.serveHealth)
	return d
}

// HandleInternal serves pattern (an http.ServeMux pattern whose path starts with
// InternalPrefix, such as "GET /_stepwise/metrics") with h. Signatures are not checked
// there; a handler that needs them checks them itself.
func (d *Dispatcher) HandleInternal(pattern string, h http.Handler) error {
	path := pattern
	if _, p, ok := strings.Cut(pattern, " "); ok {
		path = p
	}
	if !strings.HasPrefix(path, InternalPrefix) {
		return fmt.Errorf("api: internal pattern %q must start with %s", pattern, InternalPrefix)
	}
	d.internal.Handle(pattern, h)
	return nil
}

// Drain tells long-lived requests (long polls such as GetActivityTask, server-sent
// events) to finish now, because the server is stopping. Safe to call twice.
func (d *Dispatcher) Drain() {
	d.drainOne.Do(func() { close(d.drain) })
}

// Draining is closed once Drain was called: a long poll selects on it and answers
// early (with its empty reply), so a stopping server need not wait for it.
func (d *Dispatcher) Draining() <-chan struct{} { return d.drain }

// Region is the region the dispatcher stands for.
func (d *Dispatcher) Region() string { return d.opts.Region }

// AccountID is the account the dispatcher stands for.
func (d *Dispatcher) AccountID() string { return d.opts.AccountID }

// RequestInfo is what a handler knows of its request beyond the input.
type RequestInfo struct {
	RequestID string
	// Service is the signing name of the service serving the request (states,
	// sagemaker, s3...); Operation its operation, which REST handlers fill in once they
	// have routed the request.
	Service   string
	Operation string
	// Region and AccountID are the server's (see Options).
	Region    string
	AccountID string
	// Scope is the credential scope the client signed with; zero when unsigned.
	Scope Scope
	// Principal is who signed; zero when signatures are not checked.
	Principal Principal
	HTTP      *http.Request
}

type infoKey struct{}

// RequestInfoFrom returns the request info of a handler's context, or nil outside one.
func RequestInfoFrom(ctx context.Context) *RequestInfo {
	ri, _ := ctx.Value(infoKey{}).(*RequestInfo)
	return ri
}

// WithRequestInfo returns ctx carrying ri, for calling handlers outside a dispatcher
// (tests, in-process callers).
func WithRequestInfo(ctx context.Context, ri *RequestInfo) context.Context {
	return context.WithValue(ctx, infoKey{}, ri)
}

// Log attribute keys, named once.
const (
	logRequestID = "request_id"
	logService   = "service"
	logOperation = "operation"
)

// ServeHTTP routes one request.
func (d *Dispatcher) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rw := &responseWriter{ResponseWriter: w}
	info := &RequestInfo{RequestID: newRequestID(), Region: d.opts.Region, AccountID: d.opts.AccountID, HTTP: r}
	w.Header().Set("x-amzn-RequestId", info.RequestID)
	// Until the service is known, failures are written as awsJson 1.0.
	target := errorTarget{protocol: ProtocolJSON10}
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler { // net/http's way to abort a reply: let it through
				panic(v)
			}
			d.log.Error("panic serving request", logRequestID, info.RequestID, logService, info.Service,
				logOperation, info.Operation, "panic", fmt.Sprint(v))
			if !rw.wrote {
				writeError(rw, target, InternalError(target.protocol.internalCode()), info.RequestID)
			}
		}
		d.log.Debug("request", "method", r.Method, "path", r.URL.Path, logService, info.Service,
			logOperation, info.Operation, "status", rw.status, "duration", time.Since(start), logRequestID, info.RequestID)
	}()
	if strings.HasPrefix(r.URL.Path, InternalPrefix) {
		d.internal.ServeHTTP(rw, r)
		return
	}
	if scope, ok := ParseScope(r); ok {
		info.Scope = scope
	}
	switch {
	case r.Header.Get("X-Amz-Target") != "":
		d.serveJSON(rw, r, info, &target)
	case d.isQuery(r, info.Scope):
		d.serveQuery(rw, r, info, &target)
	default:
		d.serveREST(rw, r, info, &target)
	}
}

// fail writes err in the target's shape. Errors that are not *Error and that the
// service does not map are logged and sent as an internal failure.
func (d *Dispatcher) fail(w *responseWriter, t errorTarget, mapErr ErrorMapper, info *RequestInfo, err error) {
	e, ok := toError(err, mapErr)
	if !ok {
		d.log.Error("operation failed", logRequestID, info.RequestID, logService, info.Service,
			logOperation, info.Operation, "err", err)
		e = InternalError(t.protocol.internalCode())
	}
	if w.wrote {
		d.log.Error("error after the reply began", logRequestID, info.RequestID, logService, info.Service,
			logOperation, info.Operation, "err", err)
		return
	}
	writeError(w, t, e, info.RequestID)
}

// readBody reads the whole body, refusing more than limit bytes.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, *Error) {
	if limit <= 0 {
		limit = DefaultMaxRequestBytes
	}
	if r.ContentLength > limit {
		return nil, RequestTooLargeError(limit)
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
			return nil, RequestTooLargeError(limit)
		}
		return nil, SerializationError("Could not read the request body: " + err.Error())
	}
	return b, nil
}

// verify checks the signature when a verifier is configured, and maps a refusal to the
// protocol's error.
func (d *Dispatcher) verify(r *http.Request, info *RequestInfo, p Protocol, body []byte, streamed bool) *Error {
	if d.opts.Verifier == nil {
		return nil
	}
	hash := ""
	if !streamed {
		hash = sha256Hex(body)
	}
	principal, err := d.opts.Verifier.Verify(r, hash)
	if err != nil {
		d.log.Info("signature refused", logRequestID, info.RequestID, "access_key", info.Scope.AccessKeyID, "err", err)
		var ae *AuthError
		if !errors.As(err, &ae) {
			ae = &AuthError{AuthSignatureMismatch, signatureMismatchMessage}
		}
		return authError(p, ae)
	}
	info.Principal = principal
	return nil
}

// authError names a refused signature as the protocol's services do: coral's
// *Exception codes for the JSON protocols, the query protocol's codes, S3's.
func authError(p Protocol, ae *AuthError) *Error {
	type codes struct{ missing, incomplete, unknownKey, mismatch, expired string }
	var c codes
	status := http.StatusForbidden
	msg := ae.Message
	switch p {
	case ProtocolQuery:
		c = codes{"MissingAuthenticationToken", "IncompleteSignature", "InvalidClientTokenId", "SignatureDoesNotMatch", "SignatureDoesNotMatch"}
	case ProtocolRESTXML:
		c = codes{"AccessDenied", "AuthorizationHeaderMalformed", "InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied"}
		switch ae.Failure {
		case AuthMissing:
			msg = "Access Denied"
		case AuthUnknownKey:
			msg = "The AWS Access Key Id you provided does not exist in our records."
		}
	default:
		c = codes{"MissingAuthenticationTokenException", "IncompleteSignatureException", "UnrecognizedClientException",
			"InvalidSignatureException", "InvalidSignatureException"}
		if p == ProtocolJSON10 || p == ProtocolJSON11 {
			status = http.StatusBadRequest
		}
	}
	code := c.mismatch
	switch ae.Failure {
	case AuthMissing:
		code = c.missing
	case AuthIncomplete:
		code, status = c.incomplete, http.StatusBadRequest
	case AuthUnknownKey:
		code = c.unknownKey
	case AuthSignatureMismatch:
		code = c.mismatch
	case AuthExpired:
		code = c.expired
	}
	return &Error{Code: code, Message: msg, HTTPStatus: status, Sender: true, Namespace: NamespaceCoralService}
}

// responseWriter remembers whether the reply has begun, so an error is never written
// into the middle of one.
type responseWriter struct {
	http.ResponseWriter
	wrote  bool
	status int
}

func (w *responseWriter) WriteHeader(status int) {
	if !w.wrote {
		w.wrote, w.status = true, status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *responseWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.wrote, w.status = true, http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach Flush and deadlines (server-sent events).
func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// newRequestID is a random (version 4) UUID, the form of AWS's request ids.
func newRequestID() string { return uuid.New() }

type healthCheck struct {
	name  string
	check func(context.Context) error
}

// AddHealthCheck makes the health page report check under name; the page answers 503
// while any check fails.
func (d *Dispatcher) AddHealthCheck(name string, check func(context.Context) error) {
	d.checks = append(d.checks, healthCheck{name, check})
}

func (d *Dispatcher) serveHealth(w http.ResponseWriter, r *http.Request) {
	type result struct {
		Name   string `json:"name"`
		Status string `json:"status"`
		Error  string `json:"error,omitempty"`
	}
	services := []string{}
	for _, j := range d.json {
		services = append(services, j.SigningName)
	}
	for _, q := range d.query {
		services = append(services, q.SigningName)
	}
	for _, s := range d.rest {
		services = append(services, s.SigningName)
	}
	sort.Strings(services)
	status, code := "ok", http.StatusOK
	checks := []result{}
	for _, c := range d.checks {
		res := result{Name: c.name, Status: "ok"}
		if err := c.check(r.Context()); err != nil {
			res.Status, res.Error = "failing", err.Error()
			status, code = "failing", http.StatusServiceUnavailable
		}
		checks = append(checks, res)
	}
	body, _ := marshalJSON(struct {
		Status    string   `json:"status"`
		Version   string   `json:"version,omitempty"`
		Region    string   `json:"region"`
		AccountID string   `json:"accountId"`
		Services  []string `json:"services"`
		Checks    []result `json:"checks"`
	}{status, d.opts.Version, d.opts.Region, d.opts.AccountID, services, checks})
	writeBody(w, code, "application/json", body)
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
