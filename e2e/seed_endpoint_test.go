package e2e

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/internal/sampledata"
)

// seedEndpointDefinition is the walkthrough's whole state machine (seeds/003), run up
// to its InService endpoint, with the fixes it needs on AWS too:
//
//   - the two of seedJobsDefinition (processing outputs where the API has them, a
//     ResultPath for DataPreprocessing);
//   - ModelTraining, CreateModel and CreateEndpointConfig get a ResultPath: without
//     one, each result replaces the state's data and the next state finds no
//     $.ModelName / $.EndpointConfigName;
//   - CreateModel's SAGEMAKER_SUBMIT_DIRECTORY names the seed's code as a
//     sourcedir.tar.gz on S3: the walkthrough says /opt/ml/code, which nothing fills
//     (the training job's model.tar.gz holds only model.pkl), so its endpoint fails
//     to import inference.py (TestSeedEndpointWithAWSCLI shows that too);
//   - the EvaluateModel Lambda state is replaced by a Pass state with the evaluation
//     result the Choice reads: Lambda functions are issue 7's, not this one's;
//   - MLPipelineComplete loses its Result field, which a Succeed state cannot have.
func seedEndpointDefinition(t *testing.T) string {
	t.Helper()
	var jobs map[string]any
	if err := json.Unmarshal([]byte(seedJobsDefinition(t, 2)), &jobs); err != nil {
		t.Fatal(err)
	}
	def := seedDefinition(t)
	states := def["States"].(map[string]any)
	for name, st := range jobs["States"].(map[string]any) {
		if name == "DataPreprocessing" {
			states[name] = st
		}
	}
	states["ModelTraining"].(map[string]any)["ResultPath"] = "$.TrainingResult"
	states["CreateModel"].(map[string]any)["ResultPath"] = "$.ModelResult"
	states["CreateEndpointConfig"].(map[string]any)["ResultPath"] = "$.EndpointConfigResult"
	env := states["CreateModel"].(map[string]any)["Parameters"].(map[string]any)["PrimaryContainer"].(map[string]any)["Environment"].(map[string]any)
	env["SAGEMAKER_SUBMIT_DIRECTORY"] = "s3://" + seedBucket + "/code/sourcedir.tar.gz"
	states["ModelEvaluation"] = map[string]any{
		"Type":       "Pass",
		"Comment":    "Stands for the seed's EvaluateModel Lambda function (issue 7).",
		"Result":     map[string]any{"Payload": map[string]any{"test_r2": 0.8}},
		"ResultPath": "$.EvaluationResult",
		"Next":       "CheckModelPerformance",
	}
	delete(states["MLPipelineComplete"].(map[string]any), "Result")
	b, _ := json.Marshal(def)
	return string(b)
}

// sourcedirTarGz packs the seed's inference.py as the SageMaker SDK packs a source
// directory.
func sourcedirTarGz(t *testing.T) []byte {
	t.Helper()
	code, err := os.ReadFile(filepath.Join("..", "sagemaker", "testdata", "inference.py"))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	if err := tw.WriteHeader(&tar.Header{Name: "inference.py", Mode: 0o644, Size: int64(len(code)), Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	_, _ = tw.Write(code)
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestSeedEndpointWithAWSCLI: the walkthrough's pipeline through `stepwise server`
// with the aws CLI, from its preprocessing to an InService endpoint that answers the
// walkthrough's own `aws sagemaker-runtime invoke-endpoint` with its inference.py.
func TestSeedEndpointWithAWSCLI(t *testing.T) {
	needJobPython(t)
	srv := startServer(t, t.TempDir())
	aws := newCLI(t, srv.URL)
	aws.ok(nil, "s3", "mb", "s3://"+seedBucket)
	aws.ok(nil, "s3", "cp", writeTemp(t, "train.csv", sampledata.Housing(1000, 1)), "s3://"+seedBucket+"/raw-data/")
	aws.ok(nil, "s3", "cp", writeTemp(t, "test.csv", sampledata.Housing(250, 2)), "s3://"+seedBucket+"/raw-data/")
	for _, f := range []string{"preprocessing.py", "training.py", "inference.py"} {
		aws.ok(nil, "s3", "cp", filepath.Join("..", "sagemaker", "testdata", f), "s3://"+seedBucket+"/code/")
	}
	aws.ok(nil, "s3", "cp", writeTemp(t, "sourcedir.tar.gz", sourcedirTarGz(t)), "s3://"+seedBucket+"/code/sourcedir.tar.gz")

	var sm struct{ StateMachineArn string }
	aws.ok(&sm, "stepfunctions", "create-state-machine", "--name", "ml-pipeline-abc123", "--definition", seedEndpointDefinition(t),
		"--role-arn", "arn:aws:iam::123456789012:role/StepFunctionsMLRole")
	input := `{"PreprocessingJobName":"preprocessing-1","TrainingJobName":"training-1","ModelName":"model-1",
	  "EndpointConfigName":"endpoint-config-1","EndpointName":"endpoint-1",
	  "ModelDataUrl":"s3://` + seedBucket + `/model-artifacts/training-1/output/model.tar.gz"}`
	var ex struct{ ExecutionArn string }
	aws.ok(&ex, "stepfunctions", "start-execution", "--state-machine-arn", sm.StateMachineArn, "--name", "execution-1", "--input", input)
	var d map[string]any
	poll(t, 5*time.Minute, "the execution ends", func() bool {
		aws.ok(&d, "stepfunctions", "describe-execution", "--execution-arn", ex.ExecutionArn)
		return d["status"] != "RUNNING"
	})
	if d["status"] != "SUCCEEDED" {
		t.Fatalf("execution: %v\nserver log: %s", d, srv.log)
	}
	var out map[string]any
	_ = json.Unmarshal([]byte(d["output"].(string)), &out)
	if out["EndpointArn"] != "arn:aws:sagemaker:us-east-1:123456789012:endpoint/endpoint-1" {
		t.Fatalf("output: %v", out)
	}

	// createEndpoint returns while the endpoint is Creating; the walkthrough then
	// waits for it, as here.
	var ep struct {
		EndpointStatus, FailureReason, EndpointConfigName string
		ProductionVariants                                []struct {
			VariantName          string
			CurrentInstanceCount int
		}
	}
	poll(t, 3*time.Minute, "the endpoint is in service", func() bool {
		aws.ok(&ep, "sagemaker", "describe-endpoint", "--endpoint-name", "endpoint-1")
		return ep.EndpointStatus != "Creating"
	})
	if ep.EndpointStatus != "InService" || ep.EndpointConfigName != "endpoint-config-1" || len(ep.ProductionVariants) != 1 ||
		ep.ProductionVariants[0].VariantName != "primary" || ep.ProductionVariants[0].CurrentInstanceCount != 1 {
		t.Fatalf("endpoint: %+v", ep)
	}

	// The walkthrough's test request, verbatim.
	request := writeTemp(t, "test-prediction.json", []byte(`{
  "instances": [
    [8.3252, 41.0, 6.984126984126984, 1.0238095238095237, 322.0, 2.5555555555555554, 37.88, -122.23],
    [8.3014, 21.0, 6.238137082601054, 0.9711649365628111, 2401.0, 2.109841827768014, 37.86, -122.22]
  ]
}`))
	prediction := filepath.Join(t.TempDir(), "prediction-output.json")
	var meta struct{ InvokedProductionVariant string }
	aws.ok(&meta, "sagemaker-runtime", "invoke-endpoint", "--endpoint-name", "endpoint-1", "--content-type", "application/json",
		"--body", "file://"+request, prediction)
	b, err := os.ReadFile(prediction)
	if err != nil {
		t.Fatal(err)
	}
	var pred struct {
		Predictions []float64 `json:"predictions"`
		ModelType   string    `json:"model_type"`
	}
	if err := json.Unmarshal(b, &pred); err != nil || len(pred.Predictions) != 2 || pred.ModelType != "RandomForestRegressor" ||
		meta.InvokedProductionVariant != "primary" {
		t.Fatalf("prediction: %v %s %+v", err, b, meta)
	}

	// The walkthrough's CreateModel as written: /opt/ml/code is empty, so the seed's
	// inference.py cannot be imported and the endpoint fails, with the reason.
	aws.ok(nil, "sagemaker", "create-model", "--model-name", "model-verbatim",
		"--execution-role-arn", "arn:aws:iam::123456789012:role/SageMakerMLPipelineRole-abc123",
		"--primary-container", `{"Image":"246618743249.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3",
		  "ModelDataUrl":"s3://`+seedBucket+`/model-artifacts/training-1/output/model.tar.gz",
		  "Environment":{"SAGEMAKER_PROGRAM":"inference.py","SAGEMAKER_SUBMIT_DIRECTORY":"/opt/ml/code"}}`)
	aws.ok(nil, "sagemaker", "create-endpoint-config", "--endpoint-config-name", "config-verbatim",
		"--production-variants", `[{"VariantName":"primary","ModelName":"model-verbatim","InitialInstanceCount":1,"InstanceType":"ml.t2.medium","InitialVariantWeight":1}]`)
	aws.ok(nil, "sagemaker", "create-endpoint", "--endpoint-name", "endpoint-verbatim", "--endpoint-config-name", "config-verbatim")
	poll(t, 3*time.Minute, "the verbatim endpoint settles", func() bool {
		aws.ok(&ep, "sagemaker", "describe-endpoint", "--endpoint-name", "endpoint-verbatim")
		return ep.EndpointStatus != "Creating"
	})
	if ep.EndpointStatus != "Failed" || !strings.Contains(ep.FailureReason, "did not pass the ping health check") ||
		!strings.Contains(ep.FailureReason, "inference") {
		t.Fatalf("verbatim endpoint: %s %q", ep.EndpointStatus, ep.FailureReason)
	}
	msg := aws.fails("ModelNotReadyException", "sagemaker-runtime", "invoke-endpoint", "--endpoint-name", "endpoint-verbatim",
		"--content-type", "application/json", "--body", "file://"+request, prediction)
	if !strings.Contains(msg, "Failed") {
		t.Fatalf("invoking the failed endpoint: %s", msg)
	}

	aws.ok(nil, "sagemaker", "delete-endpoint", "--endpoint-name", "endpoint-1")
	poll(t, time.Minute, "the endpoint is deleted", func() bool {
		_, stderr, code := aws.run("sagemaker", "describe-endpoint", "--endpoint-name", "endpoint-1")
		return code != 0 && strings.Contains(stderr, "Could not find endpoint")
	})
}

// poll checks a condition the server decides (jobs, serving processes) until it holds.
func poll(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(200 * time.Millisecond) // an external process (the server) decides
	}
}
