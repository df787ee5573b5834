package sagemaker

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stepwise-dev/stepwise/api"
)

// TestWireErrors: malformed and rejected requests over HTTP get SageMaker's error codes
// in the awsJson 1.1 shape, and nothing is stored.
func TestWireErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	d := api.NewDispatcher(api.Options{})
	if err := e.svc.Register(d); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(d)
	defer srv.Close()
	call := func(op, body string) (int, map[string]any) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/", strings.NewReader(body))
		req.Header.Set("X-Amz-Target", "SageMaker."+op)
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	cases := []struct{ op, body, code string }{
		{"CreateTrainingJob", `{"TrainingJobName": "x",`, "SerializationException"},
		{"CreateTrainingJob", `{"TrainingJobName": 5}`, "SerializationException"},
		{"CreateTrainingJob", `{"TrainingJobName": "ok-name"}`, "ValidationException"},
		{"CreateProcessingJob", `[]`, "SerializationException"},
		{"DescribeProcessingJob", `{"ProcessingJobName": "missing"}`, "ValidationException"},
		{"StopTrainingJob", `{"TrainingJobName": "missing"}`, "ValidationException"},
		{"ListTrainingJobs", `{"MaxResults": 1000}`, "ValidationException"},
		{"ListTrainingJobs", `{"NextToken": "!!"}`, "ValidationException"},
	}
	for _, c := range cases {
		status, out := call(c.op, c.body)
		if status != 400 || !strings.HasSuffix(out["__type"].(string), c.code) {
			t.Errorf("%s %s: %d %v", c.op, c.body, status, out)
		}
	}
	status, out := call("ListTrainingJobs", `{}`)
	if status != 200 || len(out["TrainingJobSummaries"].([]any)) != 0 {
		t.Fatalf("list after bad requests: %d %v", status, out)
	}
}
