package engine

import (
	"context"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/asl"
	"github.com/stepwise-dev/stepwise/internal/clock"
	"github.com/stepwise-dev/stepwise/jsonv"
)

// FuzzRun runs arbitrary (valid) definitions on arbitrary inputs with every wait
// skipped: the engine must end each execution, never panic or hang.
func FuzzRun(f *testing.F) {
	seeds := [][2]string{
		{`{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"x.$":"$.a","y.$":"States.Array($.a, 1)"},"ResultPath":"$.r","End":true}}}`, `{"a":[1,2]}`},
		{`{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericLessThan":3,"Next":"I"}],"Default":"E"},"I":{"Type":"Pass","Parameters":{"n.$":"States.MathAdd($.n, 1)"},"Next":"C"},"E":{"Type":"Succeed"}}}`, `{"n":0}`},
		{`{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items","ItemProcessor":{"StartAt":"W","States":{"W":{"Type":"Wait","SecondsPath":"$","End":true}}},"End":true}}}`, `{"items":[1,2,3]}`},
		{`{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"E"}}}],"Catch":[{"ErrorEquals":["States.ALL"],"Next":"S"}],"End":true},"S":{"Type":"Succeed"}}}`, `{}`},
		{`{"StartAt":"L","States":{"L":{"Type":"Pass","Next":"C"},"C":{"Type":"Choice","Choices":[{"Variable":"$.stop","IsPresent":true,"Next":"E"}],"Default":"L"},"E":{"Type":"Succeed"}}}`, `{}`},
	}
	for _, s := range seeds {
		f.Add([]byte(s[0]), []byte(s[1]))
	}
	f.Fuzz(func(t *testing.T, def, input []byte) {
		sm, err := asl.Parse(def, asl.Options{})
		if err != nil {
			return
		}
		in, err := jsonv.Decode(input)
		if err != nil {
			return
		}
		eng := New(Config{Clock: clock.Scaled{Base: clock.Real{}, Factor: 0}})
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		x := eng.Start(ctx, sm, StartParams{Input: in})
		select {
		case <-x.Done():
		case <-ctx.Done():
			t.Fatalf("execution did not end: %s on %s", def, input)
		}
		if x.Result().Status == StatusRunning {
			t.Fatal("ended but still RUNNING")
		}
	})
}

func TestEndlessLoopStopsAtTheHistoryLimit(t *testing.T) {
	t.Parallel()
	r := runManual(t, `{"StartAt":"L","States":{"L":{"Type":"Pass","Next":"C"},"C":{"Type":"Choice","Choices":[{"Variable":"$.stop","IsPresent":true,"Next":"E"}],"Default":"L"},"E":{"Type":"Succeed"}}}`, `{}`, nil)
	if r.res.Status != StatusFailed || r.res.Error != ErrRuntime {
		t.Fatalf("got %s %s", r.res.Status, r.res.Error)
	}
	if n := r.x.History.Len(); n > MaxHistoryEvents {
		t.Fatalf("%d events recorded, over the limit", n)
	}
}

func TestExpressExecutionsHaveNoHistoryLimit(t *testing.T) {
	t.Parallel()
	sm, err := asl.Parse([]byte(`{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"StartAt":"A","States":{
		"A":{"Type":"Pass","Next":"B"},"B":{"Type":"Pass","End":true}}},"End":true}}}`), asl.Options{Type: "EXPRESS"})
	if err != nil {
		t.Fatal(err)
	}
	items := make([]any, 8000) // about 48,000 events
	for i := range items {
		items[i] = float64(i)
	}
	_, res := New(Config{}).Run(t.Context(), sm, StartParams{Type: "EXPRESS", Input: items})
	if res.Status != StatusSucceeded || len(res.Output.([]any)) != len(items) {
		t.Fatalf("got %s %s", res.Status, res.Error)
	}
}
