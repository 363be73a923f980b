//go:build !unix

package samples

import "time"

// cpuTime is not measured on this platform (0): BenchmarkGenerateDiscard
// then reports wall-time rates only.
func cpuTime() time.Duration { return 0 }
