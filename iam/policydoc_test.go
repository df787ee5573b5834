package iam

import (
	"net/url"
	"strings"
	"testing"
)

func TestCheckPolicy(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, doc string
		kind      docKind
		want      string // "" accepted, else the message
	}{
		{"trust", sagemakerTrust, trustPolicy, ""},
		{"trust without version", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}`, trustPolicy, ""},
		{"trust star principal", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}}`, trustPolicy, ""},
		{"trust with resource", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Resource":"*"}]}`, trustPolicy, "Has prohibited field Resource"},
		{"trust without principal", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"}]}`, trustPolicy, "Missing required field Principal"},
		{"bad principal key", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Robot":"x"},"Action":"sts:AssumeRole"}]}`, trustPolicy, "Invalid principal in policy: {\"Robot\":\"x\"}"},
		{"identity", statesPolicy, identityPolicy, ""},
		{"identity not actions", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotAction":"iam:*","NotResource":"arn:aws:iam::*:*"}]}`, identityPolicy, ""},
		{"identity with principal", sagemakerTrust, identityPolicy, "Policy document should not specify a principal."},
		{"no resource", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*"}]}`, identityPolicy, "Policy statement must contain resources."},
		{"no action", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Resource":"*"}]}`, identityPolicy, "Policy statement must contain actions."},
		{"action without vendor", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"GetObject","Resource":"*"}]}`, identityPolicy, "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."},
		{"resource not arn", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"bucket"}]}`, identityPolicy, `Resource bucket must be in ARN format or "*".`},
		{"condition", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:RequestedRegion":"us-east-1"}}}]}`, identityPolicy, ""},
		{"bad condition", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":"x"}]}`, identityPolicy, "Syntax errors in policy."},
		{"not json", `{"Version":`, identityPolicy, "This policy contains invalid Json"},
		{"array", `[]`, identityPolicy, "This policy contains invalid Json"},
		{"two values", `{} {}`, identityPolicy, "This policy contains invalid Json"},
		{"bad version", `{"Version":"2020-01-01","Statement":[]}`, identityPolicy, "The policy failed legacy parsing"},
		{"no statement", `{"Version":"2012-10-17"}`, identityPolicy, "Missing required field Statement"},
		{"empty statement", `{"Version":"2012-10-17","Statement":[]}`, identityPolicy, "Syntax errors in policy."},
		{"unknown key", `{"Version":"2012-10-17","Statement":[],"Extra":1}`, identityPolicy, "Syntax errors in policy."},
		{"bad effect", `{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Action":"s3:*","Resource":"*"}]}`, identityPolicy, "Syntax errors in policy."},
		{"no effect", `{"Version":"2012-10-17","Statement":[{"Action":"s3:*","Resource":"*"}]}`, identityPolicy, "Missing required field Effect"},
		{"null statement", `{"Version":"2012-10-17","Statement":[null]}`, identityPolicy, "Syntax errors in policy."},
	} {
		err := checkPolicy(c.doc, c.kind)
		got := ""
		if err != nil {
			got = strings.TrimPrefix(err.Error(), "MalformedPolicyDocument: ")
		}
		if got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
}

// FuzzCheckPolicy: no document panics the check, and an accepted one is a JSON object
// with statements.
func FuzzCheckPolicy(f *testing.F) {
	for _, s := range []string{sagemakerTrust, statesPolicy, `{"Statement":{"Effect":"Allow","Action":"a:b","Resource":"*"}}`,
		`{"Statement":[{"Effect":"Allow","Principal":{"AWS":["a"]},"Action":"sts:AssumeRole"}]}`, `{}`, `null`, `{"Statement":[1]}`} {
		f.Add(s, true)
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, doc string, trust bool) {
		kind := identityPolicy
		if trust {
			kind = trustPolicy
		}
		if err := checkPolicy(doc, kind); err == nil && !strings.Contains(doc, "Statement") {
			t.Fatalf("accepted a document without statements: %q", doc)
		}
	})
}

// FuzzQueryParams: the list and tag decoders and the pager take any form without
// panicking.
func FuzzQueryParams(f *testing.F) {
	f.Add("Tags.member.1.Key=a&Tags.member.1.Value=b&MaxItems=2&Marker=1")
	f.Add("Tags.member.99999999999999999999.Key=a&Marker=-1")
	f.Add("Tags.member.2.Key=A&Tags.member.1.Key=a&MaxItems=0")
	f.Fuzz(func(t *testing.T, form string) {
		p, err := url.ParseQuery(form)
		if err != nil {
			return
		}
		_, _ = tags(p)
		_ = stringList(p, "TagKeys")
		_, _, _, _ = page(p, []int{1, 2, 3})
		_, _ = required(p, fieldRole)
		_, _ = integer(p, "MaxSessionDuration", "maxSessionDuration", 3600, 43200, 3600)
	})
}

// TestQuoteDoc: documents are percent-encoded with %20 for spaces, which Python's
// urllib.parse.unquote (what botocore decodes with) reads back.
func TestQuoteDoc(t *testing.T) {
	t.Parallel()
	doc := "{\"a\": \"b+c d/é\"}\n"
	q := quoteDoc(doc)
	if strings.ContainsAny(q, "+ \n") {
		t.Fatalf("not encoded: %q", q)
	}
	back, err := url.PathUnescape(q)
	if err != nil || back != doc {
		t.Fatalf("round trip: %q %v", back, err)
	}
}
