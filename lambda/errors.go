package lambda

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/stepwise-dev/stepwise/api"
	"github.com/stepwise-dev/stepwise/store"
)

// Lambda's error codes, as botocore's model names them.
const (
	codeNotFound         = "ResourceNotFoundException"
	codeConflict         = "ResourceConflictException"
	codeInvalidParameter = "InvalidParameterValueException"
	codeTooLarge         = "RequestTooLargeException"
	codeInvalidContent   = "InvalidRequestContentException"
	codeValidation       = "ValidationException"
	codeService          = "ServiceException"
	codeTooManyRequests  = "TooManyRequestsException"
)

func lambdaError(code string, status int, format string, a ...any) *api.Error {
	return &api.Error{Code: code, Message: fmt.Sprintf(format, a...), HTTPStatus: status, Sender: status < 500}
}

// errFunctionNotFound is Lambda's reply for a function (or qualifier) that does not
// exist; arn is the function's ARN, with its qualifier when the request named one.
func errFunctionNotFound(arn string) *api.Error {
	return lambdaError(codeNotFound, http.StatusNotFound, "Function not found: %s", arn)
}

func errInvalidParameter(format string, a ...any) *api.Error {
	return lambdaError(codeInvalidParameter, http.StatusBadRequest, format, a...)
}

// errValidation is a model-constraint violation, worded as Lambda words it.
func errValidation(value *string, field, constraint string) *api.Error {
	e := api.ValidationError(api.ConstraintViolation(value, field, constraint))
	e.Namespace = ""
	return e
}

// mapError maps the package's own errors to Lambda's.
func mapError(err error) *api.Error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return lambdaError(codeNotFound, http.StatusNotFound, "Function not found")
	case errors.Is(err, store.ErrConflict):
		return lambdaError(codeConflict, http.StatusConflict, "The function was changed by another request at the same time; try again.")
	}
	return nil
}
