package batch

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

func batches(t *testing.T, b *Batcher) ([]*Batch, error) {
	t.Helper()
	var out []*Batch
	for {
		bt, err := b.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, bt)
	}
}

func TestMultiRecordPacksUnderTheLimit(t *testing.T) {
	t.Parallel()
	// 1 MB limit; lines of 100 000 bytes with their "\n": nine fit (900 000 + the next
	// would make 1 000 000 < 1 048 576... ten fit, the eleventh does not).
	line := strings.Repeat("7", 99_999) + "\n"
	in := strings.Repeat(line, 25)
	bs, err := batches(t, NewBatcher(strings.NewReader(in), BatcherOptions{Split: SplitLine, Strategy: MultiRecord, MaxPayload: MB}))
	if err != nil {
		t.Fatal(err)
	}
	var sizes []int
	var joined []byte
	for _, b := range bs {
		sizes = append(sizes, b.Records)
		joined = append(joined, b.Body...)
		if len(b.Body) >= MB {
			t.Fatalf("a request of %d bytes", len(b.Body))
		}
	}
	if fmt.Sprint(sizes) != "[10 10 5]" || string(joined) != in {
		t.Fatalf("records per request %v", sizes)
	}
}

func TestSingleRecord(t *testing.T) {
	t.Parallel()
	bs, err := batches(t, NewBatcher(strings.NewReader("1,2\n3,4\n5,6"), BatcherOptions{Split: SplitLine, Strategy: SingleRecord, MaxPayload: MB}))
	if err != nil || len(bs) != 3 || string(bs[0].Body) != "1,2\n" || string(bs[2].Body) != "5,6" {
		t.Fatalf("%v %v", bs, err)
	}
	// SingleRecord strips the framing of binary records; MultiRecord keeps it.
	tf := AppendTFRecord(AppendTFRecord(nil, []byte("a")), []byte("b"))
	bs, err = batches(t, NewBatcher(bytes.NewReader(tf), BatcherOptions{Split: SplitTFRecord, Strategy: SingleRecord, MaxPayload: MB}))
	if err != nil || len(bs) != 2 || string(bs[1].Body) != "b" {
		t.Fatalf("%v %v", bs, err)
	}
	bs, err = batches(t, NewBatcher(bytes.NewReader(tf), BatcherOptions{Split: SplitTFRecord, Strategy: MultiRecord, MaxPayload: MB}))
	if err != nil || len(bs) != 1 || !bytes.Equal(bs[0].Body, tf) || bs[0].Records != 2 {
		t.Fatalf("%v %v", bs, err)
	}
}

func TestRecordLargerThanMaxPayload(t *testing.T) {
	t.Parallel()
	in := "small\n" + strings.Repeat("x", MB) + "\nsmall\n"
	for _, s := range []Strategy{SingleRecord, MultiRecord} {
		bs, err := batches(t, NewBatcher(strings.NewReader(in), BatcherOptions{Split: SplitLine, Strategy: s, MaxPayload: MB}))
		var tl *RecordTooLargeError
		if !errors.As(err, &tl) || err.Error() != "Record is larger than 1MB. Please increase your max_payload" {
			t.Fatalf("%s: %v", s, err)
		}
		if s == SingleRecord && len(bs) != 1 {
			t.Fatalf("%s: %d requests before the error", s, len(bs))
		}
	}
	// SplitType None sends the object whatever its size: the container decides (413).
	bs, err := batches(t, NewBatcher(strings.NewReader(in), BatcherOptions{Split: SplitNone, MaxPayload: MB}))
	if err != nil || len(bs) != 1 || string(bs[0].Body) != in {
		t.Fatalf("None: %v", err)
	}
}

func TestInputFilterAndJoinKeepInputs(t *testing.T) {
	t.Parallel()
	p, err := NewProcessing("$[1:]", "", "Input", "text/csv")
	if err != nil {
		t.Fatal(err)
	}
	bs, err := batches(t, NewBatcher(strings.NewReader("id1,1.5,2\nid2,3,4\n"), BatcherOptions{Split: SplitLine, Strategy: MultiRecord, MaxPayload: MB, Processing: p}))
	if err != nil || len(bs) != 1 {
		t.Fatal(bs, err)
	}
	if string(bs[0].Body) != "1.5,2\n3,4\n" || len(bs[0].Inputs) != 2 || string(bs[0].Inputs[1]) != "id2,3,4" {
		t.Fatalf("body %q inputs %q", bs[0].Body, bs[0].Inputs)
	}
}

// FuzzBatcher: whatever the input and limit, no panic, no request at or over the limit,
// and without filters the requests put together are the input.
func FuzzBatcher(f *testing.F) {
	f.Add([]byte("1,2\n3,4\n"), uint16(5), true)
	f.Add([]byte("\n\n\nxx"), uint16(1), false)
	f.Fuzz(func(t *testing.T, in []byte, limit uint16, multi bool) {
		s := SingleRecord
		if multi {
			s = MultiRecord
		}
		b := NewBatcher(bytes.NewReader(in), BatcherOptions{Split: SplitLine, Strategy: s, MaxPayload: int(limit)})
		var joined []byte
		for range len(in) + 2 {
			bt, err := b.Next()
			if err == io.EOF {
				if !bytes.Equal(joined, in) {
					t.Fatalf("requests %q, input %q", joined, in)
				}
				return
			}
			if err != nil {
				return
			}
			if limit > 0 && len(bt.Body) >= int(limit) || bt.Records < 1 {
				t.Fatalf("request of %d bytes, %d records, limit %d", len(bt.Body), bt.Records, limit)
			}
			joined = append(joined, bt.Body...)
		}
		t.Fatal("more requests than bytes")
	})
}
