package e2e

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/internal/sampledata"
	"github.com/stepwise-dev/stepwise/jsonv"
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
	var fn struct {
		Configuration struct{ Runtime, Handler, State string }
	}
	aws.ok(&fn, "lambda", "get-function", "--function-name", "EvaluateModel")
	if fn.Configuration.Handler != "evaluate_model.lambda_handler" || fn.Configuration.State != "Active" {
		t.Fatalf("EvaluateModel: %+v", fn)
	}

	// Step 9: CreateStateMachine refuses the definition: a Succeed state has no Result
	// field. The block goes on, and STATE_MACHINE_ARN is empty.
	_, stderr = w.block("09-create-state-machine")
	if want := "\nAn error occurred (InvalidDefinition) when calling the CreateStateMachine operation: Invalid State Machine Definition: " +
		"'SCHEMA_VALIDATION_FAILED: Field 'Result' is not supported at /States/MLPipelineComplete'\n"; stderr != want {
		t.Fatalf("create-state-machine: %q, want %q", stderr, want)
	}
	if arn := w.v("STATE_MACHINE_ARN"); arn != "" {
		t.Fatalf("STATE_MACHINE_ARN %q", arn)
	}
	// Step 10 then passes the empty ARN unquoted: the aws CLI takes --name for its value
	// and refuses the command. (Step 11 would poll an empty ARN for its 30 minutes.)
	_, stderr = w.block("10-start-execution")
	if !strings.HasSuffix(stderr, "\naws: error: argument --state-machine-arn: expected one argument\n") || w.v("EXECUTION_ARN") != "" {
		t.Fatalf("start-execution: %q", stderr)
	}

	// Fixed one at a time, the definition meets AWS's next refusal each time. Each
	// attempt is a state machine of its own, created, started and monitored by blocks 9
	// to 11 as written.
	attempt := func(fixes int) (status, errName, cause string) {
		t.Helper()
		w.writeFile("ml-pipeline-state-machine.json", seed003Fixed(t, w.file("ml-pipeline-state-machine.json"), fixes))
		w.bash("rename", fmt.Sprintf("ML_PIPELINE_NAME=ml-pipeline-${RANDOM_SUFFIX}-fix%d", fixes))
		w.ok("09-create-state-machine")
		w.ok("10-start-execution")
		w.ok("11-monitor")
		var d struct{ Status, Error, Cause string }
		aws.ok(&d, "stepfunctions", "describe-execution", "--execution-arn", w.v("EXECUTION_ARN"))
		return d.Status, d.Error, d.Cause
	}
	// 1. Without the Result, the machine is created; the processing task's
	// ProcessingOutputs is not a field of CreateProcessingJob (its outputs go in
	// ProcessingOutputConfig.Outputs): Step Functions fails the execution with
	// States.Runtime, which no Catch catches, before any job exists.
	status, errName, cause := attempt(1)
	if status != "FAILED" || errName != "States.Runtime" ||
		!strings.Contains(cause, `could not be used to start the Task: [The field "ProcessingOutputs" is not supported by Step Functions]`) {
		t.Fatalf("fix 1: %s %s %s", status, errName, cause)
	}
	// 2. With the outputs where the API has them, the processing job runs, and its
	// result (DataPreprocessing has no ResultPath) replaces the state's data: ModelTraining
	// finds no $.TrainingJobName.
	status, errName, cause = attempt(2)
	if status != "FAILED" || errName != "States.Runtime" ||
		!strings.Contains(cause, `The JSONPath '$.TrainingJobName' specified for the field 'TrainingJobName.$' could not be found in the input '{"ProcessingInputs"`) {
		t.Fatalf("fix 2: %s %s %s", status, errName, cause)
	}
	// 3. With a ResultPath, both jobs run the walkthrough's scripts. ModelTraining has
	// no ResultPath either, but DescribeTrainingJob's reply happens to hold the
	// TrainingJobName that EvaluateModel wants. The function looks for
	// model-artifacts/<job>/output/evaluation.json, which SageMaker never writes (what
	// training.py puts in SM_OUTPUT_DATA_DIR is uploaded as output/output.tar.gz), and
	// answers its fail-safe test_r2 of 0: the Choice refuses the model.
	status, errName, cause = attempt(3)
	if status != "FAILED" || errName != "ModelPerformanceInsufficient" || cause != "Model performance does not meet the required threshold (RÂ² > 0.7)" {
		t.Fatalf("fix 3: %s %s %s\nserver log: %s", status, errName, cause, srv.log)
	}
	training := w.v("TRAINING_JOB_NAME")
	var evaluation struct {
		Payload struct {
			Error  string  `json:"error"`
			TestR2 float64 `json:"test_r2"`
		}
	}
	if out := seed003TaskOutput(t, aws, w.v("EXECUTION_ARN"), "ModelEvaluation"); json.Unmarshal([]byte(out), &evaluation) != nil ||
		evaluation.Payload.Error != "Failed to retrieve evaluation metrics: NoSuchKey" || evaluation.Payload.TestR2 != 0 {
		t.Fatalf("EvaluateModel's result: %s", out)
	}
	// The metrics are in the training's output.tar.gz, and would not pass anyway:
	// training.py scores the model, fitted on scaled features, on raw-data/test.csv,
	// which preprocessing.py never scaled.
	outputTarGz := filepath.Join(t.TempDir(), "output.tar.gz")
	aws.ok(nil, "s3", "cp", "s3://"+bucket+"/model-artifacts/"+training+"/output/output.tar.gz", outputTarGz)
	var metrics struct {
		TestR2  float64 `json:"test_r2"`
		TrainR2 float64 `json:"train_r2"`
	}
	if b := tarGzMember(t, outputTarGz, "evaluation.json"); json.Unmarshal(b, &metrics) != nil || metrics.TestR2 >= 0.7 || metrics.TrainR2 < 0.7 {
		t.Fatalf("evaluation.json: %s", b)
	}

	// Step 12 and the validation, as written, after that execution: no endpoint, and
	// no evaluation.json where the walkthrough copies it from.
	endpoint := w.v("ENDPOINT_NAME")
	endpointARN := "arn:aws:sagemaker:" + region + ":" + account + ":endpoint/" + endpoint
	_, stderr = w.block("12-test-endpoint")
	seed003Stderr(t, "12-test-endpoint", stderr,
		"\nAn error occurred (ValidationError) when calling the InvokeEndpoint operation: Endpoint "+endpoint+" of account "+account+" not found.\n"+
			"cat: prediction-output.json: No such file or directory\n"+
			"Expecting value: line 1 column 1 (char 0)\n"+
			"\nAn error occurred (ValidationException) when calling the DescribeEndpoint operation: Could not find endpoint \""+endpointARN+"\".\n")
	if out := w.ok("v1-list-executions"); !strings.Contains(out, "|  "+w.v("EXECUTION_ARN")[strings.LastIndexByte(w.v("EXECUTION_ARN"), ':')+1:]+" |  FAILED |") {
		t.Fatalf("list-executions: %s", out)
	}
	if out := w.ok("v2-s3-artifacts"); !strings.Contains(out, " model-artifacts/"+training+"/output/model.tar.gz\n") ||
		!strings.Contains(out, " model-artifacts/"+training+"/output/output.tar.gz\n") || !strings.Contains(out, " train_processed.csv\n") ||
		!strings.Contains(out, " scaler.pkl\n") || !strings.Contains(out, " training.py\n") {
		t.Fatalf("s3 ls: %s", out)
	}
	_, stderr = w.block("v3-describe-endpoint")
	seed003Stderr(t, "v3-describe-endpoint", stderr,
		"\nAn error occurred (ValidationException) when calling the DescribeEndpoint operation: Could not find endpoint \""+endpointARN+"\".\n")
	_, stderr = w.block("v4-evaluation-metrics")
	if want := "fatal error: An error occurred (404) when calling the HeadObject operation: Key \"model-artifacts/" + training +
		"/output/evaluation.json\" does not exist\ncat: evaluation.json: No such file or directory\nTraceback (most recent call last):\n"; !strings.HasPrefix(stderr, want) ||
		!strings.HasSuffix(stderr, "json.decoder.JSONDecodeError: Expecting value: line 1 column 1 (char 0)\n") {
		t.Fatalf("v4-evaluation-metrics: %q, want %q...", stderr, want)
	}

	// 4. With the function reading output.tar.gz and the test set scaled (the corrected
	// lambda_function.py, training.py and inference.py), the model passes the Choice;
	// ModelTraining's result (no ResultPath) has replaced the input: no $.ModelName.
	// 5. to 7. The same for CreateModel's and CreateEndpointConfig's results.
	corrected := filepath.Join("..", "examples", "seed003-corrected")
	for _, f := range []string{"training.py", "inference.py"} {
		aws.ok(nil, "s3", "cp", filepath.Join(corrected, f), "s3://"+bucket+"/code/")
	}
	code, err := os.ReadFile(filepath.Join(corrected, "lambda_function.py"))
	if err != nil {
		t.Fatal(err)
	}
	w.writeFile("evaluate_model.py", code) // the function's handler stays evaluate_model.lambda_handler
	w.bash("update-function-code", "zip -q evaluate_model.zip evaluate_model.py && "+
		"aws lambda update-function-code --function-name EvaluateModel --zip-file fileb://evaluate_model.zip > /dev/null && "+
		"aws lambda wait function-updated --function-name EvaluateModel")
	var leftovers [][2]string // the models and endpoint configurations of attempts 5 and 6
	for _, c := range []struct {
		fixes        int
		state, field string
	}{{4, "CreateModel", "ModelName"}, {5, "CreateEndpointConfig", "EndpointConfigName"}, {6, "CreateEndpoint", "EndpointName"}} {
		fixes := c.fixes
		status, errName, cause = attempt(fixes)
		want := "An error occurred while executing the state '" + c.state + "' (entered at the event id #"
		want2 := "The JSONPath '$." + c.field + "' specified for the field '" + c.field + ".$' could not be found in the input '{"
		if status != "FAILED" || errName != "States.Runtime" || !strings.HasPrefix(cause, want) || !strings.Contains(cause, want2) {
			t.Fatalf("fix %d: %s %s %s", fixes, status, errName, cause)
		}
		if fixes >= 5 {
			leftovers = append(leftovers, [2]string{"model", w.v("MODEL_NAME")})
		}
		if fixes >= 6 {
			leftovers = append(leftovers, [2]string{"endpoint-config", w.v("ENDPOINT_CONFIG_NAME")})
		}
	}
	// 7. With every ResultPath, the execution succeeds as soon as CreateEndpoint returns,
	// the endpoint still Creating; it then fails: the walkthrough's
	// SAGEMAKER_SUBMIT_DIRECTORY, /opt/ml/code, is empty in the serving container.
	if status, errName, cause = attempt(7); status != "SUCCEEDED" {
		t.Fatalf("fix 7: %s %s %s\nserver log: %s", status, errName, cause, srv.log)
	}
	var ep struct{ EndpointStatus, FailureReason string }
	poll(t, 3*time.Minute, "the endpoint settles", func() bool {
		aws.ok(&ep, "sagemaker", "describe-endpoint", "--endpoint-name", w.v("ENDPOINT_NAME"))
		return ep.EndpointStatus != "Creating"
	})
	if ep.EndpointStatus != "Failed" || !strings.Contains(ep.FailureReason, "did not pass the ping health check") {
		t.Fatalf("fix 7's endpoint: %+v", ep)
	}

	// The cleanup, as written, deletes the last attempt's endpoint, configuration and
	// model, then what the walkthrough made. The test deletes its other attempts' state
	// machines, models and configurations first.
	for n := 1; n < 7; n++ {
		aws.ok(nil, "stepfunctions", "delete-state-machine", "--state-machine-arn", smARN(fmt.Sprintf("ml-pipeline-%s-fix%d", suffix, n)))
	}
	for _, l := range leftovers {
		aws.ok(nil, "sagemaker", "delete-"+l[0], "--"+l[0]+"-name", l[1])
	}
	for _, b := range []string{"c1-sagemaker", "c2-state-machine", "c3-lambda", "c4-iam", "c5-s3", "c6-local-files"} {
		w.ok(b)
	}
	if left, err := os.ReadDir(w.dir); err != nil || len(left) != 0 {
		t.Errorf("the walkthrough's last block left %v in its directory (%v)", left, err)
	}
	// What the walkthrough leaves: its log groups (Lambda and SageMaker write them, its
	// cleanup does not delete them), and the jobs' records, which AWS keeps too.
	seed003Gone(t, aws)
	var groups struct {
		LogGroups []struct{ LogGroupName string }
	}
	aws.ok(&groups, "logs", "describe-log-groups")
	var names []string
	for _, g := range groups.LogGroups {
		names = append(names, g.LogGroupName)
	}
	if got, want := strings.Join(names, " "), "/aws/lambda/EvaluateModel /aws/sagemaker/Endpoints/"+w.v("ENDPOINT_NAME")+
		" /aws/sagemaker/ProcessingJobs /aws/sagemaker/TrainingJobs"; got != want {
		t.Errorf("log groups left by the walkthrough: %s, want %s", got, want)
	}
	for _, g := range groups.LogGroups {
		aws.ok(nil, "logs", "delete-log-group", "--log-group-name", g.LogGroupName)
	}

	// The walkthrough corrected (examples/seed003-corrected/run.sh), through to an
	// endpoint that answers and a cleanup that leaves nothing.
	runCorrected(t, srv.URL)
	seed003Gone(t, aws)
	aws.ok(&groups, "logs", "describe-log-groups")
	if len(groups.LogGroups) != 0 {
		t.Errorf("log groups left by run.sh: %+v", groups)
	}
}

// seed003Stderr checks what a block printed on stderr.
func seed003Stderr(t *testing.T, block, got, want string) {
	t.Helper()
	if got != want {
		t.Fatalf("%s: stderr\n%q\nwant\n%q", block, got, want)
	}
}

// seed003Gone checks that nothing the walkthrough creates is left.
func seed003Gone(t *testing.T, aws *cli) {
	t.Helper()
	lists := []struct {
		args  []string
		field string
	}{
		{[]string{"stepfunctions", "list-state-machines"}, "stateMachines"},
		{[]string{"lambda", "list-functions"}, "Functions"},
		{[]string{"iam", "list-roles"}, "Roles"},
		{[]string{"iam", "list-policies", "--scope", "Local"}, "Policies"},
		{[]string{"s3api", "list-buckets"}, "Buckets"},
		{[]string{"sagemaker", "list-endpoints"}, "Endpoints"},
		{[]string{"sagemaker", "list-endpoint-configs"}, "EndpointConfigs"},
		{[]string{"sagemaker", "list-models"}, "Models"},
	}
	for _, l := range lists {
		var out map[string]json.RawMessage
		aws.ok(&out, l.args...)
		if s := string(out[l.field]); s != "" && s != "[]" && s != "null" {
			t.Errorf("%s: %s left: %s", strings.Join(l.args, " "), l.field, s)
		}
	}
}

// runCorrected runs examples/seed003-corrected/run.sh against the server and checks
// its prediction.
func runCorrected(t *testing.T, url string) {
	t.Helper()
	w := newWalkthrough(t, url)
	// run.sh adds --endpoint-url itself: its aws is the CLI, not the wrapper.
	bin := t.TempDir()
	if err := os.Symlink(toolPath("aws"), filepath.Join(bin, "aws")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(toolPath("python3"), filepath.Join(bin, "python3")); err != nil {
		t.Fatal(err)
	}
	env := append([]string{"STEPWISE_ENDPOINT=" + url}, w.env...)
	for i, kv := range env {
		if strings.HasPrefix(kv, "PATH=") {
			env[i] = "PATH=" + bin + ":" + strings.TrimPrefix(kv, "PATH=")
		}
	}
	script, err := filepath.Abs(filepath.Join("..", "examples", "seed003-corrected", "run.sh"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", script)
	cmd.Dir, cmd.Env = w.dir, env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	t.Logf("run.sh:\n%s\nstderr:\n%s", out.String(), errb.String())
	if err != nil {
		t.Fatalf("run.sh: %v", err)
	}
	stdout := out.String()
	for _, want := range []string{"✅ Pipeline execution completed successfully", "\"model_type\": \"RandomForestRegressor\"",
		"\nInService\t1\n", "Test R² Score: 0.", "✅ Walkthrough complete", "✅ Cleaned up"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("run.sh printed no %q", want)
		}
	}
	if strings.Contains(errb.String(), "An error occurred") || strings.Contains(errb.String(), "rror") {
		t.Errorf("run.sh: stderr: %s", errb.String())
	}
}

// tarGzMember returns one file of a .tar.gz.
func tarGzMember(t *testing.T, path, name string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err != nil {
			t.Fatalf("%s has no %s: %v", path, name, err)
		}
		if strings.TrimPrefix(h.Name, "./") == name {
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
	}
}

// seed003Fixed returns the walkthrough's definition with its first fixes applied, in
// the order the walkthrough meets them on AWS. Keys keep their order (jsonv), so the
// first missing path Step Functions reports is the walkthrough's.
func seed003Fixed(t *testing.T, definition []byte, fixes int) []byte {
	t.Helper()
	v, err := jsonv.Decode(definition)
	if err != nil {
		t.Fatal(err)
	}
	obj := func(o *jsonv.Object, k string) *jsonv.Object {
		x, _ := o.Get(k)
		return x.(*jsonv.Object)
	}
	states := obj(v.(*jsonv.Object), "States")
	state := func(name string) *jsonv.Object { return obj(states, name) }
	if fixes >= 1 {
		state("MLPipelineComplete").Delete("Result")
	}
	if fixes >= 2 {
		params := obj(state("DataPreprocessing"), "Parameters")
		if outputs, ok := params.Get("ProcessingOutputs"); ok {
			params.Delete("ProcessingOutputs")
			for _, o := range outputs.([]any) {
				obj(o.(*jsonv.Object), "S3Output").Set("S3UploadMode", "EndOfJob")
			}
			params.Set("ProcessingOutputConfig", jsonv.ObjectOf("Outputs", outputs))
		}
	}
	if fixes >= 3 {
		state("DataPreprocessing").Set("ResultPath", "$.PreprocessingResult")
	}
	// 4 changes the function and the scripts, not the definition.
	if fixes >= 5 {
		state("ModelTraining").Set("ResultPath", "$.TrainingResult")
	}
	if fixes >= 6 {
		state("CreateModel").Set("ResultPath", "$.ModelResult")
	}
	if fixes >= 7 {
		state("CreateEndpointConfig").Set("ResultPath", "$.EndpointConfigResult")
	}
	return []byte(jsonv.Indent(v))
}

// seed003TaskOutput returns the output of the task state's TaskSucceeded event.
func seed003TaskOutput(t *testing.T, aws *cli, arn, state string) string {
	t.Helper()
	var h struct {
		Events []struct {
			Type                      string
			StateEnteredEventDetails  struct{ Name string }
			TaskSucceededEventDetails struct{ Output string }
		}
	}
	aws.ok(&h, "stepfunctions", "get-execution-history", "--execution-arn", arn)
	in := false
	for _, e := range h.Events {
		switch e.Type {
		case "TaskStateEntered":
			in = e.StateEnteredEventDetails.Name == state
		case "TaskSucceeded":
			if in {
				return e.TaskSucceededEventDetails.Output
			}
		}
	}
	t.Fatalf("%s: no TaskSucceeded for %s", arn, state)
	return ""
}
