package sagemaker

import (
	"context"
	"strings"
	"testing"

	"github.com/stepwise-dev/stepwise/logs"
	rlocal "github.com/stepwise-dev/stepwise/runner/local"
	"github.com/stepwise-dev/stepwise/store"
)

// TestTrainingOutputInCloudWatchLogs: a training job's stdout and stderr lines reach
// /aws/sagemaker/TrainingJobs, stream <job>/algo-1-<epoch>, through the Logs sink.
func TestTrainingOutputInCloudWatchLogs(t *testing.T) {
	t.Parallel()
	needPython(t)
	var sink *logs.Service
	e := newEnv(t, func(c *Config, _ *rlocal.Options) {
		sink = logs.New(logs.Config{Store: c.Store.(store.LogStore)})
		c.Logs = sink
	})
	if err := sink.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sink.Stop(context.Background()) })
	var in CreateTrainingJobInput
	mustJSON(t, `{
  "TrainingJobName": "logged",
  "RoleArn": "`+role+`",
  "AlgorithmSpecification": {"TrainingImage": "`+sklearnImage+`", "TrainingInputMode": "File",
    "ContainerEntrypoint": ["python3", "-c", "import sys\nfor i in range(3): print('epoch', i, flush=True)\nprint('warning: tiny', file=sys.stderr)"]},
  "OutputDataConfig": {"S3OutputPath": "s3://logged/out"},
  "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 30},
  "StoppingCondition": {"MaxRuntimeInSeconds": 600}
}`, &in)
	e.put(t, "s3://logged/placeholder", []byte("x"))
	if _, err := e.svc.CreateTrainingJob(t.Context(), &in); err != nil {
		t.Fatal(err)
	}
	if j := e.waitTraining(t, "logged"); j.TrainingJobStatus != statusCompleted {
		t.Fatalf("job %s: %s", j.TrainingJobStatus, j.FailureReason)
	}
	if err := sink.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	streams, err := sink.DescribeLogStreams(t.Context(), &logs.DescribeLogStreamsInput{LogGroupName: ptrTo("/aws/sagemaker/TrainingJobs")})
	if err != nil {
		t.Fatal(err)
	}
	if len(streams.LogStreams) != 1 || !strings.HasPrefix(streams.LogStreams[0].LogStreamName, "logged/algo-1-") {
		t.Fatalf("streams: %+v", streams.LogStreams)
	}
	out, err := sink.GetLogEvents(t.Context(), &logs.GetLogEventsInput{LogGroupName: ptrTo("/aws/sagemaker/TrainingJobs"),
		LogStreamName: &streams.LogStreams[0].LogStreamName, StartFromHead: ptrTo(true)})
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, ev := range out.Events {
		lines = append(lines, ev.Message)
	}
	got := strings.Join(lines, "\n")
	for _, want := range []string{"epoch 0", "epoch 2", "warning: tiny"} {
		if !strings.Contains(got, want) {
			t.Fatalf("the log stream lacks %q:\n%s", want, got)
		}
	}
}

func ptrTo[T any](v T) *T { return &v }
