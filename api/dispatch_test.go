package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// testRuntimeService stands in for SageMaker Runtime: /endpoints/{name}/invocations,
// signed as "sagemaker".
func testRuntimeService() *RESTService {
	return &RESTService{
		SigningName: "sagemaker",
		Protocol:    ProtocolRESTJSON,
		Match: func(r *http.Request) bool {
			parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
			return r.Method == http.MethodPost && len(parts) == 3 && parts[0] == "endpoints" && parts[2] == "invocations"
		},
		Handler: func(ctx context.Context, w http.ResponseWriter, _ *http.Request, body []byte) error {
			RequestInfoFrom(ctx).Operation = "InvokeEndpoint"
			w.Header().Set("Content-Type", "text/csv")
			_, err := w.Write(append([]byte("echo:"), body...))
			return err
		},
	}
}

func scoped(service string) string {
	return "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/" + service + "/aws4_request, SignedHeaders=host;x-amz-date, Signature=00"
}

type reply struct {
	status      int
	contentType string
	code        string // from the body's __type (after '#'), or x-amzn-ErrorType
	body        string
	requestID   string
}

func do(t *testing.T, h http.Handler, method, target string, headers map[string]string, body string) reply {
	t.Helper()
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	for k, v := range headers {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	res := w.Result()
	b, _ := io.ReadAll(res.Body)
	rep := reply{status: res.StatusCode, contentType: res.Header.Get("Content-Type"), body: string(b),
		requestID: res.Header.Get("x-amzn-RequestId"), code: res.Header.Get("x-amzn-ErrorType")}
	var e struct {
		Type string `json:"__type"`
	}
	if json.Unmarshal(b, &e) == nil && e.Type != "" {
		_, rep.code, _ = strings.Cut(e.Type, "#")
		if rep.code == "" {
			rep.code = e.Type
		}
	}
	return rep
}

func TestDispatch(t *testing.T) {
	t.Parallel()
	d := newTestDispatcher(nil)
	if err := d.RegisterREST(testRuntimeService()); err != nil {
		t.Fatal(err)
	}
	d.AddHealthCheck("store", func(context.Context) error { return nil })
	sfn := func(op string) map[string]string {
		return map[string]string{"X-Amz-Target": "AWSStepFunctions." + op, "Content-Type": "application/x-amz-json-1.0"}
	}
	form := map[string]string{"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
	tests := []struct {
		name           string
		method, target string
		headers        map[string]string
		body           string
		status         int
		code           string // error code, or "" for success
		contentType    string
		bodyHas        string
	}{
		{"json operation", "POST", "/", sfn("ListStateMachines"), `{}`, 200, "", "application/x-amz-json-1.0", `"nextToken":"page2"`},
		{"json empty body is {}", "POST", "/", sfn("ListStateMachines"), ``, 200, "", "application/x-amz-json-1.0", `"name":"alpha"`},
		{"json timestamps are epoch seconds", "POST", "/", sfn("ListStateMachines"), `{}`, 200, "", "", `"creationDate":1767323045.678`},
		{"json keeps < and é as they are", "POST", "/", sfn("StartExecution"), `{"name":"n","input":"<é>&"}`, 200, "", "", `"echo":"<é>&"`},
		{"json api.Error", "POST", "/", sfn("DescribeStateMachine"), `{"stateMachineArn":"x"}`, 400, "StateMachineDoesNotExist", "application/x-amz-json-1.0",
			`{"__type":"com.amazonaws.swf.service.v2.model#StateMachineDoesNotExist","message":"State Machine Does Not Exist: 'x'"}`},
		{"json mapped sentinel", "POST", "/", sfn("StartExecution"), `{"name":"bad-input"}`, 400, "InvalidExecutionInput", "", ""},
		{"json unexpected error hides its cause", "POST", "/", sfn("StartExecution"), `{"name":"unexpected"}`, 500, "InternalFailure", "",
			`"message":"An internal error occurred."`},
		{"json panic", "POST", "/", sfn("StartExecution"), `{"name":"panic"}`, 500, "InternalFailure", "", ""},
		{"json unknown operation", "POST", "/", sfn("Frobnicate"), `{}`, 400, "UnknownOperationException", "application/x-amz-json-1.0", "AWSStepFunctions.Frobnicate"},
		{"json unknown operation, body not even read", "POST", "/", sfn("Frobnicate"), `{`, 400, "UnknownOperationException", "", ""},
		{"json unknown service answers in its JSON version", "POST", "/",
			map[string]string{"X-Amz-Target": "SageMaker.ListModels", "Content-Type": "application/x-amz-json-1.1"}, `{}`,
			400, "UnknownOperationException", "application/x-amz-json-1.1", ""},
		{"json target without operation", "POST", "/", map[string]string{"X-Amz-Target": "AWSStepFunctions"}, `{}`, 400, "UnknownOperationException", "", ""},
		{"json malformed", "POST", "/", sfn("ListStateMachines"), `{"maxResults":`, 400, "SerializationException", "", ""},
		{"json wrong type", "POST", "/", sfn("ListStateMachines"), `{"maxResults":"ten"}`, 400, "SerializationException", "",
			"Value at 'maxResults' must be an integer, not a string"},
		{"json array body", "POST", "/", sfn("ListStateMachines"), `[]`, 400, "SerializationException", "", "Expected a JSON object, found an array"},
		{"json trailing data", "POST", "/", sfn("ListStateMachines"), `{} {}`, 400, "SerializationException", "", ""},
		{"json body over 1 MB", "POST", "/", sfn("ListStateMachines"), `{"nextToken":"` + strings.Repeat("x", 1<<20) + `"}`,
			413, "RequestEntityTooLargeException", "", ""},
		{"query form POST", "POST", "/", form, "Action=GetCallerIdentity&Version=2011-06-15", 200, "", "text/xml",
			`<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:root</Arn>`},
		{"query GET", "GET", "/?Action=GetCallerIdentity&Version=2011-06-15", nil, "", 200, "", "text/xml", "<Account>123456789012</Account>"},
		{"query error", "POST", "/", form, "Action=AssumeRole&RoleArn=r", 400, "MalformedPolicyDocument", "text/xml",
			"<Type>Sender</Type>\n    <Code>MalformedPolicyDocument</Code>\n    <Message>role r: policy is not valid</Message>"},
		{"query unknown action", "POST", "/", form, "Action=Nope&Version=2011-06-15", 400, "InvalidAction", "text/xml",
			"Could not find operation Nope for version 2011-06-15"},
		{"rest path to lambda", "GET", "/2015-03-31/functions/f", nil, "", 404, "ResourceNotFoundException", "application/json",
			`{"Type":"User","message":"Function not found: arn:aws:lambda:us-east-1:123456789012:function:f"}`},
		{"rest scope s3 keeps a bucket named like a Lambda path", "GET", "/2015-03-31/functions/f",
			map[string]string{"Authorization": scoped("s3")}, "", 404, "NoSuchBucket", "application/xml", "<Code>NoSuchBucket</Code>"},
		{"rest runtime by path", "POST", "/endpoints/e/invocations", nil, "1,2", 200, "", "text/csv", "echo:1,2"},
		{"rest runtime by scope", "POST", "/endpoints/e/invocations", map[string]string{"Authorization": scoped("sagemaker")}, "3", 200, "", "", "echo:3"},
		{"rest s3 bucket named endpoints", "POST", "/endpoints/e/invocations", map[string]string{"Authorization": scoped("s3")}, "", 404, "NoSuchBucket", "", ""},
		{"rest s3 catch-all", "GET", "/my-bucket/some/key", nil, "", 404, "NoSuchBucket", "application/xml", ""},
		{"health", "GET", "/_stepwise/health", nil, "", 200, "", "application/json",
			`"status":"ok","version":"test","region":"us-east-1","accountId":"123456789012","services":["lambda","s3","sagemaker","states","sts"],"checks":[{"name":"store","status":"ok"}]`},
		{"unknown internal page", "GET", "/_stepwise/nope", nil, "", 404, "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := do(t, d, tt.method, tt.target, tt.headers, tt.body)
			if got.status != tt.status || got.code != tt.code {
				t.Errorf("got %d %q, want %d %q\n%s", got.status, got.code, tt.status, tt.code, got.body)
			}
			if tt.contentType != "" && got.contentType != tt.contentType {
				t.Errorf("content type %q, want %q", got.contentType, tt.contentType)
			}
			if !strings.Contains(got.body, tt.bodyHas) {
				t.Errorf("body lacks %q:\n%s", tt.bodyHas, got.body)
			}
			if len(got.requestID) != 36 || got.requestID[14] != '4' {
				t.Errorf("request id %q", got.requestID)
			}
		})
	}
}

func TestDispatchWithoutRESTServices(t *testing.T) {
	t.Parallel()
	d := NewDispatcher(Options{})
	got := do(t, d, "GET", "/", nil, "")
	if got.status != 404 || got.code != "UnknownOperationException" || !strings.Contains(got.body, "X-Amz-Target") {
		t.Fatalf("%+v", got)
	}
}

func TestHealthReportsFailingChecks(t *testing.T) {
	t.Parallel()
	d := NewDispatcher(Options{Region: "eu-west-1", AccountID: "000000000000"})
	d.AddHealthCheck("store", func(context.Context) error { return errors.New("database is locked") })
	got := do(t, d, "GET", "/_stepwise/health", nil, "")
	want := `{"status":"failing","region":"eu-west-1","accountId":"000000000000","services":[],"checks":[{"name":"store","status":"failing","error":"database is locked"}]}`
	if got.status != 503 || got.body != want {
		t.Fatalf("%d %s", got.status, got.body)
	}
}

func TestHandleInternal(t *testing.T) {
	t.Parallel()
	d := NewDispatcher(Options{})
	if err := d.HandleInternal("GET /metrics", http.NotFoundHandler()); err == nil {
		t.Fatal("a pattern outside /_stepwise/ was accepted")
	}
	err := d.HandleInternal("GET /_stepwise/metrics", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "requests 1\n")
	}))
	if err != nil {
		t.Fatal(err)
	}
	if got := do(t, d, "GET", "/_stepwise/metrics", nil, ""); got.status != 200 || got.body != "requests 1\n" {
		t.Fatalf("%+v", got)
	}
}

func TestRegistrationErrors(t *testing.T) {
	t.Parallel()
	d := NewDispatcher(Options{})
	handler := func(context.Context, http.ResponseWriter, *http.Request, []byte) error { return nil }
	for name, err := range map[string]error{
		"no prefix":    d.RegisterJSON(&JSONService{Protocol: ProtocolJSON10}),
		"dotted":       d.RegisterJSON(&JSONService{TargetPrefix: "a.b", Protocol: ProtocolJSON10}),
		"bad protocol": d.RegisterJSON(&JSONService{TargetPrefix: "X", Protocol: ProtocolQuery}),
		"no signing":   d.RegisterQuery(&QueryService{}),
		"rest proto":   d.RegisterREST(&RESTService{SigningName: "x", Protocol: ProtocolJSON10, Handler: handler}),
		"no handler":   d.RegisterREST(&RESTService{SigningName: "x", Protocol: ProtocolRESTXML}),
	} {
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if err := d.RegisterJSON(testStatesService()); err != nil {
		t.Fatal(err)
	}
	if err := d.RegisterJSON(testStatesService()); err == nil {
		t.Error("registered twice")
	}
	if err := d.RegisterREST(&RESTService{SigningName: "s3", Protocol: ProtocolRESTXML, Handler: handler}); err != nil {
		t.Fatal(err)
	}
	if err := d.RegisterREST(&RESTService{SigningName: "other", Protocol: ProtocolRESTXML, Handler: handler}); err == nil {
		t.Error("two catch-alls")
	}
}

// A REST handler that fails after it began its reply must not get an error body glued
// to it.
func TestErrorAfterReplyBegan(t *testing.T) {
	t.Parallel()
	d := NewDispatcher(Options{})
	err := d.RegisterREST(&RESTService{SigningName: "s3", Protocol: ProtocolRESTXML, StreamBody: true,
		Handler: func(_ context.Context, w http.ResponseWriter, _ *http.Request, _ []byte) error {
			_, _ = io.WriteString(w, "partial")
			return errors.New("connection to the disk lost")
		}})
	if err != nil {
		t.Fatal(err)
	}
	if got := do(t, d, "GET", "/b/k", nil, ""); got.status != 200 || got.body != "partial" {
		t.Fatalf("%+v", got)
	}
}

func TestSignedDispatchNeedsSignatures(t *testing.T) {
	t.Parallel()
	d := newTestDispatcher(NewSigV4Verifier(map[string]string{"test": "test"}))
	tests := []struct {
		name    string
		headers map[string]string
		body    string
		status  int
		code    string
	}{
		{"json unsigned", map[string]string{"X-Amz-Target": "AWSStepFunctions.ListStateMachines"}, "{}", 400, "MissingAuthenticationTokenException"},
		{"json bad signature", map[string]string{"X-Amz-Target": "AWSStepFunctions.ListStateMachines", "Authorization": scoped("states"),
			"X-Amz-Date": "20260101T000000Z"}, "{}", 400, "InvalidSignatureException"},
		// The signature is checked before the operation is looked up.
		{"json unknown op unsigned", map[string]string{"X-Amz-Target": "AWSStepFunctions.Nope"}, "{}", 400, "MissingAuthenticationTokenException"},
		{"query unsigned", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, "Action=GetCallerIdentity", 403, "MissingAuthenticationToken"},
		// An action the service serves to anyone (as SNS's SubscribeURL) reaches its handler.
		{"query anonymous action", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, "Action=AssumeRole&RoleArn=r", 400, "MalformedPolicyDocument"},
		{"query anonymous action badly signed", map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Authorization": scoped("sts"),
			"X-Amz-Date": "20260101T000000Z"}, "Action=AssumeRole&RoleArn=r", 403, "SignatureDoesNotMatch"},
		{"s3 unsigned", nil, "", 403, "AccessDenied"},
		{"malformed authorization", map[string]string{"X-Amz-Target": "AWSStepFunctions.ListStateMachines",
			"Authorization": "AWS4-HMAC-SHA256 Credential=x"}, "{}", 400, "IncompleteSignatureException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := do(t, d, "POST", "/", tt.headers, tt.body)
			if got.status != tt.status || got.code != tt.code {
				t.Fatalf("got %d %q, want %d %q: %s", got.status, got.code, tt.status, tt.code, got.body)
			}
		})
	}
}

func FuzzDispatch(f *testing.F) {
	f.Add("AWSStepFunctions.ListStateMachines", "", `{"maxResults":1}`)
	f.Add("AWSStepFunctions.StartExecution", "", `{"name":"n","input":"\u0000"}`)
	f.Add("", "application/x-www-form-urlencoded", "Action=GetCallerIdentity&a=%zz")
	f.Add("", "", "")
	d := newTestDispatcher(nil)
	f.Fuzz(func(t *testing.T, target, contentType, body string) {
		r := httptest.NewRequest("POST", "/", strings.NewReader(body))
		r.Header.Set("X-Amz-Target", target)
		r.Header.Set("Content-Type", contentType)
		w := httptest.NewRecorder()
		d.ServeHTTP(w, r)
		if w.Code == 0 || w.Header().Get("x-amzn-RequestId") == "" {
			t.Fatalf("no reply: %d", w.Code)
		}
		if w.Code >= 500 && !strings.Contains(body, "panic") && !strings.Contains(body, "unexpected") {
			t.Fatalf("server error for %q %q: %s", target, body, w.Body)
		}
	})
}

func TestDrain(t *testing.T) {
	t.Parallel()
	d := NewDispatcher(Options{})
	select {
	case <-d.Draining():
		t.Fatal("draining before Drain")
	default:
	}
	d.Drain()
	d.Drain()
	<-d.Draining()
}
