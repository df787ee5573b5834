package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Seed 004 (an MLOps article: preprocessing, XGBoost training, evaluation, model
// registration) through `stepwise server` with the aws CLI. Its state machine, as
// written, fails as on AWS: CreateStateMachine refuses the optimized
// sagemaker:createModelPackage (the model registry is only offered as
// aws-sdk:sagemaker), and with that fixed the preprocessing task's made-up fields stop
// the execution. testdata/seed004/mlops-pipeline.fixed.asl.json is the article's
// machine with the fewest changes that make it run (see the comments below); it
// registers a model that the test then approves, lists and traces back to the
// execution, training job, data and code that produced it.

const seed004Bucket = "your-ml-bucket"

var (
	seed004Sklearn = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
	seed004XGBoost = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.5-1"
)

// seed004Definition reads a definition of testdata/seed004 with the article's
// placeholders filled in.
func seed004Definition(t *testing.T, file string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "seed004", file))
	if err != nil {
		t.Fatal(err)
	}
	return strings.NewReplacer("YOUR_ACCOUNT_ID", "123456789012",
		"YOUR_SKLEARN_PROCESSING_IMAGE_URI", seed004Sklearn,
		"YOUR_XGBOOST_IMAGE_URI", seed004XGBoost,
		"YOUR_XGBOOST_INFERENCE_IMAGE_URI", seed004XGBoost).Replace(string(b))
}

// fraudTransactions is the raw data the article's pipeline reads: card transactions
// with a header, fraud more likely for large, nightly, distant, foreign ones.
func fraudTransactions(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 4))
	var b bytes.Buffer
	b.WriteString("amount,hour,distance_km,tx_24h,foreign,is_fraud\n")
	for range n {
		amount := r.ExpFloat64() * 80
		hour := r.IntN(24)
		distance := r.ExpFloat64() * 20
		tx := r.IntN(12)
		foreign := 0
		if r.Float64() < 0.1 {
			foreign = 1
		}
		score := amount/400 + distance/100 + float64(tx)/20 + float64(foreign)*0.8
		if hour < 6 {
			score += 0.6
		}
		fraud := 0
		if score+r.NormFloat64()*0.3 > 1.4 {
			fraud = 1
		}
		fmt.Fprintf(&b, "%.2f,%d,%.3f,%d,%d,%d\n", amount, hour, distance, tx, foreign, fraud)
	}
	return b.Bytes()
}

func needSeed004Python(t *testing.T) {
	t.Helper()
	if out, err := exec.Command("/usr/bin/python3", "-c", "import pandas, numpy, xgboost").CombinedOutput(); err != nil {
		t.Skipf("Debian's python3 lacks pandas/xgboost (make deps): %v %s", err, out)
	}
}

func TestSeed004ModelRegistry(t *testing.T) {
	needSeed004Python(t)
	srv := startServer(t, t.TempDir())
	aws := newCLI(t, srv.URL)
	const role = "arn:aws:iam::123456789012:role/StepFunctionsExecutionRole"

	aws.ok(nil, "s3", "mb", "s3://"+seed004Bucket)
	aws.ok(nil, "s3", "cp", writeTemp(t, "input.csv", fraudTransactions(3000, 7)), "s3://"+seed004Bucket+"/raw-data/input.csv")
	for _, f := range []string{"preprocess.py", "evaluate.py"} {
		aws.ok(nil, "s3", "cp", filepath.Join("testdata", "seed004", f), "s3://"+seed004Bucket+"/code/"+f)
	}

	// As written: CreateStateMachine refuses the optimized integration the article
	// uses for registration, which Step Functions does not have.
	verbatim := seed004Definition(t, "mlops-pipeline.asl.json")
	msg := aws.fails("InvalidDefinition", "stepfunctions", "create-state-machine", "--name", "MLOpsPipelineFraudDetection",
		"--definition", verbatim, "--role-arn", role)
	if !strings.Contains(msg, "The resource provided arn:aws:states:::sagemaker:createModelPackage is not recognized. The value is not a valid resource ARN, or the resource is not available in this region. at /States/RegisterModel/Resource") {
		t.Fatalf("create-state-machine: %s", msg)
	}

	run := func(name, def, execName string) map[string]any {
		t.Helper()
		var sm struct{ StateMachineArn string }
		aws.ok(&sm, "stepfunctions", "create-state-machine", "--name", name, "--definition", def, "--role-arn", role)
		var ex struct{ ExecutionArn string }
		aws.ok(&ex, "stepfunctions", "start-execution", "--state-machine-arn", sm.StateMachineArn, "--name", execName,
			"--input", `{"data_version":"v1.0","trigger_source":"manual"}`)
		deadline := time.Now().Add(5 * time.Minute)
		for {
			var d map[string]any
			aws.ok(&d, "stepfunctions", "describe-execution", "--execution-arn", ex.ExecutionArn)
			if d["status"] != "RUNNING" {
				return d
			}
			if time.Now().After(deadline) {
				t.Fatalf("execution still running after 5 minutes: %v", d)
			}
			time.Sleep(200 * time.Millisecond) // an external process (the server) runs the jobs
		}
	}

	// With registration as an aws-sdk task, the machine is accepted, and the
	// preprocessing task's fields that CreateProcessingJob does not have (OutputConfig,
	// CodeRepository) stop the execution before any job starts: States.Runtime, which
	// the state's Catch of States.ALL does not catch.
	sdkOnly := strings.Replace(verbatim, `"arn:aws:states:::sagemaker:createModelPackage"`, `"arn:aws:states:::aws-sdk:sagemaker:createModelPackage"`, 1)
	d := run("MLOpsPipelineVerbatim", sdkOnly, "verbatim-1")
	if d["status"] != "FAILED" || d["error"] != "States.Runtime" ||
		!strings.Contains(d["cause"].(string), `could not be used to start the Task: [The field "OutputConfig" is not supported by Step Functions]`) {
		t.Fatalf("verbatim: %v", d)
	}
	var jobs struct{ ProcessingJobSummaries []any }
	aws.ok(&jobs, "sagemaker", "list-processing-jobs")
	if len(jobs.ProcessingJobSummaries) != 0 {
		t.Fatalf("a job started: %v", jobs)
	}

	// Registry bad input, as SageMaker answers it.
	spec := `{"Containers":[{"Image":"` + seed004XGBoost + `","ModelDataUrl":"s3://your-ml-bucket/models/"}]}`
	if m := aws.fails("ValidationException", "sagemaker", "create-model-package", "--model-package-group-name", "MyFraudDetectionModels",
		"--inference-specification", spec); !strings.Contains(m, "Model Package Group does not exist") {
		t.Errorf("package in a missing group: %s", m)
	}
	if m := aws.fails("ValidationException", "sagemaker", "describe-model-package-group", "--model-package-group-name", "NoSuchGroup"); m != "ModelPackageGroup arn:aws:sagemaker:us-east-1:123456789012:model-package-group/nosuchgroup does not exist." {
		t.Errorf("unknown group: %s", m)
	}
	var group struct{ ModelPackageGroupArn string }
	aws.ok(&group, "sagemaker", "create-model-package-group", "--model-package-group-name", "MyFraudDetectionModels",
		"--model-package-group-description", "Fraud detection models")
	if m := aws.fails("ValidationException", "sagemaker", "create-model-package-group", "--model-package-group-name", "MyFraudDetectionModels"); !strings.Contains(m, "Model Package Group already exists") {
		t.Errorf("duplicate group: %s", m)
	}

	// The article's machine with the fewest changes that make it run: the processing
	// outputs under ProcessingOutputConfig and the scripts as a "code" input (the API
	// has no OutputConfig, S3Headers or CodeRepository), num_round (required by
	// built-in XGBoost), a ResultPath on the evaluation (else its result replaces the
	// training result that RegisterModel reads), the Choice reading the evaluation's
	// real output field, the metrics file's ContentType (required by SageMaker), and
	// registration as aws-sdk:sagemaker:createModelPackage.
	//
	// The entrypoints say "python", as the scikit-learn image has it (the stand-in
	// provides it too).
	fixed := seed004Definition(t, "mlops-pipeline.fixed.asl.json")
	d = run("MLOpsPipelineFraudDetection", fixed, "run-1")
	if d["status"] != "SUCCEEDED" {
		for _, j := range []string{"run-1", "evaluation-job-run-1"} {
			out, _, _ := aws.run("sagemaker", "describe-processing-job", "--processing-job-name", j)
			t.Logf("processing job %s: %s", j, out)
		}
		out, _, _ := aws.run("sagemaker", "describe-training-job", "--training-job-name", "training-job-run-1")
		t.Logf("training job: %s", out)
		t.Fatalf("fixed: %v\nserver log: %s", d, srv.log)
	}
	execARN := d["executionArn"].(string)

	var list struct {
		ModelPackageSummaryList []struct {
			ModelPackageArn, ModelApprovalStatus, ModelPackageGroupName string
			ModelPackageVersion                                         int
		}
	}
	aws.ok(&list, "sagemaker", "list-model-packages", "--model-package-group-name", "MyFraudDetectionModels")
	if len(list.ModelPackageSummaryList) != 1 {
		t.Fatalf("packages: %+v", list)
	}
	pkg := list.ModelPackageSummaryList[0]
	if pkg.ModelPackageArn != "arn:aws:sagemaker:us-east-1:123456789012:model-package/myfrauddetectionmodels/1" ||
		pkg.ModelApprovalStatus != "PendingManualApproval" || pkg.ModelPackageVersion != 1 {
		t.Fatalf("package: %+v", pkg)
	}

	// Approval, and the listing deployment pipelines use to find the latest approved model.
	if m := aws.fails("ValidationException", "sagemaker", "update-model-package", "--model-package-arn", pkg.ModelPackageArn,
		"--model-approval-status", "Approve"); !strings.Contains(m, "Member must satisfy enum value set: [Approved, Rejected, PendingManualApproval]") {
		t.Errorf("invalid approval status: %s", m)
	}
	aws.ok(nil, "sagemaker", "update-model-package", "--model-package-arn", pkg.ModelPackageArn,
		"--model-approval-status", "Approved", "--approval-description", "accuracy checked by a reviewer")
	aws.ok(&list, "sagemaker", "list-model-packages", "--model-package-group-name", "MyFraudDetectionModels",
		"--model-approval-status", "Approved", "--sort-by", "CreationTime", "--sort-order", "Descending")
	if len(list.ModelPackageSummaryList) != 1 || list.ModelPackageSummaryList[0].ModelApprovalStatus != "Approved" {
		t.Fatalf("approved packages: %+v", list)
	}
	var desc struct {
		ModelApprovalStatus, ApprovalDescription, ModelPackageStatus string
		MetadataProperties                                           struct{ GeneratedBy string }
		ModelMetrics                                                 struct {
			ModelDataQuality struct{ Statistics struct{ S3Uri string } }
		}
	}
	aws.ok(&desc, "sagemaker", "describe-model-package", "--model-package-name", pkg.ModelPackageArn)
	if desc.ModelApprovalStatus != "Approved" || desc.ModelPackageStatus != "Completed" || desc.MetadataProperties.GeneratedBy != execARN ||
		desc.ModelMetrics.ModelDataQuality.Statistics.S3Uri != "s3://your-ml-bucket/eval-results/statistics.json" {
		t.Fatalf("describe-model-package: %+v", desc)
	}

	// The lineage: stepwise's own member of DescribeModelPackage, which the SDKs drop,
	// read from the raw reply.
	lin := describeLineage(t, srv.URL, pkg.ModelPackageArn)
	training := "training-job-run-1"
	checks := []struct {
		what      string
		got, want any
	}{
		{"execution", lin.ExecutionArn, execARN},
		{"training job", lin.TrainingJob.TrainingJobName, training},
		{"model", lin.TrainingJob.S3ModelArtifacts, "s3://your-ml-bucket/models/" + training + "/output/model.tar.gz"},
		{"training data", len(lin.Data), 1},
		{"code", len(lin.Code), 3},
	}
	if len(lin.Data) == 1 {
		ch := lin.Data[0]
		checks = append(checks, []struct {
			what      string
			got, want any
		}{
			{"channel", ch.ChannelName + " " + ch.S3Uri, "train s3://your-ml-bucket/processed-data/train/"},
			{"data producer", len(ch.ProducedBy), 1},
		}...)
		if len(ch.ProducedBy) == 1 {
			p := ch.ProducedBy[0]
			checks = append(checks, []struct {
				what      string
				got, want any
			}{
				{"preprocessing job", p.ProcessingJobName + " " + p.S3Uri, "run-1 s3://your-ml-bucket/processed-data/"},
				{"raw data", fmt.Sprint(p.Inputs), "[{raw_data s3://your-ml-bucket/raw-data/input.csv} {code s3://your-ml-bucket/code/preprocess.py}]"},
			}...)
		}
	}
	if len(lin.Evaluation) == 1 {
		checks = append(checks, struct {
			what      string
			got, want any
		}{"evaluation job", lin.Evaluation[0].ProcessingJobName, "evaluation-job-run-1"})
	} else {
		checks = append(checks, struct {
			what      string
			got, want any
		}{"evaluation", len(lin.Evaluation), 1})
	}
	if len(lin.Code) == 3 {
		checks = append(checks, []struct {
			what      string
			got, want any
		}{
			{"training code", lin.Code[0].Image, seed004XGBoost},
			{"preprocessing code", lin.Code[1].EntryPoint + " " + lin.Code[1].SubmitDirectory, "/opt/ml/processing/code/preprocess.py s3://your-ml-bucket/code/preprocess.py"},
			{"evaluation code", lin.Code[2].EntryPoint + " " + lin.Code[2].SubmitDirectory, "/opt/ml/processing/code/evaluate.py s3://your-ml-bucket/code/evaluate.py"},
		}...)
	}
	for _, c := range checks {
		if fmt.Sprint(c.got) != fmt.Sprint(c.want) {
			t.Errorf("lineage %s: %v, want %v", c.what, c.got, c.want)
		}
	}
	if t.Failed() {
		t.Logf("lineage: %+v", lin)
	}

	// The evaluation really scored the model.
	report := filepath.Join(t.TempDir(), "accuracy_report.json")
	aws.ok(nil, "s3", "cp", "s3://your-ml-bucket/eval-results/accuracy_report.json", report)
	var acc struct {
		Metrics struct {
			Accuracy struct{ Value float64 } `json:"accuracy"`
		} `json:"binary_classification_metrics"`
	}
	if b, err := os.ReadFile(report); err != nil || json.Unmarshal(b, &acc) != nil || acc.Metrics.Accuracy.Value < 0.8 {
		t.Fatalf("accuracy report: %v %+v", err, acc)
	}
}

type seed004Lineage struct {
	ExecutionArn string
	TrainingJob  struct{ TrainingJobName, S3ModelArtifacts string }
	Data         []struct {
		ChannelName, S3Uri string
		ProducedBy         []struct {
			ProcessingJobName, S3Uri string
			Inputs                   []struct{ InputName, S3Uri string }
		}
	}
	Evaluation []struct{ ProcessingJobName string }
	Code       []struct{ Image, EntryPoint, SubmitDirectory string }
}

// describeLineage calls DescribeModelPackage over plain HTTP and returns its Lineage.
func describeLineage(t *testing.T, url, arn string) seed004Lineage {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url+"/", strings.NewReader(`{"ModelPackageName":"`+arn+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "SageMaker.DescribeModelPackage")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var out struct{ Lineage *seed004Lineage }
	if res.StatusCode != http.StatusOK || json.Unmarshal(b, &out) != nil || out.Lineage == nil {
		t.Fatalf("DescribeModelPackage: %d %s", res.StatusCode, b)
	}
	return *out.Lineage
}
