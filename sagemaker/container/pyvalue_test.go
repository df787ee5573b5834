package container

import (
	"encoding/json"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// The example of the brief, checked by hand against mapping.to_cmd_args and
// mapping.to_env_vars.
func TestHyperParameterArgsGolden(t *testing.T) {
	t.Parallel()
	hps := map[string]string{
		"epochs": "5", "lr": "0.1", "sagemaker_program": `"train.py"`,
		"flag": "true", "layers": "[1,2]", "name": "abc",
	}
	want := []string{"--epochs", "5", "--flag", "True", "--layers", "[1, 2]", "--lr", "0.1", "--name", "abc"}
	if got := HyperParameterArgs(hps); !slices.Equal(got, want) {
		t.Fatalf("args = %q, want %q", got, want)
	}
	user, _ := splitHyperparameters(hps)
	if got, want := pyJSONDumps(user), `{"epochs":5,"flag":true,"layers":[1,2],"lr":0.1,"name":"abc"}`; got != want {
		t.Fatalf("SM_HPS = %s, want %s", got, want)
	}
}

// Values whose Python renderings were worked out by hand: str() for the command line,
// json.dumps(sort_keys, compact, ensure_ascii) for SM_HP_*.
func TestPythonRenderings(t *testing.T) {
	t.Parallel()
	cases := []struct{ raw, arg, env string }{
		{"5", "5", "5"},
		{" 5 ", "5", "5"},
		{"01", "01", "01"}, // not JSON: kept raw
		{"1.", "1.", "1."},
		{"abc", "abc", "abc"},
		{`"abc"`, "abc", "abc"},
		{"true", "True", "true"},
		{"false", "False", "false"},
		{"null", "", ""},
		{"1e-5", "1e-05", "1e-05"},
		{"2.5e-5", "2.5e-05", "2.5e-05"},
		{"1E16", "1e+16", "1e+16"},
		{"1234567890123456.0", "1234567890123456.0", "1234567890123456.0"},
		{"12345678901234567.0", "1.2345678901234568e+16", "1.2345678901234568e+16"},
		{"100.0", "100.0", "100.0"},
		{"0.0001", "0.0001", "0.0001"},
		{"0.00001", "1e-05", "1e-05"},
		{"0.30000000000000004", "0.30000000000000004", "0.30000000000000004"},
		{"-0.0", "-0.0", "-0.0"},
		{"1e400", "inf", "Infinity"},
		{"NaN", "nan", "NaN"},
		{"-Infinity", "-inf", "-Infinity"},
		{"123456789012345678901234567890", "123456789012345678901234567890", "123456789012345678901234567890"},
		{`["a", "it's"]`, `['a', "it's"]`, `["a","it's"]`},
		{`["say \"hi\" it's"]`, `['say "hi" it\'s']`, `["say \"hi\" it's"]`},
		{`{"b": 1, "a": [true, null]}`, "a=[True, None],b=1", `{"a":[true,null],"b":1}`},
		{`[{"x": "y", "a": 1.0}]`, `[{'x': 'y', 'a': 1.0}]`, `[{"a":1.0,"x":"y"}]`},
		{`"café"`, "café", "café"},
		{`["café", "\u0007", "\t"]`, `['café', '\x07', '\t']`, `["caf\u00e9","\u0007","\t"]`},
		{`{"k": "v\u00e9"}`, "k=vé", `{"k":"v\u00e9"}`},
		{`["\ud83d\ude00"]`, "['😀']", `["\ud83d\ude00"]`},
		{`{"a": 1, "a": 2}`, "a=2", `{"a":2}`},
		{`[1, 2,]`, `[1, 2,]`, `[1, 2,]`},
		{"[]", "[]", "[]"},
		{"{}", "", "{}"},
	}
	for _, c := range cases {
		v := decodeHyperparameter(c.raw)
		if got := cmdArgValue(v); got != c.arg {
			t.Errorf("%s: arg = %q, want %q", c.raw, got, c.arg)
		}
		env := ""
		switch v.kind {
		case pyStr:
			env = v.s
		case pyNone:
		default:
			env = pyJSONDumps(v)
		}
		if env != c.env {
			t.Errorf("%s: env = %q, want %q", c.raw, env, c.env)
		}
	}
}

func TestCmdArgNames(t *testing.T) {
	t.Parallel()
	got := HyperParameterArgs(map[string]string{"k": "1", "learning-rate": "0.1", "_tuning_objective_metric": "x", "sagemaker_other": "1"})
	want := []string{"-k", "1", "--learning-rate", "0.1"}
	if !slices.Equal(got, want) {
		t.Fatalf("args = %q, want %q", got, want)
	}
}

// A differential check against the Python on the machine: its json.loads, str() and
// json.dumps are what the toolkit calls.
func TestPythonRenderingsAgainstPython(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat(DefaultPython); err != nil {
		t.Skip("no " + DefaultPython)
	}
	inputs := []string{
		"5", "-7", "0", "3.14159", "1e-7", "1e21", "123.456e5", "9007199254740993", "1.7976931348623157e308",
		"5e-324", "true", "null", `"x"`, `["a", 1, 2.5, null, false, {"z": [1e-9]}]`,
		`{"é": "\u00e9\u0001", "b": {"y": 1, "x": 2}}`, `["\\", "'", "\"", "a'b\"c"]`,
		`["\u2028", "\u00a0", "\u0378", "\ud800"]`, "NaN", "Infinity", "abc def", "",
		"[1, [2, [3, {\"k\": []}]]]", "1.0e+3", "-0", "0.1e1", "4.35",
	}
	script := `
import json, sys
out = []
for raw in json.load(sys.stdin):
    try:
        v = json.loads(raw)
    except (ValueError, TypeError):
        v = raw
    if v is None:
        arg = ""
    elif hasattr(v, "items"):
        arg = ",".join("%s=%s" % (k, x) for k, x in sorted(v.items()))
    else:
        arg = str(v)
    if v is None:
        env = ""
    elif isinstance(v, str):
        env = v
    else:
        env = json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    out.append([arg, env])
json.dump(out, sys.stdout)
`
	in, _ := json.Marshal(inputs)
	cmd := exec.Command(DefaultPython, "-c", script)
	cmd.Stdin = strings.NewReader(string(in))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python: %v", err)
	}
	var want [][2]string
	if err := json.Unmarshal(out, &want); err != nil {
		t.Fatal(err)
	}
	for i, raw := range inputs {
		if strings.Contains(raw, `\ud800`) {
			continue // a lone surrogate cannot be a Go string
		}
		v := decodeHyperparameter(raw)
		env := ""
		switch v.kind {
		case pyStr:
			env = v.s
		case pyNone:
		default:
			env = pyJSONDumps(v)
		}
		if got := cmdArgValue(v); got != want[i][0] {
			t.Errorf("%q: arg = %q, python says %q", raw, got, want[i][0])
		}
		if env != want[i][1] {
			t.Errorf("%q: env = %q, python says %q", raw, env, want[i][1])
		}
	}
}

func FuzzHyperParameterValue(f *testing.F) {
	for _, s := range []string{"5", "true", `[1,"a",{"b":null}]`, "1e-5", `"x\u00e9"`, "NaN", "01", "{", `{"a":[1,2]}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v := decodeHyperparameter(raw)
		_ = cmdArgValue(v)
		_ = v.repr()
		out := pyJSONDumps(v)
		// Standard JSON input must decode, and what we dump must be standard JSON
		// unless it holds NaN or an infinity.
		if _, ok := pyJSONLoads(raw); !ok && json.Valid([]byte(raw)) && strings.Count(raw, "[")+strings.Count(raw, "{") < maxJSONDepth {
			t.Fatalf("%q is JSON but was kept raw", raw)
		}
		if !strings.Contains(out, "NaN") && !strings.Contains(out, "Infinity") && !json.Valid([]byte(out)) {
			t.Fatalf("dumps(%q) = %q is not JSON", raw, out)
		}
		if got := HyperParameterArgs(map[string]string{"x": raw}); len(got) != 2 || got[0] != "-x" {
			t.Fatalf("args = %q", got)
		}
	})
}
