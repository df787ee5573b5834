// Package uuid makes random (version 4) UUIDs (execution names, revision ids, request
// ids, States.UUID) and UUID-shaped digests of keys (ids that must come out the same
// when the same thing happens again, as after a restart).
package uuid

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
)

// New returns a random version 4 UUID in its canonical text form.
func New() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return format(b)
}

// FromKey returns the first 16 bytes of key's SHA-256 in UUID text form: the same key
// gives the same id, different keys different ids. (No version bits are set: ids made
// this way are already stored, as child execution names and event ids.)
func FromKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return format([16]byte(sum[:16]))
}

func format(b [16]byte) string {
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:16])
	return string(s[:])
}
