package lambda

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/internal/clienttest"
	"github.com/stepwise-dev/stepwise/objstore"
)

func runAWS(t *testing.T, url string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
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

// TestAWSCLI follows the seed walkthrough's commands: a function from a zip file,
// invoked, read back, listed and deleted with the aws CLI.
func TestAWSCLI(t *testing.T) {
	t.Parallel()
	clienttest.NeedTool(t, "aws")
	needHostPython(t)
	e := newEnv(t)
	dir := t.TempDir()
	zipPath := filepath.Join(dir, "evaluate_model.zip")
	zipBytes := zipOf(t, map[string]string{"evaluate_model.py": "def lambda_handler(event, context):\n    print('evaluating', event)\n    return {'test_r2': 0.9, 'job': event.get('TrainingJobName')}\n"})
	if err := os.WriteFile(zipPath, zipBytes, 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runAWS(t, e.url, "lambda", "create-function", "--function-name", "EvaluateModel", "--runtime", "python3.11",
		"--role", testRole, "--handler", "evaluate_model.lambda_handler", "--zip-file", "fileb://"+zipPath, "--timeout", "60", "--memory-size", "256")
	if code != 0 {
		t.Fatalf("create-function: %s %s", out, errOut)
	}
	var created FunctionConfiguration
	if err := json.Unmarshal([]byte(out), &created); err != nil {
		t.Fatal(err)
	}
	if created.FunctionArn != "arn:aws:lambda:us-east-1:123456789012:function:EvaluateModel" || created.Timeout != 60 || created.MemorySize != 256 ||
		created.State != "Active" || created.CodeSize != int64(len(zipBytes)) || created.Version != "$LATEST" || created.PackageType != "Zip" {
		t.Fatalf("created %s", out)
	}
	_, errOut, code = runAWS(t, e.url, "lambda", "create-function", "--function-name", "EvaluateModel", "--runtime", "python3.11",
		"--role", testRole, "--handler", "evaluate_model.lambda_handler", "--zip-file", "fileb://"+zipPath)
	if code == 0 || !strings.Contains(errOut, "An error occurred (ResourceConflictException) when calling the CreateFunction operation: Function already exist: EvaluateModel") {
		t.Fatalf("second create: %d %s", code, errOut)
	}
	if _, errOut, code = runAWS(t, e.url, "lambda", "wait", "function-active-v2", "--function-name", "EvaluateModel"); code != 0 {
		t.Fatalf("wait: %s", errOut)
	}

	outFile := filepath.Join(dir, "response.json")
	out, errOut, code = runAWS(t, e.url, "lambda", "invoke", "--function-name", "EvaluateModel",
		"--payload", `{"TrainingJobName":"job-1"}`, "--log-type", "Tail", outFile)
	if code != 0 {
		t.Fatalf("invoke: %s %s", out, errOut)
	}
	var inv struct {
		StatusCode      int
		ExecutedVersion string
		LogResult       string
		FunctionError   string
	}
	if err := json.Unmarshal([]byte(out), &inv); err != nil {
		t.Fatal(err)
	}
	tail, _ := base64.StdEncoding.DecodeString(inv.LogResult)
	if inv.StatusCode != 200 || inv.ExecutedVersion != "$LATEST" || inv.FunctionError != "" || !strings.Contains(string(tail), "evaluating {'TrainingJobName': 'job-1'}") {
		t.Fatalf("invoke: %s\n%s", out, tail)
	}
	if b, _ := os.ReadFile(outFile); string(b) != `{"test_r2": 0.9, "job": "job-1"}` {
		t.Fatalf("response %s", b)
	}

	out, _, code = runAWS(t, e.url, "lambda", "get-function", "--function-name", "arn:aws:lambda:us-east-1:123456789012:function:EvaluateModel")
	var got struct {
		Configuration FunctionConfiguration
		Code          struct{ RepositoryType, Location string }
	}
	if err := json.Unmarshal([]byte(out), &got); code != 0 || err != nil || got.Configuration.CodeSha256 != created.CodeSha256 {
		t.Fatalf("get-function: %s", out)
	}
	resp, err := http.Get(got.Code.Location)
	if err != nil {
		t.Fatal(err)
	}
	downloaded, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Equal(downloaded, zipBytes) {
		t.Fatalf("code location %s: %d, %d bytes", got.Code.Location, resp.StatusCode, len(downloaded))
	}

	out, _, code = runAWS(t, e.url, "lambda", "update-function-configuration", "--function-name", "EvaluateModel", "--environment", "Variables={STAGE=test}", "--timeout", "5")
	if code != 0 || !strings.Contains(out, `"STAGE": "test"`) || !strings.Contains(out, `"Timeout": 5`) {
		t.Fatalf("update-function-configuration: %s", out)
	}
	zip2 := filepath.Join(dir, "v2.zip")
	if err := os.WriteFile(zip2, zipOf(t, map[string]string{"evaluate_model.py": "import os\ndef lambda_handler(event, context):\n    return os.environ['STAGE'] + ' v2'\n"}), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, errOut, code = runAWS(t, e.url, "lambda", "update-function-code", "--function-name", "EvaluateModel", "--zip-file", "fileb://"+zip2); code != 0 {
		t.Fatalf("update-function-code: %s %s", out, errOut)
	}
	if _, errOut, code = runAWS(t, e.url, "lambda", "invoke", "--function-name", "EvaluateModel", outFile); code != 0 {
		t.Fatalf("invoke v2: %s", errOut)
	}
	if b, _ := os.ReadFile(outFile); string(b) != `"test v2"` {
		t.Fatalf("v2 response %s: the warm environment kept the old code", b)
	}

	out, _, code = runAWS(t, e.url, "lambda", "list-functions")
	if code != 0 || !strings.Contains(out, `"FunctionName": "EvaluateModel"`) {
		t.Fatalf("list-functions: %s", out)
	}
	if _, errOut, code = runAWS(t, e.url, "lambda", "delete-function", "--function-name", "EvaluateModel"); code != 0 {
		t.Fatalf("delete-function: %s", errOut)
	}
	_, errOut, code = runAWS(t, e.url, "lambda", "invoke", "--function-name", "EvaluateModel", outFile)
	if code == 0 || !strings.Contains(errOut, "An error occurred (ResourceNotFoundException) when calling the Invoke operation: Function not found: arn:aws:lambda:us-east-1:123456789012:function:EvaluateModel") {
		t.Fatalf("invoke after delete: %d %s", code, errOut)
	}
	_, errOut, code = runAWS(t, e.url, "lambda", "get-function", "--function-name", "EvaluateModel")
	if code == 0 || !strings.Contains(errOut, "(ResourceNotFoundException) when calling the GetFunction operation: Function not found: arn:aws:lambda:us-east-1:123456789012:function:EvaluateModel") {
		t.Fatalf("get after delete: %d %s", code, errOut)
	}
}

func TestCreateFromS3AndRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	if err := e.objects.CreateBucket(ctx, "code"); err != nil {
		t.Fatal(err)
	}
	z := zipOf(t, map[string]string{"app.py": "def h(e, c):\n    return 1\n"})
	if _, err := e.objects.Put(ctx, "code", "fn.zip", bytes.NewReader(z), objstore.PutOptions{Size: int64(len(z))}); err != nil {
		t.Fatal(err)
	}
	post := func(body string) *reply {
		return e.do(t, http.MethodPost, "/2015-03-31/functions", []byte(body), nil)
	}
	r := post(`{"FunctionName":"from-s3","Runtime":"python3.13","Role":"` + testRole + `","Handler":"app.h","Code":{"S3Bucket":"code","S3Key":"fn.zip"}}`)
	if r.Status != http.StatusCreated || r.json(t)["CodeSize"] != float64(len(z)) {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	for _, c := range []struct {
		body, code, msg string
		status          int
	}{
		{`{"FunctionName":"x","Runtime":"python3.11","Role":"` + testRole + `","Handler":"app.h","Code":{"S3Bucket":"code","S3Key":"missing.zip"}}`,
			"InvalidParameterValueException", "Error occurred while GetObject. S3 Error Code: NoSuchKey. S3 Error Message: The specified key does not exist.", 400},
		{`{"FunctionName":"x","Runtime":"python2.7","Role":"` + testRole + `","Handler":"app.h","Code":{"S3Bucket":"code","S3Key":"fn.zip"}}`,
			"InvalidParameterValueException", "The runtime parameter of python2.7 is no longer supported for creating or updating AWS Lambda functions.", 400},
		{`{"FunctionName":"x","Runtime":"java21","Role":"` + testRole + `","Handler":"app.h","Code":{"S3Bucket":"code","S3Key":"fn.zip"}}`,
			"InvalidParameterValueException", "The runtime parameter of java21 is not supported by stepwise", 400},
		{`{"FunctionName":"x","Runtime":"cobol","Role":"` + testRole + `","Handler":"app.h","Code":{"S3Bucket":"code","S3Key":"fn.zip"}}`,
			"ValidationException", "1 validation error detected: Value 'cobol' at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: [", 400},
		{`{"FunctionName":"x","Runtime":"python3.11","Role":"not-a-role","Handler":"app.h","Code":{"S3Bucket":"code","S3Key":"fn.zip"}}`,
			"ValidationException", "1 validation error detected: Value 'not-a-role' at 'role' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+", 400},
		{`{"FunctionName":"x","Runtime":"python3.11","Role":"` + testRole + `","Code":{"S3Bucket":"code","S3Key":"fn.zip"}}`,
			"InvalidParameterValueException", "Runtime and Handler are mandatory parameters for functions created with deployment packages.", 400},
		{`{"FunctionName":"x","Runtime":"python3.11","Role":"` + testRole + `","Handler":"app.h","Timeout":901,"Code":{"S3Bucket":"code","S3Key":"fn.zip"}}`,
			"ValidationException", "Value '901' at 'timeout' failed to satisfy constraint: Member must have value less than or equal to 900", 400},
		{`{"FunctionName":"x","Runtime":"python3.11","Role":"` + testRole + `","Handler":"app.h","MemorySize":64,"Code":{"S3Bucket":"code","S3Key":"fn.zip"}}`,
			"ValidationException", "Value '64' at 'memorySize' failed to satisfy constraint: Member must have value greater than or equal to 128", 400},
		{`{"FunctionName":"x","Runtime":"python3.11","Role":"` + testRole + `","Handler":"app.h","Environment":{"Variables":{"AWS_REGION":"x"}},"Code":{"S3Bucket":"code","S3Key":"fn.zip"}}`,
			"InvalidParameterValueException", "Reserved keys used in this request: AWS_REGION", 400},
		{`{"FunctionName":"bad name","Runtime":"python3.11","Role":"` + testRole + `","Handler":"app.h","Code":{"S3Bucket":"code","S3Key":"fn.zip"}}`,
			"ValidationException", "Value 'bad name' at 'functionName' failed to satisfy constraint", 400},
		{`{"FunctionName":"x","Runtime":"python3.11","Role":"` + testRole + `","Handler":"app.h","Code":{"ZipFile":"bm90IGEgemlw"}}`,
			"InvalidParameterValueException", "Could not unzip uploaded file. Please check your file, then try to upload again.", 400},
		{`{"FunctionName":"from-s3","Runtime":"python3.11","Role":"` + testRole + `","Handler":"app.h","Code":{"S3Bucket":"code","S3Key":"fn.zip"}}`,
			"ResourceConflictException", "Function already exist: from-s3", 409},
		{`{"FunctionName":`, "InvalidRequestContentException", "Could not parse request body into json", 400},
	} {
		r := post(c.body)
		var m map[string]string
		_ = json.Unmarshal(r.Body, &m)
		if r.Status != c.status || r.Header.Get("X-Amzn-Errortype") != c.code || !strings.Contains(m["message"], c.msg) || m["Type"] != "User" {
			t.Errorf("%s:\n got %d %s %s", c.body, r.Status, r.Header.Get("X-Amzn-Errortype"), r.Body)
		}
	}

	// Invoke's own refusals.
	for _, c := range []struct {
		path, payload, code, msg string
		status                   int
	}{
		{"from-s3", "not json", "InvalidRequestContentException", "Could not parse request body into json: Could not parse payload into json: Unrecognized token 'not': was expecting", 400},
		{"from-s3", strings.Repeat(" ", maxSyncPayload+1), "RequestTooLargeException", "Request must be smaller than 6291456 bytes for the InvokeFunction operation", 413},
		{"from-s3:v1", "{}", "ResourceNotFoundException", "Function not found: arn:aws:lambda:us-east-1:123456789012:function:from-s3:v1", 404},
		{"arn:aws:lambda:us-east-1:999999999999:function:from-s3", "{}", "ResourceNotFoundException", "Function not found: arn:aws:lambda:us-east-1:999999999999:function:from-s3", 404},
		{"nope", "{}", "ResourceNotFoundException", "Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope", 404},
	} {
		r := e.invoke(t, c.path, c.payload, nil)
		var m map[string]string
		_ = json.Unmarshal(r.Body, &m)
		if r.Status != c.status || r.Header.Get("X-Amzn-Errortype") != c.code || !strings.Contains(m["message"], c.msg) {
			t.Errorf("invoke %s: got %d %s %.300s", c.path, r.Status, r.Header.Get("X-Amzn-Errortype"), r.Body)
		}
	}
}

func TestListFunctionsPages(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	z := base64.StdEncoding.EncodeToString(zipOf(t, map[string]string{"a.py": ""}))
	for i := range 5 {
		body := fmt.Sprintf(`{"FunctionName":"f%d","Runtime":"python3.11","Role":"%s","Handler":"a.h","Code":{"ZipFile":"%s"}}`, i, testRole, z)
		if r := e.do(t, http.MethodPost, "/2015-03-31/functions", []byte(body), nil); r.Status != http.StatusCreated {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	}
	var names []string
	marker := ""
	for pages := 0; ; pages++ {
		path := "/2015-03-31/functions/?MaxItems=2"
		if marker != "" {
			path += "&Marker=" + marker
		}
		r := e.do(t, http.MethodGet, path, nil, nil)
		var page struct {
			NextMarker string
			Functions  []FunctionConfiguration
		}
		if err := json.Unmarshal(r.Body, &page); err != nil || r.Status != 200 || len(page.Functions) > 2 || pages > 3 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		for _, f := range page.Functions {
			names = append(names, f.FunctionName)
		}
		if marker = page.NextMarker; marker == "" {
			break
		}
	}
	if strings.Join(names, ",") != "f0,f1,f2,f3,f4" {
		t.Fatalf("listed %v", names)
	}
	if r := e.do(t, http.MethodGet, "/2015-03-31/functions/?MaxItems=0", nil, nil); r.Status != 400 || r.Header.Get("X-Amzn-Errortype") != "ValidationException" {
		t.Fatalf("MaxItems=0: %d %s", r.Status, r.Body)
	}
}
