package s3api

import (
	"bufio"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

type pyResult struct {
	Check  string `json:"check"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
	Skip   string `json:"skip"`
}

// runBoto3 runs testdata/boto3_checks.py against s and reports each check as a subtest.
func runBoto3(t *testing.T, s *testServer, key, secret string, extra ...string) {
	t.Helper()
	script, err := filepath.Abs(filepath.Join("testdata", "boto3_checks.py"))
	if err != nil {
		t.Fatal(err)
	}
	args := append([]string{script, s.URL, key, secret, t.TempDir()}, extra...)
	stdout, stderr, code := runCmd(t, clientEnv(t, key, secret), t.TempDir(), "python3", args...)
	var results []pyResult
	sc := bufio.NewScanner(strings.NewReader(stdout))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var r pyResult
		if json.Unmarshal(sc.Bytes(), &r) == nil && r.Check != "" {
			results = append(results, r)
		}
	}
	if code != 0 || len(results) == 0 {
		t.Fatalf("boto3_checks.py: exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	for _, r := range results {
		t.Run(r.Check, func(t *testing.T) {
			switch {
			case r.Skip != "":
				t.Skip(r.Skip)
			case !r.OK:
				t.Error(r.Detail)
			}
		})
	}
}

// TestBoto3 drives the API with boto3 over plain HTTP, signatures unchecked (what a
// user on loopback has): managed transfers, paginators, copies, checksums in headers.
func TestBoto3(t *testing.T) {
	t.Parallel()
	needBoto3(t)
	s := newTestServer(t, serverOpts{})
	runBoto3(t, s, "test", "test")
	if kinds := s.payloadKinds(); kinds["hash"] == 0 {
		t.Errorf("boto3 sent no signed payload hashes over HTTP: %v", kinds)
	}
}

// TestBoto3SignedTLS drives it over HTTPS with signatures checked: there boto3 sends
// bodies aws-chunked (STREAMING-UNSIGNED-PAYLOAD-TRAILER) with a trailing CRC32.
func TestBoto3SignedTLS(t *testing.T) {
	t.Parallel()
	needBoto3(t)
	creds := map[string]string{"AKIDBOTO": "boto-secret"}
	s := newTestServer(t, serverOpts{creds: creds, tls: true})
	runBoto3(t, s, "AKIDBOTO", "boto-secret", "tls")
	if kinds := s.payloadKinds(); kinds[streamingUnsigned] == 0 {
		t.Errorf("boto3 sent no aws-chunked bodies over HTTPS: %v", kinds)
	}
}
