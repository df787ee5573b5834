package jsonata

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/jsonv"
)

// Fuzz targets: no expression may make Compile or Evaluate panic, hang or exhaust
// memory. Crashers found are kept in testdata/fuzz as regression tests.

var fuzzSeeds = []string{
	`Account.Order[0].Product.Price`,
	`$sum(Account.Order.Product.(Price * Quantity))`,
	`Account.Order@$o.Product#$i{$string($i): $o.OrderID}`,
	`**.Price[$ > 30]^(>$)`,
	`$map([1..5], function($x, $i){$x * $i}) ~> $reverse()`,
	`(  $f := function($n){$n <= 1 ? 1 : $n * $f($n - 1)}; $f(5) )`,
	`$ ~> |Account.Order.Product|{"Total": Price * Quantity}, ["Description"]|`,
	`$replace("abc", /b(c)?/i, "[$1]") & $formatNumber(1234.5, "#,##0.00")`,
	`$fromMillis(0, "[Y0001]-[M01]-[D01] [H#]:[m01] [P]", "+0530")`,
	`Phone[type="mobile"].number ?: "none"`,
	`Phone.%.FirstName ?? 'x'`,
	`{"a": [1, 2, {"b": null}], "c": true}.*`,
	`$substring("héllo wörld", -5, 3)`,
	`$eval("1 + " & $string(2))`,
	`$toMillis("2017-11-07T15:07:54.972Z", "[Y]-[M]-[D]T[H]:[m]:[s].[f][Z]")`,
	`($f := function($x){ $map([1], $f) }; $f(1))`,
	`($f := function($n){ $n > 0 ? $f($n - 1) : [[$n]] }; $boolean($f(50)))`,
	`$reduce([1..9], function($a, $v){ {"l": $a, "r": $a} }, 1) ~> $string()`,
	`$formatNumber($parseInteger("x", "w"), "0.0e0") & $fromMillis(1e20)`,
	`Account.Order#$i.Product@$p[$i = 0]{$p.SKU: %.OrderID}`,
}

func fuzzSeedCorpus(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	// the expressions of the official suite, when it is available
	files, _ := filepath.Glob(filepath.Join(suiteDir(), "groups", "*", "*.json"))
	for i, file := range files {
		if i%4 != 0 {
			continue
		}
		b, err := os.ReadFile(file)
		if err != nil {
			continue
		}
		v, err := jsonv.Decode(b)
		if err != nil {
			continue
		}
		if o, ok := v.(*jsonv.Object); ok {
			if e, ok := o.Get("expr"); ok {
				if s, ok := e.(string); ok {
					f.Add(s)
				}
			}
		}
	}
}

// watchdog turns a hang into a crash, which the fuzzer records with its input (it
// does not notice inputs that merely run for a long time).
func watchdog(what, src string, d time.Duration) *time.Timer {
	return time.AfterFunc(d, func() {
		panic(fmt.Sprintf("%s(%q) did not finish within %v", what, src, d))
	})
}

func FuzzCompile(f *testing.F) {
	fuzzSeedCorpus(f)
	f.Fuzz(func(t *testing.T, src string) {
		defer watchdog("Compile", src, 5*time.Second).Stop()
		e, err := Compile(src)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("Compile(%q) returned %T: %v", src, err, err)
			}
			return
		}
		if e == nil {
			t.Fatalf("Compile(%q) returned neither expression nor error", src)
		}
	})
}

var fuzzDoc = jsonv.MustDecode(`{
	"Account": {"Name": "Firefly", "Order": [
		{"OrderID": "order103", "Product": [
			{"Product Name": "Bowler Hat", "Price": 34.45, "Quantity": 2, "Description": {"Colour": "Purple"}},
			{"Product Name": "Trilby hat", "Price": 21.67, "Quantity": 1}]},
		{"OrderID": "order104", "Product": [
			{"Product Name": "Cloak", "Price": 107.99, "Quantity": 1}]}]},
	"Phone": [{"type": "home", "number": "0203 544 1234"}, {"type": "mobile", "number": "077 7700 1234"}],
	"FirstName": "Fred", "nums": [3, 1, 4, 1, 5, 9, 2, 6], "nested": [[1, 2], [3, [4, 5]]], "n": null, "t": true
}`)

func FuzzEvaluate(f *testing.F) {
	fuzzSeedCorpus(f)
	f.Fuzz(func(t *testing.T, src string) {
		defer watchdog("Evaluate", src, 10*time.Second).Stop()
		e, err := Compile(src)
		if err != nil {
			return
		}
		env := NewEnv()
		env.TimeLimit = 20 * time.Millisecond
		env.MaxDepth = 300
		start := time.Now()
		_, err = e.Evaluate(fuzzDoc, env)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("Evaluate(%q) returned %T: %v", src, err, err)
			}
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("Evaluate(%q) took %v despite a 20ms limit", src, d)
		}
	})
}
