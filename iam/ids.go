package iam

import (
	"crypto/rand"
	"math/big"
)

// idAlphabet is the alphabet of IAM's unique IDs (AROA..., ANPA...) and access keys.
const idAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

// newID is an IAM unique ID: a four-letter prefix that names the kind (AROA role, ANPA
// managed policy, ASIA temporary access key) and 17 random characters.
func newID(prefix string) string {
	return prefix + randomString(idAlphabet, 17)
}

// encodeID turns a digest into 17 ID characters, for IDs that must be stable.
func encodeID(sum []byte) string {
	b := make([]byte, 17)
	for i := range b {
		b[i] = idAlphabet[int(sum[i])%len(idAlphabet)]
	}
	return string(b)
}

// randomString draws n characters of alphabet with crypto/rand.
func randomString(alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[randomInt(len(alphabet))]
	}
	return string(b)
}

// randomInt is uniform in [0, n).
func randomInt(n int) int {
	v, err := rand.Int(rand.Reader, big.NewInt(int64(n)))
	if err != nil {
		panic("crypto/rand failed: " + err.Error()) // the kernel's source cannot fail on Linux
	}
	return int(v.Int64())
}
