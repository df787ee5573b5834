// Package objstore is what stands behind s3:// URIs: buckets of objects addressed by
// key, kept in a local directory (objstore/local, the default) or in any S3-compatible
// service (objstore/remote). The S3 API that stepwise serves (package s3api) and the
// SageMaker jobs that stage data in and out both use this interface, so the same bytes
// are seen through the aws CLI and inside a job's /opt/ml.
//
// Objects are streamed: nothing here holds a whole object in memory.
package objstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Errors a caller can act on; drivers wrap them with %w. s3api maps them to S3's codes
// (NoSuchBucket, NoSuchKey, BucketAlreadyOwnedByYou, BucketNotEmpty, InvalidBucketName,
// InvalidArgument/KeyTooLongError, NoSuchUpload, InvalidPart, InvalidPartOrder, EntityTooSmall).
var (
	ErrNoSuchBucket       = errors.New("objstore: no such bucket")
	ErrNoSuchKey          = errors.New("objstore: no such key")
	ErrBucketExists       = errors.New("objstore: bucket already exists")
	ErrBucketNotEmpty     = errors.New("objstore: bucket not empty")
	ErrInvalidBucketName  = errors.New("objstore: invalid bucket name")
	ErrInvalidKey         = errors.New("objstore: invalid key")
	ErrNoSuchUpload       = errors.New("objstore: no such multipart upload")
	ErrInvalidPart        = errors.New("objstore: invalid part")
	ErrInvalidPartOrder   = errors.New("objstore: parts not in ascending order")
	ErrEntityTooSmall     = errors.New("objstore: part smaller than the 5 MiB minimum")
	ErrInvalidRange       = errors.New("objstore: range not satisfiable")
	ErrPreconditionFailed = errors.New("objstore: precondition failed")
	ErrBadDigest          = errors.New("objstore: content does not match its digest")
)

// ObjectInfo describes a stored object.
type ObjectInfo struct {
	Bucket       string
	Key          string
	Size         int64
	ETag         string // quoted, as S3 sends it: "\"<md5 hex>\"" or "\"<md5 of md5s>-<parts>\""
	LastModified time.Time
	ContentType  string
	// Metadata is the user metadata (x-amz-meta-*), keys lower-case without the prefix.
	Metadata map[string]string
}

// BucketInfo describes a bucket.
type BucketInfo struct {
	Name    string
	Created time.Time
}

// PutOptions are the optional parts of a put.
type PutOptions struct {
	ContentType string
	Metadata    map[string]string
	// Size is the body's length when known (-1 or 0 with a non-empty body: unknown).
	Size int64
	// MD5 is the expected MD5 of the body (Content-MD5, raw 16 bytes); a mismatch is
	// ErrBadDigest and stores nothing.
	MD5 []byte
}

// Range is an inclusive byte range of a Get; Start < 0 means the last -Start bytes.
type Range struct {
	Start, End int64 // End < 0: to the end
}

// ListOptions select the objects of a List (ListObjectsV2's parameters).
type ListOptions struct {
	Prefix     string
	Delimiter  string
	StartAfter string // keys strictly after this one (also the continuation point)
	MaxKeys    int    // 0: 1000
}

// ListResult is one page of a List: objects and common prefixes in key order.
type ListResult struct {
	Objects        []ObjectInfo
	CommonPrefixes []string
	// Truncated says there is more; Next is the StartAfter of the next page: the page's
	// last key or common prefix. A common prefix is listed only when it sorts after
	// StartAfter, so a StartAfter that is a common prefix skips every key under it (as
	// S3 does with a marker).
	Truncated bool
	Next      string
}

// Part is a part of a completed multipart upload.
type Part struct {
	Number int
	ETag   string
}

// PartInfo describes an uploaded part.
type PartInfo struct {
	Number       int
	ETag         string
	Size         int64
	LastModified time.Time
}

// Upload describes an in-progress multipart upload.
type Upload struct {
	Bucket    string
	Key       string
	UploadID  string
	Initiated time.Time
}

// Store is a set of buckets. All methods are safe for concurrent use; a Put or a
// completed multipart upload replaces the object atomically (readers see the old or the
// new object, never a mix), and a failed one leaves the old object in place.
type Store interface {
	CreateBucket(ctx context.Context, bucket string) error
	// DeleteBucket removes an empty bucket (ErrBucketNotEmpty otherwise).
	DeleteBucket(ctx context.Context, bucket string) error
	HeadBucket(ctx context.Context, bucket string) (BucketInfo, error)
	ListBuckets(ctx context.Context) ([]BucketInfo, error)

	Put(ctx context.Context, bucket, key string, body io.Reader, opts PutOptions) (ObjectInfo, error)
	// Get opens an object (or a range of it); the caller closes the reader. The
	// ObjectInfo describes the whole object: rng.Resolve(info.Size) gives the bytes served.
	Get(ctx context.Context, bucket, key string, rng *Range) (io.ReadCloser, ObjectInfo, error)
	Head(ctx context.Context, bucket, key string) (ObjectInfo, error)
	// Delete removes an object; deleting a missing key is not an error (as in S3).
	Delete(ctx context.Context, bucket, key string) error
	// Copy copies an object, keeping its content type and metadata unless opts
	// replaces them (opts nil: copy them).
	Copy(ctx context.Context, srcBucket, srcKey, dstBucket, dstKey string, opts *PutOptions) (ObjectInfo, error)
	List(ctx context.Context, bucket string, opts ListOptions) (ListResult, error)

	CreateMultipartUpload(ctx context.Context, bucket, key string, opts PutOptions) (uploadID string, err error)
	UploadPart(ctx context.Context, bucket, key, uploadID string, number int, body io.Reader, size int64) (PartInfo, error)
	ListParts(ctx context.Context, bucket, key, uploadID string) ([]PartInfo, error)
	// CompleteMultipartUpload assembles the parts; every part but the last must be at
	// least 5 MiB (ErrEntityTooSmall).
	CompleteMultipartUpload(ctx context.Context, bucket, key, uploadID string, parts []Part) (ObjectInfo, error)
	AbortMultipartUpload(ctx context.Context, bucket, key, uploadID string) error
	ListMultipartUploads(ctx context.Context, bucket, prefix string) ([]Upload, error)
}

// Linker is implemented by stores whose objects are files on this machine (the local
// directory driver): staging for a job can then hard-link (or reflink, or copy) the
// file instead of streaming it. The returned path must not be written to.
type Linker interface {
	// ObjectPath returns the file holding an object's bytes.
	ObjectPath(ctx context.Context, bucket, key string) (string, error)
}

// URI is a parsed s3://bucket/key.
type URI struct {
	Bucket string
	Key    string // may be empty (the whole bucket) or end with "/"
}

func (u URI) String() string { return "s3://" + u.Bucket + "/" + u.Key }

// ParseURI parses "s3://bucket/key" (also "s3://bucket" and "s3://bucket/").
func ParseURI(s string) (URI, error) {
	rest, ok := strings.CutPrefix(s, "s3://")
	if !ok {
		return URI{}, fmt.Errorf("%q is not an s3:// URI", s)
	}
	bucket, key, _ := strings.Cut(rest, "/")
	if bucket == "" {
		return URI{}, fmt.Errorf("%q has no bucket name", s)
	}
	return URI{Bucket: bucket, Key: key}, nil
}
