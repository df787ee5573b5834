package container

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// These tests run real Python programs unsandboxed: the Launch is rebased onto the
// test's directory, as the runner's fallback does.

func requirePython(t *testing.T, modules ...string) {
	t.Helper()
	if _, err := os.Stat(DefaultPython); err != nil {
		t.Skip("no " + DefaultPython)
	}
	imp := "import " + strings.Join(modules, ", ")
	if out, err := exec.Command(DefaultPython, "-c", imp).CombinedOutput(); err != nil {
		t.Skipf("%s: %v\n%s", imp, err, out)
	}
}

// run executes a rebased launch, feeding every output line to the scanner; it returns
// the exit code and the output.
func run(t *testing.T, l *Launch, ml string, scan *MetricScanner) (int, string) {
	t.Helper()
	cmd := exec.Command(l.Command[0], l.Command[1:]...)
	cmd.Dir = l.WorkDir
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + ml, "TMPDIR=" + t.TempDir()}
	for k, v := range l.Env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	var out strings.Builder
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			out.WriteString(sc.Text() + "\n")
			if scan != nil {
				scan.Scan(sc.Text())
			}
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	err := cmd.Run()
	pw.Close()
	wg.Wait()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		return exit.ExitCode(), out.String()
	case err != nil:
		t.Fatalf("running %q: %v", l.Command, err)
	}
	return 0, out.String()
}

// regressionCSV writes label-first rows without a header: y = 3a - 2b + c + noise.
func regressionCSV(t *testing.T, p string, rows int, seed uint64) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 1))
	var b strings.Builder
	for range rows {
		a, c, d := r.Float64(), r.Float64(), r.Float64()
		fmt.Fprintf(&b, "%.6f,%.6f,%.6f,%.6f\n", 3*a-2*c+d+r.NormFloat64()*0.05, a, c, d)
	}
	writeFiles(t, filepath.Dir(p), map[string]string{filepath.Base(p): b.String()})
}

func xgboostTraining(hps map[string]string, channels ...Channel) *Training {
	return &Training{
		JobName: "xgb", Region: "us-west-2", Image: "246618743249.dkr.ecr.us-west-2.amazonaws.com/sagemaker-xgboost:1.5-1",
		HyperParameters: hps, Channels: channels, InstanceType: "ml.m5.large", InstanceCount: 1,
	}
}

func TestXGBoostAlgorithmModeTrains(t *testing.T) {
	t.Parallel()
	requirePython(t, "xgboost", "sklearn")
	ml := t.TempDir()
	regressionCSV(t, filepath.Join(ml, "input/data/train/part-0.csv"), 300, 1)
	regressionCSV(t, filepath.Join(ml, "input/data/validation/val.csv"), 100, 2)
	tr := xgboostTraining(map[string]string{"objective": "reg:squarederror", "num_round": "20", "max_depth": "4", "eval_metric": "rmse,mae"},
		Channel{Name: "train", ContentType: "text/csv"}, Channel{Name: "validation", ContentType: "text/csv"})
	l, err := PrepareTraining(t.Context(), ml, tr, DefaultProfiles().For(tr.Image), nil)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	scan, err := NewMetricScanner(l.MetricDefinitions, func() time.Time { return at })
	if err != nil {
		t.Fatal(err)
	}
	code, out := run(t, l.Rebase(ml), ml, scan)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	if !strings.Contains(out, "[19]\ttrain-") || !strings.Contains(out, "validation-rmse:") {
		t.Errorf("no evaluation lines in:\n%s", out)
	}
	metrics := map[string]float64{}
	for _, m := range scan.Final() {
		metrics[m.Name] = m.Value
		if !m.Timestamp.Equal(at) {
			t.Errorf("%s stamped %v", m.Name, m.Timestamp)
		}
	}
	for _, name := range []string{"train:rmse", "validation:rmse", "train:mae", "validation:mae"} {
		if v, ok := metrics[name]; !ok || v <= 0 || v > 1 || math.IsNaN(v) {
			t.Errorf("%s = %v (%v); metrics %v", name, v, ok, metrics)
		}
	}
	model := filepath.Join(ml, "model", "xgboost-model")
	check := fmt.Sprintf("import xgboost; b = xgboost.Booster(model_file=%q); assert b.num_boosted_rounds() == 20, b.num_boosted_rounds()", model)
	if out, err := exec.Command(DefaultPython, "-c", check).CombinedOutput(); err != nil {
		t.Errorf("model does not load: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(ml, "output", "failure")); err == nil {
		t.Error("failure file after success")
	}
	TrainingSucceeded(ml, l)
	if _, err := os.Stat(filepath.Join(ml, "output", "success")); err != nil {
		t.Error(err)
	}
}

// The seed's channel has no ContentType: the image reads libsvm.
func TestXGBoostAlgorithmModeLibsvmDefault(t *testing.T) {
	t.Parallel()
	requirePython(t, "xgboost", "sklearn")
	ml := t.TempDir()
	var b strings.Builder
	for i := range 200 {
		x := float64(i%17) / 17
		fmt.Fprintf(&b, "%d 1:%.4f 2:%.4f\n", map[bool]int{true: 1, false: 0}[x > 0.5], x, 1-x)
	}
	writeFiles(t, filepath.Join(ml, "input/data/train"), map[string]string{"train.libsvm": b.String()})
	tr := xgboostTraining(map[string]string{"objective": "binary:logistic", "num_round": "5", "eval_metric": "auc"}, Channel{Name: "train"})
	l, err := PrepareTraining(t.Context(), ml, tr, DefaultProfiles().For(tr.Image), nil)
	if err != nil {
		t.Fatal(err)
	}
	scan, _ := NewMetricScanner(l.MetricDefinitions, nil)
	if code, out := run(t, l.Rebase(ml), ml, scan); code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	if fm := scan.Final(); len(fm) != 1 || fm[0].Name != "train:auc" {
		t.Errorf("metrics = %+v", fm)
	}
}

func TestXGBoostAlgorithmModeUserErrors(t *testing.T) {
	t.Parallel()
	requirePython(t, "xgboost", "sklearn")
	cases := []struct {
		name     string
		hps      map[string]string
		channels []Channel
		want     string
	}{
		{"num_round missing", map[string]string{"objective": "reg:squarederror"}, []Channel{{Name: "train", ContentType: "text/csv"}},
			"Missing required hyperparameter: num_round"},
		{"num_round not an int", map[string]string{"num_round": "1.5"}, []Channel{{Name: "train", ContentType: "text/csv"}},
			"Hyperparameter num_round: could not parse value (caused by ValueError)"},
		{"max_depth out of range", map[string]string{"num_round": "2", "max_depth": "-1"}, []Channel{{Name: "train", ContentType: "text/csv"}},
			"Hyperparameter max_depth: -1 is not in [0, +inf)"},
		{"unknown hyperparameter", map[string]string{"num_round": "2", "silent": "0"}, []Channel{{Name: "train", ContentType: "text/csv"}},
			"Extraneous hyperparameter found: silent"},
		{"multi without num_class", map[string]string{"num_round": "2", "objective": "multi:softmax"}, []Channel{{Name: "train", ContentType: "text/csv"}},
			"Require input for parameter 'num_class' for multi-classification"},
		{"extra channel", map[string]string{"num_round": "2"}, []Channel{{Name: "train", ContentType: "text/csv"}, {Name: "test", ContentType: "text/csv"}},
			"Extraneous channel found: test"},
		{"content type with parameters", map[string]string{"num_round": "2"}, []Channel{{Name: "train", ContentType: "text/csv;label_size=1"}},
			"Channel configuration for 'train' channel is not supported"},
		{"logistic labels", map[string]string{"num_round": "2", "objective": "reg:logistic"}, []Channel{{Name: "train", ContentType: "text/csv"}},
			"label must be in [0,1] for logistic regression"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ml := t.TempDir()
			regressionCSV(t, filepath.Join(ml, "input/data/train/train.csv"), 50, 3)
			regressionCSV(t, filepath.Join(ml, "input/data/test/test.csv"), 10, 4)
			tr := xgboostTraining(c.hps, c.channels...)
			l, err := PrepareTraining(t.Context(), ml, tr, DefaultProfiles().For(tr.Image), nil)
			if err != nil {
				t.Fatal(err)
			}
			code, out := run(t, l.Rebase(ml), ml, nil)
			if code != 1 {
				t.Fatalf("exit %d:\n%s", code, out)
			}
			// The traceback comes first, so the message may fall past FailureReason's
			// 1024 characters, as on SageMaker; the failure file has all of it.
			reason := TrainingFailure(ml, code, "", l)
			if !strings.HasPrefix(reason, "AlgorithmError: framework error: \nTraceback (most recent call last):") {
				t.Errorf("reason = %s", reason)
			}
			failure, _ := os.ReadFile(filepath.Join(ml, "output", "failure"))
			if !strings.Contains(string(failure), "UserError: ") || !strings.Contains(string(failure), c.want) {
				t.Errorf("failure file:\n%s\nwant a UserError with %q", failure, c.want)
			}
			if _, err := os.Stat(filepath.Join(ml, "model", "xgboost-model")); err == nil {
				t.Error("a model was saved")
			}
		})
	}
}

// The seed's training.py, unchanged, in script mode with the seed's hyperparameters.
func TestSeedTrainingScript(t *testing.T) {
	t.Parallel()
	requirePython(t, "pandas", "sklearn", "joblib")
	ml := t.TempDir()
	script, err := os.ReadFile("../testdata/training.py") // the seed walkthrough's script, shared with package sagemaker
	if err != nil {
		t.Fatal(err)
	}
	writeFiles(t, filepath.Join(ml, "input/data/code"), map[string]string{"training.py": string(script), "preprocessing.py": "", "inference.py": ""})
	r := rand.New(rand.NewPCG(7, 7))
	table := func(n int) string {
		var b strings.Builder
		b.WriteString("MedInc,HouseAge,AveRooms,target\n")
		for range n {
			x1, x2, x3 := r.Float64()*10, r.Float64()*50, r.Float64()*8
			fmt.Fprintf(&b, "%.4f,%.4f,%.4f,%.4f\n", x1, x2, x3, 0.4*x1+0.01*x2+0.1*x3+r.NormFloat64()*0.1)
		}
		return b.String()
	}
	writeFiles(t, filepath.Join(ml, "input/data/train"), map[string]string{"train_processed.csv": table(200), "scaler.pkl": "x"})
	writeFiles(t, filepath.Join(ml, "input/data/test"), map[string]string{"test.csv": table(60), "train.csv": table(10)})
	tr := &Training{
		JobName: "ml-pipeline-training", Region: "us-east-1",
		Image:           "246618743249.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3",
		HyperParameters: map[string]string{"sagemaker_program": "training.py", "sagemaker_submit_directory": "/opt/ml/input/data/code"},
		Channels:        []Channel{{Name: "train"}, {Name: "test"}, {Name: "code"}},
		InstanceType:    "ml.m5.large", InstanceCount: 1,
	}
	l, err := PrepareTraining(t.Context(), ml, tr, DefaultProfiles().For(tr.Image), nil)
	if err != nil {
		t.Fatal(err)
	}
	code, out := run(t, l.Rebase(ml), ml, nil)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	if !strings.Contains(out, "Model saved to: "+ml+"/model/model.pkl") {
		t.Errorf("output:\n%s", out)
	}
	m := readJSON(t, filepath.Join(ml, "output/data/evaluation.json"))
	if r2, _ := m["test_r2"].(float64); r2 < 0.7 {
		t.Errorf("evaluation.json = %v", m)
	}
	if _, err := os.Stat(filepath.Join(ml, "model/model.pkl")); err != nil {
		t.Error(err)
	}
}

func TestScriptModeFailure(t *testing.T) {
	t.Parallel()
	requirePython(t)
	ml := t.TempDir()
	writeFiles(t, filepath.Join(ml, "code"), map[string]string{"train.py": "import sys\nprint(sys.argv[1:])\nraise ValueError('bad data')\n"})
	tr := &Training{JobName: "f", Image: "x/sagemaker-scikit-learn:1.2-1-cpu-py3", HyperParameters: map[string]string{"sagemaker_program": `"train.py"`, "epochs": "2"}}
	l, err := PrepareTraining(t.Context(), ml, tr, DefaultProfiles().For(tr.Image), nil)
	if err != nil {
		t.Fatal(err)
	}
	code, out := run(t, l.Rebase(ml), ml, nil)
	if code != 1 || !strings.Contains(out, "['--epochs', '2']") || !strings.Contains(out, "ValueError: bad data") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	want := "AlgorithmError: ExecuteUserScriptError:\nExitCode 1\nErrorMessage \"ValueError: bad data\"\nCommand \"/usr/bin/python3 train.py --epochs 2\""
	if got := TrainingFailure(ml, code, "ValueError: bad data", l); got != want {
		t.Errorf("reason =\n%s\nwant\n%s", got, want)
	}
}
