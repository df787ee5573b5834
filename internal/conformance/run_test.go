package conformance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/asl"
	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/internal/clock"
	"github.com/stepwise-dev/stepwise/jsonv"
)

// timeScale shrinks every wait of the cases; ordering between waits is kept.
const timeScale = 0.01

// runCase runs one case in-process and returns the engine's result.
func runCase(c *Case) Result {
	typ := c.Type
	if typ == "" {
		typ = "STANDARD"
	}
	sm, err := asl.Parse(c.Definition, asl.Options{Type: typ})
	if err != nil {
		var de *asl.DefinitionError
		msg := err.Error()
		if errors.As(err, &de) {
			msg = de.Msg
		}
		e := "InvalidDefinition"
		return Result{Status: "INVALID_DEFINITION", Error: &e, Cause: &msg}
	}
	input, err := jsonv.Decode(c.Input)
	if err != nil {
		e, m := "InvalidInput", err.Error()
		return Result{Status: "FAILED", Error: &e, Cause: &m}
	}
	eng := engine.New(engine.Config{Clock: clock.Scaled{Base: clock.Real{}, Factor: timeScale}})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	x, res := eng.Run(ctx, sm, engine.StartParams{
		StateMachineName: "ConformanceMachine",
		Name:             "conformance-execution",
		RoleARN:          "arn:aws:iam::123456789012:role/stepwise",
		Type:             typ,
		Input:            input,
	})
	r := Result{Status: string(res.Status), History: x.History.Types()}
	if res.HasOutput {
		var out any
		_ = json.Unmarshal(jsonv.Marshal(res.Output), &out)
		r.Output = out
	}
	if res.HasError {
		s := res.Error
		r.Error = &s
	}
	if res.HasCause {
		s := res.Cause
		r.Cause = &s
	}
	return r
}

type outcome struct {
	c       *Case
	reason  string
	history string
}

// runAll runs the selected cases concurrently.
func runAll(cases []*Case) []outcome {
	out := make([]outcome, len(cases))
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0)*8)
	for i, c := range cases {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int, c *Case) {
			defer wg.Done()
			defer func() { <-sem }()
			r := runCase(c)
			out[i] = outcome{c: c, reason: Compare(c, r, true), history: CompareHistory(c, r.History)}
		}(i, c)
	}
	wg.Wait()
	return out
}

// selection names a group of cases with its own bar.
type selection struct {
	name string
	bar  float64
	pick func(*Case) bool
}

var selections = []selection{
	{"jsonpath (no service, not JSONata or variables)", 0.97, func(c *Case) bool {
		return c.NeedsNoService() && c.Runnable() && !c.Has("jsonata") && !c.Has("variables")
	}},
	{"jsonata and variables (no service)", 0.97, func(c *Case) bool {
		return c.NeedsNoService() && c.Runnable() && (c.Has("jsonata") || c.Has("variables"))
	}},
}

func loadOrSkip(t *testing.T) []*Case {
	t.Helper()
	dir, ok := Dir()
	if !ok {
		t.Skipf("conformance cases not found (set %s)", EnvCases)
	}
	cases, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return cases
}

func TestConformance(t *testing.T) {
	cases := loadOrSkip(t)
	var report strings.Builder
	for _, sel := range selections {
		var picked []*Case
		for _, c := range cases {
			if sel.pick(c) {
				picked = append(picked, c)
			}
		}
		outcomes := runAll(picked)
		passed, histPassed := 0, 0
		cats := map[string][2]int{}
		var failures, histFailures []string
		for _, o := range outcomes {
			ok := o.reason == ""
			if ok {
				passed++
				if o.history == "" {
					histPassed++
				} else {
					histFailures = append(histFailures, o.c.ID+": "+o.history)
				}
			} else {
				failures = append(failures, o.c.ID+": "+o.reason)
			}
			for _, cat := range o.c.Categories {
				v := cats[cat]
				v[0]++
				if ok {
					v[1]++
				}
				cats[cat] = v
			}
		}
		rate := float64(passed) / float64(max(1, len(picked)))
		fmt.Fprintf(&report, "\n### %s\n\n%d of %d pass (%.1f%%); history event types also match in %d.\n\n| category | cases | passed |\n|---|---:|---:|\n",
			sel.name, passed, len(picked), rate*100, histPassed)
		names := make([]string, 0, len(cats))
		for k := range cats {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			fmt.Fprintf(&report, "| %s | %d | %d |\n", k, cats[k][0], cats[k][1])
		}
		if len(failures) > 0 {
			fmt.Fprintf(&report, "\nFailing cases:\n\n")
			for _, f := range failures {
				fmt.Fprintf(&report, "- `%s`\n", strings.ReplaceAll(f, "`", "'"))
			}
		}
		if len(histFailures) > 0 {
			fmt.Fprintf(&report, "\nPassing cases whose history event types differ:\n\n")
			for _, f := range histFailures {
				fmt.Fprintf(&report, "- `%s`\n", f)
			}
		}
		t.Logf("%s: %d passed, %d failed", sel.name, passed, len(picked)-passed)
		if rate < sel.bar {
			for _, f := range failures {
				t.Log(f)
			}
			t.Errorf("%s: pass rate %.1f%% is below the bar of %.0f%%", sel.name, rate*100, sel.bar*100)
		}
	}
	if p := os.Getenv("STEPWISE_CONFORMANCE_REPORT"); p != "" {
		if err := os.WriteFile(p, []byte(report.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
