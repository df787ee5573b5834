// Package validate checks an Amazon States Language definition the way AWS Step Functions
// does in CreateStateMachine and ValidateStateMachineDefinition, and reports every problem
// with AWS's diagnostic code, AWS's message and the location AWS gives.
//
// Locations follow AWS's own pointer style rather than RFC 6901: object members are joined
// with "/" and array elements are written "[i]" (for example
// "/States/C/Choices[0]/Next"), and state names are not escaped. A problem AWS reports
// without a location (a workflow with no terminal state) has an empty Location, which AWS
// prints as "null".
//
// The package parses no JSONPath, intrinsic function or JSONata itself: the engine injects
// those compilers through Options, so this package stays independent of them.
package validate

import "strings"

// Diagnostic codes AWS uses.
const (
	CodeSchema               = "SCHEMA_VALIDATION_FAILED"
	CodeMissingTarget        = "MISSING_TRANSITION_TARGET"
	CodeMissingEndState      = "MISSING_END_STATE"
	CodeDuplicateStateName   = "DUPLICATE_STATE_NAME"
	CodeInvalidJSON          = "INVALID_JSON_DESCRIPTION"
	CodeInvalidJSONata       = "INVALID_JSONATA_EXPRESSION"
	CodeUnsupportedJSONata   = "UNSUPPORTED_JSONATA_EXPRESSION"
	CodeInvalidVariableName  = "INVALID_VARIABLE_NAME"
	CodeReservedVariableName = "RESERVED_VARIABLE_NAME"
)

// Problem is one diagnostic, as ValidateStateMachineDefinition lists it.
type Problem struct {
	Code     string
	Message  string
	Location string
}

// String renders the problem the way AWS embeds it in an InvalidDefinition message.
func (p Problem) String() string {
	loc := p.Location
	if loc == "" {
		loc = "null"
	}
	return p.Code + ": " + p.Message + " at " + loc
}

// Message is the text of the InvalidDefinition exception AWS raises for these problems:
// every problem, joined with ", " inside one pair of quotes. It is "" when there is none.
func Message(problems []Problem) string {
	if len(problems) == 0 {
		return ""
	}
	parts := make([]string, len(problems))
	for i, p := range problems {
		parts[i] = p.String()
	}
	return "Invalid State Machine Definition: '" + strings.Join(parts, ", ") + "'"
}

// Options tunes validation.
type Options struct {
	// Type is "STANDARD" (the default) or "EXPRESS"; Express machines refuse activities,
	// .sync and .waitForTaskToken integrations.
	Type string
	// CheckJSONPath reports whether a path ("$.a", "$$.Execution.Id", "$var.x") compiles.
	// nil accepts every path that starts with "$".
	CheckJSONPath func(path string) error
	// CheckIntrinsic reports whether an intrinsic function call ("States.Format(...)")
	// parses. nil accepts every call.
	CheckIntrinsic func(expr string) error
	// CheckJSONata reports whether a JSONata expression (the text inside "{% ... %}")
	// parses. nil accepts every expression. A leading "S0xxx: " code in the error is
	// dropped, as AWS drops it.
	CheckJSONata func(expr string) error
}
