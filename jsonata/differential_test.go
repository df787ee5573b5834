package jsonata

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/jsonv"
)

// TestDifferential compares this package with jsonata-js itself on every suite
// expression evaluated against several datasets (not only the one its case uses).
// It is opt-in: set STEPWISE_JSONATA_JS to the path of jsonata-js's src/jsonata.js
// (a checkout of github.com/jsonata-js/jsonata) and have node on the PATH.
func TestDifferential(t *testing.T) {
	jsPath := os.Getenv("STEPWISE_JSONATA_JS")
	if jsPath == "" {
		t.Skip("set STEPWISE_JSONATA_JS to jsonata-js's src/jsonata.js to run")
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node not found")
	}
	cases, datasets := loadSuite(t)
	names := make([]string, 0, len(datasets))
	for n := range datasets {
		names = append(names, n)
	}
	sort.Strings(names)
	inputs := []string{"dataset0", "dataset5", "dataset12"}
	if extra := os.Getenv("STEPWISE_JSONATA_DIFF_DATASETS"); extra != "" {
		inputs = strings.Split(extra, ",")
	}

	type probe struct {
		expr  string
		input any
		label string
	}
	var probes []probe
	seen := map[string]bool{}
	for _, c := range cases {
		e, _ := c.get("expr")
		src, ok := e.(string)
		if !ok || seen[src] {
			continue
		}
		seen[src] = true
		for _, ds := range inputs {
			probes = append(probes, probe{expr: src, input: datasets[ds], label: c.name() + " on " + ds})
		}
	}

	var in bytes.Buffer
	for i, p := range probes {
		o := jsonv.ObjectOf("id", float64(i), "expr", p.expr)
		if !IsUndefined(p.input) && p.input != nil {
			o.Set("data", p.input)
		}
		in.Write(jsonv.Marshal(o))
		in.WriteByte('\n')
	}
	script := filepath.Join(t.TempDir(), "run.js")
	if err := os.WriteFile(script, []byte(strings.ReplaceAll(differentialScript, "JSONATA_PATH", jsonv.String(jsPath))), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("node", script)
	cmd.Stdin = &in
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v", err)
	}

	mismatches := 0
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<28)
	for sc.Scan() {
		r, err := jsonv.Decode(sc.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		ro := r.(*jsonv.Object)
		idv, _ := ro.Get("id")
		p := probes[int(idv.(float64))]
		want := describeJS(ro)
		got := describeGo(p.expr, p.input)
		if got != want {
			mismatches++
			if mismatches <= 200 {
				t.Logf("%s\n    expr: %s\n    go:   %.300s\n    js:   %.300s", p.label, p.expr, got, want)
			}
		}
	}
	t.Logf("%d probes, %d mismatches", len(probes), mismatches)
}

func describeJS(o *jsonv.Object) string {
	if c, ok := o.Get("code"); ok {
		return fmt.Sprintf("error %v", c)
	}
	if _, ok := o.Get("undef"); ok {
		return "undefined"
	}
	if _, ok := o.Get("func"); ok {
		return "function"
	}
	r, _ := o.Get("result")
	return canonical(r)
}

func describeGo(src string, input any) string {
	e, err := Compile(src)
	if err == nil {
		env := NewEnv()
		env.TimeLimit = time.Second
		env.MaxDepth = 500
		var v any
		if v, err = e.Evaluate(input, env); err == nil {
			switch {
			case IsUndefined(v):
				return "undefined"
			case IsFunction(v):
				return "function"
			}
			return canonical(v)
		}
	}
	if je, ok := err.(*Error); ok {
		return "error " + je.Code
	}
	return "error " + err.Error()
}

// canonical serialises with sorted keys and infinite numbers marked as jsonata-js
// output is (the script replaces them with "INF").
func canonical(v any) string {
	switch t := v.(type) {
	case *jsonv.Object:
		keys := append([]string(nil), t.Keys()...)
		sort.Strings(keys)
		var b strings.Builder
		b.WriteString("{")
		for i, k := range keys {
			if i > 0 {
				b.WriteString(",")
			}
			val, _ := t.Get(k)
			b.WriteString(jsonv.String(k) + ":" + canonical(val))
		}
		b.WriteString("}")
		return b.String()
	case []any:
		parts := make([]string, len(t))
		for i, e := range t {
			parts[i] = canonical(e)
		}
		return "[" + strings.Join(parts, ",") + "]"
	case float64:
		if t > maxFloat || t < -maxFloat || t != t {
			return `"INF"` // as the script writes non-finite numbers
		}
	}
	return jsonv.String(v)
}

const differentialScript = `
const jsonata = require(JSONATA_PATH);
const lines = require('fs').readFileSync(0, 'utf8').split('\n').filter(l => l);
(async () => {
  for (const l of lines) {
    const c = JSON.parse(l);
    const out = { id: c.id };
    try {
      const e = jsonata(c.expr);
      let depth = 0; const start = Date.now();
      const check = () => {
        if (depth > 500) throw { code: 'U1001' };
        if (Date.now() - start > 1000) throw { code: 'U1001' };
      };
      e.assign(Symbol.for('jsonata.__evaluate_entry'), () => { depth++; check(); });
      e.assign(Symbol.for('jsonata.__evaluate_exit'), () => { depth--; check(); });
      const r = await e.evaluate('data' in c ? c.data : undefined);
      if (r === undefined) out.undef = true;
      else if (typeof r === 'function' || (r && (r._jsonata_lambda || r._jsonata_function))) out.func = true;
      else out.result = JSON.parse(JSON.stringify(r, (k, v) => (typeof v === 'number' && !isFinite(v)) ? 'INF' : v));
    } catch (err) {
      out.code = err.code || ('JS:' + (err.message || String(err))).slice(0, 80);
    }
    process.stdout.write(JSON.stringify(out) + '\n');
  }
})();
`

// TestDifferentialGenerated compares this package with jsonata-js on random
// expressions built from JSONata's grammar (fixed seed; opt-in as TestDifferential).
func TestDifferentialGenerated(t *testing.T) {
	jsPath := os.Getenv("STEPWISE_JSONATA_JS")
	if jsPath == "" {
		t.Skip("set STEPWISE_JSONATA_JS to jsonata-js's src/jsonata.js to run")
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node not found")
	}
	_, datasets := loadSuite(t)
	input := datasets["dataset5"]
	n := 20000
	if s := os.Getenv("STEPWISE_JSONATA_DIFF_N"); s != "" {
		fmt.Sscan(s, &n)
	}
	g := &exprGen{r: newRand(1)}
	if s := os.Getenv("STEPWISE_JSONATA_DIFF_SEED"); s != "" {
		var seed uint64
		fmt.Sscan(s, &seed)
		g.r = newRand(seed)
	}
	var in bytes.Buffer
	exprs := make([]string, n)
	for i := range exprs {
		exprs[i] = g.expr(4)
		o := jsonv.ObjectOf("id", float64(i), "expr", exprs[i], "data", input)
		in.Write(jsonv.Marshal(o))
		in.WriteByte('\n')
	}
	script := filepath.Join(t.TempDir(), "run.js")
	if err := os.WriteFile(script, []byte(strings.ReplaceAll(differentialScript, "JSONATA_PATH", jsonv.String(jsPath))), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("node", script)
	cmd.Stdin = &in
	out, err := cmd.Output()
	if err != nil {
		// some generated expressions exhaust node (jsonata-js has no limits on
		// strings or on some loops); compare what it produced before that
		t.Logf("node stopped: %v (comparing the results it wrote)", err)
	}
	mismatches, jsErrors, errorOrder := 0, 0, 0
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<28)
	for sc.Scan() {
		r, err := jsonv.Decode(sc.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		ro := r.(*jsonv.Object)
		idv, _ := ro.Get("id")
		src := exprs[int(idv.(float64))]
		want := describeJS(ro)
		if strings.HasPrefix(want, "error JS:") {
			jsErrors++ // a JavaScript TypeError inside jsonata-js: not comparable
			continue
		}
		got := describeGo(src, input)
		if got != want {
			if strings.HasPrefix(got, "error ") && strings.HasPrefix(want, "error ") {
				// jsonata-js evaluates the items of array and object constructors
				// concurrently, so when several fail it may report another one
				errorOrder++
				if os.Getenv("STEPWISE_JSONATA_DIFF_SHOW_ERRORS") != "" {
					t.Logf("errors differ: %s\n    go:   %s\n    js:   %s", src, got, want)
				}
				continue
			}
			mismatches++
			if mismatches <= 100 {
				t.Logf("expr: %s\n    go:   %.300s\n    js:   %.300s", src, got, want)
			}
		}
	}
	t.Logf("%d expressions: %d mismatches, %d with different errors, %d skipped (JavaScript errors in jsonata-js)",
		n, mismatches, errorOrder, jsErrors)
}

type exprGen struct{ r *xorshift }

type xorshift struct{ s uint64 }

func newRand(seed uint64) *xorshift { return &xorshift{s: seed*2654435761 + 1} }

func (x *xorshift) intn(n int) int {
	x.s ^= x.s << 13
	x.s ^= x.s >> 7
	x.s ^= x.s << 17
	return int(x.s % uint64(n))
}

func (g *exprGen) pick(opts ...string) string { return opts[g.r.intn(len(opts))] }

var genFields = []string{"Account", "Order", "Product", "Price", "Quantity", "`Product Name`", "OrderID", "Description", "Colour", "Width", "SKU", "ProductID", "`Account Name`", "Weight", "nothing"}

func (g *exprGen) atom() string {
	switch g.r.intn(10) {
	case 0:
		return g.pick("0", "1", "2", "-1", "1.5", "100", "3", "0.1")
	case 1:
		return g.pick(`"a"`, `"hello"`, `""`, `"Bowler Hat"`, `"x,y,z"`)
	case 2:
		return g.pick("true", "false", "null")
	case 3:
		return g.pick("$", "$$", "$x", "$y", "$i")
	case 4:
		return g.pick("*", "**")
	}
	return genFields[g.r.intn(len(genFields))]
}

func (g *exprGen) expr(depth int) string {
	if depth <= 0 {
		return g.atom()
	}
	d := depth - 1
	switch g.r.intn(24) {
	case 0, 1, 2:
		return g.expr(d) + "." + g.step(d)
	case 3:
		return g.expr(d) + "[" + g.expr(d) + "]"
	case 4:
		return g.expr(d) + " " + g.pick("+", "-", "*", "/", "%", "=", "!=", "<", "<=", ">", ">=", "&", "and", "or", "in", "?:", "??") + " " + g.expr(d)
	case 5:
		return g.expr(d) + " ? " + g.expr(d) + " : " + g.expr(d)
	case 6:
		return "[" + g.expr(d) + ", " + g.expr(d) + "]"
	case 7:
		return "{" + g.pick(`"k"`, `"a"`, "OrderID", `$string(Price)`) + ": " + g.expr(d) + "}"
	case 8:
		return "($x := " + g.expr(d) + "; " + g.expr(d) + ")"
	case 9, 10, 11:
		return g.call1(d)
	case 12:
		return g.pick("$map", "$filter", "$sort") + "(" + g.expr(d) + ", function($v, $i){" + g.expr(d) + "})"
	case 13:
		return "$reduce(" + g.expr(d) + ", function($x, $y){" + g.expr(d) + "})"
	case 14:
		return g.expr(d) + "^(" + g.pick("", ">", "<") + g.expr(d) + ")"
	case 15:
		return g.expr(d) + "{" + g.expr(d) + ": " + g.expr(d) + "}"
	case 16:
		return g.expr(d) + "#$i." + g.step(d)
	case 17:
		return g.expr(d) + "@$y." + g.step(d)
	case 18:
		return "[1.." + g.pick("0", "1", "3", "5") + "]"
	case 19:
		return "-" + g.expr(d)
	case 20:
		return g.expr(d) + "[]"
	case 21, 22:
		return g.extra(d)
	}
	return "(" + g.expr(d) + ")"
}

// extra produces the rarer constructs.
func (g *exprGen) extra(d int) string {
	switch g.r.intn(16) {
	case 0:
		return "(" + g.pick("$f := function($a)<n-n:n>{$a * 2}", "$f := function($a, $b){$a & $b}", "$f := $substring(?, 1, 2)", "$f := $uppercase ~> $trim") + "; " + g.pick("$f(", "$map([1,2], $f), ($f)(") + g.expr(d) + "))"
	case 1:
		return g.expr(d) + " ~> " + g.pick("$count", "$string", "$sum()", "$map(function($v){$v})", "$substring(1)", "|$|{\"new\": 1}|")
	case 2:
		return "$ ~> |" + g.pick("Account.Order", "**", "Account.Order.Product", "nothing") + "|" + g.pick(`{"x": 1}`, `{"Price": Price * 2}`, "{}", "Quantity") + g.pick("", `, ["SKU"]`, `, "Description"`, ", 1") + "|"
	case 3:
		return g.pick("$match", "$replace", "$split", "$contains") + "(" + g.pick(`"abcabc ab"`, "$string("+g.expr(d)+")", `"Bowler Hat"`) + ", " + g.pick(`/a(b)?/`, `/\s+/`, `/[aeiou]/i`, `/^\w+/`, `/(x)|(y)/`) + g.pick("", `, "-"`, `, "$1$0"`, ", 1", ", 0") + ")"
	case 4:
		return "$fromMillis(" + g.pick("0", "1510067557121", "-1", "1e12", g.expr(d)) + g.pick("", `, "[Y0001]-[M01]-[D01]"`, `, "[FNn], [D1o] [MNn] [Y]"`, `, "[h]:[m01][P] [z]", "-0500"`, `, "[W]/[w] [X] [x] [d] [E] [C]"`, `, "[Y,2]-[M,3-3]"`, `, "[H01]:[m]:[s].[f001][Z]", "+0530"`) + ")"
	case 5:
		return "$toMillis(" + g.pick(`"2018-03-27T12:00:00.000Z"`, `"2018-03-27"`, `"27/03/2018"`, `"12:30"`, `"xyz"`) + g.pick("", `, "[D]/[M]/[Y]"`, `, "[H]:[m]"`, `, "[Y]-[M]-[D]"`) + ")"
	case 6:
		return "$formatNumber(" + g.pick("1234.5678", "-0.5", "0", "1e10", "0.000123", g.expr(d)) + ", " + g.pick(`"#,##0.00"`, `"0.###e0"`, `"00.0%"`, `"#;(#)"`, `"#,###.##"`, `"000,000"`, `"##0.0#"`) + ")"
	case 7:
		return "$formatInteger(" + g.pick("0", "7", "1234", "-17", "1999", g.expr(d)) + ", " + g.pick(`"w"`, `"W"`, `"Ww"`, `"i"`, `"I"`, `"a"`, `"A"`, `"#,##0"`, `"001"`, `"1;o"`, `"w;o"`) + ")"
	case 8:
		return "$parseInteger(" + g.pick(`"one hundred and one"`, `"mcmxcix"`, `"12,345"`, `"bc"`, `"21st"`) + ", " + g.pick(`"w"`, `"i"`, `"#,##0"`, `"a"`, `"1;o"`) + ")"
	case 9:
		return "Account.Order.Product{" + g.pick("`Product Name`", "$string(Quantity)", "SKU") + ": " + g.pick("$sum(Price)", "Price", "$count($)", "[Quantity]") + "}"
	case 10:
		return "Account.Order.Product." + g.pick("%", "%.OrderID", "%.%.`Account Name`", `{"o": %.OrderID, "p": Price}`)
	case 11:
		return "Account.Order@$o.Product@$p." + g.pick(`{"o": $o.OrderID, "p": $p.SKU}`, "($o.OrderID & $p.SKU)") + g.pick("", "[0]", "^($p.Price)")
	case 12:
		return "Account.Order#$i.Product#$j[" + g.pick("$i = 0", "$j > 0", "true") + "]." + `{"i": $i, "j": $j}`
	case 13:
		return "$sort(" + g.expr(d) + ", function($a, $b){" + g.pick("$a > $b", "$a.Price < $b.Price", "$string($a) > $string($b)") + "})"
	case 14:
		return g.pick("$number", "$string", "$boolean") + "(" + g.pick(`"1e3"`, `"0x1F"`, `" 12 "`, `"-0.5"`, `"12abc"`, "0.1 + 0.2", "1/3", "[1,2]", `{"a": [1, {"b": true}]}`, "1e21", "-0") + g.pick("", ", true") + ")"
	}
	return g.pick("$each", "$sift") + "(" + g.pick("Account", "Account.Order[0]", `{"a": 1, "b": "x"}`, g.expr(d)) + ", function($v, $k){" + g.pick("$k", "$type($v) = \"string\"", "$v", "[$k, $v]") + "})"
}

func (g *exprGen) step(depth int) string {
	switch g.r.intn(6) {
	case 0:
		return "(" + g.expr(depth) + ")"
	case 1:
		return g.call1(depth)
	case 2:
		return "%." + genFields[g.r.intn(len(genFields))]
	}
	return genFields[g.r.intn(len(genFields))]
}

func (g *exprGen) call1(d int) string {
	switch g.r.intn(5) {
	case 0:
		return g.pick("$substring", "$pad") + "(" + g.expr(d) + ", " + g.pick("0", "1", "-2", "5") + ")"
	case 1:
		return g.pick("$join", "$split", "$contains", "$replace") + "(" + g.expr(d) + ", " + g.pick(`","`, `"a"`, `/a./`, `" "`) + ")"
	case 2:
		return g.pick("$append", "$lookup", "$zip", "$merge") + "(" + g.expr(d) + ", " + g.expr(d) + ")"
	case 3:
		return g.pick("$formatNumber(", "$formatInteger(", "$round(", "$power(") + g.expr(d) + ", " + g.pick(`"#,##0.00"`, `"w"`, "2", `"000"`) + ")"
	}
	return g.pick("$count", "$sum", "$max", "$min", "$average", "$string", "$number", "$boolean", "$not", "$exists",
		"$type", "$keys", "$reverse", "$distinct", "$uppercase", "$length", "$trim", "$abs", "$floor", "$ceil", "$sqrt",
		"$spread", "$each", "$sift", "$merge", "$fromMillis", "$base64encode", "$encodeUrl", "$shuffle ~> $count") + "(" + g.expr(d) + ")"
}
