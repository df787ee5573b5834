package s3api

import (
	"crypto/sha1" //nolint:gosec // S3's SHA1 checksum is an integrity check the client asks for, not a security measure
	"crypto/sha256"
	"encoding/base64"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"net/http"
	"strings"
)

// checksumAlgorithm is one of the checksums S3 computes over object data
// (x-amz-checksum-<name>, x-amz-sdk-checksum-algorithm: <NAME>).
type checksumAlgorithm struct {
	name string // lower case, as in the header: crc32, crc32c, crc64nvme, sha1, sha256
	new  func() hash.Hash
}

// crc64NVME is the CRC-64/NVME polynomial (0xAD93D23594C93659), bit-reversed as
// hash/crc64 expects it.
const crc64NVME = 0x9a6c9329ac4bc9b5

var (
	castagnoli   = crc32.MakeTable(crc32.Castagnoli)
	crc64NVMETab = crc64.MakeTable(crc64NVME)
)

var checksumAlgorithms = []checksumAlgorithm{
	{"crc32", func() hash.Hash { return crc32.NewIEEE() }},
	{"crc32c", func() hash.Hash { return crc32.New(castagnoli) }},
	{"crc64nvme", func() hash.Hash { return crc64.New(crc64NVMETab) }},
	{"sha1", sha1.New},
	{"sha256", sha256.New},
}

const checksumHeaderPrefix = "x-amz-checksum-"

// checksumByName finds an algorithm by its name in any case ("CRC32", "crc32").
func checksumByName(name string) (checksumAlgorithm, bool) {
	name = strings.ToLower(strings.TrimSpace(name))
	for _, a := range checksumAlgorithms {
		if a.name == name {
			return a, true
		}
	}
	return checksumAlgorithm{}, false
}

// header is the algorithm's header, x-amz-checksum-<name>.
func (a checksumAlgorithm) header() string { return checksumHeaderPrefix + a.name }

// upper is the algorithm's name in S3's enum (CRC32, CRC64NVME...).
func (a checksumAlgorithm) upper() string { return strings.ToUpper(a.name) }

// encodeSum is how S3 writes a checksum: the big-endian digest, base64.
func encodeSum(h hash.Hash) string { return base64.StdEncoding.EncodeToString(h.Sum(nil)) }

// requestChecksum finds the checksum a request declares: a value in an
// x-amz-checksum-<alg> header, an algorithm named by x-amz-sdk-checksum-algorithm (then
// the value, if any, arrives in a trailer) or by x-amz-trailer. ok is false when the
// request asks for none; an unknown algorithm is an error.
func requestChecksum(h http.Header) (alg checksumAlgorithm, value string, ok bool, err *s3Error) {
	for _, a := range checksumAlgorithms {
		if v := h.Get(a.header()); v != "" {
			return a, v, true, nil
		}
	}
	for _, name := range []string{h.Get("X-Amz-Trailer"), h.Get("X-Amz-Sdk-Checksum-Algorithm"), h.Get("X-Amz-Checksum-Algorithm")} {
		if name == "" {
			continue
		}
		a, found := checksumByName(strings.TrimPrefix(strings.ToLower(strings.TrimSpace(name)), checksumHeaderPrefix))
		if !found {
			return checksumAlgorithm{}, "", false, errInvalidRequest("Value for x-amz-checksum-algorithm header is invalid.")
		}
		return a, "", true, nil
	}
	return checksumAlgorithm{}, "", false, nil
}
