package jsonata

import (
	"testing"

	"github.com/stepwise-dev/stepwise/jsonv"
)

// Benchmarks for the expressions Step Functions evaluates most often. Each compiles
// once and evaluates in the loop; the goal is under 20µs per evaluation.

func benchStates(b *testing.B) *Env {
	b.Helper()
	itemsArr := make([]any, 100)
	for i := range itemsArr {
		itemsArr[i] = jsonv.ObjectOf("x", float64(i), "name", "item")
	}
	nums := make([]any, 100)
	for i := range nums {
		nums[i] = float64(i)
	}
	input := jsonv.ObjectOf(
		"a", 41.0, "b", "text", "c", true, "d", nil, "e", jsonv.ObjectOf("k", 1.0),
		"items", itemsArr, "nums", nums,
	)
	env := NewEnv()
	env.Bind("states", jsonv.ObjectOf("input", input, "context", jsonv.ObjectOf("Execution", jsonv.ObjectOf("Id", "arn"))))
	return env
}

func benchEval(b *testing.B, src string) {
	env := benchStates(b)
	e, err := Compile(src)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := e.Evaluate(nil, env); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := e.Evaluate(nil, env); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFieldPlusOne(b *testing.B) {
	benchEval(b, `$states.input.a + 1`)
}

func BenchmarkObjectOfFiveFields(b *testing.B) {
	benchEval(b, `{"a": $states.input.a, "b": $states.input.b, "c": $states.input.c, "d": $states.input.d, "e": $states.input.e}`)
}

func BenchmarkMap100(b *testing.B) {
	benchEval(b, `$map($states.input.nums, function($v){$v * 2})`)
}

func BenchmarkFilter100(b *testing.B) {
	benchEval(b, `$filter($states.input.items, function($v){$v.x > 50})`)
}

func BenchmarkCompile(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compile(`$filter($states.input.items, function($v){$v.x > 50}).{"name": name, "x": x * 2}`); err != nil {
			b.Fatal(err)
		}
	}
}
