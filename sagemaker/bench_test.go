package sagemaker

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkTrainingFirstLine measures the time from the moment CreateTrainingJob is called until the first line of the user's
// script runs (the script prints time.time() first), beside the same script started
// directly with /usr/bin/python3. The difference is what stepwise adds: validation,
// the store, staging, the config files and the sandbox.
func BenchmarkTrainingFirstLine(b *testing.B) {
	needPython(b)
	e := newEnv(b)
	script := []byte("import time\nprint(repr(time.time()), flush=True)\n")
	e.put(b, "s3://bench/code/train.py", script)
	e.put(b, "s3://bench/data/train.csv", []byte("1,2,3\n"))
	local := filepath.Join(b.TempDir(), "train.py")
	if err := os.WriteFile(local, script, 0o644); err != nil {
		b.Fatal(err)
	}
	var viaJob, direct time.Duration
	b.ResetTimer()
	for i := range b.N {
		name := "bench-" + strconv.Itoa(i)
		in := &CreateTrainingJobInput{
			TrainingJobName: name, RoleArn: role,
			AlgorithmSpecification: &AlgorithmSpecification{TrainingImage: sklearnImage, TrainingInputMode: "File"},
			HyperParameters:        map[string]string{"sagemaker_program": "train.py", "sagemaker_submit_directory": "/opt/ml/input/data/code"},
			InputDataConfig: []Channel{
				{ChannelName: "code", DataSource: DataSource{S3DataSource: &S3DataSource{S3DataType: "S3Prefix", S3Uri: "s3://bench/code"}}},
				{ChannelName: "train", DataSource: DataSource{S3DataSource: &S3DataSource{S3DataType: "S3Prefix", S3Uri: "s3://bench/data"}}},
			},
			OutputDataConfig:  &OutputDataConfig{S3OutputPath: "s3://bench/out"},
			ResourceConfig:    &ResourceConfig{InstanceType: "ml.m5.large", InstanceCount: 1, VolumeSizeInGB: 1},
			StoppingCondition: &StoppingCondition{MaxRuntimeInSeconds: 600},
		}
		t0 := time.Now()
		if _, err := e.svc.CreateTrainingJob(b.Context(), in); err != nil {
			b.Fatal(err)
		}
		if j := e.waitTraining(b, name); j.TrainingJobStatus != statusCompleted {
			b.Fatalf("%s: %s", j.TrainingJobStatus, j.FailureReason)
		}
		viaJob += firstLineAfter(b, e.log(b, kindTraining, name), t0)

		t0 = time.Now()
		out, err := exec.Command("/usr/bin/python3", local).Output()
		if err != nil {
			b.Fatal(err)
		}
		direct += firstLineAfter(b, string(out), t0)
	}
	b.StopTimer()
	b.ReportMetric(float64(viaJob.Microseconds())/1000/float64(b.N), "ms-job-first-line")
	b.ReportMetric(float64(direct.Microseconds())/1000/float64(b.N), "ms-direct-first-line")
	b.ReportMetric(float64((viaJob-direct).Microseconds())/1000/float64(b.N), "ms-added")
}

// firstLineAfter reads the epoch time the script printed first and returns how long
// after t0 that was.
func firstLineAfter(b *testing.B, out string, t0 time.Time) time.Duration {
	b.Helper()
	for _, line := range strings.Split(out, "\n") {
		if f, err := strconv.ParseFloat(strings.TrimSpace(line), 64); err == nil {
			return time.Unix(0, int64(f*1e9)).Sub(t0)
		}
	}
	b.Fatalf("no time in %q", out)
	return 0
}
