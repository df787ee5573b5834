// Package jsonpath implements the JSONPath dialect of AWS Step Functions, which is
// Jayway JsonPath as AWS configures it: definite paths (only names and single indices)
// yield one value, indefinite paths (wildcards, slices, filters, unions, deep scan)
// yield the list of every match.
package jsonpath

import "errors"

// ErrNotFound is wrapped by Get when a definite path selects nothing.
var ErrNotFound = errors.New("jsonpath: no value at path")

// ErrCannotSet is wrapped by Set when the value cannot be placed at the path.
var ErrCannotSet = errors.New("jsonpath: cannot set value at path")

// Path is a compiled JSONPath expression.
type Path struct {
	src  string
	root string
}

// Compile parses s.
func Compile(s string) (*Path, error) {
	return nil, errors.New("jsonpath: not implemented")
}

// String returns the source text.
func (p *Path) String() string { return p.src }

// Root is "" for the state input ($), "$" for the context object ($$), or a variable name.
func (p *Path) Root() string { return p.root }

// IsDefinite reports whether the path selects at most one value.
func (p *Path) IsDefinite() bool { return true }

// Get evaluates the path against doc.
func (p *Path) Get(doc any) (any, error) { return nil, ErrNotFound }

// Set returns a copy of doc with value placed at the path.
func (p *Path) Set(doc any, value any) (any, error) { return nil, ErrCannotSet }
