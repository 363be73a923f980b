//go:build unix

package timeline

import (
	"os"
	"syscall"
)

// tryLock takes an exclusive advisory lock on f without waiting; it fails
// while another process holds it. The lock ends with the process.
func tryLock(f *os.File) error { return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) }

// unlockFile releases tryLock's lock.
func unlockFile(f *os.File) { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN) }
