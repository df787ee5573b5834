package sagemaker

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/api"
	"github.com/stepwise-dev/stepwise/internal/clock"
	rlocal "github.com/stepwise-dev/stepwise/runner/local"
	"github.com/stepwise-dev/stepwise/store"
)

const xgbImage = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.5-1"

// call runs one API operation with a JSON body, as the wire does, and decodes the
// reply into a generic map.
func (e *env) call(t *testing.T, op, body string) (map[string]any, error) {
	t.Helper()
	h := e.svc.ops[op]
	if h == nil {
		t.Fatalf("no operation %s", op)
	}
	out, err := h(t.Context(), []byte(body))
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m, nil
}

func (e *env) mustCall(t *testing.T, op, body string) map[string]any {
	t.Helper()
	m, err := e.call(t, op, body)
	if err != nil {
		t.Fatalf("%s %s: %v", op, body, err)
	}
	return m
}

// wantAPIError checks an error's code and that its message contains each of parts.
func wantAPIError(t *testing.T, err error, code string, parts ...string) {
	t.Helper()
	var ae *api.Error
	if !errors.As(err, &ae) {
		t.Fatalf("error %v, want %s", err, code)
	}
	if ae.Code != code {
		t.Fatalf("code %s (%s), want %s", ae.Code, ae.Message, code)
	}
	for _, p := range parts {
		if !strings.Contains(ae.Message, p) {
			t.Fatalf("message %q lacks %q", ae.Message, p)
		}
	}
}

func withClock(c clock.Clock) envOption {
	return func(cfg *Config, _ *rlocal.Options) { cfg.Clock = c }
}

const packageSpec = `"InferenceSpecification":{"Containers":[{"Image":"` + xgbImage + `","ModelDataUrl":"s3://b/models/m.tar.gz"}],
  "SupportedContentTypes":["text/csv"],"SupportedResponseMIMETypes":["text/csv"]}`

func TestModelPackageGroups(t *testing.T) {
	t.Parallel()
	m := clock.NewManual(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	e := newEnv(t, withClock(m))
	out := e.mustCall(t, "CreateModelPackageGroup", `{"ModelPackageGroupName":"Fraud-Models","ModelPackageGroupDescription":"fraud"}`)
	arn := "arn:aws:sagemaker:us-east-1:123456789012:model-package-group/fraud-models"
	if out["ModelPackageGroupArn"] != arn {
		t.Fatalf("arn %v", out)
	}
	_, err := e.call(t, "CreateModelPackageGroup", `{"ModelPackageGroupName":"fraud-models"}`)
	wantAPIError(t, err, "ValidationException", "Model Package Group already exists", arn)

	for _, name := range []string{"Fraud-Models", arn} {
		d := e.mustCall(t, "DescribeModelPackageGroup", `{"ModelPackageGroupName":"`+name+`"}`)
		if d["ModelPackageGroupName"] != "Fraud-Models" || d["ModelPackageGroupStatus"] != "Completed" || d["CreationTime"] != float64(1735689600) || d["CreatedBy"] == nil {
			t.Fatalf("describe %s: %v", name, d)
		}
	}
	_, err = e.call(t, "DescribeModelPackageGroup", `{"ModelPackageGroupName":"nope"}`)
	wantAPIError(t, err, "ValidationException", "ModelPackageGroup arn:aws:sagemaker:us-east-1:123456789012:model-package-group/nope does not exist.")
	_, err = e.call(t, "DescribeModelPackageGroup", `{"ModelPackageGroupName":"bad-"}`)
	wantAPIError(t, err, "ValidationException", "1 validation error detected: Value 'bad-' at 'modelPackageGroupName' failed to satisfy constraint: Member must satisfy regular expression pattern")
	_, err = e.call(t, "CreateModelPackageGroup", `{}`)
	wantAPIError(t, err, "ValidationException", "Value null at 'modelPackageGroupName' failed to satisfy constraint: Member must not be null")

	for _, n := range []string{"a-group", "b-group", "c-other"} {
		m.Advance(time.Minute)
		e.mustCall(t, "CreateModelPackageGroup", `{"ModelPackageGroupName":"`+n+`"}`)
	}
	names := func(l map[string]any) []string {
		var out []string
		for _, s := range l["ModelPackageGroupSummaryList"].([]any) {
			out = append(out, s.(map[string]any)["ModelPackageGroupName"].(string))
		}
		return out
	}
	l := e.mustCall(t, "ListModelPackageGroups", `{}`)
	if got := names(l); !slices.Equal(got, []string{"c-other", "b-group", "a-group", "Fraud-Models"}) {
		t.Fatalf("default order %v", got)
	}
	l = e.mustCall(t, "ListModelPackageGroups", `{"NameContains":"GROUP","SortBy":"Name","SortOrder":"Ascending","MaxResults":1}`)
	if got := names(l); !slices.Equal(got, []string{"a-group"}) || l["NextToken"] == nil {
		t.Fatalf("page 1 %v", l)
	}
	l = e.mustCall(t, "ListModelPackageGroups", `{"NameContains":"GROUP","SortBy":"Name","SortOrder":"Ascending","MaxResults":1,"NextToken":"`+l["NextToken"].(string)+`"}`)
	if got := names(l); !slices.Equal(got, []string{"b-group"}) || l["NextToken"] != nil {
		t.Fatalf("page 2 %v", l)
	}
	l = e.mustCall(t, "ListModelPackageGroups", `{"CreationTimeAfter":1735689660,"CreationTimeBefore":1735689780}`)
	if got := names(l); !slices.Equal(got, []string{"b-group"}) {
		t.Fatalf("time window %v", got)
	}
	_, err = e.call(t, "ListModelPackageGroups", `{"SortBy":"Status","MaxResults":0}`)
	wantAPIError(t, err, "ValidationException", "2 validation errors detected", "'sortBy'", "'maxResults'")
	_, err = e.call(t, "ListModelPackageGroups", `{"NextToken":"%%%"}`)
	wantAPIError(t, err, "ValidationException", "Invalid pagination token")

	e.mustCall(t, "CreateModelPackage", `{"ModelPackageGroupName":"a-group",`+packageSpec+`}`)
	_, err = e.call(t, "DeleteModelPackageGroup", `{"ModelPackageGroupName":"a-group"}`)
	wantAPIError(t, err, "ConflictException", "model-package-group/a-group")
	e.mustCall(t, "DeleteModelPackage", `{"ModelPackageName":"a-group/1"}`)
	e.mustCall(t, "DeleteModelPackageGroup", `{"ModelPackageGroupName":"arn:aws:sagemaker:us-east-1:123456789012:model-package-group/a-group"}`)
	_, err = e.call(t, "DescribeModelPackageGroup", `{"ModelPackageGroupName":"a-group"}`)
	wantAPIError(t, err, "ValidationException", "does not exist")
	_, err = e.call(t, "DeleteModelPackageGroup", `{"ModelPackageGroupName":"a-group"}`)
	wantAPIError(t, err, "ValidationException", "does not exist")
}

func TestVersionedModelPackages(t *testing.T) {
	t.Parallel()
	m := clock.NewManual(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	e := newEnv(t, withClock(m))
	var mu sync.Mutex
	var changes []ModelPackageStateChange
	e.svc.OnModelPackageStateChange(func(_ context.Context, c ModelPackageStateChange) {
		mu.Lock()
		changes = append(changes, c)
		mu.Unlock()
	})
	e.mustCall(t, "CreateModelPackageGroup", `{"ModelPackageGroupName":"Churn"}`)
	for i := 1; i <= 3; i++ {
		m.Advance(time.Minute)
		out := e.mustCall(t, "CreateModelPackage", `{"ModelPackageGroupName":"Churn","ModelPackageDescription":"v",`+packageSpec+`,
		  "ModelMetrics":{"ModelQuality":{"Statistics":{"ContentType":"application/json","S3Uri":"s3://b/eval/evaluation.json"}}},
		  "CustomerMetadataProperties":{"team":"risk"}}`)
		if want := "arn:aws:sagemaker:us-east-1:123456789012:model-package/churn/" + string(rune('0'+i)); out["ModelPackageArn"] != want {
			t.Fatalf("version %d: %v", i, out)
		}
	}
	d := e.mustCall(t, "DescribeModelPackage", `{"ModelPackageName":"arn:aws:sagemaker:us-east-1:123456789012:model-package/churn/2"}`)
	if d["ModelPackageName"] != "Churn" || d["ModelPackageGroupName"] != "Churn" || d["ModelPackageVersion"] != float64(2) ||
		d["ModelApprovalStatus"] != "PendingManualApproval" || d["ModelPackageStatus"] != "Completed" ||
		d["ModelPackageStatusDetails"] == nil || d["CreationTime"] != float64(1735689720) || d["ModelMetrics"] == nil {
		t.Fatalf("describe %v", d)
	}
	if d2 := e.mustCall(t, "DescribeModelPackage", `{"ModelPackageName":"churn/2"}`); d2["ModelPackageArn"] != d["ModelPackageArn"] {
		t.Fatalf("by group/version %v", d2)
	}

	// A ClientToken seen before gives back the package it created.
	a := e.mustCall(t, "CreateModelPackage", `{"ModelPackageGroupName":"Churn","ClientToken":"tok-1",`+packageSpec+`}`)
	b := e.mustCall(t, "CreateModelPackage", `{"ModelPackageGroupName":"Churn","ClientToken":"tok-1",`+packageSpec+`}`)
	if a["ModelPackageArn"] != b["ModelPackageArn"] || !strings.HasSuffix(a["ModelPackageArn"].(string), "/churn/4") {
		t.Fatalf("idempotency %v %v", a, b)
	}

	// Bad input.
	_, err := e.call(t, "CreateModelPackage", `{"ModelPackageGroupName":"missing",`+packageSpec+`}`)
	wantAPIError(t, err, "ValidationException", "Model Package Group does not exist", "model-package-group/missing")
	_, err = e.call(t, "CreateModelPackage", `{"ModelPackageGroupName":"Churn","ModelPackageName":"x",`+packageSpec+`}`)
	wantAPIError(t, err, "ValidationException", "Both ModelPackageName and ModelPackageGroupName are provided in the input. Cannot determine which one to use.")
	_, err = e.call(t, "CreateModelPackage", packageSpecOnly())
	wantAPIError(t, err, "ValidationException", "Missing ARN.")
	_, err = e.call(t, "CreateModelPackage", `{"ModelPackageGroupName":"Churn","ModelApprovalStatus":"Maybe",`+packageSpec+`}`)
	wantAPIError(t, err, "ValidationException", "Value 'Maybe' at 'modelApprovalStatus' failed to satisfy constraint: Member must satisfy enum value set: [Approved, Rejected, PendingManualApproval]")
	_, err = e.call(t, "CreateModelPackage", `{"ModelPackageGroupName":"Churn","InferenceSpecification":{"Containers":[]}}`)
	wantAPIError(t, err, "ValidationException", "'inferenceSpecification.containers' failed to satisfy constraint: Member must have length greater than or equal to 1")
	_, err = e.call(t, "CreateModelPackage", `{"ModelPackageGroupName":"Churn","InferenceSpecification":{}}`)
	wantAPIError(t, err, "ValidationException", "Value null at 'inferenceSpecification.containers'")
	_, err = e.call(t, "CreateModelPackage", `{"ModelPackageGroupName":"Churn","InferenceSpecification":{"Containers":[`+strings.Repeat(`{"Image":"i"},`, 15)+`{"Image":"i"}]}}`)
	wantAPIError(t, err, "ValidationException", "Member must have length less than or equal to 15")
	_, err = e.call(t, "CreateModelPackage", `{"ModelPackageGroupName":"Churn","ModelMetrics":{"ModelQuality":{"Statistics":{"S3Uri":"s3://b/x"}}},`+packageSpec+`}`)
	wantAPIError(t, err, "ValidationException", "Value null at 'modelMetrics.modelQuality.statistics.contentType'")
	_, err = e.call(t, "CreateModelPackage", `{"ModelPackageGroupName":"Churn"}`)
	wantAPIError(t, err, "ValidationException", "Either InferenceSpecification or SourceAlgorithmSpecification")
	_, err = e.call(t, "CreateModelPackage", `{"ModelPackageGroupName":"Churn","InferenceSpecification":"x"}`)
	wantAPIError(t, err, "SerializationException")
	_, err = e.call(t, "DescribeModelPackage", `{"ModelPackageName":"churn/99"}`)
	wantAPIError(t, err, "ValidationException", "ModelPackage arn:aws:sagemaker:us-east-1:123456789012:model-package/churn/99 does not exist.")

	// Approval.
	arn2 := d["ModelPackageArn"].(string)
	e.mustCall(t, "UpdateModelPackage", `{"ModelPackageArn":"`+arn2+`","ModelApprovalStatus":"Approved","ApprovalDescription":"looks good",
	  "CustomerMetadataProperties":{"owner":"ana"},"CustomerMetadataPropertiesToRemove":["team"]}`)
	d = e.mustCall(t, "DescribeModelPackage", `{"ModelPackageName":"`+arn2+`"}`)
	if d["ModelApprovalStatus"] != "Approved" || d["ApprovalDescription"] != "looks good" || d["LastModifiedBy"] == nil ||
		d["LastModifiedTime"] != float64(m.Now().Unix()) || !jsonEqual(d["CustomerMetadataProperties"], map[string]any{"owner": "ana"}) {
		t.Fatalf("after approval %v", d)
	}
	_, err = e.call(t, "UpdateModelPackage", `{"ModelPackageArn":"`+arn2+`","ModelApprovalStatus":"Yes"}`)
	wantAPIError(t, err, "ValidationException", "Value 'Yes' at 'modelApprovalStatus' failed to satisfy constraint")
	_, err = e.call(t, "UpdateModelPackage", `{"ModelPackageArn":"arn:aws:sagemaker:us-east-1:123456789012:model-package/churn/77","ModelApprovalStatus":"Approved"}`)
	wantAPIError(t, err, "ValidationException", "model-package/churn/77 does not exist")
	_, err = e.call(t, "UpdateModelPackage", `{"ModelPackageArn":"churn/1","ModelApprovalStatus":"Approved"}`)
	wantAPIError(t, err, "ValidationException", "at 'modelPackageArn' failed to satisfy constraint")
	e.mustCall(t, "UpdateModelPackage", `{"ModelPackageArn":"`+strings.Replace(arn2, "/2", "/3", 1)+`","ModelApprovalStatus":"Rejected"}`)

	summaries := func(l map[string]any) []string {
		var out []string
		for _, s := range l["ModelPackageSummaryList"].([]any) {
			sm := s.(map[string]any)
			if _, ok := sm["ModelPackageName"]; ok {
				t.Fatalf("versioned summary with a name: %v", sm)
			}
			out = append(out, sm["ModelPackageArn"].(string)[strings.LastIndex(sm["ModelPackageArn"].(string), "/")+1:]+":"+sm["ModelApprovalStatus"].(string))
		}
		return out
	}
	l := e.mustCall(t, "ListModelPackages", `{"ModelPackageGroupName":"Churn"}`)
	if got := summaries(l); !slices.Equal(got, []string{"4:PendingManualApproval", "3:Rejected", "2:Approved", "1:PendingManualApproval"}) {
		t.Fatalf("list %v", got)
	}
	l = e.mustCall(t, "ListModelPackages", `{"ModelPackageGroupName":"Churn","ModelApprovalStatus":"Approved","SortBy":"CreationTime","SortOrder":"Descending","MaxResults":1}`)
	if got := summaries(l); !slices.Equal(got, []string{"2:Approved"}) || l["NextToken"] != nil {
		t.Fatalf("approved %v", l)
	}
	l = e.mustCall(t, "ListModelPackages", `{"ModelPackageGroupName":"churn","SortOrder":"Ascending","MaxResults":3}`)
	if got := summaries(l); !slices.Equal(got, []string{"1:PendingManualApproval", "2:Approved", "3:Rejected"}) || l["NextToken"] == nil {
		t.Fatalf("ascending %v", l)
	}
	if l := e.mustCall(t, "ListModelPackages", `{}`); len(l["ModelPackageSummaryList"].([]any)) != 0 {
		t.Fatalf("unversioned by default: %v", l)
	}
	if l := e.mustCall(t, "ListModelPackages", `{"ModelPackageType":"Versioned"}`); len(l["ModelPackageSummaryList"].([]any)) != 4 {
		t.Fatalf("versioned: %v", l)
	}
	if l := e.mustCall(t, "ListModelPackages", `{"ModelPackageGroupName":"nope"}`); len(l["ModelPackageSummaryList"].([]any)) != 0 {
		t.Fatalf("unknown group: %v", l)
	}
	_, err = e.call(t, "ListModelPackages", `{"ModelApprovalStatus":"approved"}`)
	wantAPIError(t, err, "ValidationException", "'modelApprovalStatus'")

	mu.Lock()
	defer mu.Unlock()
	var seen []string
	for _, c := range changes {
		seen = append(seen, c.Previous+">"+c.Package.ModelApprovalStatus)
	}
	if !slices.Equal(seen, []string{">PendingManualApproval", ">PendingManualApproval", ">PendingManualApproval", ">PendingManualApproval", "PendingManualApproval>Approved", "PendingManualApproval>Rejected"}) {
		t.Fatalf("state changes %v", seen)
	}
}

func packageSpecOnly() string { return `{` + packageSpec + `}` }

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func TestUnversionedModelPackage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	out := e.mustCall(t, "CreateModelPackage", `{"ModelPackageName":"My-Package",`+packageSpec+`}`)
	arn := "arn:aws:sagemaker:us-east-1:123456789012:model-package/my-package"
	if out["ModelPackageArn"] != arn {
		t.Fatalf("arn %v", out)
	}
	d := e.mustCall(t, "DescribeModelPackage", `{"ModelPackageName":"my-package"}`)
	if d["ModelPackageName"] != "My-Package" || d["ModelApprovalStatus"] != nil || d["ModelPackageVersion"] != nil {
		t.Fatalf("describe %v", d)
	}
	_, err := e.call(t, "CreateModelPackage", `{"ModelPackageName":"my-package",`+packageSpec+`}`)
	wantAPIError(t, err, "ValidationException", "already exists", arn)
	_, err = e.call(t, "CreateModelPackage", `{"ModelPackageName":"other","ModelApprovalStatus":"Approved",`+packageSpec+`}`)
	wantAPIError(t, err, "ValidationException", "versioned")
	_, err = e.call(t, "UpdateModelPackage", `{"ModelPackageArn":"`+arn+`","ModelApprovalStatus":"Approved"}`)
	wantAPIError(t, err, "ValidationException", "versioned")
	l := e.mustCall(t, "ListModelPackages", `{"NameContains":"my"}`)
	if s := l["ModelPackageSummaryList"].([]any); len(s) != 1 || s[0].(map[string]any)["ModelPackageName"] != "My-Package" {
		t.Fatalf("list %v", l)
	}

	image, url, env, err := e.svc.modelPackageContainer(t.Context(), "My-Package")
	if err != nil || image != xgbImage || url != "s3://b/models/m.tar.gz" || env != nil {
		t.Fatalf("container %q %q %v %v", image, url, env, err)
	}
	_, _, _, err = e.svc.modelPackageContainer(t.Context(), "arn:aws:sagemaker:us-east-1:123456789012:model-package/nope/1")
	wantAPIError(t, err, "ValidationException", "does not exist")

	e.mustCall(t, "DeleteModelPackage", `{"ModelPackageName":"`+arn+`"}`)
	_, err = e.call(t, "DeleteModelPackage", `{"ModelPackageName":"`+arn+`"}`)
	wantAPIError(t, err, "ValidationException", "does not exist")
}

// putJob stores a job record as the job machinery leaves a finished job.
func putJob[T any](t *testing.T, e *env, kind, name string, job T, created time.Time) {
	t.Helper()
	doc, err := json.Marshal(&record[T]{Job: job})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.ResourceCreate(t.Context(), &store.ResourceCreateParams{Kind: kind, Name: name, ARN: e.svc.arn(kind, name),
		Status: resourceStatus(&job), Doc: doc, CreatedAt: created}); err != nil {
		t.Fatal(err)
	}
}

func TestLineage(t *testing.T) {
	t.Parallel()
	m := clock.NewManual(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	e := newEnv(t, withClock(m))
	at := func(min int) api.Timestamp { return api.NewTimestamp(m.Now().Add(time.Duration(min) * time.Minute)) }
	proc := func(name, out string, min int, code bool) ProcessingJob {
		j := ProcessingJob{ProcessingJobName: name, ProcessingJobArn: e.svc.arn(kindProcessing, name), ProcessingJobStatus: statusCompleted,
			CreationTime: at(min), AppSpecification: &AppSpecification{ImageUri: sklearnImage, ContainerEntrypoint: []string{"python3", "/opt/ml/processing/input/code/" + name + ".py"}},
			ProcessingInputs:       []ProcessingInput{{InputName: "raw", S3Input: &ProcessingS3Input{S3Uri: "s3://b/raw/input.csv", LocalPath: "/opt/ml/processing/input/raw", S3DataType: "S3Prefix"}}},
			ProcessingOutputConfig: &ProcessingOutputConfig{Outputs: []ProcessingOutput{{OutputName: "out", S3Output: &ProcessingS3Output{S3Uri: out, LocalPath: "/opt/ml/processing/output"}}}}}
		if code {
			j.ProcessingInputs = append(j.ProcessingInputs, ProcessingInput{InputName: "code", S3Input: &ProcessingS3Input{S3Uri: "s3://b/code/" + name + ".py", LocalPath: "/opt/ml/processing/input/code", S3DataType: "S3Prefix"}})
		}
		return j
	}
	train := func(name string, min int, status string) TrainingJob {
		return TrainingJob{TrainingJobName: name, TrainingJobArn: e.svc.arn(kindTraining, name), TrainingJobStatus: status, CreationTime: at(min),
			ModelArtifacts:         ModelArtifacts{S3ModelArtifacts: "s3://b/models/" + name + "/output/model.tar.gz"},
			AlgorithmSpecification: &AlgorithmSpecification{TrainingImage: xgbImage, TrainingInputMode: "File"},
			HyperParameters:        map[string]string{"num_round": "10", "sagemaker_program": `"train.py"`, "sagemaker_submit_directory": `"s3://b/code/train.tar.gz"`},
			InputDataConfig: []Channel{{ChannelName: "train", DataSource: DataSource{S3DataSource: &S3DataSource{S3DataType: "S3Prefix", S3Uri: "s3://b/processed/train/"}}},
				{ChannelName: "validation", DataSource: DataSource{S3DataSource: &S3DataSource{S3DataType: "S3Prefix", S3Uri: "s3://elsewhere/validation/"}}}}}
	}
	putJob(t, e, kindProcessing, "prep-old", proc("prep-old", "s3://b/processed/", 1, false), m.Now())
	putJob(t, e, kindProcessing, "prep", proc("prep", "s3://b/processed/", 2, true), m.Now())
	putJob(t, e, kindTraining, "train-old", train("train-old", 3, statusCompleted), m.Now())
	putJob(t, e, kindTraining, "train", train("train", 4, statusCompleted), m.Now())
	putJob(t, e, kindTraining, "train-failed", train("train-failed", 5, statusFailed), m.Now())
	putJob(t, e, kindProcessing, "evaluate", proc("evaluate", "s3://b/eval", 6, true), m.Now())
	putJob(t, e, kindTraining, "train-later", train("train-later", 20, statusCompleted), m.Now())
	m.Advance(10 * time.Minute)

	e.mustCall(t, "CreateModelPackageGroup", `{"ModelPackageGroupName":"g"}`)
	req := sdkRequest("createModelPackage", `{"ModelPackageGroupName":"g",
	  "InferenceSpecification":{"Containers":[{"Image":"`+xgbImage+`","ModelDataUrl":"s3://b/models/"}]},
	  "ModelMetrics":{"ModelQuality":{"Statistics":{"ContentType":"application/json","S3Uri":"s3://b/eval/evaluation.json"}}}}`)
	if _, err := e.svc.SDKIntegration().Invoke(t.Context(), req); err != nil {
		t.Fatal(err)
	}
	p, err := e.svc.DescribeModelPackage(t.Context(), &DescribeModelPackageInput{ModelPackageName: "g/1"})
	if err != nil {
		t.Fatal(err)
	}
	if p.MetadataProperties == nil || p.MetadataProperties.GeneratedBy != req.ExecutionARN {
		t.Fatalf("GeneratedBy %+v", p.MetadataProperties)
	}
	want := `{"ExecutionArn":"arn:aws:states:us-east-1:123456789012:execution:M:exec-1",` +
		`"TrainingJob":{"TrainingJobName":"train","TrainingJobArn":"arn:aws:sagemaker:us-east-1:123456789012:training-job/train","TrainingImage":"` + xgbImage + `",` +
		`"S3ModelArtifacts":"s3://b/models/train/output/model.tar.gz","HyperParameters":{"num_round":"10","sagemaker_program":"\"train.py\"","sagemaker_submit_directory":"\"s3://b/code/train.tar.gz\""},"ModelDataUrl":"s3://b/models/"},` +
		`"Data":[{"ChannelName":"train","S3Uri":"s3://b/processed/train/","ProducedBy":[{"ProcessingJobName":"prep","ProcessingJobArn":"arn:aws:sagemaker:us-east-1:123456789012:processing-job/prep","OutputName":"out","S3Uri":"s3://b/processed/",` +
		`"Inputs":[{"InputName":"raw","S3Uri":"s3://b/raw/input.csv"},{"InputName":"code","S3Uri":"s3://b/code/prep.py"}]}]},` +
		`{"ChannelName":"validation","S3Uri":"s3://elsewhere/validation/"}],` +
		`"Evaluation":[{"ProcessingJobName":"evaluate","ProcessingJobArn":"arn:aws:sagemaker:us-east-1:123456789012:processing-job/evaluate","OutputName":"out","S3Uri":"s3://b/eval",` +
		`"Inputs":[{"InputName":"raw","S3Uri":"s3://b/raw/input.csv"},{"InputName":"code","S3Uri":"s3://b/code/evaluate.py"}],"For":"modelMetrics.modelQuality.statistics"}],` +
		`"Code":[{"JobArn":"arn:aws:sagemaker:us-east-1:123456789012:training-job/train","Image":"` + xgbImage + `","SubmitDirectory":"s3://b/code/train.tar.gz","EntryPoint":"train.py"},` +
		`{"JobArn":"arn:aws:sagemaker:us-east-1:123456789012:processing-job/prep","Image":"` + sklearnImage + `","SubmitDirectory":"s3://b/code/prep.py","EntryPoint":"/opt/ml/processing/input/code/prep.py","Command":["python3","/opt/ml/processing/input/code/prep.py"]},` +
		`{"JobArn":"arn:aws:sagemaker:us-east-1:123456789012:processing-job/evaluate","Image":"` + sklearnImage + `","SubmitDirectory":"s3://b/code/evaluate.py","EntryPoint":"/opt/ml/processing/input/code/evaluate.py","Command":["python3","/opt/ml/processing/input/code/evaluate.py"]}]}`
	got, _ := json.Marshal(p.Lineage)
	if string(got) != want {
		t.Fatalf("lineage\n got %s\nwant %s", got, want)
	}

	// A package the API registers with an exact artifact has no execution, and keeps
	// the GeneratedBy its caller gave.
	out := e.mustCall(t, "CreateModelPackage", `{"ModelPackageGroupName":"g","MetadataProperties":{"GeneratedBy":"me"},
	  "InferenceSpecification":{"Containers":[{"Image":"i","ModelDataUrl":"s3://b/models/train-old/output/model.tar.gz"}]}}`)
	d := e.mustCall(t, "DescribeModelPackage", `{"ModelPackageName":"`+out["ModelPackageArn"].(string)+`"}`)
	lin := d["Lineage"].(map[string]any)
	if lin["ExecutionArn"] != nil || lin["TrainingJob"].(map[string]any)["TrainingJobName"] != "train-old" || d["MetadataProperties"].(map[string]any)["GeneratedBy"] != "me" {
		t.Fatalf("API package %v", d)
	}
	// No job behind the model: no lineage.
	out = e.mustCall(t, "CreateModelPackage", `{"ModelPackageGroupName":"g","InferenceSpecification":{"Containers":[{"Image":"i","ModelDataUrl":"s3://other/model.tar.gz"}]}}`)
	if d := e.mustCall(t, "DescribeModelPackage", `{"ModelPackageName":"`+out["ModelPackageArn"].(string)+`"}`); d["Lineage"] != nil {
		t.Fatalf("lineage of an unknown model %v", d["Lineage"])
	}
}

func TestUnder(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		child, parent string
		want          bool
	}{
		{"s3://b/models/j/output/model.tar.gz", "s3://b/models/", true},
		{"s3://b/models/j/output/model.tar.gz", "s3://b/models", true},
		{"s3://b/models/j/output/model.tar.gz", "s3://b/models/j/output/model.tar.gz", true},
		{"s3://b/models2/x", "s3://b/models", false},
		{"s3://b/processed", "s3://b/processed/", true},
		{"s3://b/", "s3://b/processed/", false},
	} {
		if got := under(c.child, c.parent); got != c.want {
			t.Errorf("under(%q, %q) = %v", c.child, c.parent, got)
		}
	}
}
