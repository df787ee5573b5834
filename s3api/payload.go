package s3api

import (
	"bytes"
	"crypto/md5" //nolint:gosec // Content-MD5 is S3's integrity check, not a security measure
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/stepwise-dev/stepwise/api"
)

// payload is a request body as the object's bytes: aws-chunked framing removed, and
// every digest the client sent (x-amz-content-sha256, Content-MD5, x-amz-checksum-*,
// chunk signatures, a trailing checksum) checked while it streams. A mismatch is an
// error of the Read that returns the last bytes, so a store never commits a body that
// failed its checks.
type payload struct {
	r       io.Reader
	chunked *chunkedReader // nil for a plain body
	// Size is the length of the decoded body; -1 when unknown.
	Size int64
	n    int64

	sha     hash.Hash
	wantSHA string
	md5     hash.Hash
	wantMD5 []byte
	sum     hash.Hash
	alg     checksumAlgorithm
	wantSum string // "" with a trailer: read from it at the end
	hasSum  bool

	done bool
	err  *s3Error
}

// openPayload prepares r's body for reading.
func (s *Service) openPayload(r *http.Request) (*payload, *s3Error) {
	p := &payload{r: r.Body, Size: r.ContentLength}
	contentSHA := r.Header.Get("X-Amz-Content-Sha256")
	chunked := strings.HasPrefix(contentSHA, "STREAMING-") || hasToken(r.Header.Get("Content-Encoding"), "aws-chunked")
	switch {
	case chunked:
		if strings.HasPrefix(contentSHA, "STREAMING-AWS4-ECDSA") {
			return nil, errNotImplemented("x-amz-content-sha256")
		}
		p.Size = -1
		if v := r.Header.Get("X-Amz-Decoded-Content-Length"); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				return nil, errInvalidArgument("Invalid x-amz-decoded-content-length", "x-amz-decoded-content-length", v)
			}
			p.Size = n
		}
		signed := contentSHA == streamingSigned || contentSHA == streamingSignedTrailer
		trailers := contentSHA == streamingSignedTrailer || contentSHA == streamingUnsigned || r.Header.Get("X-Amz-Trailer") != ""
		var signer *chunkSigner
		if signed {
			var e *s3Error
			if signer, e = s.chunkSigner(r); e != nil {
				return nil, e
			}
		}
		p.chunked = newChunkedReader(r.Body, signer, trailers)
		p.r = p.chunked
	case isHexSHA256(contentSHA):
		p.sha, p.wantSHA = sha256.New(), strings.ToLower(contentSHA)
	case contentSHA == "" || contentSHA == unsignedPayload:
	default:
		return nil, errInvalidArgument("x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a valid sha256 value.",
			"x-amz-content-sha256", contentSHA)
	}
	if v := r.Header.Get("Content-MD5"); v != "" {
		sum, err := base64.StdEncoding.DecodeString(v)
		if err != nil || len(sum) != md5.Size {
			return nil, newError(http.StatusBadRequest, "InvalidDigest", msgInvalidDigest).with("Content-MD5", v)
		}
		p.md5, p.wantMD5 = md5.New(), sum
	}
	alg, value, ok, e := requestChecksum(r.Header)
	if e != nil {
		return nil, e
	}
	if ok {
		p.alg, p.sum, p.wantSum, p.hasSum = alg, alg.new(), value, true
		if value != "" && !validSum(alg, value) {
			return nil, errInvalidRequest("Value for " + alg.header() + " header is invalid.")
		}
	}
	return p, nil
}

// chunkSigner sets up the checking of chunk signatures, when the dispatcher checked the
// request's own signature (the seed of the chain).
func (s *Service) chunkSigner(r *http.Request) (*chunkSigner, *s3Error) {
	info := api.RequestInfoFrom(r.Context())
	if info == nil || info.Principal.AccessKeyID == "" {
		return nil, nil // signatures are not checked: the framing is decoded, not verified
	}
	if s.opts.Keys == nil {
		return nil, errNotImplemented("x-amz-content-sha256").with("Detail",
			"signed aws-chunked uploads need the server's keys (s3api.Options.Keys) to check chunk signatures")
	}
	secret, ok := s.opts.Keys.SecretAccessKey(info.Principal.AccessKeyID)
	if !ok {
		return nil, newError(http.StatusForbidden, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.")
	}
	var seed string
	_, rest, _ := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	for part := range strings.SplitSeq(rest, ",") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(part), "Signature="); ok {
			seed = strings.ToLower(v)
		}
	}
	sc := info.Scope
	if seed == "" || sc.Date == "" {
		return nil, newError(http.StatusForbidden, "SignatureDoesNotMatch", msgSignatureMismatch)
	}
	amzDate := r.Header.Get("X-Amz-Date")
	if amzDate == "" {
		amzDate = sc.Date + "T000000Z" // only X-Amz-Date-less clients; they would not stream
	}
	return &chunkSigner{
		key:     signingKey(secret, sc.Date, sc.Region, sc.Service),
		amzDate: amzDate,
		scope:   sc.Date + "/" + sc.Region + "/" + sc.Service + "/aws4_request",
		prev:    seed,
	}, nil
}

func (p *payload) Read(b []byte) (int, error) {
	if p.err != nil {
		return 0, p.err
	}
	if p.done {
		return 0, io.EOF
	}
	n, err := p.r.Read(b)
	for _, h := range []hash.Hash{p.sha, p.md5, p.sum} {
		if h != nil {
			h.Write(b[:n])
		}
	}
	p.n += int64(n)
	if err != nil && err != io.EOF {
		return n, p.fail(readError(err))
	}
	if p.Size >= 0 && p.n > p.Size {
		return n, p.fail(newError(http.StatusBadRequest, "IncompleteBody", "The decoded body is longer than its declared length"))
	}
	// A plain body is complete at its Content-Length; an aws-chunked one at the EOF its
	// reader returns with the last bytes, once the trailer is read.
	if err == io.EOF || p.chunked == nil && p.Size >= 0 && p.n == p.Size {
		if e := p.finish(); e != nil {
			return n, p.fail(e)
		}
		p.done = true
		return n, io.EOF
	}
	return n, nil
}

func (p *payload) fail(e *s3Error) error {
	p.err = e
	return e
}

// Err is the check that failed, if any: stores may not wrap the reader's error.
func (p *payload) Err() error {
	if p.err == nil {
		return nil
	}
	return p.err
}

func (p *payload) finish() *s3Error {
	if p.Size >= 0 && p.n != p.Size {
		return newError(http.StatusBadRequest, "IncompleteBody", msgIncompleteBody)
	}
	if p.sha != nil {
		if got := hex.EncodeToString(p.sha.Sum(nil)); got != p.wantSHA {
			return newError(http.StatusBadRequest, "XAmzContentSHA256Mismatch", msgSHA256Mismatch).
				with("ClientComputedContentSHA256", p.wantSHA).with("S3ComputedContentSHA256", got)
		}
	}
	if p.md5 != nil && !bytes.Equal(p.md5.Sum(nil), p.wantMD5) {
		return newError(http.StatusBadRequest, "BadDigest", msgBadDigest).
			with("ExpectedDigest", hex.EncodeToString(p.wantMD5)).with("CalculatedDigest", hex.EncodeToString(p.md5.Sum(nil)))
	}
	if p.hasSum {
		want := p.wantSum
		if want == "" && p.chunked != nil {
			want = p.chunked.Trailer.Get(p.alg.header())
			if want != "" && !validSum(p.alg, want) {
				return errInvalidRequest("Value for " + p.alg.header() + " trailing header is invalid.")
			}
		}
		if want != "" && want != encodeSum(p.sum) {
			return newError(http.StatusBadRequest, "BadDigest", "The "+p.alg.upper()+" you specified did not match the calculated checksum.")
		}
	}
	return nil
}

// Checksum is the algorithm and value of the checksum the client asked for, computed
// over the body read (to echo in the reply); ok is false when it asked for none.
func (p *payload) Checksum() (alg checksumAlgorithm, value string, ok bool) {
	if !p.hasSum || !p.done {
		return checksumAlgorithm{}, "", false
	}
	return p.alg, encodeSum(p.sum), true
}

// readError names a failure to read the body.
func readError(err error) *s3Error {
	var se *s3Error
	switch {
	case errors.As(err, &se):
		return se
	case errors.Is(err, errChunkSignature):
		return newError(http.StatusForbidden, "SignatureDoesNotMatch", msgSignatureMismatch)
	case errors.Is(err, io.ErrUnexpectedEOF):
		e := newError(http.StatusBadRequest, "IncompleteBody", msgIncompleteBody)
		e.cause = err
		return e
	case errors.Is(err, errChunkFraming):
		e := errInvalidRequest("The aws-chunked body is malformed: " + err.Error())
		e.cause = err
		return e
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return newError(http.StatusBadRequest, "MaxMessageLengthExceeded", "Your request was too big.")
	}
	e := newError(http.StatusBadRequest, "IncompleteBody", msgIncompleteBody)
	e.cause = err
	return e
}

func validSum(alg checksumAlgorithm, v string) bool {
	b, err := base64.StdEncoding.DecodeString(v)
	return err == nil && len(b) == alg.new().Size()
}

func isHexSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// hasToken reports whether a comma-separated header value holds token.
func hasToken(v, token string) bool {
	for part := range strings.SplitSeq(v, ",") {
		if strings.EqualFold(strings.TrimSpace(part), token) {
			return true
		}
	}
	return false
}

// readAll reads a small request body (an XML document) whole, through the same checks,
// refusing more than limit bytes.
func (s *Service) readAll(w http.ResponseWriter, r *http.Request) ([]byte, *s3Error) {
	limit := s.opts.MaxXMLBytes
	r.Body = http.MaxBytesReader(w, r.Body, limit+maxChunkLine) // framing of a chunked body on top
	p, e := s.openPayload(r)
	if e != nil {
		return nil, e
	}
	b, err := io.ReadAll(io.LimitReader(p, limit+1))
	if err != nil {
		return nil, readError(err)
	}
	if int64(len(b)) > limit {
		return nil, newError(http.StatusBadRequest, "MaxMessageLengthExceeded", "Your request was too big.")
	}
	return b, nil
}
