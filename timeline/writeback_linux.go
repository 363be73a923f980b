package timeline

import (
	"os"

	"golang.org/x/sys/unix"
)

// startWriteback asks the kernel to start writing f's dirty pages to the
// disk, without waiting for them (sync_file_range, SYNC_FILE_RANGE_WRITE):
// a part goes to the disk while the import goes on, and the commit's fsync
// of every part (syncFiles) has little left to wait for. Best effort: an
// error only means the commit's fsync does all the work.
func startWriteback(f *os.File) {
	// x/sys, not syscall: syscall has no SyncFileRange on 32-bit Linux.
	_ = unix.SyncFileRange(int(f.Fd()), 0, 0, unix.SYNC_FILE_RANGE_WRITE)
}
