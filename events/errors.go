package events

import (
	"errors"
	"fmt"

	"github.com/stepwise-dev/stepwise/api"
)

// The errors of the EventBridge API, with its codes and messages, in one place.

func errValidation(format string, a ...any) error {
	return api.Errorf("ValidationException", format, a...)
}

func errRuleNotFound(name string) error {
	return api.Errorf("ResourceNotFoundException", "Rule %s does not exist on EventBus %s.", name, defaultBus)
}

func errBusNotFound(name string) error {
	return api.Errorf("ResourceNotFoundException", "Event bus %s does not exist.", name)
}

// mapError maps the package's own errors: an invalid pattern and an invalid schedule.
func mapError(err error) *api.Error {
	var pe *PatternError
	switch {
	case errors.As(err, &pe):
		return api.NewError("InvalidEventPatternException", pe.Error())
	case errors.Is(err, errBadSchedule):
		return api.NewError("ValidationException", errBadSchedule.Error())
	}
	return nil
}

// violations collects model constraint violations into one ValidationException.
type violations []string

func (v *violations) required(present bool, field string) {
	if !present {
		*v = append(*v, fmt.Sprintf("Value null at '%s' failed to satisfy constraint: Member must not be null", field))
	}
}

func (v *violations) length(value, field string, minLen, maxLen int) {
	switch n := len(value); {
	case n < minLen:
		*v = append(*v, api.ConstraintViolation(&value, field, fmt.Sprintf("Member must have length greater than or equal to %d", minLen)))
	case n > maxLen:
		*v = append(*v, api.ConstraintViolation(&value, field, fmt.Sprintf("Member must have length less than or equal to %d", maxLen)))
	}
}

func (v *violations) add(value *string, field, constraint string) {
	*v = append(*v, api.ConstraintViolation(value, field, constraint))
}

func (v violations) err() error {
	if len(v) == 0 {
		return nil
	}
	return api.ValidationError(v...)
}
