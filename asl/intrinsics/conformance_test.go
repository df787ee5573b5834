package intrinsics

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stepwise-dev/stepwise/asl/jsonpath"
	"github.com/stepwise-dev/stepwise/internal/conformance"
	"github.com/stepwise-dev/stepwise/jsonv"
)

// docResolver resolves $ against the state input and $$ against a context object.
type docResolver struct {
	input, ctx any
	vars       map[string]any
}

func (r docResolver) Resolve(p *jsonpath.Path) (any, error) {
	switch p.Root() {
	case "":
		return p.Get(r.input)
	case "$":
		return p.Get(r.ctx)
	}
	v, ok := r.vars[p.Root()]
	if !ok {
		return nil, errors.New("no variable " + p.Root())
	}
	return p.Get(v)
}

// evalParameters evaluates a JSONPath payload template the way a Pass state does.
func evalParameters(t *testing.T, tmpl any, r docResolver) (any, error) {
	t.Helper()
	switch v := tmpl.(type) {
	case *jsonv.Object:
		out := jsonv.NewObject(v.Len())
		for i, k := range v.Keys() {
			val := v.Values()[i]
			if name, ok := strings.CutSuffix(k, ".$"); ok {
				s, _ := val.(string)
				var res any
				var err error
				if IsCall(s) {
					c, perr := Parse(s)
					if perr != nil {
						return nil, perr
					}
					res, err = c.Eval(r)
				} else {
					res, err = r.Resolve(jsonpath.MustCompile(s))
				}
				if err != nil {
					return nil, err
				}
				out.Set(name, res)
				continue
			}
			res, err := evalParameters(t, val, r)
			if err != nil {
				return nil, err
			}
			out.Set(k, res)
		}
		return out, nil
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			res, err := evalParameters(t, e, r)
			if err != nil {
				return nil, err
			}
			out[i] = res
		}
		return out, nil
	}
	return tmpl, nil
}

// TestConformanceCases evaluates every recorded intrinsics case whose machine is a single
// Pass state with Parameters, and compares the result with what AWS recorded.
func TestConformanceCases(t *testing.T) {
	t.Parallel()
	dir, ok := conformance.Dir()
	if !ok {
		t.Skip("conformance cases not found")
	}
	cases, err := conformance.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	ran := 0
	for _, c := range cases {
		if !c.Has("intrinsics") {
			continue
		}
		def := jsonv.MustDecode(string(c.Definition)).(*jsonv.Object)
		states, _ := def.Get("States")
		so, _ := states.(*jsonv.Object)
		if so == nil || so.Len() != 1 {
			continue
		}
		st := so.Values()[0].(*jsonv.Object)
		params, hasParams := st.Get("Parameters")
		if typ, _ := st.Get("Type"); typ != "Pass" || !hasParams || st.Has("ResultPath") || st.Has("OutputPath") || st.Has("InputPath") {
			continue
		}
		input := jsonv.MustDecode(string(c.Input))
		ctx := jsonv.ObjectOf(
			"Execution", jsonv.ObjectOf("Id", "arn:aws:states:us-east-1:111111111111:execution:sm-name:exec-name", "Input", input, "Name", "exec-name"),
			"StateMachine", jsonv.ObjectOf("Id", "arn:aws:states:us-east-1:111111111111:stateMachine:sm-name", "Name", "sm-name"),
			"State", jsonv.ObjectOf("Name", so.Keys()[0], "RetryCount", 0.0),
		)
		ran++
		out, err := evalParameters(t, params, docResolver{input: input, ctx: ctx})
		res := conformance.Result{Status: "SUCCEEDED"}
		if err != nil {
			var ie *Error
			if !errors.As(err, &ie) {
				t.Errorf("%s: %v", c.ID, err)
				continue
			}
			res.Status = "FAILED"
			res.Error, res.Cause = &ie.Name, &ie.Cause
		} else {
			if err := json.Unmarshal(jsonv.Marshal(out), &res.Output); err != nil {
				t.Fatal(err)
			}
		}
		res.Output = maskPlaceholders(c.Expected.Output, res.Output, c.Placeholders)
		if d := conformance.Compare(c, res, true); d != "" {
			t.Errorf("%s: %s", c.ID, d)
		}
	}
	if ran < 80 {
		t.Errorf("only %d intrinsics cases evaluated", ran)
	}
	t.Logf("%d intrinsics cases evaluated", ran)
}

// maskPlaceholders replaces a value the recorder masked with a placeholder string (such as
// "RandomNumberGenerated" for States.MathRandom) by that string, when ours is not a string.
func maskPlaceholders(want, got any, placeholders []any) any {
	switch w := want.(type) {
	case string:
		if _, isStr := got.(string); !isStr {
			for _, p := range placeholders {
				if p == w {
					return w
				}
			}
		}
	case map[string]any:
		if g, ok := got.(map[string]any); ok {
			for k, v := range g {
				g[k] = maskPlaceholders(w[k], v, placeholders)
			}
		}
	case []any:
		if g, ok := got.([]any); ok && len(g) == len(w) {
			for i := range g {
				g[i] = maskPlaceholders(w[i], g[i], placeholders)
			}
		}
	}
	return got
}
