package graph

import "unsafe"

// prefetch asks the CPU to bring the cache line holding p into its caches,
// without waiting for it (PREFETCHT0). It never faults, so p may point
// anywhere. Building reads arrays of hundreds of megabytes at random:
// applyBatch asks for a batch's adjacency spans, lists and edge records
// before applying it, so that their misses overlap instead of stalling one
// after another.
//
//go:noescape
func prefetch(p unsafe.Pointer)
