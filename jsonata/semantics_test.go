package jsonata

import (
	"testing"

	"github.com/stepwise-dev/stepwise/jsonv"
)

// Cases from jsonata-js's implementation-tests.js (behaviour outside the portable
// suite), with the results jsonata-js gives.

var implData1 = jsonv.MustDecode(`{
	"foo": {"bar": 42, "blah": [{"baz": {"fud": "hello"}}, {"baz": {"fud": "world"}}, {"bazz": "gotcha"}], "blah.baz": "here"},
	"bar": 98}`)

var implData2 = jsonv.MustDecode(`{"Account": {"Account Name": "Firefly", "Order": [
	{"OrderID": "order103", "Product": [
		{"Product Name": "Bowler Hat", "ProductID": 858383, "SKU": "0406654608", "Price": 34.45, "Quantity": 2},
		{"Product Name": "Trilby hat", "ProductID": 858236, "SKU": "0406634348", "Price": 21.67, "Quantity": 1}]},
	{"OrderID": "order104", "Product": [
		{"Product Name": "Bowler Hat", "ProductID": 858383, "SKU": "040657863", "Price": 34.45, "Quantity": 4},
		{"ProductID": 345664, "SKU": "0406654603", "Product Name": "Cloak", "Price": 107.99, "Quantity": 1}]}]}}`)

func TestImplementationCases(t *testing.T) {
	t.Parallel()
	cases := []struct {
		expr  string
		input any
		want  string // JSON, or "undefined"
	}{
		{`foo.*[0]`, implData1, `42`},
		{`**[2]`, implData2, `"Firefly"`},
		{`$clone(foo)`, implData2, `undefined`},
		{`$clone({})`, implData2, `{}`},
		{`$clone({"a": 1})`, implData2, `{"a":1}`},
		{`/ab/ ("ab")`, nil, `{"match":"ab","start":0,"end":2,"groups":[]}`},
		{`/ab/ ()`, nil, `undefined`},
		{`/ab+/ ("ababbabbcc")`, nil, `{"match":"ab","start":0,"end":2,"groups":[]}`},
		{`/a(b+)/ ("ababbabbcc")`, nil, `{"match":"ab","start":0,"end":2,"groups":["b"]}`},
		{`/a(b+)/ ("ababbabbcc").next()`, nil, `{"match":"abb","start":2,"end":5,"groups":["bb"]}`},
		{`/a(b+)/ ("ababbabbcc").next().next()`, nil, `{"match":"abb","start":5,"end":8,"groups":["bb"]}`},
		{`/a(b+)/ ("ababbabbcc").next().next().next()`, nil, `undefined`},
		{`/a(b+)/i ("Ababbabbcc")`, nil, `{"match":"Ab","start":0,"end":2,"groups":["b"]}`},
		{`$match("test escape \\", /\\/)`, nil, `{"match":"\\","index":12,"groups":[]}`},
		{`$match("ababbabbcc",/ab/)`, nil, `[{"match":"ab","index":0,"groups":[]},{"match":"ab","index":2,"groups":[]},{"match":"ab","index":5,"groups":[]}]`},
		{`$match("ababbabbcc",/a(b+)/, 1)`, nil, `{"match":"ab","index":0,"groups":["b"]}`},
		{`$match("ababbabbcc",/a(b+)/, 0)`, nil, `undefined`},
		{`$match(nothing,/a(xb+)/)`, nil, `undefined`},
		{`$match("ababbabbcc",/a(xb+)/)`, nil, `undefined`},
		{`{"now": $millis(), "delay": $sum([1..10000]), "later": $millis()}.(now = later)`, nil, `true`},
		{`$random() = $random()`, nil, `false`},
	}
	for _, c := range cases {
		e, err := Compile(c.expr)
		if err != nil {
			t.Errorf("%s: %v", c.expr, err)
			continue
		}
		v, err := e.Evaluate(c.input, nil)
		if err != nil {
			t.Errorf("%s: %v", c.expr, err)
			continue
		}
		got := "undefined"
		if !IsUndefined(v) {
			got = jsonv.String(v)
		}
		if got != c.want {
			t.Errorf("%s = %s, want %s", c.expr, got, c.want)
		}
	}
}

func TestImplementationErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		expr  string
		code  string
		pos   int
		token string
	}{
		{`//`, "S0301", 1, ""},
		{`/`, "S0302", 1, ""},
		{`/\/`, "S0302", 3, ""},
		{`/\\\/`, "S0302", 5, ""},
		{`$match("a, b, c, d", /ab/, -3)`, "D3040", 7, "match"},
		{`$match("a, b, c, d", /ab/, null)`, "T0410", 7, "match"},
		{`$match("a, b, c, d", /ab/, "2")`, "T0410", 7, "match"},
		{`$match("a, b, c, d", "ab")`, "T0410", 7, "match"},
		{`$match("a, b, c, d", true)`, "T0410", 7, "match"},
		{`$match(12345, 3)`, "T0410", 7, "match"},
		{`$match(12345)`, "T0410", 7, "match"},
		{`( $clone := 5; $ ~> |Account.Order.Product|{"blah":"foo"}| )`, "T2013", 0, ""},
	}
	for _, c := range cases {
		e := evalErr(t, c.expr, implData2, nil)
		if e.Code != c.code || (c.pos != 0 && e.Position != c.pos) || e.Token != c.token {
			t.Errorf("%s: got %s at %d token %q, want %s at %d token %q", c.expr, e.Code, e.Position, e.Token, c.code, c.pos, c.token)
		}
	}
}

func TestOverridingBuiltins(t *testing.T) {
	t.Parallel()
	env := NewEnv()
	count := 0
	_ = env.BindFunction("clone", "", func(args []any) (any, error) {
		count++
		return jsonv.DeepCopy(args[0]), nil
	})
	v := eval(t, `Account ~> |Order|{"Product":"blah"},nomatch|`, implData2, env)
	want := `{"Account Name":"Firefly","Order":[{"OrderID":"order103","Product":"blah"},{"OrderID":"order104","Product":"blah"}]}`
	if got := jsonv.String(v); got != want || count != 1 {
		t.Errorf("got %s (clone called %d times)", got, count)
	}
	// the transform must not modify its input
	if got := jsonv.String(eval(t, `Account.Order[0].Product[0].Price`, implData2, nil)); got != "34.45" {
		t.Errorf("input changed: %s", got)
	}
	env = NewEnv()
	_ = env.BindFunction("now", "", func(args []any) (any, error) { return "time for tea", nil })
	if got := eval(t, `$now()`, nil, env); got != "time for tea" {
		t.Errorf("$now override: %v", got)
	}
}
