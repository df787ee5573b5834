package storetest

import (
	"slices"
	"strings"
	"testing"

	"github.com/stepwise-dev/stepwise/objstore"
)

var bucketTests = map[string]func(*testing.T, objstore.Store, Options){
	"Lifecycle": func(t *testing.T, s objstore.Store, _ Options) {
		ctx := t.Context()
		b := bucketName()
		_, err := s.HeadBucket(ctx, b)
		isErr(t, err, objstore.ErrNoSuchBucket)
		noErr(t, s.CreateBucket(ctx, b))
		t.Cleanup(func() { emptyAndDelete(t, s, b) })
		isErr(t, s.CreateBucket(ctx, b), objstore.ErrBucketExists)
		info, err := s.HeadBucket(ctx, b)
		noErr(t, err)
		if info.Name != b || info.Created.IsZero() {
			t.Fatalf("HeadBucket = %+v", info)
		}
		all, err := s.ListBuckets(ctx)
		noErr(t, err)
		names := make([]string, len(all))
		for i, bi := range all {
			names[i] = bi.Name
		}
		if !slices.Contains(names, b) || !slices.IsSorted(names) {
			t.Fatalf("ListBuckets = %q, want it sorted and holding %q", names, b)
		}
		noErr(t, s.DeleteBucket(ctx, b))
		_, err = s.HeadBucket(ctx, b)
		isErr(t, err, objstore.ErrNoSuchBucket)
		isErr(t, s.DeleteBucket(ctx, b), objstore.ErrNoSuchBucket)
	},
	"NotEmpty": func(t *testing.T, s objstore.Store, _ Options) {
		b := newBucket(t, s)
		put(t, s, b, "deep/down/k", "v")
		isErr(t, s.DeleteBucket(t.Context(), b), objstore.ErrBucketNotEmpty)
		noErr(t, s.Delete(t.Context(), b, "deep/down/k"))
		noErr(t, s.DeleteBucket(t.Context(), b))
	},
	"InvalidNames": func(t *testing.T, s objstore.Store, _ Options) {
		for _, name := range []string{
			"", "ab", strings.Repeat("a", 64), "UPPER", "under_score", "-start", "end-",
			".start", "end.", "two..dots", "192.168.5.4", "sp ace", "a/b", "ünï",
		} {
			isErr(t, s.CreateBucket(t.Context(), name), objstore.ErrInvalidBucketName)
		}
		b := "ok-" + bucketName()[3:] + ".with.dots"
		noErr(t, s.CreateBucket(t.Context(), b))
		noErr(t, s.DeleteBucket(t.Context(), b))
	},
	"MissingBucket": func(t *testing.T, s objstore.Store, _ Options) {
		ctx := t.Context()
		b := bucketName()
		_, err := s.Put(ctx, b, "k", strings.NewReader("v"), objstore.PutOptions{})
		isErr(t, err, objstore.ErrNoSuchBucket)
		_, _, err = s.Get(ctx, b, "k", nil)
		isErr(t, err, objstore.ErrNoSuchBucket)
		_, err = s.Head(ctx, b, "k")
		isErr(t, err, objstore.ErrNoSuchBucket)
		_, err = s.List(ctx, b, objstore.ListOptions{})
		isErr(t, err, objstore.ErrNoSuchBucket)
		_, err = s.CreateMultipartUpload(ctx, b, "k", objstore.PutOptions{})
		isErr(t, err, objstore.ErrNoSuchBucket)
		_, err = s.ListMultipartUploads(ctx, b, "")
		isErr(t, err, objstore.ErrNoSuchBucket)
		isErr(t, s.Delete(ctx, b, "k"), objstore.ErrNoSuchBucket)
	},
}
