package api

import (
	"errors"
	"fmt"
	"net/http"
)

// Error is an error as AWS puts it on the wire: a code (the exception name clients turn
// into a typed exception), a message, an HTTP status and who is at fault. Services return
// these, or their own sentinel errors mapped through the service's MapError.
type Error struct {
	Code    string
	Message string
	// HTTPStatus is the reply's status; 0 means 400 for a sender fault and 500 otherwise.
	HTTPStatus int
	// Sender is true when the caller is at fault (the query protocol's <Type>Sender</Type>).
	Sender bool
	// Namespace, when set, prefixes the awsJson "__type" ("ns#Code"); otherwise the
	// service's ErrorNamespace is used. Clients keep only what follows the '#'.
	Namespace string
}

func (e *Error) Error() string {
	if e.Message == "" {
		return e.Code
	}
	return e.Code + ": " + e.Message
}

// Status is the HTTP status the error is sent with.
func (e *Error) Status() int {
	switch {
	case e.HTTPStatus != 0:
		return e.HTTPStatus
	case e.Sender:
		return http.StatusBadRequest
	default:
		return http.StatusInternalServerError
	}
}

// NewError is a caller-fault error with status 400.
func NewError(code, message string) *Error {
	return &Error{Code: code, Message: message, HTTPStatus: http.StatusBadRequest, Sender: true}
}

// Errorf is NewError with a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return NewError(code, fmt.Sprintf(format, args...))
}

// WithStatus returns a copy of e sent with another HTTP status; a status of 500 or more
// makes it a server fault.
func (e *Error) WithStatus(status int) *Error {
	c := *e
	c.HTTPStatus = status
	c.Sender = status < 500
	return &c
}

// Namespaces of the framework's own exceptions, as AWS's JSON services send them in
// "__type". Clients strip everything up to '#', so these only matter to readers of raw
// replies.
const (
	// NamespaceCoralService holds the framework errors (serialization, unknown
	// operation, signatures, throttling).
	NamespaceCoralService = "com.amazon.coral.service"
	// NamespaceCoralValidate holds ValidationException, the model-constraint violations.
	NamespaceCoralValidate = "com.amazon.coral.validate"
)

// ValidationError is AWS's ValidationException for a request that breaks the model's
// constraints, e.g. "1 validation error detected: Value 'x' at 'name' failed to satisfy
// constraint: ...". Use ConstraintViolation to build each part.
func ValidationError(violations ...string) *Error {
	noun := "errors"
	if len(violations) == 1 {
		noun = "error"
	}
	msg := fmt.Sprintf("%d validation %s detected: ", len(violations), noun)
	for i, v := range violations {
		if i > 0 {
			msg += "; "
		}
		msg += v
	}
	return &Error{Code: "ValidationException", Message: msg, HTTPStatus: http.StatusBadRequest,
		Sender: true, Namespace: NamespaceCoralValidate}
}

// ConstraintViolation is one part of a ValidationException message, in AWS's words:
// "Value 'v' at 'field' failed to satisfy constraint: Member must ...". A nil value is
// left out of the text (AWS omits values it does not echo, such as long inputs).
func ConstraintViolation(value *string, field, constraint string) string {
	if value == nil {
		return fmt.Sprintf("Value at '%s' failed to satisfy constraint: %s", field, constraint)
	}
	return fmt.Sprintf("Value '%s' at '%s' failed to satisfy constraint: %s", *value, field, constraint)
}

// SerializationError is the reply to a body that is not valid JSON or whose values have
// the wrong types.
func SerializationError(message string) *Error {
	return &Error{Code: "SerializationException", Message: message, HTTPStatus: http.StatusBadRequest,
		Sender: true, Namespace: NamespaceCoralService}
}

// UnknownOperationError is the reply to an X-Amz-Target naming no known operation.
func UnknownOperationError(target string) *Error {
	return &Error{Code: "UnknownOperationException", Message: "Unknown operation " + target,
		HTTPStatus: http.StatusBadRequest, Sender: true, Namespace: NamespaceCoralService}
}

// RequestTooLargeError is the reply to a body over the service's limit. AWS documents
// the limits (1 MB for Step Functions) but not the reply; this code is the one Lambda
// uses for the same situation.
func RequestTooLargeError(limit int64) *Error {
	return &Error{Code: "RequestEntityTooLargeException",
		Message:    fmt.Sprintf("Request must be smaller than %d bytes", limit),
		HTTPStatus: http.StatusRequestEntityTooLarge, Sender: true, Namespace: NamespaceCoralService}
}

// InternalError is the reply to an unexpected failure. Its message says nothing about
// the cause, which is logged instead.
func InternalError(code string) *Error {
	return &Error{Code: code, Message: "An internal error occurred.",
		HTTPStatus: http.StatusInternalServerError, Namespace: NamespaceCoralService}
}

// ErrorMapper turns a service's own errors (typically its sentinel errors) into wire
// errors; it returns nil for errors it does not know, which become internal failures.
type ErrorMapper func(error) *Error

// toError finds the wire form of err: an *Error anywhere in its chain, then the
// service's mapper. ok is false for an unexpected error.
func toError(err error, mapErr ErrorMapper) (e *Error, ok bool) {
	if errors.As(err, &e) {
		return e, true
	}
	if mapErr != nil {
		if e = mapErr(err); e != nil {
			return e, true
		}
	}
	return nil, false
}
