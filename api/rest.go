package api

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// RESTService is a service spoken in a REST protocol, routed by method and path:
// Lambda (/2015-03-31/functions/...), SageMaker Runtime (/endpoints/{name}/invocations),
// S3 path-style (/{bucket}/{key}). The handler routes within the service and writes its
// own successful replies; errors it returns are written in the protocol's shape.
type RESTService struct {
	// SigningName is the service of the SigV4 scope (lambda, sagemaker, s3). A signed
	// request goes to the services of its scope first, so an S3 key that looks like a
	// Lambda path stays with S3.
	SigningName string
	// Protocol is ProtocolRESTJSON or ProtocolRESTXML.
	Protocol Protocol
	// Match says whether a request is for this service. nil makes the service the
	// catch-all of requests nothing else matched (S3, whose paths can be anything).
	Match func(r *http.Request) bool
	// MaxRequestBytes bounds bodies read for the handler; 0 means DefaultMaxRequestBytes.
	MaxRequestBytes int64
	// StreamBody leaves the body unread for the handler (S3 uploads). When signatures
	// are checked, the client's x-amz-content-sha256 stands for the body and the
	// handler must check the body against it.
	StreamBody bool
	MapError   ErrorMapper
	Handler    RESTHandler
}

// RESTHandler serves a request of a REST service. Unless the service streams, body is
// the whole request body (r.Body reads it again). It sets RequestInfoFrom(ctx).Operation
// once it knows the operation.
type RESTHandler func(ctx context.Context, w http.ResponseWriter, r *http.Request, body []byte) error

// PathPrefix is a Match for the requests whose path starts with prefix.
func PathPrefix(prefix string) func(*http.Request) bool {
	return func(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, prefix) }
}

// RegisterREST adds a REST service. Services with a Match are tried in registration
// order; at most one may be the catch-all.
func (d *Dispatcher) RegisterREST(s *RESTService) error {
	if s.Protocol != ProtocolRESTJSON && s.Protocol != ProtocolRESTXML {
		return fmt.Errorf("api: REST service %s: protocol must be %s or %s", s.SigningName, ProtocolRESTJSON, ProtocolRESTXML)
	}
	if s.Handler == nil {
		return fmt.Errorf("api: REST service %s has no handler", s.SigningName)
	}
	if s.Match == nil {
		for _, o := range d.rest {
			if o.Match == nil {
				return fmt.Errorf("api: REST services %s and %s both claim every path", o.SigningName, s.SigningName)
			}
		}
	}
	d.rest = append(d.rest, s)
	return nil
}

// restServiceFor picks the REST service of r: among the services of the signed scope
// when there are any, else by path; the catch-all last.
func (d *Dispatcher) restServiceFor(r *http.Request, scope Scope) *RESTService {
	pick := func(ok func(*RESTService) bool) *RESTService {
		var fallback *RESTService
		for _, s := range d.rest {
			if !ok(s) {
				continue
			}
			if s.Match == nil {
				fallback = s
			} else if s.Match(r) {
				return s
			}
		}
		return fallback
	}
	if scope.Service != "" {
		if s := pick(func(s *RESTService) bool { return s.SigningName == scope.Service }); s != nil {
			return s
		}
	}
	return pick(func(*RESTService) bool { return true })
}

func (d *Dispatcher) serveREST(w *responseWriter, r *http.Request, info *RequestInfo, target *errorTarget) {
	svc := d.restServiceFor(r, info.Scope)
	if svc == nil {
		e := Errorf("UnknownOperationException", "No AWS operation matches %s %s: stepwise serves the JSON APIs at POST / with an X-Amz-Target header; its health is at %shealth",
			r.Method, r.URL.Path, InternalPrefix)
		e.HTTPStatus = http.StatusNotFound
		e.Namespace = NamespaceCoralService
		writeError(w, *target, e, info.RequestID)
		return
	}
	*target = errorTarget{protocol: svc.Protocol}
	info.Service = svc.SigningName
	if svc.Protocol == ProtocolRESTXML {
		w.Header().Set("x-amz-request-id", info.RequestID)
	}
	var body []byte
	if !svc.StreamBody {
		var e *Error
		if body, e = readBody(w, r, svc.MaxRequestBytes); e != nil {
			writeError(w, *target, e, info.RequestID)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	if e := d.verify(r, info, svc.Protocol, body, svc.StreamBody); e != nil {
		writeError(w, *target, e, info.RequestID)
		return
	}
	if err := svc.Handler(WithRequestInfo(r.Context(), info), w, r, body); err != nil {
		d.fail(w, *target, svc.MapError, info, err)
	}
}
