package cli

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stepwise-dev/stepwise/asl"
	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/integrations"
	"github.com/stepwise-dev/stepwise/internal/clock"
	"github.com/stepwise-dev/stepwise/jsonv"
)

// The bench command measures the engine the way the peer drivers under
// shared/bench/peers measure other ASL interpreters: one process, the definition parsed
// before the clock starts, N executions in sequence or all started at once, every output
// checked, and one JSON line of figures that scripts/bench/peers.sh puts side by side.

type benchOptions struct {
	executions      int
	concurrent      bool
	input, inputF   string
	expect, expectF string
	tasks           taskFlags
	timeScale       float64
	smType          string
	label           string
	cpuProfile      string
	memProfile      string
}

// taskFlags collects repeated --task NAME=KIND flags.
type taskFlags []string

func (t *taskFlags) String() string     { return strings.Join(*t, ",") }
func (t *taskFlags) Set(v string) error { *t = append(*t, v); return nil }

func benchCmd(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o benchOptions
	fs.IntVar(&o.executions, "executions", 1, "number of executions to run")
	fs.BoolVar(&o.concurrent, "concurrent", false, "start every execution at once, then wait for all (default: one after another)")
	fs.StringVar(&o.input, "input", "", "execution input as JSON text (default {})")
	fs.StringVar(&o.inputF, "input-file", "", "read the execution input from this file")
	fs.StringVar(&o.expect, "expect", "", "JSON output every execution must produce")
	fs.StringVar(&o.expectF, "expect-file", "", "read the expected output from this file")
	fs.Var(&o.tasks, "task", "NAME=incr|flaky: serve the Task state (or resource ARN) NAME with a local handler; repeatable")
	fs.Float64Var(&o.timeScale, "time-scale", 1, "multiply every wait (Wait states, retry intervals, timeouts) by this factor")
	fs.StringVar(&o.smType, "type", "STANDARD", "STANDARD or EXPRESS (Express executions have no 25,000-event history limit)")
	fs.StringVar(&o.label, "label", "", "workload name to echo in the result line")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the executions to this file (go tool pprof)")
	fs.StringVar(&o.memProfile, "memprofile", "", "write an allocation profile to this file after the executions")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: stepwise bench FILE [--executions N] [--concurrent] [--input JSON | --input-file F] [--expect JSON | --expect-file F] [--task NAME=incr|flaky ...] [--time-scale X] [--type EXPRESS]")
		fmt.Fprintln(stderr, "\nPrints one JSON line: wall time, executions/s, states entered/s, peak RSS.")
		fmt.Fprintln(stderr, "incr returns {\"i\": input.i + 1}; flaky fails twice with FlakyError, then returns {\"ok\": true, \"attempts\": 3}.")
		fs.PrintDefaults()
	}
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return 2
	}
	file := ""
	if len(pos) == 1 {
		file = pos[0]
	}
	if file == "" || o.executions < 1 || o.timeScale < 0 {
		fs.Usage()
		return 2
	}
	res, err := runBench(file, o)
	if err != nil {
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(stderr, "stepwise bench: %v\n", err)
			return 2
		}
		res.Set("ok", false)
		res.Set("error", err.Error())
	}
	fmt.Fprintln(stdout, jsonv.String(res))
	if err != nil {
		return 1
	}
	return 0
}

// usageError is a problem with the command line rather than with the run.
type usageError struct{ error }

func readJSONOption(text, file, what string) (any, bool, error) {
	switch {
	case text != "" && file != "":
		return nil, false, usageError{fmt.Errorf("give --%s or --%s-file, not both", what, what)}
	case text != "":
		v, err := jsonv.DecodeString(text)
		if err != nil {
			return nil, false, usageError{fmt.Errorf("--%s is not valid JSON: %w", what, err)}
		}
		return v, true, nil
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, false, usageError{err}
		}
		v, err := jsonv.Decode(b)
		if err != nil {
			return nil, false, usageError{fmt.Errorf("%s: %w", file, err)}
		}
		return v, true, nil
	}
	return nil, false, nil
}

func runBench(file string, o benchOptions) (*jsonv.Object, error) {
	res := jsonv.NewObject(16)
	res.Set("engine", "stepwise")
	res.Set("version", Version)
	res.Set("workload", o.label)
	res.Set("ok", false)

	input, ok, err := readJSONOption(o.input, o.inputF, "input")
	if err != nil {
		return res, err
	}
	if !ok {
		input = jsonv.NewObject(0)
	}
	expect, checkOutput, err := readJSONOption(o.expect, o.expectF, "expect")
	if err != nil {
		return res, err
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return res, usageError{err}
	}
	typ := strings.ToUpper(o.smType)
	sm, err := asl.Parse(data, asl.Options{Type: typ})
	if err != nil {
		return res, usageError{fmt.Errorf("%s: %w", file, err)}
	}
	tasks, err := newBenchTasks(o.tasks)
	if err != nil {
		return res, err
	}
	var clk clock.Clock = clock.Real{}
	if o.timeScale != 1 {
		clk = clock.Scaled{Base: clock.Real{}, Factor: o.timeScale}
	}
	eng := engine.New(engine.Config{Clock: clk, Tasks: tasks})
	states := &enteredCounter{}
	params := func() engine.StartParams {
		// A copy per execution, as each peer run builds its own input object.
		return engine.StartParams{StateMachineName: "bench", Type: typ, Input: jsonv.DeepCopy(input), Sinks: []engine.Sink{states}}
	}
	check := func(k int, r engine.Result) error {
		if r.Status != engine.StatusSucceeded {
			return fmt.Errorf("execution %d ended %s: %s: %s", k, r.Status, r.Error, r.Cause)
		}
		if checkOutput && !jsonv.Equal(r.Output, expect) {
			out := jsonv.String(r.Output)
			if len(out) > 300 {
				out = out[:300] + "..."
			}
			return fmt.Errorf("execution %d output %s differs from the expected output", k, out)
		}
		return nil
	}

	ctx := context.Background()
	var first *engine.Execution
	var runErr error
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return res, usageError{err}
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return res, err
		}
	}
	start := time.Now()
	if o.concurrent {
		xs := make([]*engine.Execution, o.executions)
		for k := range xs {
			xs[k] = eng.Start(ctx, sm, params())
		}
		for k, x := range xs {
			<-x.Done()
			if err := check(k, x.Result()); err != nil && runErr == nil {
				runErr = err
			}
		}
		first = xs[0]
	} else {
		for k := 0; k < o.executions; k++ {
			x, r := eng.Run(ctx, sm, params())
			if k == 0 {
				first = x
			}
			if runErr = check(k, r); runErr != nil {
				break
			}
		}
	}
	wall := time.Since(start)
	if o.cpuProfile != "" {
		pprof.StopCPUProfile()
	}
	if o.memProfile != "" {
		if err := writeHeapProfile(o.memProfile); err != nil {
			return res, err
		}
	}

	secs := wall.Seconds()
	n := states.n.Load()
	res.Set("ok", runErr == nil)
	res.Set("type", typ)
	res.Set("concurrent", o.concurrent)
	res.Set("executions", float64(o.executions))
	res.Set("transitions", float64(n))
	res.Set("wall_ms", round(float64(wall.Microseconds())/1000, 2))
	res.Set("exec_per_s", round(float64(o.executions)/secs, 1))
	res.Set("trans_per_s", round(float64(n)/secs, 0))
	if kb, ok := peakRSSKiB(); ok {
		res.Set("maxrss_kb", float64(kb))
	}
	res.Set("gomaxprocs", float64(runtime.GOMAXPROCS(0)))
	if calls := tasks.flakyCalls(first.Params().ExecutionARN); calls != nil {
		gaps := make([]any, 0, len(calls))
		for i := 1; i < len(calls); i++ {
			gaps = append(gaps, round(float64(calls[i].Sub(calls[i-1]).Microseconds())/1000, 0))
		}
		res.Set("attempts", float64(len(calls)))
		res.Set("retry_gaps_ms", gaps)
	}
	return res, runErr
}

func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func round(f float64, digits int) float64 {
	v, _ := strconv.ParseFloat(strconv.FormatFloat(f, 'f', digits, 64), 64)
	return v
}

// enteredCounter counts state transitions: one per *StateEntered event, the unit the
// peer drivers use.
type enteredCounter struct{ n atomic.Int64 }

func (c *enteredCounter) Event(e *engine.Event) {
	if strings.HasSuffix(e.Type, "StateEntered") {
		c.n.Add(1)
	}
}

// peakRSSKiB reads the process's high-water resident set size (Linux only).
func peakRSSKiB() (int64, bool) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb, err == nil
		}
	}
	return 0, false
}

// benchTasks serves Task states with the peer drivers' local handlers, chosen by state
// name or by resource ARN.
type benchTasks struct {
	handlers map[string]integrations.Handler
	mu       sync.Mutex
	flaky    map[string][]time.Time // execution ARN -> call times
}

func newBenchTasks(specs []string) (*benchTasks, error) {
	t := &benchTasks{handlers: map[string]integrations.Handler{}, flaky: map[string][]time.Time{}}
	for _, s := range specs {
		name, kind, ok := strings.Cut(s, "=")
		if !ok || name == "" {
			return nil, usageError{fmt.Errorf("--task %q: want NAME=incr or NAME=flaky", s)}
		}
		switch kind {
		case "incr":
			t.handlers[name] = integrations.HandlerFunc(incrTask)
		case "flaky":
			t.handlers[name] = integrations.HandlerFunc(t.flakyTask)
		default:
			return nil, usageError{fmt.Errorf("--task %q: unknown handler %q (incr or flaky)", s, kind)}
		}
	}
	return t, nil
}

func (t *benchTasks) Invoke(ctx context.Context, req *integrations.Request) (any, error) {
	h, ok := t.handlers[req.StateName]
	if !ok {
		h, ok = t.handlers[req.Resource]
	}
	if !ok {
		return nil, &integrations.TaskError{Name: "States.Runtime", Cause: fmt.Sprintf("no --task handler for state '%s' or resource '%s'", req.StateName, req.Resource)}
	}
	return h.Invoke(ctx, req)
}

// incrTask returns {"i": input.i + 1}.
func incrTask(_ context.Context, req *integrations.Request) (any, error) {
	in, _ := req.Input.(*jsonv.Object)
	var i float64
	if in != nil {
		v, _ := in.Get("i")
		i, _ = v.(float64)
	}
	return jsonv.ObjectOf("i", i+1), nil
}

// flakyTask fails the first two calls of each execution with FlakyError, then succeeds.
func (t *benchTasks) flakyTask(_ context.Context, req *integrations.Request) (any, error) {
	t.mu.Lock()
	calls := append(t.flaky[req.ExecutionARN], time.Now())
	t.flaky[req.ExecutionARN] = calls
	t.mu.Unlock()
	if n := len(calls); n <= 2 {
		return nil, &integrations.TaskError{Name: "FlakyError", Cause: "boom " + strconv.Itoa(n)}
	}
	return jsonv.ObjectOf("ok", true, "attempts", float64(len(calls))), nil
}

func (t *benchTasks) flakyCalls(executionARN string) []time.Time {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.flaky[executionARN]
}
