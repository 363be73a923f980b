//go:build unix

package importers

import (
	"syscall"
	"time"
)

// processCPUTime returns the CPU time (user + system) the test process has
// used: on a shared, loaded machine it measures an import's cost where
// wall time does not.
func processCPUTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
