//go:build !unix

package webui

import "time"

// processCPU is not measured on this platform (0): tests then report wall
// time only.
func processCPU() time.Duration { return 0 }
