package logs

import (
	"errors"
	"fmt"
	"regexp"

	"github.com/stepwise-dev/stepwise/api"
	"github.com/stepwise-dev/stepwise/store"
)

// The errors of the Logs API, with CloudWatch Logs' codes and messages, in one place.

func errInvalidParameter(format string, a ...any) error {
	return api.Errorf("InvalidParameterException", format, a...)
}

func errGroupNotFound() error {
	return api.NewError("ResourceNotFoundException", "The specified log group does not exist.")
}

func errStreamNotFound() error {
	return api.NewError("ResourceNotFoundException", "The specified log stream does not exist.")
}

func errGroupExists() error {
	return api.NewError("ResourceAlreadyExistsException", "The specified log group already exists")
}

func errStreamExists() error {
	return api.NewError("ResourceAlreadyExistsException", "The specified log stream already exists")
}

func errBadToken() error {
	return errInvalidParameter("The specified nextToken is invalid.")
}

// mapError turns the store's errors that reach the API unhandled into wire errors.
func mapError(err error) *api.Error {
	switch {
	case errors.Is(err, store.ErrInvalidToken):
		return api.NewError("InvalidParameterException", "The specified nextToken is invalid.")
	}
	return nil
}

// checks collects a request's model-constraint violations; CloudWatch Logs reports
// them as one InvalidParameterException ("1 validation error detected: ...").
type checks []string

func (c *checks) add(value *string, field, constraint string) {
	*c = append(*c, api.ConstraintViolation(value, field, constraint))
}

func (c *checks) required(present bool, field string) {
	if !present {
		*c = append(*c, fmt.Sprintf("Value null at '%s' failed to satisfy constraint: Member must not be null", field))
	}
}

func (c *checks) name(value, field string, re *regexp.Regexp, expr string, maxLen int) {
	switch {
	case len(value) < 1:
		c.add(&value, field, "Member must have length greater than or equal to 1")
	case len(value) > maxLen:
		c.add(&value, field, fmt.Sprintf("Member must have length less than or equal to %d", maxLen))
	}
	if !re.MatchString(value) {
		c.add(&value, field, "Member must satisfy regular expression pattern: "+expr)
	}
}

func (c *checks) limit(n *int, field string, maxV int) {
	if n == nil {
		return
	}
	s := fmt.Sprint(*n)
	if *n < 1 {
		c.add(&s, field, "Member must have value greater than or equal to 1")
	} else if *n > maxV {
		c.add(&s, field, fmt.Sprintf("Member must have value less than or equal to %d", maxV))
	}
}

func (c *checks) err() error {
	if len(*c) == 0 {
		return nil
	}
	e := api.ValidationError(*c...)
	e.Code, e.Namespace = "InvalidParameterException", ""
	return e
}

const (
	groupNameExpr  = `[\.\-_/#A-Za-z0-9]+`
	streamNameExpr = `[^:*]*`
)

var (
	groupNameRE  = regexp.MustCompile(`^` + groupNameExpr + `$`)
	streamNameRE = regexp.MustCompile(`^` + streamNameExpr + `$`)
)

func (c *checks) group(name *string, field string, required bool) {
	if name == nil {
		if required {
			c.required(false, field)
		}
		return
	}
	c.name(*name, field, groupNameRE, groupNameExpr, 512)
}

func (c *checks) stream(name *string, field string, required bool) {
	if name == nil {
		if required {
			c.required(false, field)
		}
		return
	}
	c.name(*name, field, streamNameRE, streamNameExpr, 512)
}
