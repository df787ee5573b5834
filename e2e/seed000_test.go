package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/internal/sampledata"
)

// Seed 000 (processing, XGBoost training, CreateModel, a file-size Choice, batch
// transform) through `stepwise server` with the aws CLI. Its fragments are put
// together in testdata/seed000-ml-workflow.asl.json; its scripts are in
// testdata/seed000.

// seed000Definition is the assembled state machine; sync is the suffix its SageMaker
// tasks get (the seed writes .sync:2).
func seed000Definition(t *testing.T, sync string, mutate func(states map[string]any)) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "seed000-ml-workflow.asl.json"))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(b), ".sync:2\"", sync+"\"")
	var def map[string]any
	if err := json.Unmarshal([]byte(text), &def); err != nil {
		t.Fatal(err)
	}
	if mutate != nil {
		mutate(def["States"].(map[string]any))
	}
	out, _ := json.Marshal(def)
	return string(out)
}

func needXGBoostPython(t *testing.T) {
	t.Helper()
	if out, err := exec.Command("/usr/bin/python3", "-c", "import xgboost, numpy").CombinedOutput(); err != nil {
		t.Skipf("Debian's python3 lacks xgboost (make deps): %v %s", err, out)
	}
}

func TestSeed000Workflow(t *testing.T) {
	needXGBoostPython(t)
	srv := startServer(t, t.TempDir())
	aws := newCLI(t, srv.URL)
	const stepRole = "arn:aws:iam::123456789012:role/StepFunctionsRole"

	aws.ok(nil, "s3", "mb", "s3://my-bucket")
	aws.ok(nil, "s3", "cp", writeTemp(t, "housing.csv", sampledata.Housing(1500, 7)), "s3://my-bucket/step-functions/raw/housing.csv")
	for _, f := range []string{"processing_script.py", "check_file_size.py"} {
		aws.ok(nil, "s3", "cp", filepath.Join("testdata", "seed000", f), "s3://my-bucket/step-functions/code/"+f)
	}

	// As the seed writes it, with .sync:2 on SageMaker tasks: refused at creation, as
	// AWS refuses it (SageMaker's integrations have .sync only).
	msg := aws.fails("InvalidDefinition", "stepfunctions", "create-state-machine", "--name", "seed000-sync2",
		"--definition", seed000Definition(t, ".sync:2", nil), "--role-arn", stepRole)
	if !strings.Contains(msg, "arn:aws:states:::sagemaker:createProcessingJob.sync:2") {
		t.Fatalf("create-state-machine with .sync:2: %s", msg)
	}

	run := func(name, def, input string) map[string]any {
		t.Helper()
		var sm struct{ StateMachineArn string }
		aws.ok(&sm, "stepfunctions", "create-state-machine", "--name", name, "--definition", def, "--role-arn", stepRole)
		var ex struct{ ExecutionArn string }
		aws.ok(&ex, "stepfunctions", "start-execution", "--state-machine-arn", sm.StateMachineArn, "--name", name+"-run", "--input", input)
		deadline := time.Now().Add(8 * time.Minute)
		for {
			var d map[string]any
			aws.ok(&d, "stepfunctions", "describe-execution", "--execution-arn", ex.ExecutionArn)
			if d["status"] != "RUNNING" {
				return d
			}
			if time.Now().After(deadline) {
				t.Fatalf("execution still running after 8 minutes: %v\n%s", d, srv.log)
			}
			time.Sleep(250 * time.Millisecond) // the server runs the jobs in its own processes
		}
	}
	input := `{"raw_data_uri":"s3://my-bucket/step-functions/raw/","train_data_uri":"s3://my-bucket/step-functions/train/","test_data_uri":"s3://my-bucket/step-functions/test/"}`

	// The training fragment has no RoleArn, which CreateTrainingJob requires: the
	// execution fails at TrainModel, after the processing job ran, as on AWS.
	d := run("seed000-no-role", seed000Definition(t, ".sync", func(states map[string]any) {
		delete(states["TrainModel"].(map[string]any)["Parameters"].(map[string]any), "RoleArn")
	}), input)
	if d["status"] != "FAILED" || d["error"] != "SageMaker.AmazonSageMakerException" || !strings.Contains(d["cause"].(string), "roleArn") {
		t.Fatalf("without RoleArn: %v", d)
	}

	// With .sync, the whole workflow: the test file is small, so DirectInfer sends it
	// whole to the model.
	d = run("seed000", seed000Definition(t, ".sync", nil), input)
	if d["status"] != "SUCCEEDED" {
		t.Fatalf("seed 000: %v\nserver log: %s", d, srv.log)
	}
	var out map[string]any
	if err := json.Unmarshal([]byte(d["output"].(string)), &out); err != nil {
		t.Fatal(err)
	}
	if out["TransformJobStatus"] != "Completed" || out["TransformJobName"] != "transform-seed000-run" {
		t.Fatalf("output: %v", out)
	}
	var tj struct {
		TransformJobStatus string
		TransformInput     struct{ SplitType string }
	}
	aws.ok(&tj, "sagemaker", "describe-transform-job", "--transform-job-name", "transform-seed000-run")
	if tj.TransformJobStatus != "Completed" || tj.TransformInput.SplitType != "None" {
		t.Fatalf("transform job: %+v", tj)
	}
	var proc struct{ ExitMessage string }
	aws.ok(&proc, "sagemaker", "describe-processing-job", "--processing-job-name", "check-file-size-seed000-run")
	if !strings.HasPrefix(proc.ExitMessage, `{"size_mb": 0.`) {
		t.Fatalf("check_file_size: %+v", proc)
	}

	dir := t.TempDir()
	aws.ok(nil, "s3", "cp", "s3://my-bucket/step-functions/test/test.csv", filepath.Join(dir, "test.csv"))
	aws.ok(nil, "s3", "cp", "s3://my-bucket/step-functions/output/test.csv.out", filepath.Join(dir, "test.csv.out"))
	test, _ := os.ReadFile(filepath.Join(dir, "test.csv"))
	preds, _ := os.ReadFile(filepath.Join(dir, "test.csv.out"))
	rows := strings.Split(strings.TrimSpace(string(test)), "\n")
	lines := strings.Split(strings.TrimSpace(string(preds)), "\n")
	if len(rows) != 300 || len(lines) != len(rows) {
		t.Fatalf("%d predictions for %d test rows", len(lines), len(rows))
	}
	for i, l := range lines {
		if v, err := strconv.ParseFloat(l, 64); err != nil || v < -1 || v > 10 {
			t.Fatalf("prediction %d: %q", i, l)
		}
	}

	// Bad input through the CLI: a transform job of a model that does not exist.
	msg = aws.fails("ValidationException", "sagemaker", "create-transform-job", "--transform-job-name", "no-model",
		"--model-name", "nope", "--transform-input", `{"DataSource":{"S3DataSource":{"S3DataType":"S3Prefix","S3Uri":"s3://my-bucket/step-functions/test/"}}}`,
		"--transform-output", `{"S3OutputPath":"s3://my-bucket/x/"}`, "--transform-resources", `{"InstanceType":"ml.m5.large","InstanceCount":1}`)
	if msg != `Could not find model "arn:aws:sagemaker:us-east-1:123456789012:model/nope".` {
		t.Fatalf("unknown model: %s", msg)
	}
}
