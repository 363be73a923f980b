package samples

import "unsafe"

// prefetch asks the CPU to bring the n bytes from p (at least the cache
// line holding p) into its caches, without waiting for them
// (PREFETCHT0 per 64-byte line). It never faults.
//
//go:noescape
func prefetch(p unsafe.Pointer, n uintptr)
