package jsonata

import (
	"strconv"

	"github.com/stepwise-dev/stepwise/jsonv"
)

// lambda is a function defined in an expression (function($x){...}), a partial
// application of any function, or a tail-call thunk produced while evaluating a lambda.
type lambda struct {
	node   *node
	params []string
	sig    *signature
	body   *node
	thunk  bool
	input  any
	env    *frame

	// set when this is a partial application of a built-in: the built-in's arguments
	// are read from these variables of the environment
	native       *builtin
	nativeParams []string
}

// builtin is a function implemented in Go: the library functions, custom functions
// bound with Env.BindFunction, and functions made at run time (transforms, regex
// match continuations).
type builtin struct {
	name    string
	sig     *signature
	arity   int // the number of arguments a higher-order function passes it
	nparams int // the declared parameters, for partial application
	fn      func(ev *evaluator, c callCtx, args []any) (any, error)
	custom  func(args []any) (any, error)
}

// callCtx is what a built-in may need from its call site.
type callCtx struct {
	input any
	env   *frame
}

// placeholderArg marks a '?' argument of a partial application.
type placeholderArg struct{}

func isFunction(v any) bool {
	switch v.(type) {
	case *lambda, *builtin, *regexMatcher, *Function:
		return true
	}
	return false
}

// arity is jsonata-js's getFunctionArity: how many arguments higher-order functions
// such as $map pass (value, index, array).
func arity(f any) int {
	switch t := f.(type) {
	case *lambda:
		return len(t.params)
	case *builtin:
		return t.arity
	case *regexMatcher:
		return 2
	case *Function:
		return arity(t.fn)
	}
	return 0
}

// jsTruthy is JavaScript's truthiness.
func jsTruthy(v any) bool {
	switch t := v.(type) {
	case undefinedType, nil:
		return false
	case bool:
		return t
	case float64:
		return t != 0 && t == t
	case string:
		return t != ""
	}
	return true
}

func (ev *evaluator) evalFunction(n *node, input any, env *frame, applyTo bool, context any) (any, error) {
	proc, err := ev.eval(n.proc, input, env)
	if err != nil {
		return nil, err
	}
	if isUndef(proc) && n.proc.kind == nPath {
		name := n.proc.items[0].op
		if v, ok := ev.lookup(env, name); ok && jsTruthy(v) {
			return nil, errToken("T1005", n.pos, name)
		}
	}
	args := make([]any, 0, len(n.items)+1)
	if applyTo {
		args = append(args, context)
	}
	for _, a := range n.items {
		v, err := ev.eval(a, input, env)
		if err != nil {
			return nil, err
		}
		args = append(args, v)
	}
	res, err := ev.apply(proc, args, input, env)
	if err != nil {
		if e, ok := err.(*Error); ok {
			if e.Position == 0 {
				e.Position = n.pos
			}
			if e.Token == "" {
				e.Token = procName(n.proc)
			}
		}
		return nil, err
	}
	return res, nil
}

func procName(p *node) string {
	if p.kind == nPath {
		return p.items[0].op
	}
	if p.kind == nVariable || p.kind == nName {
		return p.op
	}
	return ""
}

// apply invokes a function and runs the trampoline for tail calls: a lambda whose
// body ends in a function call returns a thunk, which is invoked here rather than by
// recursion, so tail-recursive functions run in constant depth.
func (ev *evaluator) apply(proc any, args []any, input any, env *frame) (any, error) {
	// Nested applications are bounded like nested evaluations: a tail call runs in
	// this loop without deepening the evaluation, but a built-in (such as $map) or a
	// custom function that calls back into it nests Go calls all the same.
	ev.calls++
	if ev.calls > ev.maxDepth {
		return nil, &Error{Code: "U1001", Message: msgStackOverflow}
	}
	res, err := ev.applyLoop(proc, args, input, env)
	ev.calls--
	return res, err
}

func (ev *evaluator) applyLoop(proc any, args []any, input any, env *frame) (any, error) {
	res, err := ev.applyInner(proc, args, input, env)
	for err == nil {
		t, ok := res.(*lambda)
		if !ok || !t.thunk {
			break
		}
		call := t.body
		next, err := ev.eval(call.proc, t.input, t.env)
		if err != nil {
			return nil, err
		}
		targs := make([]any, len(call.items))
		for i, a := range call.items {
			if targs[i], err = ev.eval(a, t.input, t.env); err != nil {
				return nil, err
			}
		}
		res, err = ev.applyInner(next, targs, input, env)
		if err != nil {
			if e, ok := err.(*Error); ok && e.Token == "" && call.proc.kind == nVariable {
				e.Token = call.proc.op
			}
			return nil, err
		}
	}
	return res, err
}

func (ev *evaluator) applyInner(proc any, args []any, input any, env *frame) (any, error) {
	switch f := proc.(type) {
	case *lambda:
		if f.sig != nil {
			var e *Error
			if args, e = f.sig.validate(args, input); e != nil {
				return nil, e
			}
		}
		return ev.applyProcedure(f, args)
	case *builtin:
		return ev.callBuiltin(f, args, input, env)
	case *regexMatcher:
		return f.call(ev, args)
	case *Function:
		return ev.applyInner(f.fn, args, input, env)
	}
	return nil, newError("T1006")
}

func (ev *evaluator) callBuiltin(f *builtin, args []any, input any, env *frame) (any, error) {
	if f.sig != nil {
		var e *Error
		if args, e = f.sig.validate(args, input); e != nil {
			if e.Token == "" {
				e.Token = f.name
			}
			return nil, e
		}
	}
	if f.custom != nil {
		return ev.callCustom(f, args)
	}
	if len(args) < f.nparams {
		// missing optional arguments are undefined
		padded := make([]any, f.nparams)
		copy(padded, args)
		for i := len(args); i < len(padded); i++ {
			padded[i] = undefined
		}
		args = padded
	}
	return f.fn(ev, callCtx{input: input, env: env}, args)
}

// callCustom calls a function bound with Env.BindFunction, converting values to and
// from the public model.
func (ev *evaluator) callCustom(f *builtin, args []any) (any, error) {
	pub := make([]any, len(args))
	for i, a := range args {
		pub[i] = ev.public(a)
	}
	res, err := f.custom(pub)
	if err != nil {
		return nil, err
	}
	if fn, ok := res.(*Function); ok {
		return fn.fn, nil
	}
	return res, nil
}

// public converts an internal value for code outside the package.
func (ev *evaluator) public(v any) any {
	out := toJSON(v)
	if f, ok := out.(*Function); ok {
		f.ev = ev
	}
	return out
}

func (ev *evaluator) applyProcedure(l *lambda, args []any) (any, error) {
	fr := ev.newFrame(l.env)
	np := len(l.params)
	fr.names = l.params[:np:np]
	if np == 1 {
		fr.vals = fr.one[:1:1]
	} else {
		fr.vals = make([]any, np)
	}
	for i := range fr.vals {
		if i < len(args) {
			fr.vals[i] = args[i]
		} else {
			fr.vals[i] = undefined
		}
	}
	if l.native != nil {
		nargs := make([]any, len(l.nativeParams))
		for i, p := range l.nativeParams {
			nargs[i], _ = ev.lookup(fr, p)
		}
		res, err := ev.callBuiltin(l.native, nargs, undefined, fr)
		ev.releaseFrame(fr)
		return res, err
	}
	res, err := ev.eval(l.body, l.input, fr)
	ev.releaseFrame(fr)
	return res, err
}

func (ev *evaluator) evalPartial(n *node, input any, env *frame) (any, error) {
	args := make([]any, len(n.items))
	for i, a := range n.items {
		if a.kind == nPlaceholder {
			args[i] = placeholderArg{}
			continue
		}
		v, err := ev.eval(a, input, env)
		if err != nil {
			return nil, err
		}
		args[i] = v
	}
	proc, err := ev.eval(n.proc, input, env)
	if err != nil {
		return nil, err
	}
	if isUndef(proc) && n.proc.kind == nPath {
		name := n.proc.items[0].op
		if v, ok := ev.lookup(env, name); ok && jsTruthy(v) {
			return nil, errToken("T1007", n.pos, name)
		}
	}
	if f, ok := proc.(*Function); ok {
		proc = f.fn
	}
	switch f := proc.(type) {
	case *lambda:
		return partialApply(f, args, env), nil
	case *builtin:
		names := make([]string, f.nparams)
		for i := range names {
			names[i] = "\x00arg" + strconv.Itoa(i)
		}
		capture(env)
		l := &lambda{params: names, env: env, native: f, nativeParams: names, input: undefined}
		return partialApply(l, args, env), nil
	case *regexMatcher:
		capture(env)
		l := &lambda{params: []string{"\x00arg0", "\x00arg1"}, env: env, native: f.asBuiltin(), input: undefined}
		l.nativeParams = l.params
		return partialApply(l, args, env), nil
	}
	return nil, errToken("T1008", n.pos, procName(n.proc))
}

// partialApply binds the supplied arguments and returns a lambda taking the rest.
func partialApply(l *lambda, args []any, env *frame) *lambda {
	parent := l.env
	if parent == nil {
		parent = env
	}
	capture(parent)
	fr := &frame{parent: parent, captured: true}
	var unbound []string
	for i, p := range l.params {
		var a any = undefined
		if i < len(args) {
			a = args[i]
		}
		if _, ok := a.(placeholderArg); ok {
			unbound = append(unbound, p)
		} else {
			fr.bind(p, a)
		}
	}
	return &lambda{input: l.input, env: fr, params: unbound, body: l.body,
		native: l.native, nativeParams: l.nativeParams}
}

// chainAST implements function composition f ~> g.
var chainAST = func() *node {
	n, err := parse("function($f, $g) { function($x){ $g($f($x)) } }")
	if err != nil {
		panic(err)
	}
	return n
}()

func (ev *evaluator) evalApply(n *node, input any, env *frame) (any, error) {
	lhs, err := ev.eval(n.lhs, input, env)
	if err != nil {
		return nil, err
	}
	if n.rhs.kind == nFunction {
		return ev.evalFunction(n.rhs, input, env, true, lhs)
	}
	fn, err := ev.eval(n.rhs, input, env)
	if err != nil {
		return nil, err
	}
	if !isFunction(fn) {
		e := errValue("T2006", fn)
		e.Position = n.pos
		return nil, e
	}
	if isFunction(lhs) {
		chain, err := ev.eval(chainAST, nil, env)
		if err != nil {
			return nil, err
		}
		return ev.apply(chain, []any{lhs, fn}, nil, env)
	}
	return ev.apply(fn, []any{lhs}, nil, env)
}

var transformSig = mustSignature("<(oa):o>")

func mustSignature(s string) *signature {
	sig, err := parseSignature(s)
	if err != nil {
		panic(err)
	}
	return sig
}

// transformer builds the function a transform expression |pattern|update,delete|
// evaluates to.
func (ev *evaluator) transformer(n *node, env *frame) any {
	capture(env)
	return &builtin{name: "", sig: transformSig, arity: 1, nparams: 1,
		fn: func(ev *evaluator, c callCtx, args []any) (any, error) {
			obj := args[0]
			if isUndef(obj) {
				return undefined, nil
			}
			cloneFn, _ := ev.lookup(env, "clone")
			if !isFunction(cloneFn) {
				e := newError("T2013")
				e.Position = n.pos
				return nil, e
			}
			result, err := ev.apply(cloneFn, []any{obj}, nil, env)
			if err != nil {
				return nil, err
			}
			matches, err := ev.eval(n.pattern, result, env)
			if err != nil {
				return nil, err
			}
			if isUndef(matches) {
				return result, nil
			}
			list, ok := items(matches)
			if !ok {
				list = []any{matches}
			}
			for _, m := range list {
				update, err := ev.eval(n.update, m, env)
				if err != nil {
					return nil, err
				}
				if !isUndef(update) {
					u, ok := update.(*jsonv.Object)
					if !ok {
						e := errValue("T2011", update)
						e.Position = n.update.pos
						return nil, e
					}
					if mo, ok := m.(*jsonv.Object); ok {
						keys := u.Keys()
						vals := u.Values()
						for i, k := range keys {
							mo.Set(k, vals[i])
						}
					}
				}
				if n.del != nil {
					dels, err := ev.eval(n.del, m, env)
					if err != nil {
						return nil, err
					}
					if isUndef(dels) {
						continue
					}
					val := dels
					list, ok := items(dels)
					if !ok {
						list = []any{dels}
					}
					if !isArrayOfStrings(list) {
						e := errValue("T2012", val)
						e.Position = n.del.pos
						return nil, e
					}
					if mo, ok := m.(*jsonv.Object); ok {
						for _, k := range list {
							mo.Delete(k.(string))
						}
					}
				}
			}
			return result, nil
		}}
}
