package s3api

import (
	"bytes"
	"encoding/hex"
	"errors"
	"hash/crc64"
	"io"
	"strings"
	"testing"
	"time"
)

// TestChunkSignaturesMatchAWSExample checks the chunk signing against the worked
// example of AWS's "Transferring Payload in Multiple Chunks" page: 65 KiB of 'a' in a
// 64 KiB and a 1 KiB chunk, signed with the documentation's example key.
func TestChunkSignaturesMatchAWSExample(t *testing.T) {
	t.Parallel()
	cs := &chunkSigner{
		key:     signingKey("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "20130524", "us-east-1", "s3"),
		amzDate: "20130524T000000Z",
		scope:   "20130524/us-east-1/s3/aws4_request",
		prev:    "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9",
	}
	want := []string{
		"ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
		"0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
		"b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
	}
	var body bytes.Buffer
	for i, n := range []int{65536, 1024, 0} {
		data := bytes.Repeat([]byte("a"), n)
		sum := sha256Sum(data)
		got := cs.chunk(sum)
		if got != want[i] {
			t.Fatalf("chunk %d signature %s, want %s", i, got, want[i])
		}
		cs.prev = got
		body.WriteString(strings.ToLower(hexLen(n)) + ";chunk-signature=" + got + "\r\n")
		body.Write(data)
		body.WriteString("\r\n")
	}
	// The same body through the decoder, from the seed.
	cs.prev = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
	r := newChunkedReader(bytes.NewReader(body.Bytes()), cs, false)
	got, err := io.ReadAll(r)
	if err != nil || len(got) != 66560 {
		t.Fatalf("decoded %d bytes, %v", len(got), err)
	}
}

func sha256Sum(b []byte) []byte {
	h := checksumAlgorithms[4].new()
	h.Write(b)
	return h.Sum(nil)
}

func TestChecksumCheckValues(t *testing.T) {
	t.Parallel()
	// The CRC catalogue's check values: the checksum of "123456789".
	for name, want := range map[string]string{"crc32": "cbf43926", "crc32c": "e3069283", "crc64nvme": "ae8b14860a799888"} {
		a, ok := checksumByName(strings.ToUpper(name))
		if !ok {
			t.Fatalf("no %s", name)
		}
		h := a.new()
		h.Write([]byte("123456789"))
		if got := hex.EncodeToString(h.Sum(nil)); got != want {
			t.Errorf("%s = %s, want %s", name, got, want)
		}
	}
	if crc64.Checksum([]byte("123456789"), crc64NVMETab) != 0xae8b14860a799888 {
		t.Error("crc64 table")
	}
}

func TestChunkedReaderFraming(t *testing.T) {
	t.Parallel()
	sg := signer{key: "AKID", secret: "secret", region: "us-east-1", now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	data := []byte("hello, chunked world")
	good := chunkedBody(sg, "", data, 7, map[string]string{"x-amz-checksum-crc32": "x"})
	for _, c := range []struct {
		name string
		body string
		err  error
	}{
		{"good", string(good), nil},
		{"no trailer at all", "5\r\nhello\r\n0\r\n", nil},
		{"truncated data", "5\r\nhel", io.ErrUnexpectedEOF},
		{"no last chunk", "5\r\nhello\r\n", errChunkFraming},
		{"bad size", "zz\r\nhello\r\n0\r\n\r\n", errChunkFraming},
		{"negative size", "-5\r\nhello\r\n0\r\n\r\n", errChunkFraming},
		{"no CRLF after data", "5\r\nhelloX\r\n0\r\n\r\n", errChunkFraming},
		{"huge size", "7fffffffffffffff\r\nhello", io.ErrUnexpectedEOF},
		{"long line", strings.Repeat("0", 5000) + "\r\n", errChunkFraming},
		{"bad trailer", "0\r\nnocolon\r\n\r\n", errChunkFraming},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := newChunkedReader(strings.NewReader(c.body), nil, true)
			got, err := io.ReadAll(r)
			if c.err == nil {
				if err != nil {
					t.Fatalf("error %v", err)
				}
				if c.name == "good" && (!bytes.Equal(got, data) || r.Trailer.Get("x-amz-checksum-crc32") != "x") {
					t.Fatalf("decoded %q, trailer %v", got, r.Trailer)
				}
				return
			}
			if !errors.Is(err, c.err) {
				t.Fatalf("error %v, want %v", err, c.err)
			}
		})
	}
}

// FuzzChunkedReader: no input panics or reads without end; whatever decodes
// without error, re-framed, decodes to the same bytes.
func FuzzChunkedReader(f *testing.F) {
	sg := signer{key: "AKID", secret: "secret", region: "us-east-1", now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	f.Add(chunkedBody(sg, "", []byte("hello world"), 4, nil), false)
	f.Add(chunkedBody(sg, "", []byte("hello world"), 4, map[string]string{"x-amz-checksum-crc32": "AAAAAA=="}), false)
	f.Add(chunkedBody(sg, "seed", []byte("signed body"), 5, map[string]string{"x-amz-checksum-sha256": "x"}), true)
	f.Add([]byte("5;chunk-signature=00\r\nhello\r\n0;chunk-signature=00\r\n\r\n"), true)
	f.Add([]byte("0\r\n\r\n"), false)
	f.Add([]byte("ffffffffffffffff\r\n"), false)
	f.Fuzz(func(t *testing.T, body []byte, signed bool) {
		var cs *chunkSigner
		if signed {
			cs = &chunkSigner{key: signingKey("secret", "20260102", "us-east-1", "s3"), amzDate: "20260102T030405Z",
				scope: "20260102/us-east-1/s3/aws4_request", prev: "seed"}
		}
		r := newChunkedReader(bytes.NewReader(body), cs, true)
		got, err := io.ReadAll(io.LimitReader(r, int64(len(body))+1))
		if int64(len(got)) > int64(len(body)) {
			t.Fatalf("decoded %d bytes from %d", len(got), len(body))
		}
		if err != nil || signed {
			return
		}
		again, err := io.ReadAll(newChunkedReader(bytes.NewReader(chunkedBody(sg, "", got, 3, nil)), nil, false))
		if err != nil || !bytes.Equal(again, got) {
			t.Fatalf("re-framed %q decodes to %q, %v", got, again, err)
		}
	})
}

// FuzzParseDelete: DeleteObjects' document never panics, and what it accepts has 1 to
// 1000 objects.
func FuzzParseDelete(f *testing.F) {
	f.Add([]byte(`<Delete><Quiet>true</Quiet><Object><Key>a</Key></Object><Object><Key>b</Key><VersionId>null</VersionId></Object></Delete>`))
	f.Add([]byte(`<?xml version="1.0"?><Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Object><Key>&lt;&amp;</Key></Object></Delete>`))
	f.Add([]byte(`<Delete></Delete>`))
	f.Add([]byte(`<Delete><Object><Key>a</Key></Object></Delete><extra/>`))
	f.Add([]byte(`<!DOCTYPE x [<!ENTITY a "b">]><Delete><Object><Key>&a;</Key></Object></Delete>`))
	f.Fuzz(func(t *testing.T, body []byte) {
		d, err := parseDelete(body)
		if err == nil && (len(d.Objects) == 0 || len(d.Objects) > 1000) {
			t.Fatalf("accepted %d objects", len(d.Objects))
		}
	})
}

// FuzzParseComplete: CompleteMultipartUpload's document never panics, and what it
// accepts is in strictly ascending part order with quoted ETags.
func FuzzParseComplete(f *testing.F) {
	f.Add([]byte(`<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"abc"</ETag></Part><Part><PartNumber>2</PartNumber><ETag>def</ETag></Part></CompleteMultipartUpload>`))
	f.Add([]byte(`<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Part><ETag>"x"</ETag><PartNumber>10000</PartNumber><ChecksumCRC32>AAAAAA==</ChecksumCRC32></Part></CompleteMultipartUpload>`))
	f.Add([]byte(`<CompleteMultipartUpload><Part><PartNumber>2</PartNumber></Part><Part><PartNumber>1</PartNumber></Part></CompleteMultipartUpload>`))
	f.Add([]byte(`<CompleteMultipartUpload><Part><PartNumber>-1</PartNumber></Part></CompleteMultipartUpload>`))
	f.Add([]byte(`<CompleteMultipartUpload><Part><PartNumber>99999999999999999999</PartNumber></Part></CompleteMultipartUpload>`))
	f.Fuzz(func(t *testing.T, body []byte) {
		parts, err := parseComplete(body)
		if err != nil {
			return
		}
		for i, p := range parts {
			if p.Number < 1 || p.Number > maxPartNumber || i > 0 && p.Number <= parts[i-1].Number {
				t.Fatalf("accepted parts %v", parts)
			}
			if len(p.ETag) < 2 || p.ETag[0] != '"' || p.ETag[len(p.ETag)-1] != '"' {
				t.Fatalf("unquoted ETag %q", p.ETag)
			}
		}
	})
}

// FuzzParseRange: Range headers never panic, and what they select is within the object.
func FuzzParseRange(f *testing.F) {
	for _, s := range []string{"bytes=0-0", "bytes=5-", "bytes=-3", "bytes=-0", "bytes=9-2", "bytes=1-2,4-5", "bytes=x", "items=1-2"} {
		f.Add(s, int64(10))
	}
	f.Fuzz(func(t *testing.T, v string, size int64) {
		rng, ok, empty := parseRange(v)
		if !ok || empty || size < 0 {
			return
		}
		first, last, err := rng.Resolve(size)
		if err == nil && (first < 0 || last >= size || first > last) {
			t.Fatalf("%q over %d selects %d-%d", v, size, first, last)
		}
	})
}
