package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/stepwise-dev/stepwise/asl"
	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/integrations"
	"github.com/stepwise-dev/stepwise/integrations/mock"
	"github.com/stepwise-dev/stepwise/internal/clock"
	"github.com/stepwise-dev/stepwise/jsonv"
	"github.com/stepwise-dev/stepwise/sagemaker"
)

type runOptions struct {
	input, inputFile     string
	mockConfig, testCase string
	name, smType         string
	timeScale            float64
	history              bool
	output               string
	conformance          bool
	dataDir              string
}

func runCmd(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o runOptions
	fs.StringVar(&o.input, "input", "", "execution input as JSON text")
	fs.StringVar(&o.inputFile, "input-file", "", "read the execution input from this file ('-' for standard input)")
	fs.StringVar(&o.mockConfig, "mock-config", "", "Step Functions Local MockConfigFile with mocked Task responses")
	fs.StringVar(&o.testCase, "test-case", "", "test case of the mock configuration to use")
	fs.StringVar(&o.name, "state-machine-name", "", "state machine name (default: the file name); selects the mock configuration's state machine")
	fs.StringVar(&o.smType, "type", "STANDARD", "STANDARD or EXPRESS")
	fs.Float64Var(&o.timeScale, "time-scale", 1, "multiply every wait (Wait states, retry intervals, timeouts) by this factor")
	fs.BoolVar(&o.history, "history", false, "print the execution history after the run")
	fs.StringVar(&o.output, "output", "text", "text, or json for one object {status, output, error, cause, history_event_types}")
	fs.BoolVar(&o.conformance, "conformance", false, "same as --output json (for conformance/compare.py)")
	fs.StringVar(&o.dataDir, "data-dir", os.Getenv("STEPWISE_DATA_DIR"),
		"data directory whose s3/ holds the s3:// buckets SageMaker jobs read and write, shared with `stepwise server` (env STEPWISE_DATA_DIR; default ~/.stepwise)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: stepwise run FILE [--input JSON | --input-file F] [--mock-config F --test-case NAME] [--time-scale X] [--history] [--output json]")
		fs.PrintDefaults()
	}
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) != 1 {
		fs.Usage()
		return 2
	}
	file := pos[0]
	if o.conformance {
		o.output = "json"
	}
	if o.timeScale < 0 {
		fmt.Fprintln(stderr, "stepwise run: --time-scale must not be negative")
		return 2
	}
	return runFile(file, o, stdin, stdout, stderr)
}

// parseInterleaved parses flags that may stand before, between or after the positional
// arguments (the flag package alone stops at the first positional one).
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		args = fs.Args()
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func runFile(file string, o runOptions, stdin io.Reader, stdout, stderr io.Writer) int {
	data, err := os.ReadFile(file)
	if err != nil {
		fmt.Fprintf(stderr, "stepwise run: %v\n", err)
		return 2
	}
	var input any = jsonv.NewObject(0)
	switch {
	case o.input != "" && o.inputFile != "":
		fmt.Fprintln(stderr, "stepwise run: give --input or --input-file, not both")
		return 2
	case o.input != "":
		if input, err = jsonv.DecodeString(o.input); err != nil {
			fmt.Fprintf(stderr, "stepwise run: --input is not valid JSON: %v\n", err)
			return 2
		}
	case o.inputFile != "":
		var b []byte
		if o.inputFile == "-" {
			b, err = io.ReadAll(stdin)
		} else {
			b, err = os.ReadFile(o.inputFile)
		}
		if err != nil {
			fmt.Fprintf(stderr, "stepwise run: %v\n", err)
			return 2
		}
		if input, err = jsonv.Decode(b); err != nil {
			fmt.Fprintf(stderr, "stepwise run: the input file is not valid JSON: %v\n", err)
			return 2
		}
	}
	if jsonv.Size(input, engine.MaxPayloadBytes) > engine.MaxPayloadBytes {
		return report(o, stdout, stderr, engine.Result{Status: engine.StatusFailed, Error: engine.ErrDataLimitExceeded, HasError: true,
			Cause: "The input exceeds the maximum size of 262144 bytes.", HasCause: true}, nil)
	}

	sm, err := asl.Parse(data, asl.Options{Type: strings.ToUpper(o.smType)})
	if err != nil {
		var de *asl.DefinitionError
		if errors.As(err, &de) && o.output == "json" {
			obj := jsonv.ObjectOf("status", "INVALID_DEFINITION", "output", nil, "error", "InvalidDefinition", "cause", de.Msg, "history_event_types", []any{})
			fmt.Fprintln(stdout, jsonv.String(obj))
			return 1
		}
		fmt.Fprintf(stderr, "%s: %v\n", file, err)
		return 1
	}

	name := o.name
	if name == "" {
		name = strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
		name = strings.TrimSuffix(name, ".asl")
	}
	reg := integrations.NewRegistry()
	jobs := &lazyJobs{dataDir: o.dataDir, log: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	reg.HandlePrefix(sagemaker.IntegrationPrefix, jobs)
	reg.HandlePrefix(sagemaker.SDKIntegrationPrefix, jobs)
	var tasks engine.Tasks = reg
	if o.mockConfig != "" {
		b, err := os.ReadFile(o.mockConfig)
		if err != nil {
			fmt.Fprintf(stderr, "stepwise run: %v\n", err)
			return 2
		}
		cfg, err := mock.Parse(b)
		if err != nil {
			fmt.Fprintf(stderr, "stepwise run: %s: %v\n", o.mockConfig, err)
			return 2
		}
		h, err := cfg.TestCase(name, o.testCase, reg)
		if err != nil {
			fmt.Fprintf(stderr, "stepwise run: %v\n", err)
			return 2
		}
		tasks = h
	}
	var clk clock.Clock = clock.Real{}
	if o.timeScale != 1 {
		clk = clock.Scaled{Base: clock.Real{}, Factor: o.timeScale}
	}
	eng := engine.New(engine.Config{Clock: clk, Tasks: tasks})

	var sinks []engine.Sink
	var live *liveView
	if o.output != "json" {
		if isTerminal(stderr) {
			live = newLiveView(stderr)
			sinks = append(sinks, live)
		} else {
			sinks = append(sinks, newProgress(stderr, false))
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	x, res := eng.Run(ctx, sm, engine.StartParams{
		Name:             fmt.Sprintf("run-%d", time.Now().UnixNano()),
		StateMachineName: name,
		RoleARN:          "arn:aws:iam::123456789012:role/stepwise",
		Type:             strings.ToUpper(o.smType),
		Input:            input,
		Sinks:            sinks,
	})
	if live != nil {
		live.stop() // the last frame, before the result is printed
	}
	if logs := jobs.close(res.Status != engine.StatusSucceeded); logs != "" && o.output != "json" {
		fmt.Fprintf(stderr, "SageMaker job directories and logs kept in %s\n", logs)
	}
	return report(o, stdout, stderr, res, x)
}

func report(o runOptions, stdout, stderr io.Writer, res engine.Result, x *engine.Execution) int {
	var types []any
	if x != nil {
		for _, t := range x.History.Types() {
			types = append(types, t)
		}
	}
	if o.output == "json" {
		obj := jsonv.NewObject(5)
		obj.Set("status", string(res.Status))
		if res.HasOutput {
			obj.Set("output", res.Output)
		} else {
			obj.Set("output", nil)
		}
		obj.Set("error", nullable(res.Error, res.HasError))
		obj.Set("cause", nullable(res.Cause, res.HasCause))
		if types == nil {
			types = []any{}
		}
		obj.Set("history_event_types", types)
		fmt.Fprintln(stdout, jsonv.String(obj))
	} else {
		if o.history && x != nil {
			for _, e := range x.History.Events() {
				fmt.Fprintln(stderr, jsonv.String(e.JSON()))
			}
		}
		if res.Status == engine.StatusSucceeded {
			fmt.Fprintln(stdout, jsonv.Indent(res.Output))
		} else {
			fmt.Fprintf(stderr, "execution %s", res.Status)
			if res.HasError {
				fmt.Fprintf(stderr, ": %s", res.Error)
			}
			fmt.Fprintln(stderr)
			if res.HasCause {
				fmt.Fprintf(stderr, "cause: %s\n", res.Cause)
			}
		}
	}
	if res.Status == engine.StatusSucceeded {
		return 0
	}
	return 1
}

func nullable(s string, ok bool) any {
	if !ok {
		return nil
	}
	return s
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
