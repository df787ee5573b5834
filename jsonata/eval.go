package jsonata

import (
	"context"
	"math"
	"time"

	"github.com/stepwise-dev/stepwise/jsonv"
)

// frame is one scope of variable bindings. Frames are small, so lookups scan.
type frame struct {
	parent   *frame
	names    []string
	vals     []any
	one      [1]any // storage for the common single-binding frame
	captured bool   // a closure refers to this frame, so it cannot be reused
}

// capture marks env and its ancestors as referenced by a closure.
func capture(env *frame) {
	for f := env; f != nil && !f.captured; f = f.parent {
		f.captured = true
	}
}

// newFrame returns a frame from the evaluator's free list, or a new one. Frames of
// function calls and blocks are recycled when no closure captured them, which saves
// an allocation per call in higher-order functions.
func (ev *evaluator) newFrame(parent *frame) *frame {
	if n := len(ev.free); n > 0 {
		f := ev.free[n-1]
		ev.free = ev.free[:n-1]
		f.parent = parent
		return f
	}
	return &frame{parent: parent}
}

func (ev *evaluator) releaseFrame(f *frame) {
	if f.captured || len(ev.free) >= 64 {
		return
	}
	*f = frame{}
	ev.free = append(ev.free, f)
}

func (f *frame) bind(name string, v any) {
	for i, n := range f.names {
		if n == name {
			f.vals[i] = v
			return
		}
	}
	f.names = append(f.names, name)
	f.vals = append(f.vals, v)
}

// evaluator holds the state of one evaluation.
type evaluator struct {
	env       *Env
	root      *frame
	depth     int
	maxDepth  int
	steps     uint32
	deadline  time.Time
	ctx       context.Context
	now       time.Time
	nowSet    bool
	free      []*frame
	allocated int
	rootFrame frame
	running   bool // inside run: callbacks from custom functions share the limits
	calls     int  // nesting of function applications
}

// rootNames is the variables of the root frame: $$ (the input).
var rootNames = []string{"$"}

func newEvaluator(env *Env) *evaluator {
	ev := &evaluator{env: env, maxDepth: DefaultMaxDepth}
	limit := DefaultTimeLimit
	if env != nil {
		if env.MaxDepth > 0 {
			ev.maxDepth = min(env.MaxDepth, MaxDepthLimit)
		}
		if env.TimeLimit != 0 {
			limit = env.TimeLimit
		}
		ev.ctx = env.Context
	}
	if limit > 0 {
		ev.deadline = time.Now().Add(limit)
	}
	ev.root = &ev.rootFrame
	return ev
}

// run evaluates the whole expression against input.
func (ev *evaluator) run(ast *node, input any) (any, error) {
	ev.root.names = rootNames[:1:1]
	ev.root.one[0] = input
	ev.root.vals = ev.root.one[:1:1]
	ev.running = true
	defer func() { ev.running = false }()
	if a, ok := input.([]any); ok {
		// a top-level array is treated as a single value
		input = &seq{vals: []any{a}, sequence: true, outerWrapper: true}
	}
	res, err := ev.eval(ast, input, ev.root)
	if err != nil {
		return nil, err
	}
	if f, ok := res.(*lambda); ok {
		return &Function{fn: f, ev: ev}, nil
	}
	out, err := toJSONChecked(res)
	if err != nil {
		return nil, err
	}
	if f, ok := out.(*Function); ok {
		f.ev = ev
	}
	return out, nil
}

func (ev *evaluator) timestamp() time.Time {
	if !ev.nowSet {
		if ev.env != nil && ev.env.Now != nil {
			ev.now = ev.env.Now()
		} else {
			ev.now = time.Now()
		}
		ev.nowSet = true
	}
	return ev.now
}

// lookup finds a variable in the scope chain, then in the Env, then among built-ins.
func (ev *evaluator) lookup(env *frame, name string) (any, bool) {
	for f := env; f != nil; f = f.parent {
		for i, n := range f.names {
			if n == name {
				return f.vals[i], true
			}
		}
	}
	if ev.env != nil {
		if v, ok := ev.env.lookup(name); ok {
			return v, true
		}
	}
	if b, ok := builtins[name]; ok {
		return b, true
	}
	return undefined, false
}

// limitError checks the time limit and cancellation; it runs every 1024 evaluations.
func (ev *evaluator) limitError() error {
	if !ev.deadline.IsZero() && time.Now().After(ev.deadline) {
		return &Error{Code: "U1001", Message: msgTimeout}
	}
	if ev.ctx != nil {
		if err := ev.ctx.Err(); err != nil {
			return &Error{Code: "U1001", Message: msgCancelled + ": " + err.Error(), cause: err}
		}
	}
	return nil
}

func (ev *evaluator) enter() error {
	ev.depth++
	if ev.depth > ev.maxDepth {
		return &Error{Code: "U1001", Message: msgStackOverflow}
	}
	ev.steps++
	if ev.steps&1023 == 0 {
		return ev.limitError()
	}
	return nil
}

// tick counts a unit of work done inside a built-in, so that long loops there also
// check the time limit.
func (ev *evaluator) tick() error {
	ev.steps++
	if ev.steps&1023 == 0 {
		return ev.limitError()
	}
	return nil
}

// maxAllocated bounds the total size of the large arrays (ranges, constructed and
// flattened sequences) one evaluation may build, so that an expression cannot
// exhaust memory between two checks of the time limit.
const maxAllocated = 100_000_000

// built accounts for an array of n elements built in one step: large ones count
// towards maxAllocated and towards the work done between time-limit checks.
func (ev *evaluator) built(n int) error {
	if n < 1<<12 {
		return nil
	}
	ev.allocated += n
	if ev.allocated > maxAllocated {
		return errTooLarge()
	}
	return ev.limitError()
}

// eval evaluates one node. As in jsonata-js, a result sequence collapses to its only
// item, or to undefined when empty, unless it was marked to stay an array.
func (ev *evaluator) eval(n *node, input any, env *frame) (any, error) {
	if err := ev.enter(); err != nil {
		return nil, err
	}
	var res any
	var err error
	switch n.kind {
	case nPath:
		res, err = ev.evalPath(n, input, env)
	case nBinary:
		res, err = ev.evalBinary(n, input, env)
	case nNegate:
		res, err = ev.evalNegate(n, input, env)
	case nArray:
		res, err = ev.evalArray(n, input, env)
	case nObject:
		res, err = ev.evalGroup(n.pairs, n.pos, input, env)
	case nName:
		res = lookupField(input, n.op)
	case nString, nNumber, nValue:
		res = n.val
	case nWildcard:
		res, err = evalWildcard(input)
	case nDescendant:
		res, err = evalDescendants(input)
	case nParent:
		res, _ = ev.lookup(env, n.slot.label)
	case nCondition:
		res, err = ev.evalCondition(n, input, env)
	case nBlock:
		res, err = ev.evalBlock(n, input, env)
	case nBind:
		res, err = ev.eval(n.rhs, input, env)
		if err == nil {
			env.bind(n.lhs.op, res)
		}
	case nRegex:
		res = n.re.matcher
	case nFunction:
		res, err = ev.evalFunction(n, input, env, false, nil)
	case nVariable:
		res = ev.evalVariable(n, input, env)
	case nLambda:
		capture(env)
		res = &lambda{node: n, params: n.params, sig: n.sig, body: n.body, thunk: n.thunk, input: input, env: env}
	case nPartial:
		res, err = ev.evalPartial(n, input, env)
	case nApply:
		res, err = ev.evalApply(n, input, env)
	case nTransform:
		res = ev.transformer(n, env)
	case nSort:
		// a sort step is only evaluated by the path that holds it
		res = undefined
	default:
		res = undefined
	}
	if err != nil {
		return nil, err
	}
	for _, st := range n.predicate {
		if res, err = ev.evalFilter(st.expr, res, env); err != nil {
			return nil, err
		}
	}
	if n.group != nil && n.kind != nPath {
		if res, err = ev.evalGroup(n.group.pairs, n.group.pos, res, env); err != nil {
			return nil, err
		}
	}
	if s, ok := res.(*seq); ok && s.sequence {
		if n.keepArray {
			s.keepSingleton = true
		}
		switch len(s.vals) {
		case 0:
			res = undefined
		case 1:
			if !s.keepSingleton {
				res = s.vals[0]
			}
		}
	}
	ev.depth--
	return res, nil
}

func (ev *evaluator) evalVariable(n *node, input any, env *frame) any {
	if n.op == "" {
		if s, ok := input.(*seq); ok && s.outerWrapper {
			if len(s.vals) > 0 {
				return s.vals[0]
			}
			return undefined
		}
		return input
	}
	v, _ := ev.lookup(env, n.op)
	return v
}

// lookupField is jsonata-js's fn.lookup: a field of an object, or of every object in
// an array (flattening one level of array values).
func lookupField(input any, key string) any { return lookupFieldDepth(input, key, 0) }

func lookupFieldDepth(input any, key string, depth int) any {
	switch t := input.(type) {
	case *jsonv.Object:
		if v, ok := t.Get(key); ok {
			return v
		}
		return undefined
	case []any:
		return lookupFieldArray(t, key, depth)
	case *seq:
		return lookupFieldArray(t.vals, key, depth)
	}
	return undefined
}

func lookupFieldArray(arr []any, key string, depth int) any {
	out := newSeq(len(arr))
	if depth > maxDataDepth {
		return out
	}
	for _, item := range arr {
		res := lookupFieldDepth(item, key, depth+1)
		if isUndef(res) {
			continue
		}
		if vals, ok := items(res); ok {
			if len(out.vals)+len(vals) > maxSequence {
				// too large to be a useful result: stop rather than exhaust memory
				return out
			}
			out.vals = append(out.vals, vals...)
		} else {
			out.vals = append(out.vals, res)
		}
	}
	return out
}

func (ev *evaluator) evalCondition(n *node, input any, env *frame) (any, error) {
	c, err := ev.eval(n.cond, input, env)
	if err != nil {
		return nil, err
	}
	b, err := toBoolean(c)
	if err != nil {
		return nil, err
	}
	if b == true {
		return ev.eval(n.then, input, env)
	}
	if n.els != nil {
		return ev.eval(n.els, input, env)
	}
	return undefined, nil
}

func (ev *evaluator) evalBlock(n *node, input any, env *frame) (any, error) {
	fr := ev.newFrame(env)
	var res any = undefined
	for _, e := range n.items {
		var err error
		if res, err = ev.eval(e, input, fr); err != nil {
			return nil, err
		}
	}
	ev.releaseFrame(fr)
	return res, nil
}

func (ev *evaluator) evalNegate(n *node, input any, env *frame) (any, error) {
	v, err := ev.eval(n.lhs, input, env)
	if err != nil {
		return nil, err
	}
	if isUndef(v) {
		return undefined, nil
	}
	num, err := isNumeric(v)
	if err != nil {
		return nil, err
	}
	if num {
		return -v.(float64), nil
	}
	e := errValue("D1002", v)
	e.Position, e.Token = n.pos, "-"
	return nil, e
}

func (ev *evaluator) evalArray(n *node, input any, env *frame) (any, error) {
	out := make([]any, 0, len(n.items))
	for _, item := range n.items {
		v, err := ev.eval(item, input, env)
		if err != nil {
			return nil, err
		}
		if isUndef(v) {
			continue
		}
		if item.kind == nArray {
			out = append(out, v)
		} else if vals, ok := items(v); ok {
			if len(out)+len(vals) > maxSequence {
				return nil, errSequence()
			}
			out = append(out, vals...)
		} else {
			out = append(out, v)
		}
	}
	if err := ev.built(len(out)); err != nil {
		return nil, err
	}
	if n.consarray {
		return &seq{vals: out, cons: true}, nil
	}
	return out, nil
}

// binary operator codes
const (
	opAdd = iota + 1
	opSub
	opMul
	opDiv
	opMod
	opEq
	opNe
	opLt
	opLe
	opGt
	opGe
	opConcat
	opAnd
	opOr
	opRange
	opIn
)

func binaryOpcode(op string) int {
	switch op {
	case "+":
		return opAdd
	case "-":
		return opSub
	case "*":
		return opMul
	case "/":
		return opDiv
	case "%":
		return opMod
	case "=":
		return opEq
	case "!=":
		return opNe
	case "<":
		return opLt
	case "<=":
		return opLe
	case ">":
		return opGt
	case ">=":
		return opGe
	case "&":
		return opConcat
	case "and":
		return opAnd
	case "or":
		return opOr
	case "..":
		return opRange
	case "in":
		return opIn
	}
	return 0
}

func (ev *evaluator) evalBinary(n *node, input any, env *frame) (any, error) {
	lhs, err := ev.eval(n.lhs, input, env)
	if err != nil {
		return nil, err
	}
	if n.binop == opAnd || n.binop == opOr {
		res, err := ev.evalBoolean(n, lhs, input, env)
		if err != nil {
			if e, ok := err.(*Error); ok {
				e.Position, e.Token = n.pos, n.op
			}
			return nil, err
		}
		return res, nil
	}
	rhs, err := ev.eval(n.rhs, input, env)
	if err != nil {
		return nil, err
	}
	var res any
	var e *Error
	switch n.binop {
	case opAdd, opSub, opMul, opDiv, opMod:
		res, e = arithmetic(lhs, rhs, n.binop)
	case opEq, opNe:
		res = false
		if !isUndef(lhs) && !isUndef(rhs) {
			eq, err := deepEqual(lhs, rhs)
			if err != nil {
				return nil, err
			}
			res = eq == (n.binop == opEq)
		}
	case opLt, opLe, opGt, opGe:
		res, e = compare(lhs, rhs, n.binop)
	case opConcat:
		res, e = concat(lhs, rhs)
	case opRange:
		res, e = rangeOf(lhs, rhs)
		if s, ok := res.(*seq); ok {
			if err := ev.built(len(s.vals)); err != nil {
				return nil, err
			}
		}
	case opIn:
		res = includes(lhs, rhs)
	}
	if e != nil {
		e.Position, e.Token = n.pos, n.op
		return nil, e
	}
	return res, nil
}

func (ev *evaluator) evalBoolean(n *node, lhs any, input any, env *frame) (any, error) {
	l, err := boolize(lhs)
	if err != nil {
		return nil, err
	}
	if n.binop == opAnd && !l {
		return false, nil
	}
	if n.binop == opOr && l {
		return true, nil
	}
	rhs, err := ev.eval(n.rhs, input, env)
	if err != nil {
		return nil, err
	}
	return boolize(rhs)
}

func boolize(v any) (bool, error) {
	b, err := toBoolean(v)
	if err != nil {
		return false, err
	}
	return b == true, nil
}

func arithmetic(lhs, rhs any, op int) (any, *Error) {
	lu, ru := isUndef(lhs), isUndef(rhs)
	if !lu {
		if ok, err := isNumeric(lhs); err != nil {
			return nil, err.(*Error)
		} else if !ok {
			return nil, errValue("T2001", lhs)
		}
	}
	if !ru {
		if ok, err := isNumeric(rhs); err != nil {
			return nil, err.(*Error)
		} else if !ok {
			return nil, errValue("T2002", rhs)
		}
	}
	if lu || ru {
		return undefined, nil
	}
	a, b := lhs.(float64), rhs.(float64)
	switch op {
	case opAdd:
		return box(a + b), nil
	case opSub:
		return box(a - b), nil
	case opMul:
		return box(a * b), nil
	case opDiv:
		return box(a / b), nil
	}
	return box(math.Mod(a, b)), nil
}

func compare(lhs, rhs any, op int) (any, *Error) {
	comparable := func(v any) bool {
		switch v.(type) {
		case undefinedType, string, float64:
			return true
		}
		return false
	}
	if !comparable(lhs) || !comparable(rhs) {
		v := rhs
		switch lhs.(type) {
		case string, float64:
		default:
			v = lhs
		}
		return nil, errValue("T2010", v)
	}
	if isUndef(lhs) || isUndef(rhs) {
		return undefined, nil
	}
	switch a := lhs.(type) {
	case float64:
		b, ok := rhs.(float64)
		if !ok {
			e := errValue("T2009", lhs)
			e.value2 = rhs
			return nil, e
		}
		switch op {
		case opLt:
			return a < b, nil
		case opLe:
			return a <= b, nil
		case opGt:
			return a > b, nil
		}
		return a >= b, nil
	case string:
		b, ok := rhs.(string)
		if !ok {
			e := errValue("T2009", lhs)
			e.value2 = rhs
			return nil, e
		}
		c := compareStrings(a, b)
		switch op {
		case opLt:
			return c < 0, nil
		case opLe:
			return c <= 0, nil
		case opGt:
			return c > 0, nil
		}
		return c >= 0, nil
	}
	return undefined, nil
}

func concat(lhs, rhs any) (any, *Error) {
	var ls, rs string
	if !isUndef(lhs) {
		s, err := stringify(lhs, false)
		if err != nil {
			return nil, err
		}
		ls = s
	}
	if !isUndef(rhs) {
		s, err := stringify(rhs, false)
		if err != nil {
			return nil, err
		}
		rs = s
	}
	if len(ls)+len(rs) > maxStringLength {
		return nil, errTooLarge()
	}
	return ls + rs, nil
}

// maxRange is jsonata-js's limit on the size of a range.
const maxRange = 1e7

func isInteger(v any) bool {
	f, ok := v.(float64)
	return ok && !math.IsInf(f, 0) && f == math.Trunc(f)
}

func rangeOf(lhs, rhs any) (any, *Error) {
	if !isUndef(lhs) && !isInteger(lhs) {
		return nil, errValue("T2003", lhs)
	}
	if !isUndef(rhs) && !isInteger(rhs) {
		return nil, errValue("T2004", rhs)
	}
	if isUndef(lhs) || isUndef(rhs) {
		return undefined, nil
	}
	a, b := lhs.(float64), rhs.(float64)
	if a > b {
		return undefined, nil
	}
	size := b - a + 1
	if size > maxRange {
		return nil, errValue("D2014", size)
	}
	out := make([]any, int(size))
	for i := range out {
		out[i] = a + float64(i)
	}
	return &seq{vals: out, sequence: true}, nil
}

func includes(lhs, rhs any) bool {
	if isUndef(lhs) || isUndef(rhs) {
		return false
	}
	if vals, ok := items(rhs); ok {
		for _, v := range vals {
			if strictEqual(v, lhs) {
				return true
			}
		}
		return false
	}
	return strictEqual(rhs, lhs)
}
