package e2e

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/objstore"
	"github.com/stepwise-dev/stepwise/objstore/local"
)

// TestSyncJobSurvivesServerCrash: an execution waits (.sync) for a processing job; the
// server is killed with SIGKILL while the job runs. After the restart the job runs again
// from the beginning, the task recognises the job it created, and the execution
// succeeds with the job's final Describe reply.
func TestSyncJobSurvivesServerCrash(t *testing.T) {
	needJobPython(t)
	dir := t.TempDir()
	srv := startServer(t, dir)
	aws := newCLI(t, srv.URL)
	aws.ok(nil, "s3", "mb", "s3://crash-jobs")
	script := "import time\nmode = open('/opt/ml/processing/input/mode/mode.txt').read()\nprint('mode', mode, flush=True)\nwhile mode == 'wait':\n    time.sleep(3600)\n"
	aws.ok(nil, "s3", "cp", writeTemp(t, "main.py", []byte(script)), "s3://crash-jobs/code/main.py")
	aws.ok(nil, "s3", "cp", writeTemp(t, "mode.txt", []byte("wait")), "s3://crash-jobs/mode/mode.txt")
	def := `{"StartAt":"P","States":{"P":{"Type":"Task","Resource":"arn:aws:states:::sagemaker:createProcessingJob.sync",
  "Parameters":{"ProcessingJobName":"crash-job","RoleArn":"arn:aws:iam::123456789012:role/SageMakerRole",
    "AppSpecification":{"ImageUri":"246618743249.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3",
      "ContainerEntrypoint":["python3","/opt/ml/processing/input/code/main.py"]},
    "ProcessingInputs":[
      {"InputName":"code","S3Input":{"S3Uri":"s3://crash-jobs/code","LocalPath":"/opt/ml/processing/input/code","S3DataType":"S3Prefix"}},
      {"InputName":"mode","S3Input":{"S3Uri":"s3://crash-jobs/mode","LocalPath":"/opt/ml/processing/input/mode","S3DataType":"S3Prefix"}}],
    "ProcessingResources":{"ClusterConfig":{"InstanceCount":1,"InstanceType":"ml.m5.large","VolumeSizeInGB":1}}},
  "End":true}}}`
	var sm struct{ StateMachineArn string }
	aws.ok(&sm, "stepfunctions", "create-state-machine", "--name", "crash", "--definition", def, "--role-arn", "arn:aws:iam::123456789012:role/r")
	var ex struct{ ExecutionArn string }
	aws.ok(&ex, "stepfunctions", "start-execution", "--state-machine-arn", sm.StateMachineArn, "--input", "{}")

	// Wait until the job's program runs (an external process: poll).
	waitFor(t, func() bool {
		var j map[string]any
		_, _, code := aws.run("sagemaker", "describe-processing-job", "--processing-job-name", "crash-job")
		if code != 0 {
			return false
		}
		aws.ok(&j, "sagemaker", "describe-processing-job", "--processing-job-name", "crash-job")
		return j["ProcessingStartTime"] != nil
	})
	srv.kill()

	// While the server is down, let the next run of the job finish.
	objects, err := local.New(filepath.Join(dir, "s3"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := objects.Put(context.Background(), "crash-jobs", "mode/mode.txt", bytes.NewReader([]byte("done")), objstore.PutOptions{Size: 4}); err != nil {
		t.Fatal(err)
	}

	srv = startServer(t, dir)
	aws = newCLI(t, srv.URL)
	var d map[string]any
	waitFor(t, func() bool {
		aws.ok(&d, "stepfunctions", "describe-execution", "--execution-arn", ex.ExecutionArn)
		return d["status"] != "RUNNING"
	})
	if d["status"] != "SUCCEEDED" || !strings.Contains(d["output"].(string), `"ProcessingJobStatus":"Completed"`) {
		t.Fatalf("after the crash: %v\n%s", d, srv.log)
	}
	var hist struct{ Events []struct{ Type string } }
	aws.ok(&hist, "stepfunctions", "get-execution-history", "--execution-arn", ex.ExecutionArn)
	submitted := 0
	for _, e := range hist.Events {
		if e.Type == "TaskSubmitted" {
			submitted++
		}
	}
	if submitted != 1 {
		t.Fatalf("%d TaskSubmitted events: %v", submitted, hist.Events)
	}
	var jobs struct{ ProcessingJobSummaries []map[string]any }
	aws.ok(&jobs, "sagemaker", "list-processing-jobs")
	if len(jobs.ProcessingJobSummaries) != 1 {
		t.Fatalf("jobs: %v", jobs.ProcessingJobSummaries)
	}
}

// waitFor polls cond (the server is another process) for up to 2 minutes.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 2 minutes")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestStopExecutionStopsItsJob: stopping an execution stops the .sync job it waits for.
func TestStopExecutionStopsItsJob(t *testing.T) {
	needJobPython(t)
	srv := startServer(t, t.TempDir())
	aws := newCLI(t, srv.URL)
	aws.ok(nil, "s3", "mb", "s3://stop-jobs")
	aws.ok(nil, "s3", "cp", writeTemp(t, "main.py", []byte("import time\nprint('started', flush=True)\ntime.sleep(3600)\n")), "s3://stop-jobs/code/main.py")
	def := `{"StartAt":"P","States":{"P":{"Type":"Task","Resource":"arn:aws:states:::sagemaker:createProcessingJob.sync",
  "Parameters":{"ProcessingJobName":"stopped-job","RoleArn":"arn:aws:iam::123456789012:role/SageMakerRole",
    "AppSpecification":{"ImageUri":"246618743249.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3",
      "ContainerEntrypoint":["python3","/opt/ml/processing/input/code/main.py"]},
    "ProcessingInputs":[{"InputName":"code","S3Input":{"S3Uri":"s3://stop-jobs/code","LocalPath":"/opt/ml/processing/input/code","S3DataType":"S3Prefix"}}],
    "ProcessingResources":{"ClusterConfig":{"InstanceCount":1,"InstanceType":"ml.m5.large","VolumeSizeInGB":1}}},
  "End":true}}}`
	var sm struct{ StateMachineArn string }
	aws.ok(&sm, "stepfunctions", "create-state-machine", "--name", "stopper", "--definition", def, "--role-arn", "arn:aws:iam::123456789012:role/r")
	var ex struct{ ExecutionArn string }
	aws.ok(&ex, "stepfunctions", "start-execution", "--state-machine-arn", sm.StateMachineArn, "--input", "{}")
	var j map[string]any
	waitFor(t, func() bool {
		if _, _, code := aws.run("sagemaker", "describe-processing-job", "--processing-job-name", "stopped-job"); code != 0 {
			return false
		}
		aws.ok(&j, "sagemaker", "describe-processing-job", "--processing-job-name", "stopped-job")
		return j["ProcessingStartTime"] != nil
	})
	aws.ok(nil, "stepfunctions", "stop-execution", "--execution-arn", ex.ExecutionArn)
	waitFor(t, func() bool {
		aws.ok(&j, "sagemaker", "describe-processing-job", "--processing-job-name", "stopped-job")
		return j["ProcessingJobStatus"] == "Stopped"
	})
}
