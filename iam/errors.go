package iam

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/stepwise-dev/stepwise/api"
)

// The error codes IAM and STS send (botocore's iam and sts models), with their HTTP
// statuses.
func noSuchEntity(format string, args ...any) *api.Error {
	return withStatus(api.Errorf("NoSuchEntity", format, args...), http.StatusNotFound)
}

func entityAlreadyExists(format string, args ...any) *api.Error {
	return withStatus(api.Errorf("EntityAlreadyExists", format, args...), http.StatusConflict)
}

func deleteConflict(message string) *api.Error {
	return withStatus(api.NewError("DeleteConflict", message), http.StatusConflict)
}

func limitExceeded(format string, args ...any) *api.Error {
	return withStatus(api.Errorf("LimitExceeded", format, args...), http.StatusConflict)
}

func malformedPolicy(message string) *api.Error {
	return api.NewError("MalformedPolicyDocument", message)
}

func invalidInput(format string, args ...any) *api.Error {
	return api.Errorf("InvalidInput", format, args...)
}

func accessDenied(format string, args ...any) *api.Error {
	return withStatus(api.Errorf("AccessDenied", format, args...), http.StatusForbidden)
}

func withStatus(e *api.Error, status int) *api.Error {
	e.HTTPStatus = status
	return e
}

// validationError is the query protocol services' ValidationError, worded as AWS's
// model validation ("1 validation error detected: Value 'x' at 'roleName' failed to
// satisfy constraint: ...").
func validationError(violations ...string) *api.Error {
	noun := "errors"
	if len(violations) == 1 {
		noun = "error"
	}
	return api.Errorf("ValidationError", "%d validation %s detected: %s", len(violations), noun, strings.Join(violations, "; "))
}

// missing is the query services' reply to a required parameter left out.
func missing(field string) *api.Error {
	return validationError(fmt.Sprintf("Value null at '%s' failed to satisfy constraint: Member must not be null", field))
}

// mapError maps errors the handlers did not turn into wire errors themselves; none are
// expected, so everything else is an internal failure (logged by the dispatcher).
func mapError(error) *api.Error { return nil }

// isCode says whether err is a wire error with the code.
func isCode(err error, code string) bool {
	var e *api.Error
	return errors.As(err, &e) && e.Code == code
}
