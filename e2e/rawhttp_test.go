package e2e

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stepwise-dev/stepwise/jsonv"
)

// expectAWS fails the test with detail unless ok, or skips when name is a known
// divergence (see knownDivergences).
func expectAWS(t *testing.T, name string, ok bool, detail string) {
	t.Helper()
	why, known := knownDivergences[name]
	switch {
	case ok && known:
		t.Logf("known divergence now passes, delete it from knownDivergences: %s", why)
	case ok:
	case known && !strict():
		t.Skipf("known divergence from AWS (reported): %s\n%s", why, detail)
	default:
		t.Error(detail)
	}
}

// awsCheck is one expectation for expectAllAWS.
type awsCheck struct {
	name   string
	ok     bool
	detail string
}

// expectAllAWS is expectAWS for several checks at once: each is reported, and the test
// skips at the end if known divergences failed (and nothing else did).
func expectAllAWS(t *testing.T, checks ...awsCheck) {
	t.Helper()
	var known []string
	for _, c := range checks {
		why, isKnown := knownDivergences[c.name]
		switch {
		case c.ok && isKnown:
			t.Logf("known divergence now passes, delete it from knownDivergences: %s", why)
		case c.ok:
		case isKnown && !strict():
			t.Logf("known divergence from AWS (reported): %s\n%s", why, c.detail)
			known = append(known, c.name)
		default:
			t.Error(c.detail)
		}
	}
	if len(known) > 0 && !t.Failed() {
		t.Skipf("known divergences: %s", strings.Join(known, "; "))
	}
}

func init() {
}

// TestRawHTTP sends what no SDK would send: malformed bodies, unknown operations, missing
// required members. Clients see these as exceptions, so their codes and statuses matter.
func TestRawHTTP(t *testing.T) {
	t.Parallel()
	srv := startServer(t, t.TempDir())

	post := func(t *testing.T, target, contentType, body string) (int, http.Header, string, string) {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", contentType)
		if target != "" {
			req.Header.Set("X-Amz-Target", target)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		v, err := jsonv.Decode(b)
		code, msg := "", ""
		if o, ok := v.(*jsonv.Object); ok && err == nil {
			s, _ := o.Get("__type")
			code, _ = s.(string)
			if i := strings.LastIndexByte(code, '#'); i >= 0 {
				code = code[i+1:]
			}
			m, _ := o.Get("message")
			msg, _ = m.(string)
		}
		return res.StatusCode, res.Header, code, msg
	}

	const json10 = "application/x-amz-json-1.0"
	cases := []struct {
		name, target, body, code string
	}{
		{"truncated JSON", "AWSStepFunctions.DescribeStateMachine", `{"stateMachineArn":`, "SerializationException"},
		{"not JSON at all", "AWSStepFunctions.ListStateMachines", `hello`, "SerializationException"},
		{"an array body", "AWSStepFunctions.ListStateMachines", `[]`, "SerializationException"},
		{"a number where a string goes", "AWSStepFunctions.DescribeStateMachine", `{"stateMachineArn":5}`, "SerializationException"},
		{"unknown operation", "AWSStepFunctions.Frobnicate", `{}`, "UnknownOperationException"},
		{"unknown service prefix", "AWSNothing_20200101.ListThings", `{}`, "UnknownOperationException"},
		{"StartExecution without stateMachineArn", "AWSStepFunctions.StartExecution", `{"name":"n"}`, "ValidationException"},
		{"DescribeExecution without executionArn", "AWSStepFunctions.DescribeExecution", `{}`, "ValidationException"},
		{"a well-formed call", "AWSStepFunctions.ListStateMachines", `{}`, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			status, hdr, code, msg := post(t, c.target, json10, c.body)
			if hdr.Get("x-amzn-RequestId") == "" {
				t.Errorf("no x-amzn-RequestId header")
			}
			if c.code == "" {
				if status != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), json10) {
					t.Errorf("status %d, Content-Type %q", status, hdr.Get("Content-Type"))
				}
				return
			}
			expectAWS(t, "raw/"+c.name, status == 400 && code == c.code,
				"status "+http.StatusText(status)+", "+code+" ("+msg+"), want 400 "+c.code)
		})
	}

	// The same bodies through the Go client helper, which the other tests rely on.
	t.Run("client helper decodes errors", func(t *testing.T) {
		t.Parallel()
		err := srv.client.raw(t.Context(), "AWSStepFunctions.Frobnicate", []byte("{}"), nil)
		if errorCode(err) != "UnknownOperationException" {
			t.Fatalf("got %v", err)
		}
		var out struct{ StateMachines []any }
		if err := srv.client.raw(t.Context(), "AWSStepFunctions.ListStateMachines", bytes.TrimSpace([]byte(" {} ")), &out); err != nil {
			t.Fatal(err)
		}
	})
}
