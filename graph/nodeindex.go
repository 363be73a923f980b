package graph

import (
	"hash/maphash"
	"math/bits"
)

// nodeIndex finds the nodes of one kind by value: open addressing over
// node ids, each slot keeping its value's hash bits, so that growing it
// never hashes a value again and a probe compares values only when the
// bits agree. It holds no pointers (8 bytes a slot) and, built at the end
// from the node count, never grows.
type nodeIndex struct {
	slots []nodeSlot
	n     int
}

// nodeSlot is a slot of nodeIndex: the low bits of the value's hash and
// the node's id plus one (0: free).
type nodeSlot struct {
	h  uint32
	id int32
}

// indexSize is the slot count of an index for n values: a power of two at
// most three quarters full.
func indexSize(n int) int {
	s := 16
	for 4*n > 3*s {
		s *= 2
	}
	return s
}

// built reports whether the kind is indexed: its table is made when it is
// (indexSize is never 0).
func (x *nodeIndex) built() bool { return x.slots != nil }

func (g *Graph) hashValue(v string) uint32 { return uint32(maphash.String(g.seed, v)) }

// get returns the node of value v, whose hash is h.
func (x *nodeIndex) get(g *Graph, v string, h uint32) (NodeID, bool) {
	if len(x.slots) == 0 {
		return -1, false
	}
	mask := uint32(len(x.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := x.slots[i]
		if s.id == 0 {
			return -1, false
		}
		if s.h == h && g.value(NodeID(s.id-1)) == v {
			return NodeID(s.id - 1), true
		}
	}
}

// put files node id, whose value's hash is h; the value must be new.
func (x *nodeIndex) put(id NodeID, h uint32) {
	if 4*(x.n+1) > 3*len(x.slots) {
		x.grow(indexSize(x.n + 1))
	}
	x.n++
	x.place(nodeSlot{h: h, id: int32(id) + 1})
}

func (x *nodeIndex) place(s nodeSlot) {
	mask := uint32(len(x.slots) - 1)
	i := s.h & mask
	for x.slots[i].id != 0 {
		i = (i + 1) & mask
	}
	x.slots[i] = s
}

// grow moves the slots into a table of size slots.
func (x *nodeIndex) grow(size int) {
	old := x.slots
	x.slots = make([]nodeSlot, max(size, 2*len(old)))
	adviseHuge(x.slots)
	for _, s := range old {
		if s.id != 0 {
			x.place(s)
		}
	}
}

// indexKind files every node of kind k in g.index[k], which must be
// empty, in one pass over the nodes that hashes their values; the slots
// are then placed table region by table region (see placeAll).
func (g *Graph) indexKind(k uint8) {
	g.index[k].grow(indexSize(g.kindCount[k]))
	slots := make([]nodeSlot, 0, g.kindCount[k])
	for c, ch := range g.nodes.chunks {
		for j := range ch {
			if n := &ch[j]; n.kind == k {
				slots = append(slots, nodeSlot{h: g.hashValue(g.nameOf(n)), id: int32(c<<chunkBits+j) + 1})
			}
		}
	}
	g.index[k].placeAll(slots)
}

// lookup returns the node of (kind k, value v).
func (g *Graph) lookup(k uint8, v string) (NodeID, bool) {
	return g.indexed(k).get(g, v, g.hashValue(v))
}

// indexed returns the index of kind k, which a built graph makes when
// first asked (readers may ask at once: indexOnce): a chain from a key
// needs the keys' only, not the 4 million tokens' (64 MB of slots, and
// as much again while placing them). While building, nodeOf indexes a
// kind fed by a second dictionary (indexKind) as it goes.
func (g *Graph) indexed(k uint8) *nodeIndex {
	g.indexOnce[k].Do(func() {
		if !g.index[k].built() {
			g.indexKind(k)
		}
	})
	return &g.index[k]
}

// regionBits sizes the regions placeAll fills one after another: 2^15
// slots, 256 KiB.
const regionBits = 15

// placeAll files slots ss, of new values, in the order of their first
// slot: a table of millions of slots is then written a region at a time,
// in cache, instead of at random.
func (x *nodeIndex) placeAll(ss []nodeSlot) {
	if 4*(x.n+len(ss)) > 3*len(x.slots) {
		x.grow(indexSize(x.n + len(ss)))
	}
	x.n += len(ss)
	tbits := bits.Len(uint(len(x.slots) - 1))
	if tbits <= regionBits {
		for _, s := range ss {
			x.place(s)
		}
		return
	}
	mask, shift := uint32(len(x.slots)-1), regionBits
	start := make([]int32, 1<<(tbits-regionBits)+1)
	for _, s := range ss {
		start[(s.h&mask)>>shift+1]++
	}
	for r := 1; r < len(start); r++ {
		start[r] += start[r-1]
	}
	sorted := make([]nodeSlot, len(ss))
	for _, s := range ss {
		r := (s.h & mask) >> shift
		sorted[start[r]] = s
		start[r]++
	}
	for _, s := range sorted {
		x.place(s)
	}
}
