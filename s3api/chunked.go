package s3api

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// The x-amz-content-sha256 values of aws-chunked bodies.
const (
	streamingSigned        = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	streamingSignedTrailer = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
	streamingUnsigned      = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
	unsignedPayload        = "UNSIGNED-PAYLOAD"
	emptySHA256            = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
)

// Limits of the framing, so that a hostile body cannot make the decoder buffer much.
const (
	maxChunkLine    = 4096
	maxTrailerBytes = 16 << 10
)

// chunkSigner computes the signatures of a signed aws-chunked body: each chunk signs
// its data and the previous chunk's signature, starting from the request's own
// (the seed), and the trailer signs the trailing headers the same way.
type chunkSigner struct {
	key     []byte // the SigV4 signing key of the request's scope
	amzDate string
	scope   string // date/region/service/aws4_request
	prev    string
}

func (s *chunkSigner) chunk(dataSHA256 []byte) string {
	toSign := "AWS4-HMAC-SHA256-PAYLOAD\n" + s.amzDate + "\n" + s.scope + "\n" + s.prev + "\n" +
		emptySHA256 + "\n" + hex.EncodeToString(dataSHA256)
	return s.sign(toSign)
}

func (s *chunkSigner) trailer(canonical []byte) string {
	sum := sha256.Sum256(canonical)
	toSign := "AWS4-HMAC-SHA256-TRAILER\n" + s.amzDate + "\n" + s.scope + "\n" + s.prev + "\n" + hex.EncodeToString(sum[:])
	return s.sign(toSign)
}

func (s *chunkSigner) sign(toSign string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(toSign))
	return hex.EncodeToString(m.Sum(nil))
}

// signingKey derives SigV4's key for a scope.
func signingKey(secret, date, region, service string) []byte {
	k := hmacSum([]byte("AWS4"+secret), date)
	k = hmacSum(k, region)
	k = hmacSum(k, service)
	return hmacSum(k, "aws4_request")
}

func hmacSum(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// chunkedReader decodes an aws-chunked body:
//
//	<hex size>[;chunk-signature=<sig>]\r\n<data>\r\n ... 0[;chunk-signature=<sig>]\r\n
//	[<trailer name>:<value>\r\n ... [x-amz-trailer-signature:<sig>\r\n]]\r\n
//
// It reads ahead to the end of the body as soon as the last data byte is read, so the
// Read returning the last bytes also reports a bad signature or framing: a store that
// stops reading at the declared size still sees the failure.
type chunkedReader struct {
	r      *bufio.Reader
	signer *chunkSigner // nil: chunk signatures are not checked
	// trailers are expected after the last chunk.
	trailers bool

	left     int64 // bytes of the current chunk still to read
	dataSum  hash.Hash
	chunkSig string
	done     bool
	err      error
	// Trailer holds the trailing headers, lower-case names, once the body is read.
	Trailer http.Header
}

func newChunkedReader(r io.Reader, signer *chunkSigner, trailers bool) *chunkedReader {
	c := &chunkedReader{r: bufio.NewReaderSize(r, 32<<10), signer: signer, trailers: trailers, Trailer: http.Header{}}
	if signer != nil {
		c.dataSum = sha256.New()
	}
	return c
}

var errChunkFraming = errors.New("malformed aws-chunked body")

func (c *chunkedReader) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	if c.done {
		return 0, io.EOF
	}
	if c.left == 0 {
		if err := c.nextChunk(); err != nil {
			return 0, c.fail(err)
		}
		if c.done {
			return 0, io.EOF
		}
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	if c.dataSum != nil {
		c.dataSum.Write(p[:n])
	}
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return n, c.fail(err)
	}
	if c.left == 0 {
		if err := c.endChunk(); err != nil {
			return n, c.fail(err)
		}
		// Read ahead: if the next chunk is the last, finish now.
		if err := c.nextChunk(); err != nil {
			return n, c.fail(err)
		}
		if c.done {
			return n, io.EOF
		}
	}
	return n, nil
}

func (c *chunkedReader) fail(err error) error {
	c.err = err
	return err
}

// endChunk checks the CRLF after a chunk's data and its signature.
func (c *chunkedReader) endChunk() error {
	var crlf [2]byte
	if _, err := io.ReadFull(c.r, crlf[:]); err != nil || crlf != [2]byte{'\r', '\n'} {
		return fmt.Errorf("%w: chunk data not followed by CRLF", errChunkFraming)
	}
	return c.checkSignature()
}

func (c *chunkedReader) checkSignature() error {
	if c.signer == nil {
		return nil
	}
	want := c.signer.chunk(c.dataSum.Sum(nil))
	c.dataSum.Reset()
	if !hmac.Equal([]byte(want), []byte(c.chunkSig)) {
		return errChunkSignature
	}
	c.signer.prev = want
	return nil
}

var errChunkSignature = errors.New("chunk signature does not match")

// nextChunk reads a chunk header; for the last (empty) chunk it reads the trailer too
// and marks the body done.
func (c *chunkedReader) nextChunk() error {
	line, err := c.readLine()
	if err == io.EOF {
		return fmt.Errorf("%w: body ends before its last chunk", errChunkFraming)
	}
	if err != nil {
		return err
	}
	sizeHex, ext, _ := strings.Cut(line, ";")
	size, err := strconv.ParseInt(strings.TrimSpace(sizeHex), 16, 64)
	if err != nil || size < 0 || len(sizeHex) > 16 {
		return fmt.Errorf("%w: bad chunk size %q", errChunkFraming, sizeHex)
	}
	c.chunkSig = ""
	if ext != "" {
		name, value, _ := strings.Cut(ext, "=")
		if strings.TrimSpace(name) == "chunk-signature" {
			c.chunkSig = strings.ToLower(strings.TrimSpace(value))
		}
	}
	if c.signer != nil && c.chunkSig == "" {
		return fmt.Errorf("%w: chunk without chunk-signature", errChunkFraming)
	}
	c.left = size
	if size > 0 {
		return nil
	}
	if err := c.checkSignature(); err != nil {
		return err
	}
	if err := c.readTrailer(); err != nil {
		return err
	}
	c.done = true
	return nil
}

// readTrailer reads the trailing headers up to the blank line that ends the body. A
// body that simply ends after the last chunk is accepted.
func (c *chunkedReader) readTrailer() error {
	var canonical bytes.Buffer
	var sig string
	total := 0
	for {
		line, err := c.readLine()
		if err == io.EOF && total == 0 {
			break
		}
		if err != nil {
			return err
		}
		if line == "" {
			break
		}
		total += len(line)
		if total > maxTrailerBytes {
			return fmt.Errorf("%w: trailer too long", errChunkFraming)
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			return fmt.Errorf("%w: bad trailer line %q", errChunkFraming, line)
		}
		name, value = strings.ToLower(strings.TrimSpace(name)), strings.TrimSpace(value)
		if name == "x-amz-trailer-signature" {
			sig = strings.ToLower(value)
			continue
		}
		c.Trailer.Add(name, value)
		canonical.WriteString(name + ":" + value + "\n")
	}
	if c.signer != nil && c.trailers {
		if sig == "" || !hmac.Equal([]byte(c.signer.trailer(canonical.Bytes())), []byte(sig)) {
			return errChunkSignature
		}
	}
	return nil
}

// readLine reads a CRLF-terminated line of at most maxChunkLine bytes, without the CRLF.
func (c *chunkedReader) readLine() (string, error) {
	var b []byte
	for {
		frag, err := c.r.ReadSlice('\n')
		b = append(b, frag...)
		if len(b) > maxChunkLine {
			return "", fmt.Errorf("%w: line too long", errChunkFraming)
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			if err == io.EOF && len(b) == 0 {
				return "", io.EOF
			}
			return "", fmt.Errorf("%w: %w", errChunkFraming, io.ErrUnexpectedEOF)
		}
		break
	}
	s := strings.TrimSuffix(string(b), "\n")
	return strings.TrimSuffix(s, "\r"), nil
}
