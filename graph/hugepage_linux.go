package graph

import (
	"syscall"
	"unsafe"
)

// hugePage is the size of a transparent huge page on Linux (x86-64, arm64
// with 4 KiB pages).
const hugePage = 2 << 20

// adviseHuge asks the kernel to back the huge pages wholly inside the
// array of s with huge pages (MADV_HUGEPAGE; Go's runtime does not ask for
// its heap). Building walks arrays of hundreds of megabytes at random: with
// 4 KiB pages nearly every access also misses the TLB, and filling them
// faults every 4 KiB. The advice is only advice: an error is ignored.
func adviseHuge[T any](s []T) {
	var v T
	n := uintptr(cap(s)) * unsafe.Sizeof(v)
	if n < 2*hugePage {
		return
	}
	p := unsafe.Pointer(unsafe.SliceData(s))
	start := uintptr(p)
	lo, hi := (start+hugePage-1)&^(hugePage-1), (start+n)&^(hugePage-1)
	if hi > lo {
		_ = syscall.Madvise(unsafe.Slice((*byte)(unsafe.Add(p, lo-start)), hi-lo), madvHugePage)
	}
}

// madvHugePage is MADV_HUGEPAGE.
const madvHugePage = 14
