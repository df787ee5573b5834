package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"
)

type botocoreVectors struct {
	Now         string `json:"now"`
	AccessKeyID string `json:"accessKeyId"`
	Secret      string `json:"secretAccessKey"`
	Cases       []struct {
		Name    string      `json:"name"`
		Method  string      `json:"method"`
		Target  string      `json:"target"`
		Headers [][2]string `json:"headers"`
		Body    string      `json:"body"`
	} `json:"cases"`
}

func loadBotocoreVectors(t *testing.T) botocoreVectors {
	t.Helper()
	b, err := os.ReadFile("testdata/sigv4_botocore.json")
	if err != nil {
		t.Fatal(err)
	}
	var v botocoreVectors
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// request rebuilds a recorded request as the server receives it.
func vectorRequest(method, target string, headers [][2]string, body string) *http.Request {
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	r.Host = "127.0.0.1:8083"
	for _, h := range headers {
		r.Header.Add(h[0], h[1])
	}
	return r
}

func bodyHash(body string) string {
	return sha256Hex([]byte(body))
}

func verifierAt(keys map[string]string, now string) *SigV4Verifier {
	at, err := time.Parse(amzDateFormat, now)
	if err != nil {
		panic(err)
	}
	return &SigV4Verifier{Keys: StaticKeys(keys), Now: func() time.Time { return at }}
}

func authFailure(err error) AuthFailure {
	var ae *AuthError
	if errors.As(err, &ae) {
		return ae.Failure
	}
	return 0
}

// TestSigV4AcceptsBotocoreSignatures checks the verifier against requests botocore
// signed (testdata/sigv4_botocore.py), and that any change to a signed part is caught.
func TestSigV4AcceptsBotocoreSignatures(t *testing.T) {
	t.Parallel()
	vec := loadBotocoreVectors(t)
	v := verifierAt(map[string]string{vec.AccessKeyID: vec.Secret}, vec.Now)
	for _, c := range vec.Cases {
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			r := vectorRequest(c.Method, c.Target, c.Headers, c.Body)
			p, err := v.Verify(r, bodyHash(c.Body))
			if err != nil {
				t.Fatalf("botocore's signature refused: %v", err)
			}
			if p.AccessKeyID != vec.AccessKeyID {
				t.Fatalf("principal %+v", p)
			}
			// The same request after one change each: every one must be refused.
			type tamper struct {
				name string
				edit func(method, target *string, headers *[][2]string, body *string)
			}
			tampers := []tamper{
				{"method", func(m, _ *string, _ *[][2]string, _ *string) { *m = "DELETE" }},
				{"path", func(_, tg *string, _ *[][2]string, _ *string) {
					*tg = strings.Replace(*tg, "/", "/x", 1)
				}},
				{"query", func(_, tg *string, _ *[][2]string, _ *string) {
					if strings.Contains(*tg, "?") {
						*tg += "&extra=1"
					} else {
						*tg += "?extra=1"
					}
				}},
				{"signed header", func(_, _ *string, hs *[][2]string, _ *string) {
					for i, h := range *hs {
						if h[0] == "X-Amz-Date" {
							(*hs)[i][1] = "20260101T120001Z"
						}
					}
				}},
			}
			if c.Body != "" && !strings.Contains(c.Name, "presigned") {
				tampers = append(tampers, tamper{"body", func(_, _ *string, _ *[][2]string, b *string) { *b += " " }})
			}
			for _, tc := range tampers {
				m, tg, b := c.Method, c.Target, c.Body
				hs := append([][2]string(nil), c.Headers...)
				if tc.name == "signed header" && strings.Contains(c.Name, "presigned") {
					continue // a presigned URL signs the host only; its date is in the query
				}
				tc.edit(&m, &tg, &hs, &b)
				_, err := v.Verify(vectorRequest(m, tg, hs, b), bodyHash(b))
				if f := authFailure(err); f != AuthSignatureMismatch {
					t.Errorf("%s changed: got %v (%v), want a signature mismatch", tc.name, f, err)
				}
			}
		})
	}
}

func TestSigV4Refusals(t *testing.T) {
	t.Parallel()
	vec := loadBotocoreVectors(t)
	c := vec.Cases[0] // the Step Functions request
	keys := map[string]string{vec.AccessKeyID: vec.Secret}
	req := func() *http.Request { return vectorRequest(c.Method, c.Target, c.Headers, c.Body) }
	withAuth := func(auth string) *http.Request {
		r := req()
		r.Header.Set("Authorization", auth)
		return r
	}
	tests := []struct {
		name string
		v    *SigV4Verifier
		r    *http.Request
		want AuthFailure
		msg  string
	}{
		{"unsigned", verifierAt(keys, vec.Now), vectorRequest("POST", "/", nil, "{}"), AuthMissing, "Missing Authentication Token"},
		{"unknown key", verifierAt(map[string]string{"OTHER": "x"}, vec.Now), req(), AuthUnknownKey, "The security token included in the request is invalid."},
		{"wrong secret", verifierAt(map[string]string{vec.AccessKeyID: "nope"}, vec.Now), req(), AuthSignatureMismatch, signatureMismatchMessage},
		{"16 minutes late", verifierAt(keys, "20260101T121600Z"), req(), AuthExpired,
			"Signature expired: 20260101T120000Z is now earlier than 20260101T120100Z (20260101T121600Z - 15 min.)"},
		{"16 minutes early", verifierAt(keys, "20260101T114400Z"), req(), AuthExpired,
			"Signature not yet current: 20260101T120000Z is still later than 20260101T115900Z (20260101T114400Z + 15 min.)"},
		{"SigV2", verifierAt(keys, vec.Now), withAuth("AWS AKIDEXAMPLE:abc"), AuthIncomplete, "Unsupported Authorization Type"},
		{"no signature", verifierAt(keys, vec.Now),
			withAuth("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/states/aws4_request, SignedHeaders=host"),
			AuthIncomplete, "Authorization header requires 'Signature' parameter."},
		{"bad terminator", verifierAt(keys, vec.Now),
			withAuth("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/states/aws5_request, SignedHeaders=host, Signature=00"),
			AuthIncomplete, "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'."},
		{"short credential", verifierAt(keys, vec.Now),
			withAuth("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/aws4_request, SignedHeaders=host, Signature=00"),
			AuthIncomplete, "Credential should be of the form"},
		{"scope date differs", verifierAt(keys, vec.Now),
			withAuth("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20251231/us-east-1/states/aws4_request, SignedHeaders=host, Signature=00"),
			AuthSignatureMismatch, "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20251231' != '20260101', from 'X-Amz-Date'."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := tt.v.Verify(tt.r, bodyHash(c.Body))
			if f := authFailure(err); f != tt.want || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("got %v %v, want %v %q", f, err, tt.want, tt.msg)
			}
		})
	}
}

func TestSigV4PresignedExpiry(t *testing.T) {
	t.Parallel()
	vec := loadBotocoreVectors(t)
	c := vec.Cases[len(vec.Cases)-1]
	if !strings.Contains(c.Name, "presigned") {
		t.Fatal("the last vector should be the presigned URL")
	}
	keys := map[string]string{vec.AccessKeyID: vec.Secret}
	r := vectorRequest(c.Method, c.Target, c.Headers, c.Body)
	if _, err := verifierAt(keys, "20260101T125959Z").Verify(r, bodyHash("")); err != nil {
		t.Fatalf("within the hour: %v", err)
	}
	if _, err := verifierAt(keys, "20260101T130001Z").Verify(r, bodyHash("")); authFailure(err) != AuthExpired {
		t.Fatalf("after the hour: %v", err)
	}
}

func TestSigV4ContentSHA256MustMatchTheBody(t *testing.T) {
	t.Parallel()
	vec := loadBotocoreVectors(t)
	c := vec.Cases[3] // S3 PUT, signed with x-amz-content-sha256
	v := verifierAt(map[string]string{vec.AccessKeyID: vec.Secret}, vec.Now)
	r := vectorRequest(c.Method, c.Target, c.Headers, c.Body)
	// Streamed: the header stands for the body, the signature holds.
	if _, err := v.Verify(r, ""); err != nil {
		t.Fatalf("streamed: %v", err)
	}
	// Read, and not what the header claims.
	if _, err := v.Verify(r, bodyHash("something else")); authFailure(err) != AuthSignatureMismatch {
		t.Fatalf("mismatched body: %v", err)
	}
}

func TestParseScope(t *testing.T) {
	t.Parallel()
	tests := []struct {
		auth, query string
		want        Scope
		ok          bool
	}{
		{"AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/states/aws4_request, SignedHeaders=host;x-amz-date, Signature=ab", "",
			Scope{"AKID", "20260101", "us-east-1", "states"}, true},
		{"AWS4-HMAC-SHA256 Credential=test/20260101/eu-west-3/s3/aws4_request,SignedHeaders=host,Signature=ab", "",
			Scope{"test", "20260101", "eu-west-3", "s3"}, true},
		{"", "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=K%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20260101T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=ab",
			Scope{"K", "20260101", "us-east-1", "s3"}, true},
		{"", "", Scope{}, false},
		{"Bearer xyz", "", Scope{}, false},
		{"AWS4-HMAC-SHA256 Credential=AKID/us-east-1/states/aws4_request, SignedHeaders=host, Signature=ab", "", Scope{}, false},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("POST", "/?"+tt.query, nil)
		r.Header.Set("X-Amz-Date", "20260101T000000Z")
		if tt.auth != "" {
			r.Header.Set("Authorization", tt.auth)
		}
		got, ok := ParseScope(r)
		if got != tt.want || ok != tt.ok {
			t.Errorf("%q %q: got %+v %v, want %+v %v", tt.auth, tt.query, got, ok, tt.want, tt.ok)
		}
	}
}

func TestCanonicalURI(t *testing.T) {
	t.Parallel()
	tests := []struct{ path, service, want string }{
		{"/", "states", "/"},
		{"", "states", "/"},
		{"/a/./b/../c//d/", "lambda", "/a/c/d/"},
		{"/functions/arn%3Aaws/x", "lambda", "/functions/arn%253Aaws/x"},
		{"/bucket/a%20b/./c", "s3", "/bucket/a%20b/./c"},
	}
	for _, tt := range tests {
		r := &http.Request{RequestURI: tt.path + "?q=1", URL: &url.URL{Path: tt.path}}
		if got := canonicalURI(r, tt.service); got != tt.want {
			t.Errorf("%s %s: got %s, want %s", tt.service, tt.path, got, tt.want)
		}
	}
}

func TestCanonicalQuery(t *testing.T) {
	t.Parallel()
	tests := []struct {
		raw       string
		presigned bool
		want      string
	}{
		{"", false, ""},
		{"b=2&a=1&a=0", false, "a=0&a=1&b=2"},
		{"uploads", false, "uploads="},
		{"k=a+b&s=%7e%2f", false, "k=a%2Bb&s=~%2F"},
		{"X-Amz-Signature=ab&X-Amz-Date=1", true, "X-Amz-Date=1"},
	}
	for _, tt := range tests {
		if got := canonicalQuery(tt.raw, tt.presigned); got != tt.want {
			t.Errorf("%q: got %q, want %q", tt.raw, got, tt.want)
		}
	}
}

func FuzzParseSignature(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/states/aws4_request, SignedHeaders=host;x-amz-date, Signature=ab", "20260101T000000Z", "")
	f.Add("AWS4-HMAC-SHA256 Credential=/////, SignedHeaders=, Signature=", "2", "a=b&c")
	f.Add("", "", "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a/b/c/d/aws4_request&X-Amz-Expires=-1")
	v := NewSigV4Verifier(map[string]string{"AKID": "secret", "": ""})
	f.Fuzz(func(t *testing.T, auth, date, query string) {
		r, err := http.NewRequest("GET", "http://h/p?"+query, nil)
		if err != nil {
			return
		}
		r.Header.Set("Authorization", auth)
		r.Header.Set("X-Amz-Date", date)
		_, _ = ParseScope(r)
		if _, err := v.Verify(r, bodyHash("")); err != nil && authFailure(err) == 0 {
			t.Fatalf("not an AuthError: %v", err)
		}
	})
}
