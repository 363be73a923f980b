package graph

import "hash/maphash"

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

// indexKind files every node of kind k in g.index[k], which must be empty.
func (g *Graph) indexKind(k uint8) {
	var todo [len(kindNames)]bool
	todo[k] = true
	g.indexKinds(todo)
}

// lookup returns the node of (kind k, value v).
func (g *Graph) lookup(k uint8, v string) (NodeID, bool) {
	return g.index[k].get(g, v, g.hashValue(v))
}

// indexAll indexes the kinds not indexed yet.
func (g *Graph) indexAll() {
	var todo [len(kindNames)]bool
	for k := range todo {
		todo[k] = !g.index[k].built()
	}
	g.indexKinds(todo)
}

// indexKinds indexes the kinds set in todo, which must not be indexed yet,
// in one pass over the nodes.
func (g *Graph) indexKinds(todo [len(kindNames)]bool) {
	some := false
	for k, ok := range todo {
		if ok {
			g.index[k].grow(indexSize(g.kindCount[k]))
			some = true
		}
	}
	if !some {
		return
	}
	for i := range g.nodes.len() {
		if n := g.nodeAt(NodeID(i)); todo[n.kind] {
			x := &g.index[n.kind]
			x.n++
			x.place(nodeSlot{h: g.hashValue(g.names.get(n.name)), id: int32(i) + 1})
		}
	}
}
