//go:build !linux

package samples

import (
	"io"
	"os"
)

// newRawFile is the file itself where raw writes are not made (see
// rawwrite_linux.go).
func newRawFile(f *os.File) io.Writer { return f }
