package sagemaker

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/internal/clienttest"
)

// TestRuntimeRealClients: the aws CLI's `sagemaker-runtime invoke-endpoint` and boto3
// reach an endpoint, get its reply and headers, and read SageMaker Runtime's errors
// (ModelError with its members, ValidationError) as they read AWS's.
func TestRuntimeRealClients(t *testing.T) {
	t.Parallel()
	clienttest.NeedTool(t, "aws")
	clienttest.NeedPython(t, "boto3")
	r := newRT(t)
	r.createModel(t, "cli-model", inferenceCrashy)
	r.createConfig(t, "cli-config", variant{name: "AllTraffic", model: "cli-model"})
	r.createEndpoint(t, "cli", "cli-config")

	out := filepath.Join(t.TempDir(), "out.json")
	stdout, stderr, code := runAWS(t, r.url, "sagemaker-runtime", "invoke-endpoint", "--endpoint-name", "cli",
		"--content-type", "application/json", "--accept", "application/json",
		"--custom-attributes", "c000b4f9-df62-4c85-a0bf-7c525f9104a4", "--body", `{"instances": [[1, 2, 3]]}`, out)
	if code != 0 {
		t.Fatalf("invoke-endpoint: %d %s", code, stderr)
	}
	var meta struct {
		ContentType              string
		InvokedProductionVariant string
	}
	mustJSON(t, stdout, &meta)
	body, _ := os.ReadFile(out)
	if meta.InvokedProductionVariant != "AllTraffic" || meta.ContentType != "text/html; charset=utf-8" || !strings.Contains(string(body), `"predictions"`) {
		t.Fatalf("invoke-endpoint: %s %s", stdout, body)
	}
	_, stderr, code = runAWS(t, r.url, "sagemaker-runtime", "invoke-endpoint", "--endpoint-name", "nope",
		"--content-type", "application/json", "--body", "{}", out)
	if code == 0 || !strings.Contains(stderr, "An error occurred (ValidationError) when calling the InvokeEndpoint operation: Endpoint nope of account 123456789012 not found.") {
		t.Fatalf("unknown endpoint: %d %s", code, stderr)
	}

	script := `
import boto3, botocore, json, sys
c = boto3.client("sagemaker-runtime", endpoint_url=sys.argv[1])
r = c.invoke_endpoint(EndpointName="cli", ContentType="application/json", Body=b'{"instances": [[1, 2, 3]]}')
ok = json.loads(r["Body"].read())
try:
    c.invoke_endpoint(EndpointName="cli", ContentType="application/json", Body=b'{"instances": [[500, 500, 500]]}')
    raise SystemExit("no ModelError")
except c.exceptions.ModelError as e:
    err = e.response
print(json.dumps({"ok": ok, "variant": r["InvokedProductionVariant"], "code": err["Error"]["Code"],
    "status": err["OriginalStatusCode"], "original": err["OriginalMessage"], "stream": err["LogStreamArn"],
    "message": err["Error"]["Message"], "http": err["ResponseMetadata"]["HTTPStatusCode"]}))
`
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, clienttest.ToolPath("python3"), "-c", script, r.url)
	cmd.Env = clienttest.Env(t, "test", "test")
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	if err := cmd.Run(); err != nil {
		t.Fatalf("boto3: %v %s", err, se.String())
	}
	var res struct {
		OK      map[string]any `json:"ok"`
		Variant string         `json:"variant"`
		Code    string         `json:"code"`
		Status  int            `json:"status"`
		Orig    string         `json:"original"`
		Stream  string         `json:"stream"`
		Message string         `json:"message"`
		HTTP    int            `json:"http"`
	}
	if err := json.Unmarshal(so.Bytes(), &res); err != nil {
		t.Fatalf("%v: %s", err, so.String())
	}
	if res.Variant != "AllTraffic" || res.OK["predictions"] == nil || res.Code != "ModelError" || res.Status != 500 || res.HTTP != 424 ||
		!strings.Contains(res.Orig, "the model cannot score 500") || !strings.HasPrefix(res.Message, "Received server error (500) from primary with message") ||
		!strings.Contains(res.Stream, ":log-stream:AllTraffic/") {
		t.Fatalf("boto3 saw %+v", res)
	}
}

func runAWS(t *testing.T, url string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, clienttest.ToolPath("aws"), append([]string{"--endpoint-url", url, "--output", "json"}, args...)...)
	cmd.Env = clienttest.Env(t, "test", "test")
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	err := cmd.Run()
	if err != nil && cmd.ProcessState == nil {
		t.Fatal(err)
	}
	return so.String(), se.String(), cmd.ProcessState.ExitCode()
}
