package batch

import (
	"fmt"
	"io"
)

// Strategy is how records are grouped into requests (BatchStrategy).
type Strategy string

// The batch strategies of the API.
const (
	SingleRecord Strategy = "SingleRecord"
	MultiRecord  Strategy = "MultiRecord"
)

// MB is SageMaker's megabyte in MaxPayloadInMB.
const MB = 1 << 20

// unlimitedPack is the size MultiRecord requests are packed to when MaxPayloadInMB is 0
// (no limit on a record): the default payload size.
const unlimitedPack = 6 * MB

// RecordTooLargeError is a record that does not fit in MaxPayloadInMB. Its text is the
// one of the SageMaker Python SDK's local mode.
type RecordTooLargeError struct {
	Limit int // bytes
}

func (e *RecordTooLargeError) Error() string {
	return fmt.Sprintf("Record is larger than %dMB. Please increase your max_payload", e.Limit/MB)
}

// Batch is one request to the serving process.
type Batch struct {
	Body []byte
	// Records is the number of records in Body.
	Records int
	// Inputs are the records as read (payloads, no line endings), kept only when the
	// job joins its outputs to its inputs (DataProcessing JoinSource=Input).
	Inputs [][]byte
}

// BatcherOptions say how records become requests.
type BatcherOptions struct {
	Split    SplitType
	Strategy Strategy
	// MaxPayload is MaxPayloadInMB in bytes: a request is smaller than this (0: no
	// limit on a record; MultiRecord requests are packed to 6 MB).
	MaxPayload int
	// Processing is the job's DataProcessing (nil: none).
	Processing *Processing
}

// Batcher reads an object's records and groups them into requests.
type Batcher struct {
	sp    *Splitter
	opts  BatcherOptions
	limit int // a request must be smaller than this (0: none)
	pack  int // MultiRecord packs requests below this
	carry *Batch
	done  bool
}

// NewBatcher returns a batcher over r (the object, decompressed).
func NewBatcher(r io.Reader, opts BatcherOptions) *Batcher {
	if opts.Split == "" {
		opts.Split = SplitNone
	}
	b := &Batcher{opts: opts, limit: opts.MaxPayload, pack: opts.MaxPayload}
	if b.pack == 0 {
		b.pack = unlimitedPack
	}
	bound := 0
	switch {
	case opts.Split == SplitNone:
		// The whole object is one request, whatever its size: the container says
		// whether it takes it (413), as on SageMaker.
		b.limit = 0
	case opts.MaxPayload > 0:
		// Framing bytes and what an InputFilter removes may bring a record under the
		// limit; the request is what is checked. This bound only keeps a record without
		// an end from filling memory.
		bound = opts.MaxPayload + 64<<10
		if opts.Processing != nil && opts.Processing.Input != nil {
			bound = 4*opts.MaxPayload + 64<<10
		}
	}
	b.sp = NewSplitter(r, opts.Split, bound)
	return b
}

// Next returns the next request, or io.EOF after the last one.
func (b *Batcher) Next() (*Batch, error) {
	if b.done {
		return nil, io.EOF
	}
	cur := b.carry
	b.carry = nil
	for {
		rec, err := b.sp.Next()
		if err == io.EOF {
			b.done = true
			if cur == nil {
				return nil, io.EOF
			}
			return cur, nil
		}
		if err != nil {
			b.done = true
			if _, ok := err.(*RecordTooLargeError); ok {
				err = &RecordTooLargeError{Limit: b.limit}
			}
			return nil, err
		}
		body, input, err := b.record(rec)
		if err != nil {
			b.done = true
			return nil, err
		}
		if b.limit > 0 && len(body) >= b.limit {
			b.done = true
			return nil, &RecordTooLargeError{Limit: b.limit}
		}
		if b.opts.Strategy != MultiRecord || b.opts.Split == SplitNone {
			return b.single(body, input), nil
		}
		if cur != nil && len(cur.Body)+len(body) >= b.pack {
			b.carry = b.single(body, input)
			return cur, nil
		}
		if cur == nil {
			cur = &Batch{Body: make([]byte, 0, b.initialCap(len(body)))}
		}
		cur.Body = append(cur.Body, body...)
		cur.Records++
		if input != nil {
			cur.Inputs = append(cur.Inputs, input)
		}
	}
}

// initialCap sizes a MultiRecord request buffer: small objects stay small, large ones
// do not grow it many times.
func (b *Batcher) initialCap(first int) int {
	return max(first, min(b.pack, 1<<20))
}

// single is a request of one record (or the first of a MultiRecord request). Its body
// is copied: the splitter reuses its buffer.
func (b *Batcher) single(body, input []byte) *Batch {
	c := b.initialCap(len(body))
	if b.opts.Strategy != MultiRecord {
		c = len(body)
	}
	out := &Batch{Body: append(make([]byte, 0, c), body...), Records: 1}
	if input != nil {
		out.Inputs = [][]byte{input}
	}
	return out
}

// record is what a record sends (its body) and, when outputs are joined to inputs, a
// copy of the record.
func (b *Batcher) record(rec Record) (body, input []byte, err error) {
	p := b.opts.Processing
	switch {
	case p == nil || (p.Input == nil && !p.Join):
		body = rec.Raw
		if b.opts.Strategy == SingleRecord && (b.opts.Split == SplitRecordIO || b.opts.Split == SplitTFRecord) {
			// SingleRecord sends a binary record without its framing and padding.
			body = rec.Payload
		}
		return body, nil, nil
	}
	if p.Join {
		input = append([]byte(nil), rec.Payload...)
	}
	body = rec.Raw
	if p.Input != nil {
		body, err = p.FilterInput(rec.Payload)
		if err != nil {
			return nil, nil, err
		}
		if b.opts.Split == SplitLine {
			body = append(body, '\n')
		}
	}
	return body, input, nil
}
