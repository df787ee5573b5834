package sagemaker

import (
	"net/http/httptest"
	"os/exec"
	"testing"

	"github.com/stepwise-dev/stepwise/api"
	"github.com/stepwise-dev/stepwise/internal/clienttest"
)

// boto3Tuning runs a boto3 script against the service (client is a SageMaker client,
// sys.argv[2:] are args) and returns what it printed.
func boto3Tuning(t *testing.T, url, script string, args ...string) string {
	t.Helper()
	argv := append([]string{"-c", `import boto3, json, sys
client = boto3.client("sagemaker", endpoint_url=sys.argv[1])
` + script, url}, args...)
	cmd := exec.Command(clienttest.ToolPath("python3"), argv...)
	cmd.Env = clienttest.Env(t, "test", "test")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("boto3: %v\n%s", err, out)
	}
	return string(out)
}

// TestTuningBoto3: boto3 (its own validation of requests and parsing of replies) creates
// a tuning job, describes it and lists its training jobs.
func TestTuningBoto3(t *testing.T) {
	t.Parallel()
	needPython(t)
	clienttest.NeedPython(t, "boto3")
	e := newEnv(t)
	e.put(t, "s3://tuning-s/code/tune.py", []byte(tuneScript))
	d := api.NewDispatcher(api.Options{})
	if err := e.svc.Register(d); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(d)
	defer srv.Close()
	in := scriptTuning(t, "boto", "Bayesian", `{"ContinuousParameterRanges": [{"Name": "pos", "MinValue": "0.001", "MaxValue": "1", "ScalingType": "Logarithmic"}],
      "IntegerParameterRanges": [{"Name": "n", "MinValue": "1", "MaxValue": "3"}]}`, `{"MaxNumberOfTrainingJobs": 3, "MaxParallelTrainingJobs": 2}`)
	out := boto3Tuning(t, srv.URL, `req = json.loads(sys.argv[2])
print(client.create_hyper_parameter_tuning_job(**req)["HyperParameterTuningJobArn"])
try:
    client.create_hyper_parameter_tuning_job(**req)
except client.exceptions.ResourceInUse as e:
    print("in use")
try:
    client.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName="nope")
except client.exceptions.ResourceNotFound as e:
    print("not found")
`, string(mustMarshal(t, in)))
	if out != "arn:aws:sagemaker:us-east-1:123456789012:hyper-parameter-tuning-job/boto\nin use\nnot found\n" {
		t.Fatalf("boto3 said %q", out)
	}
	e.waitTuning(t, "boto")
	out = boto3Tuning(t, srv.URL, `d = client.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName="boto")
print(d["HyperParameterTuningJobStatus"], d["TrainingJobStatusCounters"]["Completed"], d["ObjectiveStatusCounters"]["Succeeded"],
      d["BestTrainingJob"]["FinalHyperParameterTuningJobObjectiveMetric"]["MetricName"], type(d["CreationTime"]).__name__,
      type(d["BestTrainingJob"]["TrainingEndTime"]).__name__, "StepwiseTuner" in d)
jobs = client.list_training_jobs_for_hyper_parameter_tuning_job(HyperParameterTuningJobName="boto", SortBy="FinalObjectiveMetricValue")["TrainingJobSummaries"]
print(len(jobs), jobs[0]["TrainingJobName"] == d["BestTrainingJob"]["TrainingJobName"], sorted(jobs[0]["TunedHyperParameters"]))
page = client.list_training_jobs_for_hyper_parameter_tuning_job(HyperParameterTuningJobName="boto", MaxResults=2)
print(len(page["TrainingJobSummaries"]), "NextToken" in page)
s = client.list_hyper_parameter_tuning_jobs(NameContains="bo")["HyperParameterTuningJobSummaries"]
print(s[0]["HyperParameterTuningJobName"], s[0]["Strategy"], s[0]["ResourceLimits"]["MaxParallelTrainingJobs"])
`)
	want := "Completed 3 3 loss datetime datetime False\n3 True ['n', 'pos']\n2 True\nboto Bayesian 2\n"
	if out != want {
		t.Fatalf("boto3 said\n%s\nwant\n%s", out, want)
	}
}
