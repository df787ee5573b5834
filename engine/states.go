package engine

import (
	"context"
	"fmt"

	"github.com/stepwise-dev/stepwise/asl"
	"github.com/stepwise-dev/stepwise/jsonv"
)

// errAborted ends a branch when the execution was stopped or another branch failed.
var errAborted = &Failure{Name: "States.Aborted", Cause: "aborted"}

// runMachine runs states from StartAt until one ends the machine.
func (x *Execution) runMachine(ctx context.Context, sm *asl.StateMachine, input any, l *lane, sc *scope, item *mapItem) (any, *Failure) {
	name := sm.StartAt
	checked := false // the input of every state after the first is a checked output
	for {
		if ctx.Err() != nil {
			return nil, errAborted
		}
		st, ok := sm.States[name]
		if !ok {
			return nil, newFailure(ErrRuntime, fmt.Sprintf("State '%s' does not exist", name))
		}
		out, next, fail := x.runStateChecked(ctx, st, input, l, sc, item, checked)
		checked = true
		item = nil // only the first state of an iteration sees $$.Map.Item
		if fail != nil {
			return nil, fail
		}
		if next == "" {
			return out, nil
		}
		name, input = next, out
	}
}

// runState runs one state and returns its output and the next state's name ("" at an end).
func (x *Execution) runState(ctx context.Context, st *asl.State, input any, l *lane, sc *scope, item *mapItem) (any, string, *Failure) {
	return x.runStateChecked(ctx, st, input, l, sc, item, false)
}

// runStateChecked is runState; inputChecked says the input's size was checked already.
func (x *Execution) runStateChecked(ctx context.Context, st *asl.State, input any, l *lane, sc *scope, item *mapItem, inputChecked bool) (any, string, *Failure) {
	r := &stateRun{x: x, st: st, input: input, lane: l, scope: sc, item: item}
	// Leave room for this state's entered and exited events and the execution's last one.
	// Express executions have no history limit on AWS (their history is their logs).
	if x.params.Type != "EXPRESS" && l.h.Len() >= MaxHistoryEvents-2 {
		return nil, "", newFailure(ErrRuntime, fmt.Sprintf("The execution reached the maximum number of history events (%d).", MaxHistoryEvents))
	}
	ev := l.enter(enteredType[st.Type], st.Name, input)
	r.enteredID, r.entered = ev.ID, ev.Timestamp
	if !inputChecked {
		if fail := r.checkSize(input, "input"); fail != nil {
			return nil, "", fail
		}
	}

	var out any
	var next string
	var fail *Failure
	var assigned *jsonv.Object
	if st.IsJSONata() {
		out, next, assigned, fail = r.runJSONata(ctx)
	} else {
		out, next, assigned, fail = r.runJSONPath(ctx)
	}
	if fail != nil {
		if fail.Evaluation {
			r.evalFailed = true
			ed := jsonv.NewObject(4)
			ed.Set("error", fail.Name)
			ed.Set("cause", fail.Cause)
			ed.Set("state", st.Name)
			l.add("EvaluationFailed", ed)
			fail.Evaluation = false
		}
		if st.Type == asl.TypeMap && r.evalFailed {
			l.add("MapStateFailed", nil)
		}
		return nil, "", fail
	}
	if st.Type == asl.TypeFail {
		return nil, "", nil
	}
	if fail := r.checkSize(out, "output"); fail != nil {
		return nil, "", fail
	}
	if fail := r.checkAssigned(assigned); fail != nil {
		return nil, "", fail
	}
	exited := l.exit(exitedType[st.Type], st.Name, out, assigned, next)
	if exited.recorded {
		// Replayed: the record is the truth (it may hold a random or time-dependent value).
		out, next = recordedOutput(exited, out), exited.Next
		assigned = recordedAssigned(exited, assigned)
	}
	for name, v := range assignedPairs(assigned) {
		sc.set(name, v)
	}
	return out, next, nil
}

func assignedPairs(o *jsonv.Object) map[string]any {
	if o == nil {
		return nil
	}
	m := make(map[string]any, o.Len())
	o.Range(func(k string, v any) bool {
		m[k] = v
		return true
	})
	return m
}

// runJSONPath runs a state of a JSONPath machine.
func (r *stateRun) runJSONPath(ctx context.Context) (out any, next string, assigned *jsonv.Object, fail *Failure) {
	st := r.st
	switch st.Type {
	case asl.TypePass:
		eff, f := r.applyPath(st.InputPath, r.input)
		if f != nil {
			return nil, "", nil, f
		}
		r.x.inspect("afterInputPath", eff)
		result := eff
		if st.Parameters != nil {
			if result, f = r.evalTemplate(st.Parameters, eff); f != nil {
				return nil, "", nil, f
			}
			r.x.inspect("afterParameters", result)
		}
		if st.HasResult {
			result = st.Result
		}
		if assigned, f = r.assignJSONPath(st.Assign, result); f != nil {
			return nil, "", nil, f
		}
		if out, f = r.applyResultPath(st.ResultPath, r.input, result); f != nil {
			return nil, "", nil, f
		}
		r.x.inspect("afterResultPath", out)
		out, f = r.applyPath(st.OutputPath, out)
		return out, st.Next, assigned, f

	case asl.TypeSucceed:
		eff, f := r.applyPath(st.InputPath, r.input)
		if f != nil {
			return nil, "", nil, f
		}
		out, f = r.applyPath(st.OutputPath, eff)
		return out, "", nil, f

	case asl.TypeFail:
		return nil, "", nil, r.failState()

	case asl.TypeWait:
		eff, f := r.applyPath(st.InputPath, r.input)
		if f != nil {
			return nil, "", nil, f
		}
		if f = r.wait(ctx, eff); f != nil {
			return nil, "", nil, f
		}
		if assigned, f = r.assignJSONPath(st.Assign, eff); f != nil {
			return nil, "", nil, f
		}
		out, f = r.applyPath(st.OutputPath, eff)
		return out, st.Next, assigned, f

	case asl.TypeChoice:
		eff, f := r.applyPath(st.InputPath, r.input)
		if f != nil {
			return nil, "", nil, f
		}
		rule, f := r.choose(eff)
		if f != nil {
			return nil, "", nil, f
		}
		if rule == nil {
			if st.Default == "" {
				return nil, "", nil, newFailure(ErrNoChoiceMatched, fmt.Sprintf(
					"An error occurred while executing the state '%s' (entered at the event id #%d). Failed to transition out of the state. The state does not point to a next state.", st.Name, r.enteredID))
			}
			next = st.Default
			assigned, f = r.assignJSONPath(st.Assign, eff)
		} else {
			next = rule.Next
			if rule.Assign != nil {
				assigned, f = r.assignJSONPath(rule.Assign, eff)
			} else {
				assigned, f = r.assignJSONPath(st.Assign, eff)
			}
		}
		if f != nil {
			return nil, "", nil, f
		}
		out, f = r.applyPath(st.OutputPath, eff)
		return out, next, assigned, f

	case asl.TypeTask, asl.TypeParallel, asl.TypeMap:
		return r.runWithRetry(ctx)
	}
	return nil, "", nil, r.runtime(fmt.Sprintf("Unsupported state type '%s'", st.Type))
}

// assignJSONPath evaluates a JSONPath-mode Assign against the state's result.
func (r *stateRun) assignJSONPath(t *asl.Template, doc any) (*jsonv.Object, *Failure) {
	if t == nil {
		return nil, nil
	}
	v, f := r.evalTemplate(t, doc)
	if f != nil {
		return nil, f
	}
	o, _ := v.(*jsonv.Object)
	return o, nil
}

// failState raises a Fail state's error and cause.
func (r *stateRun) failState() *Failure {
	st := r.st
	f := &Failure{}
	if st.Error != nil {
		f.Name, f.HasError = fmt.Sprint(st.Error.Lit), true
	}
	if st.Cause != nil {
		f.Cause, f.HasCause = fmt.Sprint(st.Cause.Lit), true
	}
	if st.ErrorPath.Set {
		v, fail := r.failPathValue(st.ErrorPath, "ErrorPath")
		if fail != nil {
			return fail
		}
		f.Name, f.HasError = v, true
	}
	if st.CausePath.Set {
		v, fail := r.failPathValue(st.CausePath, "CausePath")
		if fail != nil {
			return fail
		}
		f.Cause, f.HasCause = v, true
	}
	return f
}

func (r *stateRun) failPathValue(pf asl.PathField, field string) (string, *Failure) {
	var v any
	if pf.Call != nil {
		var err error
		if v, err = pf.Call.Eval(resolver{r, r.input}); err != nil {
			return "", r.intrinsicFailure(pf.Src, field, r.input, err)
		}
	} else {
		var err error
		v, err = r.resolvePath(pf.Path, r.input)
		if err != nil {
			return "", r.runtime(fmt.Sprintf("The JSONPath '%s' specified for the field '%s' could not be found in the input '%s'", pf.Src, field, jsonv.String(r.input)))
		}
	}
	s, ok := v.(string)
	if !ok {
		return jsonv.String(v), nil
	}
	return s, nil
}

// recordedOutput is the output a replayed StateExited event recorded.
func recordedOutput(e *Event, computed any) any {
	d := e.Details()
	if d == nil {
		return computed
	}
	v, ok := d.Get("output")
	if !ok {
		return computed
	}
	switch t := v.(type) {
	case Payload:
		return t.V
	case string:
		if d, err := jsonv.DecodeString(t); err == nil {
			return d
		}
	}
	return computed
}

// recordedAssigned is the variables a replayed StateExited event recorded.
func recordedAssigned(e *Event, computed *jsonv.Object) *jsonv.Object {
	d := e.Details()
	if d == nil {
		return computed
	}
	v, ok := d.Get("assignedVariables")
	o, isObj := v.(*jsonv.Object)
	if !ok || !isObj {
		return computed
	}
	out := jsonv.NewObject(o.Len())
	o.Range(func(k string, v any) bool {
		if s, ok := v.(string); ok {
			if d, err := jsonv.DecodeString(s); err == nil {
				out.Set(k, d)
				return true
			}
		}
		out.Set(k, v)
		return true
	})
	return out
}

// The event types of entering and leaving each state type, built once.
var enteredType, exitedType = func() (map[asl.StateType]string, map[asl.StateType]string) {
	en, ex := map[asl.StateType]string{}, map[asl.StateType]string{}
	for _, t := range []asl.StateType{asl.TypePass, asl.TypeTask, asl.TypeChoice, asl.TypeWait, asl.TypeSucceed, asl.TypeFail, asl.TypeParallel, asl.TypeMap} {
		en[t], ex[t] = string(t)+"StateEntered", string(t)+"StateExited"
	}
	return en, ex
}()

// Variable limits, as AWS sets them.
const (
	maxVariableBytes = 262144 // one variable, and all of one Assign together
)

// checkAssigned enforces the size limits of an Assign.
func (r *stateRun) checkAssigned(assigned *jsonv.Object) *Failure {
	if assigned == nil {
		return nil
	}
	total := 0
	var fail *Failure
	assigned.Range(func(k string, v any) bool {
		n := jsonv.Size(v, maxVariableBytes)
		if n > maxVariableBytes {
			fail = newFailure(ErrDataLimitExceeded, fmt.Sprintf("The state '%s' assigned a value to the variable '%s' that exceeds the maximum size of %d bytes.", r.st.Name, k, maxVariableBytes))
			return false
		}
		total += n
		return true
	})
	if fail == nil && total > maxVariableBytes {
		fail = newFailure(ErrDataLimitExceeded, fmt.Sprintf("The variables the state '%s' assigned exceed the maximum combined size of %d bytes.", r.st.Name, maxVariableBytes))
	}
	return fail
}
