package s3api

import (
	"bufio"
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"hash/crc32"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Raw HTTP: what the clients cannot be made to send (bad digests, hostile keys, signed
// aws-chunked bodies), and the exact shape of replies.

func TestBucketErrors(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, serverOpts{})
	resp, body := s.do(t, "PUT", "/errs", nil, nil)
	mustStatus(t, resp, body, 200)
	if resp.Header.Get("Location") != "/errs" {
		t.Errorf("CreateBucket Location %q", resp.Header.Get("Location"))
	}
	resp, body = s.do(t, "PUT", "/errs", nil, nil)
	wantError(t, resp, body, 409, "BucketAlreadyOwnedByYou")

	resp, body = s.do(t, "GET", "/nosuch?list-type=2", nil, nil)
	wantError(t, resp, body, 404, "NoSuchBucket")
	for _, part := range []string{"<Message>The specified bucket does not exist</Message>", "<BucketName>nosuch</BucketName>", "<RequestId>"} {
		if !bytes.Contains(body, []byte(part)) {
			t.Errorf("NoSuchBucket reply lacks %s: %s", part, body)
		}
	}
	if resp.Header.Get("x-amz-request-id") == "" {
		t.Error("no x-amz-request-id")
	}
	resp, body = s.do(t, "PUT", "/Bad_Name", nil, nil)
	wantError(t, resp, body, 400, "InvalidBucketName")
	if !bytes.Contains(body, []byte("<Message>The specified bucket is not valid.</Message>")) {
		t.Errorf("InvalidBucketName: %s", body)
	}

	resp, body = s.do(t, "HEAD", "/errs/missing", nil, nil)
	if resp.StatusCode != 404 || len(body) != 0 {
		t.Errorf("HeadObject of a missing key: %d %q", resp.StatusCode, body)
	}
	resp, body = s.do(t, "HEAD", "/nosuch", nil, nil)
	if resp.StatusCode != 404 || len(body) != 0 {
		t.Errorf("HeadBucket of a missing bucket: %d %q", resp.StatusCode, body)
	}
	resp, body = s.do(t, "GET", "/errs/missing/key", nil, nil)
	wantError(t, resp, body, 404, "NoSuchKey")
	if !bytes.Contains(body, []byte("<Key>missing/key</Key>")) || !bytes.Contains(body, []byte("<Message>The specified key does not exist.</Message>")) {
		t.Errorf("NoSuchKey: %s", body)
	}

	resp, body = s.do(t, "PUT", "/errs/k", []byte("x"), nil)
	mustStatus(t, resp, body, 200)
	resp, body = s.do(t, "DELETE", "/errs", nil, nil)
	wantError(t, resp, body, 409, "BucketNotEmpty")
	if !bytes.Contains(body, []byte("<Message>The bucket you tried to delete is not empty</Message>")) {
		t.Errorf("BucketNotEmpty: %s", body)
	}
	resp, body = s.do(t, "POST", "/errs/k", nil, nil)
	wantError(t, resp, body, 405, "MethodNotAllowed")

	resp, body = s.do(t, "GET", "/errs/"+strings.Repeat("k", 1025), nil, nil)
	wantError(t, resp, body, 400, "KeyTooLongError")
	resp, body = s.do(t, "PUT", "/errs/"+strings.Repeat("k", 1025), []byte("x"), nil)
	wantError(t, resp, body, 400, "KeyTooLongError")

	resp, body = s.do(t, "PUT", "/errs/k", []byte("x"), map[string]string{"Content-MD5": "nope"})
	wantError(t, resp, body, 400, "InvalidDigest")
}

func TestPutChecksBody(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, serverOpts{})
	s.do(t, "PUT", "/digests", nil, nil)
	resp, body := s.do(t, "PUT", "/digests/k", []byte("original"), nil)
	mustStatus(t, resp, body, 200)

	data := []byte("new content")
	otherMD5 := md5.Sum([]byte("something else"))
	resp, body = s.do(t, "PUT", "/digests/k", data, map[string]string{"Content-MD5": base64.StdEncoding.EncodeToString(otherMD5[:])})
	wantError(t, resp, body, 400, "BadDigest")

	otherSHA := sha256.Sum256([]byte("something else"))
	resp, body = s.do(t, "PUT", "/digests/k", data, map[string]string{"X-Amz-Content-Sha256": hex.EncodeToString(otherSHA[:])})
	wantError(t, resp, body, 400, "XAmzContentSHA256Mismatch")

	resp, body = s.do(t, "PUT", "/digests/k", data, map[string]string{"x-amz-checksum-crc32": "AAAAAA=="})
	wantError(t, resp, body, 400, "BadDigest")

	resp, body = s.do(t, "GET", "/digests/k", nil, nil)
	if string(body) != "original" {
		t.Fatalf("a put that failed its digest replaced the object: %q", body)
	}

	goodMD5 := md5.Sum(data)
	goodSHA := sha256.Sum256(data)
	crc := crc32.ChecksumIEEE(data)
	crcB64 := base64.StdEncoding.EncodeToString([]byte{byte(crc >> 24), byte(crc >> 16), byte(crc >> 8), byte(crc)})
	resp, body = s.do(t, "PUT", "/digests/k", data, map[string]string{
		"Content-MD5":          base64.StdEncoding.EncodeToString(goodMD5[:]),
		"X-Amz-Content-Sha256": hex.EncodeToString(goodSHA[:]),
		"x-amz-checksum-crc32": crcB64,
		"Content-Type":         "text/plain",
		"x-amz-meta-Color":     "blue",
	})
	mustStatus(t, resp, body, 200)
	if resp.Header.Get("ETag") != `"`+hex.EncodeToString(goodMD5[:])+`"` || resp.Header.Get("x-amz-checksum-crc32") != crcB64 {
		t.Errorf("PutObject reply headers %v", resp.Header)
	}
	resp, body = s.do(t, "GET", "/digests/k", nil, nil)
	if string(body) != string(data) || resp.Header.Get("Content-Type") != "text/plain" || resp.Header.Get("x-amz-meta-color") != "blue" {
		t.Errorf("GetObject: %q %v", body, resp.Header)
	}
}

func TestGetRangesAndConditions(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, serverOpts{})
	s.do(t, "PUT", "/ranges", nil, nil)
	resp, _ := s.do(t, "PUT", "/ranges/ten", []byte("0123456789"), nil)
	etag := resp.Header.Get("ETag")
	s.do(t, "PUT", "/ranges/empty", []byte{}, nil)

	for _, c := range []struct{ rng, body, contentRange string }{
		{"bytes=2-5", "2345", "bytes 2-5/10"},
		{"bytes=7-", "789", "bytes 7-9/10"},
		{"bytes=-3", "789", "bytes 7-9/10"},
		{"bytes=5-100", "56789", "bytes 5-9/10"},
	} {
		resp, body := s.do(t, "GET", "/ranges/ten", nil, map[string]string{"Range": c.rng})
		if resp.StatusCode != 206 || string(body) != c.body || resp.Header.Get("Content-Range") != c.contentRange ||
			resp.Header.Get("Content-Length") != strconv.Itoa(len(c.body)) {
			t.Errorf("Range %s: %d %q %q", c.rng, resp.StatusCode, body, resp.Header.Get("Content-Range"))
		}
	}
	for _, rng := range []string{"bytes=10-", "bytes=-0"} {
		resp, body := s.do(t, "GET", "/ranges/ten", nil, map[string]string{"Range": rng})
		wantError(t, resp, body, 416, "InvalidRange")
	}
	resp, body := s.do(t, "GET", "/ranges/empty", nil, map[string]string{"Range": "bytes=0-"})
	wantError(t, resp, body, 416, "InvalidRange")
	// Malformed ranges are ignored, as S3 does.
	resp, body = s.do(t, "GET", "/ranges/ten", nil, map[string]string{"Range": "bytes=x-y"})
	if resp.StatusCode != 200 || string(body) != "0123456789" {
		t.Errorf("malformed Range: %d %q", resp.StatusCode, body)
	}

	resp, body = s.do(t, "GET", "/ranges/ten", nil, map[string]string{"If-None-Match": etag})
	if resp.StatusCode != 304 || len(body) != 0 {
		t.Errorf("If-None-Match: %d %q", resp.StatusCode, body)
	}
	resp, body = s.do(t, "GET", "/ranges/ten", nil, map[string]string{"If-Match": `"nope"`})
	wantError(t, resp, body, 412, "PreconditionFailed")
	resp, body = s.do(t, "GET", "/ranges/ten", nil, map[string]string{"If-Match": etag})
	mustStatus(t, resp, body, 200)
	future := time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)
	past := time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat)
	resp, _ = s.do(t, "GET", "/ranges/ten", nil, map[string]string{"If-Modified-Since": future})
	if resp.StatusCode != 304 {
		t.Errorf("If-Modified-Since in the future: %d", resp.StatusCode)
	}
	resp, _ = s.do(t, "GET", "/ranges/ten", nil, map[string]string{"If-Modified-Since": past})
	if resp.StatusCode != 200 {
		t.Errorf("If-Modified-Since in the past: %d", resp.StatusCode)
	}
	resp, body = s.do(t, "HEAD", "/ranges/ten", nil, map[string]string{"If-Unmodified-Since": past})
	if resp.StatusCode != 412 || len(body) != 0 {
		t.Errorf("HEAD If-Unmodified-Since in the past: %d %q", resp.StatusCode, body)
	}
}

func TestVirtualHostedStyle(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, serverOpts{})
	u, _ := url.Parse(s.URL)
	host := "vhost.localhost:" + u.Port()
	resp, body := s.do(t, "PUT", "/", nil, map[string]string{"Host": host})
	mustStatus(t, resp, body, 200)
	resp, body = s.do(t, "PUT", "/dir/file.txt", []byte("hello"), map[string]string{"Host": host})
	mustStatus(t, resp, body, 200)
	resp, body = s.do(t, "GET", "/vhost/dir/file.txt", nil, nil)
	if resp.StatusCode != 200 || string(body) != "hello" {
		t.Fatalf("path-style read of a virtual-hosted put: %d %q", resp.StatusCode, body)
	}
	resp, body = s.do(t, "GET", "/?list-type=2", nil, map[string]string{"Host": host})
	if resp.StatusCode != 200 || !bytes.Contains(body, []byte("<Key>dir/file.txt</Key>")) {
		t.Errorf("virtual-hosted ListObjectsV2: %d %s", resp.StatusCode, body)
	}
}

// TestDotDotKeysStayInTheBucket pins that keys with "..", sent raw, are opaque names:
// nothing is written outside the store's directory and the key reads back as sent.
func TestDotDotKeysStayInTheBucket(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, serverOpts{})
	s.do(t, "PUT", "/dots", nil, nil)
	keys := []string{"../../etc/passwd", "../escape", "a/../../../b", "..", ".", "./x", "a//b", "%2e%2e/%2e%2e/enc"}
	for _, k := range keys {
		req, err := http.NewRequestWithContext(t.Context(), "PUT", s.URL, strings.NewReader("payload "+k))
		if err != nil {
			t.Fatal(err)
		}
		req.URL.Opaque = "/dots/" + k // sent as is, not cleaned
		resp, body := send(t, req)
		mustStatus(t, resp, body, 200)
	}
	if out := walkOutside(t, s.Dir, s.Root); len(out) > 0 {
		t.Fatalf("files written outside the store: %v", out)
	}
	resp, body := s.do(t, "GET", "/dots?list-type=2", nil, nil)
	mustStatus(t, resp, body, 200)
	for _, k := range []string{"../../etc/passwd", "../escape", "a/../../../b", "..", "./x", "a//b", "../../enc"} {
		if !bytes.Contains(body, []byte("<Key>"+k+"</Key>")) {
			t.Errorf("key %q not listed: %s", k, body)
		}
	}
	req, _ := http.NewRequestWithContext(t.Context(), "GET", s.URL, nil)
	req.URL.Opaque = "/dots/../../etc/passwd"
	resp, body = send(t, req)
	if resp.StatusCode != 200 || string(body) != "payload ../../etc/passwd" {
		t.Errorf("GET ../../etc/passwd: %d %q", resp.StatusCode, body)
	}
}

func TestXMLBodies(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, serverOpts{})
	s.do(t, "PUT", "/xml", nil, nil)
	resp, body := s.do(t, "POST", "/xml?delete", []byte("<Delete><Object><Key>a</Key></Object>"), nil)
	wantError(t, resp, body, 400, "MalformedXML")
	resp, body = s.do(t, "POST", "/xml?delete", []byte("<Delete></Delete>"), nil)
	wantError(t, resp, body, 400, "MalformedXML")
	big := "<Delete>" + strings.Repeat("<Object><Key>k</Key></Object>", 40000) + "</Delete>"
	resp, body = s.do(t, "POST", "/xml?delete", []byte(big), nil)
	wantError(t, resp, body, 400, "MaxMessageLengthExceeded")
	resp, body = s.do(t, "PUT", "/xml?versioning", []byte("<VersioningConfiguration><Status>Sometimes</Status></VersioningConfiguration>"), nil)
	wantError(t, resp, body, 400, "MalformedXML")
	resp, body = s.do(t, "PUT", "/xml2", []byte("<CreateBucketConfiguration><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>"), nil)
	mustStatus(t, resp, body, 200)
	resp, body = s.do(t, "GET", "/xml2?location", nil, nil)
	if !bytes.Contains(body, []byte(">eu-west-1</LocationConstraint>")) {
		t.Errorf("GetBucketLocation: %s", body)
	}

	s.do(t, "PUT", "/xml/a", []byte("a"), nil)
	s.do(t, "PUT", "/xml/b", []byte("b"), nil)
	resp, body = s.do(t, "POST", "/xml?delete", []byte(`<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Quiet>true</Quiet>
		<Object><Key>a</Key></Object><Object><Key>b</Key><VersionId>null</VersionId></Object><Object><Key>never</Key></Object></Delete>`), nil)
	if resp.StatusCode != 200 || bytes.Contains(body, []byte("<Deleted>")) {
		t.Errorf("quiet DeleteObjects: %d %s", resp.StatusCode, body)
	}
	resp, body = s.do(t, "GET", "/xml?list-type=2", nil, nil)
	if bytes.Contains(body, []byte("<Contents>")) {
		t.Errorf("DeleteObjects left objects: %s", body)
	}
}

func TestMultipartErrors(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, serverOpts{})
	s.do(t, "PUT", "/mpu", nil, nil)
	resp, body := s.do(t, "POST", "/mpu/obj?uploadId=nope", []byte("<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\"x\"</ETag></Part></CompleteMultipartUpload>"), nil)
	wantError(t, resp, body, 404, "NoSuchUpload")

	resp, body = s.do(t, "POST", "/mpu/obj?uploads", nil, nil)
	mustStatus(t, resp, body, 200)
	id := between(string(body), "<UploadId>", "</UploadId>")
	etags := map[int]string{}
	for n := 1; n <= 2; n++ {
		resp, body = s.do(t, "PUT", "/mpu/obj?partNumber="+strconv.Itoa(n)+"&uploadId="+id, []byte("small part"), nil)
		mustStatus(t, resp, body, 200)
		etags[n] = resp.Header.Get("ETag")
	}
	resp, body = s.do(t, "PUT", "/mpu/obj?partNumber=10001&uploadId="+id, []byte("x"), nil)
	wantError(t, resp, body, 400, "InvalidArgument")
	complete := func(parts ...[2]string) (*http.Response, []byte) {
		var b strings.Builder
		b.WriteString("<CompleteMultipartUpload>")
		for _, p := range parts {
			b.WriteString("<Part><PartNumber>" + p[0] + "</PartNumber><ETag>" + p[1] + "</ETag></Part>")
		}
		b.WriteString("</CompleteMultipartUpload>")
		return s.do(t, "POST", "/mpu/obj?uploadId="+id, []byte(b.String()), nil)
	}
	resp, body = complete([2]string{"2", etags[2]}, [2]string{"1", etags[1]})
	wantError(t, resp, body, 400, "InvalidPartOrder")
	resp, body = complete([2]string{"1", `"0123"`})
	wantError(t, resp, body, 400, "InvalidPart")
	resp, body = complete([2]string{"1", etags[1]}, [2]string{"2", etags[2]})
	wantError(t, resp, body, 400, "EntityTooSmall")
	resp, body = complete()
	wantError(t, resp, body, 400, "MalformedXML")

	resp, body = s.do(t, "GET", "/mpu?uploads", nil, nil)
	if !bytes.Contains(body, []byte("<UploadId>"+id+"</UploadId>")) {
		t.Errorf("ListMultipartUploads: %s", body)
	}
	resp, body = s.do(t, "GET", "/mpu/obj?uploadId="+id+"&max-parts=1", nil, nil)
	if !bytes.Contains(body, []byte("<IsTruncated>true</IsTruncated>")) || !bytes.Contains(body, []byte("<NextPartNumberMarker>1</NextPartNumberMarker>")) {
		t.Errorf("ListParts max-parts=1: %s", body)
	}
	// A single small part is a valid (last) part.
	resp, body = complete([2]string{"1", strings.Trim(etags[1], `"`)})
	mustStatus(t, resp, body, 200)
	resp, body = s.do(t, "GET", "/mpu/obj", nil, nil)
	if string(body) != "small part" {
		t.Errorf("completed object: %q", body)
	}
	resp, body = s.do(t, "DELETE", "/mpu/obj?uploadId="+id, nil, nil)
	wantError(t, resp, body, 404, "NoSuchUpload")
}

func between(s, from, to string) string {
	_, rest, _ := strings.Cut(s, from)
	v, _, _ := strings.Cut(rest, to)
	return v
}

// TestSignedChunkedUpload sends STREAMING-AWS4-HMAC-SHA256-PAYLOAD bodies, with and
// without a signed trailer, to a server that checks signatures: good chunks are
// stored, a changed byte or signature is refused and stores nothing.
func TestSignedChunkedUpload(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, serverOpts{creds: map[string]string{"AKIDCHUNK": "chunk-secret"}})
	sg := signer{key: "AKIDCHUNK", secret: "chunk-secret", region: "us-east-1", now: time.Now().UTC()}
	mk := func(method, path string, body []byte) *http.Request {
		req, err := http.NewRequestWithContext(t.Context(), method, s.URL+path, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		return req
	}
	req := mk("PUT", "/chunks", nil)
	sg.sign(req, emptySHA256)
	resp, body := send(t, req)
	mustStatus(t, resp, body, 200)

	data := bytes.Repeat([]byte("stepwise chunked "), 5000) // 85000 bytes: several chunks
	put := func(key, contentSHA string, trailer map[string]string, tamper func([]byte) []byte) (*http.Response, []byte) {
		req := mk("PUT", "/chunks/"+key, nil)
		req.Header.Set("Content-Encoding", "aws-chunked")
		req.Header.Set("X-Amz-Decoded-Content-Length", strconv.Itoa(len(data)))
		if len(trailer) > 0 {
			req.Header.Set("X-Amz-Trailer", "x-amz-checksum-crc32")
		}
		seed := sg.sign(req, contentSHA)
		framed := chunkedBody(sg, seed, data, 16<<10, trailer)
		if tamper != nil {
			framed = tamper(framed)
		}
		req.Body = io.NopCloser(bytes.NewReader(framed))
		req.ContentLength = int64(len(framed))
		return send(t, req)
	}
	resp, body = put("signed", streamingSigned, nil, nil)
	mustStatus(t, resp, body, 200)
	crc := crc32.ChecksumIEEE(data)
	crcB64 := base64.StdEncoding.EncodeToString([]byte{byte(crc >> 24), byte(crc >> 16), byte(crc >> 8), byte(crc)})
	resp, body = put("trailer", streamingSignedTrailer, map[string]string{"x-amz-checksum-crc32": crcB64}, nil)
	mustStatus(t, resp, body, 200)
	if resp.Header.Get("x-amz-checksum-crc32") != crcB64 {
		t.Errorf("trailing checksum not echoed: %v", resp.Header)
	}

	resp, body = put("tampered", streamingSigned, nil, func(b []byte) []byte {
		i := bytes.Index(b, []byte("stepwise"))
		b[i] = 'S'
		return b
	})
	wantError(t, resp, body, 403, "SignatureDoesNotMatch")
	resp, body = put("badtrailer", streamingSignedTrailer, map[string]string{"x-amz-checksum-crc32": "AAAAAA=="}, nil)
	wantError(t, resp, body, 400, "BadDigest")
	resp, body = put("resigned", streamingSignedTrailer, map[string]string{"x-amz-checksum-crc32": crcB64}, func(b []byte) []byte {
		return bytes.Replace(b, []byte("x-amz-trailer-signature:"), []byte("x-amz-trailer-signature:0"), 1)
	})
	wantError(t, resp, body, 403, "SignatureDoesNotMatch")

	for _, key := range []string{"signed", "trailer"} {
		req := mk("GET", "/chunks/"+key, nil)
		sg.sign(req, emptySHA256)
		resp, body := send(t, req)
		if resp.StatusCode != 200 || !bytes.Equal(body, data) {
			t.Errorf("%s: %d, %d bytes back of %d", key, resp.StatusCode, len(body), len(data))
		}
	}
	for _, key := range []string{"tampered", "badtrailer", "resigned"} {
		req := mk("HEAD", "/chunks/"+key, nil)
		sg.sign(req, emptySHA256)
		if resp, _ := send(t, req); resp.StatusCode != 404 {
			t.Errorf("refused upload %s was stored (%d)", key, resp.StatusCode)
		}
	}

	// A signed request whose body does not match its x-amz-content-sha256.
	req = mk("PUT", "/chunks/hashed", []byte("the real body"))
	other := sha256.Sum256([]byte("another body"))
	sg.sign(req, hex.EncodeToString(other[:]))
	resp, body = send(t, req)
	wantError(t, resp, body, 400, "XAmzContentSHA256Mismatch")
}

// TestUnsignedTrailerUpload sends STREAMING-UNSIGNED-PAYLOAD-TRAILER, as SDKs do over
// HTTPS, without signature checks.
func TestUnsignedTrailerUpload(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, serverOpts{})
	s.do(t, "PUT", "/trail", nil, nil)
	data := bytes.Repeat([]byte{0, 1, 2, 3, 250}, 3000)
	crc := crc32.Checksum(data, castagnoli)
	good := base64.StdEncoding.EncodeToString([]byte{byte(crc >> 24), byte(crc >> 16), byte(crc >> 8), byte(crc)})
	for _, c := range []struct {
		sum    string
		status int
	}{{good, 200}, {"AAAAAA==", 400}} {
		framed := chunkedBody(signer{}, "", data, 4096, map[string]string{"x-amz-checksum-crc32c": c.sum})
		resp, body := s.do(t, "PUT", "/trail/obj", framed, map[string]string{
			"Content-Encoding":             "aws-chunked",
			"X-Amz-Content-Sha256":         streamingUnsigned,
			"X-Amz-Decoded-Content-Length": strconv.Itoa(len(data)),
			"X-Amz-Trailer":                "x-amz-checksum-crc32c",
			"X-Amz-Sdk-Checksum-Algorithm": "CRC32C",
		})
		if resp.StatusCode != c.status {
			t.Errorf("trailer %s: %d %s", c.sum, resp.StatusCode, body)
		}
	}
	resp, body := s.do(t, "GET", "/trail/obj", nil, nil)
	if !bytes.Equal(body, data) {
		t.Errorf("GET: %d, %d bytes", resp.StatusCode, len(body))
	}
}

// TestEmptyPutWithExpectGetsContinue pins the reply to an empty upload sent with
// "Expect: 100-continue" (the aws CLI's empty files): a 100 Continue before the final
// reply. Without it botocore reads the next reply on the connection with this one's
// status line, and the upload after an empty file times out.
func TestEmptyPutWithExpectGetsContinue(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, serverOpts{})
	s.do(t, "PUT", "/expect", nil, nil)
	u, _ := url.Parse(s.URL)
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	_, err = io.WriteString(conn, "PUT /expect/empty HTTP/1.1\r\nHost: "+u.Host+"\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n")
	if err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	first, err := br.ReadString('\n')
	if err != nil || !strings.HasPrefix(first, "HTTP/1.1 100 ") {
		t.Fatalf("first line %q (%v), want a 100 Continue", first, err)
	}
	if _, err := textproto.NewReader(br).ReadMIMEHeader(); err != nil { // the 100's headers
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("final reply: %v %v", resp, err)
	}
}

func TestListMultipartUploadsPages(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, serverOpts{})
	s.do(t, "PUT", "/uploads", nil, nil)
	var want []string
	for _, key := range []string{"k1", "k1", "k1", "k2", "dir/a", "dir/b"} {
		_, body := s.do(t, "POST", "/uploads/"+key+"?uploads", nil, nil)
		want = append(want, key+" "+between(string(body), "<UploadId>", "</UploadId>"))
	}
	var got []string
	keyMarker, idMarker := "", ""
	for range 10 {
		_, body := s.do(t, "GET", "/uploads?uploads&max-uploads=2&key-marker="+url.QueryEscape(keyMarker)+"&upload-id-marker="+url.QueryEscape(idMarker), nil, nil)
		page := string(body)
		for _, u := range strings.Split(page, "<Upload>")[1:] {
			got = append(got, between(u, "<Key>", "</Key>")+" "+between(u, "<UploadId>", "</UploadId>"))
		}
		if !strings.Contains(page, "<IsTruncated>true</IsTruncated>") {
			break
		}
		keyMarker, idMarker = between(page, "<NextKeyMarker>", "</NextKeyMarker>"), between(page, "<NextUploadIdMarker>", "</NextUploadIdMarker>")
	}
	sortedGot, sortedWant := slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))
	if !slices.Equal(sortedGot, sortedWant) || len(got) != len(want) {
		t.Fatalf("paged uploads %v, want %v", got, want)
	}
	_, body := s.do(t, "GET", "/uploads?uploads&delimiter=/", nil, nil)
	if !strings.Contains(string(body), "<CommonPrefixes><Prefix>dir/</Prefix></CommonPrefixes>") || strings.Count(string(body), "<Upload>") != 4 {
		t.Errorf("uploads with a delimiter: %s", body)
	}
}
