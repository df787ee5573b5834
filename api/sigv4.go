package api

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Scope is the credential scope of a Signature Version 4 signature, as in
// "Credential=AKID/20260101/us-east-1/states/aws4_request". It names the region and the
// service the client meant, so it routes requests whose path alone is ambiguous.
type Scope struct {
	AccessKeyID string
	Date        string // YYYYMMDD
	Region      string
	Service     string // signing name: states, sagemaker, s3, lambda, sns...
}

// ParseScope reads the credential scope of a request from its Authorization header or,
// for a presigned URL, its X-Amz-Credential parameter. ok is false for an unsigned or
// malformed request.
func ParseScope(r *http.Request) (s Scope, ok bool) {
	// Only the credential is read: routing needs the scope even when the rest of the
	// signature is broken (then verification, if on, says what is wrong).
	cred := r.URL.Query().Get("X-Amz-Credential")
	if auth := r.Header.Get("Authorization"); auth != "" {
		alg, rest, _ := strings.Cut(strings.TrimSpace(auth), " ")
		if alg != sigV4Algorithm {
			return Scope{}, false
		}
		cred = ""
		for part := range strings.SplitSeq(rest, ",") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(part), "Credential="); ok {
				cred = v
			}
		}
	}
	s, err := parseCredential(cred)
	return s, err == nil
}

// AuthFailure says why a signature was refused; each protocol's services name the same
// failure with their own code (InvalidSignatureException, SignatureDoesNotMatch...).
type AuthFailure int

// The ways a signature check fails.
const (
	AuthMissing           AuthFailure = iota + 1 // the request is not signed
	AuthIncomplete                               // the signature's parts are malformed or missing
	AuthUnknownKey                               // no secret is configured for the access key
	AuthSignatureMismatch                        // the signature does not match the request
	AuthExpired                                  // the signing time is too far from now, or a presigned URL expired
)

// AuthError is a refused signature.
type AuthError struct {
	Failure AuthFailure
	Message string
}

func (e *AuthError) Error() string { return e.Message }

// Principal is who signed a verified request.
type Principal struct {
	AccessKeyID string
}

// Verifier checks a request's signature. bodyHash is the lowercase hex SHA-256 of the
// body the dispatcher has read, or "" when the body is streamed to the service unread
// (then the client's x-amz-content-sha256 header stands for it and the service checks
// the body against it). Failures are *AuthError.
type Verifier interface {
	Verify(r *http.Request, bodyHash string) (Principal, error)
}

// KeyStore gives the secret of an access key.
type KeyStore interface {
	SecretAccessKey(accessKeyID string) (secret string, ok bool)
}

// StaticKeys is a fixed set of access keys: access key id to secret access key.
type StaticKeys map[string]string

// SecretAccessKey looks the key up.
func (k StaticKeys) SecretAccessKey(id string) (string, bool) {
	s, ok := k[id]
	return s, ok
}

// SigV4Verifier verifies AWS Signature Version 4 (HMAC-SHA256), in the Authorization
// header or in a presigned URL's query.
type SigV4Verifier struct {
	Keys KeyStore
	// Now is the clock the signing time is checked against; nil means time.Now.
	Now func() time.Time
	// MaxSkew is how far the signing time may be from now; 0 means AWS's 15 minutes.
	MaxSkew time.Duration
}

// NewSigV4Verifier verifies against a fixed set of keys (access key id to secret).
func NewSigV4Verifier(keys map[string]string) *SigV4Verifier {
	return &SigV4Verifier{Keys: StaticKeys(keys)}
}

const (
	sigV4Algorithm  = "AWS4-HMAC-SHA256"
	amzDateFormat   = "20060102T150405Z"
	unsignedPayload = "UNSIGNED-PAYLOAD"
	// A presigned URL may live at most a week.
	maxPresignExpiry         = 7 * 24 * 3600
	signatureMismatchMessage = "The request signature we calculated does not match the signature you provided. " +
		"Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)

// Verify checks the signature of r.
func (v *SigV4Verifier) Verify(r *http.Request, bodyHash string) (Principal, error) {
	sr, err := parseSignature(r)
	if err != nil {
		return Principal{}, err
	}
	if sr == nil {
		return Principal{}, &AuthError{AuthMissing, "Missing Authentication Token"}
	}
	secret, ok := v.Keys.SecretAccessKey(sr.scope.AccessKeyID)
	if !ok {
		return Principal{}, &AuthError{AuthUnknownKey, "The security token included in the request is invalid."}
	}
	signedAt, err := time.Parse(amzDateFormat, sr.amzDate)
	if err != nil {
		return Principal{}, &AuthError{AuthIncomplete, fmt.Sprintf("Invalid X-Amz-Date '%s'; it must be in the form YYYYMMDD'T'HHMMSS'Z'.", sr.amzDate)}
	}
	if sr.scope.Date != sr.amzDate[:8] {
		return Principal{}, &AuthError{AuthSignatureMismatch, fmt.Sprintf(
			"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'.",
			sr.scope.Date, sr.amzDate[:8], sr.dateSource)}
	}
	if err := v.checkTime(sr, signedAt); err != nil {
		return Principal{}, err
	}
	payload, err := payloadHash(r, sr, bodyHash)
	if err != nil {
		return Principal{}, err
	}
	want := computeSignature(secret, sr, canonicalRequest(r, sr, payload))
	if !hmac.Equal([]byte(want), []byte(strings.ToLower(sr.signature))) {
		return Principal{}, &AuthError{AuthSignatureMismatch, signatureMismatchMessage}
	}
	return Principal{AccessKeyID: sr.scope.AccessKeyID}, nil
}

func (v *SigV4Verifier) checkTime(sr *signedRequest, signedAt time.Time) error {
	now := time.Now()
	if v.Now != nil {
		now = v.Now()
	}
	now = now.UTC()
	skew := v.MaxSkew
	if skew == 0 {
		skew = 15 * time.Minute
	}
	mins := int(skew / time.Minute)
	if sr.presigned {
		if sr.expires < 1 || sr.expires > maxPresignExpiry {
			return &AuthError{AuthIncomplete, fmt.Sprintf("X-Amz-Expires must be between 1 and %d seconds", maxPresignExpiry)}
		}
		if now.After(signedAt.Add(time.Duration(sr.expires) * time.Second)) {
			return &AuthError{AuthExpired, "Request has expired"}
		}
		if signedAt.Sub(now) > skew {
			return &AuthError{AuthExpired, "Request is not yet valid"}
		}
		return nil
	}
	switch {
	case now.Sub(signedAt) > skew:
		return &AuthError{AuthExpired, fmt.Sprintf("Signature expired: %s is now earlier than %s (%s - %d min.)",
			sr.amzDate, now.Add(-skew).Format(amzDateFormat), now.Format(amzDateFormat), mins)}
	case signedAt.Sub(now) > skew:
		return &AuthError{AuthExpired, fmt.Sprintf("Signature not yet current: %s is still later than %s (%s + %d min.)",
			sr.amzDate, now.Add(skew).Format(amzDateFormat), now.Format(amzDateFormat), mins)}
	}
	return nil
}

// payloadHash is the hash the client put in its canonical request: its
// x-amz-content-sha256 header when present (S3 always sends one), UNSIGNED-PAYLOAD for a
// presigned S3 URL, otherwise the hash of the body read.
func payloadHash(r *http.Request, sr *signedRequest, bodyHash string) (string, error) {
	if h := r.Header.Get("X-Amz-Content-Sha256"); h != "" {
		if bodyHash != "" && isHexSHA256(h) && !strings.EqualFold(h, bodyHash) {
			return "", &AuthError{AuthSignatureMismatch, "The provided 'x-amz-content-sha256' header does not match what was computed."}
		}
		return h, nil
	}
	if sr.presigned && sr.scope.Service == "s3" {
		return unsignedPayload, nil
	}
	if bodyHash == "" {
		return "", &AuthError{AuthIncomplete, "Missing required header for this request: x-amz-content-sha256"}
	}
	return bodyHash, nil
}

func isHexSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// signedRequest is the signature part of a request: the Authorization header's fields
// or a presigned URL's X-Amz-* parameters.
type signedRequest struct {
	scope         Scope
	signedHeaders []string
	signature     string
	amzDate       string
	dateSource    string // the header or parameter amzDate came from
	presigned     bool
	expires       int64
}

// parseSignature reads the signature parts of r; nil, nil for an unsigned request.
func parseSignature(r *http.Request) (*signedRequest, error) {
	auth := r.Header.Get("Authorization")
	if auth == "" {
		q := r.URL.Query()
		if q.Get("X-Amz-Algorithm") == "" && q.Get("X-Amz-Credential") == "" {
			return nil, nil
		}
		return parsePresigned(q)
	}
	alg, rest, _ := strings.Cut(strings.TrimSpace(auth), " ")
	if alg != sigV4Algorithm {
		return nil, &AuthError{AuthIncomplete, fmt.Sprintf("Unsupported Authorization Type: '%s'; stepwise accepts AWS4-HMAC-SHA256 (Signature Version 4) only", alg)}
	}
	fields := map[string]string{}
	for part := range strings.SplitSeq(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		fields[k] = v
	}
	var missing []string
	for _, k := range []string{"Credential", "Signature", "SignedHeaders"} {
		if fields[k] == "" {
			missing = append(missing, fmt.Sprintf("Authorization header requires '%s' parameter.", k))
		}
	}
	if len(missing) > 0 {
		return nil, &AuthError{AuthIncomplete, strings.Join(missing, " ") + " Authorization=" + auth}
	}
	sr := &signedRequest{signature: fields["Signature"], signedHeaders: strings.Split(fields["SignedHeaders"], ";")}
	var err error
	if sr.scope, err = parseCredential(fields["Credential"]); err != nil {
		return nil, err
	}
	switch {
	case r.Header.Get("X-Amz-Date") != "":
		sr.amzDate, sr.dateSource = r.Header.Get("X-Amz-Date"), "X-Amz-Date"
	case r.Header.Get("Date") != "":
		t, err := http.ParseTime(r.Header.Get("Date"))
		if err != nil {
			return nil, &AuthError{AuthIncomplete, "Date must be in ISO-8601 'basic format'. Got '" + r.Header.Get("Date") + "'."}
		}
		sr.amzDate, sr.dateSource = t.UTC().Format(amzDateFormat), "Date"
	default:
		return nil, &AuthError{AuthIncomplete, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=" + auth}
	}
	if len(sr.amzDate) < 8 {
		return nil, &AuthError{AuthIncomplete, "Date must be in ISO-8601 'basic format'. Got '" + sr.amzDate + "'."}
	}
	return sr, nil
}

func parsePresigned(q url.Values) (*signedRequest, error) {
	if alg := q.Get("X-Amz-Algorithm"); alg != sigV4Algorithm {
		return nil, &AuthError{AuthIncomplete, fmt.Sprintf("X-Amz-Algorithm only supports \"%s\", not \"%s\"", sigV4Algorithm, alg)}
	}
	var missing []string
	for _, k := range []string{"X-Amz-Credential", "X-Amz-Signature", "X-Amz-SignedHeaders", "X-Amz-Date", "X-Amz-Expires"} {
		if q.Get(k) == "" {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return nil, &AuthError{AuthIncomplete, "AWS query-string parameters must include " + strings.Join(missing, ", ") + "."}
	}
	sr := &signedRequest{
		signature:     q.Get("X-Amz-Signature"),
		signedHeaders: strings.Split(q.Get("X-Amz-SignedHeaders"), ";"),
		amzDate:       q.Get("X-Amz-Date"),
		dateSource:    "X-Amz-Date",
		presigned:     true,
	}
	var err error
	if sr.expires, err = strconv.ParseInt(q.Get("X-Amz-Expires"), 10, 64); err != nil {
		return nil, &AuthError{AuthIncomplete, "X-Amz-Expires should be a number"}
	}
	if sr.scope, err = parseCredential(q.Get("X-Amz-Credential")); err != nil {
		return nil, err
	}
	if len(sr.amzDate) < 8 {
		return nil, &AuthError{AuthIncomplete, "X-Amz-Date must be in ISO-8601 'basic format'. Got '" + sr.amzDate + "'."}
	}
	return sr, nil
}

func parseCredential(c string) (Scope, error) {
	parts := strings.Split(c, "/")
	if len(parts) < 5 || parts[0] == "" {
		return Scope{}, &AuthError{AuthIncomplete, fmt.Sprintf("Credential should be of the form ACCESS_KEY/YYYYMMDD/REGION/SERVICE/aws4_request, not '%s'.", c)}
	}
	n := len(parts)
	if parts[n-1] != "aws4_request" {
		return Scope{}, &AuthError{AuthIncomplete, fmt.Sprintf("Credential should be scoped with a valid terminator: 'aws4_request', not '%s'.", parts[n-1])}
	}
	return Scope{
		AccessKeyID: strings.Join(parts[:n-4], "/"),
		Date:        parts[n-4],
		Region:      parts[n-3],
		Service:     parts[n-2],
	}, nil
}

// canonicalRequest builds the canonical request the client signed.
func canonicalRequest(r *http.Request, sr *signedRequest, payload string) string {
	var b strings.Builder
	b.WriteString(r.Method)
	b.WriteByte('\n')
	b.WriteString(canonicalURI(r, sr.scope.Service))
	b.WriteByte('\n')
	b.WriteString(canonicalQuery(r.URL.RawQuery, sr.presigned))
	b.WriteByte('\n')
	for _, h := range sr.signedHeaders {
		b.WriteString(h)
		b.WriteByte(':')
		b.WriteString(canonicalHeaderValue(r, h))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(strings.Join(sr.signedHeaders, ";"))
	b.WriteByte('\n')
	b.WriteString(payload)
	return b.String()
}

func computeSignature(secret string, sr *signedRequest, canonical string) string {
	sum := sha256.Sum256([]byte(canonical))
	scope := sr.scope.Date + "/" + sr.scope.Region + "/" + sr.scope.Service + "/aws4_request"
	toSign := sigV4Algorithm + "\n" + sr.amzDate + "\n" + scope + "\n" + hex.EncodeToString(sum[:])
	key := hmacSHA256([]byte("AWS4"+secret), sr.scope.Date)
	key = hmacSHA256(key, sr.scope.Region)
	key = hmacSHA256(key, sr.scope.Service)
	key = hmacSHA256(key, "aws4_request")
	return hex.EncodeToString(hmacSHA256(key, toSign))
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// canonicalURI is the path as signed. S3 signs the path exactly as sent; every other
// service signs it with dot segments and repeated slashes removed, then URI-encoded once
// more (so "%3A" on the wire is signed as "%253A").
func canonicalURI(r *http.Request, service string) string {
	p := wirePath(r)
	if service == "s3" {
		if p == "" {
			return "/"
		}
		return p
	}
	return uriEncode(removeDotSegments(p), true)
}

// wirePath is the request's path as the client sent it, escapes included.
func wirePath(r *http.Request) string {
	if strings.HasPrefix(r.RequestURI, "/") {
		p, _, _ := strings.Cut(r.RequestURI, "?")
		return p
	}
	return r.URL.EscapedPath()
}

// removeDotSegments resolves "." and ".." and drops empty segments, as clients do before
// signing (RFC 3986 5.2.4, plus AWS's removal of repeated slashes).
func removeDotSegments(p string) string {
	if p == "" {
		return "/"
	}
	var out []string
	for seg := range strings.SplitSeq(p, "/") {
		switch seg {
		case "", ".":
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		default:
			out = append(out, seg)
		}
	}
	s := "/" + strings.Join(out, "/")
	if strings.HasSuffix(p, "/") && len(out) > 0 {
		s += "/"
	}
	return s
}

func canonicalQuery(raw string, presigned bool) string {
	type pair struct{ k, v string }
	var pairs []pair
	for part := range strings.SplitSeq(raw, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		k, v = unescape(k), unescape(v)
		if presigned && k == "X-Amz-Signature" {
			continue
		}
		pairs = append(pairs, pair{uriEncode(k, false), uriEncode(v, false)})
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].k != pairs[j].k {
			return pairs[i].k < pairs[j].k
		}
		return pairs[i].v < pairs[j].v
	})
	var b strings.Builder
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.k)
		b.WriteByte('=')
		b.WriteString(p.v)
	}
	return b.String()
}

// unescape decodes percent escapes and leaves '+' alone: SigV4 clients encode a space as
// %20, so a '+' is a plus.
func unescape(s string) string {
	if u, err := url.PathUnescape(s); err == nil {
		return u
	}
	return s
}

func canonicalHeaderValue(r *http.Request, name string) string {
	var vals []string
	switch name {
	case "host":
		vals = []string{r.Host}
	default:
		vals = r.Header.Values(name)
		if name == "content-length" && len(vals) == 0 && r.ContentLength >= 0 {
			vals = []string{strconv.FormatInt(r.ContentLength, 10)}
		}
	}
	// Values shares its slice with the request's headers: build a new one.
	trimmed := make([]string, len(vals))
	for i, v := range vals {
		trimmed[i] = strings.Join(strings.Fields(v), " ")
	}
	return strings.Join(trimmed, ",")
}

// uriEncode percent-encodes every byte but the unreserved characters of RFC 3986 (and
// '/' when keepSlash), with upper-case hex, as SigV4 requires.
func uriEncode(s string, keepSlash bool) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
			c == '-' || c == '_' || c == '.' || c == '~' || c == '/' && keepSlash {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}
