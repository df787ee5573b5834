package jsonata_test

import (
	"errors"
	"fmt"

	"github.com/stepwise-dev/stepwise/jsonata"
	"github.com/stepwise-dev/stepwise/jsonv"
)

func Example() {
	input := jsonv.MustDecode(`{"orders": [{"price": 10, "qty": 2}, {"price": 5, "qty": 1}]}`)
	expr := jsonata.MustCompile(`{"total": $sum(orders.(price * qty)), "count": $count(orders)}`)
	v, err := expr.Evaluate(input, nil)
	if err != nil {
		panic(err)
	}
	fmt.Println(jsonv.String(v))
	// Output: {"total":25,"count":2}
}

func ExampleEnv() {
	env := jsonata.NewEnv()
	env.Bind("states", jsonv.MustDecode(`{"input": {"a": 41}}`))
	_ = env.BindFunction("double", "<n:n>", func(args []any) (any, error) {
		return args[0].(float64) * 2, nil
	})
	v, _ := jsonata.MustCompile(`$double($states.input.a + 1)`).Evaluate(jsonata.Undefined, env)
	fmt.Println(v)
	// Output: 84
}

func ExampleIsUndefined() {
	v, _ := jsonata.MustCompile(`missing`).Evaluate(jsonv.MustDecode(`{"a": 1}`), nil)
	fmt.Println(jsonata.IsUndefined(v))
	// Output: true
}

func ExampleError() {
	_, err := jsonata.MustCompile(`1 + "a"`).Evaluate(nil, nil)
	var e *jsonata.Error
	if errors.As(err, &e) {
		fmt.Println(e.Code, e.Token, e.Message)
	}
	// Output: T2002 + The right side of the "+" operator must evaluate to a number
}
