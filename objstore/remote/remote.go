// Package remote is the objstore driver for any S3-compatible service: AWS S3, MinIO,
// Ceph RGW, Garage, moto, or another stepwise.
//
// It uses github.com/minio/minio-go/v7 rather than the AWS SDK: its Core type exposes
// S3's operations one for one (so ListObjectsV2 pages, multipart parts and errors map
// directly onto objstore's), it streams bodies of unknown length in bounded parts, and it
// is tested against many S3-compatible servers, not only AWS.
package remote

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/stepwise-dev/stepwise/objstore"
)

// Config says where the service is and how to sign requests.
type Config struct {
	// Endpoint is the service's URL, e.g. "https://s3.eu-west-1.amazonaws.com" or
	// "http://127.0.0.1:9000". The scheme chooses TLS.
	Endpoint string
	// Region signs requests (default "us-east-1").
	Region string
	// AccessKeyID, SecretAccessKey and SessionToken are the credentials; all empty
	// sends anonymous requests.
	AccessKeyID, SecretAccessKey, SessionToken string
	// PathStyle addresses buckets as /bucket/key instead of bucket.host/key; most
	// self-hosted services need it.
	PathStyle bool
	// Transport replaces the HTTP transport (default: minio-go's).
	Transport http.RoundTripper
}

// partSize is the part size of puts of unknown length, which minio-go buffers in memory
// one part at a time; it caps such objects at 10,000 parts (160 GiB).
const partSize = 16 << 20

// Store is an objstore.Store backed by an S3-compatible service.
type Store struct {
	core   minio.Core
	region string
}

var _ objstore.Store = (*Store)(nil)

// New returns a store for the service cfg describes. It does not contact the service.
func New(cfg Config) (*Store, error) {
	u, err := url.Parse(cfg.Endpoint)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("objstore/remote: endpoint %q is not an http(s) URL", cfg.Endpoint)
	}
	if u.Path != "" && u.Path != "/" {
		return nil, fmt.Errorf("objstore/remote: endpoint %q has a path; give the service's root URL", cfg.Endpoint)
	}
	region := cfg.Region
	if region == "" {
		region = "us-east-1"
	}
	lookup := minio.BucketLookupAuto
	if cfg.PathStyle {
		lookup = minio.BucketLookupPath
	}
	var creds *credentials.Credentials
	if cfg.AccessKeyID != "" || cfg.SecretAccessKey != "" {
		creds = credentials.NewStaticV4(cfg.AccessKeyID, cfg.SecretAccessKey, cfg.SessionToken)
	} else {
		creds = credentials.New(&credentials.Static{Value: credentials.Value{SignerType: credentials.SignatureAnonymous}})
	}
	c, err := minio.NewCore(u.Host, &minio.Options{
		Creds: creds, Secure: u.Scheme == "https", Region: region, BucketLookup: lookup, Transport: cfg.Transport,
	})
	if err != nil {
		return nil, fmt.Errorf("objstore/remote: %w", err)
	}
	return &Store{core: *c, region: region}, nil
}

// codes maps S3 error codes onto objstore's errors.
var codes = map[string]error{
	"NoSuchBucket":            objstore.ErrNoSuchBucket,
	"NoSuchKey":               objstore.ErrNoSuchKey,
	"BucketAlreadyOwnedByYou": objstore.ErrBucketExists,
	"BucketAlreadyExists":     objstore.ErrBucketExists,
	"BucketNotEmpty":          objstore.ErrBucketNotEmpty,
	"InvalidBucketName":       objstore.ErrInvalidBucketName,
	"KeyTooLongError":         objstore.ErrInvalidKey,
	"XMinioInvalidObjectName": objstore.ErrInvalidKey,
	"NoSuchUpload":            objstore.ErrNoSuchUpload,
	"InvalidPart":             objstore.ErrInvalidPart,
	"InvalidPartOrder":        objstore.ErrInvalidPartOrder,
	"EntityTooSmall":          objstore.ErrEntityTooSmall,
	"InvalidRange":            objstore.ErrInvalidRange,
	"PreconditionFailed":      objstore.ErrPreconditionFailed,
	"BadDigest":               objstore.ErrBadDigest,
}

// mapErr wraps a service error with the objstore error its code means.
func mapErr(op string, err error) error {
	if err == nil {
		return nil
	}
	resp := minio.ToErrorResponse(err)
	if sentinel, ok := codes[resp.Code]; ok {
		return fmt.Errorf("%w: %s: %s", sentinel, op, resp.Message)
	}
	switch resp.StatusCode {
	case http.StatusRequestedRangeNotSatisfiable:
		return fmt.Errorf("%w: %s", objstore.ErrInvalidRange, op)
	case http.StatusPreconditionFailed:
		return fmt.Errorf("%w: %s", objstore.ErrPreconditionFailed, op)
	}
	return fmt.Errorf("objstore/remote: %s: %w", op, err)
}

// mapObjErr is mapErr for object requests, which tell a missing key from a missing
// bucket only in an error body: a HEAD has none (and some services answer a missing
// bucket with NoSuchKey), so a missing key is checked against the bucket.
func (s *Store) mapObjErr(ctx context.Context, op, bucket string, err error) error {
	err = mapErr(op, err)
	if errors.Is(err, objstore.ErrNoSuchKey) {
		if ok, berr := s.core.BucketExists(ctx, bucket); berr == nil && !ok {
			return fmt.Errorf("%w: %s", objstore.ErrNoSuchBucket, op)
		}
	}
	return err
}

// CreateBucket creates a bucket in the configured region. S3 in us-east-1 succeeds when
// the caller already owns the bucket, so existence is checked first.
func (s *Store) CreateBucket(ctx context.Context, bucket string) error {
	if err := objstore.ValidateBucketName(bucket); err != nil {
		return err
	}
	if ok, err := s.core.BucketExists(ctx, bucket); err == nil && ok {
		return fmt.Errorf("%w: %s", objstore.ErrBucketExists, bucket)
	}
	return mapErr("create bucket "+bucket, s.core.MakeBucket(ctx, bucket, minio.MakeBucketOptions{Region: s.region}))
}

// DeleteBucket deletes an empty bucket.
func (s *Store) DeleteBucket(ctx context.Context, bucket string) error {
	return mapErr("delete bucket "+bucket, s.core.RemoveBucket(ctx, bucket))
}

// HeadBucket checks that the bucket exists; its creation date comes from ListBuckets
// (zero if the bucket is not listed, e.g. owned by someone else).
func (s *Store) HeadBucket(ctx context.Context, bucket string) (objstore.BucketInfo, error) {
	ok, err := s.core.BucketExists(ctx, bucket)
	if err != nil {
		return objstore.BucketInfo{}, mapErr("head bucket "+bucket, err)
	}
	if !ok {
		return objstore.BucketInfo{}, fmt.Errorf("%w: %s", objstore.ErrNoSuchBucket, bucket)
	}
	all, err := s.ListBuckets(ctx)
	if err == nil {
		for _, b := range all {
			if b.Name == bucket {
				return b, nil
			}
		}
	}
	return objstore.BucketInfo{Name: bucket}, nil
}

// ListBuckets lists the caller's buckets by name.
func (s *Store) ListBuckets(ctx context.Context) ([]objstore.BucketInfo, error) {
	bs, err := s.core.ListBuckets(ctx)
	if err != nil {
		return nil, mapErr("list buckets", err)
	}
	out := make([]objstore.BucketInfo, len(bs))
	for i, b := range bs {
		out[i] = objstore.BucketInfo{Name: b.Name, Created: b.CreationDate}
	}
	slices.SortFunc(out, func(a, b objstore.BucketInfo) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

func quote(etag string) string {
	if etag == "" || strings.HasPrefix(etag, `"`) {
		return etag
	}
	return `"` + etag + `"`
}

func info(bucket string, o minio.ObjectInfo) objstore.ObjectInfo {
	var md map[string]string
	for k, v := range o.Metadata {
		if name, ok := strings.CutPrefix(strings.ToLower(k), "x-amz-meta-"); ok && len(v) > 0 {
			if md == nil {
				md = map[string]string{}
			}
			md[name] = v[0]
		}
	}
	return objstore.ObjectInfo{
		Bucket: bucket, Key: o.Key, Size: o.Size, ETag: quote(o.ETag),
		LastModified: o.LastModified, ContentType: o.ContentType, Metadata: md,
	}
}

func putOptions(o objstore.PutOptions) minio.PutObjectOptions {
	return minio.PutObjectOptions{ContentType: o.ContentType, UserMetadata: o.Metadata, PartSize: partSize}
}

// Put uploads an object in one request when its size is known (up to S3's 5 GiB) or it
// turns out smaller than 16 MiB, in 16 MiB parts otherwise (the ETag is then a multipart
// one). With opts.MD5 the body is spooled to a temporary file and checked before it is
// sent, so a mismatch stores nothing whatever the service checks.
func (s *Store) Put(ctx context.Context, bucket, key string, body io.Reader, opts objstore.PutOptions) (objstore.ObjectInfo, error) {
	if err := objstore.ValidateKey(key); err != nil {
		return objstore.ObjectInfo{}, err
	}
	op := "put s3://" + bucket + "/" + key
	if opts.MD5 != nil {
		f, n, sum, err := spool(body)
		if err != nil {
			return objstore.ObjectInfo{}, fmt.Errorf("objstore/remote: %s: %w", op, err)
		}
		defer closeRemove(f)
		if !bytes.Equal(sum, opts.MD5) {
			return objstore.ObjectInfo{}, fmt.Errorf("%w: %s", objstore.ErrBadDigest, op)
		}
		body, opts.Size = f, n
	}
	single := opts.Size > 0 && opts.Size <= 5<<30
	if opts.Size <= 0 {
		// Unknown length: read up to one part to see whether one request will do.
		buf := make([]byte, partSize)
		n, err := io.ReadFull(body, buf)
		switch {
		case err == io.EOF || err == io.ErrUnexpectedEOF:
			body, opts.Size, single = bytes.NewReader(buf[:n]), int64(n), true
		case err != nil:
			return objstore.ObjectInfo{}, fmt.Errorf("objstore/remote: %s: %w", op, err)
		default:
			body, opts.Size = io.MultiReader(bytes.NewReader(buf), body), -1
		}
	}
	var err error
	if single {
		var md5b64 string
		if opts.MD5 != nil {
			md5b64 = base64.StdEncoding.EncodeToString(opts.MD5)
		}
		_, err = s.core.PutObject(ctx, bucket, key, body, opts.Size, md5b64, "", putOptions(opts))
	} else {
		_, err = s.core.Client.PutObject(ctx, bucket, key, body, opts.Size, putOptions(opts))
	}
	if err != nil {
		return objstore.ObjectInfo{}, s.mapObjErr(ctx, op, bucket, err)
	}
	return s.Head(ctx, bucket, key)
}

// spool copies a body to a temporary file, returning it rewound with its length and MD5.
func spool(r io.Reader) (*os.File, int64, []byte, error) {
	f, err := os.CreateTemp("", "objstore-remote-")
	if err != nil {
		return nil, 0, nil, err
	}
	h := md5.New()
	n, err := io.Copy(io.MultiWriter(f, h), r)
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		closeRemove(f)
		return nil, 0, nil, err
	}
	return f, n, h.Sum(nil), nil
}

func closeRemove(f *os.File) {
	_ = f.Close()
	_ = os.Remove(f.Name())
}

// Get opens an object or a range of it; the ObjectInfo describes the whole object.
func (s *Store) Get(ctx context.Context, bucket, key string, rng *objstore.Range) (io.ReadCloser, objstore.ObjectInfo, error) {
	if err := objstore.ValidateKey(key); err != nil {
		return nil, objstore.ObjectInfo{}, err
	}
	var o minio.GetObjectOptions
	if rng != nil {
		switch {
		case rng.Start < 0:
			o.Set("Range", fmt.Sprintf("bytes=%d", rng.Start))
		case rng.End < 0:
			o.Set("Range", fmt.Sprintf("bytes=%d-", rng.Start))
		default:
			o.Set("Range", fmt.Sprintf("bytes=%d-%d", rng.Start, rng.End))
		}
	}
	rc, oi, h, err := s.core.GetObject(ctx, bucket, key, o)
	if err != nil {
		return nil, objstore.ObjectInfo{}, s.mapObjErr(ctx, "get s3://"+bucket+"/"+key, bucket, err)
	}
	out := info(bucket, oi)
	out.Key = key
	if cr := h.Get("Content-Range"); cr != "" {
		// "bytes 0-9/100": the whole object's size is after the slash.
		if i := strings.LastIndexByte(cr, '/'); i >= 0 {
			if n, err := strconv.ParseInt(cr[i+1:], 10, 64); err == nil {
				out.Size = n
			}
		}
	}
	return rc, out, nil
}

// Head describes an object.
func (s *Store) Head(ctx context.Context, bucket, key string) (objstore.ObjectInfo, error) {
	if err := objstore.ValidateKey(key); err != nil {
		return objstore.ObjectInfo{}, err
	}
	oi, err := s.core.StatObject(ctx, bucket, key, minio.StatObjectOptions{})
	if err != nil {
		return objstore.ObjectInfo{}, s.mapObjErr(ctx, "head s3://"+bucket+"/"+key, bucket, err)
	}
	out := info(bucket, oi)
	out.Key = key
	return out, nil
}

// Delete deletes an object; a missing key is not an error (as in S3), a missing bucket
// is.
func (s *Store) Delete(ctx context.Context, bucket, key string) error {
	if err := objstore.ValidateKey(key); err != nil {
		return err
	}
	return mapErr("delete s3://"+bucket+"/"+key, s.core.RemoveObject(ctx, bucket, key, minio.RemoveObjectOptions{}))
}

// Copy copies an object on the service's side (up to S3's 5 GiB for one request).
func (s *Store) Copy(ctx context.Context, srcBucket, srcKey, dstBucket, dstKey string, opts *objstore.PutOptions) (objstore.ObjectInfo, error) {
	if err := objstore.ValidateKey(dstKey); err != nil {
		return objstore.ObjectInfo{}, err
	}
	dst := minio.CopyDestOptions{Bucket: dstBucket, Object: dstKey}
	if opts != nil {
		dst.ReplaceMetadata = true
		dst.UserMetadata = opts.Metadata
		dst.ContentType = opts.ContentType
		if dst.UserMetadata == nil {
			dst.UserMetadata = map[string]string{}
		}
	}
	_, err := s.core.Client.CopyObject(ctx, dst, minio.CopySrcOptions{Bucket: srcBucket, Object: srcKey})
	if err != nil {
		return objstore.ObjectInfo{}, mapErr(fmt.Sprintf("copy s3://%s/%s to s3://%s/%s", srcBucket, srcKey, dstBucket, dstKey), err)
	}
	return s.Head(ctx, dstBucket, dstKey)
}

// List lists one page with ListObjectsV2. Next is computed, not the service's
// continuation token, so that it is a StartAfter as objstore defines it.
func (s *Store) List(ctx context.Context, bucket string, opts objstore.ListOptions) (objstore.ListResult, error) {
	limit := opts.MaxKeys
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	// Core.ListObjectsV2 takes no context; check it before the request at least.
	if err := ctx.Err(); err != nil {
		return objstore.ListResult{}, err
	}
	r, err := s.core.ListObjectsV2(bucket, opts.Prefix, opts.StartAfter, "", opts.Delimiter, limit)
	if err != nil {
		return objstore.ListResult{}, mapErr("list s3://"+bucket+"/"+opts.Prefix, err)
	}
	var out objstore.ListResult
	for _, o := range r.Contents {
		out.Objects = append(out.Objects, info(bucket, o))
		out.Next = max2(out.Next, o.Key)
	}
	for _, p := range r.CommonPrefixes {
		out.CommonPrefixes = append(out.CommonPrefixes, p.Prefix)
		out.Next = max2(out.Next, p.Prefix)
	}
	out.Truncated = r.IsTruncated
	if !out.Truncated {
		out.Next = ""
	}
	return out, nil
}

func max2(a, b string) string {
	if a > b {
		return a
	}
	return b
}

// CreateMultipartUpload starts a multipart upload.
func (s *Store) CreateMultipartUpload(ctx context.Context, bucket, key string, opts objstore.PutOptions) (string, error) {
	if err := objstore.ValidateKey(key); err != nil {
		return "", err
	}
	id, err := s.core.NewMultipartUpload(ctx, bucket, key, putOptions(opts))
	return id, mapErr("create multipart upload s3://"+bucket+"/"+key, err)
}

// UploadPart uploads a part; a part of unknown size (size < 0) is spooled to a
// temporary file first, since S3 needs its length.
func (s *Store) UploadPart(ctx context.Context, bucket, key, uploadID string, number int, body io.Reader, size int64) (objstore.PartInfo, error) {
	if size < 0 {
		f, n, _, err := spool(body)
		if err != nil {
			return objstore.PartInfo{}, fmt.Errorf("objstore/remote: upload part: %w", err)
		}
		defer closeRemove(f)
		body, size = f, n
	}
	p, err := s.core.PutObjectPart(ctx, bucket, key, uploadID, number, body, size, minio.PutObjectPartOptions{})
	if err != nil {
		return objstore.PartInfo{}, mapErr(fmt.Sprintf("upload part %d of %s", number, uploadID), err)
	}
	return objstore.PartInfo{Number: p.PartNumber, ETag: quote(p.ETag), Size: size, LastModified: p.LastModified}, nil
}

// ListParts lists an upload's parts, all pages.
func (s *Store) ListParts(ctx context.Context, bucket, key, uploadID string) ([]objstore.PartInfo, error) {
	var out []objstore.PartInfo
	marker := 0
	for {
		r, err := s.core.ListObjectParts(ctx, bucket, key, uploadID, marker, 1000)
		if err != nil {
			return nil, mapErr("list parts of "+uploadID, err)
		}
		for _, p := range r.ObjectParts {
			out = append(out, objstore.PartInfo{Number: p.PartNumber, ETag: quote(p.ETag), Size: p.Size, LastModified: p.LastModified})
		}
		if !r.IsTruncated || r.NextPartNumberMarker <= marker {
			return out, nil
		}
		marker = r.NextPartNumberMarker
	}
}

// CompleteMultipartUpload joins the parts into the object.
func (s *Store) CompleteMultipartUpload(ctx context.Context, bucket, key, uploadID string, parts []objstore.Part) (objstore.ObjectInfo, error) {
	cp := make([]minio.CompletePart, len(parts))
	for i, p := range parts {
		// S3 checks this too, but not every S3-compatible service does.
		if i > 0 && p.Number <= parts[i-1].Number {
			return objstore.ObjectInfo{}, fmt.Errorf("%w: part %d after part %d", objstore.ErrInvalidPartOrder, p.Number, parts[i-1].Number)
		}
		cp[i] = minio.CompletePart{PartNumber: p.Number, ETag: quote(p.ETag)}
	}
	if _, err := s.core.CompleteMultipartUpload(ctx, bucket, key, uploadID, cp, minio.PutObjectOptions{}); err != nil {
		return objstore.ObjectInfo{}, mapErr("complete upload "+uploadID, err)
	}
	return s.Head(ctx, bucket, key)
}

// AbortMultipartUpload discards an upload.
func (s *Store) AbortMultipartUpload(ctx context.Context, bucket, key, uploadID string) error {
	return mapErr("abort upload "+uploadID, s.core.AbortMultipartUpload(ctx, bucket, key, uploadID))
}

// ListMultipartUploads lists the uploads in progress whose key starts with prefix, all
// pages.
func (s *Store) ListMultipartUploads(ctx context.Context, bucket, prefix string) ([]objstore.Upload, error) {
	out := []objstore.Upload{}
	keyMarker, idMarker := "", ""
	for {
		r, err := s.core.ListMultipartUploads(ctx, bucket, prefix, keyMarker, idMarker, "", 1000)
		if err != nil {
			return nil, mapErr("list uploads of "+bucket, err)
		}
		for _, u := range r.Uploads {
			out = append(out, objstore.Upload{Bucket: bucket, Key: u.Key, UploadID: u.UploadID, Initiated: u.Initiated})
		}
		if !r.IsTruncated || (r.NextKeyMarker == keyMarker && r.NextUploadIDMarker == idMarker) {
			return out, nil
		}
		keyMarker, idMarker = r.NextKeyMarker, r.NextUploadIDMarker
	}
}
