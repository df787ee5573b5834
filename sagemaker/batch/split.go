// Package batch is the data path of a SageMaker batch transform job, with no service
// behind it: it splits an input object into records (SplitType None, Line, RecordIO,
// TFRecord), packs them into requests (BatchStrategy SingleRecord or MultiRecord under
// MaxPayloadInMB), applies the DataProcessing filters (InputFilter, JoinSource,
// OutputFilter), sends the requests to a serving process with a bounded number in
// flight, and assembles the responses in input order (AssembleWith None or Line). It
// streams: an object is never held in memory whole, only the requests in flight.
package batch

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// SplitType is how an object is cut into records (TransformInput.SplitType).
type SplitType string

// The split types of the API.
const (
	SplitNone     SplitType = "None"
	SplitLine     SplitType = "Line"
	SplitRecordIO SplitType = "RecordIO"
	SplitTFRecord SplitType = "TFRecord"
)

// ErrCorrupt is wrapped by the errors of a RecordIO or TFRecord stream that is not one.
var ErrCorrupt = errors.New("batch: corrupt record stream")

// Record is one record of an object. Raw is the record as it is in the object (a line
// with its "\n", a RecordIO or TFRecord record with its header and padding); Payload is
// its data without the framing (the line without its line ending for Line). Both are
// valid until the next call to Next.
type Record struct {
	Raw     []byte
	Payload []byte
}

// Splitter reads the records of an object one at a time.
type Splitter struct {
	split SplitType
	r     *bufio.Reader
	limit int // a record longer than this is ErrRecordTooLarge (0: no limit)
	buf   []byte
	off   int64
	done  bool
}

// NewSplitter returns a splitter of r. limit bounds the size of one record (its Raw
// bytes) so a line without an end cannot fill memory; 0 is no bound.
func NewSplitter(r io.Reader, split SplitType, limit int) *Splitter {
	if split == "" {
		split = SplitNone
	}
	return &Splitter{split: split, r: bufio.NewReaderSize(r, 256<<10), limit: limit}
}

// Next returns the next record, or io.EOF after the last one. A record over the limit is
// a *RecordTooLargeError.
func (s *Splitter) Next() (Record, error) {
	if s.done {
		return Record{}, io.EOF
	}
	var (
		rec Record
		err error
	)
	switch s.split {
	case SplitLine:
		rec, err = s.line()
	case SplitRecordIO:
		rec, err = s.recordIO()
	case SplitTFRecord:
		rec, err = s.tfRecord()
	default:
		rec, err = s.whole()
	}
	if err != nil {
		s.done = true
		return Record{}, err
	}
	s.off += int64(len(rec.Raw))
	return rec, nil
}

func (s *Splitter) tooLarge(n int) error {
	if s.limit > 0 && n >= s.limit {
		return &RecordTooLargeError{Limit: s.limit}
	}
	return nil
}

// whole reads the object as one record (SplitType None).
func (s *Splitter) whole() (Record, error) {
	s.done = true
	var r io.Reader = s.r
	if s.limit > 0 {
		r = io.LimitReader(s.r, int64(s.limit))
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return Record{}, err
	}
	if e := s.tooLarge(len(b)); e != nil {
		return Record{}, e
	}
	s.buf = b
	return Record{Raw: b, Payload: b}, nil
}

// line reads one line with its "\n" (the last line may have none).
func (s *Splitter) line() (Record, error) {
	s.buf = s.buf[:0]
	for {
		part, err := s.r.ReadSlice('\n')
		if len(s.buf) == 0 && err == nil {
			// The common case: the whole line is in the reader's buffer.
			if e := s.tooLarge(len(part)); e != nil {
				return Record{}, e
			}
			return Record{Raw: part, Payload: trimEOL(part)}, nil
		}
		s.buf = append(s.buf, part...)
		if e := s.tooLarge(len(s.buf)); e != nil {
			return Record{}, e
		}
		switch {
		case err == nil:
			return Record{Raw: s.buf, Payload: trimEOL(s.buf)}, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case err == io.EOF:
			if len(s.buf) == 0 {
				return Record{}, io.EOF
			}
			return Record{Raw: s.buf, Payload: trimEOL(s.buf)}, nil
		default:
			return Record{}, err
		}
	}
}

func trimEOL(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
		if n := len(b); n > 0 && b[n-1] == '\r' {
			b = b[:n-1]
		}
	}
	return b
}

// readFull reads n bytes into s.buf after what it holds; a stream that ends first is
// corrupt (or io.EOF when it ends exactly before a record).
func (s *Splitter) readFull(n int, atStart bool) error {
	if e := s.tooLarge(len(s.buf) + n); e != nil {
		return e
	}
	start := len(s.buf)
	s.buf = append(s.buf, make([]byte, n)...)
	got, err := io.ReadFull(s.r, s.buf[start:])
	switch {
	case err == nil:
		return nil
	case err == io.EOF && atStart && got == 0:
		return io.EOF
	case err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("%w: the stream ends inside a record at byte %d", ErrCorrupt, s.off+int64(start+got))
	default:
		return err
	}
}

// RecordIO is MXNet's format: each part is a magic number, a length word whose top 3
// bits say whether the part is a whole record or the first, a middle or the last part
// of one, the data, and padding to 4 bytes.
const recordIOMagic = 0xced7230a

func (s *Splitter) recordIO() (Record, error) {
	s.buf = s.buf[:0]
	var payload []byte
	for first := true; ; first = false {
		hdr := len(s.buf)
		if err := s.readFull(8, first); err != nil {
			return Record{}, err
		}
		if binary.LittleEndian.Uint32(s.buf[hdr:]) != recordIOMagic {
			return Record{}, fmt.Errorf("%w: no RecordIO magic number at byte %d", ErrCorrupt, s.off+int64(hdr))
		}
		word := binary.LittleEndian.Uint32(s.buf[hdr+4:])
		flag, n := word>>29, int(word&(1<<29-1))
		if first != (flag == 0 || flag == 1) {
			return Record{}, fmt.Errorf("%w: RecordIO part of kind %d at byte %d out of sequence", ErrCorrupt, flag, s.off+int64(hdr))
		}
		data := len(s.buf)
		if err := s.readFull((n+3)&^3, false); err != nil {
			return Record{}, err
		}
		if !first {
			// A record cut in parts had the magic number in its data, where the cut is.
			payload = binary.LittleEndian.AppendUint32(payload, recordIOMagic)
		}
		payload = append(payload, s.buf[data:data+n]...)
		if flag == 0 || flag == 3 {
			return Record{Raw: s.buf, Payload: payload}, nil
		}
	}
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func maskedCRC(b []byte) uint32 {
	c := crc32.Checksum(b, castagnoli)
	return (c>>15 | c<<17) + 0xa282ead8
}

// TFRecord: a little-endian uint64 length, the masked CRC-32C of the length, the data,
// the masked CRC-32C of the data.
func (s *Splitter) tfRecord() (Record, error) {
	s.buf = s.buf[:0]
	if err := s.readFull(12, true); err != nil {
		return Record{}, err
	}
	if binary.LittleEndian.Uint32(s.buf[8:]) != maskedCRC(s.buf[:8]) {
		return Record{}, fmt.Errorf("%w: bad TFRecord length checksum at byte %d", ErrCorrupt, s.off)
	}
	n := binary.LittleEndian.Uint64(s.buf)
	if n > 1<<40 || s.limit > 0 && n >= uint64(s.limit) {
		if s.limit > 0 {
			return Record{}, &RecordTooLargeError{Limit: s.limit}
		}
		return Record{}, fmt.Errorf("%w: TFRecord length %d at byte %d", ErrCorrupt, n, s.off)
	}
	if err := s.readFull(int(n)+4, false); err != nil {
		return Record{}, err
	}
	data := s.buf[12 : 12+n]
	if binary.LittleEndian.Uint32(s.buf[12+n:]) != maskedCRC(data) {
		return Record{}, fmt.Errorf("%w: bad TFRecord data checksum at byte %d", ErrCorrupt, s.off)
	}
	return Record{Raw: s.buf, Payload: data}, nil
}

// AppendTFRecord appends data framed as a TFRecord (for tests and tools).
func AppendTFRecord(b, data []byte) []byte {
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(data)))
	b = append(b, n[:]...)
	b = binary.LittleEndian.AppendUint32(b, maskedCRC(n[:]))
	b = append(b, data...)
	return binary.LittleEndian.AppendUint32(b, maskedCRC(data))
}

// AppendRecordIO appends data framed as one RecordIO record (a single part).
func AppendRecordIO(b, data []byte) []byte {
	b = binary.LittleEndian.AppendUint32(b, recordIOMagic)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(data)))
	b = append(b, data...)
	for range (4 - len(data)%4) % 4 {
		b = append(b, 0)
	}
	return b
}
