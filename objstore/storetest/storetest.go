// Package storetest is the suite every objstore.Store driver must pass. A driver's test
// calls Run with a function returning a store; tests make their own buckets with random
// names, so the stores given to the tests may all be the same one (one S3 server).
//
// What the suite pins beyond the interface's comments: S3's byte order of keys, common
// prefixes that count towards MaxKeys, a page's Next resuming exactly after it (after a
// whole common prefix when it ends on one), ETags as S3 computes them, keys of every
// shape S3 accepts ("a/", "a//b", "../x", unicode) kept apart and round-tripped, and
// objects streamed (a 64 MiB put and get checked by hash).
package storetest

import (
	"bytes"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/big"
	mrand "math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/stepwise-dev/stepwise/objstore"
)

// Opener returns the store a test uses. The suite does not close it.
type Opener func(t *testing.T) objstore.Store

// Options say what a driver cannot do; the suite skips those checks.
type Options struct {
	// ListHasMetadata: List fills ContentType and Metadata (S3's ListObjectsV2 does not).
	ListHasMetadata bool
	// SkipBig skips the 64 MiB object.
	SkipBig bool
	// SkipUnknownUpload skips UploadPart and CompleteMultipartUpload of an unknown
	// upload ID (moto answers them with a 500 instead of NoSuchUpload).
	SkipUnknownUpload bool
	// SkipConcurrentPuts skips concurrent puts to one key (moto races on its own
	// buffers and answers 500).
	SkipConcurrentPuts bool
	// SkipKeys are odd keys the service under test is known to mangle (say why where
	// you set it).
	SkipKeys []string
}

// Run runs the whole suite, every test in parallel.
func Run(t *testing.T, open Opener, opts Options) {
	t.Helper()
	groups := []struct {
		name  string
		tests map[string]func(*testing.T, objstore.Store, Options)
	}{
		{"Bucket", bucketTests},
		{"Object", objectTests},
		{"Key", keyTests},
		{"List", listTests},
		{"Multipart", multipartTests},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			t.Parallel()
			for name, test := range g.tests {
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					test(t, open(t), opts)
				})
			}
		})
	}
}

// bucketName returns a fresh, valid bucket name.
func bucketName() string {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	return "st-" + n.Text(36)
}

// newBucket creates a fresh bucket, removed (with its objects) when the test ends.
func newBucket(t *testing.T, s objstore.Store) string {
	t.Helper()
	b := bucketName()
	noErr(t, s.CreateBucket(t.Context(), b))
	t.Cleanup(func() { emptyAndDelete(t, s, b) })
	return b
}

func emptyAndDelete(t *testing.T, s objstore.Store, b string) {
	ctx := t.Context()
	if ctx.Err() != nil {
		return
	}
	if ups, err := s.ListMultipartUploads(ctx, b, ""); err == nil {
		for _, u := range ups {
			_ = s.AbortMultipartUpload(ctx, b, u.Key, u.UploadID)
		}
	}
	for {
		res, err := s.List(ctx, b, objstore.ListOptions{})
		if err != nil {
			return
		}
		for _, o := range res.Objects {
			_ = s.Delete(ctx, b, o.Key)
		}
		if !res.Truncated {
			break
		}
	}
	_ = s.DeleteBucket(ctx, b)
}

func put(t *testing.T, s objstore.Store, bucket, key, body string) objstore.ObjectInfo {
	t.Helper()
	info, err := s.Put(t.Context(), bucket, key, strings.NewReader(body), objstore.PutOptions{Size: int64(len(body))})
	if err != nil {
		t.Fatalf("put %q: %v", key, err)
	}
	return info
}

// get returns an object's (or range's) bytes.
func get(t *testing.T, s objstore.Store, bucket, key string, rng *objstore.Range) (string, objstore.ObjectInfo) {
	t.Helper()
	rc, info, err := s.Get(t.Context(), bucket, key, rng)
	if err != nil {
		t.Fatalf("get %q: %v", key, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read %q: %v", key, err)
	}
	return string(b), info
}

func etagOf(b []byte) string {
	s := md5.Sum(b)
	return `"` + hex.EncodeToString(s[:]) + `"`
}

func noErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

func isErr(t *testing.T, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("error = %v, want %v", err, want)
	}
}

func equal[T any](t *testing.T, got, want T) {
	t.Helper()
	g, w := reflect.ValueOf(got), reflect.ValueOf(want)
	if (g.Kind() == reflect.Slice || g.Kind() == reflect.Map) && g.Len() == 0 && w.Len() == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %#v\nwant %#v", got, want)
	}
}

// data returns n deterministic pseudo-random bytes from seed, as a reader: big objects
// are generated, never held.
func data(seed uint64, n int64) io.Reader {
	return io.LimitReader(mrand.NewChaCha8(seedBytes(seed)), n)
}

func seedBytes(seed uint64) [32]byte {
	var s [32]byte
	copy(s[:], fmt.Sprintf("%032d", seed))
	return s
}

func dataBytes(seed uint64, n int64) []byte {
	var b bytes.Buffer
	_, _ = io.Copy(&b, data(seed, n))
	return b.Bytes()
}
