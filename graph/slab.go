package graph

import "math/bits"

// slab holds many small growable arrays of a pointer-free T (an edge's
// event times, its kept ids) in large chunks, so that the collector sees a
// few big objects without pointers instead of millions of small slices.
// An array is named by a span; capacities are powers of two, and the room
// of an array that grew is reused for another of its size.
type slab[T any] struct {
	chunks [][]T
	free   [32][]slot // by log2 of the capacity: room given back
	last   int32      // the chunk small arrays are carved from, -1 if none
	blocks carver[T]
}

// span is an array in a slab: where it starts, its length and capacity
// (zero for an empty array that has no room yet).
type span struct {
	chunk, off int32
	n, cap     int32
}

type slot struct{ chunk, off int32 }

// slabChunk is the size of the chunks small arrays share; a larger array
// gets a chunk of its own.
const slabChunk = 1 << 16

func newSlab[T any]() slab[T] { return slab[T]{last: -1} }

// get returns the array of s (which the caller may modify in place, but
// not append to).
func (a *slab[T]) get(s span) []T {
	if s.cap == 0 {
		return nil
	}
	return a.chunks[s.chunk][s.off : s.off+s.n : s.off+s.cap]
}

// push appends v to the array of s, returning its new span.
func (a *slab[T]) push(s span, v T) span {
	if s.n == s.cap {
		s = a.grow(s, max(1, 2*s.cap))
	}
	a.chunks[s.chunk][s.off+s.n] = v
	s.n++
	return s
}

// alloc returns an empty array with room for n values (a power of two).
func (a *slab[T]) alloc(n int32) span {
	c := bits.Len32(uint32(n - 1)) // log2 of n rounded up
	n = 1 << c
	if f := a.free[c]; len(f) > 0 {
		sl := f[len(f)-1]
		a.free[c] = f[:len(f)-1]
		return span{chunk: sl.chunk, off: sl.off, cap: n}
	}
	if n > slabChunk/4 {
		ch := make([]T, n)
		adviseHuge(ch) // a hub's list, up to tens of megabytes
		a.chunks = append(a.chunks, ch)
		return span{chunk: int32(len(a.chunks) - 1), cap: n}
	}
	if a.last < 0 || len(a.chunks[a.last])+int(n) > slabChunk {
		a.chunks = append(a.chunks, a.blocks.take(slabChunk)[:0])
		a.last = int32(len(a.chunks) - 1)
	}
	ch := &a.chunks[a.last]
	off := int32(len(*ch))
	*ch = (*ch)[:int(off)+int(n)]
	return span{chunk: a.last, off: off, cap: n}
}

// grow moves the array of s into room for n values.
func (a *slab[T]) grow(s span, n int32) span {
	t := a.alloc(n)
	copy(a.chunks[t.chunk][t.off:t.off+s.n], a.get(s))
	t.n = s.n
	a.release(s)
	return t
}

// release gives the room of s back.
func (a *slab[T]) release(s span) {
	if s.cap == 0 {
		return
	}
	if s.cap > slabChunk/4 {
		a.chunks[s.chunk] = nil // its own chunk
		return
	}
	c := bits.Len32(uint32(s.cap - 1))
	a.free[c] = append(a.free[c], slot{s.chunk, s.off})
}

// carver hands out arrays of a fixed size carved from larger blocks, each
// as large as all made before it up to 64 arrays, so that a big structure
// lives in blocks of megabytes, backed by huge pages (adviseHuge), while a
// small one takes no more than it needs.
type carver[T any] struct {
	block []T
	made  int
}

// take returns an array of n values (n the same in every call).
func (c *carver[T]) take(n int) []T {
	if len(c.block) < n {
		c.block = make([]T, min(max(c.made, 1), 64)*n)
		adviseHuge(c.block)
	}
	s := c.block[:n:n]
	c.block = c.block[n:]
	c.made++
	return s
}
