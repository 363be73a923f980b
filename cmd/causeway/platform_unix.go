//go:build unix

package main

import (
	"os"
	"syscall"
	"time"
)

// cpuTime is the user and system CPU time this process has used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// peakRSS is an exited child's peak resident set in bytes (0 when the
// system does not say).
func peakRSS(ps *os.ProcessState) int64 {
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		return ru.Maxrss * 1024 // Linux gives KiB
	}
	return 0
}

// memoryDir returns a directory in memory (Linux's /dev/shm, a tmpfs) with
// at least need bytes free, or "" when there is none.
func memoryDir(need int64) string {
	const dir = "/dev/shm"
	var st syscall.Statfs_t
	if syscall.Statfs(dir, &st) != nil || int64(st.Bavail)*int64(st.Bsize) < need {
		return ""
	}
	return dir
}
