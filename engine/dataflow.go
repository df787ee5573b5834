package engine

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/stepwise-dev/stepwise/asl"
	"github.com/stepwise-dev/stepwise/asl/jsonpath"
	"github.com/stepwise-dev/stepwise/jsonv"
)

// scope holds workflow variables. The top-level states share one scope; each Parallel
// branch and Map iteration gets a child that reads its parent's variables.
type scope struct {
	parent *scope
	mu     sync.RWMutex
	vars   map[string]any
}

func newScope(parent *scope) *scope { return &scope{parent: parent} }

func (s *scope) lookup(name string) (any, bool) {
	for c := s; c != nil; c = c.parent {
		c.mu.RLock()
		v, ok := c.vars[name]
		c.mu.RUnlock()
		if ok {
			return v, true
		}
	}
	return nil, false
}

func (s *scope) set(name string, v any) {
	s.mu.Lock()
	if s.vars == nil {
		s.vars = map[string]any{}
	}
	s.vars[name] = v
	s.mu.Unlock()
}

// mapItem is the $$.Map.Item of an iteration's ItemSelector.
type mapItem struct {
	index int
	value any
	key   string
}

// stateRun is one visit of one state: everything the data flow needs to resolve paths.
type stateRun struct {
	x         *Execution
	st        *asl.State
	input     any // the raw state input
	lane      *lane
	scope     *scope
	enteredID int64
	entered   time.Time
	retry     int
	token     string
	item      *mapItem
	ctxObj    *jsonv.Object
	// childFailed is set when a branch or iteration failed the state (so AWS's
	// ParallelStateFailed / MapStateFailed event follows once no retry applies).
	childFailed bool
	evalFailed  bool
}

// ISO8601 renders a time as Step Functions does in the context object.
func ISO8601(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// contextObject builds $$ for this state.
func (r *stateRun) contextObject() *jsonv.Object {
	if r.ctxObj != nil {
		return r.ctxObj
	}
	p := r.x.params
	exec := jsonv.NewObject(6)
	exec.Set("Id", p.ExecutionARN)
	exec.Set("Input", p.Input)
	exec.Set("StartTime", ISO8601(p.StartTime))
	exec.Set("Name", p.Name)
	exec.Set("RoleArn", p.RoleARN)
	if !p.Sync {
		// StartSyncExecution's context object has no RedriveCount (recorded on AWS).
		exec.Set("RedriveCount", float64(p.RedriveCount))
	}
	o := jsonv.NewObject(5)
	o.Set("Execution", exec)
	o.Set("StateMachine", jsonv.ObjectOf("Id", p.StateMachineARN, "Name", p.StateMachineName))
	state := jsonv.NewObject(3)
	state.Set("EnteredTime", ISO8601(r.entered))
	state.Set("Name", r.st.Name)
	if r.st.Type == asl.TypeTask || r.st.Type == asl.TypeParallel || r.st.Type == asl.TypeMap {
		state.Set("RetryCount", float64(r.retry))
	}
	o.Set("State", state)
	if r.token != "" {
		o.Set("Task", jsonv.ObjectOf("Token", r.token))
	}
	if r.item != nil {
		item := jsonv.NewObject(3)
		if r.item.key != "" {
			item.Set("Key", r.item.key)
		}
		item.Set("Index", float64(r.item.index))
		item.Set("Value", r.item.value)
		o.Set("Map", jsonv.ObjectOf("Item", item))
	}
	r.ctxObj = o
	return o
}

// errVariableNotFound marks a reference to an unassigned variable.
var errVariableNotFound = errors.New("variable not found")

// resolver resolves the paths of one template evaluation against a document.
type resolver struct {
	r   *stateRun
	doc any
}

// Resolve implements intrinsics.Resolver.
func (rv resolver) Resolve(p *jsonpath.Path) (any, error) {
	return rv.r.resolvePath(p, rv.doc)
}

func (r *stateRun) resolvePath(p *jsonpath.Path, doc any) (any, error) {
	switch root := p.Root(); root {
	case "":
		return p.Get(doc)
	case "$":
		return p.Get(r.contextObject())
	default:
		v, ok := r.scope.lookup(root)
		if !ok {
			return nil, fmt.Errorf("%w: %s", errVariableNotFound, root)
		}
		return p.Get(v)
	}
}

// evalTemplate evaluates a JSONPath-mode payload template against doc.
func (r *stateRun) evalTemplate(t *asl.Template, doc any) (any, *Failure) {
	switch t.Kind {
	case asl.TLiteral:
		return t.Lit, nil
	case asl.TObject:
		o := jsonv.NewObject(len(t.Fields))
		for _, f := range t.Fields {
			var v any
			var fail *Failure
			switch f.Value.Kind {
			case asl.TPath:
				var err error
				v, err = r.resolvePath(f.Value.Path, doc)
				if err != nil {
					return nil, r.pathFailure(f.Value.Src, f.SrcKey, doc, err)
				}
			case asl.TIntrinsic:
				var err error
				v, err = f.Value.Call.Eval(resolver{r, doc})
				if err != nil {
					return nil, r.intrinsicFailure(f.Value.Src, f.SrcKey, doc, err)
				}
			default:
				v, fail = r.evalTemplate(f.Value, doc)
				if fail != nil {
					return nil, fail
				}
			}
			o.Set(f.Key, v)
		}
		return o, nil
	case asl.TArray:
		a := make([]any, len(t.Elems))
		for i, e := range t.Elems {
			v, fail := r.evalTemplate(e, doc)
			if fail != nil {
				return nil, fail
			}
			a[i] = v
		}
		return a, nil
	case asl.TPath:
		v, err := r.resolvePath(t.Path, doc)
		if err != nil {
			return nil, r.pathFailure(t.Src, "", doc, err)
		}
		return v, nil
	case asl.TIntrinsic:
		v, err := t.Call.Eval(resolver{r, doc})
		if err != nil {
			return nil, r.intrinsicFailure(t.Src, "", doc, err)
		}
		return v, nil
	case asl.TJSONata:
		return r.evalJSONataField(t, "", doc)
	}
	return nil, r.runtime("unknown template kind")
}

func (r *stateRun) runtime(msg string) *Failure {
	return runtimeFailure(r.st.Name, r.enteredID, msg)
}

// pathFailure is AWS's error for a ".$" path that found nothing.
// A "$$" path is reported against the context object it was looked up in.
func (r *stateRun) pathFailure(path, field string, doc any, err error) *Failure {
	if !errors.Is(err, errVariableNotFound) && strings.HasPrefix(path, "$$") {
		doc = r.contextObject()
	}
	return r.runtime(fmt.Sprintf("The JSONPath '%s' specified for the field '%s' could not be found in the input '%s'", path, field, jsonv.String(doc)))
}

func (r *stateRun) intrinsicFailure(expr, field string, doc any, err error) *Failure {
	if errors.Is(err, errVariableNotFound) || errors.Is(err, jsonpath.ErrNotFound) {
		return r.pathFailure(expr, field, doc, err)
	}
	f := asFailure(err)
	if f.Name == ErrRuntime {
		// AWS prefixes runtime causes with the state and the event it was entered at.
		return r.runtime(f.Cause)
	}
	return f
}

// applyPath selects with InputPath or OutputPath: absent keeps doc, null gives {}.
func (r *stateRun) applyPath(f asl.PathField, doc any) (any, *Failure) {
	if !f.Set {
		return doc, nil
	}
	if f.Null {
		return jsonv.NewObject(0), nil
	}
	v, err := r.resolvePath(f.Path, doc)
	if err != nil {
		return nil, r.runtime(r.invalidPath(f.Path, f.Src, err))
	}
	return v, nil
}

// invalidPath is AWS's message for a path with no result: "Invalid path '$.x' : " and
// Jayway's own text ("No results for path: $['x']", "Missing property in path $['a']").
func (r *stateRun) invalidPath(p *jsonpath.Path, src string, err error) string {
	var nf *jsonpath.NotFoundError
	if errors.As(err, &nf) {
		return fmt.Sprintf("Invalid path '%s' : %s", src, nf.Error())
	}
	if p != nil {
		return fmt.Sprintf("Invalid path '%s' : No results for path: %s", src, p.Canonical())
	}
	return fmt.Sprintf("Invalid path '%s' : %v", src, err)
}

// applyResultPath merges result into the raw input: absent replaces, null discards.
func (r *stateRun) applyResultPath(f asl.PathField, input, result any) (any, *Failure) {
	if !f.Set {
		return result, nil
	}
	if f.Null {
		return input, nil
	}
	out, err := f.Path.Set(input, result)
	if err != nil {
		return nil, newFailure(ErrResultPathMatchFailure, fmt.Sprintf(
			"An error occurred while executing the state '%s' (entered at the event id #%d). Unable to apply ResultPath '%s' to input '%s'",
			r.st.Name, r.enteredID, f.Src, jsonv.String(input)))
	}
	return out, nil
}

// checkSize enforces the 256 KiB payload limit.
func (r *stateRun) checkSize(v any, what string) *Failure {
	if jsonv.Size(v, MaxPayloadBytes) > MaxPayloadBytes {
		return newFailure(ErrDataLimitExceeded, fmt.Sprintf(
			"The state/task '%s' returned a result with a size exceeding the maximum number of bytes service limit.", r.st.Name))
	}
	_ = what
	return nil
}
