package sagemaker

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/api"
	"github.com/stepwise-dev/stepwise/sagemaker/container"
)

// trainScript fits a small RandomForestRegressor (the seed's model type) on y = x0+x1+x2
// and saves it as the seed's training.py does (joblib, model.pkl).
const trainScript = `
import sys, joblib, numpy as np
from sklearn.ensemble import RandomForestRegressor
X = np.arange(90, dtype=float).reshape(30, 3)
m = RandomForestRegressor(n_estimators=5, random_state=0).fit(X, X.sum(axis=1))
joblib.dump(m, sys.argv[1])
`

// Inference scripts of the test models besides the seed's own inference.py.
const (
	// v2 answers as the seed's does, tagged as the second version.
	inferenceV2 = `import json, os, joblib, numpy as np
def model_fn(model_dir):
    return joblib.load(os.path.join(model_dir, "model.pkl"))
def input_fn(body, content_type):
    return np.array(json.loads(body)["instances"])
def predict_fn(data, model):
    return model.predict(data)
def output_fn(pred, accept):
    return json.dumps({"predictions": pred.tolist(), "version": "v2"})
`
	// broken cannot load its model.
	inferenceBroken = `def model_fn(model_dir):
    raise RuntimeError("cannot load the model: weights.bin is missing")
`
	// crashy kills its process for the instance [999, 999, 999] and fails with a 500
	// for [500, 500, 500].
	inferenceCrashy = `import json, os, joblib, numpy as np
def model_fn(model_dir):
    return joblib.load(os.path.join(model_dir, "model.pkl"))
def input_fn(body, content_type):
    return np.array(json.loads(body)["instances"])
def predict_fn(data, model):
    if data[0][0] == 999:
        os._exit(3)
    if data[0][0] == 500:
        raise ValueError("the model cannot score 500")
    return model.predict(data)
def output_fn(pred, accept):
    return json.dumps({"predictions": pred.tolist()})
`
)

var (
	modelPklOnce sync.Once
	modelPkl     []byte
	modelPklErr  error
)

// trainedModel is model.pkl of the test model, trained once per test binary.
func trainedModel(t testing.TB) []byte {
	t.Helper()
	needPython(t, "sklearn", "joblib", "numpy", "pandas")
	modelPklOnce.Do(func() {
		dir, err := os.MkdirTemp("", "stepwise-model")
		if err != nil {
			modelPklErr = err
			return
		}
		defer os.RemoveAll(dir)
		out := filepath.Join(dir, "model.pkl")
		if b, err := exec.Command("/usr/bin/python3", "-c", trainScript, out).CombinedOutput(); err != nil {
			modelPklErr = err
			modelPkl = b
			return
		}
		modelPkl, modelPklErr = os.ReadFile(out)
	})
	if modelPklErr != nil {
		t.Fatalf("training the test model: %v %s", modelPklErr, modelPkl)
	}
	return modelPkl
}

// modelTarGz packs model.pkl and code/inference.py as the SDK repacks a model.
func modelTarGz(t testing.TB, inference string) []byte {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "code"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "model.pkl"), trainedModel(t), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "code", "inference.py"), []byte(inference), 0o644); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := container.TarGz(dir, &buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func seedInference(t testing.TB) string {
	b, err := os.ReadFile(filepath.Join("testdata", "inference.py"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// rt is a SageMaker service behind a real dispatcher, for the API and the runtime.
type rt struct {
	*env
	url string
}

func newRT(t testing.TB, opts ...envOption) *rt {
	t.Helper()
	e := newEnv(t, opts...)
	return &rt{env: e, url: serve(t, e.svc)}
}

func serve(t testing.TB, svc *Service) string {
	t.Helper()
	d := api.NewDispatcher(api.Options{})
	if err := svc.Register(d); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(d)
	t.Cleanup(srv.Close)
	return srv.URL
}

// createModel stores model.tar.gz with the inference script under s3://models/<name>
// and creates the model.
func (r *rt) createModel(t testing.TB, name, inference string) {
	t.Helper()
	uri := "s3://models/" + name + "/model.tar.gz"
	r.put(t, uri, modelTarGz(t, inference))
	_, err := r.svc.CreateModel(t.Context(), &CreateModelInput{
		ModelName: name, ExecutionRoleArn: role,
		PrimaryContainer: &ContainerDefinition{Image: sklearnImage, ModelDataUrl: uri, Environment: map[string]string{
			"SAGEMAKER_PROGRAM": "inference.py", "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code",
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
}

type variant struct {
	name, model string
	weight      float64
	count       int
}

func (r *rt) createConfig(t testing.TB, name string, vs ...variant) {
	t.Helper()
	in := &CreateEndpointConfigInput{EndpointConfigName: name}
	for _, v := range vs {
		pv := ProductionVariant{VariantName: v.name, ModelName: v.model, InstanceType: "ml.m5.large", InitialInstanceCount: pointer(max(v.count, 1))}
		if v.weight != 0 {
			pv.InitialVariantWeight = pointer(v.weight)
		}
		in.ProductionVariants = append(in.ProductionVariants, pv)
	}
	if _, err := r.svc.CreateEndpointConfig(t.Context(), in); err != nil {
		t.Fatal(err)
	}
}

// waitEndpoint waits until the endpoint's status satisfies ok (Creating and Updating
// take the time the serving processes need to start).
func (r *rt) waitEndpoint(t testing.TB, name string, ok func(*Endpoint) bool) *Endpoint {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	for {
		ch := r.svc.changed(jobKey(kindEndpoint, name))
		ep, err := r.svc.DescribeEndpoint(ctx, &DescribeEndpointInput{EndpointName: name})
		if err != nil {
			t.Fatalf("describe %s: %v", name, err)
		}
		if ok(ep) {
			return ep
		}
		select {
		case <-ch:
		case <-ctx.Done():
			t.Fatalf("endpoint %s: still %s: %s", name, ep.EndpointStatus, ep.FailureReason)
		}
	}
}

func settled(ep *Endpoint) bool {
	return ep.EndpointStatus != endpointCreating && ep.EndpointStatus != endpointUpdating
}

func (r *rt) createEndpoint(t testing.TB, name, config string) *Endpoint {
	t.Helper()
	if _, err := r.svc.CreateEndpoint(t.Context(), &CreateEndpointInput{EndpointName: name, EndpointConfigName: config}); err != nil {
		t.Fatal(err)
	}
	return r.waitEndpoint(t, name, settled)
}

// invocation is an InvokeEndpoint reply as the client sees it.
type invocation struct {
	status  int
	body    string
	header  http.Header
	errType string
	err     map[string]any
}

func (r *rt) invoke(t testing.TB, endpoint, contentType, body string, headers ...string) invocation {
	t.Helper()
	return invokeURL(t, http.DefaultClient, r.url, endpoint, contentType, body, headers...)
}

func invokeURL(t testing.TB, c *http.Client, base, endpoint, contentType, body string, headers ...string) invocation {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/endpoints/"+endpoint+"/invocations", strings.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("invoke %s: %v", endpoint, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	inv := invocation{status: resp.StatusCode, body: string(b), header: resp.Header, errType: resp.Header.Get("x-amzn-ErrorType")}
	if resp.StatusCode != http.StatusOK {
		_ = json.Unmarshal(b, &inv.err)
	}
	return inv
}

func (inv invocation) message() string {
	if m, ok := inv.err["message"].(string); ok {
		return m
	}
	return ""
}

// TestEndpointServesSeedInference: the seed's inference.py behind an endpoint answers
// JSON and CSV through InvokeEndpoint, with SageMaker's headers and statuses; the
// endpoint is described and listed as SageMaker does, serves again after a server
// restart, and stops serving when deleted.
func TestEndpointServesSeedInference(t *testing.T) {
	t.Parallel()
	r := newRT(t)
	r.createModel(t, "housing-model", seedInference(t))
	r.createConfig(t, "housing-config", variant{name: "AllTraffic", model: "housing-model"})
	ep := r.createEndpoint(t, "housing", "housing-config")
	if ep.EndpointStatus != endpointInService {
		t.Fatalf("status %s: %s", ep.EndpointStatus, ep.FailureReason)
	}
	pv := ep.ProductionVariants
	if len(pv) != 1 || pv[0].VariantName != "AllTraffic" || *pv[0].CurrentInstanceCount != 1 || *pv[0].CurrentWeight != 1 ||
		len(pv[0].DeployedImages) != 1 || pv[0].DeployedImages[0].SpecifiedImage != sklearnImage || ep.EndpointConfigName != "housing-config" {
		b, _ := json.Marshal(ep)
		t.Fatalf("described: %s", b)
	}

	inv := r.invoke(t, "housing", "application/json", `{"instances": [[1, 2, 3], [30, 31, 32]]}`,
		"Accept", "application/json", hdrCustomAttributes, "trace=1")
	// The seed's output_fn returns a str, which the scikit-learn image's Flask sends as
	// text/html; the runtime passes the container's Content-Type on.
	if inv.status != 200 || inv.header.Get("x-Amzn-Invoked-Production-Variant") != "AllTraffic" ||
		inv.header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("json invocation: %d %v %s", inv.status, inv.header, inv.body)
	}
	var out struct {
		Predictions []float64 `json:"predictions"`
		ModelType   string    `json:"model_type"`
	}
	mustJSON(t, inv.body, &out)
	if len(out.Predictions) != 2 || out.ModelType != "RandomForestRegressor" || out.Predictions[0] >= out.Predictions[1] {
		t.Fatalf("json predictions: %s", inv.body)
	}
	// The seed's input_fn reads CSV with pandas (a header line), output_fn answers
	// str(list) for other Accept types.
	inv = r.invoke(t, "housing", "text/csv", "a,b,c\n1,2,3\n4,5,6\n", "Accept", "text/csv")
	if inv.status != 200 || !strings.HasPrefix(inv.body, "[") || strings.Count(inv.body, ",") != 1 {
		t.Fatalf("csv invocation: %d %s", inv.status, inv.body)
	}

	list, err := r.svc.ListEndpoints(t.Context(), &ListResourcesInput{StatusEquals: endpointInService})
	if err != nil || len(list.Endpoints) != 1 || list.Endpoints[0].EndpointName != "housing" {
		t.Fatalf("list: %+v %v", list, err)
	}

	// A restarted server serves the endpoint again.
	if err := r.svc.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	r.start(t)
	r.url = serve(t, r.svc)
	r.waitEndpoint(t, "housing", func(*Endpoint) bool { return r.svc.fleets().lookup("housing").route.Load() != nil })
	if inv := r.invoke(t, "housing", "application/json", `{"instances": [[1, 2, 3]]}`); inv.status != 200 {
		t.Fatalf("after restart: %d %s", inv.status, inv.body)
	}

	if _, err := r.svc.DeleteEndpoint(t.Context(), &DescribeEndpointInput{EndpointName: "housing"}); err != nil {
		t.Fatal(err)
	}
	inv = r.invoke(t, "housing", "application/json", `{"instances": [[1, 2, 3]]}`)
	if inv.status != 400 && inv.status != 429 {
		t.Fatalf("deleted endpoint answered: %d %s", inv.status, inv.body)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	for {
		ch := r.svc.changed(jobKey(kindEndpoint, "housing"))
		if _, err := r.svc.DescribeEndpoint(ctx, &DescribeEndpointInput{EndpointName: "housing"}); err != nil {
			if !strings.Contains(err.Error(), `Could not find endpoint "arn:aws:sagemaker:us-east-1:123456789012:endpoint/housing"`) {
				t.Fatal(err)
			}
			break
		}
		select {
		case <-ch:
		case <-ctx.Done():
			t.Fatal("the endpoint was never deleted")
		}
	}
	if inv := r.invoke(t, "housing", "application/json", `{}`); inv.status != 400 || inv.errType != "ValidationError" ||
		inv.message() != "Endpoint housing of account 123456789012 not found." {
		t.Fatalf("after delete: %d %s %s", inv.status, inv.errType, inv.body)
	}
}

// TestEndpointWeightedRouting: two variants weighted 3:1 get 3/4 and 1/4 of the
// requests, TargetVariant overrides the weights, an unknown variant is a
// ValidationError, and UpdateEndpointWeightsAndCapacities moves traffic at once.
func TestEndpointWeightedRouting(t *testing.T) {
	t.Parallel()
	r := newRT(t)
	r.createModel(t, "m", seedInference(t))
	r.createConfig(t, "ab", variant{name: "A", model: "m", weight: 3}, variant{name: "B", model: "m", weight: 1})
	if ep := r.createEndpoint(t, "ab", "ab"); ep.EndpointStatus != endpointInService {
		t.Fatalf("%s: %s", ep.EndpointStatus, ep.FailureReason)
	}
	count := func(n int, headers ...string) map[string]int {
		got := map[string]int{}
		for range n {
			inv := r.invoke(t, "ab", "application/json", `{"instances": [[1, 2, 3]]}`, headers...)
			if inv.status != 200 {
				t.Fatalf("invoke: %d %s", inv.status, inv.body)
			}
			got[inv.header.Get(hdrInvokedVariant)]++
		}
		return got
	}
	got := count(200)
	if a, b := got["A"], got["B"]; a+b != 200 || a < 140 || a > 160 {
		t.Fatalf("3:1 weights routed %v", got)
	}
	if got := count(20, hdrTargetVariant, "B"); got["B"] != 20 {
		t.Fatalf("TargetVariant B routed %v", got)
	}
	inv := r.invoke(t, "ab", "application/json", `{"instances": [[1, 2, 3]]}`, hdrTargetVariant, "C")
	if inv.status != 400 || inv.errType != "ValidationError" || !strings.Contains(inv.message(), "Variant C not found") {
		t.Fatalf("unknown variant: %d %s %s", inv.status, inv.errType, inv.body)
	}

	if _, err := r.svc.UpdateEndpointWeightsAndCapacities(t.Context(), &UpdateEndpointWeightsAndCapacitiesInput{
		EndpointName: "ab", DesiredWeightsAndCapacities: []DesiredWeightAndCapacity{{VariantName: "A", DesiredWeight: pointer(0.0)}},
	}); err != nil {
		t.Fatal(err)
	}
	ep := r.waitEndpoint(t, "ab", settled)
	if *ep.ProductionVariants[0].CurrentWeight != 0 || *ep.ProductionVariants[1].CurrentWeight != 1 {
		t.Fatalf("weights after update: %+v", ep.ProductionVariants)
	}
	if got := count(20); got["B"] != 20 {
		t.Fatalf("weight 0 for A routed %v", got)
	}
	if got := count(5, hdrTargetVariant, "A"); got["A"] != 5 {
		t.Fatalf("a variant of weight 0 still takes targeted requests: %v", got)
	}
}

// TestEndpointBlueGreenUpdate: UpdateEndpoint to another model while requests keep
// coming: no request fails, the new model answers afterwards, and the old process is
// stopped.
func TestEndpointBlueGreenUpdate(t *testing.T) {
	t.Parallel()
	r := newRT(t)
	r.createModel(t, "v1", seedInference(t))
	r.createModel(t, "v2", inferenceV2)
	r.createConfig(t, "c1", variant{name: "AllTraffic", model: "v1"})
	r.createConfig(t, "c2", variant{name: "AllTraffic", model: "v2"})
	r.createEndpoint(t, "bg", "c1")
	oldDir := filepath.Join(r.svc.jobDir(kindEndpoint, "bg"), "g1-AllTraffic-1", "opt")

	var (
		stop           atomic.Bool
		sent, failures atomic.Int64
		v2Once         sync.Once
		sawV2          = make(chan struct{})
		firstFailure   atomic.Value
		wg             sync.WaitGroup
	)
	client := &http.Client{}
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				inv := invokeURL(t, client, r.url, "bg", "application/json", `{"instances": [[1, 2, 3]]}`)
				sent.Add(1)
				if inv.status != 200 {
					failures.Add(1)
					firstFailure.CompareAndSwap(nil, inv.body)
					continue
				}
				if strings.Contains(inv.body, `"v2"`) {
					v2Once.Do(func() { close(sawV2) })
				}
			}
		}()
	}
	if _, err := r.svc.UpdateEndpoint(t.Context(), &UpdateEndpointInput{EndpointName: "bg", EndpointConfigName: "c2"}); err != nil {
		t.Fatal(err)
	}
	if ep, _ := r.svc.DescribeEndpoint(t.Context(), &DescribeEndpointInput{EndpointName: "bg"}); ep.EndpointStatus != endpointUpdating ||
		ep.PendingDeploymentSummary == nil || ep.PendingDeploymentSummary.EndpointConfigName != "c2" {
		t.Fatalf("right after UpdateEndpoint: %+v", ep)
	}
	if _, err := r.svc.UpdateEndpoint(t.Context(), &UpdateEndpointInput{EndpointName: "bg", EndpointConfigName: "c2"}); err == nil ||
		!strings.Contains(err.Error(), `Cannot update in-progress endpoint "arn:aws:sagemaker:us-east-1:123456789012:endpoint/bg".`) {
		t.Fatalf("a second update while updating: %v", err)
	}
	ep := r.waitEndpoint(t, "bg", settled)
	if ep.EndpointStatus != endpointInService || ep.EndpointConfigName != "c2" || ep.FailureReason != "" || ep.PendingDeploymentSummary != nil {
		t.Fatalf("after the update: %+v", ep)
	}
	// Requests keep flowing until the new model has answered one.
	select {
	case <-sawV2:
	case <-time.After(time.Minute):
		t.Error("the new model never answered")
	}
	stop.Store(true)
	wg.Wait()
	if failures.Load() != 0 || sent.Load() == 0 {
		t.Fatalf("%d of %d requests failed during the update; first: %v", failures.Load(), sent.Load(), firstFailure.Load())
	}
	if inv := r.invoke(t, "bg", "application/json", `{"instances": [[1, 2, 3]]}`); !strings.Contains(inv.body, `"version": "v2"`) {
		t.Fatalf("after the update the endpoint answers %d %s", inv.status, inv.body)
	}
	// The old fleet is stopped once drained (its /opt/ml tree is removed then).
	pollUntil(t, time.Minute, "the old fleet stops", func() bool {
		_, err := os.Stat(oldDir)
		return os.IsNotExist(err)
	})
}

// TestEndpointModelFailsToLoad: a model whose model_fn raises makes CreateEndpoint end
// Failed with SageMaker's reason and the server's traceback; the endpoint answers
// ModelNotReadyException; an update to that model is rolled back and the endpoint
// keeps serving its old model.
func TestEndpointModelFailsToLoad(t *testing.T) {
	t.Parallel()
	r := newRT(t)
	r.createModel(t, "broken", inferenceBroken)
	r.createModel(t, "good", seedInference(t))
	r.createConfig(t, "broken", variant{name: "AllTraffic", model: "broken"})
	r.createConfig(t, "good", variant{name: "AllTraffic", model: "good"})

	ep := r.createEndpoint(t, "failing", "broken")
	if ep.EndpointStatus != endpointFailed ||
		!strings.HasPrefix(ep.FailureReason, "The primary container for production variant AllTraffic did not pass the ping health check. Please check CloudWatch logs for this endpoint.") ||
		!strings.Contains(ep.FailureReason, "weights.bin is missing") || len(ep.FailureReason) > 1024 {
		t.Fatalf("%s: %q", ep.EndpointStatus, ep.FailureReason)
	}
	inv := r.invoke(t, "failing", "application/json", `{"instances": [[1, 2, 3]]}`)
	if inv.status != 429 || inv.errType != "ModelNotReadyException" {
		t.Fatalf("invoking a failed endpoint: %d %s %s", inv.status, inv.errType, inv.body)
	}

	r.createEndpoint(t, "rollback", "good")
	if _, err := r.svc.UpdateEndpoint(t.Context(), &UpdateEndpointInput{EndpointName: "rollback", EndpointConfigName: "broken"}); err != nil {
		t.Fatal(err)
	}
	ep = r.waitEndpoint(t, "rollback", settled)
	if ep.EndpointStatus != endpointInService || ep.EndpointConfigName != "good" || !strings.Contains(ep.FailureReason, "did not pass the ping health check") {
		t.Fatalf("after a failed update: %s %s %q", ep.EndpointStatus, ep.EndpointConfigName, ep.FailureReason)
	}
	if inv := r.invoke(t, "rollback", "application/json", `{"instances": [[1, 2, 3]]}`); inv.status != 200 {
		t.Fatalf("the old fleet stopped serving: %d %s", inv.status, inv.body)
	}
}

// TestEndpointContainerErrors: a model that raises is ModelError 424 with the
// container's status and message; a container that dies mid-request is a ModelError,
// is restarted, and the endpoint serves the next requests; payloads over 6 MB are a
// ValidationError.
func TestEndpointContainerErrors(t *testing.T) {
	t.Parallel()
	r := newRT(t)
	r.createModel(t, "crashy", inferenceCrashy)
	r.createConfig(t, "crashy", variant{name: "AllTraffic", model: "crashy"})
	r.createEndpoint(t, "crashy", "crashy")

	inv := r.invoke(t, "crashy", "application/json", `{"instances": [[500, 500, 500]]}`)
	if inv.status != 424 || inv.errType != "ModelError" || inv.err["OriginalStatusCode"] != float64(500) ||
		!strings.HasPrefix(inv.message(), "Received server error (500) from primary with message ") ||
		!strings.Contains(inv.body, "the model cannot score 500") ||
		!strings.HasPrefix(inv.err["LogStreamArn"].(string), "arn:aws:logs:us-east-1:123456789012:log-group:/aws/sagemaker/Endpoints/crashy:log-stream:AllTraffic/") {
		t.Fatalf("model error: %d %s %s", inv.status, inv.errType, inv.body)
	}
	inv = r.invoke(t, "crashy", "text/plain", "not json")
	if inv.status != 424 || inv.errType != "ModelError" {
		t.Fatalf("bad input: %d %s %s", inv.status, inv.errType, inv.body)
	}

	inv = r.invoke(t, "crashy", "application/json", `{"instances": [[999, 999, 999]]}`)
	if inv.status != 424 || inv.errType != "ModelError" || !strings.Contains(inv.message(), "stopped while handling the request") {
		t.Fatalf("crash: %d %s %s", inv.status, inv.errType, inv.body)
	}
	for i := range 3 {
		if inv := r.invoke(t, "crashy", "application/json", `{"instances": [[1, 2, 3]]}`); inv.status != 200 {
			t.Fatalf("request %d after the crash: %d %s", i, inv.status, inv.body)
		}
	}
	if ep, _ := r.svc.DescribeEndpoint(t.Context(), &DescribeEndpointInput{EndpointName: "crashy"}); ep.EndpointStatus != endpointInService {
		t.Fatalf("after the crash: %s", ep.EndpointStatus)
	}

	big := strings.Repeat("x", maxInvokeBody+1)
	inv = r.invoke(t, "crashy", "application/json", big)
	if inv.status != 400 || inv.errType != "ValidationError" || !strings.Contains(inv.message(), "has oversize body") {
		t.Fatalf("oversized: %d %s %s", inv.status, inv.errType, inv.body)
	}
	inv = r.invoke(t, "crashy", "application/json", "{}", hdrCustomAttributes, strings.Repeat("a", 1025))
	if inv.status != 400 || inv.errType != "ValidationError" || !strings.Contains(inv.message(), "customAttributes") {
		t.Fatalf("long custom attributes: %d %s %s", inv.status, inv.errType, inv.body)
	}
	inv = invokeURL(t, http.DefaultClient, r.url, "bad_name", "application/json", "{}")
	if inv.status != 400 || inv.errType != "ValidationError" {
		t.Fatalf("bad name: %d %s %s", inv.status, inv.errType, inv.body)
	}
}

// pollUntil waits for a condition that a process outside the test's control decides
// (a serving process stopping), with a deadline.
func pollUntil(t testing.TB, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
