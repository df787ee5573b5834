package storetest

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stepwise-dev/stepwise/objstore"
)

// listed is what a sequence of List pages returned.
type listed struct {
	keys, prefixes []string
	pages          int
}

// listAll lists every page, checking that each page respects MaxKeys and that Next is
// set exactly on truncated pages.
func listAll(t *testing.T, s objstore.Store, bucket string, opts objstore.ListOptions) listed {
	t.Helper()
	var out listed
	for {
		res, err := s.List(t.Context(), bucket, opts)
		noErr(t, err)
		out.pages++
		n := len(res.Objects) + len(res.CommonPrefixes)
		limit := opts.MaxKeys
		if limit == 0 {
			limit = 1000
		}
		if n > limit {
			t.Fatalf("page of %d entries for MaxKeys %d", n, opts.MaxKeys)
		}
		for _, o := range res.Objects {
			out.keys = append(out.keys, o.Key)
		}
		out.prefixes = append(out.prefixes, res.CommonPrefixes...)
		if !res.Truncated {
			if res.Next != "" {
				t.Fatalf("last page has Next %q", res.Next)
			}
			return out
		}
		if res.Next == "" || res.Next <= opts.StartAfter {
			t.Fatalf("truncated page with Next %q after %q", res.Next, opts.StartAfter)
		}
		if out.pages > 10000 {
			t.Fatal("listing does not end")
		}
		opts.StartAfter = res.Next
	}
}

// model is the listing S3 gives: keys in byte order, those with the prefix and after
// StartAfter; with a delimiter, keys holding it after the prefix roll up into a common
// prefix (reported once, and only if it sorts after StartAfter); pages of MaxKeys
// entries, objects and prefixes counted together.
func model(keys []string, o objstore.ListOptions) (pages []objstore.ListResult) {
	sorted := slices.Clone(keys)
	slices.Sort(sorted)
	type item struct {
		s    string
		isCP bool
	}
	var items []item
	for _, k := range sorted {
		if !strings.HasPrefix(k, o.Prefix) || k <= o.StartAfter {
			continue
		}
		if o.Delimiter != "" {
			if i := strings.Index(k[len(o.Prefix):], o.Delimiter); i >= 0 {
				cp := k[:len(o.Prefix)+i+len(o.Delimiter)]
				if cp <= o.StartAfter || (len(items) > 0 && items[len(items)-1].s == cp) {
					continue
				}
				items = append(items, item{cp, true})
				continue
			}
		}
		items = append(items, item{k, false})
	}
	limit := o.MaxKeys
	if limit == 0 {
		limit = 1000
	}
	for {
		var p objstore.ListResult
		n := min(limit, len(items))
		for _, it := range items[:n] {
			if it.isCP {
				p.CommonPrefixes = append(p.CommonPrefixes, it.s)
			} else {
				p.Objects = append(p.Objects, objstore.ObjectInfo{Key: it.s})
			}
			p.Next = it.s
		}
		items = items[n:]
		p.Truncated = len(items) > 0
		if !p.Truncated {
			p.Next = ""
		}
		pages = append(pages, p)
		if !p.Truncated {
			return pages
		}
	}
}

var modelKeys = []string{
	"a", "a/", "a/b", "a/b/c", "a/b/d", "a//x", "a-b", "a-c/d", "a!", "a0", "ab", "B", "b", "b/",
	"raw-data/", "raw-data/train.csv", "raw-data/sub/x", "raw-data-old/x", "raw/x", "z/z/z",
	"é/1", "é", "x-y-z", "x-y/z",
}

var listTests = map[string]func(*testing.T, objstore.Store, Options){
	"ByteOrder": func(t *testing.T, s objstore.Store, _ Options) {
		b := newBucket(t, s)
		keys := []string{"é", "z", "a0", "a/", "a!", "A", "a", "ab", "a/b", "ä", "日"}
		for _, k := range keys {
			put(t, s, b, k, k)
		}
		slices.Sort(keys) // Go compares bytes, as S3 does for UTF-8 keys
		equal(t, listAll(t, s, b, objstore.ListOptions{}).keys, keys)
	},
	"Empty": func(t *testing.T, s objstore.Store, _ Options) {
		b := newBucket(t, s)
		res, err := s.List(t.Context(), b, objstore.ListOptions{Delimiter: "/"})
		noErr(t, err)
		if len(res.Objects)+len(res.CommonPrefixes) != 0 || res.Truncated || res.Next != "" {
			t.Fatalf("empty bucket lists %+v", res)
		}
	},
	"ObjectFields": func(t *testing.T, s objstore.Store, o Options) {
		b := newBucket(t, s)
		_, err := s.Put(t.Context(), b, "k", strings.NewReader("abc"), objstore.PutOptions{ContentType: "text/x", Metadata: map[string]string{"m": "1"}})
		noErr(t, err)
		res, err := s.List(t.Context(), b, objstore.ListOptions{})
		noErr(t, err)
		if len(res.Objects) != 1 {
			t.Fatalf("listed %+v", res)
		}
		got := res.Objects[0]
		equal(t, got.Bucket, b)
		equal(t, got.Size, int64(3))
		equal(t, got.ETag, etagOf([]byte("abc")))
		if got.LastModified.IsZero() {
			t.Fatal("no LastModified")
		}
		if o.ListHasMetadata {
			equal(t, got.ContentType, "text/x")
			equal(t, got.Metadata, map[string]string{"m": "1"})
		}
	},
	// Page by page against the model, for prefixes, delimiters, page sizes and start
	// points that cut through directories, common prefixes and folder markers.
	"Model": func(t *testing.T, s objstore.Store, _ Options) {
		b := newBucket(t, s)
		for _, k := range modelKeys {
			put(t, s, b, k, "")
		}
		for _, prefix := range []string{"", "a", "a/", "a/b", "raw", "raw-data/", "x-", "é", "nothing"} {
			for _, delim := range []string{"", "/", "-", "b/"} {
				for _, after := range []string{"", "a/", "a/b", "a/b/c", "raw-data", "raw-data/", "zzz"} {
					for _, max := range []int{1, 2, 1000} {
						o := objstore.ListOptions{Prefix: prefix, Delimiter: delim, StartAfter: after, MaxKeys: max}
						name := fmt.Sprintf("%+v", o)
						for i, want := range model(modelKeys, o) {
							got, err := s.List(t.Context(), b, o)
							noErr(t, err)
							if !samePage(got, want) {
								t.Fatalf("%s page %d:\ngot  %s\nwant %s", name, i, showPage(got), showPage(want))
							}
							o.StartAfter = got.Next
						}
					}
				}
			}
		}
	},
}

func samePage(got, want objstore.ListResult) bool {
	if len(got.Objects) != len(want.Objects) || !slices.Equal(got.CommonPrefixes, want.CommonPrefixes) ||
		got.Truncated != want.Truncated || got.Next != want.Next {
		return false
	}
	for i := range got.Objects {
		if got.Objects[i].Key != want.Objects[i].Key {
			return false
		}
	}
	return true
}

func showPage(p objstore.ListResult) string {
	keys := make([]string, len(p.Objects))
	for i, o := range p.Objects {
		keys[i] = o.Key
	}
	return fmt.Sprintf("objects %q prefixes %q truncated %v next %q", keys, p.CommonPrefixes, p.Truncated, p.Next)
}
