package e2e

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/internal/sampledata"
)

// The seed walkthrough (seeds/003) end to end through `stepwise server` with the aws
// CLI, and through `stepwise run`: its data (generated: the walkthrough downloads it),
// its own preprocessing.py and training.py, its state machine's processing and training
// states.

const seedBucket = "ml-pipeline-bucket-abc123"

// seedDefinition is the walkthrough's state machine file with its shell variables set.
func seedDefinition(t *testing.T) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "seed003-ml-pipeline.asl.json"))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.NewReplacer("${S3_BUCKET_NAME}", seedBucket, "${AWS_REGION}", "us-east-1",
		"${SAGEMAKER_ROLE_ARN}", "arn:aws:iam::123456789012:role/SageMakerMLPipelineRole-abc123").Replace(string(b))
	var def map[string]any
	if err := json.Unmarshal([]byte(text), &def); err != nil {
		t.Fatal(err)
	}
	return def
}

// seedJobsDefinition keeps the walkthrough's DataPreprocessing and ModelTraining states
// (with their Retry and Catch) and ends after training. The walkthrough has two bugs
// that AWS would show too: fixes >= 1 moves the processing outputs where the SageMaker
// API has them (the walkthrough puts them in a field the API does not have); fixes >= 2
// gives DataPreprocessing a ResultPath, without which its result replaces the state's
// data and ModelTraining finds no $.TrainingJobName.
func seedJobsDefinition(t *testing.T, fixes int) string {
	t.Helper()
	def := seedDefinition(t)
	states := def["States"].(map[string]any)
	training := states["ModelTraining"].(map[string]any)
	training["Next"] = "Trained"
	keep := map[string]any{
		"DataPreprocessing":   states["DataPreprocessing"],
		"ModelTraining":       training,
		"ProcessingJobFailed": states["ProcessingJobFailed"],
		"TrainingJobFailed":   states["TrainingJobFailed"],
		"Trained":             map[string]any{"Type": "Succeed"},
	}
	if fixes >= 2 {
		states["DataPreprocessing"].(map[string]any)["ResultPath"] = "$.PreprocessingResult"
	}
	if fixes >= 1 {
		params := states["DataPreprocessing"].(map[string]any)["Parameters"].(map[string]any)
		outputs := params["ProcessingOutputs"].([]any)
		delete(params, "ProcessingOutputs")
		for _, o := range outputs {
			o.(map[string]any)["S3Output"].(map[string]any)["S3UploadMode"] = "EndOfJob"
		}
		params["ProcessingOutputConfig"] = map[string]any{"Outputs": outputs}
	}
	def["States"] = keep
	b, _ := json.Marshal(def)
	return string(b)
}

func writeTemp(t *testing.T, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func needJobPython(t *testing.T) {
	t.Helper()
	if out, err := exec.Command("/usr/bin/python3", "-c", "import sklearn, pandas, joblib").CombinedOutput(); err != nil {
		t.Skipf("Debian's python3 lacks scikit-learn/pandas (make deps): %v %s", err, out)
	}
}

func TestSeedPipelineWithAWSCLI(t *testing.T) {
	needJobPython(t)
	srv := startServer(t, t.TempDir())
	aws := newCLI(t, srv.URL)

	// The walkthrough's S3 set-up, then its data and scripts.
	aws.ok(nil, "s3", "mb", "s3://"+seedBucket)
	aws.ok(nil, "s3api", "put-bucket-versioning", "--bucket", seedBucket, "--versioning-configuration", "Status=Enabled")
	for _, k := range []string{"raw-data/", "processed-data/", "model-artifacts/", "code/"} {
		aws.ok(nil, "s3api", "put-object", "--bucket", seedBucket, "--key", k)
	}
	aws.ok(nil, "s3", "cp", writeTemp(t, "train.csv", sampledata.Housing(1000, 1)), "s3://"+seedBucket+"/raw-data/")
	aws.ok(nil, "s3", "cp", writeTemp(t, "test.csv", sampledata.Housing(250, 2)), "s3://"+seedBucket+"/raw-data/")
	for _, f := range []string{"preprocessing.py", "training.py", "inference.py"} {
		aws.ok(nil, "s3", "cp", filepath.Join("..", "sagemaker", "testdata", f), "s3://"+seedBucket+"/code/")
	}

	// The whole walkthrough definition is refused as AWS refuses it: its Succeed state has
	// a Result field.
	whole, _ := json.Marshal(seedDefinition(t))
	msg := aws.fails("InvalidDefinition", "stepfunctions", "create-state-machine", "--name", "ml-pipeline-abc123",
		"--definition", string(whole), "--role-arn", "arn:aws:iam::123456789012:role/StepFunctionsMLRole")
	if !strings.Contains(msg, "Field 'Result' is not supported at /States/MLPipelineComplete") {
		t.Fatalf("create-state-machine: %s", msg)
	}

	run := func(name string, fixes int, input string) map[string]any {
		var sm struct{ StateMachineArn string }
		aws.ok(&sm, "stepfunctions", "create-state-machine", "--name", name, "--definition", seedJobsDefinition(t, fixes),
			"--role-arn", "arn:aws:iam::123456789012:role/StepFunctionsMLRole")
		var ex struct{ ExecutionArn string }
		aws.ok(&ex, "stepfunctions", "start-execution", "--state-machine-arn", sm.StateMachineArn, "--input", input)
		deadline := time.Now().Add(5 * time.Minute)
		for {
			var d map[string]any
			aws.ok(&d, "stepfunctions", "describe-execution", "--execution-arn", ex.ExecutionArn)
			if d["status"] != "RUNNING" {
				return d
			}
			if time.Now().After(deadline) {
				t.Fatalf("execution still running after 5 minutes: %v", d)
			}
			time.Sleep(200 * time.Millisecond) // an external process (the server) runs the jobs
		}
	}

	// The two job states as the walkthrough wrote them: ProcessingOutputs is not a
	// field of CreateProcessingJob, so the execution fails before the job is created.
	d := run("seed-jobs-verbatim", 0, `{"PreprocessingJobName":"preprocessing-1","TrainingJobName":"training-1"}`)
	if d["status"] != "FAILED" || d["error"] != "States.Runtime" ||
		!strings.Contains(d["cause"].(string), `could not be used to start the Task: [The field "ProcessingOutputs" is not supported by Step Functions]`) {
		t.Fatalf("verbatim: %v", d)
	}

	// With the outputs where the API has them, the processing job runs, and its result
	// (no ResultPath) replaces the execution's data: the training state fails as on AWS.
	d = run("seed-jobs-outputs-fixed", 1, `{"PreprocessingJobName":"preprocessing-1","TrainingJobName":"training-1"}`)
	if d["status"] != "FAILED" || d["error"] != "States.Runtime" ||
		!strings.Contains(d["cause"].(string), `The JSONPath '$.TrainingJobName' specified for the field 'TrainingJobName.$' could not be found in the input '{"ProcessingInputs"`) {
		t.Fatalf("outputs fixed: %v", d)
	}

	// With both fixed, both jobs run the walkthrough's scripts.
	d = run("seed-jobs", 2, `{"PreprocessingJobName":"preprocessing-2","TrainingJobName":"training-2"}`)
	if d["status"] != "SUCCEEDED" {
		t.Fatalf("fixed: %v\nserver log: %s", d, srv.log)
	}
	var job struct {
		TrainingJobStatus string
		ModelArtifacts    struct{ S3ModelArtifacts string }
	}
	aws.ok(&job, "sagemaker", "describe-training-job", "--training-job-name", "training-2")
	if job.TrainingJobStatus != "Completed" || job.ModelArtifacts.S3ModelArtifacts != "s3://"+seedBucket+"/model-artifacts/training-2/output/model.tar.gz" {
		t.Fatalf("training job: %+v", job)
	}
	var proc struct{ ProcessingJobStatus string }
	aws.ok(&proc, "sagemaker", "describe-processing-job", "--processing-job-name", "preprocessing-2")
	if proc.ProcessingJobStatus != "Completed" {
		t.Fatalf("processing job: %+v", proc)
	}
	local := filepath.Join(t.TempDir(), "model.tar.gz")
	aws.ok(nil, "s3", "cp", job.ModelArtifacts.S3ModelArtifacts, local)
	checkSklearnModel(t, local)

	// The same definition through `stepwise run`, on the same data directory's s3://.
	defFile := writeTemp(t, "seed-jobs.asl.json", []byte(seedJobsDefinition(t, 2)))
	cmd := exec.Command(binary, "run", defFile, "--data-dir", srv.dataDir, "--output", "json",
		"--input", `{"PreprocessingJobName":"preprocessing-3","TrainingJobName":"training-3"}`)
	out, err := cmd.Output()
	var res struct {
		Status string
		Output map[string]any
		Error  string
		Cause  string
	}
	if err != nil || json.Unmarshal(out, &res) != nil || res.Status != "SUCCEEDED" {
		t.Fatalf("stepwise run: %v %s", err, out)
	}
	if res.Output["TrainingJobStatus"] != "Completed" {
		t.Fatalf("stepwise run output: %v", res.Output)
	}
	aws.ok(nil, "s3", "cp", "s3://"+seedBucket+"/model-artifacts/training-3/output/model.tar.gz", local)
	checkSklearnModel(t, local)
}

// checkSklearnModel unpacks a model.tar.gz and has scikit-learn load and use the model.
func checkSklearnModel(t *testing.T, tarGz string) {
	t.Helper()
	f, err := os.Open(tarGz)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	dir := t.TempDir()
	found := false
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if strings.TrimPrefix(h.Name, "./") == "model.pkl" {
			var b bytes.Buffer
			_, _ = io.Copy(&b, tr)
			if err := os.WriteFile(filepath.Join(dir, "model.pkl"), b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			found = true
		}
	}
	if !found {
		t.Fatal("model.tar.gz has no model.pkl")
	}
	out, err := exec.Command("/usr/bin/python3", "-c", `import joblib, sys
m = joblib.load(sys.argv[1])
print(type(m).__name__, len(m.predict([[0.1]*8, [1.0]*8, [2.0]*8])))`, filepath.Join(dir, "model.pkl")).Output()
	if err != nil || strings.TrimSpace(string(out)) != "RandomForestRegressor 3" {
		t.Fatalf("loading the model: %v %s", err, out)
	}
}
