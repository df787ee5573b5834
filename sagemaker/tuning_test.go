package sagemaker

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/api"
	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/internal/clock"
	"github.com/stepwise-dev/stepwise/internal/sampledata"
	"github.com/stepwise-dev/stepwise/jsonv"
	rlocal "github.com/stepwise-dev/stepwise/runner/local"
)

// tunableSeedScript is the seed's training.py with n_estimators and max_depth read from
// its arguments. The seed's script as it is cannot be tuned, here or on SageMaker: every
// tuned hyperparameter reaches it as --name value, which its argparse refuses
// (TestTuningSeedScriptUnchangedFails).
func tunableSeedScript(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "training.py"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, r := range [][2]string{
		{"    args = parser.parse_args()", "    parser.add_argument('--n_estimators', type=int, default=100)\n    parser.add_argument('--max_depth', type=int, default=10)\n    args = parser.parse_args()"},
		{"n_estimators=100,", "n_estimators=args.n_estimators,"},
		{"max_depth=10,", "max_depth=args.max_depth,"},
		{"n_jobs=-1", "n_jobs=1"},
	} {
		if !strings.Contains(s, r[0]) {
			t.Fatalf("the seed's training.py has no %q any more", r[0])
		}
		s = strings.Replace(s, r[0], r[1], 1)
	}
	return []byte(s)
}

// seedTuning is a tuning job over the seed's training job (003): its definition is the
// seed's training request, with the script's RMSE as the objective.
func seedTuning(t *testing.T, name, bucket, strategy string, extra string) *CreateHyperParameterTuningJobInput {
	var in CreateHyperParameterTuningJobInput
	mustJSON(t, strings.ReplaceAll(`{
  "HyperParameterTuningJobName": "`+name+`",
  "HyperParameterTuningJobConfig": {
    "Strategy": "`+strategy+`",
    "HyperParameterTuningJobObjective": {"Type": "Minimize", "MetricName": "test:rmse"},
    "ResourceLimits": {"MaxNumberOfTrainingJobs": 4, "MaxParallelTrainingJobs": 2},
    "ParameterRanges": {"IntegerParameterRanges": [
      {"Name": "n_estimators", "MinValue": "2", "MaxValue": "12"},
      {"Name": "max_depth", "MinValue": "1", "MaxValue": "8", "ScalingType": "Logarithmic"}
    ]},
    "RandomSeed": 42`+extra+`
  },
  "TrainingJobDefinition": {
    "StaticHyperParameters": {"sagemaker_program": "training.py", "sagemaker_submit_directory": "/opt/ml/input/data/code"},
    "AlgorithmSpecification": {"TrainingImage": "`+sklearnImage+`", "TrainingInputMode": "File",
      "MetricDefinitions": [{"Name": "test:rmse", "Regex": "Test RMSE: ([0-9\\.]+)"}]},
    "RoleArn": "`+role+`",
    "InputDataConfig": [
      {"ChannelName": "train", "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://BUCKET/processed-data"}}},
      {"ChannelName": "test", "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://BUCKET/raw-data"}}},
      {"ChannelName": "code", "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://BUCKET/code"}}}
    ],
    "OutputDataConfig": {"S3OutputPath": "s3://BUCKET/tuning-artifacts"},
    "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 30},
    "StoppingCondition": {"MaxRuntimeInSeconds": 3600}
  }
}`, "BUCKET", bucket), &in)
	return &in
}

func (e *env) seedTuningData(t *testing.T, bucket string, script []byte) {
	t.Helper()
	e.put(t, "s3://"+bucket+"/processed-data/train_processed.csv", sampledata.Housing(300, 1))
	e.put(t, "s3://"+bucket+"/raw-data/test.csv", sampledata.Housing(100, 2))
	e.put(t, "s3://"+bucket+"/code/training.py", script)
}

func (e *env) waitTuning(t testing.TB, name string) *tuningDoc {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	rec, err := waitJob(ctx, e.svc, kindTuning, name, func(d *tuningDoc) bool { return isTerminal(d.HyperParameterTuningJobStatus) })
	if err != nil {
		t.Fatalf("waiting for %s: %v", name, err)
	}
	return &rec.Job
}

func (e *env) tuningJobs(t *testing.T, name string, q ListTrainingJobsForHyperParameterTuningJobInput) []HyperParameterTrainingJobSummary {
	t.Helper()
	q.HyperParameterTuningJobName = name
	var all []HyperParameterTrainingJobSummary
	for {
		out, err := e.svc.ListTrainingJobsForHyperParameterTuningJob(t.Context(), &q)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, out.TrainingJobSummaries...)
		if out.NextToken == "" {
			return all
		}
		q.NextToken = out.NextToken
	}
}

var childNameRE = regexp.MustCompile(`^([a-zA-Z0-9-]+)-(\d{3})-[0-9a-f]{8}$`)

// TestTuningSeedTrainingScript tunes the seed's random forest (n_estimators, max_depth)
// with random search: four training jobs, two at a time, and the best is the one with
// the lowest Test RMSE the script printed.
func TestTuningSeedTrainingScript(t *testing.T) {
	t.Parallel()
	needPython(t, "sklearn", "pandas", "joblib")
	e := newEnv(t)
	e.seedTuningData(t, "tuning-b", tunableSeedScript(t))
	out, err := e.svc.CreateHyperParameterTuningJob(t.Context(), seedTuning(t, "rf-tune", "tuning-b", "Random", ""))
	if err != nil {
		t.Fatal(err)
	}
	if out.HyperParameterTuningJobArn != "arn:aws:sagemaker:us-east-1:123456789012:hyper-parameter-tuning-job/rf-tune" {
		t.Fatalf("arn %s", out.HyperParameterTuningJobArn)
	}
	d := e.waitTuning(t, "rf-tune")
	if d.HyperParameterTuningJobStatus != statusCompleted {
		t.Fatalf("%s: %s", d.HyperParameterTuningJobStatus, d.FailureReason)
	}
	if d.TrainingJobStatusCounters != (TrainingJobStatusCounters{Completed: 4}) || d.ObjectiveStatusCounters != (ObjectiveStatusCounters{Succeeded: 4}) {
		t.Fatalf("counters %+v %+v", d.TrainingJobStatusCounters, d.ObjectiveStatusCounters)
	}
	if d.HyperParameterTuningEndTime.IsZero() || d.ConsumedResources == nil {
		t.Fatalf("end time %v, consumed %+v", d.HyperParameterTuningEndTime, d.ConsumedResources)
	}
	jobs := e.tuningJobs(t, "rf-tune", ListTrainingJobsForHyperParameterTuningJobInput{})
	if len(jobs) != 4 {
		t.Fatalf("%d training jobs", len(jobs))
	}
	lowest := jobs[0]
	for i, j := range jobs {
		m := childNameRE.FindStringSubmatch(j.TrainingJobName)
		if m == nil || m[1] != "rf-tune" || m[2] != fmt.Sprintf("%03d", i+1) {
			t.Fatalf("training job name %s", j.TrainingJobName)
		}
		obj := j.FinalHyperParameterTuningJobObjectiveMetric
		if j.ObjectiveStatus != objectiveSucceeded || obj == nil || obj.MetricName != "test:rmse" || obj.Value <= 0 {
			t.Fatalf("job %s objective %s %+v", j.TrainingJobName, j.ObjectiveStatus, obj)
		}
		if obj.Value < lowest.FinalHyperParameterTuningJobObjectiveMetric.Value {
			lowest = j
		}
		n, _ := strconv.Atoi(j.TunedHyperParameters["n_estimators"])
		depth, _ := strconv.Atoi(j.TunedHyperParameters["max_depth"])
		if n < 2 || n > 12 || depth < 1 || depth > 8 || len(j.TunedHyperParameters) != 2 {
			t.Fatalf("tuned %v", j.TunedHyperParameters)
		}
		tj, err := e.svc.DescribeTrainingJob(t.Context(), &DescribeTrainingJobInput{TrainingJobName: j.TrainingJobName})
		if err != nil {
			t.Fatal(err)
		}
		if tj.TuningJobArn != out.HyperParameterTuningJobArn || tj.HyperParameters["_tuning_objective_metric"] != "test:rmse" ||
			tj.HyperParameters["n_estimators"] != j.TunedHyperParameters["n_estimators"] || tj.HyperParameters["sagemaker_program"] != "training.py" {
			t.Fatalf("training job %s: %s %v", j.TrainingJobName, tj.TuningJobArn, tj.HyperParameters)
		}
		// The script got the tuned values: the RMSE it printed is the job's metric.
		if log := e.log(t, kindTraining, j.TrainingJobName); !strings.Contains(log, fmt.Sprintf("Test RMSE: %.4f", obj.Value)) {
			t.Fatalf("log of %s lacks its RMSE %.4f:\n%s", j.TrainingJobName, obj.Value, log)
		}
	}
	best := d.BestTrainingJob
	if best == nil || best.TrainingJobName != lowest.TrainingJobName || best.FinalHyperParameterTuningJobObjectiveMetric.Value != lowest.FinalHyperParameterTuningJobObjectiveMetric.Value ||
		best.FinalHyperParameterTuningJobObjectiveMetric.Type != "Minimize" || best.TuningJobName != "rf-tune" {
		t.Fatalf("best %+v, lowest %+v", best, lowest)
	}
	if d.OverallBestTrainingJob != nil {
		t.Fatalf("OverallBestTrainingJob without a warm start: %+v", d.OverallBestTrainingJob)
	}
	byObjective := e.tuningJobs(t, "rf-tune", ListTrainingJobsForHyperParameterTuningJobInput{SortBy: "FinalObjectiveMetricValue", MaxResults: intp(1)})
	if byObjective[0].TrainingJobName != best.TrainingJobName {
		t.Fatalf("sorted by objective: %s first", byObjective[0].TrainingJobName)
	}
	// The same seed proposes the same values again.
	again, err := e.svc.planTuning(seedTuning(t, "rf-tune-2", "tuning-b", "Random", ""), 42)
	if err != nil {
		t.Fatal(err)
	}
	for i, j := range jobs {
		v, _ := again.strategies[0].Propose(i, nil, nil)
		if v["n_estimators"] != j.TunedHyperParameters["n_estimators"] || v["max_depth"] != j.TunedHyperParameters["max_depth"] {
			t.Fatalf("job %d: seed 42 proposes %v, the job had %v", i, v, j.TunedHyperParameters)
		}
	}

	list, err := e.svc.ListHyperParameterTuningJobs(t.Context(), &ListJobsInput{})
	if err != nil || len(list.HyperParameterTuningJobSummaries) != 1 || list.HyperParameterTuningJobSummaries[0].Strategy != "Random" ||
		list.HyperParameterTuningJobSummaries[0].TrainingJobStatusCounters.Completed != 4 {
		t.Fatalf("%v %+v", err, list)
	}
}

func intp(v int) *int { return &v }

// TestTuningSeedScriptUnchangedFails: the seed's script as published refuses the tuned
// hyperparameters as arguments, so every training job fails and so does the tuning job,
// with SageMaker's reason.
func TestTuningSeedScriptUnchangedFails(t *testing.T) {
	t.Parallel()
	needPython(t, "sklearn", "pandas", "joblib")
	e := newEnv(t)
	b, err := os.ReadFile(filepath.Join("testdata", "training.py"))
	if err != nil {
		t.Fatal(err)
	}
	e.seedTuningData(t, "tuning-u", b)
	in := seedTuning(t, "rf-plain", "tuning-u", "Bayesian", "")
	in.HyperParameterTuningJobConfig.ResourceLimits = &ResourceLimits{MaxNumberOfTrainingJobs: 3, MaxParallelTrainingJobs: 3}
	if _, err := e.svc.CreateHyperParameterTuningJob(t.Context(), in); err != nil {
		t.Fatal(err)
	}
	d := e.waitTuning(t, "rf-plain")
	if d.HyperParameterTuningJobStatus != statusFailed || !strings.HasPrefix(d.FailureReason, "No training job succeeded after 3 attempts.") ||
		d.TrainingJobStatusCounters.NonRetryableError != 3 || d.ObjectiveStatusCounters.Failed != 3 || d.BestTrainingJob != nil {
		t.Fatalf("%s %q %+v", d.HyperParameterTuningJobStatus, d.FailureReason, d.TrainingJobStatusCounters)
	}
	jobs := e.tuningJobs(t, "rf-plain", ListTrainingJobsForHyperParameterTuningJobInput{StatusEquals: statusFailed})
	if len(jobs) != 3 || !strings.Contains(jobs[0].FailureReason, "unrecognized arguments") {
		t.Fatalf("%d jobs, %+v", len(jobs), jobs)
	}
}

// TestTuningXGBoostGrid tunes the built-in XGBoost algorithm over validation:rmse, its
// own metric, with grid search: every combination once.
func TestTuningXGBoostGrid(t *testing.T) {
	t.Parallel()
	needPython(t, "xgboost")
	e := newEnv(t)
	e.put(t, "s3://tuning-x/train/train.csv", sampledata.HousingLabelFirst(300, 3))
	e.put(t, "s3://tuning-x/validation/validation.csv", sampledata.HousingLabelFirst(100, 4))
	var in CreateHyperParameterTuningJobInput
	mustJSON(t, `{
  "HyperParameterTuningJobName": "xgb-grid",
  "HyperParameterTuningJobConfig": {
    "Strategy": "Grid",
    "HyperParameterTuningJobObjective": {"Type": "Minimize", "MetricName": "validation:rmse"},
    "ResourceLimits": {"MaxParallelTrainingJobs": 2},
    "ParameterRanges": {"CategoricalParameterRanges": [
      {"Name": "max_depth", "Values": ["1", "4"]},
      {"Name": "eta", "Values": ["0.05", "0.3"]}
    ]}
  },
  "TrainingJobDefinition": {
    "StaticHyperParameters": {"objective": "reg:squarederror", "num_round": "8"},
    "AlgorithmSpecification": {"TrainingImage": "246618743249.dkr.ecr.us-west-2.amazonaws.com/sagemaker-xgboost:1.5-1", "TrainingInputMode": "File"},
    "RoleArn": "`+role+`",
    "InputDataConfig": [
      {"ChannelName": "train", "DataSource": {"S3DataSource": {"S3Uri": "s3://tuning-x/train", "S3DataType": "S3Prefix"}}, "ContentType": "text/csv"},
      {"ChannelName": "validation", "DataSource": {"S3DataSource": {"S3Uri": "s3://tuning-x/validation", "S3DataType": "S3Prefix"}}, "ContentType": "text/csv"}
    ],
    "OutputDataConfig": {"S3OutputPath": "s3://tuning-x/model/"},
    "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
    "StoppingCondition": {"MaxRuntimeInSeconds": 600}
  }
}`, &in)
	if _, err := e.svc.CreateHyperParameterTuningJob(t.Context(), &in); err != nil {
		t.Fatal(err)
	}
	d := e.waitTuning(t, "xgb-grid")
	if d.HyperParameterTuningJobStatus != statusCompleted || d.TrainingJobStatusCounters.Completed != 4 {
		t.Fatalf("%s %q %+v", d.HyperParameterTuningJobStatus, d.FailureReason, d.TrainingJobStatusCounters)
	}
	jobs := e.tuningJobs(t, "xgb-grid", ListTrainingJobsForHyperParameterTuningJobInput{SortBy: "FinalObjectiveMetricValue"})
	var combos []string
	for _, j := range jobs {
		combos = append(combos, j.TunedHyperParameters["max_depth"]+"/"+j.TunedHyperParameters["eta"])
	}
	slices.Sort(combos)
	if strings.Join(combos, " ") != "1/0.05 1/0.3 4/0.05 4/0.3" {
		t.Fatalf("combinations %v", combos)
	}
	if d.BestTrainingJob.TrainingJobName != jobs[0].TrainingJobName || jobs[0].FinalHyperParameterTuningJobObjectiveMetric.Value >= jobs[3].FinalHyperParameterTuningJobObjectiveMetric.Value {
		t.Fatalf("best %s, by objective %+v", d.BestTrainingJob.TrainingJobName, jobs)
	}
	// Eight rounds at eta 0.05 leave most of the variance: the deep, fast learner wins.
	if jobs[0].TunedHyperParameters["eta"] != "0.3" {
		t.Fatalf("best %v", jobs[0].TunedHyperParameters)
	}
}

// tuneScript reports loss = (pos-0.3)^2; with --mode slow it first waits for the object
// code/go to be in its code channel.
const tuneScript = `import argparse, os, time
p = argparse.ArgumentParser()
p.add_argument('--pos', type=float, default=0)
p.add_argument('--mode', type=str, default='fast')
a, _ = p.parse_known_args()
print('started', flush=True)
if a.mode == 'slow':
    while not os.path.exists('/opt/ml/input/data/code/go'):
        time.sleep(0.05)
print('loss: %f' % ((a.pos - 0.3) ** 2), flush=True)
`

func scriptTuning(t *testing.T, name, strategy, ranges, limits string) *CreateHyperParameterTuningJobInput {
	var in CreateHyperParameterTuningJobInput
	mustJSON(t, `{
  "HyperParameterTuningJobName": "`+name+`",
  "HyperParameterTuningJobConfig": {
    "Strategy": "`+strategy+`",
    "HyperParameterTuningJobObjective": {"Type": "Minimize", "MetricName": "loss"},
    "ResourceLimits": `+limits+`,
    "ParameterRanges": `+ranges+`
  },
  "TrainingJobDefinition": {
    "StaticHyperParameters": {"sagemaker_program": "tune.py", "sagemaker_submit_directory": "/opt/ml/input/data/code"},
    "AlgorithmSpecification": {"TrainingImage": "`+sklearnImage+`", "TrainingInputMode": "File",
      "MetricDefinitions": [{"Name": "loss", "Regex": "loss: ([0-9\\.]+)"}]},
    "RoleArn": "`+role+`",
    "InputDataConfig": [{"ChannelName": "code", "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://tuning-s/code"}}}],
    "OutputDataConfig": {"S3OutputPath": "s3://tuning-s/out"},
    "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 1},
    "StoppingCondition": {"MaxRuntimeInSeconds": 600}
  }
}`, &in)
	return &in
}

// waitChildTraining waits until the tuning job's index-th training job is Training.
func (e *env) waitChildTraining(t *testing.T, tuningName string, index int) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	rec, err := waitJob(ctx, e.svc, kindTuning, tuningName, func(d *tuningDoc) bool {
		return len(d.Tuner.Children) > index && d.Tuner.Children[index].Created
	})
	if err != nil {
		t.Fatal(err)
	}
	name := rec.Job.Tuner.Children[index].Name
	if _, err := waitJob(ctx, e.svc, kindTraining, name, func(j *TrainingJob) bool { return j.SecondaryStatus == secTraining }); err != nil {
		t.Fatal(err)
	}
	return name
}

// TestTuningStop: StopHyperParameterTuningJob stops the running training jobs, and the
// tuning job goes through Stopping to Stopped.
func TestTuningStop(t *testing.T) {
	t.Parallel()
	needPython(t)
	e := newEnv(t)
	e.put(t, "s3://tuning-s/code/tune.py", []byte(tuneScript))
	in := scriptTuning(t, "stop-me", "Random", `{"CategoricalParameterRanges": [{"Name": "mode", "Values": ["slow"]}],
      "ContinuousParameterRanges": [{"Name": "pos", "MinValue": "0", "MaxValue": "1"}]}`,
		`{"MaxNumberOfTrainingJobs": 5, "MaxParallelTrainingJobs": 2}`)
	if _, err := e.svc.CreateHyperParameterTuningJob(t.Context(), in); err != nil {
		t.Fatal(err)
	}
	e.waitChildTraining(t, "stop-me", 0)
	e.waitChildTraining(t, "stop-me", 1)
	if _, err := e.svc.StopHyperParameterTuningJob(t.Context(), &StopHyperParameterTuningJobInput{HyperParameterTuningJobName: "stop-me"}); err != nil {
		t.Fatal(err)
	}
	d := e.waitTuning(t, "stop-me")
	if d.HyperParameterTuningJobStatus != statusStopped || d.TrainingJobStatusCounters != (TrainingJobStatusCounters{Stopped: 2}) || len(d.Tuner.Children) != 2 {
		t.Fatalf("%s %+v, %d jobs", d.HyperParameterTuningJobStatus, d.TrainingJobStatusCounters, len(d.Tuner.Children))
	}
	for _, j := range e.tuningJobs(t, "stop-me", ListTrainingJobsForHyperParameterTuningJobInput{}) {
		if j.TrainingJobStatus != statusStopped {
			t.Fatalf("%s is %s", j.TrainingJobName, j.TrainingJobStatus)
		}
	}
	_, err := e.svc.StopHyperParameterTuningJob(t.Context(), &StopHyperParameterTuningJobInput{HyperParameterTuningJobName: "stop-me"})
	if apiCode(err) != "ValidationException" {
		t.Fatalf("stopping a stopped tuning job: %v", err)
	}
}

// TestTuningResumesAfterRestart stops the server while a tuning job's second training
// job runs and starts a new one on the same store and data: the running training job
// runs again, the completed one is kept, none is created twice, and the tuning job
// completes.
func TestTuningResumesAfterRestart(t *testing.T) {
	t.Parallel()
	needPython(t)
	e := newEnv(t)
	e.put(t, "s3://tuning-s/code/tune.py", []byte(tuneScript))
	in := scriptTuning(t, "resume-me", "Grid", `{"CategoricalParameterRanges": [{"Name": "mode", "Values": ["fast", "slow"]},
      {"Name": "pos", "Values": ["0.1", "0.3"]}]}`, `{"MaxParallelTrainingJobs": 1}`)
	if _, err := e.svc.CreateHyperParameterTuningJob(t.Context(), in); err != nil {
		t.Fatal(err)
	}
	first := e.waitTraining(t, e.waitChildName(t, "resume-me", 0))
	second := e.waitTraining(t, e.waitChildName(t, "resume-me", 1))
	slow := e.waitChildTraining(t, "resume-me", 2) // mode slow, pos 0.1: waits for code/go
	if first.TrainingJobStatus != statusCompleted || second.TrainingJobStatus != statusCompleted {
		t.Fatalf("%s %s", first.TrainingJobStatus, second.TrainingJobStatus)
	}
	if err := e.svc.Stop(t.Context()); err != nil {
		t.Fatal(err)
	}
	e.put(t, "s3://tuning-s/code/go", []byte("go"))
	e.start(t)

	d := e.waitTuning(t, "resume-me")
	if d.HyperParameterTuningJobStatus != statusCompleted || d.TrainingJobStatusCounters.Completed != 4 || len(d.Tuner.Children) != 4 {
		t.Fatalf("%s %q %+v %d", d.HyperParameterTuningJobStatus, d.FailureReason, d.TrainingJobStatusCounters, len(d.Tuner.Children))
	}
	if d.BestTrainingJob == nil || d.BestTrainingJob.FinalHyperParameterTuningJobObjectiveMetric.Value != 0 || d.BestTrainingJob.TunedHyperParameters["pos"] != "0.3" {
		t.Fatalf("best %+v", d.BestTrainingJob)
	}
	all, err := e.svc.ListTrainingJobs(t.Context(), &ListJobsInput{MaxResults: intp(100)})
	if err != nil || len(all.TrainingJobSummaries) != 4 {
		t.Fatalf("%v: %d training jobs in all", err, len(all.TrainingJobSummaries))
	}
	for _, j := range []*TrainingJob{first, second} {
		rec, _, err := loadRecord[TrainingJob](t.Context(), e.st, kindTraining, j.TrainingJobName)
		if err != nil || rec.Restarts != 0 || !rec.Job.TrainingEndTime.Equal(j.TrainingEndTime.Time) {
			t.Fatalf("completed job %s was touched: %v restarts %d", j.TrainingJobName, err, rec.Restarts)
		}
	}
	rec, _, err := loadRecord[TrainingJob](t.Context(), e.st, kindTraining, slow)
	if err != nil || rec.Restarts != 1 || rec.Job.TrainingJobStatus != statusCompleted {
		t.Fatalf("running job %s: %v restarts %d %s", slow, err, rec.Restarts, rec.Job.TrainingJobStatus)
	}
}

func (e *env) waitChildName(t *testing.T, tuningName string, index int) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	rec, err := waitJob(ctx, e.svc, kindTuning, tuningName, func(d *tuningDoc) bool {
		return len(d.Tuner.Children) > index && d.Tuner.Children[index].Created
	})
	if err != nil {
		t.Fatal(err)
	}
	return rec.Job.Tuner.Children[index].Name
}

// TestTuningBadInput: the requests SageMaker refuses, with its error codes.
func TestTuningBadInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ranges := `{"ContinuousParameterRanges": [{"Name": "pos", "MinValue": "0", "MaxValue": "1"}]}`
	limits := `{"MaxNumberOfTrainingJobs": 2, "MaxParallelTrainingJobs": 1}`
	cases := []struct {
		name   string
		modify func(*CreateHyperParameterTuningJobInput)
		code   string
		msg    string
	}{
		{"unknown metric", func(in *CreateHyperParameterTuningJobInput) {
			in.HyperParameterTuningJobConfig.HyperParameterTuningJobObjective.MetricName = "accuracy"
		}, "ValidationException", "The objective metric for the hyperparameter tuning job, [accuracy]"},
		{"name too long", func(in *CreateHyperParameterTuningJobInput) {
			in.HyperParameterTuningJobName = strings.Repeat("a", 33)
		}, "ValidationException", "at 'hyperParameterTuningJobName' failed to satisfy constraint: Member must have length less than or equal to 32"},
		{"log scale from 0", func(in *CreateHyperParameterTuningJobInput) {
			in.HyperParameterTuningJobConfig.ParameterRanges.ContinuousParameterRanges[0].ScalingType = "Logarithmic"
		}, "ValidationException", "Logarithmic scaling works only for ranges that have only values greater than 0"},
		{"reverse log to 1", func(in *CreateHyperParameterTuningJobInput) {
			in.HyperParameterTuningJobConfig.ParameterRanges.ContinuousParameterRanges[0].ScalingType = "ReverseLogarithmic"
		}, "ValidationException", "entirely within the range 0<=x<1.0"},
		{"min above max", func(in *CreateHyperParameterTuningJobInput) {
			in.HyperParameterTuningJobConfig.ParameterRanges.ContinuousParameterRanges[0].MinValue = "2"
		}, "ValidationException", "must be less than or equal to its MaxValue"},
		{"unknown scaling", func(in *CreateHyperParameterTuningJobInput) {
			in.HyperParameterTuningJobConfig.ParameterRanges.ContinuousParameterRanges[0].ScalingType = "Cubic"
		}, "ValidationException", "Member must satisfy enum value set: [Auto, Linear, Logarithmic, ReverseLogarithmic]"},
		{"static and tuned", func(in *CreateHyperParameterTuningJobInput) {
			in.TrainingJobDefinition.StaticHyperParameters["pos"] = "0.5"
		}, "ValidationException", "The hyperparameter pos is both static and tunable"},
		{"grid over a continuous range", func(in *CreateHyperParameterTuningJobInput) {
			in.HyperParameterTuningJobConfig.Strategy = "Grid"
		}, "ValidationException", "The Grid strategy supports only categorical hyperparameters"},
		{"hyperband", func(in *CreateHyperParameterTuningJobInput) {
			in.HyperParameterTuningJobConfig.Strategy = "Hyperband"
		}, "ValidationException", "Hyperband strategy is not supported by stepwise"},
		{"no parallel limit", func(in *CreateHyperParameterTuningJobInput) {
			in.HyperParameterTuningJobConfig.ResourceLimits.MaxParallelTrainingJobs = 0
		}, "ValidationException", "resourceLimits.maxParallelTrainingJobs' failed to satisfy constraint: Member must have value greater than or equal to 1"},
		{"too many jobs", func(in *CreateHyperParameterTuningJobInput) {
			in.HyperParameterTuningJobConfig.ResourceLimits.MaxNumberOfTrainingJobs = 501
		}, "ResourceLimitExceeded", "the limit per hyperparameter tuning job is 500"},
		{"no definition", func(in *CreateHyperParameterTuningJobInput) {
			in.TrainingJobDefinition = nil
		}, "ValidationException", "Either TrainingJobDefinition or TrainingJobDefinitions must be specified"},
		{"bad training definition", func(in *CreateHyperParameterTuningJobInput) {
			in.TrainingJobDefinition.OutputDataConfig.S3OutputPath = "file:///tmp"
		}, "ValidationException", "s3OutputPath"},
	}
	for _, c := range cases {
		in := scriptTuning(t, "bad", "Random", ranges, limits)
		c.modify(in)
		_, err := e.svc.CreateHyperParameterTuningJob(t.Context(), in)
		if apiCode(err) != c.code || err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	grid := scriptTuning(t, "bad", "Grid", `{"CategoricalParameterRanges": [{"Name": "pos", "Values": ["1", "2", "3"]}]}`, limits)
	if _, err := e.svc.CreateHyperParameterTuningJob(t.Context(), grid); err == nil || !strings.Contains(err.Error(), "distinct combinations of the categorical ranges (3), not 2") {
		t.Errorf("grid with a wrong job count: %v", err)
	}
	if _, err := e.svc.DescribeHyperParameterTuningJob(t.Context(), &DescribeHyperParameterTuningJobInput{HyperParameterTuningJobName: "nope"}); apiCode(err) != "ResourceNotFound" ||
		!strings.Contains(err.Error(), "Amazon SageMaker can't find a tuning job with name nope") {
		t.Errorf("describe unknown: %v", err)
	}
	if _, err := e.svc.StopHyperParameterTuningJob(t.Context(), &StopHyperParameterTuningJobInput{HyperParameterTuningJobName: "nope"}); apiCode(err) != "ResourceNotFound" {
		t.Errorf("stop unknown: %v", err)
	}
	if _, err := e.svc.ListTrainingJobsForHyperParameterTuningJob(t.Context(), &ListTrainingJobsForHyperParameterTuningJobInput{HyperParameterTuningJobName: "nope"}); apiCode(err) != "ResourceNotFound" {
		t.Errorf("list unknown: %v", err)
	}
	if _, err := e.svc.ListTrainingJobsForHyperParameterTuningJob(t.Context(), &ListTrainingJobsForHyperParameterTuningJobInput{HyperParameterTuningJobName: "x", SortBy: "Loss"}); apiCode(err) != "ValidationException" {
		t.Errorf("list sorted by an unknown key: %v", err)
	}
}

// TestTuningDuplicateName: a second tuning job with a taken name is ResourceInUse.
func TestTuningDuplicateName(t *testing.T) {
	t.Parallel()
	needPython(t)
	e := newEnv(t)
	e.put(t, "s3://tuning-s/code/tune.py", []byte(tuneScript))
	in := scriptTuning(t, "twice", "Random", `{"ContinuousParameterRanges": [{"Name": "pos", "MinValue": "0", "MaxValue": "1"}]}`,
		`{"MaxNumberOfTrainingJobs": 1, "MaxParallelTrainingJobs": 1}`)
	if _, err := e.svc.CreateHyperParameterTuningJob(t.Context(), in); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.CreateHyperParameterTuningJob(t.Context(), in); apiCode(err) != "ResourceInUse" {
		t.Fatalf("duplicate: %v", err)
	}
	e.waitTuning(t, "twice")
}

const tuningState = `{"StartAt":"Tune","States":{"Tune":{"Type":"Task","Resource":"arn:aws:states:::sagemaker:createHyperParameterTuningJob%s",
  "Parameters": %s, "End":true}}}`

// TestTuningSyncIntegration: createHyperParameterTuningJob.sync returns the final
// Describe reply (BestTrainingJob included); a tuning job that fails fails the task
// with States.TaskFailed; request-response returns the ARN.
func TestTuningSyncIntegration(t *testing.T) {
	t.Parallel()
	needPython(t)
	e := newEnv(t)
	e.put(t, "s3://tuning-s/code/tune.py", []byte(tuneScript))
	params := func(name, metric string) string {
		in := scriptTuning(t, name, "Bayesian", `{"ContinuousParameterRanges": [{"Name": "pos", "MinValue": "0", "MaxValue": "1"}]}`,
			`{"MaxNumberOfTrainingJobs": 4, "MaxParallelTrainingJobs": 2}`)
		in.TrainingJobDefinition.AlgorithmSpecification.MetricDefinitions = append(in.TrainingJobDefinition.AlgorithmSpecification.MetricDefinitions,
			MetricDefinition{Name: "never", Regex: "never printed: ([0-9]+)"})
		in.HyperParameterTuningJobConfig.HyperParameterTuningJobObjective.MetricName = metric
		return string(mustMarshal(t, in))
	}
	res, _ := e.runMachine(t, sprintf(tuningState, ".sync", params("sync-tune", "loss")), `{}`)
	if res.Status != engine.StatusSucceeded {
		t.Fatalf("%s %s %s", res.Status, res.Error, res.Cause)
	}
	out := res.Output.(*jsonv.Object)
	if st, _ := out.Get("HyperParameterTuningJobStatus"); st != "Completed" {
		t.Fatalf("output %s", jsonv.String(out))
	}
	best, _ := out.Get("BestTrainingJob")
	if name, _ := best.(*jsonv.Object).Get("TrainingJobName"); !strings.HasPrefix(name.(string), "sync-tune-") {
		t.Fatalf("BestTrainingJob %s", jsonv.String(best))
	}
	if _, has := out.Get("StepwiseTuner"); has {
		t.Fatal("the tuner's state leaks into the task result")
	}
	if ct, _ := out.Get("CreationTime"); ct.(float64) < 1e12 {
		t.Fatalf("CreationTime %v is not in milliseconds", ct)
	}

	// No training job reports the objective: the tuning job fails, and so does the task.
	res, _ = e.runMachine(t, sprintf(tuningState, ".sync", params("sync-fail", "never")), `{}`)
	if res.Status != engine.StatusFailed || res.Error != "States.TaskFailed" || !strings.Contains(res.Cause, `"HyperParameterTuningJobStatus":"Failed"`) ||
		!strings.Contains(res.Cause, "No training job succeeded after 4 attempts") {
		t.Fatalf("%s %s %s", res.Status, res.Error, res.Cause)
	}

	res, _ = e.runMachine(t, sprintf(tuningState, "", params("rr-tune", "loss")), `{}`)
	if res.Status != engine.StatusSucceeded || jsonv.String(res.Output) != `{"HyperParameterTuningJobArn":"arn:aws:sagemaker:us-east-1:123456789012:hyper-parameter-tuning-job/rr-tune"}` {
		t.Fatalf("%s %s", res.Status, jsonv.String(res.Output))
	}
	e.waitTuning(t, "rr-tune")

	res, _ = e.runMachine(t, sprintf(tuningState, "", params("sync-tune", "loss")), `{}`)
	if res.Status != engine.StatusFailed || res.Error != "SageMaker.ResourceInUseException" {
		t.Fatalf("%s %s %s", res.Status, res.Error, res.Cause)
	}
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestTuningTargetObjective: TuningJobCompletionCriteria.TargetObjectiveMetricValue ends
// the tuning job, Completed, as soon as a training job reaches it.
func TestTuningTargetObjective(t *testing.T) {
	t.Parallel()
	needPython(t)
	e := newEnv(t)
	e.put(t, "s3://tuning-s/code/tune.py", []byte(tuneScript))
	in := scriptTuning(t, "target", "Grid", `{"CategoricalParameterRanges": [{"Name": "pos", "Values": ["0.3", "0.1", "0.5", "0.9"]}]}`,
		`{"MaxParallelTrainingJobs": 1}`)
	in.HyperParameterTuningJobConfig.TuningJobCompletionCriteria = &TuningJobCompletionCriteria{TargetObjectiveMetricValue: ptrFloat(0.001)}
	if _, err := e.svc.CreateHyperParameterTuningJob(t.Context(), in); err != nil {
		t.Fatal(err)
	}
	d := e.waitTuning(t, "target")
	if d.HyperParameterTuningJobStatus != statusCompleted || len(d.Tuner.Children) != 1 || d.BestTrainingJob.FinalHyperParameterTuningJobObjectiveMetric.Value != 0 {
		t.Fatalf("%s, %d training jobs, best %+v", d.HyperParameterTuningJobStatus, len(d.Tuner.Children), d.BestTrainingJob)
	}
}

func ptrFloat(v float64) *float64 { return &v }

// TestTuningWarmStart: a tuning job warm-started from a finished one reports the
// parent's best job as OverallBestTrainingJob when it is better than its own.
func TestTuningWarmStart(t *testing.T) {
	t.Parallel()
	needPython(t)
	e := newEnv(t)
	e.put(t, "s3://tuning-s/code/tune.py", []byte(tuneScript))
	parent := scriptTuning(t, "parent", "Grid", `{"CategoricalParameterRanges": [{"Name": "pos", "Values": ["0.3", "0.9"]}]}`, `{"MaxParallelTrainingJobs": 2}`)
	if _, err := e.svc.CreateHyperParameterTuningJob(t.Context(), parent); err != nil {
		t.Fatal(err)
	}
	child := scriptTuning(t, "child", "Bayesian", `{"ContinuousParameterRanges": [{"Name": "pos", "MinValue": "0.5", "MaxValue": "1"}]}`,
		`{"MaxNumberOfTrainingJobs": 2, "MaxParallelTrainingJobs": 2}`)
	child.WarmStartConfig = &HyperParameterTuningJobWarmStartConfig{WarmStartType: "IdenticalDataAndAlgorithm",
		ParentHyperParameterTuningJobs: []ParentHyperParameterTuningJob{{HyperParameterTuningJobName: "parent"}}}
	if _, err := e.svc.CreateHyperParameterTuningJob(t.Context(), child); apiCode(err) != "ValidationException" {
		t.Fatalf("warm start from a running parent: %v", err)
	}
	p := e.waitTuning(t, "parent")
	if _, err := e.svc.CreateHyperParameterTuningJob(t.Context(), child); err != nil {
		t.Fatal(err)
	}
	d := e.waitTuning(t, "child")
	if d.HyperParameterTuningJobStatus != statusCompleted || d.BestTrainingJob == nil || d.OverallBestTrainingJob == nil ||
		d.OverallBestTrainingJob.TrainingJobName != p.BestTrainingJob.TrainingJobName || d.BestTrainingJob.TuningJobName != "child" {
		t.Fatalf("%s best %+v overall %+v", d.HyperParameterTuningJobStatus, d.BestTrainingJob, d.OverallBestTrainingJob)
	}
	child.HyperParameterTuningJobName = "orphan"
	child.WarmStartConfig.ParentHyperParameterTuningJobs[0].HyperParameterTuningJobName = "nobody"
	if _, err := e.svc.CreateHyperParameterTuningJob(t.Context(), child); apiCode(err) != "ResourceNotFound" {
		t.Fatalf("unknown parent: %v", err)
	}
}

// TestTuningMaxRuntime: when ResourceLimits.MaxRuntimeInSeconds passes (on the service's
// clock), the running training jobs are stopped and so is the tuning job.
func TestTuningMaxRuntime(t *testing.T) {
	t.Parallel()
	needPython(t)
	clk := clock.NewManual(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	e := newEnv(t, func(c *Config, _ *rlocal.Options) { c.Clock = clk })
	e.put(t, "s3://tuning-s/code/tune.py", []byte(tuneScript))
	in := scriptTuning(t, "deadline", "Random", `{"CategoricalParameterRanges": [{"Name": "mode", "Values": ["slow"]}]}`,
		`{"MaxNumberOfTrainingJobs": 3, "MaxParallelTrainingJobs": 1, "MaxRuntimeInSeconds": 120}`)
	if _, err := e.svc.CreateHyperParameterTuningJob(t.Context(), in); err != nil {
		t.Fatal(err)
	}
	e.waitChildTraining(t, "deadline", 0)
	if clk.Pending() == 0 {
		t.Fatal("the tuning job set no timer for its MaxRuntimeInSeconds")
	}
	clk.Advance(119 * time.Second)
	if rec, _, _ := loadRecord[tuningDoc](t.Context(), e.st, kindTuning, "deadline"); rec.Job.HyperParameterTuningJobStatus != statusInProgress {
		t.Fatalf("stopped before its time: %s", rec.Job.HyperParameterTuningJobStatus)
	}
	clk.Advance(2 * time.Second)
	d := e.waitTuning(t, "deadline")
	if d.HyperParameterTuningJobStatus != statusStopped || d.TrainingJobStatusCounters != (TrainingJobStatusCounters{Stopped: 1}) ||
		d.ConsumedResources.RuntimeInSeconds != 121 {
		t.Fatalf("%s %+v %+v", d.HyperParameterTuningJobStatus, d.TrainingJobStatusCounters, d.ConsumedResources)
	}
}

// FuzzPlanTuning: no CreateHyperParameterTuningJob request, however malformed, makes
// its checks panic; an accepted one plans at least one training job.
func FuzzPlanTuning(f *testing.F) {
	f.Add(`{"HyperParameterTuningJobName":"a","HyperParameterTuningJobConfig":{"Strategy":"Random","ResourceLimits":{"MaxParallelTrainingJobs":1,"MaxNumberOfTrainingJobs":2},
"HyperParameterTuningJobObjective":{"Type":"Minimize","MetricName":"m"},"ParameterRanges":{"IntegerParameterRanges":[{"Name":"n","MinValue":"1","MaxValue":"3"}]}},
"TrainingJobDefinition":{"AlgorithmSpecification":{"TrainingImage":"i","TrainingInputMode":"File","MetricDefinitions":[{"Name":"m","Regex":"m=(\\S+)"}]},
"RoleArn":"arn:aws:iam::123456789012:role/R","OutputDataConfig":{"S3OutputPath":"s3://b/o"},"ResourceConfig":{"InstanceType":"ml.m5.large","InstanceCount":1},"StoppingCondition":{}}}`)
	f.Add(`{"HyperParameterTuningJobName":"a","HyperParameterTuningJobConfig":{"Strategy":"Grid","ResourceLimits":{"MaxParallelTrainingJobs":1},
"ParameterRanges":{"CategoricalParameterRanges":[{"Name":"n","Values":["1","2"]}]}},"TrainingJobDefinitions":[{"DefinitionName":"d","TuningObjective":{"Type":"Maximize","MetricName":"validation:auc"},
"AlgorithmSpecification":{"TrainingImage":"x/sagemaker-xgboost:1.5-1","TrainingInputMode":"File"},"RoleArn":"arn:aws:iam::123456789012:role/R","OutputDataConfig":{"S3OutputPath":"s3://b/o"},"ResourceConfig":{},"StoppingCondition":{}}]}`)
	f.Add(`{"HyperParameterTuningJobConfig":{"ParameterRanges":{"ContinuousParameterRanges":[{"ScalingType":"ReverseLogarithmic","MinValue":"0","MaxValue":"0.99"}]}},"TrainingJobDefinitions":[{}]}`)
	s := New(Config{})
	f.Fuzz(func(t *testing.T, body string) {
		var in CreateHyperParameterTuningJobInput
		if api.DecodeJSON([]byte(body), &in) != nil {
			return
		}
		plan, err := s.planTuning(&in, 1)
		if err != nil {
			return
		}
		if plan.maxJobs < 1 || plan.parallel < 1 || len(plan.strategies) != len(plan.defs) {
			t.Fatalf("plan %+v", plan)
		}
		d := &tuningDoc{}
		if _, ok := s.propose(d, plan); !ok {
			t.Fatal("an accepted tuning job proposes no training job")
		}
	})
}
