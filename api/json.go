package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
)

// JSONService is a service spoken in AWS's JSON RPC protocols: POST / with
// X-Amz-Target: <TargetPrefix>.<Operation> and a JSON body.
type JSONService struct {
	// TargetPrefix is the part of X-Amz-Target before the dot: AWSStepFunctions,
	// SageMaker, AWSEvents, Logs_20140328.
	TargetPrefix string
	// SigningName is the service of the SigV4 scope: states, sagemaker, events, logs.
	SigningName string
	// Protocol is ProtocolJSON10 or ProtocolJSON11; it sets the reply's Content-Type.
	Protocol Protocol
	// ErrorNamespace prefixes "__type" in errors that carry none of their own
	// (Step Functions: com.amazonaws.swf.service.v2.model). Empty: the bare code.
	ErrorNamespace string
	// MaxRequestBytes bounds the body; 0 means DefaultMaxRequestBytes.
	MaxRequestBytes int64
	// MapError turns the service's own errors into wire errors; optional.
	MapError ErrorMapper
	// Operations by name, as in X-Amz-Target.
	Operations map[string]JSONHandler
}

// JSONHandler serves one operation: it decodes body (the request's JSON, "{}" when the
// client sent none) and returns a value to encode as the reply (nil: {}), or an error.
type JSONHandler func(ctx context.Context, body []byte) (any, error)

// JSONOp makes a handler of a typed function: the body is decoded into In with
// DecodeJSON (a malformed body never reaches fn) and *Out is encoded with encoding/json
// (a nil *Out is sent as {}). Request info is in ctx (RequestInfoFrom).
func JSONOp[In, Out any](fn func(ctx context.Context, in *In) (*Out, error)) JSONHandler {
	return func(ctx context.Context, body []byte) (any, error) {
		in := new(In)
		if err := DecodeJSON(body, in); err != nil {
			return nil, err
		}
		out, err := fn(ctx, in)
		if err != nil {
			return nil, err
		}
		if out == nil {
			return struct{}{}, nil
		}
		return out, nil
	}
}

// RegisterJSON adds a JSON-protocol service.
func (d *Dispatcher) RegisterJSON(s *JSONService) error {
	switch {
	case s.TargetPrefix == "" || strings.Contains(s.TargetPrefix, "."):
		return fmt.Errorf("api: JSON service needs a target prefix without dots, not %q", s.TargetPrefix)
	case s.Protocol != ProtocolJSON10 && s.Protocol != ProtocolJSON11:
		return fmt.Errorf("api: JSON service %s: protocol must be %s or %s", s.TargetPrefix, ProtocolJSON10, ProtocolJSON11)
	case d.json[s.TargetPrefix] != nil:
		return fmt.Errorf("api: JSON service %s registered twice", s.TargetPrefix)
	}
	d.json[s.TargetPrefix] = s
	return nil
}

func (d *Dispatcher) serveJSON(w *responseWriter, r *http.Request, info *RequestInfo, target *errorTarget) {
	t := r.Header.Get("X-Amz-Target")
	prefix, op, _ := strings.Cut(t, ".")
	svc := d.json[prefix]
	limit := int64(DefaultMaxRequestBytes)
	*target = errorTarget{protocol: jsonProtocolOf(r)}
	if svc != nil {
		*target = errorTarget{protocol: svc.Protocol, namespace: svc.ErrorNamespace}
		info.Service, info.Operation = svc.SigningName, op
		if svc.MaxRequestBytes > 0 {
			limit = svc.MaxRequestBytes
		}
	}
	var mapErr ErrorMapper
	if svc != nil {
		mapErr = svc.MapError
	}
	body, e := readBody(w, r, limit)
	if e == nil {
		e = d.verify(r, info, target.protocol, body, false)
	}
	if e != nil {
		writeError(w, *target, e, info.RequestID)
		return
	}
	var h JSONHandler
	if svc != nil {
		h = svc.Operations[op]
	}
	if h == nil {
		writeError(w, *target, UnknownOperationError(t), info.RequestID)
		return
	}
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	out, err := h(WithRequestInfo(r.Context(), info), body)
	if err != nil {
		d.fail(w, *target, mapErr, info, err)
		return
	}
	if out == nil {
		out = struct{}{} // an operation without output still answers {}
	}
	reply, err := marshalJSON(out)
	if err != nil {
		d.fail(w, *target, nil, info, fmt.Errorf("encoding the reply of %s: %w", t, err))
		return
	}
	writeBody(w, http.StatusOK, target.protocol.contentType(), reply)
}

// jsonProtocolOf guesses the JSON version from the request's Content-Type, for replying
// to requests no registered service claims.
func jsonProtocolOf(r *http.Request) Protocol {
	if strings.Contains(r.Header.Get("Content-Type"), "json-1.1") {
		return ProtocolJSON11
	}
	return ProtocolJSON10
}

// DecodeJSON decodes an AWS JSON request body into v (a pointer to a struct). Any
// problem is a SerializationException: text that is not JSON, a value of the wrong type
// (a string where a number belongs, an array where an object belongs), or anything after
// the first value. Unknown members are ignored, as AWS ignores them.
func DecodeJSON(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		return SerializationError(describeJSONError(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return SerializationError("Unexpected content after the end of the JSON object")
	}
	return nil
}

func describeJSONError(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "Unexpected end of the JSON input"
	case errors.As(err, &se):
		return fmt.Sprintf("Invalid JSON at offset %d: %s", se.Offset, strings.TrimPrefix(se.Error(), "invalid character "))
	case errors.As(err, &te):
		if te.Field == "" {
			return fmt.Sprintf("Expected a JSON object, found %s", jsonKind(te.Value))
		}
		return fmt.Sprintf("Value at '%s' must be %s, not %s", te.Field, goKind(te.Type), jsonKind(te.Value))
	}
	return err.Error()
}

// jsonKind names the JSON value kinds encoding/json reports ("number 1.5" -> "a number").
func jsonKind(v string) string {
	w, _, _ := strings.Cut(v, " ")
	switch w {
	case "array":
		return "an array"
	case "object":
		return "an object"
	case "number":
		return "a number"
	case "bool":
		return "a boolean"
	case "string":
		return "a string"
	}
	return v
}

func goKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return t.String()
}
