// Package s3api serves the S3 REST API (REST-XML) over an objstore.Store, for the aws
// CLI's `aws s3` and `aws s3api` commands, boto3 and the SDKs. Buckets are addressed
// path-style (/{bucket}/{key}) or virtual-hosted (Host: {bucket}.localhost).
//
// Uploads and downloads stream: bodies go to and from the store without being held
// in memory, and the body's digests (x-amz-content-sha256, Content-MD5,
// x-amz-checksum-*, aws-chunked chunk signatures and trailing checksums) are checked
// as it streams, before the store commits it.
//
// Where it differs from S3: one account owns everything (ACLs read as the owner's full
// control and cannot be set); bucket versioning, default encryption and tags are
// recorded and returned but objects keep a single version ("null": ListObjectVersions
// lists each object once, and deleting a version deletes the object only when it is
// "null"); checksums are checked and echoed on upload but not stored, so GetObject and
// HeadObject return none; object tags, Cache-Control, Content-Disposition and
// Content-Encoding are not kept; bucket policies, CORS, lifecycle, website and
// replication read as not configured and cannot be set; POST (browser form) uploads and
// SigV4a (ECDSA) streaming are not implemented.
package s3api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"

	"github.com/stepwise-dev/stepwise/api"
	"github.com/stepwise-dev/stepwise/events"
	"github.com/stepwise-dev/stepwise/objstore"
)

// DefaultMaxXMLBytes bounds the XML documents of requests (DeleteObjects,
// CompleteMultipartUpload, bucket settings).
const DefaultMaxXMLBytes = 1 << 20

// Options configure a Service.
type Options struct {
	// Hosts are host names (without port) under which a request for
	// "<bucket>.<host>" is virtual-hosted style. "localhost" is always one.
	Hosts []string
	// Keys are the secrets of the access keys the dispatcher checks signatures with.
	// They are needed to check the chunk signatures of signed aws-chunked uploads
	// (STREAMING-AWS4-HMAC-SHA256-PAYLOAD); without them such uploads are refused when
	// signatures are checked. Unused when signatures are not checked.
	Keys api.KeyStore
	// Config keeps bucket settings (versioning, encryption, tags); nil keeps them in
	// memory.
	Config ConfigStore
	// MaxXMLBytes bounds XML request bodies; 0 means DefaultMaxXMLBytes.
	MaxXMLBytes int64
	Logger      *slog.Logger
	// Events receives the "Object Created" events of buckets with EventBridge
	// notifications enabled (eventbridge.go); nil sends none.
	Events events.Bus
}

// Service is the S3 API over one store.
type Service struct {
	store objstore.Store
	opts  Options
	log   *slog.Logger
	// configMu serialises the read-modify-write of bucket settings.
	configMu sync.Mutex
	ownerID  string
}

// New makes the S3 API over store.
func New(store objstore.Store, opts Options) *Service {
	if opts.Config == nil {
		opts.Config = NewMemoryConfig()
	}
	if opts.MaxXMLBytes <= 0 {
		opts.MaxXMLBytes = DefaultMaxXMLBytes
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	opts.Hosts = append([]string{"localhost"}, opts.Hosts...)
	return &Service{store: store, opts: opts, log: opts.Logger}
}

// Register serves S3 from d: every request no other REST service claims.
func (s *Service) Register(d *api.Dispatcher) error {
	sum := sha256.Sum256([]byte("stepwise:" + d.AccountID()))
	s.ownerID = hex.EncodeToString(sum[:])
	return d.RegisterREST(&api.RESTService{
		SigningName: "s3",
		Protocol:    api.ProtocolRESTXML,
		StreamBody:  true,
		MapError:    mapError,
		Handler:     s.serve,
	})
}

// request is one S3 request, routed.
type request struct {
	w      http.ResponseWriter
	r      *http.Request
	info   *api.RequestInfo
	bucket string
	key    string
	query  map[string][]string
}

func (q *request) has(name string) bool {
	_, ok := q.query[name]
	return ok
}

func (q *request) get(name string) string {
	if v := q.query[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}

func (s *Service) serve(ctx context.Context, w http.ResponseWriter, r *http.Request, _ []byte) error {
	info := api.RequestInfoFrom(ctx)
	if info == nil {
		info = &api.RequestInfo{}
	}
	r = r.WithContext(ctx)
	q := &request{w: w, r: r, info: info, query: r.URL.Query()}
	q.bucket, q.key = s.route(r)
	w.Header().Set("x-amz-id-2", hostID)
	if r.ContentLength == 0 && strings.EqualFold(r.Header.Get("Expect"), "100-continue") {
		// net/http sends no 100 Continue for an empty body, and botocore then misreads
		// the next reply on the same connection (it keeps the final status it got in
		// place of a 100 Continue for the connection's next response). S3 sends one.
		w.WriteHeader(http.StatusContinue)
	}
	err := s.dispatch(ctx, q)
	if err == nil {
		return nil
	}
	var e *s3Error
	if !errors.As(err, &e) {
		e = newError(http.StatusInternalServerError, "InternalError", msgInternal)
		e.cause = err
	}
	if e.Status >= 500 {
		s.log.Error("S3 request failed", "service", "s3", "operation", info.Operation, "request_id", info.RequestID, "err", err)
	}
	writeError(w, r, e, info.RequestID)
	return nil
}

// route finds the bucket and key of a request: virtual-hosted style when the Host is
// "<bucket>.<one of Hosts>", else path-style.
func (s *Service) route(r *http.Request) (bucket, key string) {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(host)
	path := strings.TrimPrefix(r.URL.Path, "/")
	for _, base := range s.opts.Hosts {
		if b, ok := strings.CutSuffix(host, "."+strings.ToLower(base)); ok && b != "" {
			return b, path
		}
	}
	bucket, key, _ = strings.Cut(path, "/")
	return bucket, key
}

// op names the operation for the dispatcher's logs.
func (q *request) op(name string) { q.info.Operation = name }

func (s *Service) dispatch(ctx context.Context, q *request) error {
	r := q.r
	if q.bucket == "" {
		if r.Method == http.MethodGet {
			q.op("ListBuckets")
			return s.listBuckets(ctx, q)
		}
		return errMethodNotAllowed(r.Method, "SERVICE")
	}
	if q.key == "" {
		return s.bucketOp(ctx, q)
	}
	if len(q.key) > maxKeyBytes {
		return errKeyTooLong(q.key)
	}
	return s.objectOp(ctx, q)
}

func (s *Service) bucketOp(ctx context.Context, q *request) error {
	switch q.r.Method {
	case http.MethodGet:
		switch {
		case q.has("location"):
			q.op("GetBucketLocation")
			return s.getBucketLocation(ctx, q)
		case q.has("versioning"):
			q.op("GetBucketVersioning")
			return s.getBucketVersioning(ctx, q)
		case q.has("encryption"):
			q.op("GetBucketEncryption")
			return s.getBucketEncryption(ctx, q)
		case q.has("tagging"):
			q.op("GetBucketTagging")
			return s.getBucketTagging(ctx, q)
		case q.has("notification"):
			q.op("GetBucketNotificationConfiguration")
			return s.getBucketNotification(ctx, q)
		case q.has("uploads"):
			q.op("ListMultipartUploads")
			return s.listMultipartUploads(ctx, q)
		case q.has("versions"):
			q.op("ListObjectVersions")
			return s.listObjectVersions(ctx, q)
		case q.has("acl"):
			q.op("GetBucketAcl")
			return s.getACL(ctx, q)
		case q.has("policy"), q.has("cors"), q.has("lifecycle"), q.has("website"), q.has("replication"):
			return s.missingBucketSetting(ctx, q)
		case q.get("list-type") == "2":
			q.op("ListObjectsV2")
			return s.listObjectsV2(ctx, q)
		default:
			q.op("ListObjects")
			return s.listObjectsV1(ctx, q)
		}
	case http.MethodPut:
		switch {
		case q.has("versioning"):
			q.op("PutBucketVersioning")
			return s.putBucketVersioning(ctx, q)
		case q.has("encryption"):
			q.op("PutBucketEncryption")
			return s.putBucketEncryption(ctx, q)
		case q.has("tagging"):
			q.op("PutBucketTagging")
			return s.putBucketTagging(ctx, q)
		case q.has("notification"):
			q.op("PutBucketNotificationConfiguration")
			return s.putBucketNotification(ctx, q)
		case len(q.query) > 0 && !q.has("x-id"):
			return errNotImplemented("")
		default:
			q.op("CreateBucket")
			return s.createBucket(ctx, q)
		}
	case http.MethodHead:
		q.op("HeadBucket")
		return s.headBucket(ctx, q)
	case http.MethodDelete:
		switch {
		case q.has("encryption"):
			q.op("DeleteBucketEncryption")
			return s.deleteBucketEncryption(ctx, q)
		case q.has("tagging"):
			q.op("DeleteBucketTagging")
			return s.deleteBucketTagging(ctx, q)
		case len(q.query) > 0 && !q.has("x-id"):
			return errNotImplemented("")
		default:
			q.op("DeleteBucket")
			return s.deleteBucket(ctx, q)
		}
	case http.MethodPost:
		if q.has("delete") {
			q.op("DeleteObjects")
			return s.deleteObjects(ctx, q)
		}
	}
	return errMethodNotAllowed(q.r.Method, "BUCKET")
}

func (s *Service) objectOp(ctx context.Context, q *request) error {
	r := q.r
	switch r.Method {
	case http.MethodPut:
		switch {
		case q.has("partNumber") && q.has("uploadId") && r.Header.Get("X-Amz-Copy-Source") != "":
			q.op("UploadPartCopy")
			return s.uploadPartCopy(ctx, q)
		case q.has("partNumber") && q.has("uploadId"):
			q.op("UploadPart")
			return s.uploadPart(ctx, q)
		case q.has("tagging"), q.has("acl"), q.has("retention"), q.has("legal-hold"):
			return errNotImplemented("")
		case r.Header.Get("X-Amz-Copy-Source") != "":
			q.op("CopyObject")
			return s.copyObject(ctx, q)
		default:
			q.op("PutObject")
			return s.putObject(ctx, q)
		}
	case http.MethodGet:
		switch {
		case q.has("uploadId"):
			q.op("ListParts")
			return s.listParts(ctx, q)
		case q.has("acl"):
			q.op("GetObjectAcl")
			return s.getACL(ctx, q)
		case q.has("tagging"):
			q.op("GetObjectTagging")
			return s.getObjectTagging(ctx, q)
		default:
			q.op("GetObject")
			return s.getObject(ctx, q, false)
		}
	case http.MethodHead:
		q.op("HeadObject")
		return s.getObject(ctx, q, true)
	case http.MethodDelete:
		if q.has("uploadId") {
			q.op("AbortMultipartUpload")
			return s.abortMultipartUpload(ctx, q)
		}
		q.op("DeleteObject")
		return s.deleteObject(ctx, q)
	case http.MethodPost:
		switch {
		case q.has("uploads"):
			q.op("CreateMultipartUpload")
			return s.createMultipartUpload(ctx, q)
		case q.has("uploadId"):
			q.op("CompleteMultipartUpload")
			return s.completeMultipartUpload(ctx, q)
		}
	}
	return errMethodNotAllowed(r.Method, "OBJECT")
}
