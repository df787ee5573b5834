package sagemaker

import (
	"strings"
	"testing"

	"github.com/stepwise-dev/stepwise/internal/sampledata"
)

// TestXGBoostBuiltInAlgorithm runs the seed's TrainModel request (000): the built-in
// XGBoost algorithm on label-first CSV, no script. The model is saved as xgboost-model
// and the algorithm's own metric definitions fill FinalMetricDataList.
func TestXGBoostBuiltInAlgorithm(t *testing.T) {
	needPython(t, "xgboost")
	e := newEnv(t)
	e.put(t, "s3://my-bucket/step-functions/train/train.csv", sampledata.HousingLabelFirst(600, 3))
	e.put(t, "s3://my-bucket/step-functions/validation/validation.csv", sampledata.HousingLabelFirst(200, 4))
	var in CreateTrainingJobInput
	mustJSON(t, `{
  "TrainingJobName": "training-exec-1",
  "RoleArn": "`+role+`",
  "AlgorithmSpecification": {"TrainingImage": "246618743249.dkr.ecr.us-west-2.amazonaws.com/sagemaker-xgboost:1.5-1", "TrainingInputMode": "File"},
  "HyperParameters": {"objective": "reg:squarederror", "num_round": "20", "max_depth": "10"},
  "InputDataConfig": [
    {"ChannelName": "train", "DataSource": {"S3DataSource": {"S3Uri": "s3://my-bucket/step-functions/train", "S3DataType": "S3Prefix"}}, "ContentType": "text/csv"},
    {"ChannelName": "validation", "DataSource": {"S3DataSource": {"S3Uri": "s3://my-bucket/step-functions/validation", "S3DataType": "S3Prefix"}}, "ContentType": "text/csv"}
  ],
  "OutputDataConfig": {"S3OutputPath": "s3://my-bucket/step-functions/model/"},
  "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
  "StoppingCondition": {"MaxRuntimeInSeconds": 600}
}`, &in)
	if _, err := e.svc.CreateTrainingJob(t.Context(), &in); err != nil {
		t.Fatal(err)
	}
	j := e.waitTraining(t, "training-exec-1")
	if j.TrainingJobStatus != statusCompleted {
		t.Fatalf("%s: %s\n%s", j.TrainingJobStatus, j.FailureReason, e.log(t, kindTraining, "training-exec-1"))
	}
	if j.ModelArtifacts.S3ModelArtifacts != "s3://my-bucket/step-functions/model/training-exec-1/output/model.tar.gz" {
		t.Fatalf("artifacts %s", j.ModelArtifacts.S3ModelArtifacts)
	}
	if model := untar(t, e.get(t, j.ModelArtifacts.S3ModelArtifacts)); len(model["xgboost-model"]) == 0 {
		t.Fatalf("model.tar.gz holds %v", keys(model))
	}
	metrics := map[string]float64{}
	for _, m := range j.FinalMetricDataList {
		metrics[m.MetricName] = m.Value
	}
	v, ok := metrics["validation:rmse"]
	if !ok || v <= 0 || v > 2 || metrics["train:rmse"] <= 0 {
		t.Fatalf("metrics %v", metrics)
	}
	if !strings.Contains(e.log(t, kindTraining, "training-exec-1"), "validation-rmse:") {
		t.Fatalf("log %s", e.log(t, kindTraining, "training-exec-1"))
	}

	// A missing required hyperparameter fails the job with the algorithm's message.
	in.TrainingJobName = "no-rounds"
	delete(in.HyperParameters, "num_round")
	if _, err := e.svc.CreateTrainingJob(t.Context(), &in); err != nil {
		t.Fatal(err)
	}
	j = e.waitTraining(t, "no-rounds")
	if j.TrainingJobStatus != statusFailed || !strings.HasPrefix(j.FailureReason, "AlgorithmError: ") {
		t.Fatalf("%s: %q", j.TrainingJobStatus, j.FailureReason)
	}
}
