package sns

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/stepwise-dev/stepwise/api"
	"github.com/stepwise-dev/stepwise/store"
)

// The errors of the SNS API, with SNS's codes and message forms, in one place.

// Error codes as SNS puts them in <Code> (botocore turns them into NotFoundException,
// InvalidParameterException, ...).
const (
	codeNotFound              = "NotFound"
	codeInvalidParameter      = "InvalidParameter"
	codeParameterValueInvalid = "ParameterValueInvalid"
	codeValidation            = "ValidationError"
	codeResourceNotFound      = "ResourceNotFound"
	codeTooManyEntries        = "TooManyEntriesInBatchRequest"
	codeEmptyBatch            = "EmptyBatchRequest"
	codeBatchIDsNotDistinct   = "BatchEntryIdsNotDistinct"
	codeInvalidBatchEntryID   = "InvalidBatchEntryId"
	codeBatchTooLong          = "BatchRequestTooLong"
)

// errInvalidParameter is SNS's InvalidParameter; text is what follows "Invalid parameter: ".
func errInvalidParameter(format string, a ...any) *api.Error {
	return api.NewError(codeInvalidParameter, "Invalid parameter: "+fmt.Sprintf(format, a...))
}

// errParameterValue is SNS's ParameterValueInvalid (InvalidParameterValueException),
// used for message attributes.
func errParameterValue(format string, a ...any) *api.Error {
	return api.Errorf(codeParameterValueInvalid, format, a...)
}

func errNotFound(what string) *api.Error {
	e := api.NewError(codeNotFound, what+" does not exist")
	e.HTTPStatus = http.StatusNotFound
	return e
}

func errTopicNotFound() *api.Error { return errNotFound("Topic") }

func errSubscriptionNotFound() *api.Error { return errNotFound("Subscription") }

// errRequired is the model's check of a required member, as SNS words it.
func errRequired(member string) *api.Error {
	return api.Errorf(codeValidation, "1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", member)
}

// mapError turns the store's sentinel errors into wire errors; everything else is an
// internal failure.
func mapError(err error) *api.Error {
	switch {
	case errors.Is(err, store.ErrInvalidToken):
		return errInvalidParameter("NextToken")
	}
	return nil
}
