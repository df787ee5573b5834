package lambda

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"testing"

	"github.com/stepwise-dev/stepwise/api"
	"github.com/stepwise-dev/stepwise/store/sqlite"
)

// FuzzInvokeDecoding feeds Invoke requests (path, headers, query, body) through the
// dispatcher and the decoders: nothing may panic, and every refusal is one of Lambda's
// codes.
func FuzzInvokeDecoding(f *testing.F) {
	for _, s := range []struct{ name, typ, logType, cc, qual, body string }{
		{"fn", "RequestResponse", "Tail", "", "", `{"a":1}`},
		{"arn:aws:lambda:us-east-1:123456789012:function:fn:$LATEST", "Event", "None", "eyJhIjoxfQ==", "$LATEST", ""},
		{"123456789012:function:fn", "DryRun", "", "!!", "v1", "not json"},
		{"fn%2Fx", "Bogus", "Head", "e30=", "", `"str"`},
		{"", "", "", "", "", "\xff"},
	} {
		f.Add(s.name, s.typ, s.logType, s.cc, s.qual, []byte(s.body))
	}
	st, err := sqlite.Open(f.Context(), filepath.Join(f.TempDir(), "db"))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = st.Close() })
	svc := New(Config{Store: st, Dir: f.TempDir()})
	d := api.NewDispatcher(api.Options{})
	if err := svc.Register(d); err != nil {
		f.Fatal(err)
	}
	known := map[string]bool{"ResourceNotFoundException": true, "ValidationException": true, "InvalidParameterValueException": true,
		"InvalidRequestContentException": true, "RequestTooLargeException": true, "UnknownOperationException": true}
	f.Fuzz(func(t *testing.T, name, typ, logType, cc, qual string, body []byte) {
		_, _ = parseFunctionName(name)
		_ = checkPayload(body)
		_, _ = decodeMarker(name)
		_, _ = decodeClientContext(cc)
		_, _ = routeOf(typ, name)
		path := "/2015-03-31/functions/" + url.PathEscape(name) + "/invocations"
		if qual != "" {
			path += "?Qualifier=" + url.QueryEscape(qual)
		}
		req := httptest.NewRequest(http.MethodPost, "http://localhost"+path, bytes.NewReader(body))
		for k, v := range map[string]string{"X-Amz-Invocation-Type": typ, "X-Amz-Log-Type": logType, "X-Amz-Client-Context": cc} {
			if v != "" && validHeader(v) {
				req.Header.Set(k, v)
			}
		}
		rec := httptest.NewRecorder()
		d.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s: %d %s", path, rec.Code, rec.Body)
		}
		if code := rec.Header().Get("X-Amzn-Errortype"); rec.Code >= 400 && !known[code] {
			t.Fatalf("%s: %d %q %s", path, rec.Code, code, rec.Body)
		}
	})
}

func validHeader(v string) bool {
	for i := 0; i < len(v); i++ {
		if v[i] < 0x20 || v[i] == 0x7f {
			return false
		}
	}
	return true
}
