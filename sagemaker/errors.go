package sagemaker

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/stepwise-dev/stepwise/api"
	"github.com/stepwise-dev/stepwise/store"
)

// The errors of the SageMaker API, with SageMaker's codes and message forms, in one
// place. SageMaker's JSON errors carry the bare code in __type.

func errValidation(format string, a ...any) error {
	return api.Errorf("ValidationException", format, a...)
}

func errResourceInUse(format string, a ...any) error {
	return api.Errorf("ResourceInUse", format, a...)
}

func errResourceNotFound(format string, a ...any) error {
	return api.Errorf("ResourceNotFound", format, a...)
}

// errJobNotFound is Describe/Stop of an unknown job. SageMaker answers
// ValidationException "Requested resource not found." for jobs.
func errJobNotFound() error {
	return errValidation("Requested resource not found.")
}

// violations collects the model's constraint checks of one request, reported together
// as one ValidationException as AWS does.
type violations []string

func (v *violations) add(value *string, field, constraint string) {
	*v = append(*v, api.ConstraintViolation(value, field, constraint))
}

func (v *violations) required(present bool, field string) {
	if !present {
		*v = append(*v, fmt.Sprintf("Value null at '%s' failed to satisfy constraint: Member must not be null", field))
	}
}

func (v *violations) pattern(value, field string, re *regexp.Regexp, expr string) {
	if !re.MatchString(value) {
		v.add(&value, field, "Member must satisfy regular expression pattern: "+expr)
	}
}

func (v *violations) length(value, field string, minLen, maxLen int) {
	if n := len(value); n < minLen || n > maxLen {
		if n < minLen {
			v.add(&value, field, fmt.Sprintf("Member must have length greater than or equal to %d", minLen))
		} else {
			v.add(&value, field, fmt.Sprintf("Member must have length less than or equal to %d", maxLen))
		}
	}
}

func (v *violations) intRange(n int, field string, minV, maxV int) {
	s := fmt.Sprint(n)
	if n < minV {
		v.add(&s, field, fmt.Sprintf("Member must have value greater than or equal to %d", minV))
	} else if n > maxV {
		v.add(&s, field, fmt.Sprintf("Member must have value less than or equal to %d", maxV))
	}
}

func (v *violations) enum(value, field string, allowed ...string) {
	for _, a := range allowed {
		if value == a {
			return
		}
	}
	v.add(&value, field, "Member must satisfy enum value set: ["+strings.Join(allowed, ", ")+"]")
}

func (v violations) err() error {
	if len(v) == 0 {
		return nil
	}
	return api.ValidationError(v...)
}

// mapError turns the service's own errors into wire errors.
func mapError(err error) *api.Error {
	var ae *api.Error
	if errors.As(err, &ae) {
		return ae
	}
	if errors.Is(err, store.ErrClosed) {
		return api.InternalError("ServiceUnavailable").WithStatus(503)
	}
	return nil
}

// Name patterns of the model.
var (
	jobNamePattern = regexp.MustCompile(`^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$`)
	envKeyPattern  = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
	s3URIPattern   = regexp.MustCompile(`^(https|s3)://([^/]+)/?(.*)$`)
	channelPattern = regexp.MustCompile(`^[A-Za-z0-9\.\-_]+$`)
)

const (
	jobNameExpr = `^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}`
	s3URIExpr   = `^(https|s3)://([^/]+)/?(.*)$`
)

// errConflict is SageMaker's ConflictException (a model package or group in a state
// that forbids the change).
func errConflict(format string, a ...any) error {
	return api.Errorf("ConflictException", format, a...)
}
