package engine

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/stepwise-dev/stepwise/asl"
	"github.com/stepwise-dev/stepwise/jsonata"
	"github.com/stepwise-dev/stepwise/jsonv"
)

// jsonataEnv binds $states and every variable visible from the state's scope.
func (r *stateRun) jsonataEnv(states *jsonv.Object) *jsonata.Env {
	env := jsonata.NewEnv()
	env.Now = r.x.eng.cfg.Clock.Now
	bindAWSFunctions(env)
	// Outer scopes first, so an inner variable of the same name wins.
	var chain []*scope
	for s := r.scope; s != nil; s = s.parent {
		chain = append(chain, s)
	}
	for i := len(chain) - 1; i >= 0; i-- {
		s := chain[i]
		s.mu.RLock()
		for k, v := range s.vars {
			env.Bind(k, v)
		}
		s.mu.RUnlock()
	}
	env.Bind("states", states)
	return env
}

// statesVar builds $states for this state: input and context, plus result or errorOutput.
func (r *stateRun) statesVar(extraKey string, extra any) *jsonv.Object {
	o := jsonv.NewObject(3)
	o.Set("input", r.input)
	o.Set("context", r.contextObject())
	if extraKey != "" {
		o.Set(extraKey, extra)
	}
	return o
}

// queryFailure is States.QueryEvaluationError, recorded with an EvaluationFailed event.
func (r *stateRun) queryFailure(msg string) *Failure {
	f := newFailure(ErrQueryEvaluation, fmt.Sprintf("An error occurred while executing the state '%s' (entered at the event id #%d). %s", r.st.Name, r.enteredID, msg))
	f.Evaluation = true
	return f
}

// evalJSONata evaluates a JSONata-mode template: "{% %}" strings anywhere inside it.
func (r *stateRun) evalJSONata(t *asl.Template, field string, env *jsonata.Env) (any, *Failure) {
	switch t.Kind {
	case asl.TLiteral:
		return t.Lit, nil
	case asl.TObject:
		o := jsonv.NewObject(len(t.Fields))
		for _, f := range t.Fields {
			v, fail := r.evalJSONata(f.Value, field+"/"+f.Key, env)
			if fail != nil {
				return nil, fail
			}
			o.Set(f.Key, v)
		}
		return o, nil
	case asl.TArray:
		a := make([]any, len(t.Elems))
		for i, e := range t.Elems {
			v, fail := r.evalJSONata(e, field+"["+strconv.Itoa(i)+"]", env)
			if fail != nil {
				return nil, fail
			}
			a[i] = v
		}
		return a, nil
	case asl.TJSONata:
		v, err := t.JSONata.Expr.Evaluate(jsonata.Undefined, env)
		if err != nil {
			var je *jsonata.Error
			if errors.As(err, &je) {
				return nil, r.queryFailure(fmt.Sprintf("The JSONata expression '%s' specified for the field '%s' threw an error during evaluation: %s", t.Src, field, je.Error()))
			}
			return nil, r.queryFailure(fmt.Sprintf("The JSONata expression '%s' specified for the field '%s' threw an error during evaluation: %v", t.Src, field, err))
		}
		if jsonata.IsUndefined(v) {
			return nil, r.queryFailure(fmt.Sprintf("The JSONata expression '%s' specified for the field '%s' returned nothing (undefined).", t.Src, field))
		}
		if jsonata.IsFunction(v) {
			return nil, r.queryFailure(fmt.Sprintf("The JSONata expression '%s' specified for the field '%s' returned an unsupported result type.", t.Src, field))
		}
		return v, nil
	case asl.TPath, asl.TIntrinsic:
	}
	return nil, r.runtime("a JSONPath template in a JSONata state")
}

// evalJSONataField evaluates one template against the state's plain $states.
func (r *stateRun) evalJSONataField(t *asl.Template, field string, _ any) (any, *Failure) {
	return r.evalJSONata(t, field, r.jsonataEnv(r.statesVar("", nil)))
}

// outputAndAssign evaluates Output (default: def) and Assign against the same snapshot.
func (r *stateRun) outputAndAssign(output, assign *asl.Template, def any, env *jsonata.Env) (any, *jsonv.Object, *Failure) {
	out := def
	if output != nil {
		v, f := r.evalJSONata(output, "Output", env)
		if f != nil {
			return nil, nil, f
		}
		out = v
	}
	var assigned *jsonv.Object
	if assign != nil {
		v, f := r.evalJSONata(assign, "Assign", env)
		if f != nil {
			return nil, nil, f
		}
		assigned, _ = v.(*jsonv.Object)
	}
	return out, assigned, nil
}

// runJSONata runs a state of a JSONata machine.
func (r *stateRun) runJSONata(ctx context.Context) (any, string, *jsonv.Object, *Failure) {
	st := r.st
	switch st.Type {
	case asl.TypePass, asl.TypeSucceed:
		env := r.jsonataEnv(r.statesVar("", nil))
		out, assigned, f := r.outputAndAssign(st.Output, st.Assign, r.input, env)
		return out, st.Next, assigned, f

	case asl.TypeFail:
		env := r.jsonataEnv(r.statesVar("", nil))
		fail := &Failure{}
		if st.Error != nil {
			v, f := r.evalJSONata(st.Error, "Error", env)
			if f != nil {
				return nil, "", nil, f
			}
			fail.Name, fail.HasError = display(v), true
		}
		if st.Cause != nil {
			v, f := r.evalJSONata(st.Cause, "Cause", env)
			if f != nil {
				return nil, "", nil, f
			}
			fail.Cause, fail.HasCause = display(v), true
		}
		return nil, "", nil, fail

	case asl.TypeWait:
		env := r.jsonataEnv(r.statesVar("", nil))
		if f := r.waitJSONata(ctx, env); f != nil {
			return nil, "", nil, f
		}
		out, assigned, f := r.outputAndAssign(st.Output, st.Assign, r.input, env)
		return out, st.Next, assigned, f

	case asl.TypeChoice:
		env := r.jsonataEnv(r.statesVar("", nil))
		for i, rule := range st.Choices {
			v, f := r.evalJSONata(rule.Condition, fmt.Sprintf("Choices[%d]/Condition", i), env)
			if f != nil {
				return nil, "", nil, f
			}
			b, ok := v.(bool)
			if !ok {
				return nil, "", nil, r.queryFailure(fmt.Sprintf("The JSONata expression '%s' specified for the field 'Condition' returned an unexpected result type. Expected 'boolean', but was '%s' for value: %s", rule.Condition.Src, jsonv.TypeName(v), jsonv.String(v)))
			}
			if b {
				output := rule.Output
				if output == nil {
					output = st.Output
				}
				out, assigned, f := r.outputAndAssign(output, rule.Assign, r.input, env)
				return out, rule.Next, assigned, f
			}
		}
		if st.Default == "" {
			return nil, "", nil, newFailure(ErrNoChoiceMatched, fmt.Sprintf(
				"An error occurred while executing the state '%s' (entered at the event id #%d). Failed to transition out of the state. The state does not point to a next state.", st.Name, r.enteredID))
		}
		out, assigned, f := r.outputAndAssign(st.Output, st.Assign, r.input, env)
		return out, st.Default, assigned, f

	case asl.TypeTask, asl.TypeParallel, asl.TypeMap:
		return r.runWithRetryJSONata(ctx)
	}
	return nil, "", nil, r.runtime(fmt.Sprintf("Unsupported state type '%s'", st.Type))
}

// jsonataNumber evaluates a numeric field (TimeoutSeconds, Seconds, MaxConcurrency...).
func (r *stateRun) jsonataNumber(t *asl.Template, field string, env *jsonata.Env) (float64, bool, *Failure) {
	if t == nil {
		return 0, false, nil
	}
	v, f := r.evalJSONata(t, field, env)
	if f != nil {
		return 0, false, f
	}
	n, ok := v.(float64)
	if !ok {
		return 0, false, r.queryFailure(fmt.Sprintf("The JSONata expression '%s' specified for the field '%s' returned an unexpected result type. Expected 'integer', but was '%s' for value: %s", t.Src, field, jsonv.TypeName(v), jsonv.String(v)))
	}
	return n, true, nil
}

func (r *stateRun) waitJSONata(ctx context.Context, env *jsonata.Env) *Failure {
	st := r.st
	if st.Seconds != nil {
		n, _, f := r.jsonataNumber(st.Seconds, "Seconds", env)
		if f != nil {
			return f
		}
		if n < 0 || n != math.Trunc(n) {
			return r.queryFailure(fmt.Sprintf("The Seconds field must be a non-negative integer, but was: %s", jsonv.String(n)))
		}
		return r.sleep(ctx, time.Duration(n)*time.Second)
	}
	if st.Timestamp != nil {
		v, f := r.evalJSONata(st.Timestamp, "Timestamp", env)
		if f != nil {
			return f
		}
		s, _ := v.(string)
		t, ok := ParseTimestamp(s)
		if !ok {
			return r.queryFailure("The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: " + display(v))
		}
		return r.sleep(ctx, t.Sub(r.x.eng.cfg.Clock.Now()))
	}
	return nil
}

// runWithRetryJSONata runs a Task, Parallel or Map state in JSONata mode.
func (r *stateRun) runWithRetryJSONata(ctx context.Context) (any, string, *jsonv.Object, *Failure) {
	st := r.st
	return r.withRetry(ctx, func() (any, *Failure) {
		switch st.Type {
		case asl.TypeTask:
			return r.invokeTask(ctx, r.input)
		case asl.TypeParallel:
			args := r.input
			if st.Arguments != nil {
				var f *Failure
				if args, f = r.evalJSONataField(st.Arguments, "Arguments", nil); f != nil {
					return nil, f
				}
			}
			return r.runParallel(ctx, args)
		case asl.TypeMap:
			return r.runMapJSONata(ctx)
		default:
			return nil, r.runtime(fmt.Sprintf("State type '%s' has no retry", st.Type))
		}
	}, func(result any) (any, string, *jsonv.Object, *Failure) {
		env := r.jsonataEnv(r.statesVar("result", result))
		out, assigned, f := r.outputAndAssign(st.Output, st.Assign, result, env)
		return out, st.Next, assigned, f
	})
}

// catchJSONata applies a JSONata catcher: Output defaults to the error output.
func (r *stateRun) catchJSONata(c *asl.Catcher, eo *jsonv.Object) (any, string, *jsonv.Object, *Failure) {
	env := r.jsonataEnv(r.statesVar("errorOutput", eo))
	out, assigned, f := r.outputAndAssign(c.Output, c.Assign, eo, env)
	return out, c.Next, assigned, f
}

// taskArguments evaluates a JSONata Task's Arguments (after the task token exists).
func (r *stateRun) taskArguments() (any, *Failure) {
	if r.st.Arguments == nil {
		return r.input, nil
	}
	return r.evalJSONataField(r.st.Arguments, "Arguments", nil)
}

func (r *stateRun) runMapJSONata(ctx context.Context) (any, *Failure) {
	st := r.st
	env := r.jsonataEnv(r.statesVar("", nil))
	items := any(r.input)
	if st.Items != nil {
		v, f := r.evalJSONata(st.Items, "Items", env)
		if f != nil {
			return nil, f
		}
		if _, ok := v.([]any); !ok {
			return nil, r.queryFailure(fmt.Sprintf("The JSONata expression '%s' specified for the field 'Items' returned an unexpected result type. Expected 'array', but was '%s' for value: %s", st.Items.Src, jsonv.TypeName(v), jsonv.String(v)))
		}
		items = v
	}
	arr, ok := items.([]any)
	if !ok {
		return nil, r.queryFailure("Map state input must be an array but was: " + jsonv.String(items))
	}
	maxConc := 0
	if st.MaxConcurrency != nil {
		n, _, f := r.jsonataNumber(st.MaxConcurrency, "MaxConcurrency", env)
		if f != nil {
			return nil, f
		}
		maxConc = int(n)
	}
	r.lane.add("MapStateStarted", jsonv.ObjectOf("length", float64(len(arr))))
	tol, f := r.toleranceJSONata(env, len(arr))
	if f != nil {
		return nil, f
	}
	return r.iterate(ctx, r.input, arr, nil, maxConc, tol)
}

func (r *stateRun) toleranceJSONata(env *jsonata.Env, n int) (tolerance, *Failure) {
	st := r.st
	count, pct := -1, -1.0
	if c, ok, f := r.jsonataNumber(st.ToleratedFailureCount, "ToleratedFailureCount", env); f != nil {
		return tolerance{}, f
	} else if ok {
		count = int(c)
	}
	if p, ok, f := r.jsonataNumber(st.ToleratedFailurePercentage, "ToleratedFailurePercentage", env); f != nil {
		return tolerance{}, f
	} else if ok {
		if p < 0 || p > 100 {
			return tolerance{}, r.runtime("ToleratedFailurePercentage must be between 0 and 100.")
		}
		pct = p
	}
	return combineTolerance(count, pct, n), nil
}

// evalItemSelector builds one iteration's input from ItemSelector in either language.
func (r *stateRun) evalItemSelector(sel *asl.Template, eff any) (any, *Failure) {
	if r.st.IsJSONata() {
		return r.evalJSONata(sel, "ItemSelector", r.jsonataEnv(r.statesVar("", nil)))
	}
	return r.evalTemplate(sel, eff)
}
