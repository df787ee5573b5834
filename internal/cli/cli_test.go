package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stepwise-dev/stepwise/jsonv"
)

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func write(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRunExamplePipelineWithMocks(t *testing.T) {
	t.Parallel()
	code, out, errb := runCLI(t, "run", "../../examples/pipeline/pipeline.asl.json",
		"--input-file", "../../examples/pipeline/input.json",
		"--mock-config", "../../examples/pipeline/mocks.json", "--test-case", "HappyPath", "--time-scale", "0")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb)
	}
	v, err := jsonv.DecodeString(out)
	if err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	want := jsonv.MustDecode(`{"model":"arn:aws:sagemaker:us-east-1:123456789012:model/random-forest-model","notification":"5f0a3c2e-8c7b-4d8e-9a55-1f1e2d3c4b5a"}`)
	if !jsonv.Equal(v, want) {
		t.Fatalf("output %s", out)
	}
	for _, s := range []string{"ValidateData", "TaskFailed Lambda.TooManyRequestsException", "TrainCandidates", "Deploy"} {
		if !strings.Contains(errb, s) {
			t.Errorf("progress lacks %q:\n%s", s, errb)
		}
	}
}

func TestRunFailureExitsNonZeroWithErrorAndCause(t *testing.T) {
	t.Parallel()
	code, _, errb := runCLI(t, "run", "../../examples/pipeline/pipeline.asl.json",
		"--input-file", "../../examples/pipeline/input.json",
		"--mock-config", "../../examples/pipeline/mocks.json", "--test-case", "BadData")
	if code != 1 || !strings.Contains(errb, "DataValidationFailed") || !strings.Contains(errb, "too small") {
		t.Fatalf("exit %d: %s", code, errb)
	}
}

func TestRunJSONOutput(t *testing.T) {
	t.Parallel()
	def := write(t, "m.asl.json", `{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"sum.$":"States.MathAdd($.a, 2)"},"End":true}}}`)
	// Flags may stand before and after the file.
	code, out, _ := runCLI(t, "run", "--output", "json", def, "--input", `{"a":40}`)
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	want := `{"status":"SUCCEEDED","output":{"sum":42},"error":null,"cause":null,"history_event_types":["ExecutionStarted","PassStateEntered","PassStateExited","ExecutionSucceeded"]}`
	if strings.TrimSpace(out) != want {
		t.Fatalf("got %s", out)
	}
}

func TestRunInvalidDefinition(t *testing.T) {
	t.Parallel()
	def := write(t, "bad.json", `{"StartAt":"A","States":{"A":{"Type":"Pass"}}}`)
	code, out, _ := runCLI(t, "run", def, "--output", "json")
	if code != 1 || !strings.Contains(out, `"status":"INVALID_DEFINITION"`) {
		t.Fatalf("exit %d: %s", code, out)
	}
}

func TestRunBadArguments(t *testing.T) {
	t.Parallel()
	def := write(t, "m.json", `{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}`)
	for _, args := range [][]string{
		{"run"},
		{"run", def, "--input", "{"},
		{"run", def, "--input", "{}", "--input-file", "x"},
		{"run", def, "--mock-config", "/does/not/exist", "--test-case", "x"},
		{"run", "/does/not/exist.json"},
		{"nonsense"},
	} {
		if code, _, _ := runCLI(t, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}

func TestValidateListsEveryProblem(t *testing.T) {
	t.Parallel()
	good := write(t, "good.json", `{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}`)
	bad := write(t, "bad.json", `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"X","Foo":1},"B":{"Type":"Wait","End":true}}}`)
	code, out, _ := runCLI(t, "validate", good, bad)
	if code != 1 {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(out, good+": valid") {
		t.Errorf("good file not reported valid:\n%s", out)
	}
	lines := strings.Count(out, bad+":")
	if lines < 3 {
		t.Errorf("want every problem of bad.json (unsupported field, missing target, wait fields...), got:\n%s", out)
	}
}

func TestTimeScaleShortensRetryWaits(t *testing.T) {
	t.Parallel()
	def := write(t, "retry.json", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:f",
		"Retry":[{"ErrorEquals":["States.ALL"],"IntervalSeconds":1000,"MaxAttempts":1}],"End":true}}}`)
	mocks := write(t, "mocks.json", `{"StateMachines":{"retry":{"TestCases":{"T":{"T":"R"}}}},"MockedResponses":{"R":{"0":{"Throw":{"Error":"E","Cause":"c"}},"1":{"Return":{"ok":1}}}}}`)
	// 1000 s of back-off scaled to 1 ms: the test ends at once or not at all.
	code, out, errb := runCLI(t, "run", def, "--mock-config", mocks, "--test-case", "T", "--time-scale", "0.000001", "--output", "json")
	if code != 0 || !strings.Contains(out, `"output":{"ok":1}`) {
		t.Fatalf("exit %d: %s %s", code, out, errb)
	}
}
