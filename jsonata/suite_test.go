package jsonata

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/jsonv"
)

// The official JSONata test suite (jsonata-js's test/test-suite) is run from
// ../../shared/jsonata-suite, or from $STEPWISE_JSONATA_SUITE. The test fails if fewer
// than 98% of the cases pass. Set STEPWISE_JSONATA_SUITE_REPORT=1 (or run with -v)
// to print the per-group table and the failing cases.

const suitePassBar = 0.98

type suiteCase struct {
	group, file string
	obj         *jsonv.Object
}

func (c suiteCase) name() string { return c.group + "/" + c.file }

func (c suiteCase) get(k string) (any, bool) { return c.obj.Get(k) }

func suiteDir() string {
	if d := os.Getenv("STEPWISE_JSONATA_SUITE"); d != "" {
		return d
	}
	return filepath.Join("..", "..", "shared", "jsonata-suite")
}

func loadSuite(t testing.TB) ([]suiteCase, map[string]any) {
	dir := suiteDir()
	if _, err := os.Stat(filepath.Join(dir, "groups")); err != nil {
		t.Skipf("JSONata test suite not found at %s", dir)
	}
	datasets := map[string]any{}
	files, _ := filepath.Glob(filepath.Join(dir, "datasets", "*.json"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		v, err := jsonv.Decode(b)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		datasets[strings.TrimSuffix(filepath.Base(f), ".json")] = v
	}
	var cases []suiteCase
	groups, _ := os.ReadDir(filepath.Join(dir, "groups"))
	for _, g := range groups {
		if !g.IsDir() {
			continue
		}
		gfiles, _ := filepath.Glob(filepath.Join(dir, "groups", g.Name(), "*.json"))
		sort.Strings(gfiles)
		for _, f := range gfiles {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			v, err := jsonv.Decode(markLoneSurrogates(b))
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			base := filepath.Base(f)
			switch x := v.(type) {
			case *jsonv.Object:
				cases = append(cases, suiteCase{group: g.Name(), file: base, obj: x})
			case []any:
				for i, e := range x {
					if o, ok := e.(*jsonv.Object); ok {
						cases = append(cases, suiteCase{group: g.Name(), file: fmt.Sprintf("%s[%d]", base, i), obj: o})
					}
				}
			}
		}
	}
	return cases, datasets
}

// runSuiteCase returns "" if the case passes, or why it failed.
func runSuiteCase(c suiteCase, dir string, datasets map[string]any) (reason string) {
	defer func() {
		if r := recover(); r != nil {
			reason = fmt.Sprintf("PANIC: %v\n%s", r, debug.Stack())
		}
	}()
	expr, _ := c.get("expr")
	src, _ := expr.(string)
	if f, ok := c.get("expr-file"); ok {
		b, err := os.ReadFile(filepath.Join(dir, "groups", c.group, f.(string)))
		if err != nil {
			return err.Error()
		}
		src = string(b)
	}
	wantCode, _ := c.get("code")
	wantToken, hasToken := c.get("token")
	wantErr, _ := c.get("error")
	if eo, ok := wantErr.(*jsonv.Object); ok {
		wantCode, _ = eo.Get("code")
		if tok, ok := eo.Get("token"); ok {
			wantToken, hasToken = tok, true
		}
	}
	checkErr := func(err error) string {
		var je *Error
		if !errors.As(err, &je) {
			return fmt.Sprintf("non-JSONata error %v", err)
		}
		if wantCode == nil {
			return fmt.Sprintf("unexpected error %s: %s", je.Code, je.Message)
		}
		if je.Code != wantCode {
			return fmt.Sprintf("error code %s (%s), want %v", je.Code, je.Message, wantCode)
		}
		if hasToken && je.Token != wantToken {
			return fmt.Sprintf("error token %q, want %v", je.Token, wantToken)
		}
		if eo, ok := wantErr.(*jsonv.Object); ok {
			if msg, ok := eo.Get("message"); ok && je.Message != msg {
				return fmt.Sprintf("error message %q, want %q", je.Message, msg)
			}
		}
		return ""
	}
	e, err := Compile(restoreLoneSurrogates(src))
	if err != nil {
		return checkErr(err)
	}
	var input any = Undefined
	if d, ok := c.get("data"); ok {
		input = d
	} else if ds, ok := c.get("dataset"); ok && ds != nil {
		input = datasets[ds.(string)]
	}
	env := NewEnv()
	if b, ok := c.get("bindings"); ok {
		if bo, ok := b.(*jsonv.Object); ok {
			bo.Range(func(k string, v any) bool {
				env.Bind(k, v)
				return true
			})
		}
	}
	if tl, ok := c.get("timelimit"); ok {
		if f, ok := tl.(float64); ok {
			env.TimeLimit = time.Duration(f) * time.Millisecond
		}
	}
	if d, ok := c.get("depth"); ok {
		if f, ok := d.(float64); ok {
			env.MaxDepth = int(f)
		}
	}
	got, err := e.Evaluate(input, env)
	if err != nil {
		return checkErr(err)
	}
	if wantCode != nil {
		return fmt.Sprintf("got %s, want error %v", jsonv.String(got), wantCode)
	}
	if u, ok := c.get("undefinedResult"); ok && u == true {
		if !IsUndefined(got) {
			return fmt.Sprintf("got %s, want undefined", describe(got))
		}
		return ""
	}
	want, ok := c.get("result")
	if !ok {
		return "case has no expectation"
	}
	if !suiteEqual(got, want) {
		return fmt.Sprintf("got %s, want %s", describe(got), jsonv.String(want))
	}
	return ""
}

func describe(v any) string {
	if IsUndefined(v) {
		return "undefined"
	}
	if IsFunction(v) {
		return "<function>"
	}
	return jsonv.String(v)
}

// suiteEqual compares results structurally: object key order is ignored and numbers
// compare numerically (allowing for the last-digit differences of some math functions).
func suiteEqual(got, want any) bool {
	switch w := want.(type) {
	case float64:
		g, ok := got.(float64)
		if !ok {
			return false
		}
		if g == w {
			return true
		}
		return math.Abs(g-w) <= 1e-13*math.Max(math.Abs(g), math.Abs(w))
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for i := range w {
			if !suiteEqual(g[i], w[i]) {
				return false
			}
		}
		return true
	case *jsonv.Object:
		g, ok := got.(*jsonv.Object)
		if !ok || g.Len() != w.Len() {
			return false
		}
		eq := true
		w.Range(func(k string, v any) bool {
			gv, ok := g.Get(k)
			if !ok || !suiteEqual(gv, v) {
				eq = false
			}
			return eq
		})
		return eq
	}
	if IsFunction(got) {
		return false
	}
	return jsonv.Equal(got, want)
}

type suiteResult struct {
	c      suiteCase
	reason string
}

func TestSuite(t *testing.T) {
	cases, datasets := loadSuite(t)
	dir := suiteDir()
	results := make([]suiteResult, len(cases))
	var wg sync.WaitGroup
	work := make(chan int)
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				results[i] = suiteResult{c: cases[i], reason: runSuiteCase(cases[i], dir, datasets)}
			}
		}()
	}
	for i := range cases {
		work <- i
	}
	close(work)
	wg.Wait()

	type groupStat struct{ cases, passed int }
	stats := map[string]*groupStat{}
	var names []string
	passed := 0
	var failures []suiteResult
	for _, r := range results {
		g := stats[r.c.group]
		if g == nil {
			g = &groupStat{}
			stats[r.c.group] = g
			names = append(names, r.c.group)
		}
		g.cases++
		if r.reason == "" {
			g.passed++
			passed++
		} else {
			failures = append(failures, r)
		}
	}
	rate := float64(passed) / float64(len(results))
	report := testing.Verbose() || os.Getenv("STEPWISE_JSONATA_SUITE_REPORT") != ""
	if report {
		sort.Strings(names)
		var b strings.Builder
		b.WriteString("| group | cases | passed |\n|---|---:|---:|\n")
		for _, n := range names {
			fmt.Fprintf(&b, "| %s | %d | %d |\n", n, stats[n].cases, stats[n].passed)
		}
		fmt.Fprintf(&b, "| **total** | **%d** | **%d** |\n", len(results), passed)
		t.Log("\n" + b.String())
		for _, f := range failures {
			expr, _ := f.c.get("expr")
			t.Logf("FAIL %s: %v\n    %s", f.c.name(), expr, f.reason)
		}
	}
	t.Logf("JSONata suite: %d/%d passed (%.2f%%)", passed, len(results), 100*rate)
	for _, f := range failures {
		if strings.HasPrefix(f.reason, "PANIC") {
			t.Errorf("%s panicked: %s", f.c.name(), f.reason)
		}
	}
	if rate < suitePassBar {
		t.Fatalf("pass rate %.2f%% is below %.0f%%", 100*rate, 100*suitePassBar)
	}
}

// A few cases put unpaired UTF-16 surrogates (\uD800) in expressions, which JSON
// decoders replace with U+FFFD. The runner marks them before decoding and restores
// them afterwards as the WTF-8 bytes this package uses for such characters.
const surrogateMark = `\uE000\uE000`

func markLoneSurrogates(b []byte) []byte {
	var out []byte
	isSurrogateEscape := func(i int) (rune, bool) {
		if i+6 > len(b) || b[i] != '\\' || b[i+1] != 'u' {
			return 0, false
		}
		r, err := strconv.ParseUint(string(b[i+2:i+6]), 16, 16)
		return rune(r), err == nil && r >= 0xD800 && r <= 0xDFFF
	}
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' {
			out = append(out, b[i])
			continue
		}
		r, ok := isSurrogateEscape(i)
		if !ok {
			out = append(out, b[i], b[min(i+1, len(b)-1)])
			i++
			continue
		}
		if r < 0xDC00 {
			if r2, ok := isSurrogateEscape(i + 6); ok && r2 >= 0xDC00 {
				out = append(out, b[i:i+12]...)
				i += 11
				continue
			}
		}
		out = append(out, surrogateMark...)
		out = append(out, b[i+2:i+6]...)
		i += 5
	}
	return out
}

func restoreLoneSurrogates(s string) string {
	mark := string([]rune{0xE000, 0xE000})
	for {
		i := strings.Index(s, mark)
		if i < 0 || i+len(mark)+4 > len(s) {
			return s
		}
		code, err := strconv.ParseUint(s[i+len(mark):i+len(mark)+4], 16, 16)
		if err != nil {
			return s
		}
		r := rune(code)
		w := string([]byte{byte(0xE0 | (r >> 12)), byte(0x80 | ((r >> 6) & 0x3F)), byte(0x80 | (r & 0x3F))})
		s = s[:i] + w + s[i+len(mark)+4:]
	}
}
