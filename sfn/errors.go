package sfn

import (
	"errors"

	"github.com/stepwise-dev/stepwise/api"
	"github.com/stepwise-dev/stepwise/store"
)

// The errors of the Step Functions API, with AWS's codes and message forms.

func errInvalidArn(format string, a ...any) error {
	return api.Errorf("InvalidArn", format, a...)
}

func errInvalidName(n string) error {
	return api.Errorf("InvalidName", "Invalid Name: '%s'", n)
}

func errStateMachineDoesNotExist(a string) error {
	return api.Errorf("StateMachineDoesNotExist", "State Machine Does Not Exist: '%s'", a)
}

func errExecutionDoesNotExist(a string) error {
	return api.Errorf("ExecutionDoesNotExist", "Execution Does Not Exist: '%s'", a)
}

func errActivityDoesNotExist(a string) error {
	return api.Errorf("ActivityDoesNotExist", "Activity Does Not Exist: '%s'", a)
}

func errResourceNotFound(a string) error {
	return api.Errorf("ResourceNotFound", "Resource not found: '%s'", a)
}

func errValidation(format string, a ...any) error {
	return api.Errorf("ValidationException", format, a...)
}

func errInvalidExecutionInput(msg string) error {
	return api.Errorf("InvalidExecutionInput", "Invalid State Machine Execution Input: '%s'", msg)
}

// required is the model's check of a required member (before the service sees it).
func required(field, value string) error {
	if value == "" {
		return errValidation("1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", field)
	}
	return nil
}

// badArn is InvalidArn for a text that is not a Step Functions ARN at all.
func badArn(s string) error {
	if len(s) < 4 || s[:4] != "arn:" {
		return errInvalidArn("Invalid Arn: 'Invalid ARN prefix: %s'", s)
	}
	return errInvalidArn("Invalid Arn: '%s'", s)
}

func errInvalidOutput(msg string) error {
	return api.Errorf("InvalidOutput", "Invalid output: %s", msg)
}

func errInvalidToken(msg string) error {
	return api.Errorf("InvalidToken", "Invalid Token: '%s'", msg)
}

// mapError is the service's error mapping: store sentinels that escape an operation
// become internal errors (each operation maps the ones it expects itself).
func mapError(err error) *api.Error {
	var ae *api.Error
	if errors.As(err, &ae) {
		return ae
	}
	switch {
	case errors.Is(err, store.ErrInvalidToken):
		return api.NewError("InvalidToken", "Invalid pagination token")
	case errors.Is(err, store.ErrClosed):
		return api.InternalError("ServiceUnavailable").WithStatus(503)
	}
	return nil
}
