package sagemaker

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/stepwise-dev/stepwise/api"
	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/integrations"
	"github.com/stepwise-dev/stepwise/jsonv"
)

// sdkRequest is a Task's request for arn:aws:states:::aws-sdk:sagemaker:<action>.
func sdkRequest(action, params string) *integrations.Request {
	return &integrations.Request{
		Resource: SDKIntegrationPrefix + action, Input: jsonv.MustDecode(params),
		ExecutionARN: "arn:aws:states:us-east-1:123456789012:execution:M:exec-1", StateMachine: "M", StateName: "T",
		IdempotencyKey: "key-" + action,
	}
}

var isoTime = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)

// The registry through a state machine as AWS offers it: aws-sdk:sagemaker tasks,
// parameters as the API request, results as the API reply with ISO 8601 times, errors
// as SageMaker.<Exception> that Catch can handle.
func TestSDKIntegrationStateMachine(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	def := `{"StartAt":"Group","States":{
	  "Group":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:sagemaker:createModelPackageGroup",
	    "Parameters":{"ModelPackageGroupName":"sdk-group"},"ResultPath":"$.group","Next":"Register"},
	  "Register":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:sagemaker:createModelPackage",
	    "Parameters":{"ModelPackageGroupName":"sdk-group",` + packageSpec + `},"ResultPath":"$.package","Next":"Approve"},
	  "Approve":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:sagemaker:updateModelPackage",
	    "Parameters":{"ModelPackageArn.$":"$.package.ModelPackageArn","ModelApprovalStatus":"Approved"},"ResultPath":null,"Next":"Describe"},
	  "Describe":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:sagemaker:describeModelPackage",
	    "Parameters":{"ModelPackageName.$":"$.package.ModelPackageArn"},"ResultPath":"$.described","Next":"List"},
	  "List":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:sagemaker:listModelPackages",
	    "Parameters":{"ModelPackageGroupName":"sdk-group","ModelApprovalStatus":"Approved","CreationTimeAfter":"2000-01-01T00:00:00Z"},"ResultPath":"$.approved","Next":"Missing"},
	  "Missing":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:sagemaker:describeModelPackageGroup",
	    "Parameters":{"ModelPackageGroupName":"nope"},
	    "Catch":[{"ErrorEquals":["SageMaker.SageMakerException"],"ResultPath":"$.error","Next":"Done"}],"End":true},
	  "Done":{"Type":"Succeed"}}}`
	res, _ := e.runMachine(t, def, `{}`)
	if res.Status != engine.StatusSucceeded {
		t.Fatalf("%s %s %s", res.Status, res.Error, res.Cause)
	}
	out := res.Output.(*jsonv.Object)
	get := func(path ...string) any {
		var v any = out
		for _, p := range path {
			o, ok := v.(*jsonv.Object)
			if !ok {
				t.Fatalf("%v: not an object in %s", path, jsonv.String(out))
			}
			v, _ = o.Get(p)
		}
		return v
	}
	if get("group", "ModelPackageGroupArn") != "arn:aws:sagemaker:us-east-1:123456789012:model-package-group/sdk-group" ||
		get("package", "ModelPackageArn") != "arn:aws:sagemaker:us-east-1:123456789012:model-package/sdk-group/1" {
		t.Fatalf("output %s", jsonv.String(out))
	}
	if ct, _ := get("described", "CreationTime").(string); !isoTime.MatchString(ct) {
		t.Fatalf("CreationTime %v is not ISO 8601", get("described", "CreationTime"))
	}
	if get("described", "ModelApprovalStatus") != "Approved" || get("described", "MetadataProperties", "GeneratedBy") != "arn:aws:states:us-east-1:123456789012:execution:M:exec-1" ||
		get("described", "Lineage", "ExecutionArn") != "arn:aws:states:us-east-1:123456789012:execution:M:exec-1" {
		t.Fatalf("described %s", jsonv.String(get("described")))
	}
	if l, _ := get("approved", "ModelPackageSummaryList").([]any); len(l) != 1 {
		t.Fatalf("approved %s", jsonv.String(get("approved")))
	}
	cause, _ := get("error", "Cause").(string)
	if get("error", "Error") != "SageMaker.SageMakerException" ||
		!regexp.MustCompile(`^ModelPackageGroup arn:aws:sagemaker:us-east-1:123456789012:model-package-group/nope does not exist\. \(Service: SageMaker, Status Code: 400, Request ID: [0-9a-f-]{36}\)$`).MatchString(cause) {
		t.Fatalf("error %s", jsonv.String(get("error")))
	}
}

func TestSDKIntegrationErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	h := e.svc.SDKIntegration()
	for _, c := range []struct {
		name, action, params string
		errName, cause       string
	}{
		{"unknown member", "createModelPackageGroup", `{"ModelPackageGroupName":"g","OutputConfig":{}}`, "States.Runtime", `The field "OutputConfig" is not supported by Step Functions`},
		{"wrong type", "createModelPackageGroup", `{"ModelPackageGroupName":5}`, "States.Runtime", `The value for the field 'ModelPackageGroupName' must be a STRING`},
		{"validation", "createModelPackageGroup", `{"ModelPackageGroupName":"-bad"}`, "SageMaker.SageMakerException", "1 validation error detected: Value '-bad' at 'modelPackageGroupName'"},
		{"missing group", "createModelPackage", `{"ModelPackageGroupName":"none",` + packageSpec + `}`, "SageMaker.SageMakerException", "Model Package Group does not exist"},
		{"unsupported action", "createAlgorithm", `{}`, "States.Runtime", "createAlgorithm"},
		{"sync", "createTrainingJob.sync", `{}`, "States.Runtime", "no .sync pattern"},
		{"PascalCase", "CreateModelPackageGroup", `{}`, "States.Runtime", "not supported"},
	} {
		t.Run(c.name, func(t *testing.T) {
			req := sdkRequest(c.action, c.params)
			_, req.Pattern = integrations.SplitResource(req.Resource)
			_, err := h.Invoke(t.Context(), req)
			var te *integrations.TaskError
			var pe *integrations.ParametersError
			switch {
			case errors.As(err, &pe):
				if c.errName != "States.Runtime" || !strings.Contains(pe.Reason, c.cause) {
					t.Fatalf("parameters error %q", pe.Reason)
				}
			case errors.As(err, &te):
				if te.Name != c.errName || !strings.Contains(te.Cause, c.cause) {
					t.Fatalf("error %s: %s", te.Name, te.Cause)
				}
			default:
				t.Fatalf("error %v", err)
			}
		})
	}
	// Conflict and not-found codes keep their own classes.
	for code, name := range map[string]string{"ConflictException": "SageMaker.ConflictException", "ResourceNotFound": "SageMaker.ResourceNotFoundException",
		"ResourceInUse": "SageMaker.ResourceInUseException", "ResourceLimitExceeded": "SageMaker.ResourceLimitExceededException", "ThrottlingException": "SageMaker.SageMakerException"} {
		var te *integrations.TaskError
		if err := sdkTaskError(errConflictCode(code)); !errors.As(err, &te) || te.Name != name {
			t.Errorf("%s: %v", code, err)
		}
	}
}

func errConflictCode(code string) error {
	switch code {
	case "ConflictException":
		return errConflict("c")
	case "ResourceNotFound":
		return errResourceNotFound("n")
	case "ResourceInUse":
		return errResourceInUse("u")
	}
	return api.Errorf(code, "x")
}

// The same task attempt dispatched again (after a server restart) gets the package it
// created, not a new version.
func TestSDKCreateModelPackageSameAttempt(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustCall(t, "CreateModelPackageGroup", `{"ModelPackageGroupName":"g"}`)
	h := e.svc.SDKIntegration()
	var arns []any
	for range 2 {
		out, err := h.Invoke(t.Context(), sdkRequest("createModelPackage", `{"ModelPackageGroupName":"g",`+packageSpec+`}`))
		if err != nil {
			t.Fatal(err)
		}
		a, _ := out.(*jsonv.Object).Get("ModelPackageArn")
		arns = append(arns, a)
	}
	if arns[0] != arns[1] || !strings.HasSuffix(arns[0].(string), "/g/1") {
		t.Fatalf("arns %v", arns)
	}
}

func TestSDKTimes(t *testing.T) {
	t.Parallel()
	in := jsonv.MustDecode(`{"CreationTimeAfter":"2025-01-01T00:00:01.5Z","Nested":[{"LastModifiedTime":"2025-01-01T00:00:00+01:00"}],"Name":"2025-01-01T00:00:00Z","EndTime":"not a time"}`)
	got := jsonv.String(requestTimes(in))
	if want := `{"CreationTimeAfter":1735689601.5,"Nested":[{"LastModifiedTime":1735686000}],"Name":"2025-01-01T00:00:00Z","EndTime":"not a time"}`; got != want {
		t.Fatalf("request times %s", got)
	}
	out := jsonv.String(replyTimes(jsonv.MustDecode(`{"CreationTime":1735689601.25,"L":[{"Timestamp":0}],"ModelPackageVersion":3}`)))
	if want := `{"CreationTime":"2025-01-01T00:00:01.250Z","L":[{"Timestamp":"1970-01-01T00:00:00.000Z"}],"ModelPackageVersion":3}`; out != want {
		t.Fatalf("reply times %s", out)
	}
}

// FuzzSDKParams: no task parameters make the aws-sdk handler panic.
func FuzzSDKParams(f *testing.F) {
	for _, s := range []string{`{}`, `{"ModelPackageGroupName":"g","InferenceSpecification":{"Containers":[{"Image":"i"}]}}`,
		`{"ModelPackageName":"p","CreationTimeAfter":"2025-01-01T00:00:00Z","ModelMetrics":{"Bias":{}}}`, `[]`, `null`, `{"Tags":[{}]}`} {
		f.Add("createModelPackage", s)
	}
	f.Add("listModelPackages", `{"MaxResults":-1,"NextToken":"x"}`)
	f.Add("updateModelPackage", `{"ModelPackageArn":"arn:aws:sagemaker:us-east-1:123456789012:model-package/g/1","CustomerMetadataProperties":{}}`)
	e := newEnv(f)
	h := e.svc.SDKIntegration()
	f.Fuzz(func(t *testing.T, action, params string) {
		v, err := jsonv.DecodeString(params)
		if err != nil {
			return
		}
		req := sdkRequest("describeModelPackage", `{}`)
		req.Resource, req.Input = SDKIntegrationPrefix+action, v
		_, _ = h.Invoke(t.Context(), req)
	})
}
