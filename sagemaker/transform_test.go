package sagemaker

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/jsonv"
)

const xgboostImage = "246618743249.dkr.ecr.us-west-2.amazonaws.com/sagemaker-xgboost:1.5-1"

func decodeJSON(t testing.TB, s string, into any) {
	t.Helper()
	if err := json.Unmarshal([]byte(s), into); err != nil {
		t.Fatal(err)
	}
}

// tarGz packs files into a model.tar.gz.
func tarGz(t testing.TB, files map[string][]byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	tw := tar.NewWriter(zw)
	for name, body := range files {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		_, _ = tw.Write(body)
	}
	_ = tw.Close()
	_ = zw.Close()
	return b.Bytes()
}

// xgbTransformModel trains a small XGBoost regressor (y = 2*x0 + x1) with Debian's
// xgboost, stores it as the built-in algorithm does (xgboost-model in model.tar.gz) and
// creates the model name over the XGBoost image.
func (e *env) xgbTransformModel(t testing.TB, name string) {
	t.Helper()
	dir := t.TempDir()
	out, err := exec.Command("/usr/bin/python3", "-c", `import sys, numpy as np, xgboost as xgb
rng = np.random.default_rng(1)
X = rng.uniform(0, 10, size=(400, 3))
y = 2 * X[:, 0] + X[:, 1]
bst = xgb.train({"objective": "reg:squarederror", "max_depth": 4}, xgb.DMatrix(X, label=y), 40)
bst.save_model(sys.argv[1])`, filepath.Join(dir, "xgboost-model")).CombinedOutput()
	if err != nil {
		t.Fatalf("training: %v %s", err, out)
	}
	m, _ := os.ReadFile(filepath.Join(dir, "xgboost-model"))
	e.put(t, "s3://models/"+name+"/model.tar.gz", tarGz(t, map[string][]byte{"xgboost-model": m}))
	var in CreateModelInput
	decodeJSON(t, `{"ModelName":"`+name+`","ExecutionRoleArn":"`+role+`",
  "PrimaryContainer":{"Image":"`+xgboostImage+`","ModelDataUrl":"s3://models/`+name+`/model.tar.gz"}}`, &in)
	if _, err := e.svc.CreateModel(t.Context(), &in); err != nil {
		t.Fatal(err)
	}
}

// scriptTransformModel creates a scikit-learn script-mode model whose inference.py is
// given: model_fn returns None.
func (e *env) scriptTransformModel(t *testing.T, name, inference string) {
	t.Helper()
	e.put(t, "s3://models/"+name+"/model.tar.gz", tarGz(t, map[string][]byte{"code/inference.py": []byte(inference)}))
	var in CreateModelInput
	mustJSON(t, `{"ModelName":"`+name+`","ExecutionRoleArn":"`+role+`",
  "PrimaryContainer":{"Image":"`+sklearnImage+`","ModelDataUrl":"s3://models/`+name+`/model.tar.gz",
    "Environment":{"SAGEMAKER_PROGRAM":"inference.py","SAGEMAKER_SUBMIT_DIRECTORY":"/opt/ml/model/code","SAGEMAKER_MODEL_SERVER_WORKERS":"1"}}}`, &in)
	if _, err := e.svc.CreateModel(t.Context(), &in); err != nil {
		t.Fatal(err)
	}
}

func (e *env) bucket(t *testing.T, name string) {
	t.Helper()
	if err := e.objects.CreateBucket(t.Context(), name); err != nil {
		t.Fatal(err)
	}
}

func (e *env) waitTransform(t *testing.T, name string) *TransformJob {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	rec, err := waitJob(ctx, e.svc, kindTransform, name, func(j *TransformJob) bool { return isTerminal(j.TransformJobStatus) })
	if err != nil {
		t.Fatalf("waiting for %s: %v", name, err)
	}
	return &rec.Job
}

// transformRequest is a CreateTransformJob request; extra is more members ("," first).
func transformRequest(t *testing.T, name, model, input, output, extra string) *CreateTransformJobInput {
	t.Helper()
	var in CreateTransformJobInput
	mustJSON(t, `{"TransformJobName":"`+name+`","ModelName":"`+model+`",
  "TransformInput":{"DataSource":{"S3DataSource":{"S3DataType":"S3Prefix","S3Uri":"`+input+`"}},"ContentType":"text/csv","SplitType":"Line"},
  "TransformOutput":{"S3OutputPath":"`+output+`","Accept":"text/csv","AssembleWith":"Line"},
  "TransformResources":{"InstanceType":"ml.m5.large","InstanceCount":1}`+extra+`}`, &in)
	return &in
}

// features is a label-less CSV of n rows (x0, x1, x2), row i with x0 = i mod 10.
func features(n, seed int) []byte {
	var b bytes.Buffer
	for i := range n {
		fmt.Fprintf(&b, "%d,%d.5,%d\n", i%10, (i+seed)%7, i%3)
	}
	return b.Bytes()
}

func checkPredictions(t *testing.T, out []byte, input []byte) {
	t.Helper()
	preds := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	rows := strings.Split(strings.TrimSuffix(string(input), "\n"), "\n")
	if len(preds) != len(rows) {
		t.Fatalf("%d predictions for %d rows: %.200q", len(preds), len(rows), out)
	}
	for i, row := range rows {
		f := strings.Split(row, ",")
		x0, _ := strconv.ParseFloat(f[0], 64)
		x1, _ := strconv.ParseFloat(f[1], 64)
		p, err := strconv.ParseFloat(preds[i], 64)
		if err != nil || p < 2*x0+x1-2 || p > 2*x0+x1+2 {
			t.Fatalf("row %d %q: prediction %q, want about %g", i, row, preds[i], 2*x0+x1)
		}
	}
}

// TestTransformXGBoost runs a transform job with the built-in XGBoost server: two
// objects (one gzipped), split by line, packed into requests under MaxPayloadInMB, the
// predictions in input order in <output>/<relative key>.out.
func TestTransformXGBoost(t *testing.T) {
	needPython(t, "xgboost", "numpy")
	t.Parallel()
	e := newEnv(t)
	e.bucket(t, "out")
	e.xgbTransformModel(t, "xgb")
	a, b := features(30000, 1), features(500, 2)
	e.put(t, "s3://data/batch/a.csv", a)
	e.put(t, "s3://data/batch/sub/b.csv", b)
	e.put(t, "s3://data/batch/", nil) // a folder marker is not an input
	if _, err := e.svc.CreateTransformJob(t.Context(), transformRequest(t, "tj-1", "xgb", "s3://data/batch", "s3://out/preds/",
		`,"MaxPayloadInMB":1,"BatchStrategy":"MultiRecord","Environment":{"MY_VAR":"1"}`)); err != nil {
		t.Fatal(err)
	}
	j := e.waitTransform(t, "tj-1")
	if j.TransformJobStatus != statusCompleted {
		t.Fatalf("%s: %s\n%s", j.TransformJobStatus, j.FailureReason, e.log(t, kindTransform, "tj-1"))
	}
	checkPredictions(t, e.get(t, "s3://out/preds/a.csv.out"), a)
	checkPredictions(t, e.get(t, "s3://out/preds/sub/b.csv.out"), b)
	log := e.log(t, kindTransform, "tj-1")
	if !strings.Contains(log, "[sagemaker logs]: MaxConcurrentTransforms=") || !strings.Contains(log, "MaxPayloadInMB=1, BatchStrategy=MULTI_RECORD") {
		t.Fatalf("log: %s", log)
	}
	if j.TransformStartTime.IsZero() || j.TransformEndTime.IsZero() || j.TransformInput.CompressionType != "None" ||
		j.DataProcessing == nil || j.DataProcessing.JoinSource != "None" || j.TransformJobArn != "arn:aws:sagemaker:us-east-1:123456789012:transform-job/tj-1" {
		t.Fatalf("describe: %+v", j)
	}

	// The same input gzipped, one record a request, sent 3 at a time.
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write(b)
	_ = zw.Close()
	e.put(t, "s3://data/gz/b.csv.gz", gz.Bytes())
	in := transformRequest(t, "tj-gz", "xgb", "s3://data/gz/b.csv.gz", "s3://out/gz", `,"BatchStrategy":"SingleRecord","MaxConcurrentTransforms":3`)
	in.TransformInput.CompressionType = "Gzip"
	if _, err := e.svc.CreateTransformJob(t.Context(), in); err != nil {
		t.Fatal(err)
	}
	if j := e.waitTransform(t, "tj-gz"); j.TransformJobStatus != statusCompleted {
		t.Fatalf("%s: %s\n%s", j.TransformJobStatus, j.FailureReason, e.log(t, kindTransform, "tj-gz"))
	}
	checkPredictions(t, e.get(t, "s3://out/gz/b.csv.gz.out"), b)
	if log := e.log(t, kindTransform, "tj-gz"); !strings.Contains(log, "MaxConcurrentTransforms=3, MaxPayloadInMB=6, BatchStrategy=SINGLE_RECORD") {
		t.Fatalf("log: %s", log)
	}

	list, err := e.svc.ListTransformJobs(t.Context(), &ListJobsInput{SortBy: "Name", SortOrder: "Ascending"})
	if err != nil || len(list.TransformJobSummaries) != 2 || list.TransformJobSummaries[0].TransformJobName != "tj-1" ||
		list.TransformJobSummaries[0].TransformJobStatus != statusCompleted || list.TransformJobSummaries[0].LastModifiedTime.IsZero() {
		t.Fatalf("list: %+v %v", list, err)
	}

	// Bad input: a malformed row fails the job with what the container answered, and
	// publishes nothing for that object.
	e.put(t, "s3://data/bad/good.csv", features(20, 3))
	e.put(t, "s3://data/bad/malformed.csv", append(features(20, 3), "1,abc,2\n"...))
	if _, err := e.svc.CreateTransformJob(t.Context(), transformRequest(t, "tj-bad", "xgb", "s3://data/bad/", "s3://out/bad", "")); err != nil {
		t.Fatal(err)
	}
	j = e.waitTransform(t, "tj-bad")
	if j.TransformJobStatus != statusFailed || !strings.HasPrefix(j.FailureReason, "ClientError: See job logs for more information. 1 of 2 input objects failed; the first: data/bad/malformed.csv: ClientError: 415") {
		t.Fatalf("%s: %q", j.TransformJobStatus, j.FailureReason)
	}
	e.get(t, "s3://out/bad/good.csv.out")
	if _, err := e.objects.Head(t.Context(), "out", "bad/malformed.csv.out"); err == nil {
		t.Fatal("the failed object's output was published")
	}

	// A record over MaxPayloadInMB.
	e.put(t, "s3://data/big/x.csv", append(append(features(5, 1), bytes.Repeat([]byte("1,"), MBytes/2)...), "1\n"...))
	if _, err := e.svc.CreateTransformJob(t.Context(), transformRequest(t, "tj-big", "xgb", "s3://data/big", "s3://out/big", `,"MaxPayloadInMB":1,"BatchStrategy":"MultiRecord"`)); err != nil {
		t.Fatal(err)
	}
	if j := e.waitTransform(t, "tj-big"); j.TransformJobStatus != statusFailed ||
		!strings.Contains(j.FailureReason, "data/big/x.csv: ClientError: Record is larger than 1MB. Please increase your max_payload") {
		t.Fatalf("%s: %q", j.TransformJobStatus, j.FailureReason)
	}

	// An unsplit object over the container's 6 MiB: the container answers 413 and the
	// log says so as SageMaker's does.
	e.put(t, "s3://data/whole/large.csv", features(900_000, 1))
	in = transformRequest(t, "tj-413", "xgb", "s3://data/whole", "s3://out/whole", `,"MaxPayloadInMB":100`)
	in.TransformInput.SplitType = ""
	if _, err := e.svc.CreateTransformJob(t.Context(), in); err != nil {
		t.Fatal(err)
	}
	j = e.waitTransform(t, "tj-413")
	log = e.log(t, kindTransform, "tj-413")
	if j.TransformJobStatus != statusFailed || !strings.Contains(log, "MaxPayloadInMB=100, BatchStrategy=MULTI_RECORD") ||
		!strings.Contains(log, "\ndata/whole/large.csv: ClientError: 413\n") || !strings.Contains(j.FailureReason, "data/whole/large.csv: ClientError: 413: 413 Request Entity Too Large") {
		t.Fatalf("%s: %q\n%s", j.TransformJobStatus, j.FailureReason, log)
	}

	// An input prefix with nothing under it.
	if _, err := e.svc.CreateTransformJob(t.Context(), transformRequest(t, "tj-none", "xgb", "s3://data/nothing-here/", "s3://out/n", "")); err != nil {
		t.Fatal(err)
	}
	if j := e.waitTransform(t, "tj-none"); j.TransformJobStatus != statusFailed ||
		!strings.HasPrefix(j.FailureReason, `ClientError: No S3 objects found under S3 URL "s3://data/nothing-here/"`) || !j.TransformEndTime.IsZero() {
		t.Fatalf("%s: %q", j.TransformJobStatus, j.FailureReason)
	}
}

// MBytes is SageMaker's megabyte.
const MBytes = 1 << 20

// TestTransformDataProcessingAndCrash: a script-mode model answers the first column;
// DataProcessing drops an id column on the way in and joins it back on the way out. A
// second job's container exits in the middle: the job fails with why.
func TestTransformDataProcessingAndCrash(t *testing.T) {
	needPython(t, "sklearn", "numpy")
	t.Parallel()
	e := newEnv(t)
	e.bucket(t, "out")
	e.scriptTransformModel(t, "first-col", `import os
import numpy as np

def model_fn(model_dir):
    return None

def predict_fn(data, model):
    data = np.atleast_2d(data)
    if (data[:, 0] == 999).any():
        os._exit(3)
    return data[:, 0] * 10
`)
	var rows strings.Builder
	for i := range 200 {
		fmt.Fprintf(&rows, "id-%d,%d,1\n", i, i)
	}
	e.put(t, "s3://data/ids/rows.csv", []byte(rows.String()))
	in := transformRequest(t, "tj-join", "first-col", "s3://data/ids", "s3://out/ids",
		`,"MaxPayloadInMB":1,"BatchStrategy":"MultiRecord","DataProcessing":{"InputFilter":"$[1:]","JoinSource":"Input","OutputFilter":"$[0,-1]"}`)
	if _, err := e.svc.CreateTransformJob(t.Context(), in); err != nil {
		t.Fatal(err)
	}
	j := e.waitTransform(t, "tj-join")
	if j.TransformJobStatus != statusCompleted {
		t.Fatalf("%s: %s\n%s", j.TransformJobStatus, j.FailureReason, e.log(t, kindTransform, "tj-join"))
	}
	lines := strings.Split(strings.TrimSuffix(string(e.get(t, "s3://out/ids/rows.csv.out")), "\n"), "\n")
	if len(lines) != 200 || lines[0] != "id-0,0.0" || lines[199] != "id-199,1990.0" {
		t.Fatalf("%d lines: %q ... %q", len(lines), lines[0], lines[len(lines)-1])
	}

	e.put(t, "s3://data/crash/a.csv", []byte("1,1\n2,2\n999,1\n3,3\n"))
	if _, err := e.svc.CreateTransformJob(t.Context(), transformRequest(t, "tj-crash", "first-col", "s3://data/crash", "s3://out/crash", `,"BatchStrategy":"SingleRecord"`)); err != nil {
		t.Fatal(err)
	}
	j = e.waitTransform(t, "tj-crash")
	if j.TransformJobStatus != statusFailed || !strings.HasPrefix(j.FailureReason, "AlgorithmError: the serving process exited with code") {
		t.Fatalf("%s: %q\n%s", j.TransformJobStatus, j.FailureReason, e.log(t, kindTransform, "tj-crash"))
	}
	if _, err := e.objects.Head(t.Context(), "out", "crash/a.csv.out"); err == nil {
		t.Fatal("the crashed object's output was published")
	}
}

func TestCreateTransformJobErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.put(t, "s3://models/m/model.tar.gz", tarGz(t, map[string][]byte{"xgboost-model": []byte("x")}))
	var m CreateModelInput
	mustJSON(t, `{"ModelName":"m","ExecutionRoleArn":"`+role+`","PrimaryContainer":{"Image":"`+xgboostImage+`","ModelDataUrl":"s3://models/m/model.tar.gz"}}`, &m)
	if _, err := e.svc.CreateModel(t.Context(), &m); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, extra, want string
		mutate            func(*CreateTransformJobInput)
	}{
		{name: "bad_name", want: "Value 'bad_name' at 'transformJobName' failed to satisfy constraint: Member must satisfy regular expression pattern"},
		{name: "no-input", mutate: func(in *CreateTransformJobInput) { in.TransformInput = nil },
			want: "Value null at 'transformInput' failed to satisfy constraint: Member must not be null"},
		{name: "no-count", mutate: func(in *CreateTransformJobInput) { in.TransformResources.InstanceCount = nil },
			want: "Value null at 'transformResources.instanceCount' failed to satisfy constraint: Member must not be null"},
		{name: "bad-type", mutate: func(in *CreateTransformJobInput) { in.TransformResources.InstanceType = "ml.t2.nano" },
			want: "Value 'ml.t2.nano' at 'transformResources.instanceType' failed to satisfy constraint: Member must satisfy enum value set"},
		{name: "too-much", extra: `,"MaxConcurrentTransforms":20,"MaxPayloadInMB":6`,
			want: "The product of MaxConcurrentTransforms (20) and MaxPayloadInMB (6) must be less than or equal to 100 MB."},
		{name: "payload", extra: `,"MaxPayloadInMB":101`, want: "MaxPayloadInMB (101) must be less than or equal to 100."},
		{name: "strategy-none", extra: `,"BatchStrategy":"MultiRecord"`, mutate: func(in *CreateTransformJobInput) { in.TransformInput.SplitType = "None" },
			want: "BatchStrategy MultiRecord requires a SplitType of Line, RecordIO or TFRecord"},
		{name: "augmented", mutate: func(in *CreateTransformJobInput) {
			in.TransformInput.DataSource.S3DataSource.S3DataType = "AugmentedManifestFile"
		}, want: "S3DataType AugmentedManifestFile is not supported for batch transform."},
		{name: "env-key", extra: `,"Environment":{"1BAD":"x"}`, want: "Map keys must satisfy constraint"},
		{name: "env-many", extra: `,"Environment":{` + manyEnv(17) + `}`, want: "Member must have length less than or equal to 16"},
		{name: "retries", extra: `,"ModelClientConfig":{"InvocationsMaxRetries":4}`,
			want: "Value '4' at 'modelClientConfig.invocationsMaxRetries' failed to satisfy constraint: Member must have value less than or equal to 3"},
		{name: "filter", extra: `,"DataProcessing":{"InputFilter":"$[1:"}`, want: "DataProcessing: InputFilter:"},
		{name: "unknown-model", mutate: func(in *CreateTransformJobInput) { in.ModelName = "nope" },
			want: `Could not find model "arn:aws:sagemaker:us-east-1:123456789012:model/nope".`},
	} {
		in := transformRequest(t, tc.name, "m", "s3://data/x", "s3://out/x", tc.extra)
		if tc.mutate != nil {
			tc.mutate(in)
		}
		_, err := e.svc.CreateTransformJob(t.Context(), in)
		if apiCode(err) != "ValidationException" || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
	if _, err := e.svc.CreateTransformJob(t.Context(), transformRequest(t, "dup", "m", "s3://data/none/", "s3://out/x", "")); err != nil {
		t.Fatal(err)
	}
	_, err := e.svc.CreateTransformJob(t.Context(), transformRequest(t, "dup", "m", "s3://data/none/", "s3://out/x", ""))
	if apiCode(err) != "ResourceInUse" || !strings.Contains(err.Error(), "Transform job names must be unique within an AWS account and region, and a transform job with this name already exists (arn:aws:sagemaker:us-east-1:123456789012:transform-job/dup)") {
		t.Fatalf("duplicate: %v", err)
	}
	if _, err := e.svc.DescribeTransformJob(t.Context(), &DescribeTransformJobInput{TransformJobName: "missing"}); apiCode(err) != "ValidationException" {
		t.Fatalf("describe missing: %v", err)
	}
	e.waitTransform(t, "dup")
	if _, err := e.svc.StopTransformJob(t.Context(), &StopTransformJobInput{TransformJobName: "dup"}); apiCode(err) != "ValidationException" {
		t.Fatalf("stop a finished job: %v", err)
	}
}

func manyEnv(n int) string {
	var parts []string
	for i := range n {
		parts = append(parts, fmt.Sprintf(`"K%d":"v"`, i))
	}
	return strings.Join(parts, ",")
}

// TestTransformSyncIntegration: createTransformJob.sync returns the final Describe
// reply; a failed job is States.TaskFailed with it as the cause.
func TestTransformSyncIntegration(t *testing.T) {
	needPython(t, "xgboost", "numpy")
	t.Parallel()
	e := newEnv(t)
	e.bucket(t, "out")
	e.xgbTransformModel(t, "xgb")
	e.put(t, "s3://data/in/a.csv", features(50, 1))
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::sagemaker:createTransformJob.sync",
  "Parameters":{"TransformJobName.$":"$.name","ModelName":"xgb",
    "TransformInput":{"DataSource":{"S3DataSource":{"S3DataType":"S3Prefix","S3Uri.$":"$.input"}},"ContentType":"text/csv","SplitType":"Line"},
    "TransformOutput":{"S3OutputPath":"s3://out/sync","AssembleWith":"Line"},
    "TransformResources":{"InstanceType":"ml.m5.large","InstanceCount":1}},"End":true}}}`
	res, _ := e.runMachine(t, def, `{"name":"sync-1","input":"s3://data/in"}`)
	if res.HasError {
		t.Fatalf("%s: %s", res.Error, res.Cause)
	}
	out := jsonv.String(res.Output)
	if !strings.Contains(out, "Completed") || !strings.Contains(out, "sync-1") {
		t.Fatalf("output %v", out)
	}
	checkPredictions(t, e.get(t, "s3://out/sync/a.csv.out"), features(50, 1))
	res, _ = e.runMachine(t, def, `{"name":"sync-2","input":"s3://data/missing/"}`)
	if res.Error != "States.TaskFailed" || !strings.Contains(res.Cause, `"TransformJobStatus":"Failed"`) {
		t.Fatalf("failed job: %s %s", res.Error, res.Cause)
	}
}

// TestTransformInstancesManifestStopRestart: two instances share a manifest's objects;
// StopTransformJob stops a job; a job running when the server stops runs again from
// the beginning when it starts.
func TestTransformInstancesManifestStopRestart(t *testing.T) {
	needPython(t, "xgboost", "numpy")
	t.Parallel()
	e := newEnv(t)
	e.bucket(t, "out")
	e.xgbTransformModel(t, "xgb")
	inputs := map[string][]byte{}
	for i := range 4 {
		inputs[fmt.Sprintf("part-%d.csv", i)] = features(100+i, i)
		e.put(t, fmt.Sprintf("s3://data/parts/part-%d.csv", i), inputs[fmt.Sprintf("part-%d.csv", i)])
	}
	e.put(t, "s3://data/m.manifest", []byte(`[{"prefix":"s3://data/parts/"},"part-0.csv","part-1.csv","part-2.csv","part-3.csv"]`))
	in := transformRequest(t, "tj-two", "xgb", "s3://data/m.manifest", "s3://out/two", `,"MaxConcurrentTransforms":1`)
	in.TransformInput.DataSource.S3DataSource.S3DataType = "ManifestFile"
	*in.TransformResources.InstanceCount = 2
	if _, err := e.svc.CreateTransformJob(t.Context(), in); err != nil {
		t.Fatal(err)
	}
	j := e.waitTransform(t, "tj-two")
	log := e.log(t, kindTransform, "tj-two")
	if j.TransformJobStatus != statusCompleted || !strings.Contains(log, "[instance 1] ") || !strings.Contains(log, "[instance 2] ") {
		t.Fatalf("%s: %s\n%s", j.TransformJobStatus, j.FailureReason, log)
	}
	for name, body := range inputs {
		checkPredictions(t, e.get(t, "s3://out/two/"+name+".out"), body)
	}

	// Stopped while its serving process starts.
	if _, err := e.svc.CreateTransformJob(t.Context(), transformRequest(t, "tj-stop", "xgb", "s3://data/parts/", "s3://out/stop", "")); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.StopTransformJob(t.Context(), &StopTransformJobInput{TransformJobName: "tj-stop"}); err != nil {
		t.Fatal(err)
	}
	if j := e.waitTransform(t, "tj-stop"); j.TransformJobStatus != statusStopped || j.TransformEndTime.IsZero() {
		t.Fatalf("stop: %s %q", j.TransformJobStatus, j.FailureReason)
	}

	// The server stops while the job's serving process starts; the next start runs it.
	if _, err := e.svc.CreateTransformJob(t.Context(), transformRequest(t, "tj-restart", "xgb", "s3://data/parts/", "s3://out/restart", "")); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.start(t)
	j = e.waitTransform(t, "tj-restart")
	rec, _, _ := loadRecord[transformDoc](t.Context(), e.st, kindTransform, "tj-restart")
	if j.TransformJobStatus != statusCompleted || rec.Restarts != 1 || !strings.Contains(e.log(t, kindTransform, "tj-restart"), "running it again from the beginning") {
		t.Fatalf("restart: %s %q restarts=%d", j.TransformJobStatus, j.FailureReason, rec.Restarts)
	}
	for name, body := range inputs {
		checkPredictions(t, e.get(t, "s3://out/restart/"+name+".out"), body)
	}
}
