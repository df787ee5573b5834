package jsonata

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/jsonv"
)

func eval(t *testing.T, src string, input any, env *Env) any {
	t.Helper()
	e, err := Compile(src)
	if err != nil {
		t.Fatalf("Compile(%q): %v", src, err)
	}
	v, err := e.Evaluate(input, env)
	if err != nil {
		t.Fatalf("Evaluate(%q): %v", src, err)
	}
	return v
}

func evalErr(t *testing.T, src string, input any, env *Env) *Error {
	t.Helper()
	e, err := Compile(src)
	if err == nil {
		_, err = e.Evaluate(input, env)
	}
	var je *Error
	if !errors.As(err, &je) {
		t.Fatalf("%q: got error %v, want a *jsonata.Error", src, err)
	}
	return je
}

func TestUndefinedIsNotNull(t *testing.T) {
	t.Parallel()
	doc := jsonv.MustDecode(`{"a": null}`)
	if v := eval(t, "a", doc, nil); v != nil || IsUndefined(v) {
		t.Errorf("a = %v, want null", v)
	}
	if v := eval(t, "b", doc, nil); !IsUndefined(v) {
		t.Errorf("b = %v, want undefined", v)
	}
	if v := eval(t, "$", Undefined, nil); !IsUndefined(v) {
		t.Errorf("$ with no input = %v, want undefined", v)
	}
}

func TestResultsAreJSONValues(t *testing.T) {
	t.Parallel()
	doc := jsonv.MustDecode(`{"items": [{"x": 1}, {"x": 2}, {"x": 3}]}`)
	v := eval(t, `{"xs": items.x, "first": items[0], "n": $count(items)}`, doc, nil)
	if got, want := jsonv.String(v), `{"xs":[1,2,3],"first":{"x":1},"n":3}`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if _, ok := eval(t, "items.x", doc, nil).([]any); !ok {
		t.Errorf("a sequence result must be a []any")
	}
}

func TestKeyOrderIsKept(t *testing.T) {
	t.Parallel()
	doc := jsonv.MustDecode(`{"z": 1, "a": 2, "m": 3}`)
	if got := jsonv.String(eval(t, "$keys($)", doc, nil)); got != `["z","a","m"]` {
		t.Errorf("$keys = %s", got)
	}
	if got := eval(t, "$string($)", doc, nil); got != `{"z":1,"a":2,"m":3}` {
		t.Errorf("$string = %v", got)
	}
	if got := jsonv.String(eval(t, `$each($, function($v, $k){$k})`, doc, nil)); got != `["z","a","m"]` {
		t.Errorf("$each = %s", got)
	}
}

func TestEnvBindings(t *testing.T) {
	t.Parallel()
	env := NewEnv()
	env.Bind("states", jsonv.MustDecode(`{"input": {"a": 41}}`))
	if got := eval(t, "$states.input.a + 1", nil, env); got != 42.0 {
		t.Errorf("got %v", got)
	}
	env.Bind("states", jsonv.MustDecode(`{"input": {"a": 1}}`))
	if got := eval(t, "$states.input.a + 1", nil, env); got != 2.0 {
		t.Errorf("rebinding: got %v", got)
	}
}

func TestCustomFunctions(t *testing.T) {
	t.Parallel()
	env := NewEnv()
	// a replacement for a built-in, as the Step Functions engine does
	err := env.BindFunction("uppercase", "<s-:s>", func(args []any) (any, error) {
		return "custom:" + args[0].(string), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := eval(t, `$uppercase("a")`, nil, env); got != "custom:a" {
		t.Errorf("override: got %v", got)
	}
	// the context value is supplied for a '-' parameter
	if got := eval(t, `a.$uppercase()`, jsonv.MustDecode(`{"a": "b"}`), env); got != "custom:b" {
		t.Errorf("context argument: got %v", got)
	}
	// a signature mismatch is reported as for built-ins
	if e := evalErr(t, `$uppercase(1)`, nil, env); e.Code != "T0410" || e.Token != "uppercase" {
		t.Errorf("got %v (token %q), want T0410 on uppercase", e, e.Token)
	}
	// a function without signature gets arguments as jsonv values
	_ = env.BindFunction("range", "", func(args []any) (any, error) {
		n := int(args[0].(float64))
		out := make([]any, n)
		for i := range out {
			out[i] = float64(i)
		}
		return out, nil
	})
	if got := jsonv.String(eval(t, `$range(3)`, nil, env)); got != `[0,1,2]` {
		t.Errorf("$range: got %s", got)
	}
	// errors from custom functions pass through
	sentinel := errors.New("boom")
	_ = env.BindFunction("fail", "", func(args []any) (any, error) { return nil, sentinel })
	e := MustCompile(`$fail()`)
	if _, err := e.Evaluate(nil, env); !errors.Is(err, sentinel) {
		t.Errorf("got %v, want the custom error", err)
	}
	// functions can be passed to custom functions and called back
	_ = env.BindFunction("twice", "<f>", func(args []any) (any, error) {
		f := args[0].(*Function)
		v, err := f.Call(1.0)
		if err != nil {
			return nil, err
		}
		return f.Call(v)
	})
	if got := eval(t, `$twice(function($x){$x + 10})`, nil, env); got != 21.0 {
		t.Errorf("$twice: got %v", got)
	}
	if err := env.BindFunction("bad", "<x<>", nil); err == nil {
		t.Errorf("invalid signature accepted")
	}
}

func TestFunctionResults(t *testing.T) {
	t.Parallel()
	v := eval(t, `function($x){$x * 2}`, nil, nil)
	f, ok := v.(*Function)
	if !ok || !IsFunction(v) {
		t.Fatalf("got %T, want *Function", v)
	}
	if got, err := f.Call(21.0); err != nil || got != 42.0 {
		t.Errorf("Call = %v, %v", got, err)
	}
	b := eval(t, `$uppercase`, nil, nil).(*Function)
	if got, err := b.Call("x"); err != nil || got != "X" {
		t.Errorf("built-in Call = %v, %v", got, err)
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	_, err := Compile(`1 +`)
	var e *Error
	if !errors.As(err, &e) || e.Code != "S0207" || e.Message != "Unexpected end of expression" {
		t.Fatalf("got %#v", err)
	}
	e = evalErr(t, `1 + "a"`, nil, nil)
	if e.Code != "T2002" || e.Token != "+" || e.Position != 3 || e.Value != "a" {
		t.Errorf("got %+v", e)
	}
	if want := `The right side of the "+" operator must evaluate to a number`; e.Message != want {
		t.Errorf("message %q, want %q", e.Message, want)
	}
	if !strings.HasPrefix(e.Error(), "T2002: ") {
		t.Errorf("Error() = %q", e.Error())
	}
	e = evalErr(t, `$error("custom")`, nil, nil)
	if e.Code != "D3137" || e.Message != "custom" {
		t.Errorf("got %+v", e)
	}
}

func TestTimeLimit(t *testing.T) {
	t.Parallel()
	env := NewEnv()
	env.TimeLimit = 50 * time.Millisecond
	start := time.Now()
	e := evalErr(t, `($f := function(){$f()}; $f())`, nil, env)
	if e.Code != "U1001" {
		t.Errorf("got %v", e)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v", d)
	}
}

func TestMaxDepth(t *testing.T) {
	t.Parallel()
	env := NewEnv()
	env.MaxDepth = 100
	e := evalErr(t, `($f := function($n){$n = 0 ? 0 : 1 + $f($n - 1)}; $f(1000))`, nil, env)
	if e.Code != "U1001" || !strings.Contains(e.Message, "Stack overflow") {
		t.Errorf("got %v", e)
	}
	// tail calls do not grow the depth
	if got := eval(t, `($f := function($n){$n = 0 ? "done" : $f($n - 1)}; $f(10000))`, nil, env); got != "done" {
		t.Errorf("tail recursion: got %v", got)
	}
}

func TestDefaultDepthLimitStopsDeepRecursion(t *testing.T) {
	t.Parallel()
	e := evalErr(t, `($f := function($n){1 + $f($n + 1)}; $f(0))`, nil, nil)
	if e.Code != "U1001" {
		t.Errorf("got %v", e)
	}
}

func TestContextCancellation(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	env := NewEnv()
	env.Context = ctx
	e := MustCompile(`$count([1..100000].($ * 2))`)
	_, err := e.Evaluate(nil, env)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
}

func TestNow(t *testing.T) {
	t.Parallel()
	env := NewEnv()
	env.Now = func() time.Time { return time.Date(2024, 2, 29, 12, 30, 0, 0, time.UTC) }
	if got := eval(t, `$now()`, nil, env); got != "2024-02-29T12:30:00.000Z" {
		t.Errorf("$now() = %v", got)
	}
	if got := eval(t, `$millis() = $millis()`, nil, env); got != true {
		t.Errorf("$millis is not stable within an evaluation")
	}
}

func TestConcurrentEvaluation(t *testing.T) {
	t.Parallel()
	e := MustCompile(`$sum($map(items, function($v, $i){$v.x * $i})) & "/" & $join(items.name, ",")`)
	doc := jsonv.MustDecode(`{"items": [{"x": 1, "name": "a"}, {"x": 2, "name": "b"}, {"x": 3, "name": "c"}]}`)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 200; j++ {
				v, err := e.Evaluate(doc, nil)
				if err != nil || v != "8/a,b,c" {
					t.Errorf("got %v, %v", v, err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// Regression tests for expressions that would otherwise exhaust memory or time
// inside a single step.
func TestHostileExpressionsAreBounded(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		`$reduce([1..40], function($a, $v){$a & $a}, "x")`:                  "U1001",
		`$reduce([1..40], function($a, $v){$append($a, $a)}, [1])`:          "",
		`$string($reduce([1..60], function($a, $v){{"l":$a,"r":$a}}, 1))`:   "U1001",
		`$reduce([1..60], function($a, $v){{"l":$a,"r":$a}}, 1)`:            "U1001",
		`$count($reduce([1..60], function($a, $v){{"l":$a,"r":$a}}, 1).**)`: "D2015",
		`[1..10000000].[1..10000000]`:                                       "",
		`$pad("x", 1e15)`:                                                   "U1001",
		`[1..100000000]`:                                                    "D2014",
	}
	for src, code := range cases {
		env := NewEnv()
		env.TimeLimit = 100 * time.Millisecond
		e := evalErr(t, src, nil, env)
		if code != "" && e.Code != code {
			t.Errorf("%s: got %v, want %s", src, e, code)
		}
	}
}

func TestDeeplyNestedExpressionsAreRejected(t *testing.T) {
	t.Parallel()
	for _, src := range []string{
		strings.Repeat("(", 100000) + "1" + strings.Repeat(")", 100000),
		strings.Repeat("[", 100000) + "1" + strings.Repeat("]", 100000),
		strings.Repeat("-", 100000) + "1",
		strings.Repeat("a.", 100000) + "a",
		"1" + strings.Repeat("+1", 100000),
	} {
		_, err := Compile(src)
		if err == nil {
			continue
		}
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("got %v", err)
		}
	}
	// nested ?: and ?? operators share their operand instead of copying it
	// (copying is exponential: a fuzzing regression)
	for _, op := range []string{"?:", "??"} {
		src := strings.Repeat("(", 40) + "a" + strings.Repeat(op+"a)", 40)
		start := time.Now()
		if _, err := Compile(src); err != nil || time.Since(start) > time.Second {
			t.Errorf("nested %s: %v after %v", op, err, time.Since(start))
		}
	}
	// a long but flat path compiles and evaluates
	src := strings.Repeat("a.", 1000) + "a"
	if _, err := Compile(src); err != nil {
		t.Errorf("1000-step path: %v", err)
	}
}

func TestRegexTranslation(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		`$match("a1b22", /\d+/).match`:                     `["1","22"]`,
		`$replace("Hello World", /(\w+)\s(\w+)/, "$2 $1")`: `"World Hello"`,
		`$split("a, b,c", /,\s*/)`:                         `["a","b","c"]`,
		`$contains("ABC", /b/i)`:                           `true`,
		`$match("x\u00a0y", /\s/).index`:                   `1`,
		`$replace("a.b", /./, "x")`:                        `"xxx"`,
		`/ab+/("xabbb")`:                                   `{"match":"abbb","start":1,"end":5,"groups":[]}`,
	}
	for src, want := range cases {
		v := eval(t, src, nil, nil)
		if got := stringOf(v); got != want {
			t.Errorf("%s = %s, want %s", src, got, want)
		}
	}
	for _, src := range []string{`$match("aa", /(a)\1/)`, `$match("ab", /a(?=b)/)`} {
		if e := evalErr(t, src, nil, nil); e.Code != "S0303" {
			t.Errorf("%s: got %v, want S0303", src, e)
		}
	}
}

func stringOf(v any) string {
	s, err := stringify(v, false)
	if err != nil {
		return err.Error()
	}
	if _, ok := v.(string); ok {
		return jsonv.String(s)
	}
	return s
}

func TestCallbacksShareTheEvaluationLimits(t *testing.T) {
	t.Parallel()
	env := NewEnv()
	env.MaxDepth = 200
	// $call calls back into a lambda that calls $call again: unbounded mutual
	// recursion through Go code must still hit the depth limit
	_ = env.BindFunction("call", "<f>", func(args []any) (any, error) {
		return args[0].(*Function).Call(args[0])
	})
	e := evalErr(t, `$call(function($f){ $call($f) })`, nil, env)
	if e.Code != "U1001" {
		t.Errorf("got %v", e)
	}
	// after the evaluation, a returned function gets fresh limits
	f := eval(t, `function($n){ $n * 2 }`, nil, env).(*Function)
	if v, err := f.Call(4.0); err != nil || v != 8.0 {
		t.Errorf("Call after evaluation = %v, %v", v, err)
	}
}

// Regression: tail calls through a higher-order built-in recurse in Go without
// deepening the evaluation; the nesting of applications is bounded too.
func TestRecursionThroughBuiltinsIsBounded(t *testing.T) {
	t.Parallel()
	for _, src := range []string{
		`($f := function($x){ $map([1], $f) }; $f(1))`,
		`($f := function($x){ $sort([1, 2], function($a, $b){ $f($a) }) }; $f(1))`,
		`($f := function($x){ $reduce([1, 2], function($a, $b){ $f($a) }) }; $f(1))`,
	} {
		if e := evalErr(t, src, nil, nil); e.Code != "U1001" {
			t.Errorf("%s: got %v", src, e)
		}
	}
	// deeply nested data built at run time
	env := NewEnv()
	env.TimeLimit = 2 * time.Second
	e := MustCompile(`($a := $reduce([1..20000], function($a, $v){[[$a]]}, 1); [$boolean($a), $a = $a, $a.x])`)
	if _, err := e.Evaluate(nil, env); err == nil {
		t.Logf("nested data evaluated without error")
	}
}
