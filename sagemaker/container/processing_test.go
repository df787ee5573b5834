package container

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The seed's DataPreprocessing state.
func seedProcessing() *Processing {
	return &Processing{
		JobName: "preprocessing-1", Image: "246618743249.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3",
		InstanceType: "ml.m5.large", InstanceCount: 1,
		ContainerEntrypoint: []string{"python3", "/opt/ml/processing/input/code/preprocessing.py"},
		ContainerArguments:  []string{"--input-data", "/opt/ml/processing/input/data/train.csv", "--output-data", "/opt/ml/processing/output/train_processed.csv"},
		Environment:         map[string]string{"MODE": "full"},
		Inputs:              []ProcessingPath{{"data", "/opt/ml/processing/input/data"}, {"code", "/opt/ml/processing/input/code/"}},
		Outputs:             []ProcessingPath{{"processed_data", "/opt/ml/processing/output"}},
		JobDescription:      []byte(`{"ProcessingJobName":"preprocessing-1"}`), Region: "us-east-1",
	}
}

func TestPrepareProcessing(t *testing.T) {
	t.Parallel()
	ml := t.TempDir()
	p := seedProcessing()
	l, err := PrepareProcessing(ml, p, DefaultProfiles().For(p.Image))
	if err != nil {
		t.Fatal(err)
	}
	want := append(append([]string(nil), p.ContainerEntrypoint...), p.ContainerArguments...)
	if !slices.Equal(l.Command, want) {
		t.Errorf("command = %q", l.Command)
	}
	if l.Env["MODE"] != "full" || l.Env["PYTHONUNBUFFERED"] != "1" || l.Env["AWS_REGION"] != "us-east-1" || l.Env["TRAINING_JOB_NAME"] != "" {
		t.Errorf("env = %v", l.Env)
	}
	for _, d := range []string{"processing/input/data", "processing/input/code", "processing/output", "config", "output"} {
		if fi, err := os.Stat(filepath.Join(ml, d)); err != nil || !fi.IsDir() {
			t.Errorf("%s: %v", d, err)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(ml, "config/processingjobconfig.json")); string(b) != string(p.JobDescription) {
		t.Errorf("processingjobconfig.json = %s", b)
	}
	rc := readJSON(t, filepath.Join(ml, "config/resourceconfig.json"))
	if !jsonEqual(rc, map[string]any{"current_host": "algo-1", "current_instance_type": "ml.m5.large", "hosts": []any{"algo-1"}, "network_interface_name": "eth0"}) {
		t.Errorf("resourceconfig.json = %v", rc)
	}
}

func TestPrepareProcessingRejectsLocalPaths(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"/etc", "/opt/ml/processing/../../etc", "/opt/ml/processing", "/opt/ml/processing/", "opt/ml/processing/x", "/opt/ml/model", ""} {
		ml := t.TempDir()
		p := seedProcessing()
		p.Outputs = append(p.Outputs, ProcessingPath{"evil", bad})
		if _, err := PrepareProcessing(ml, p, Profile{Name: ProfileGeneric}); !errors.Is(err, ErrValidation) || !strings.Contains(err.Error(), "evil") {
			t.Errorf("%q: err = %v", bad, err)
		}
		if entries, _ := os.ReadDir(ml); len(entries) != 0 {
			t.Errorf("%q: wrote %d entries before validating", bad, len(entries))
		}
	}
	if err := ValidateProcessingPaths([]ProcessingPath{{"ok", "/opt/ml/processing/a/../b"}}, nil); err != nil {
		t.Errorf("a path that stays inside: %v", err)
	}
	p := seedProcessing()
	p.LocalPaths = []string{"/opt/ml/processing/extra", "/opt/ml/processing/../x"}
	if _, err := PrepareProcessing(t.TempDir(), p, Profile{}); !errors.Is(err, ErrValidation) {
		t.Errorf("unnamed LocalPaths: err = %v", err)
	}
}

func TestPrepareProcessingNeedsACommand(t *testing.T) {
	t.Parallel()
	p := seedProcessing()
	p.ContainerEntrypoint, p.ContainerArguments = nil, nil
	if _, err := PrepareProcessing(t.TempDir(), p, DefaultProfiles().For(p.Image)); !errors.Is(err, ErrClient) {
		t.Errorf("err = %v", err)
	}
	// Without an entrypoint, docker runs the arguments.
	p.ContainerArguments = []string{"python3", "/opt/ml/processing/input/code/x.py"}
	l, err := PrepareProcessing(t.TempDir(), p, DefaultProfiles().For(p.Image))
	if err != nil || !slices.Equal(l.Command, p.ContainerArguments) {
		t.Errorf("command = %v, %v", l, err)
	}
}

func TestProcessingOutcome(t *testing.T) {
	t.Parallel()
	ml := t.TempDir()
	if msg, reason := ProcessingOutcome(ml, 0); msg != "" || reason != "" {
		t.Errorf("nothing: %q %q", msg, reason)
	}
	writeFiles(t, filepath.Join(ml, "output"), map[string]string{"message": "rows: 42"})
	if msg, reason := ProcessingOutcome(ml, 0); msg != "rows: 42" || reason != "" {
		t.Errorf("message: %q %q", msg, reason)
	}
	if _, reason := ProcessingOutcome(ml, 2); !strings.HasPrefix(reason, "AlgorithmError: ") || !strings.Contains(reason, "exit code 2") {
		t.Errorf("failed: %q", reason)
	}
	// 1 KiB, cut on a character boundary.
	writeFiles(t, filepath.Join(ml, "output"), map[string]string{"message": "a" + strings.Repeat("é", 600)})
	if msg, _ := ProcessingOutcome(ml, 0); msg != "a"+strings.Repeat("é", 511) {
		t.Errorf("long message has %d bytes", len(msg))
	}
	writeFiles(t, filepath.Join(ml, "output"), map[string]string{"message": "bad \xff byte"})
	if msg, reason := ProcessingOutcome(ml, 0); msg != "" || !strings.HasPrefix(reason, "ClientError: ") {
		t.Errorf("invalid UTF-8: %q %q", msg, reason)
	}
}
