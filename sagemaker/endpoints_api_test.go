package sagemaker

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/stepwise-dev/stepwise/integrations"
	"github.com/stepwise-dev/stepwise/jsonv"
)

func wantEndpointError(t *testing.T, err error, code, msg string) {
	t.Helper()
	if err == nil || apiCode(err) != code || !strings.Contains(err.Error(), msg) {
		t.Fatalf("want %s %q, got %v", code, msg, err)
	}
}

// TestModelAPI: CreateModel, DescribeModel, ListModels and DeleteModel with SageMaker's
// checks and messages.
func TestModelAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	pc := &ContainerDefinition{Image: sklearnImage, ModelDataUrl: "s3://b/model.tar.gz", Environment: map[string]string{"SAGEMAKER_PROGRAM": "inference.py"}}
	out, err := e.svc.CreateModel(ctx, &CreateModelInput{ModelName: "Model-1", PrimaryContainer: pc, ExecutionRoleArn: role,
		Tags: []Tag{{Key: "team", Value: "ml"}}})
	if err != nil || out.ModelArn != "arn:aws:sagemaker:us-east-1:123456789012:model/model-1" {
		t.Fatalf("%+v %v", out, err)
	}
	_, err = e.svc.CreateModel(ctx, &CreateModelInput{ModelName: "Model-1", PrimaryContainer: pc})
	wantEndpointError(t, err, "ValidationException", `Cannot create already existing model "arn:aws:sagemaker:us-east-1:123456789012:model/model-1".`)
	for _, c := range []struct {
		in   CreateModelInput
		code string
		msg  string
	}{
		{CreateModelInput{ModelName: "bad_name", PrimaryContainer: pc}, "ValidationException", "Value 'bad_name' at 'modelName' failed to satisfy constraint"},
		{CreateModelInput{ModelName: "trailing-", PrimaryContainer: pc}, "ValidationException", "at 'modelName'"},
		{CreateModelInput{ModelName: strings.Repeat("a", 64), PrimaryContainer: pc}, "ValidationException", "length less than or equal to 63"},
		{CreateModelInput{ModelName: "m"}, "ValidationException", "Either PrimaryContainer or Containers must be specified."},
		{CreateModelInput{ModelName: "m", PrimaryContainer: &ContainerDefinition{}}, "ValidationException", "Image must be specified"},
		{CreateModelInput{ModelName: "m", PrimaryContainer: &ContainerDefinition{Image: "x", ModelDataUrl: "ftp://x"}}, "ValidationException", "primaryContainer.modelDataUrl"},
		{CreateModelInput{ModelName: "m", PrimaryContainer: &ContainerDefinition{ModelPackageName: "nope"}}, "ValidationException", "nope"},
	} {
		_, err := e.svc.CreateModel(ctx, &c.in)
		wantEndpointError(t, err, c.code, c.msg)
	}
	m, err := e.svc.DescribeModel(ctx, &DescribeModelInput{ModelName: "Model-1"})
	if err != nil || m.PrimaryContainer.Image != sklearnImage || m.ExecutionRoleArn != role || m.CreationTime.IsZero() {
		t.Fatalf("%+v %v", m, err)
	}
	_, err = e.svc.DescribeModel(ctx, &DescribeModelInput{ModelName: "missing"})
	wantEndpointError(t, err, "ValidationException", `Could not find model "arn:aws:sagemaker:us-east-1:123456789012:model/missing".`)

	for _, n := range []string{"b-model", "a-model"} {
		if _, err := e.svc.CreateModel(ctx, &CreateModelInput{ModelName: n, PrimaryContainer: pc}); err != nil {
			t.Fatal(err)
		}
	}
	list, err := e.svc.ListModels(ctx, &ListResourcesInput{SortBy: "Name", SortOrder: "Ascending", MaxResults: pointer(2)})
	if err != nil || len(list.Models) != 2 || list.Models[0].ModelName != "Model-1" || list.Models[1].ModelName != "a-model" || list.NextToken == "" {
		t.Fatalf("%+v %v", list, err)
	}
	list, err = e.svc.ListModels(ctx, &ListResourcesInput{SortBy: "Name", SortOrder: "Ascending", NextToken: list.NextToken})
	if err != nil || len(list.Models) != 1 || list.Models[0].ModelName != "b-model" || list.NextToken != "" {
		t.Fatalf("page 2: %+v %v", list, err)
	}
	_, err = e.svc.ListModels(ctx, &ListResourcesInput{SortBy: "Status"})
	wantEndpointError(t, err, "ValidationException", "sortBy")
	_, err = e.svc.ListModels(ctx, &ListResourcesInput{StatusEquals: "InService"})
	wantEndpointError(t, err, "ValidationException", "StatusEquals")

	if _, err := e.svc.DeleteModel(ctx, &DescribeModelInput{ModelName: "a-model"}); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.DeleteModel(ctx, &DescribeModelInput{ModelName: "a-model"})
	wantEndpointError(t, err, "ValidationException", `Could not find model "arn:aws:sagemaker:us-east-1:123456789012:model/a-model".`)
}

// TestEndpointConfigAndEndpointAPI: the checks of CreateEndpointConfig, CreateEndpoint,
// UpdateEndpoint and DeleteEndpoint that need no serving process.
func TestEndpointConfigAndEndpointAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	pc := &ContainerDefinition{Image: sklearnImage, ModelDataUrl: "s3://b/model.tar.gz"}
	if _, err := e.svc.CreateModel(ctx, &CreateModelInput{ModelName: "m", PrimaryContainer: pc}); err != nil {
		t.Fatal(err)
	}
	pv := func(name, model string) ProductionVariant {
		return ProductionVariant{VariantName: name, ModelName: model, InstanceType: "ml.m5.large", InitialInstanceCount: pointer(1)}
	}
	out, err := e.svc.CreateEndpointConfig(ctx, &CreateEndpointConfigInput{EndpointConfigName: "cfg", ProductionVariants: []ProductionVariant{pv("AllTraffic", "m")}})
	if err != nil || out.EndpointConfigArn != "arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/cfg" {
		t.Fatalf("%+v %v", out, err)
	}
	cfg, err := e.svc.DescribeEndpointConfig(ctx, &DescribeEndpointConfigInput{EndpointConfigName: "cfg"})
	if err != nil || *cfg.ProductionVariants[0].InitialVariantWeight != 1 {
		t.Fatalf("default weight: %+v %v", cfg, err)
	}
	many := make([]ProductionVariant, 11)
	for i := range many {
		many[i] = pv(sprintf("v%d", i), "m")
	}
	for _, c := range []struct {
		in  CreateEndpointConfigInput
		msg string
	}{
		{CreateEndpointConfigInput{EndpointConfigName: "cfg", ProductionVariants: []ProductionVariant{pv("A", "m")}},
			`Cannot create already existing endpoint configuration "arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/cfg".`},
		{CreateEndpointConfigInput{EndpointConfigName: "c2", ProductionVariants: []ProductionVariant{pv("A", "nope")}},
			`Could not find model "arn:aws:sagemaker:us-east-1:123456789012:model/nope".`},
		{CreateEndpointConfigInput{EndpointConfigName: "c2"}, "Value null at 'productionVariants'"},
		{CreateEndpointConfigInput{EndpointConfigName: "c2", ProductionVariants: []ProductionVariant{}}, "length greater than or equal to 1"},
		{CreateEndpointConfigInput{EndpointConfigName: "c2", ProductionVariants: many}, "length less than or equal to 10"},
		{CreateEndpointConfigInput{EndpointConfigName: "c2", ProductionVariants: []ProductionVariant{pv("A", "m"), pv("A", "m")}}, "not unique"},
		{CreateEndpointConfigInput{EndpointConfigName: "c2", ProductionVariants: []ProductionVariant{{VariantName: "A", ModelName: "m", InstanceType: "ml.m5.large", InitialInstanceCount: pointer(0)}}},
			"initialInstanceCount' failed to satisfy constraint: Member must have value greater than or equal to 1"},
		{CreateEndpointConfigInput{EndpointConfigName: "c2", ProductionVariants: []ProductionVariant{{VariantName: "A", ModelName: "m", InstanceType: "ml.m5.large", InitialInstanceCount: pointer(1), InitialVariantWeight: pointer(-1.0)}}},
			"initialVariantWeight"},
		{CreateEndpointConfigInput{EndpointConfigName: "c2", ProductionVariants: []ProductionVariant{{VariantName: "A", ModelName: "m"}}}, "InstanceType must be specified"},
	} {
		_, err := e.svc.CreateEndpointConfig(ctx, &c.in)
		wantEndpointError(t, err, "ValidationException", c.msg)
	}

	_, err = e.svc.CreateEndpoint(ctx, &CreateEndpointInput{EndpointName: "ep", EndpointConfigName: "nope"})
	wantEndpointError(t, err, "ValidationException", `Could not find endpoint configuration "arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/nope".`)
	_, err = e.svc.CreateEndpoint(ctx, &CreateEndpointInput{EndpointName: "bad_name", EndpointConfigName: "cfg"})
	wantEndpointError(t, err, "ValidationException", "at 'endpointName'")
	_, err = e.svc.DescribeEndpoint(ctx, &DescribeEndpointInput{EndpointName: "nope"})
	wantEndpointError(t, err, "ValidationException", `Could not find endpoint "arn:aws:sagemaker:us-east-1:123456789012:endpoint/nope".`)
	_, err = e.svc.UpdateEndpoint(ctx, &UpdateEndpointInput{EndpointName: "nope", EndpointConfigName: "cfg"})
	wantEndpointError(t, err, "ValidationException", `Could not find endpoint "arn:aws:sagemaker:us-east-1:123456789012:endpoint/nope".`)
	_, err = e.svc.DeleteEndpoint(ctx, &DescribeEndpointInput{EndpointName: "nope"})
	wantEndpointError(t, err, "ValidationException", `Could not find endpoint`)
	_, err = e.svc.ListEndpoints(ctx, &ListResourcesInput{StatusEquals: "Running"})
	wantEndpointError(t, err, "ValidationException", "statusEquals")

	// Configurations and models can be deleted; an endpoint keeps its copies.
	if _, err := e.svc.DeleteEndpointConfig(ctx, &DescribeEndpointConfigInput{EndpointConfigName: "cfg"}); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.DescribeEndpointConfig(ctx, &DescribeEndpointConfigInput{EndpointConfigName: "cfg"})
	wantEndpointError(t, err, "ValidationException", `Could not find endpoint configuration`)
}

// TestEndpointActions: the request-response Step Functions actions return the Create
// reply, report SageMaker's errors as SageMaker.AmazonSageMakerException, and give the
// same reply to the same task attempt dispatched again (after a server restart).
func TestEndpointActions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	call := func(action, params, key string) (any, error) {
		return e.svc.invoke(ctx, &integrations.Request{Resource: IntegrationPrefix + action, Pattern: integrations.RequestResponse,
			Input: jsonv.MustDecode(params), IdempotencyKey: key})
	}
	model := `{"ModelName":"sfn-model","ExecutionRoleArn":"` + role + `","PrimaryContainer":{"Image":"` + sklearnImage + `","ModelDataUrl":"s3://b/m.tar.gz"}}`
	out, err := call("createModel", model, "k1")
	if err != nil || jsonv.String(out) != `{"ModelArn":"arn:aws:sagemaker:us-east-1:123456789012:model/sfn-model"}` {
		t.Fatalf("%v %v", out, err)
	}
	if out, err = call("createModel", model, "k1"); err != nil {
		t.Fatalf("the same attempt again: %v %v", out, err)
	}
	_, err = call("createModel", model, "k2")
	var te *integrations.TaskError
	if !errors.As(err, &te) || te.Name != "SageMaker.AmazonSageMakerException" || !strings.Contains(te.Cause, "Cannot create already existing model") {
		t.Fatalf("duplicate: %v", err)
	}
	_, err = call("createModel", `{"ModelName":"x","Bogus":1}`, "k3")
	var pe *integrations.ParametersError
	if !errors.As(err, &pe) {
		t.Fatalf("unknown field: %v", err)
	}
	out, err = call("createEndpointConfig", `{"EndpointConfigName":"sfn-cfg","ProductionVariants":[{"VariantName":"AllTraffic","ModelName":"sfn-model","InstanceType":"ml.m5.large","InitialInstanceCount":1}]}`, "k4")
	if err != nil || jsonv.String(out) != `{"EndpointConfigArn":"arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/sfn-cfg"}` {
		t.Fatalf("%v %v", out, err)
	}
	_, err = call("createEndpoint", `{"EndpointName":"sfn-ep","EndpointConfigName":"missing"}`, "k5")
	if !errors.As(err, &te) || te.Name != "SageMaker.AmazonSageMakerException" || !strings.Contains(te.Cause, "Could not find endpoint configuration") {
		t.Fatalf("createEndpoint with a missing config: %v", err)
	}
	_, err = call("updateEndpoint", `{"EndpointName":"missing","EndpointConfigName":"sfn-cfg"}`, "k6")
	if !errors.As(err, &te) || !strings.Contains(te.Cause, "Could not find endpoint") {
		t.Fatalf("updateEndpoint of a missing endpoint: %v", err)
	}
}

// TestRuntimeRouting: SageMaker Runtime's paths and errors before any endpoint exists.
func TestRuntimeRouting(t *testing.T) {
	t.Parallel()
	r := newRT(t)
	inv := r.invoke(t, "nothing", "application/json", "{}")
	if inv.status != 400 || inv.errType != "ValidationError" || inv.message() != "Endpoint nothing of account 123456789012 not found." {
		t.Fatalf("%d %s %s", inv.status, inv.errType, inv.body)
	}
	resp, err := http.Get(r.url + "/endpoints/nothing/invocations")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Fatalf("GET: %d", resp.StatusCode)
	}
}

// FuzzInvokeEndpointRequest: no path, header or body makes the runtime panic, and
// every reply to a request for an unknown endpoint is an error in SageMaker Runtime's
// shape.
func FuzzInvokeEndpointRequest(f *testing.F) {
	f.Add("ep", "application/json", "", "", []byte(`{"instances":[[1]]}`))
	f.Add("a/b", "text/csv", "A", "x=1", []byte("1,2\n"))
	f.Add("", "", strings.Repeat("v", 70), strings.Repeat("c", 1100), []byte{0xff})
	e := newEnv(f)
	url := serve(f, e.svc)
	f.Fuzz(func(t *testing.T, name, contentType, variant, attrs string, body []byte) {
		req, err := http.NewRequest(http.MethodPost, url+"/endpoints/"+name+"/invocations", strings.NewReader(string(body)))
		if err != nil {
			return
		}
		for k, v := range map[string]string{"Content-Type": contentType, hdrTargetVariant: variant, hdrCustomAttributes: attrs} {
			if v != "" && !strings.ContainsAny(v, "\r\n\x00") {
				req.Header.Set(k, v)
			}
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return
		}
		resp.Body.Close()
		if resp.StatusCode == 200 || resp.Header.Get("x-amzn-ErrorType") == "" {
			t.Fatalf("%q: %d without an error type", name, resp.StatusCode)
		}
	})
}
