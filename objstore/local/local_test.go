package local

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/stepwise-dev/stepwise/objstore"
)

func TestSmoke(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, err := New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateBucket(ctx, "bkt"); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"raw-data/", "raw-data/train.csv", "raw-data", "a//b", "../x", "sp ace/ü", "z"} {
		if _, err := s.Put(ctx, "bkt", k, strings.NewReader("v:"+k), objstore.PutOptions{}); err != nil {
			t.Fatalf("put %q: %v", k, err)
		}
	}
	rc, info, err := s.Get(ctx, "bkt", "raw-data/", nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	if string(b) != "v:raw-data/" || info.Size != int64(len(b)) {
		t.Fatalf("got %q %+v", b, info)
	}
	res, err := s.List(ctx, "bkt", objstore.ListOptions{Delimiter: "/"})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range res.Objects {
		keys = append(keys, o.Key)
	}
	t.Logf("objects %q prefixes %q", keys, res.CommonPrefixes)
	res, err = s.List(ctx, "bkt", objstore.ListOptions{MaxKeys: 2})
	for res.Truncated {
		for _, o := range res.Objects {
			t.Log(o.Key)
		}
		res, err = s.List(ctx, "bkt", objstore.ListOptions{MaxKeys: 2, StartAfter: res.Next})
		if err != nil {
			t.Fatal(err)
		}
	}
	id, err := s.CreateMultipartUpload(ctx, "bkt", "big", objstore.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p1, err := s.UploadPart(ctx, "bkt", "big", id, 1, bytes.NewReader(make([]byte, 5<<20)), 5<<20)
	if err != nil {
		t.Fatal(err)
	}
	p2, err := s.UploadPart(ctx, "bkt", "big", id, 2, strings.NewReader("tail"), 4)
	if err != nil {
		t.Fatal(err)
	}
	oi, err := s.CompleteMultipartUpload(ctx, "bkt", "big", id, []objstore.Part{{1, p1.ETag}, {2, p2.ETag}})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(oi)
}
