// Package jsonata is an implementation of the JSONata 2.x query and transformation
// language (https://jsonata.org) that follows the reference implementation,
// jsonata-js, in its results and error codes.
//
// Values are jsonv values: nil (null), bool, float64, string, []any and
// *jsonv.Object (whose key order is kept, and matters for $keys, $each and $string).
// An expression that yields nothing returns Undefined (test with IsUndefined), which
// is distinct from null. A result that is a function (a lambda or a built-in) is
// returned as a *Function; inside objects and arrays, functions and undefined values
// are treated as JSON.stringify treats them. Results may share objects and arrays with
// the input and with bound values, so neither should be modified while in use.
//
//	expr, err := jsonata.Compile(`$sum(Account.Order.Product.(Price * Quantity))`)
//	v, err := expr.Evaluate(input, nil)
//
// Errors are *Error values carrying JSONata's codes and jsonata-js's messages.
//
// A compiled Expr is immutable and safe for concurrent use. Every evaluation is
// bounded: by a time limit and a maximum depth of nested evaluation (see Env), both
// reported as U1001, and by limits on the size of the values it builds (see SUITE.md).
package jsonata

import (
	"context"
	"errors"
	"time"
)

// Default resource limits for an evaluation. MaxDepthLimit is the largest MaxDepth
// honoured: every level of nesting takes Go stack, whose overflow cannot be recovered.
const (
	DefaultTimeLimit = 5 * time.Second
	DefaultMaxDepth  = 10000
	MaxDepthLimit    = 50000
)

// Expr is a compiled expression.
type Expr struct {
	src string
	ast *node
}

// Compile parses an expression. Syntax errors are *Error values with S0xxx codes.
func Compile(src string) (*Expr, error) {
	ast, err := parse(src)
	if err != nil {
		if e, ok := err.(*Error); ok {
			e.populate()
		}
		return nil, err
	}
	return &Expr{src: src, ast: ast}, nil
}

// MustCompile is Compile for expressions known to be valid; it panics on error.
func MustCompile(src string) *Expr {
	e, err := Compile(src)
	if err != nil {
		panic(err)
	}
	return e
}

// String returns the source of the expression.
func (e *Expr) String() string { return e.src }

// Env holds variable and function bindings and the limits for evaluations. The zero
// value is an empty environment with the default limits. An Env may be shared by
// concurrent evaluations as long as it is not modified while they run.
type Env struct {
	names []string
	vals  []any

	// TimeLimit bounds the wall-clock time of one evaluation (0: DefaultTimeLimit,
	// negative: no limit).
	TimeLimit time.Duration
	// MaxDepth bounds the depth of nested evaluation, which grows with recursion
	// (0: DefaultMaxDepth; at most MaxDepthLimit).
	MaxDepth int
	// Context, if set, cancels the evaluation when done.
	Context context.Context
	// Now, if set, supplies the timestamp returned by $now() and $millis().
	Now func() time.Time
}

// NewEnv returns an empty environment with the default limits.
func NewEnv() *Env { return &Env{} }

// Bind binds $name to a jsonv value (or Undefined, or a *Function).
func (e *Env) Bind(name string, value any) {
	for i, n := range e.names {
		if n == name {
			e.vals[i] = value
			return
		}
	}
	e.names = append(e.names, name)
	e.vals = append(e.vals, value)
}

// BindFunction makes impl callable as $name(...), replacing any built-in of that name.
// signature, if not empty, is a JSONata function signature such as "<n-n:n>": the
// arguments are validated against it (and the context value substituted for a
// missing '-' argument) before impl is called, and higher-order functions such as
// $map pass it as many arguments as it declares (one if there is no signature).
// Arguments are jsonv values, Undefined or *Function; impl returns a jsonv value or
// Undefined. An *Error returned by impl is reported as is; any other error is
// returned unchanged by Evaluate.
func (e *Env) BindFunction(name, signature string, impl func(args []any) (any, error)) error {
	b := &builtin{name: name, custom: impl, arity: 1}
	if signature != "" {
		sig, err := parseSignature(signature)
		if err != nil {
			err.populate()
			return err
		}
		b.sig = sig
		b.arity = sig.arity()
		b.nparams = sig.arity()
	}
	e.Bind(name, b)
	return nil
}

func (e *Env) lookup(name string) (any, bool) {
	for i, n := range e.names {
		if n == name {
			return e.vals[i], true
		}
	}
	return nil, false
}

// Evaluate evaluates the expression against input (a jsonv value, or Undefined for no
// input) with the bindings and limits of env, which may be nil. Errors are *Error
// values, except errors returned by custom functions, which pass through unchanged.
func (e *Expr) Evaluate(input any, env *Env) (any, error) {
	ev := newEvaluator(env)
	res, err := ev.run(e.ast, input)
	if err != nil {
		var je *Error
		if errors.As(err, &je) {
			je.populate()
		}
		return nil, err
	}
	return res, nil
}

// Function is a JSONata function value (a lambda, a partial application or a
// built-in) returned from an evaluation or passed to a custom function.
type Function struct {
	fn any
	ev *evaluator
}

// Call invokes the function with jsonv arguments. Called back from a custom function
// during an evaluation, it runs within that evaluation's limits; called afterwards,
// it gets fresh ones from the same Env.
func (f *Function) Call(args ...any) (any, error) {
	ev := f.ev
	switch {
	case ev == nil:
		ev = newEvaluator(nil)
	case !ev.running:
		fresh := newEvaluator(ev.env)
		fresh.root = ev.root
		fresh.now, fresh.nowSet = ev.now, ev.nowSet
		ev = fresh
	}
	res, err := ev.apply(f.fn, args, nil, ev.root)
	if err != nil {
		if je, ok := err.(*Error); ok {
			je.populate()
		}
		return nil, err
	}
	return toJSONChecked(res)
}

// IsFunction reports whether v is a function value.
func IsFunction(v any) bool {
	_, ok := v.(*Function)
	return ok || isFunction(v)
}
