package sagemaker

import (
	"fmt"
	"github.com/stepwise-dev/stepwise/internal/sampledata"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const sklearnImage = "246618743249.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"

// seedProcessing is the seed's DataPreprocessing request (003), with its outputs where
// the API has them.
func seedProcessing(t *testing.T, name, bucket string) *CreateProcessingJobInput {
	var in CreateProcessingJobInput
	mustJSON(t, strings.ReplaceAll(`{
  "ProcessingJobName": "`+name+`",
  "RoleArn": "`+role+`",
  "AppSpecification": {
    "ImageUri": "`+sklearnImage+`",
    "ContainerEntrypoint": ["python3", "/opt/ml/processing/input/code/preprocessing.py"],
    "ContainerArguments": ["--input-data", "/opt/ml/processing/input/data/train.csv", "--output-data", "/opt/ml/processing/output/train_processed.csv"]
  },
  "ProcessingInputs": [
    {"InputName": "data", "S3Input": {"S3Uri": "s3://BUCKET/raw-data", "LocalPath": "/opt/ml/processing/input/data", "S3DataType": "S3Prefix"}},
    {"InputName": "code", "S3Input": {"S3Uri": "s3://BUCKET/code", "LocalPath": "/opt/ml/processing/input/code", "S3DataType": "S3Prefix"}}
  ],
  "ProcessingOutputConfig": {"Outputs": [
    {"OutputName": "processed_data", "S3Output": {"S3Uri": "s3://BUCKET/processed-data", "LocalPath": "/opt/ml/processing/output", "S3UploadMode": "EndOfJob"}}
  ]},
  "ProcessingResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 30}}
}`, "BUCKET", bucket), &in)
	return &in
}

// seedTraining is the seed's ModelTraining request (003).
func seedTraining(t *testing.T, name, bucket string) *CreateTrainingJobInput {
	var in CreateTrainingJobInput
	mustJSON(t, strings.ReplaceAll(`{
  "TrainingJobName": "`+name+`",
  "RoleArn": "`+role+`",
  "AlgorithmSpecification": {"TrainingImage": "`+sklearnImage+`", "TrainingInputMode": "File"},
  "InputDataConfig": [
    {"ChannelName": "train", "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://BUCKET/processed-data", "S3DataDistributionType": "FullyReplicated"}}},
    {"ChannelName": "test", "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://BUCKET/raw-data", "S3DataDistributionType": "FullyReplicated"}}},
    {"ChannelName": "code", "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://BUCKET/code", "S3DataDistributionType": "FullyReplicated"}}}
  ],
  "OutputDataConfig": {"S3OutputPath": "s3://BUCKET/model-artifacts"},
  "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 30},
  "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
  "HyperParameters": {"sagemaker_program": "training.py", "sagemaker_submit_directory": "/opt/ml/input/data/code"}
}`, "BUCKET", bucket), &in)
	return &in
}

// seedData uploads the seed walkthrough's data and scripts.
func (e *env) seedData(t *testing.T, bucket string) {
	t.Helper()
	e.put(t, "s3://"+bucket+"/raw-data/train.csv", sampledata.Housing(800, 1))
	e.put(t, "s3://"+bucket+"/raw-data/test.csv", sampledata.Housing(200, 2))
	for _, f := range []string{"preprocessing.py", "training.py", "inference.py"} {
		b, err := os.ReadFile(filepath.Join("testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		e.put(t, "s3://"+bucket+"/code/"+f, b)
	}
}

// TestSeedPipelineJobs runs the seed's preprocessing and training jobs with the seed's
// own scripts: the processing job scales the data, the training job fits a random
// forest on it, and the model.tar.gz holds a scikit-learn model that loads and predicts.
func TestSeedPipelineJobs(t *testing.T) {
	needPython(t, "sklearn", "pandas", "joblib")
	e := newEnv(t)
	e.seedData(t, "mlb")
	ctx := t.Context()

	if _, err := e.svc.CreateProcessingJob(ctx, seedProcessing(t, "prep-1", "mlb")); err != nil {
		t.Fatal(err)
	}
	p := e.waitProcessing(t, "prep-1")
	if p.ProcessingJobStatus != statusCompleted {
		t.Fatalf("processing %s: %s\n%s", p.ProcessingJobStatus, p.FailureReason, e.log(t, kindProcessing, "prep-1"))
	}
	if p.ProcessingStartTime.IsZero() || p.ProcessingEndTime.IsZero() {
		t.Fatalf("times not set: %+v", p)
	}
	processed := string(e.get(t, "s3://mlb/processed-data/train_processed.csv"))
	if !strings.HasPrefix(processed, "MedInc,") || strings.Count(processed, "\n") != 801 {
		t.Fatalf("processed data: %.200q (%d lines)", processed, strings.Count(processed, "\n"))
	}
	e.get(t, "s3://mlb/processed-data/scaler.pkl")
	if !strings.Contains(e.log(t, kindProcessing, "prep-1"), "Feature scaling completed for 8 features") {
		t.Fatalf("log: %s", e.log(t, kindProcessing, "prep-1"))
	}

	if _, err := e.svc.CreateTrainingJob(ctx, seedTraining(t, "train-1", "mlb")); err != nil {
		t.Fatal(err)
	}
	j := e.waitTraining(t, "train-1")
	if j.TrainingJobStatus != statusCompleted || j.SecondaryStatus != secCompleted {
		t.Fatalf("training %s/%s: %s\n%s", j.TrainingJobStatus, j.SecondaryStatus, j.FailureReason, e.log(t, kindTraining, "train-1"))
	}
	var seq []string
	for _, tr := range j.SecondaryStatusTransitions {
		seq = append(seq, tr.Status)
	}
	if got := strings.Join(seq, ","); got != "Starting,Downloading,Training,Uploading,Completed" {
		t.Fatalf("secondary statuses %s", got)
	}
	if j.ModelArtifacts.S3ModelArtifacts != "s3://mlb/model-artifacts/train-1/output/model.tar.gz" {
		t.Fatalf("artifacts at %s", j.ModelArtifacts.S3ModelArtifacts)
	}
	model := untar(t, e.get(t, j.ModelArtifacts.S3ModelArtifacts))
	if len(model["model.pkl"]) == 0 {
		t.Fatalf("model.tar.gz holds %v", keys(model))
	}
	outputs := untar(t, e.get(t, "s3://mlb/model-artifacts/train-1/output/output.tar.gz"))
	if !strings.Contains(string(outputs["evaluation.json"]), "test_r2") {
		t.Fatalf("output.tar.gz holds %v", keys(outputs))
	}
	// The model is a real scikit-learn model: load it and predict.
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "model.pkl"), model["model.pkl"], 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("/usr/bin/python3", "-c", `import joblib, sys
m = joblib.load(sys.argv[1])
print(type(m).__name__, len(m.predict([[0.1]*8, [1.0]*8])))`, filepath.Join(dir, "model.pkl")).Output()
	if err != nil || strings.TrimSpace(string(out)) != "RandomForestRegressor 2" {
		t.Fatalf("loading the model: %v %s", err, out)
	}
}

func keys[V any](m map[string]V) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

// A Stop that lands right after Create, before the job's run has read its record,
// still ends the job Stopped (the read used to fail on the cancelled run and leave the
// job Stopping until the next server start).
func TestStopRightAfterCreate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.seedData(t, "stopfast")
	e.put(t, "s3://stopfast/processed-data/train_processed.csv", sampledata.Housing(50, 3))
	for i := range 8 {
		tname, pname := fmt.Sprintf("stop-train-%d", i), fmt.Sprintf("stop-proc-%d", i)
		if _, err := e.svc.CreateTrainingJob(t.Context(), seedTraining(t, tname, "stopfast")); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.StopTrainingJob(t.Context(), &StopTrainingJobInput{TrainingJobName: tname}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.CreateProcessingJob(t.Context(), seedProcessing(t, pname, "stopfast")); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.StopProcessingJob(t.Context(), &StopProcessingJobInput{ProcessingJobName: pname}); err != nil {
			t.Fatal(err)
		}
		if j := e.waitTraining(t, tname); j.TrainingJobStatus != statusStopped {
			t.Fatalf("%s: %s %q", tname, j.TrainingJobStatus, j.FailureReason)
		}
		if j := e.waitProcessing(t, pname); j.ProcessingJobStatus != statusStopped {
			t.Fatalf("%s: %s %q", pname, j.ProcessingJobStatus, j.FailureReason)
		}
	}
}
