package engine_test

// Benchmarks shaped like the shared peer workloads (shared/bench/peers: W1 chain, W3 map,
// W4 parallel, W5 concurrent starts) plus the JSONPath data flow of one state. They go
// through the public API only, as a library user would. Run:
//
//	go test -run '^$' -bench . -benchmem ./engine/

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stepwise-dev/stepwise/asl"
	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/jsonv"
)

// benchChain is a chain of n Pass states, each with the given fields, as the peer kit's
// gen-workloads.js writes them.
func benchChain(n int, prefix, fields string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `{"StartAt":"%s000","States":{`, prefix)
	for i := range n {
		if i > 0 {
			b.WriteString(",")
		}
		end := fmt.Sprintf(`"Next":"%s%03d"`, prefix, i+1)
		if i == n-1 {
			end = `"End":true`
		}
		f := strings.ReplaceAll(fields, "STEP", fmt.Sprint(i))
		fmt.Fprintf(&b, `"%s%03d":{"Type":"Pass",%s%s}`, prefix, i, f, end)
	}
	b.WriteString("}}")
	return b.String()
}

const w1Fields = `"Parameters":{"copy.$":"$.v","step":STEP},"ResultPath":"$.last",`

func benchParse(b *testing.B, def, typ string) *asl.StateMachine {
	b.Helper()
	sm, err := asl.Parse([]byte(def), asl.Options{Type: typ})
	if err != nil {
		b.Fatalf("parse: %v", err)
	}
	return sm
}

// benchCheck fails the benchmark unless the execution succeeded with want (nil: any output).
func benchCheck(b *testing.B, res engine.Result, want any) {
	b.Helper()
	if res.Status != engine.StatusSucceeded {
		b.Fatalf("execution %s: %s: %s", res.Status, res.Error, res.Cause)
	}
	if want != nil && !jsonv.Equal(res.Output, want) {
		b.Fatalf("output %.300s, want %.300s", jsonv.String(res.Output), jsonv.String(want))
	}
}

// entered counts *StateEntered events: the "state transition" of the peer figures.
type entered struct{ n atomic.Int64 }

func (c *entered) Event(e *engine.Event) {
	if strings.HasSuffix(e.Type, "StateEntered") {
		c.n.Add(1)
	}
}

func reportStates(b *testing.B, states int64) {
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(states)/s, "states/s")
	}
}

// BenchmarkChain100 is W1: one execution of 100 Pass states (Parameters + ResultPath) per op.
func BenchmarkChain100(b *testing.B) {
	sm := benchParse(b, benchChain(100, "S", w1Fields), "")
	eng := engine.New(engine.Config{})
	want := jsonv.MustDecode(`{"v":1,"last":{"copy":1,"step":99}}`)
	c := &entered{}
	ctx := context.Background()
	for b.Loop() {
		_, res := eng.Run(ctx, sm, engine.StartParams{Input: jsonv.ObjectOf("v", 1.0), Sinks: []engine.Sink{c}})
		benchCheck(b, res, want)
	}
	reportStates(b, c.n.Load())
}

// BenchmarkMap is W3: an inline Map over n items, 3 Pass states per item, MaxConcurrency 0.
// 10,000 iterations write about 80,000 history events, over a Standard execution's limit
// of 25,000, so the execution is Express, as it would have to be on AWS.
func BenchmarkMap(b *testing.B) {
	def := `{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items","MaxConcurrency":0,
	  "ItemProcessor":{"ProcessorConfig":{"Mode":"INLINE"},"StartAt":"P1","States":{
	    "P1":{"Type":"Pass","Parameters":{"n.$":"$.n"},"Next":"P2"},
	    "P2":{"Type":"Pass","Parameters":{"k.$":"$.n"},"ResultPath":"$.tmp","Next":"P3"},
	    "P3":{"Type":"Pass","Parameters":{"n.$":"$.n","sq.$":"$.tmp.k"},"End":true}}},
	  "End":true}}}`
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("items=%d", n), func(b *testing.B) {
			sm := benchParse(b, def, "EXPRESS")
			items := make([]any, n)
			want := make([]any, n)
			for k := range items {
				items[k] = jsonv.ObjectOf("n", float64(k))
				want[k] = jsonv.ObjectOf("n", float64(k), "sq", float64(k))
			}
			input := jsonv.ObjectOf("items", items)
			eng := engine.New(engine.Config{})
			c := &entered{}
			ctx := context.Background()
			for b.Loop() {
				_, res := eng.Run(ctx, sm, engine.StartParams{Type: "EXPRESS", Input: input, Sinks: []engine.Sink{c}})
				benchCheck(b, res, want)
			}
			reportStates(b, c.n.Load())
		})
	}
}

// BenchmarkParallel is W4: one execution of a Parallel state, 10 branches x 10 Pass states.
func BenchmarkParallel(b *testing.B) {
	var br []string
	for k := range 10 {
		br = append(br, benchChain(10, fmt.Sprintf("B%d_", k), w1Fields))
	}
	sm := benchParse(b, `{"StartAt":"Par","States":{"Par":{"Type":"Parallel","End":true,"Branches":[`+strings.Join(br, ",")+`]}}}`, "")
	eng := engine.New(engine.Config{})
	c := &entered{}
	ctx := context.Background()
	for b.Loop() {
		_, res := eng.Run(ctx, sm, engine.StartParams{Input: jsonv.ObjectOf("v", 1.0), Sinks: []engine.Sink{c}})
		benchCheck(b, res, nil)
	}
	reportStates(b, c.n.Load())
}

// BenchmarkConcurrentStart is W5: 10,000 executions of a 5-Pass chain started at once per
// op, then awaited.
func BenchmarkConcurrentStart(b *testing.B) {
	const n = 10000
	sm := benchParse(b, benchChain(5, "S", w1Fields), "")
	eng := engine.New(engine.Config{})
	want := jsonv.MustDecode(`{"v":1,"last":{"copy":1,"step":4}}`)
	c := &entered{}
	ctx := context.Background()
	xs := make([]*engine.Execution, n)
	for b.Loop() {
		for k := range xs {
			xs[k] = eng.Start(ctx, sm, engine.StartParams{Input: jsonv.ObjectOf("v", 1.0), Sinks: []engine.Sink{c}})
		}
		for _, x := range xs {
			<-x.Done()
			benchCheck(b, x.Result(), want)
		}
	}
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(n*b.N)/s, "executions/s")
	}
	reportStates(b, c.n.Load())
}

// BenchmarkDataflow isolates the JSONPath data flow of a state: each op is one execution
// of 50 Pass states of the kind named, so the difference between kinds is what the
// fields cost (ns/state = ns/op / 50).
func BenchmarkDataflow(b *testing.B) {
	const n = 50
	input := jsonv.MustDecode(`{"order":{"id":"o-1","lines":[{"sku":"a","qty":2},{"sku":"b","qty":1}],"customer":{"name":"Ann","tier":"gold"}},"v":1}`)
	kinds := []struct{ name, fields string }{
		{"bare", ``},
		{"Parameters", `"Parameters":{"id.$":"$.order.id","first.$":"$.order.lines[0].sku","tier.$":"$.order.customer.tier","step":STEP,"const":{"a":[1,2,3]}},"ResultPath":null,`},
		{"Parameters+ResultPath", `"Parameters":{"id.$":"$.order.id","first.$":"$.order.lines[0].sku","tier.$":"$.order.customer.tier","step":STEP},"ResultPath":"$.result.last",`},
		{"InputPath+ResultPath+OutputPath", `"InputPath":"$","Result":{"ok":true},"ResultPath":"$.result","OutputPath":"$",`},
		{"Context", `"Parameters":{"name.$":"$$.State.Name","exec.$":"$$.Execution.Id","v.$":"$.v"},"ResultPath":"$.ctx",`},
		{"Intrinsic", `"Parameters":{"sum.$":"States.MathAdd($.v, 1)","fmt.$":"States.Format('{}-{}', $.order.id, $.v)"},"ResultPath":"$.calc",`},
	}
	for _, k := range kinds {
		b.Run(k.name, func(b *testing.B) {
			sm := benchParse(b, benchChain(n, "S", k.fields), "")
			eng := engine.New(engine.Config{})
			ctx := context.Background()
			for b.Loop() {
				_, res := eng.Run(ctx, sm, engine.StartParams{Input: input})
				benchCheck(b, res, nil)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n*b.N), "ns/state")
		})
	}
}
