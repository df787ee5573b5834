// Package pagetoken encodes the opaque NextToken of store lists: a list kind plus the
// key of the last row returned (keyset pagination), so a page stays correct when rows
// are inserted between calls and a token from one list is refused by another.
package pagetoken

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"github.com/stepwise-dev/stepwise/store"
)

const sep = "\x00"

// Encode makes a token of kind holding fields.
func Encode(kind string, fields ...string) string {
	raw := kind
	for _, f := range fields {
		raw += sep + f
	}
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// Decode returns the n fields of a token issued with Encode(kind, ...), or an error
// wrapping store.ErrInvalidToken.
func Decode(token, kind string, n int) ([]string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	// The decoder skips line breaks; only the exact text Encode made is a token.
	if err != nil || base64.RawURLEncoding.EncodeToString(raw) != token {
		return nil, fmt.Errorf("%w: not a token", store.ErrInvalidToken)
	}
	parts := strings.Split(string(raw), sep)
	if len(parts) != n+1 || parts[0] != kind {
		return nil, fmt.Errorf("%w: not a %s token", store.ErrInvalidToken, kind)
	}
	return parts[1:], nil
}

// Int parses an integer field of a decoded token.
func Int(field string) (int64, error) {
	v, err := strconv.ParseInt(field, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: bad field", store.ErrInvalidToken)
	}
	return v, nil
}
