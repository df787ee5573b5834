package sagemaker

import (
	"strings"
	"testing"
)

// scriptJob is a processing job that runs a Python snippet.
func (e *env) scriptJob(t *testing.T, name, script string, mutate func(*CreateProcessingJobInput)) *ProcessingJob {
	t.Helper()
	e.put(t, "s3://jobs/"+name+"/code/main.py", []byte(script))
	in := &CreateProcessingJobInput{
		ProcessingJobName: name, RoleArn: role,
		AppSpecification: &AppSpecification{ImageUri: sklearnImage, ContainerEntrypoint: []string{"python3", "/opt/ml/processing/input/code/main.py"}},
		ProcessingInputs: []ProcessingInput{{InputName: "code", S3Input: &ProcessingS3Input{
			S3Uri: "s3://jobs/" + name + "/code", LocalPath: "/opt/ml/processing/input/code", S3DataType: "S3Prefix"}}},
		ProcessingOutputConfig: &ProcessingOutputConfig{Outputs: []ProcessingOutput{{OutputName: "out", S3Output: &ProcessingS3Output{
			S3Uri: "s3://jobs/" + name + "/out", LocalPath: "/opt/ml/processing/output", S3UploadMode: "EndOfJob"}}}},
		ProcessingResources: &ProcessingResources{ClusterConfig: &ProcessingClusterConfig{InstanceCount: 1, InstanceType: "ml.m5.large", VolumeSizeInGB: 1}},
	}
	if mutate != nil {
		mutate(in)
	}
	if _, err := e.svc.CreateProcessingJob(t.Context(), in); err != nil {
		t.Fatal(err)
	}
	return e.waitProcessing(t, name)
}

func TestProcessingFailures(t *testing.T) {
	needPython(t)
	e := newEnv(t)
	t.Run("crash", func(t *testing.T) {
		t.Parallel()
		j := e.scriptJob(t, "crash", "import sys\nprint('working')\nraise ValueError('bad column')\n", nil)
		if j.ProcessingJobStatus != statusFailed || !strings.HasPrefix(j.FailureReason, "AlgorithmError: ") {
			t.Fatalf("%s: %q", j.ProcessingJobStatus, j.FailureReason)
		}
		if _, err := e.objects.Head(t.Context(), "jobs", "crash/out/x"); err == nil {
			t.Fatal("a failed job's outputs were uploaded")
		}
	})
	t.Run("exit message", func(t *testing.T) {
		t.Parallel()
		j := e.scriptJob(t, "msg", "import os\nos.makedirs('/opt/ml/output', exist_ok=True)\nopen('/opt/ml/output/message','w').write('all good')\nopen('/opt/ml/processing/output/x','w').write('1')\n", nil)
		if j.ProcessingJobStatus != statusCompleted || j.ExitMessage != "all good" {
			t.Fatalf("%s: %q %q", j.ProcessingJobStatus, j.ExitMessage, j.FailureReason)
		}
		if got := string(e.get(t, "s3://jobs/msg/out/x")); got != "1" {
			t.Fatalf("output %q", got)
		}
	})
	t.Run("missing input prefix", func(t *testing.T) {
		t.Parallel()
		j := e.scriptJob(t, "noinput", "print(1)\n", func(in *CreateProcessingJobInput) {
			in.ProcessingInputs = append(in.ProcessingInputs, ProcessingInput{InputName: "data", S3Input: &ProcessingS3Input{
				S3Uri: "s3://jobs/nothing-here", LocalPath: "/opt/ml/processing/input/data", S3DataType: "S3Prefix"}})
		})
		want := `ClientError: No S3 objects found under S3 URL "s3://jobs/nothing-here" given in input data source.`
		if j.ProcessingJobStatus != statusFailed || !strings.HasPrefix(j.FailureReason, want) {
			t.Fatalf("%s: %q", j.ProcessingJobStatus, j.FailureReason)
		}
	})
	t.Run("out of memory", func(t *testing.T) {
		t.Parallel()
		// ml.t3.medium has 4 GiB; the script wants 6.
		j := e.scriptJob(t, "oom", "x = bytearray(6 << 30)\nprint(len(x))\n", func(in *CreateProcessingJobInput) {
			in.ProcessingResources.ClusterConfig.InstanceType = "ml.t3.medium"
		})
		if j.ProcessingJobStatus != statusFailed || j.FailureReason == "" {
			t.Fatalf("%s: %q", j.ProcessingJobStatus, j.FailureReason)
		}
	})
}

func TestTrainingScriptFailureReason(t *testing.T) {
	needPython(t)
	e := newEnv(t)
	e.put(t, "s3://bkt/code/train.py", []byte("import sys\nprint('epoch 1')\nsys.stderr.write('Traceback: boom\\n')\nsys.exit(3)\n"))
	e.put(t, "s3://bkt/data/x.csv", []byte("1,2\n"))
	in := &CreateTrainingJobInput{
		TrainingJobName: "fails", RoleArn: role,
		AlgorithmSpecification: &AlgorithmSpecification{TrainingImage: sklearnImage, TrainingInputMode: "File"},
		HyperParameters:        map[string]string{"sagemaker_program": "train.py", "sagemaker_submit_directory": "/opt/ml/input/data/code"},
		InputDataConfig: []Channel{
			{ChannelName: "code", DataSource: DataSource{S3DataSource: &S3DataSource{S3DataType: "S3Prefix", S3Uri: "s3://bkt/code"}}},
			{ChannelName: "train", DataSource: DataSource{S3DataSource: &S3DataSource{S3DataType: "S3Prefix", S3Uri: "s3://bkt/data"}}},
		},
		OutputDataConfig:  &OutputDataConfig{S3OutputPath: "s3://bkt/out"},
		ResourceConfig:    &ResourceConfig{InstanceType: "ml.m5.large", InstanceCount: 1, VolumeSizeInGB: 1},
		StoppingCondition: &StoppingCondition{MaxRuntimeInSeconds: 600},
	}
	if _, err := e.svc.CreateTrainingJob(t.Context(), in); err != nil {
		t.Fatal(err)
	}
	j := e.waitTraining(t, "fails")
	if j.TrainingJobStatus != statusFailed || j.SecondaryStatus != secFailed {
		t.Fatalf("%s/%s", j.TrainingJobStatus, j.SecondaryStatus)
	}
	if !strings.HasPrefix(j.FailureReason, "AlgorithmError: ExecuteUserScriptError:") || !strings.Contains(j.FailureReason, "ExitCode 3") || !strings.Contains(j.FailureReason, "boom") {
		t.Fatalf("FailureReason %q", j.FailureReason)
	}
	if j.TrainingStartTime.IsZero() || j.TrainingEndTime.IsZero() {
		t.Fatal("times not set")
	}
}

func TestRequestValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	good := func() *CreateProcessingJobInput { return seedProcessing(t, "v-1", "bkt") }
	cases := []struct {
		name   string
		mutate func(*CreateProcessingJobInput)
		code   string
		msg    string
	}{
		{"bad name", func(in *CreateProcessingJobInput) { in.ProcessingJobName = "bad_name" }, "ValidationException",
			"1 validation error detected: Value 'bad_name' at 'processingJobName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}"},
		{"no role", func(in *CreateProcessingJobInput) { in.RoleArn = "" }, "ValidationException",
			"1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null"},
		{"local path outside", func(in *CreateProcessingJobInput) { in.ProcessingInputs[0].S3Input.LocalPath = "/etc" }, "ValidationException",
			`ProcessingInputs data: LocalPath "/etc" must be a path under /opt/ml/processing/.`},
		{"local path escaping", func(in *CreateProcessingJobInput) {
			in.ProcessingInputs[0].S3Input.LocalPath = "/opt/ml/processing/../../../etc"
		}, "ValidationException", `LocalPath "/opt/ml/processing/../../../etc" must be a path under /opt/ml/processing/.`},
		{"bad data type", func(in *CreateProcessingJobInput) { in.ProcessingInputs[0].S3Input.S3DataType = "Folder" }, "ValidationException",
			"Member must satisfy enum value set: [ManifestFile, S3Prefix]"},
		{"not s3", func(in *CreateProcessingJobInput) { in.ProcessingInputs[0].S3Input.S3Uri = "file:///etc" }, "ValidationException",
			"failed to satisfy constraint: Member must satisfy regular expression pattern"},
	}
	for _, c := range cases {
		in := good()
		c.mutate(in)
		_, err := e.svc.CreateProcessingJob(ctx, in)
		if apiCode(err) != c.code || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	e.seedData(t, "bkt")
	if _, err := e.svc.CreateProcessingJob(ctx, good()); err != nil {
		t.Fatal(err)
	}
	_, err := e.svc.CreateProcessingJob(ctx, good())
	if apiCode(err) != "ResourceInUse" || !strings.Contains(err.Error(), "arn:aws:sagemaker:us-east-1:123456789012:processing-job/v-1") {
		t.Fatalf("duplicate: %v", err)
	}
	if _, err := e.svc.DescribeTrainingJob(ctx, &DescribeTrainingJobInput{TrainingJobName: "nope"}); apiCode(err) != "ValidationException" {
		t.Fatalf("describe missing: %v", err)
	}
	tr := seedTraining(t, "t-1", "bkt")
	tr.AlgorithmSpecification.TrainingInputMode = "Pipe"
	if _, err := e.svc.CreateTrainingJob(ctx, tr); apiCode(err) != "ValidationException" {
		t.Fatalf("pipe mode: %v", err)
	}
}
