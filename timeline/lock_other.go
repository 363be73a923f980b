//go:build !unix && !windows

package timeline

import (
	"errors"
	"os"
)

// tryLock fails: this system offers no file lock that Causeway uses, and an
// import without one could interleave with another.
func tryLock(*os.File) error { return errors.ErrUnsupported }

func unlockFile(*os.File) {}
