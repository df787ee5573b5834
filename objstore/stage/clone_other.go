//go:build !linux

package stage

import (
	"errors"
	"os"
)

func cloneFile(dst, src *os.File) error { return errors.ErrUnsupported }
