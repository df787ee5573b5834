package engine

import (
	"errors"
	"fmt"

	"github.com/stepwise-dev/stepwise/asl/intrinsics"
	"github.com/stepwise-dev/stepwise/integrations"
)

// The predefined error names.
const (
	ErrAll                    = "States.ALL"
	ErrTaskFailed             = "States.TaskFailed"
	ErrTimeout                = "States.Timeout"
	ErrHeartbeatTimeout       = "States.HeartbeatTimeout"
	ErrRuntime                = "States.Runtime"
	ErrDataLimitExceeded      = "States.DataLimitExceeded"
	ErrResultPathMatchFailure = "States.ResultPathMatchFailure"
	ErrParameterPathFailure   = "States.ParameterPathFailure"
	ErrBranchFailed           = "States.BranchFailed"
	ErrNoChoiceMatched        = "States.NoChoiceMatched"
	ErrIntrinsicFailure       = "States.IntrinsicFailure"
	ErrQueryEvaluation        = "States.QueryEvaluationError"
	ErrExceedToleratedFailure = "States.ExceedToleratedFailureThreshold"
	ErrItemReaderFailed       = "States.ItemReaderFailed"
	ErrResultWriterFailed     = "States.ResultWriterFailed"
)

// Failure is an ASL error raised while running a state: a name and a cause.
type Failure struct {
	Name  string
	Cause string
	// HasCause distinguishes an empty cause from none (Fail states without Cause).
	HasCause bool
	// HasError likewise for the error name.
	HasError bool
	// Evaluation marks failures AWS records with an EvaluationFailed event (JSONata).
	Evaluation bool
	// State is the state the failure arose in, for EvaluationFailed details.
	State string
}

func (f *Failure) Error() string { return f.Name + ": " + f.Cause }

func newFailure(name, cause string) *Failure {
	return &Failure{Name: name, Cause: cause, HasCause: true, HasError: true}
}

// runtimeFailure is a States.Runtime error in AWS's wording.
func runtimeFailure(state string, enteredID int64, msg string) *Failure {
	return newFailure(ErrRuntime, fmt.Sprintf("An error occurred while executing the state '%s' (entered at the event id #%d). %s", state, enteredID, msg))
}

// asFailure converts an error from a task handler or evaluator into a Failure.
func asFailure(err error) *Failure {
	var f *Failure
	if errors.As(err, &f) {
		return f
	}
	var te *integrations.TaskError
	if errors.As(err, &te) {
		return newFailure(te.Name, te.Cause)
	}
	var ie *intrinsics.Error
	if errors.As(err, &ie) {
		return newFailure(ie.Name, ie.Cause)
	}
	return newFailure(ErrRuntime, err.Error())
}

// matchesError reports whether an ErrorEquals list catches or retries the error,
// as AWS matches names: exact names, States.ALL for everything that can be caught,
// States.TaskFailed for every task error but a timeout.
func matchesError(list []string, name string) bool {
	if name == ErrRuntime || name == ErrDataLimitExceeded {
		// Terminal: neither retried nor caught, even when named.
		return false
	}
	for _, e := range list {
		switch {
		case e == name:
			return true
		case e == ErrAll:
			return true
		case e == ErrTaskFailed && name != ErrTimeout && name != ErrHeartbeatTimeout &&
			name != ErrBranchFailed && name != ErrNoChoiceMatched && name != ErrQueryEvaluation &&
			name != ErrIntrinsicFailure && name != ErrParameterPathFailure && name != ErrResultPathMatchFailure:
			return true
		}
	}
	return false
}
