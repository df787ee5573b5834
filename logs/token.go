package logs

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"github.com/stepwise-dev/stepwise/store"
)

// Event ids and tokens. An event's id is its store key written as 56 digits, the
// timestamp's 20 then the sequence number's 36, so ids sort as the events do and a
// token can carry a position in a stream or a group.

const (
	tsDigits  = 20
	seqDigits = 36
)

// eventID is the id FilterLogEvents reports for an event.
func eventID(k store.LogEventKey) string {
	return fmt.Sprintf("%0*d%0*d", tsDigits, k.Timestamp, seqDigits, k.Seq)
}

// parseEventID reads an id written by eventID.
func parseEventID(s string) (store.LogEventKey, bool) {
	if len(s) != tsDigits+seqDigits {
		return store.LogEventKey{}, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return store.LogEventKey{}, false
		}
	}
	ts, err := strconv.ParseInt(s[:tsDigits], 10, 64)
	if err != nil {
		return store.LogEventKey{}, false
	}
	var seq int64
	if digits := strings.TrimLeft(s[tsDigits:], "0"); digits != "" {
		if seq, err = strconv.ParseInt(digits, 10, 64); err != nil {
			return store.LogEventKey{}, false
		}
	}
	return store.LogEventKey{Timestamp: ts, Seq: seq}, true
}

// Token directions: GetLogEvents' forward and backward tokens, FilterLogEvents' next.
const (
	dirForward  = 'f'
	dirBackward = 'b'
	dirNext     = 'n'
)

// eventToken is "f/<id>", "b/<id>" or "n/<id>". A forward or next token stands for the
// events after the key, a backward token for those before it.
func eventToken(dir byte, k store.LogEventKey) string {
	return string(dir) + "/" + eventID(k)
}

// parseEventToken reads a token of one of the given directions.
func parseEventToken(tok string, dirs string) (dir byte, k store.LogEventKey, err error) {
	if len(tok) < 2 || tok[1] != '/' || !strings.Contains(dirs, tok[:1]) {
		return 0, k, errBadToken()
	}
	k, ok := parseEventID(tok[2:])
	if !ok {
		return 0, k, errBadToken()
	}
	return tok[0], k, nil
}

// pageToken wraps a store page cursor (a name, "<ms>/<name>") for the API.
func pageToken(next string) *string {
	if next == "" {
		return nil
	}
	s := base64.RawURLEncoding.EncodeToString([]byte(next))
	return &s
}

func parsePageToken(tok *string) (string, error) {
	if tok == nil {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(*tok)
	if err != nil || len(b) == 0 {
		return "", errBadToken()
	}
	return string(b), nil
}
