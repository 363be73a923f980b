//go:build unix

package main

import (
	"os"
	"runtime"
	"strconv"
	"strings"
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
		return maxRSSBytes(int64(ru.Maxrss))
	}
	return 0
}

// memoryDir returns a directory in memory (Linux's /dev/shm, a tmpfs) with
// at least need bytes free, or "" when there is none, or when the memory
// the system has available (MemAvailable) is under half as much again: a
// tmpfs may be larger than the memory free to fill it.
func memoryDir(need int64) string {
	const dir = "/dev/shm"
	var st syscall.Statfs_t
	if syscall.Statfs(dir, &st) != nil || int64(st.Bavail)*int64(st.Bsize) < need {
		return ""
	}
	if avail, ok := memAvailable(); !ok || avail < need+need/2 {
		return ""
	}
	return dir
}

// memAvailable reads MemAvailable from /proc/meminfo, in bytes.
func memAvailable() (int64, bool) {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0, false
	}
	for line := range strings.Lines(string(b)) {
		rest, ok := strings.CutPrefix(line, "MemAvailable:")
		if !ok {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		return kb << 10, err == nil
	}
	return 0, false
}

// maxRSSBytes is a Rusage's Maxrss in bytes: macOS gives bytes, Linux and
// the BSDs KiB. (Maxrss is 32 bits wide on 32-bit systems.)
func maxRSSBytes(v int64) int64 {
	if runtime.GOOS == "darwin" || runtime.GOOS == "ios" {
		return v
	}
	return v << 10
}
