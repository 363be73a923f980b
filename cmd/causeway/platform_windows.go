//go:build windows

package main

import (
	"os"
	"time"

	"golang.org/x/sys/windows"
)

// cpuTime is the user and kernel CPU time this process has used so far.
func cpuTime() time.Duration {
	var created, exited, kernel, user windows.Filetime
	if windows.GetProcessTimes(windows.CurrentProcess(), &created, &exited, &kernel, &user) != nil {
		return 0
	}
	// Filetimes count 100 ns intervals.
	ticks := int64(kernel.HighDateTime)<<32 | int64(kernel.LowDateTime) + int64(user.HighDateTime)<<32 | int64(user.LowDateTime)
	return time.Duration(ticks * 100)
}

// peakRSS is 0: an exited child's peak working set is not kept here.
func peakRSS(*os.ProcessState) int64 { return 0 }

// memoryDir returns "": there is no directory in memory to write to.
func memoryDir(int64) string { return "" }
