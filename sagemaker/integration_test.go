package sagemaker

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/asl"
	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/integrations"
	"github.com/stepwise-dev/stepwise/internal/clock"
	"github.com/stepwise-dev/stepwise/jsonv"
	rlocal "github.com/stepwise-dev/stepwise/runner/local"
)

func (e *env) runMachine(t *testing.T, def, input string) (engine.Result, *engine.Execution) {
	t.Helper()
	sm, err := asl.Parse([]byte(def), asl.Options{})
	if err != nil {
		t.Fatal(err)
	}
	reg := integrations.NewRegistry()
	e.svc.RegisterIntegrations(reg)
	eng := engine.New(engine.Config{Tasks: reg})
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	x, res := eng.Run(ctx, sm, engine.StartParams{Name: "exec-1", StateMachineName: "M", Input: jsonv.MustDecode(input)})
	return res, x
}

const processingState = `{"StartAt":"P","States":{"P":{"Type":"Task","Resource":"arn:aws:states:::sagemaker:createProcessingJob%s",
  "Parameters":{"ProcessingJobName.$":"$.name","RoleArn":"` + role + `",
    "AppSpecification":{"ImageUri":"` + sklearnImage + `","ContainerEntrypoint":["python3","/opt/ml/processing/input/code/main.py"]},
    "ProcessingInputs":[{"InputName":"code","S3Input":{"S3Uri":"s3://jobs/code","LocalPath":"/opt/ml/processing/input/code","S3DataType":"S3Prefix"}}],
    "ProcessingResources":{"ClusterConfig":{"InstanceCount":1,"InstanceType":"ml.m5.large","VolumeSizeInGB":1}}%s},
  "End":true}}}`

func TestSyncIntegration(t *testing.T) {
	needPython(t)
	e := newEnv(t)
	e.put(t, "s3://jobs/code/main.py", []byte("import sys\nsys.exit(int(open('/opt/ml/config/processingjobconfig.json').read().count('fail-me') > 0))\n"))

	res, x := e.runMachine(t, sprintf(processingState, ".sync", ""), `{"name":"ok-job"}`)
	if res.Status != engine.StatusSucceeded {
		t.Fatalf("%s %s %s", res.Status, res.Error, res.Cause)
	}
	out := res.Output.(*jsonv.Object)
	if st, _ := out.Get("ProcessingJobStatus"); st != "Completed" {
		t.Fatalf("output %s", jsonv.String(out))
	}
	if ct, _ := out.Get("CreationTime"); ct.(float64) < 1e12 {
		t.Fatalf("CreationTime %v is not in milliseconds", ct)
	}
	if h := strings.Join(x.History.Types(), " "); !strings.Contains(h, "TaskSubmitted TaskSucceeded") {
		t.Fatalf("history %s", h)
	}

	res, _ = e.runMachine(t, sprintf(processingState, ".sync", ""), `{"name":"fail-me"}`)
	if res.Status != engine.StatusFailed || res.Error != "States.TaskFailed" || !strings.Contains(res.Cause, `"ProcessingJobStatus":"Failed"`) ||
		!strings.Contains(res.Cause, `"FailureReason":"AlgorithmError`) {
		t.Fatalf("%s %s %s", res.Status, res.Error, res.Cause)
	}

	res, _ = e.runMachine(t, sprintf(processingState, "", ""), `{"name":"rr-job"}`)
	if res.Status != engine.StatusSucceeded || jsonv.String(res.Output) != `{"ProcessingJobArn":"arn:aws:sagemaker:us-east-1:123456789012:processing-job/rr-job"}` {
		t.Fatalf("%s %s", res.Status, jsonv.String(res.Output))
	}
	e.waitProcessing(t, "rr-job")

	// A rejected call: the SDK's error names.
	res, _ = e.runMachine(t, sprintf(processingState, ".sync", ""), `{"name":"ok-job"}`)
	if res.Status != engine.StatusFailed || res.Error != "SageMaker.ResourceInUseException" || !strings.Contains(res.Cause, "(Service: AmazonSageMaker; Status Code: 400; Error Code: ResourceInUse;") {
		t.Fatalf("%s %s %s", res.Status, res.Error, res.Cause)
	}
	res, _ = e.runMachine(t, sprintf(processingState, ".sync", ""), `{"name":"bad_name"}`)
	if res.Status != engine.StatusFailed || res.Error != "SageMaker.AmazonSageMakerException" {
		t.Fatalf("%s %s %s", res.Status, res.Error, res.Cause)
	}
	// A field the API does not have.
	res, _ = e.runMachine(t, sprintf(processingState, ".sync", `,"ProcessingOutputs":[]`), `{"name":"x-job"}`)
	if res.Status != engine.StatusFailed || res.Error != "States.Runtime" || !strings.Contains(res.Cause, `could not be used to start the Task: [The field "ProcessingOutputs" is not supported by Step Functions]`) {
		t.Fatalf("%s %s %s", res.Status, res.Error, res.Cause)
	}
}

// TestStopAndTimeout: StopProcessingJob and MaxRuntimeInSeconds end a running job as
// Stopped; the runner's clock is manual, so the timeout needs no waiting.
func TestStopAndTimeout(t *testing.T) {
	needPython(t)
	clk := clock.NewManual(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	e := newEnv(t, func(c *Config, o *rlocal.Options) { o.Clock = clk })
	started := "import sys,time\nprint('started', flush=True)\ntime.sleep(3600)\n"
	e.put(t, "s3://jobs/loop/code/main.py", []byte(started))
	go func() {
		// Fire the max-runtime timer once the job has armed it.
		for range clk.Waiters() {
			if clk.Pending() > 0 {
				clk.Advance(2 * time.Hour)
				return
			}
		}
	}()
	j := e.scriptJob(t, "timeout", started, func(in *CreateProcessingJobInput) {
		in.StoppingCondition = &ProcessingStoppingCondition{MaxRuntimeInSeconds: 60}
	})
	if j.ProcessingJobStatus != statusStopped || !strings.Contains(j.FailureReason, "MaxRuntimeInSeconds") {
		t.Fatalf("%s %q", j.ProcessingJobStatus, j.FailureReason)
	}
}

// TestRestartRunsUnfinishedJobsAgain: a job running when the service stops runs again
// from the beginning when it starts, and a waiter sees it finish.
func TestRestartRunsUnfinishedJobsAgain(t *testing.T) {
	needPython(t)
	e := newEnv(t)
	e.put(t, "s3://jobs/r/mode/mode.txt", []byte("wait"))
	script := "import time\nmode = open('/opt/ml/processing/input/mode/mode.txt').read()\nprint('mode', mode, flush=True)\nwhile mode == 'wait':\n    time.sleep(3600)\n"
	e.put(t, "s3://jobs/restart/code/main.py", []byte(script))
	in := &CreateProcessingJobInput{
		ProcessingJobName: "restart", RoleArn: role,
		AppSpecification: &AppSpecification{ImageUri: sklearnImage, ContainerEntrypoint: []string{"python3", "/opt/ml/processing/input/code/main.py"}},
		ProcessingInputs: []ProcessingInput{
			{InputName: "code", S3Input: &ProcessingS3Input{S3Uri: "s3://jobs/restart/code", LocalPath: "/opt/ml/processing/input/code", S3DataType: "S3Prefix"}},
			{InputName: "mode", S3Input: &ProcessingS3Input{S3Uri: "s3://jobs/r/mode", LocalPath: "/opt/ml/processing/input/mode", S3DataType: "S3Prefix"}},
		},
		ProcessingResources: &ProcessingResources{ClusterConfig: &ProcessingClusterConfig{InstanceCount: 1, InstanceType: "ml.m5.large", VolumeSizeInGB: 1}},
	}
	if _, err := e.svc.CreateProcessingJob(t.Context(), in); err != nil {
		t.Fatal(err)
	}
	// Wait until the program runs, then stop the service under it.
	if _, err := waitJob(t.Context(), e.svc, kindProcessing, "restart", func(j *ProcessingJob) bool { return !j.ProcessingStartTime.IsZero() }); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Stop(t.Context()); err != nil {
		t.Fatal(err)
	}
	j, _ := e.svc.DescribeProcessingJob(t.Context(), &DescribeProcessingJobInput{ProcessingJobName: "restart"})
	if j.ProcessingJobStatus != statusInProgress {
		t.Fatalf("after stop: %s", j.ProcessingJobStatus)
	}
	e.put(t, "s3://jobs/r/mode/mode.txt", []byte("done"))
	e.start(t)
	j = e.waitProcessing(t, "restart")
	if j.ProcessingJobStatus != statusCompleted {
		t.Fatalf("after restart: %s %s", j.ProcessingJobStatus, j.FailureReason)
	}
	rec, _, _ := loadRecord[ProcessingJob](t.Context(), e.st, kindProcessing, "restart")
	if rec.Restarts != 1 || !strings.Contains(e.log(t, kindProcessing, "restart"), "mode done") {
		t.Fatalf("restarts %d, log %s", rec.Restarts, e.log(t, kindProcessing, "restart"))
	}
}
