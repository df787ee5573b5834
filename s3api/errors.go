package s3api

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"

	"github.com/stepwise-dev/stepwise/api"
	"github.com/stepwise-dev/stepwise/objstore"
)

// s3Error is an error as S3 writes it: a code, a message, a status and the extra
// elements (BucketName, Key, UploadId...) S3 puts beside them.
type s3Error struct {
	Code    string
	Message string
	Status  int
	// Fields are extra elements of <Error>, in order.
	Fields [][2]string
	cause  error
}

func (e *s3Error) Error() string {
	if e.cause != nil {
		return e.Code + ": " + e.Message + ": " + e.cause.Error()
	}
	return e.Code + ": " + e.Message
}

func (e *s3Error) Unwrap() error { return e.cause }

// with returns a copy of e with one more element.
func (e *s3Error) with(name, value string) *s3Error {
	c := *e
	c.Fields = append(append([][2]string(nil), e.Fields...), [2]string{name, value})
	return &c
}

func newError(status int, code, message string) *s3Error {
	return &s3Error{Code: code, Message: message, Status: status}
}

func errorf(status int, code, format string, args ...any) *s3Error {
	return newError(status, code, fmt.Sprintf(format, args...))
}

// S3's messages, word for word, for the codes clients branch on.
const (
	msgNoSuchBucket      = "The specified bucket does not exist"
	msgNoSuchKey         = "The specified key does not exist."
	msgBucketNotEmpty    = "The bucket you tried to delete is not empty"
	msgInvalidBucketName = "The specified bucket is not valid."
	msgOwnedByYou        = "Your previous request to create the named bucket succeeded and you already own it."
	msgNoSuchUpload      = "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed."
	msgInvalidPart       = "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag."
	msgInvalidPartOrder  = "The list of parts was not in ascending order. Parts must be ordered by part number."
	msgEntityTooSmall    = "Your proposed upload is smaller than the minimum allowed object size."
	msgInvalidRange      = "The requested range is not satisfiable"
	msgPrecondition      = "At least one of the pre-conditions you specified did not hold"
	msgBadDigest         = "The Content-MD5 you specified did not match what we received."
	msgInvalidDigest     = "The Content-MD5 you specified was not valid."
	msgMalformedXML      = "The XML you provided was not well-formed or did not validate against our published schema"
	msgMethodNotAllowed  = "The specified method is not allowed against this resource."
	msgKeyTooLong        = "Your key is too long"
	msgSHA256Mismatch    = "The provided 'x-amz-content-sha256' header does not match what was computed."
	msgIncompleteBody    = "You did not provide the number of bytes specified by the Content-Length HTTP header"
	msgInternal          = "We encountered an internal error. Please try again."
	msgNotImplemented    = "A header you provided implies functionality that is not implemented"
	msgNoSuchVersion     = "The specified version does not exist."
	msgSignatureMismatch = "The request signature we calculated does not match the signature you provided. Check your key and signing method."
)

// maxKeyBytes is S3's limit on key length.
const maxKeyBytes = 1024

func errNoSuchBucket(bucket string) *s3Error {
	return newError(http.StatusNotFound, "NoSuchBucket", msgNoSuchBucket).with("BucketName", bucket)
}

func errNoSuchKey(key string) *s3Error {
	return newError(http.StatusNotFound, "NoSuchKey", msgNoSuchKey).with("Key", key)
}

func errMalformedXML() *s3Error {
	return newError(http.StatusBadRequest, "MalformedXML", msgMalformedXML)
}

func errInvalidArgument(message, name, value string) *s3Error {
	return newError(http.StatusBadRequest, "InvalidArgument", message).
		with("ArgumentName", name).with("ArgumentValue", value)
}

func errInvalidRequest(message string) *s3Error {
	return newError(http.StatusBadRequest, "InvalidRequest", message)
}

func errMethodNotAllowed(method, resource string) *s3Error {
	return newError(http.StatusMethodNotAllowed, "MethodNotAllowed", msgMethodNotAllowed).
		with("Method", method).with("ResourceType", resource)
}

func errNotImplemented(what string) *s3Error {
	e := newError(http.StatusNotImplemented, "NotImplemented", msgNotImplemented)
	if what != "" {
		e = e.with("Header", what)
	}
	return e
}

func errKeyTooLong(key string) *s3Error {
	return newError(http.StatusBadRequest, "KeyTooLongError", msgKeyTooLong).
		with("Size", fmt.Sprint(len(key))).with("MaxSizeAllowed", fmt.Sprint(maxKeyBytes))
}

// target is the bucket, key and upload a request is about, for errors that name them.
type target struct {
	bucket, key, uploadID string
}

// storeError turns an objstore error into S3's; nil for errors that are not objstore's
// (which become internal errors). An *s3Error already in err's chain (a body check
// that failed inside a Put) wins.
func storeError(err error, t target) *s3Error {
	var se *s3Error
	if errors.As(err, &se) {
		return se
	}
	var e *s3Error
	switch {
	case errors.Is(err, objstore.ErrNoSuchBucket):
		e = errNoSuchBucket(t.bucket)
	case errors.Is(err, objstore.ErrNoSuchKey):
		e = errNoSuchKey(t.key)
	case errors.Is(err, objstore.ErrBucketExists):
		e = newError(http.StatusConflict, "BucketAlreadyOwnedByYou", msgOwnedByYou).with("BucketName", t.bucket)
	case errors.Is(err, objstore.ErrBucketNotEmpty):
		e = newError(http.StatusConflict, "BucketNotEmpty", msgBucketNotEmpty).with("BucketName", t.bucket)
	case errors.Is(err, objstore.ErrInvalidBucketName):
		e = newError(http.StatusBadRequest, "InvalidBucketName", msgInvalidBucketName).with("BucketName", t.bucket)
	case errors.Is(err, objstore.ErrInvalidKey):
		if len(t.key) > maxKeyBytes {
			e = errKeyTooLong(t.key)
		} else {
			e = errInvalidArgument("The specified key is not valid.", "key", t.key)
		}
	case errors.Is(err, objstore.ErrNoSuchUpload):
		e = newError(http.StatusNotFound, "NoSuchUpload", msgNoSuchUpload).with("UploadId", t.uploadID)
	case errors.Is(err, objstore.ErrInvalidPart):
		e = newError(http.StatusBadRequest, "InvalidPart", msgInvalidPart).with("UploadId", t.uploadID)
	case errors.Is(err, objstore.ErrInvalidPartOrder):
		e = newError(http.StatusBadRequest, "InvalidPartOrder", msgInvalidPartOrder).with("UploadId", t.uploadID)
	case errors.Is(err, objstore.ErrEntityTooSmall):
		e = newError(http.StatusBadRequest, "EntityTooSmall", msgEntityTooSmall)
	case errors.Is(err, objstore.ErrInvalidRange):
		e = newError(http.StatusRequestedRangeNotSatisfiable, "InvalidRange", msgInvalidRange)
	case errors.Is(err, objstore.ErrPreconditionFailed):
		e = newError(http.StatusPreconditionFailed, "PreconditionFailed", msgPrecondition)
	case errors.Is(err, objstore.ErrBadDigest):
		e = newError(http.StatusBadRequest, "BadDigest", msgBadDigest)
	default:
		return nil
	}
	e.cause = err
	return e
}

// mapError is the service's api.ErrorMapper, for errors the framework writes itself.
func mapError(err error) *api.Error {
	e := storeError(err, target{})
	if e == nil {
		return nil
	}
	return &api.Error{Code: e.Code, Message: e.Message, HTTPStatus: e.Status, Sender: e.Status < 500}
}

// writeError sends e as S3 does: an <Error> document, or no body for HEAD.
func writeError(w http.ResponseWriter, r *http.Request, e *s3Error, requestID string) {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	b.WriteString("<Error>")
	elem(&b, "Code", e.Code)
	elem(&b, "Message", e.Message)
	for _, f := range e.Fields {
		elem(&b, f[0], f[1])
	}
	elem(&b, "RequestId", requestID)
	elem(&b, "HostId", hostID)
	b.WriteString("</Error>")
	h := w.Header()
	h.Set("Content-Type", "application/xml")
	h.Set("x-amz-id-2", hostID)
	if r.Method == http.MethodHead {
		w.WriteHeader(e.Status)
		return
	}
	h.Set("Content-Length", fmt.Sprint(b.Len()))
	w.WriteHeader(e.Status)
	_, _ = w.Write(b.Bytes())
}

func elem(b *bytes.Buffer, name, value string) {
	b.WriteString("<" + name + ">")
	_ = xml.EscapeText(b, []byte(value))
	b.WriteString("</" + name + ">")
}

// hostID stands for S3's x-amz-id-2 (which names the S3 host that served a request).
const hostID = "stepwise"
