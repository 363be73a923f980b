package graph

import "math/bits"

// slab holds many small growable arrays of a pointer-free T (an edge's
// event times, its kept ids) in large chunks, so that the collector sees a
// few big objects without pointers instead of millions of small slices.
// An array is named by a span; capacities are powers of two, a chunk holds
// arrays of one capacity (class), and the room of an array that grew is
// reused for another of its size.
type slab[T any] struct {
	chunks [][]T
	class  []uint8      // by chunk: log2 of the capacity of its arrays, or ownClass
	free   [32][]uint32 // by class: room given back (span positions)
	last   [32]uint32   // by class: the chunk its small arrays are carved from, 0 if none
	// own lists the chunks of large arrays given back, whose numbers are
	// reused.
	own []uint32
	// spare holds the large arrays given back, for the next large array
	// of the same length: hubs' lists grow through the same lengths (by
	// half from slabChunk/2: see push), so one hub's old list is another's
	// next, instead of
	// garbage and fresh memory (504 MB allocated for 192 MB of lists in
	// a real 10M-event case). dropSpare lets them go.
	spare  [][]T
	blocks carver[T]
}

// span is an array in a slab in 8 bytes: its chunk and offset (pos, chunk
// << 16 | offset; 0 for an empty array that has no room yet) and its
// length. Its capacity is its chunk's class.
type span struct {
	pos uint32
	n   int32
}

// slabChunk is the size of the chunks small arrays share; a larger array
// gets a chunk of its own. Offsets take 16 bits, chunk numbers the other
// 16: maxSlabChunks bounds a slab (see Graph.tooLarge).
const (
	slabChunk     = 1 << 16
	maxSlabChunks = 1 << 16
)

func newSlab[T any]() slab[T] {
	// Chunk 0 holds nothing, so that a zero span has no room.
	return slab[T]{chunks: make([][]T, 1, 64), class: make([]uint8, 1, 64)}
}

func (s span) chunk() uint32 { return s.pos >> 16 }
func (s span) off() int32    { return int32(s.pos & (slabChunk - 1)) }

// ownClass is the class of a chunk that holds one large array, as long as
// the chunk: large arrays grow by half, not double (a hub's list of
// millions of edges would leave up to as many slots empty).
const ownClass = 0xff

// capOf returns the capacity of the array of s.
func (a *slab[T]) capOf(s span) int32 {
	if s.pos == 0 {
		return 0
	}
	if c := a.class[s.chunk()]; c != ownClass {
		return 1 << c
	}
	return int32(len(a.chunks[s.chunk()]))
}

// get returns the array of s (which the caller may modify in place, but
// not append to).
func (a *slab[T]) get(s span) []T {
	if s.pos == 0 {
		return nil
	}
	off := s.off()
	return a.chunks[s.chunk()][off : off+s.n : off+s.n]
}

// room returns the whole room of s's array, its capacity (capOf) long,
// whatever its length.
func (a *slab[T]) room(s span) []T {
	s.n = a.capOf(s)
	return a.get(s)
}

// push appends v to the array of s, returning its new span.
func (a *slab[T]) push(s span, v T) span {
	if c := a.capOf(s); s.n == c {
		if c > slabChunk/4 {
			s = a.grow(s, c+c/2)
		} else {
			s = a.grow(s, max(1, 2*c))
		}
	}
	a.chunks[s.chunk()][s.off()+s.n] = v
	s.n++
	return s
}

// alloc returns an empty array with room for n values (a power of two,
// unless past slabChunk/4).
func (a *slab[T]) alloc(n int32) span {
	if n > slabChunk/4 {
		for i, ch := range a.spare {
			if len(ch) == int(n) {
				a.spare[i] = a.spare[len(a.spare)-1]
				a.spare = a.spare[:len(a.spare)-1]
				return span{pos: a.newChunk(ch, ownClass) << 16}
			}
		}
		ch := make([]T, n)
		adviseHuge(ch) // a hub's list, up to tens of megabytes
		return span{pos: a.newChunk(ch, ownClass) << 16}
	}
	c := bits.Len32(uint32(n - 1)) // log2 of n rounded up
	n = 1 << c
	if f := a.free[c]; len(f) > 0 {
		a.free[c] = f[:len(f)-1]
		return span{pos: f[len(f)-1]}
	}
	i := a.last[c]
	if i == 0 || len(a.chunks[i])+int(n) > slabChunk {
		i = a.newChunk(a.blocks.take(slabChunk)[:0], c)
		a.last[c] = i
	}
	ch := &a.chunks[i]
	off := uint32(len(*ch))
	*ch = (*ch)[:int(off)+int(n)]
	return span{pos: i<<16 | off}
}

// newChunk files chunk ch of class c, under the number of a large array's
// chunk given back if there is one.
func (a *slab[T]) newChunk(ch []T, c int) uint32 {
	if len(a.own) > 0 && c == ownClass {
		i := a.own[len(a.own)-1]
		a.own = a.own[:len(a.own)-1]
		a.chunks[i], a.class[i] = ch, uint8(c)
		return i
	}
	a.chunks = append(a.chunks, ch)
	a.class = append(a.class, uint8(c))
	return uint32(len(a.chunks) - 1)
}

// full reports whether the slab is near maxSlabChunks: the chunks an
// event's arrays may add still fit, but no build should go on.
func (a *slab[T]) full() bool { return len(a.chunks) >= maxSlabChunks-256 }

// grow moves the array of s into room for n values.
func (a *slab[T]) grow(s span, n int32) span {
	t := a.alloc(n)
	copy(a.chunks[t.chunk()][t.off():t.off()+s.n], a.get(s))
	t.n = s.n
	a.release(s)
	return t
}

// release gives the room of s back.
func (a *slab[T]) release(s span) {
	if s.pos == 0 {
		return
	}
	i, c := s.chunk(), a.class[s.chunk()]
	if c == ownClass {
		if len(a.spare) < maxSpare {
			a.spare = append(a.spare, a.chunks[i])
		}
		a.chunks[i] = nil // its own chunk
		a.own = append(a.own, i)
		return
	}
	a.free[c] = append(a.free[c], s.pos)
}

// maxSpare bounds the large arrays a slab keeps for reuse.
const maxSpare = 64

// dropSpare lets the large arrays kept for reuse go, once no array will
// grow again.
func (a *slab[T]) dropSpare() { a.spare = nil }

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
