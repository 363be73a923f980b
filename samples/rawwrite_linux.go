//go:build linux

package samples

import (
	"io"
	"os"
	"syscall"
	"unsafe"
)

// rawFile writes to a regular file with write(2) made as a raw system
// call, outside the Go scheduler's syscall bookkeeping. A 256 KiB write
// into the page cache is CPU work (100-400 µs of copying and page
// allocation), not a wait; made as an ordinary syscall it outlasts a
// sysmon tick, so with every P busy (one worker per core) the runtime
// takes the P from the writing thread, wakes another thread to look for
// work, finds none, and the writer then has to get a P back: at scale 20
// storm-0558 made 84-90k context switches in 9 s and spent about a fifth
// of its system time on this churn (perf trace: writes on four threads,
// 28k sysmon wake-ups). The cost: while a write runs, its P runs nothing
// else, and a stop-the-world waits for the write to end (a write throttled
// by a slow disk's dirty-page limit holds the GC for that long).
type rawFile struct {
	fd   uintptr
	name string
}

func newRawFile(f *os.File) io.Writer { return rawFile{fd: f.Fd(), name: f.Name()} }

func (r rawFile) Write(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		m, _, errno := syscall.RawSyscall(syscall.SYS_WRITE, r.fd, uintptr(unsafe.Pointer(&p[n])), uintptr(len(p)-n))
		switch {
		case errno == syscall.EINTR:
			continue
		case errno != 0:
			return n, &os.PathError{Op: "write", Path: r.name, Err: errno}
		case m == 0:
			return n, &os.PathError{Op: "write", Path: r.name, Err: io.ErrShortWrite}
		}
		n += int(m)
	}
	return n, nil
}
