package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/internal/sampledata"
)

// Seed 003's walkthrough (seeds/003, "SageMaker ML Workflows with Step Functions"),
// command by command, through `stepwise server`. testdata/seed003-walkthrough holds
// its shell blocks verbatim, one file each; the test runs them in order with bash,
// changed only by the endpoint (an `aws` first in PATH that adds --endpoint-url) and
// by the data being generated here instead of downloaded. Where the walkthrough fails
// on AWS, the test expects AWS's failure, in the words the aws CLI prints, then fixes
// one thing at a time to reach the next failure; examples/seed003-corrected is the
// whole walkthrough corrected, which the test runs last, to an endpoint that answers
// and a cleanup that leaves nothing behind.

// walkthrough runs a walkthrough's shell blocks in one working directory, carrying
// the shell variables from one block to the next as a reader's terminal would.
type walkthrough struct {
	t     *testing.T
	dir   string   // the reader's working directory
	state string   // the exported variables after the last block
	env   []string // the client environment, with the wrappers first in PATH
}

// newWalkthrough prepares the wrappers: `aws` adds --endpoint-url (the aws CLI v1
// ignores AWS_ENDPOINT_URL); `python` is the clients' python3 (pyenv's shim needs a
// HOME the isolated environment does not have); `sleep` waits half a second, whatever
// the walkthrough asks (its `sleep 15` waits for IAM to propagate, its `sleep 30`
// paces the monitoring loop, which polls the server).
func newWalkthrough(t *testing.T, url string) *walkthrough {
	t.Helper()
	needTool(t, "aws")
	needTool(t, "python3")
	for _, tool := range []string{"bash", "zip"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}
	bin := t.TempDir()
	wrappers := map[string]string{
		"aws":    "#!/bin/sh\nexec '" + toolPath("aws") + "' --endpoint-url '" + url + "' \"$@\"\n",
		"python": "#!/bin/sh\nexec '" + toolPath("python3") + "' \"$@\"\n",
		"sleep":  "#!/bin/sh\nexec /bin/sleep 0.5\n",
	}
	for name, text := range wrappers {
		if err := os.WriteFile(filepath.Join(bin, name), []byte(text), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// The reader's aws CLI is configured (the walkthrough's prerequisite 2): its
	// first command reads the region from the config file.
	config := filepath.Join(bin, "config")
	if err := os.WriteFile(config, []byte("[default]\nregion = "+region+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := clientEnv(t)
	for i, kv := range env {
		switch {
		case strings.HasPrefix(kv, "PATH="):
			env[i] = "PATH=" + bin + ":" + strings.TrimPrefix(kv, "PATH=")
		case strings.HasPrefix(kv, "AWS_CONFIG_FILE="):
			env[i] = "AWS_CONFIG_FILE=" + config
		}
	}
	return &walkthrough{t: t, dir: t.TempDir(), state: filepath.Join(t.TempDir(), "state"), env: env}
}

// block runs one block of testdata/seed003-walkthrough, with the replacements given
// in old, new pairs, and returns what it printed.
func (w *walkthrough) block(name string, replace ...string) (stdout, stderr string) {
	w.t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "seed003-walkthrough", name+".sh"))
	if err != nil {
		w.t.Fatal(err)
	}
	text := string(b)
	for i := 0; i+1 < len(replace); i += 2 {
		if !strings.Contains(text, replace[i]) {
			w.t.Fatalf("%s has no %q", name, replace[i])
		}
		text = strings.ReplaceAll(text, replace[i], replace[i+1])
	}
	return w.bash(name, text)
}

// bash runs a script in the working directory with the variables of the blocks run
// before, and keeps its variables for the next.
func (w *walkthrough) bash(name, text string) (stdout, stderr string) {
	w.t.Helper()
	script := "set -a\n[ -f '" + w.state + "' ] && . '" + w.state + "'\n" + text + "\nexport -p > '" + w.state + "'\n"
	ctx, cancel := context.WithTimeout(w.t.Context(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", script)
	cmd.Dir, cmd.Env = w.dir, w.env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		w.t.Fatalf("%s: %v\nstdout: %s\nstderr: %s", name, err, out.String(), errb.String())
	}
	w.t.Logf("%s:\n%s%s", name, out.String(), errb.String())
	return out.String(), errb.String()
}

// ok runs a block that must print nothing on stderr (the aws CLI prints its errors
// there, and nothing else).
func (w *walkthrough) ok(name string, replace ...string) string {
	w.t.Helper()
	stdout, stderr := w.block(name, replace...)
	if stderr != "" {
		w.t.Fatalf("%s: stderr: %s", name, stderr)
	}
	return stdout
}

// v returns a shell variable as the last block left it.
func (w *walkthrough) v(name string) string {
	w.t.Helper()
	out, err := exec.Command("bash", "-c", ". '"+w.state+"' && printf %s \"$"+name+"\"").Output()
	if err != nil {
		w.t.Fatal(err)
	}
	return string(out)
}

// file reads a file of the working directory.
func (w *walkthrough) file(name string) []byte {
	w.t.Helper()
	b, err := os.ReadFile(filepath.Join(w.dir, name))
	if err != nil {
		w.t.Fatal(err)
	}
	return b
}

func (w *walkthrough) writeFile(name string, b []byte) {
	w.t.Helper()
	if err := os.WriteFile(filepath.Join(w.dir, name), b, 0o644); err != nil {
		w.t.Fatal(err)
	}
}

// The walkthrough's generate_sample_data.py downloads scikit-learn's California
// housing set; the test writes the same shape of data instead.
const seed003Generate = "python generate_sample_data.py"

func TestSeed003Walkthrough(t *testing.T) {
	needJobPython(t)
	srv := startServer(t, t.TempDir())
	w := newWalkthrough(t, srv.URL)
	aws := newCLI(t, srv.URL)

	// Preparation and steps 1 to 8 run as written. The encryption command is refused
	// by the aws CLI itself (v1 and v2 alike): its shorthand has ':' where the syntax
	// wants '=' (Rules=[{ApplyServerSideEncryptionByDefault={SSEAlgorithm=AES256}}]).
	// Nothing else depends on it: S3 encrypts new objects with SSE-S3 anyway.
	_, stderr := w.block("00-preparation")
	if want := "\nError parsing parameter '--server-side-encryption-configuration': Expected: '=', received: '{' for input:\n"; !strings.HasPrefix(stderr, want) {
		t.Fatalf("put-bucket-encryption: %q, want %q", stderr, want)
	}
	suffix := w.v("RANDOM_SUFFIX")
	if len(suffix) != 6 || strings.Trim(suffix, "abcdefghijklmnopqrstuvwxyz0123456789") != "" {
		t.Fatalf("RANDOM_SUFFIX %q", suffix)
	}
	if w.v("AWS_REGION") != region || w.v("AWS_ACCOUNT_ID") != account {
		t.Fatalf("region %q account %q", w.v("AWS_REGION"), w.v("AWS_ACCOUNT_ID"))
	}
	bucket := w.v("S3_BUCKET_NAME")
	w.ok("01-sagemaker-role")
	if got, want := w.v("SAGEMAKER_ROLE_ARN"), "arn:aws:iam::"+account+":role/SageMakerMLPipelineRole-"+suffix; got != want {
		t.Fatalf("SAGEMAKER_ROLE_ARN %q, want %q", got, want)
	}
	w.ok("02-step-functions-role")
	if got, want := w.v("STEP_FUNCTIONS_ROLE_ARN"), "arn:aws:iam::"+account+":role/StepFunctionsMLRole-"+suffix; got != want {
		t.Fatalf("STEP_FUNCTIONS_ROLE_ARN %q, want %q", got, want)
	}
	w.writeFile("train.csv", sampledata.Housing(400, 1))
	w.writeFile("test.csv", sampledata.Housing(100, 2))
	w.ok("03-sample-data", seed003Generate, ": "+seed003Generate+" # generated by the test")
	w.ok("04-preprocessing-script")
	w.ok("05-training-script")
	w.ok("06-inference-script")
	w.ok("07-state-machine-definition")
	w.ok("08-evaluate-lambda")
	if got, want := w.v("LAMBDA_ROLE_ARN"), "arn:aws:iam::"+account+":role/LambdaEvaluateModelRole"; got != want {
		t.Fatalf("LAMBDA_ROLE_ARN %q, want %q", got, want)
	}
	var fn struct{ Configuration struct{ Runtime, Handler, State string } }
	aws.ok(&fn, "lambda", "get-function", "--function-name", "EvaluateModel")
	if fn.Configuration.Handler != "evaluate_model.lambda_handler" || fn.Configuration.State != "Active" {
		t.Fatalf("EvaluateModel: %+v", fn)
	}

	// Step 9: CreateStateMachine refuses the definition, its Succeed state has a Result.
	_, stderr = w.block("09-create-state-machine")
	t.Logf("bucket %s: %s", bucket, stderr)
	_, stderr = w.block("10-start-execution")
	t.Log(stderr)
}
