// Package intrinsics implements the States.* intrinsic functions of Amazon States Language.
package intrinsics

import (
	"errors"

	"github.com/stepwise-dev/stepwise/asl/jsonpath"
)

// Resolver resolves the JSONPath arguments ($, $$ and $var paths) of a call.
type Resolver interface {
	Resolve(p *jsonpath.Path) (any, error)
}

// Error is an intrinsic failure carrying the ASL error name and AWS's cause text.
type Error struct {
	Name  string
	Cause string
}

func (e *Error) Error() string { return e.Name + ": " + e.Cause }

// Call is a parsed intrinsic function call.
type Call struct {
	Name string
}

// Parse parses the text of an intrinsic call.
func Parse(expr string) (*Call, error) { return nil, errors.New("intrinsics: not implemented") }

// IsCall reports whether s looks like an intrinsic function call.
func IsCall(s string) bool { return false }

// Eval evaluates the call.
func (c *Call) Eval(r Resolver) (any, error) { return nil, errors.New("intrinsics: not implemented") }
