package storetest

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/stepwise-dev/stepwise/objstore"
)

var objectTests = map[string]func(*testing.T, objstore.Store, Options){
	"PutGetHeadDelete": func(t *testing.T, s objstore.Store, _ Options) {
		ctx := t.Context()
		b := newBucket(t, s)
		info, err := s.Put(ctx, b, "dir/k.txt", strings.NewReader("hello"), objstore.PutOptions{
			ContentType: "text/plain", Metadata: map[string]string{"Color": "blue", "x-y": "z"},
		})
		noErr(t, err)
		equal(t, info.Key, "dir/k.txt")
		equal(t, info.Size, int64(5))
		equal(t, info.ETag, etagOf([]byte("hello")))
		body, got := get(t, s, b, "dir/k.txt", nil)
		equal(t, body, "hello")
		head, err := s.Head(ctx, b, "dir/k.txt")
		noErr(t, err)
		for _, i := range []objstore.ObjectInfo{got, head} {
			equal(t, i.Size, int64(5))
			equal(t, i.ETag, info.ETag)
			equal(t, i.ContentType, "text/plain")
			equal(t, i.Metadata, map[string]string{"color": "blue", "x-y": "z"})
			if i.LastModified.IsZero() {
				t.Fatal("no LastModified")
			}
		}
		noErr(t, s.Delete(ctx, b, "dir/k.txt"))
		_, err = s.Head(ctx, b, "dir/k.txt")
		isErr(t, err, objstore.ErrNoSuchKey)
		_, _, err = s.Get(ctx, b, "dir/k.txt", nil)
		isErr(t, err, objstore.ErrNoSuchKey)
		noErr(t, s.Delete(ctx, b, "dir/k.txt")) // deleting a missing key is not an error
		noErr(t, s.Delete(ctx, b, "never/was"))
	},
	"Empty": func(t *testing.T, s objstore.Store, _ Options) {
		b := newBucket(t, s)
		info := put(t, s, b, "empty", "")
		equal(t, info.Size, int64(0))
		equal(t, info.ETag, etagOf(nil))
		body, _ := get(t, s, b, "empty", nil)
		equal(t, body, "")
		_, _, err := s.Get(t.Context(), b, "empty", &objstore.Range{Start: 0, End: 0})
		isErr(t, err, objstore.ErrInvalidRange)
	},
	"Range": func(t *testing.T, s objstore.Store, _ Options) {
		b := newBucket(t, s)
		put(t, s, b, "r", "0123456789")
		for _, c := range []struct {
			rng  objstore.Range
			want string
		}{
			{objstore.Range{Start: 0, End: 0}, "0"},
			{objstore.Range{Start: 2, End: 5}, "2345"},
			{objstore.Range{Start: 7, End: -1}, "789"},
			{objstore.Range{Start: 7, End: 100}, "789"},
			{objstore.Range{Start: -3}, "789"},
			{objstore.Range{Start: -30}, "0123456789"},
		} {
			got, info := get(t, s, b, "r", &c.rng)
			if got != c.want {
				t.Errorf("range %+v = %q, want %q", c.rng, got, c.want)
			}
			if info.Size != 10 {
				t.Errorf("range %+v: ObjectInfo.Size = %d, want the whole object's 10", c.rng, info.Size)
			}
		}
		_, _, err := s.Get(t.Context(), b, "r", &objstore.Range{Start: 10, End: 20})
		isErr(t, err, objstore.ErrInvalidRange)
	},
	"ContentMD5": func(t *testing.T, s objstore.Store, _ Options) {
		ctx := t.Context()
		b := newBucket(t, s)
		put(t, s, b, "k", "old")
		good := md5.Sum([]byte("new"))
		_, err := s.Put(ctx, b, "k", strings.NewReader("new"), objstore.PutOptions{MD5: good[:], Size: 3})
		noErr(t, err)
		bad := md5.Sum([]byte("other"))
		_, err = s.Put(ctx, b, "k", strings.NewReader("newer"), objstore.PutOptions{MD5: bad[:], Size: 5})
		isErr(t, err, objstore.ErrBadDigest)
		body, _ := get(t, s, b, "k", nil)
		equal(t, body, "new")
	},
	"Replace": func(t *testing.T, s objstore.Store, _ Options) {
		ctx := t.Context()
		b := newBucket(t, s)
		_, err := s.Put(ctx, b, "k", strings.NewReader("one"), objstore.PutOptions{Metadata: map[string]string{"a": "1"}})
		noErr(t, err)
		_, err = s.Put(ctx, b, "k", strings.NewReader("second"), objstore.PutOptions{ContentType: "text/csv"})
		noErr(t, err)
		body, info := get(t, s, b, "k", nil)
		equal(t, body, "second")
		equal(t, info.ETag, etagOf([]byte("second")))
		equal(t, info.ContentType, "text/csv")
		equal(t, len(info.Metadata), 0)
	},
	// A put whose body fails half way stores nothing and leaves the old object.
	"FailedPutKeepsOld": func(t *testing.T, s objstore.Store, _ Options) {
		b := newBucket(t, s)
		put(t, s, b, "k", "old")
		body := io.MultiReader(strings.NewReader("partial"), errReader{})
		_, err := s.Put(t.Context(), b, "k", body, objstore.PutOptions{Size: 100})
		if err == nil {
			t.Fatal("put with a failing body succeeded")
		}
		got, _ := get(t, s, b, "k", nil)
		equal(t, got, "old")
		_, err = s.Put(t.Context(), b, "fresh", io.MultiReader(strings.NewReader("x"), errReader{}), objstore.PutOptions{Size: 100})
		if err == nil {
			t.Fatal("put with a failing body succeeded")
		}
		_, err = s.Head(t.Context(), b, "fresh")
		isErr(t, err, objstore.ErrNoSuchKey)
	},
	// Concurrent puts to one key and reads of it: every read sees one whole object, and
	// the last state is one of the puts.
	"ConcurrentPuts": func(t *testing.T, s objstore.Store, o Options) {
		if o.SkipConcurrentPuts {
			t.Skip("the service under test cannot take concurrent puts to one key")
		}
		b := newBucket(t, s)
		const writers, size = 8, 256 << 10
		put(t, s, b, "hot", string(dataBytes(100, size)))
		var wg sync.WaitGroup
		errs := make(chan error, 2*writers)
		for i := range writers {
			wg.Go(func() {
				_, err := s.Put(t.Context(), b, "hot", data(uint64(i), size), objstore.PutOptions{Size: size})
				errs <- err
			})
			wg.Go(func() {
				rc, info, err := s.Get(t.Context(), b, "hot", nil)
				if err != nil {
					errs <- err
					return
				}
				defer rc.Close()
				h := md5.New()
				n, err := io.Copy(h, rc)
				if err == nil && (n != size || `"`+hex.EncodeToString(h.Sum(nil))+`"` != info.ETag) {
					err = fmt.Errorf("read %d bytes not matching ETag %s: a torn object", n, info.ETag)
				}
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			noErr(t, err)
		}
		body, info := get(t, s, b, "hot", nil)
		equal(t, etagOf([]byte(body)), info.ETag)
		found := false
		for i := range writers {
			found = found || bytes.Equal([]byte(body), dataBytes(uint64(i), size))
		}
		if !found {
			t.Fatal("the object is none of the puts")
		}
	},
	"Copy": func(t *testing.T, s objstore.Store, _ Options) {
		ctx := t.Context()
		b, b2 := newBucket(t, s), newBucket(t, s)
		_, err := s.Put(ctx, b, "src", strings.NewReader("payload"), objstore.PutOptions{ContentType: "text/x", Metadata: map[string]string{"k": "v"}})
		noErr(t, err)
		info, err := s.Copy(ctx, b, "src", b2, "dst/copy", nil)
		noErr(t, err)
		equal(t, info.ETag, etagOf([]byte("payload")))
		body, got := get(t, s, b2, "dst/copy", nil)
		equal(t, body, "payload")
		equal(t, got.ContentType, "text/x")
		equal(t, got.Metadata, map[string]string{"k": "v"})

		_, err = s.Copy(ctx, b, "src", b, "src", &objstore.PutOptions{ContentType: "text/y", Metadata: map[string]string{"n": "2"}})
		noErr(t, err)
		body, got = get(t, s, b, "src", nil)
		equal(t, body, "payload")
		equal(t, got.ContentType, "text/y")
		equal(t, got.Metadata, map[string]string{"n": "2"})

		// The copy is independent of its source.
		put(t, s, b, "src", "changed")
		body, _ = get(t, s, b2, "dst/copy", nil)
		equal(t, body, "payload")

		_, err = s.Copy(ctx, b, "missing", b, "x", nil)
		isErr(t, err, objstore.ErrNoSuchKey)
		_, err = s.Copy(ctx, b, "src", bucketName(), "x", nil)
		isErr(t, err, objstore.ErrNoSuchBucket)
	},
	// A 64 MiB object goes in and out streamed; both sides are checked by hash.
	"Big": func(t *testing.T, s objstore.Store, o Options) {
		if o.SkipBig || testing.Short() {
			t.Skip("big object skipped")
		}
		const size = 64 << 20
		b := newBucket(t, s)
		h := md5.New()
		info, err := s.Put(t.Context(), b, "big", io.TeeReader(data(7, size), h), objstore.PutOptions{Size: size})
		noErr(t, err)
		want := `"` + hex.EncodeToString(h.Sum(nil)) + `"`
		equal(t, info.Size, int64(size))
		equal(t, info.ETag, want)
		rc, _, err := s.Get(t.Context(), b, "big", nil)
		noErr(t, err)
		defer rc.Close()
		h.Reset()
		n, err := io.Copy(h, rc)
		noErr(t, err)
		equal(t, n, int64(size))
		equal(t, `"`+hex.EncodeToString(h.Sum(nil))+`"`, want)
		rc2, _, err := s.Get(t.Context(), b, "big", &objstore.Range{Start: size - 10, End: -1})
		noErr(t, err)
		defer rc2.Close()
		tail, err := io.ReadAll(rc2)
		noErr(t, err)
		r := data(7, size)
		_, _ = io.CopyN(io.Discard, r, size-10)
		wantTail, _ := io.ReadAll(r)
		equal(t, tail, wantTail)
	},
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("storetest: the body broke") }
