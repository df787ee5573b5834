package api

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"time"
)

// Timestamp is a time as the AWS JSON protocols carry it: seconds since the Unix epoch as
// a JSON number, milliseconds as the fraction (1767225600.123). Step Functions keeps
// milliseconds, so finer precision is dropped on the way out. Use it with `omitzero` for
// optional members.
type Timestamp struct {
	time.Time
}

// NewTimestamp wraps t.
func NewTimestamp(t time.Time) Timestamp { return Timestamp{t} }

// MarshalJSON writes the epoch seconds with up to three decimals, without trailing zeros.
func (t Timestamp) MarshalJSON() ([]byte, error) {
	ms := t.UnixMilli()
	var b []byte
	if ms < 0 {
		b, ms = append(b, '-'), -ms
	}
	b = strconv.AppendInt(b, ms/1000, 10)
	if frac := ms % 1000; frac != 0 {
		b = append(b, '.')
		b = append(b, bytes.TrimRight(fmt.Appendf(nil, "%03d", frac), "0")...)
	}
	return b, nil
}

// UnmarshalJSON reads epoch seconds given as a JSON number, in any notation clients use
// (1767225600, 1767225600.5, 1.7672256005E9); null leaves the zero time.
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*t = Timestamp{}
		return nil
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || len(b) == 0 || b[0] == '"' || math.IsInf(f, 0) || math.IsNaN(f) {
		return fmt.Errorf("timestamp must be a number of seconds since the epoch, not %s", b)
	}
	if math.Abs(f) > 1e14 { // beyond year 3,000,000: not a time anyone means
		return fmt.Errorf("timestamp %s is out of range", b)
	}
	*t = Timestamp{time.UnixMilli(int64(math.Round(f * 1000))).UTC()}
	return nil
}
