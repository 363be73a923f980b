package graph

import (
	"runtime"
	"syscall"
	"unsafe"
)

// hugePage is the size of a transparent huge page on Linux (x86-64, arm64
// with 4 KiB pages).
const hugePage = 2 << 20

// adviseHuge asks the kernel to back the array of s with huge pages
// (MADV_HUGEPAGE; Go's runtime does not ask for its heap). Building walks
// arrays of hundreds of megabytes at random: with 4 KiB pages nearly every
// access also misses the TLB, and filling them faults every 4 KiB.
//
// The advice covers the huge pages the array touches, not only those
// wholly inside it: a big structure's blocks are allocated one after the
// other, and the huge page a block ends in is where the next one begins
// (advising only the inside left up to 4 MiB of every block in small
// pages). Memory never touched is never backed, so the advice costs a few
// megabytes at most beside an array. It is only advice: an error (a range
// not mapped) is ignored. The range is passed as numbers, not as a slice:
// a pointer beyond the array could point into memory the heap has not
// allocated.
func adviseHuge[T any](s []T) {
	var v T
	n := uintptr(cap(s)) * unsafe.Sizeof(v)
	if n < hugePage {
		return
	}
	start := uintptr(unsafe.Pointer(unsafe.SliceData(s)))
	lo, hi := start&^(hugePage-1), (start+n+hugePage-1)&^(hugePage-1)
	_, _, _ = syscall.Syscall(syscall.SYS_MADVISE, lo, hi-lo, madvHugePage)
	runtime.KeepAlive(s)
}

// madvHugePage is MADV_HUGEPAGE.
const madvHugePage = 14
