package objstore

import (
	"fmt"
	"net/netip"
	"unicode/utf8"
)

// MaxKeyLength is S3's limit on a key's length in bytes.
const MaxKeyLength = 1024

// ValidateBucketName checks S3's naming rules for general-purpose buckets: 3 to 63
// characters of lower-case letters, digits, dots and hyphens, starting and ending with a
// letter or digit, no two adjacent dots, not shaped like an IPv4 address, and none of the
// reserved prefixes and suffixes. The error wraps ErrInvalidBucketName.
func ValidateBucketName(name string) error {
	bad := func(why string) error {
		return fmt.Errorf("%w: %q %s", ErrInvalidBucketName, name, why)
	}
	if len(name) < 3 || len(name) > 63 {
		return bad("must be 3 to 63 characters long")
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c == '.' || c == '-':
			if i == 0 || i == len(name)-1 {
				return bad("must start and end with a letter or digit")
			}
			if c == '.' && name[i-1] == '.' {
				return bad("must not contain two adjacent periods")
			}
		default:
			return bad("may contain only lower-case letters, digits, periods and hyphens")
		}
	}
	if _, err := netip.ParseAddr(name); err == nil {
		return bad("must not be formatted as an IP address")
	}
	for _, p := range []string{"xn--", "sthree-", "amzn-s3-demo-"} {
		if len(name) >= len(p) && name[:len(p)] == p {
			return bad("must not start with " + p)
		}
	}
	for _, s := range []string{"-s3alias", "--ol-s3", "--x-s3", "--table-s3", ".mrap"} {
		if len(name) >= len(s) && name[len(name)-len(s):] == s {
			return bad("must not end with " + s)
		}
	}
	return nil
}

// ValidateKey checks that key is a possible S3 key: 1 to 1024 bytes of valid UTF-8. Any
// such key is accepted ("a//b", "a/", "../x", " ", "\x00" included); drivers that map keys
// to files must encode them. The error wraps ErrInvalidKey.
func ValidateKey(key string) error {
	switch {
	case key == "":
		return fmt.Errorf("%w: empty key", ErrInvalidKey)
	case len(key) > MaxKeyLength:
		return fmt.Errorf("%w: key is %d bytes long, the limit is %d", ErrInvalidKey, len(key), MaxKeyLength)
	case !utf8.ValidString(key):
		return fmt.Errorf("%w: key is not valid UTF-8", ErrInvalidKey)
	}
	return nil
}

// Resolve turns r into absolute inclusive offsets within an object of size bytes, as S3
// does: an End past the object is clamped, a suffix range longer than the object is the
// whole object, and a range starting at or past the end (or any range of an empty
// object) is ErrInvalidRange.
func (r Range) Resolve(size int64) (start, end int64, err error) {
	if size <= 0 {
		return 0, 0, fmt.Errorf("%w: object is empty", ErrInvalidRange)
	}
	if r.Start < 0 {
		n := -r.Start
		if n > size {
			n = size
		}
		return size - n, size - 1, nil
	}
	if r.Start >= size {
		return 0, 0, fmt.Errorf("%w: start %d is past the object's %d bytes", ErrInvalidRange, r.Start, size)
	}
	end = r.End
	if end < 0 || end >= size {
		end = size - 1
	}
	if end < r.Start {
		return 0, 0, fmt.Errorf("%w: end %d before start %d", ErrInvalidRange, end, r.Start)
	}
	return r.Start, end, nil
}
