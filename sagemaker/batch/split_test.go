package batch

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func records(t *testing.T, s *Splitter) (raw, payload []string, err error) {
	t.Helper()
	for {
		r, e := s.Next()
		if e == io.EOF {
			return raw, payload, nil
		}
		if e != nil {
			return raw, payload, e
		}
		raw = append(raw, string(r.Raw))
		payload = append(payload, string(r.Payload))
	}
}

func TestSplitLine(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"a", []string{"a"}},
		{"a\n", []string{"a\n"}},
		{"a\nb", []string{"a\n", "b"}},
		{"a\r\n\nb\n", []string{"a\r\n", "\n", "b\n"}},
	} {
		// A one-byte reader makes every line cross reads.
		for _, r := range []io.Reader{strings.NewReader(tc.in), iotest.OneByteReader(strings.NewReader(tc.in))} {
			raw, payload, err := records(t, NewSplitter(r, SplitLine, 0))
			if err != nil || strings.Join(raw, "|") != strings.Join(tc.want, "|") {
				t.Errorf("%q: %q %v, want %q", tc.in, raw, err, tc.want)
			}
			for i, p := range payload {
				if p != strings.TrimRight(raw[i], "\r\n") {
					t.Errorf("%q: payload %q of %q", tc.in, p, raw[i])
				}
			}
		}
	}
}

func TestSplitLineLongerThanBuffer(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 700<<10)
	raw, _, err := records(t, NewSplitter(strings.NewReader("a\n"+long+"\nb"), SplitLine, 0))
	if err != nil || len(raw) != 3 || raw[1] != long+"\n" {
		t.Fatalf("%d records, %v", len(raw), err)
	}
	// With a bound, a line over it is refused before it is read whole.
	_, _, err = records(t, NewSplitter(strings.NewReader("a\n"+long+"\nb"), SplitLine, 1<<20/2))
	var tl *RecordTooLargeError
	if !errors.As(err, &tl) {
		t.Fatalf("err %v", err)
	}
}

func TestSplitNone(t *testing.T) {
	t.Parallel()
	raw, _, err := records(t, NewSplitter(strings.NewReader("a\nb\n"), SplitNone, 0))
	if err != nil || len(raw) != 1 || raw[0] != "a\nb\n" {
		t.Fatalf("%q %v", raw, err)
	}
	raw, _, err = records(t, NewSplitter(strings.NewReader(""), SplitNone, 0))
	if err != nil || len(raw) != 1 || raw[0] != "" {
		t.Fatalf("empty object: %q %v", raw, err)
	}
}

func TestSplitTFRecord(t *testing.T) {
	t.Parallel()
	var b []byte
	for _, d := range []string{"one", "", "three33"} {
		b = AppendTFRecord(b, []byte(d))
	}
	raw, payload, err := records(t, NewSplitter(iotest.HalfReader(bytes.NewReader(b)), SplitTFRecord, 0))
	if err != nil || strings.Join(payload, ",") != "one,,three33" || len(raw[0]) != 12+3+4 {
		t.Fatalf("%q %v", payload, err)
	}
	bad := append([]byte(nil), b...)
	bad[13] ^= 1
	if _, _, err := records(t, NewSplitter(bytes.NewReader(bad), SplitTFRecord, 0)); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("corrupt data: %v", err)
	}
	if _, _, err := records(t, NewSplitter(bytes.NewReader(b[:len(b)-2]), SplitTFRecord, 0)); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("truncated: %v", err)
	}
}

func TestSplitRecordIO(t *testing.T) {
	t.Parallel()
	var b []byte
	for _, d := range []string{"abcde", "", "wxyz"} {
		b = AppendRecordIO(b, []byte(d))
	}
	// A record in two parts (it had the magic number in its data).
	b = append(b, 0x0a, 0x23, 0xd7, 0xce, 2, 0, 0, 1<<5, 'h', 'i', 0, 0)
	b = append(b, 0x0a, 0x23, 0xd7, 0xce, 1, 0, 0, 3<<5, '!', 0, 0, 0)
	raw, payload, err := records(t, NewSplitter(bytes.NewReader(b), SplitRecordIO, 0))
	if err != nil || len(payload) != 4 || payload[0] != "abcde" || payload[1] != "" || payload[2] != "wxyz" ||
		payload[3] != "hi\x0a\x23\xd7\xce!" || len(raw[0]) != 8+8 || len(raw[3]) != 24 {
		t.Fatalf("%q %q %v", raw, payload, err)
	}
	if _, _, err := records(t, NewSplitter(strings.NewReader("not recordio"), SplitRecordIO, 0)); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("not RecordIO: %v", err)
	}
}

// FuzzSplit: no input makes a splitter panic, loop, or return records that are not the
// input cut in order.
func FuzzSplit(f *testing.F) {
	f.Add([]byte("a,b\nc,d\n"), uint8(0))
	f.Add(AppendTFRecord(nil, []byte("x")), uint8(2))
	f.Add(AppendRecordIO(nil, []byte("xyz")), uint8(1))
	f.Fuzz(func(t *testing.T, in []byte, kind uint8) {
		split := []SplitType{SplitLine, SplitRecordIO, SplitTFRecord, SplitNone}[kind%4]
		s := NewSplitter(bytes.NewReader(in), split, 1<<16)
		var joined []byte
		for range len(in) + 2 {
			r, err := s.Next()
			if err != nil {
				if err == io.EOF && !bytes.Equal(joined, in) {
					t.Fatalf("records %q do not make the input %q", joined, in)
				}
				return
			}
			joined = append(joined, r.Raw...)
		}
		t.Fatalf("more records than bytes")
	})
}
