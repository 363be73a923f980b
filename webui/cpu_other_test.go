//go:build !unix

package webui

import "time"

// cpuTime is not measured on this platform (0): tests then report wall
// time only.
func cpuTime() time.Duration { return 0 }
