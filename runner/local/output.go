package local

import (
	"bufio"
	"errors"
	"io"
	"os"
	"sync"
	"time"
)

// maxLine bounds the memory a job's output can take: a longer line is passed on in pieces
// of this size, each as a line of its own.
const maxLine = 256 << 10

// output writes both streams of a job, line by line, to its log file and its OnLine
// callback. Lines are whole in the log (the two streams interleave by lines) and OnLine
// is never called concurrently.
type output struct {
	mu     sync.Mutex
	log    *os.File // nil: no log file
	onLine func(stream, line string)
	err    error // first write error

	lastErrMu sync.Mutex
	lastErr   string // last stderr line, for sandbox setup errors
}

func (o *output) line(stream string, b []byte) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.log != nil && o.err == nil {
		buf := make([]byte, 0, len(b)+1)
		buf = append(append(buf, b...), '\n')
		if _, err := o.log.Write(buf); err != nil {
			o.err = err
		}
	}
	if stream == "stderr" {
		o.lastErrMu.Lock()
		o.lastErr = string(b)
		o.lastErrMu.Unlock()
	}
	if o.onLine != nil {
		o.onLine(stream, string(b))
	}
}

func (o *output) lastStderr() string {
	o.lastErrMu.Lock()
	defer o.lastErrMu.Unlock()
	return o.lastErr
}

// copyLines reads r to its end, passing each line on; a last line without a newline is
// passed on too.
func (o *output) copyLines(stream string, r io.Reader) {
	br := bufio.NewReaderSize(r, 32<<10)
	var pending []byte
	for {
		chunk, err := br.ReadSlice('\n')
		switch {
		case err == nil:
			chunk = chunk[:len(chunk)-1]
			if len(pending) > 0 {
				pending = append(pending, chunk...)
				o.emitLong(stream, pending)
				pending = pending[:0]
				continue
			}
			o.line(stream, chunk)
		case errors.Is(err, bufio.ErrBufferFull):
			pending = append(pending, chunk...)
			for len(pending) >= maxLine {
				o.line(stream, pending[:maxLine])
				pending = append(pending[:0], pending[maxLine:]...)
			}
		default:
			pending = append(pending, chunk...)
			if len(pending) > 0 {
				o.emitLong(stream, pending)
			}
			return
		}
	}
}

func (o *output) emitLong(stream string, b []byte) {
	for len(b) > maxLine {
		o.line(stream, b[:maxLine])
		b = b[maxLine:]
	}
	o.line(stream, b)
}

// waitBriefly pauses a cleanup retry loop.
func waitBriefly() { time.Sleep(5 * time.Millisecond) }
