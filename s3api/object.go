package s3api

import (
	"context"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/stepwise-dev/stepwise/objstore"
)

// maxPutBytes is S3's limit of a single PutObject (5 GiB).
const maxPutBytes = 5 << 30

const metaPrefix = "X-Amz-Meta-"

// putOptions reads an object's content type and user metadata from a request.
func putOptions(r *http.Request) objstore.PutOptions {
	opts := objstore.PutOptions{ContentType: r.Header.Get("Content-Type"), Metadata: map[string]string{}}
	for name, values := range r.Header {
		if k, ok := strings.CutPrefix(name, metaPrefix); ok && k != "" {
			opts.Metadata[strings.ToLower(k)] = strings.Join(values, ",")
		}
	}
	return opts
}

// objectHeaders sets the headers that describe an object in replies.
func objectHeaders(h http.Header, info objstore.ObjectInfo) {
	h.Set("ETag", info.ETag)
	h.Set("Last-Modified", httpTime(info.LastModified))
	ct := info.ContentType
	if ct == "" {
		ct = "binary/octet-stream"
	}
	h.Set("Content-Type", ct)
	for k, v := range info.Metadata {
		// Lower case as S3 sends them: clients keep the name's case after the prefix.
		h["x-amz-meta-"+k] = []string{v}
	}
	h.Set("Accept-Ranges", "bytes")
	h.Set("x-amz-server-side-encryption", "AES256")
}

// echoChecksum puts the checksum the client asked for in the reply.
func echoChecksum(h http.Header, p *payload) {
	if alg, v, ok := p.Checksum(); ok {
		h.Set(alg.header(), v)
		h.Set("x-amz-checksum-type", "FULL_OBJECT")
	}
}

func (s *Service) putObject(ctx context.Context, q *request) error {
	p, e := s.openPayload(q.r)
	if e != nil {
		return e
	}
	if p.Size > maxPutBytes {
		return newError(http.StatusBadRequest, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size").
			with("ProposedSize", strconv.FormatInt(p.Size, 10)).with("MaxSizeAllowed", strconv.FormatInt(maxPutBytes, 10))
	}
	opts := putOptions(q.r)
	opts.Size = p.Size
	info, err := s.store.Put(ctx, q.bucket, q.key, p, opts)
	if err != nil {
		if perr := p.Err(); perr != nil {
			return perr
		}
		return s.fail(err, target{bucket: q.bucket, key: q.key})
	}
	h := q.w.Header()
	h.Set("ETag", info.ETag)
	h.Set("x-amz-server-side-encryption", "AES256")
	echoChecksum(h, p)
	q.w.WriteHeader(http.StatusOK)
	s.objectCreated(ctx, q, info, "PutObject")
	return nil
}

// parseRange reads a Range header; ok is false for a header S3 ignores (malformed or
// several ranges), which serves the whole object. "bytes=-0" selects nothing: empty
// is true.
func parseRange(v string) (rng objstore.Range, ok, empty bool) {
	spec, found := strings.CutPrefix(strings.TrimSpace(v), "bytes=")
	if !found || strings.Contains(spec, ",") {
		return rng, false, false
	}
	first, last, found := strings.Cut(strings.TrimSpace(spec), "-")
	if !found {
		return rng, false, false
	}
	if first == "" {
		n, err := strconv.ParseInt(last, 10, 64)
		if err != nil || n < 0 {
			return rng, false, false
		}
		if n == 0 {
			return rng, true, true
		}
		return objstore.Range{Start: -n, End: -1}, true, false
	}
	start, err := strconv.ParseInt(first, 10, 64)
	if err != nil || start < 0 {
		return rng, false, false
	}
	end := int64(-1)
	if last != "" {
		if end, err = strconv.ParseInt(last, 10, 64); err != nil || end < start {
			return rng, false, false
		}
	}
	return objstore.Range{Start: start, End: end}, true, false
}

// checkConditions applies If-Match, If-Unmodified-Since, If-None-Match and
// If-Modified-Since as S3 does: a failed If-Match is 412, a matching If-None-Match 304.
func checkConditions(h http.Header, info objstore.ObjectInfo, prefix string) (status int, condition string) {
	modified := info.LastModified.Truncate(time.Second)
	ifMatch, ifNoneMatch := h.Get(prefix+"If-Match"), h.Get(prefix+"If-None-Match")
	if ifMatch != "" {
		if !etagMatches(ifMatch, info.ETag) {
			return http.StatusPreconditionFailed, "If-Match"
		}
	} else if t, err := http.ParseTime(h.Get(prefix + "If-Unmodified-Since")); err == nil && modified.After(t) {
		return http.StatusPreconditionFailed, "If-Unmodified-Since"
	}
	if ifNoneMatch != "" {
		if etagMatches(ifNoneMatch, info.ETag) {
			return http.StatusNotModified, "If-None-Match"
		}
	} else if t, err := http.ParseTime(h.Get(prefix + "If-Modified-Since")); err == nil && !modified.After(t) {
		return http.StatusNotModified, "If-Modified-Since"
	}
	return 0, ""
}

// etagMatches reports whether an If-Match style list names etag ("*" names any).
func etagMatches(list, etag string) bool {
	for part := range strings.SplitSeq(list, ",") {
		part = strings.TrimPrefix(strings.TrimSpace(part), "W/")
		if part == "*" || strings.Trim(part, `"`) == strings.Trim(etag, `"`) {
			return true
		}
	}
	return false
}

func (s *Service) getObject(ctx context.Context, q *request, head bool) error {
	t := target{bucket: q.bucket, key: q.key}
	if v := q.get("versionId"); v != "" && v != "null" {
		return newError(http.StatusNotFound, "NoSuchVersion", msgNoSuchVersion).with("Key", q.key).with("VersionId", v)
	}
	rng, ranged, empty := parseRange(q.r.Header.Get("Range"))
	if empty {
		return newError(http.StatusRequestedRangeNotSatisfiable, "InvalidRange", msgInvalidRange).
			with("RangeRequested", q.r.Header.Get("Range"))
	}
	if q.has("partNumber") {
		// Parts are not kept apart once assembled: part 1 is the whole object.
		if q.get("partNumber") != "1" {
			return newError(http.StatusRequestedRangeNotSatisfiable, "InvalidPartNumber", "The requested partnumber is not satisfiable")
		}
		ranged = false
	}
	var (
		body io.ReadCloser
		info objstore.ObjectInfo
		err  error
	)
	if head {
		info, err = s.store.Head(ctx, q.bucket, q.key)
	} else {
		var want *objstore.Range
		if ranged {
			want = &rng
		}
		body, info, err = s.store.Get(ctx, q.bucket, q.key, want)
	}
	if err != nil {
		if errors.Is(err, objstore.ErrInvalidRange) {
			return newError(http.StatusRequestedRangeNotSatisfiable, "InvalidRange", msgInvalidRange).
				with("RangeRequested", q.r.Header.Get("Range"))
		}
		return s.fail(err, t)
	}
	if body != nil {
		defer func() { _ = body.Close() }()
	}
	h := q.w.Header()
	if status, cond := checkConditions(q.r.Header, info, ""); status != 0 {
		if status == http.StatusPreconditionFailed {
			return newError(status, "PreconditionFailed", msgPrecondition).with("Condition", cond)
		}
		h.Set("ETag", info.ETag)
		h.Set("Last-Modified", httpTime(info.LastModified))
		q.w.WriteHeader(http.StatusNotModified)
		return nil
	}
	objectHeaders(h, info)
	if q.has("partNumber") {
		h.Set("x-amz-mp-parts-count", "1")
	}
	for param, header := range map[string]string{
		"response-content-type": "Content-Type", "response-content-disposition": "Content-Disposition",
		"response-content-encoding": "Content-Encoding", "response-content-language": "Content-Language",
		"response-cache-control": "Cache-Control", "response-expires": "Expires",
	} {
		if v := q.get(param); v != "" {
			h.Set(header, v)
		}
	}
	status, length := http.StatusOK, info.Size
	if ranged {
		first, last, err := rng.Resolve(info.Size)
		if err != nil {
			return newError(http.StatusRequestedRangeNotSatisfiable, "InvalidRange", msgInvalidRange).
				with("RangeRequested", q.r.Header.Get("Range")).with("ActualObjectSize", strconv.FormatInt(info.Size, 10))
		}
		status, length = http.StatusPartialContent, last-first+1
		h.Set("Content-Range", "bytes "+strconv.FormatInt(first, 10)+"-"+strconv.FormatInt(last, 10)+"/"+strconv.FormatInt(info.Size, 10))
	}
	h.Set("Content-Length", strconv.FormatInt(length, 10))
	q.w.WriteHeader(status)
	if head {
		return nil
	}
	if n, err := io.Copy(q.w, body); err != nil {
		// The reply has begun: all that can be done is cut it short.
		s.log.Debug("GetObject cut short", "bucket", q.bucket, "key", q.key, "sent", n, "err", err)
	}
	return nil
}

func (s *Service) deleteObject(ctx context.Context, q *request) error {
	if v := q.get("versionId"); v != "" && v != "null" {
		// No such version: S3 deletes nothing and says so with success.
		if _, err := s.store.HeadBucket(ctx, q.bucket); err != nil {
			return s.fail(err, target{bucket: q.bucket})
		}
		q.w.WriteHeader(http.StatusNoContent)
		return nil
	}
	if err := s.store.Delete(ctx, q.bucket, q.key); err != nil {
		return s.fail(err, target{bucket: q.bucket, key: q.key})
	}
	q.w.WriteHeader(http.StatusNoContent)
	return nil
}

// deleteRequest is DeleteObjects' document.
type deleteRequest struct {
	XMLName xml.Name `xml:"Delete"`
	Quiet   bool     `xml:"Quiet"`
	Objects []struct {
		Key       string `xml:"Key"`
		VersionID string `xml:"VersionId"`
	} `xml:"Object"`
}

// parseDelete reads DeleteObjects' document.
func parseDelete(body []byte) (deleteRequest, error) {
	var d deleteRequest
	if err := decodeXML(body, &d); err != nil {
		return d, err
	}
	if len(d.Objects) == 0 || len(d.Objects) > 1000 {
		return d, errMalformedXML()
	}
	return d, nil
}

type deletedXML struct {
	Key       string `xml:"Key"`
	VersionID string `xml:"VersionId,omitempty"`
}

type deleteErrorXML struct {
	Key       string `xml:"Key"`
	VersionID string `xml:"VersionId,omitempty"`
	Code      string `xml:"Code"`
	Message   string `xml:"Message"`
}

type deleteResult struct {
	XMLName xml.Name         `xml:"DeleteResult"`
	Xmlns   string           `xml:"xmlns,attr"`
	Deleted []deletedXML     `xml:"Deleted"`
	Errors  []deleteErrorXML `xml:"Error"`
}

func (s *Service) deleteObjects(ctx context.Context, q *request) error {
	body, e := s.readAll(q.w, q.r)
	if e != nil {
		return e
	}
	d, err := parseDelete(body)
	if err != nil {
		return err
	}
	if _, err := s.store.HeadBucket(ctx, q.bucket); err != nil {
		return s.fail(err, target{bucket: q.bucket})
	}
	res := deleteResult{Xmlns: xmlns}
	for _, o := range d.Objects {
		var fail *s3Error
		switch {
		case len(o.Key) > maxKeyBytes:
			fail = errKeyTooLong(o.Key)
		case o.Key == "":
			fail = errInvalidArgument("The specified key is not valid.", "key", o.Key)
		case o.VersionID != "" && o.VersionID != "null":
			// No such version: nothing to delete.
		default:
			if err := s.store.Delete(ctx, q.bucket, o.Key); err != nil {
				if fail = storeError(err, target{bucket: q.bucket, key: o.Key}); fail == nil {
					s.log.Error("DeleteObjects: deleting a key", "bucket", q.bucket, "key", o.Key, "err", err)
					fail = newError(http.StatusInternalServerError, "InternalError", msgInternal)
				}
			}
		}
		if fail != nil {
			res.Errors = append(res.Errors, deleteErrorXML{Key: o.Key, VersionID: o.VersionID, Code: fail.Code, Message: fail.Message})
		} else if !d.Quiet {
			res.Deleted = append(res.Deleted, deletedXML{Key: o.Key, VersionID: o.VersionID})
		}
	}
	return writeXML(q.w, http.StatusOK, res)
}

// copySource parses x-amz-copy-source: "bucket/key" or "/bucket/key", URL-encoded,
// with an optional "?versionId=".
func copySource(v string) (bucket, key, version string, err error) {
	raw, query, _ := strings.Cut(v, "?")
	if query != "" {
		vals, perr := url.ParseQuery(query)
		if perr != nil {
			return "", "", "", errInvalidArgument("Invalid copy source encoding.", "x-amz-copy-source", v)
		}
		version = vals.Get("versionId")
	}
	dec, uerr := url.PathUnescape(raw)
	if uerr != nil {
		return "", "", "", errInvalidArgument("Invalid copy source encoding.", "x-amz-copy-source", v)
	}
	bucket, key, _ = strings.Cut(strings.TrimPrefix(dec, "/"), "/")
	if bucket == "" || key == "" {
		return "", "", "", errInvalidArgument("Invalid copy source object key", "x-amz-copy-source", v)
	}
	return bucket, key, version, nil
}

// copySourceInfo checks the copy source exists and meets the x-amz-copy-source-if-*
// conditions.
func (s *Service) copySourceInfo(ctx context.Context, q *request) (bucket, key string, info objstore.ObjectInfo, err error) {
	bucket, key, version, err := copySource(q.r.Header.Get("X-Amz-Copy-Source"))
	if err != nil {
		return "", "", info, err
	}
	if len(key) > maxKeyBytes {
		return "", "", info, errKeyTooLong(key)
	}
	if version != "" && version != "null" {
		return "", "", info, newError(http.StatusNotFound, "NoSuchVersion", msgNoSuchVersion).with("Key", key).with("VersionId", version)
	}
	info, err = s.store.Head(ctx, bucket, key)
	if err != nil {
		return "", "", info, s.fail(err, target{bucket: bucket, key: key})
	}
	if status, cond := checkConditions(q.r.Header, info, "X-Amz-Copy-Source-"); status != 0 {
		return "", "", info, newError(http.StatusPreconditionFailed, "PreconditionFailed", msgPrecondition).
			with("Condition", "x-amz-copy-source-"+strings.ToLower(cond))
	}
	return bucket, key, info, nil
}

type copyObjectResult struct {
	XMLName      xml.Name `xml:"CopyObjectResult"`
	Xmlns        string   `xml:"xmlns,attr"`
	LastModified string   `xml:"LastModified"`
	ETag         string   `xml:"ETag"`
}

func (s *Service) copyObject(ctx context.Context, q *request) error {
	srcBucket, srcKey, _, err := s.copySourceInfo(ctx, q)
	if err != nil {
		return err
	}
	var opts *objstore.PutOptions
	switch d := q.r.Header.Get("X-Amz-Metadata-Directive"); d {
	case "", "COPY":
		if srcBucket == q.bucket && srcKey == q.key {
			return errInvalidRequest("This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.")
		}
	case "REPLACE":
		o := putOptions(q.r)
		opts = &o
	default:
		return errInvalidArgument("Unknown metadata directive.", "x-amz-metadata-directive", d)
	}
	info, err := s.store.Copy(ctx, srcBucket, srcKey, q.bucket, q.key, opts)
	if err != nil {
		if errors.Is(err, objstore.ErrNoSuchKey) {
			return s.fail(err, target{bucket: srcBucket, key: srcKey})
		}
		return s.fail(err, target{bucket: q.bucket, key: q.key})
	}
	q.w.Header().Set("x-amz-server-side-encryption", "AES256")
	s.objectCreated(ctx, q, info, "CopyObject")
	return writeXML(q.w, http.StatusOK, copyObjectResult{Xmlns: xmlns, LastModified: isoTime(info.LastModified), ETag: info.ETag})
}

type objectTagging struct {
	XMLName xml.Name `xml:"Tagging"`
	Xmlns   string   `xml:"xmlns,attr"`
	TagSet  struct{} `xml:"TagSet"`
}

// getObjectTagging answers that an object has no tags: stepwise keeps none.
func (s *Service) getObjectTagging(ctx context.Context, q *request) error {
	if _, err := s.store.Head(ctx, q.bucket, q.key); err != nil {
		return s.fail(err, target{bucket: q.bucket, key: q.key})
	}
	return writeXML(q.w, http.StatusOK, objectTagging{Xmlns: xmlns})
}
