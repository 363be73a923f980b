package graph

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"iter"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/causeway-ir/causeway/timeline"
)

// NodeID is the dense index of an entity in a Graph.
type NodeID int32

// maxNodes bounds the node count so that an edge key packs into 64 bits
// (26 bits per endpoint, 10 for the relation, 2 for the evidence level).
const maxNodes = 1 << 26

// Evidence is how an edge is known.
type Evidence uint8

// Evidence levels of design.md §4.
const (
	// Observed: a log record shows it.
	Observed Evidence = iota
	// Inferred: a rule derived it.
	Inferred
	// Asserted: an analyst or an advisory said so.
	Asserted
)

// String returns the evidence level's name as used in JSON and DOT.
func (e Evidence) String() string {
	switch e {
	case Observed:
		return "observed"
	case Inferred:
		return "inferred"
	case Asserted:
		return "asserted"
	}
	return "unknown"
}

// Relation names of the edges Build derives. Assertions may carry others.
const (
	// RelSigned is key → token: the key signed or minted the token (a
	// captured token names both).
	RelSigned = "signed"
	// RelIssued is credential → token or key: a sign-in, AssumeRole,
	// refresh or token exchange issued it.
	RelIssued = "issued"
	// RelCreated is credential → key: the credential created a key.
	RelCreated = "created"
	// RelAccessed is credential → target for reads and use (mail, file,
	// resource, token and sign-in events: a role assumed, an app signed in to).
	RelAccessed = "accessed"
	// RelChanged is credential → target for admin and other changes.
	RelChanged = "changed"
	// RelUses is the context edge identity → credential.
	RelUses = "uses"
	// RelOrigin is the context edge ip → credential.
	RelOrigin = "origin"
	// RelClientOf is the context edge app → credential.
	RelClientOf = "client_of"
	// RelIn is the context edge mailbox, resource or token → tenant.
	RelIn = "in"
	// RelAttempted is the context edge credential → target of a failed
	// attempt: it is shown, but a failure gives the actor nothing.
	RelAttempted = "attempted"
)

// builtinCausal lists the relations Build derives that carry causality.
var builtinRelations = [...]struct {
	name   string
	causal bool
}{
	{RelSigned, true}, {RelIssued, true}, {RelCreated, true}, {RelAccessed, true}, {RelChanged, true},
	{RelUses, false}, {RelOrigin, false}, {RelClientOf, false}, {RelIn, false}, {RelAttempted, false},
}

// Relation indices of the built-in relations (their position above).
const (
	relSigned uint16 = iota
	relIssued
	relCreated
	relAccessed
	relChanged
	relUses
	relOrigin
	relClientOf
	relIn
	relAttempted
)

// Options tunes Build.
type Options struct {
	// EventIDs caps the event ids kept per causal edge (half the earliest,
	// half the latest); 0 means 64. Context edges keep their earliest
	// EventIDs/16, at least 1 and at most 4.
	EventIDs int
}

// Node is one entity of the graph, as returned by (*Graph).Node.
type Node struct {
	ID    NodeID
	Kind  timeline.EntityKind
	Value string
	// First and Last are the earliest and latest event times naming it.
	First, Last time.Time
	// Count is the number of events naming it.
	Count int
}

// Entity returns the node's entity id, "kind:value".
func (n Node) Entity() string { return string(n.Kind) + ":" + n.Value }

// Edge is one edge of the graph, as returned by (*Graph).Edges.
type Edge struct {
	From, To    NodeID
	Relation    string
	Causal      bool
	Evidence    Evidence
	First, Last time.Time
	// Count is the number of events behind the edge.
	Count int
	// Events is a bounded sample of the event ids behind the edge, the
	// earliest first; Count says how many there were.
	Events []string
}

// Graph is the entity graph of a case. Build it with Build; it is safe for
// concurrent readers once built, except AddAssertions, which must not run
// alongside readers.
type Graph struct {
	// nodes are in chunks: growing never copies millions of them.
	nodes chunked[node]
	// index finds nodes by kind and value. While building, a kind whose
	// nodes all came from one dictionary of a case scan has none (its codes
	// tell values apart: see nodeOfCode); a built graph indexes a kind
	// when first asked (indexed).
	index     [len(kindNames)]nodeIndex
	indexOnce [len(kindNames)]sync.Once // see indexed
	kindCount [len(kindNames)]int
	// codeSrc is, per kind not indexed, the dictionary its nodes came from
	// (0: none yet).
	codeSrc [len(kindNames)]uint64
	seed    maphash.Seed
	edges   chunked[edge]
	times32 timeCodes        // the edges' first and last times
	ext     chunked[edgeExt] // causal edges'
	cext    slab[ctxRef]     // context edges' heads (ctxHeadOf)
	refs    slab[idRef]      // edgeExt.head and tail
	tms     slab[int64]      // edgeExt.times
	edgeOf  map[uint64]int32 // edges whose endpoints both have more than hubDegree edges
	// out and in are, per node, its edges out and in: arrays of adj, which
	// holds millions of short lists without a pointer for the collector.
	// They are in chunks, as nodes are.
	out, in chunked[span]
	adj     slab[adjEntry]

	relNames  []string
	relCausal []bool
	relIndex  map[string]uint16

	idCap, ctxIDCap int
	facts           facts

	// hubSpans holds, for nodes with more than hubSpanMin edges out (or
	// in), each edge's first and last time in adjacency order, so that a
	// chain skips the edges outside its window without reading them.
	hubSpans map[hubKey][]edgeSpan

	// names holds the nodes' values; longNames the lengths of those of
	// longNameLen bytes or more, by their node's name. A node made from a
	// case scan's dictionary has its value there instead (dicts).
	names     strArena
	longNames map[uint32]uint32
	// dicts are the dictionaries of a case scan whose values nodes name by
	// code instead of a copy in names (timeline.ScanColumns lets a Dict
	// and its strings be kept), by slot (codeNodes.slot): each the
	// longest Dict seen of its DictID, which holds every code seen so far.
	dicts []timeline.Dict
	// ids holds the ids of the events built from, and those of assertions:
	// evidence and facts name events by their handle here.
	ids idStore

	// linkFull is set, by apply's goroutine, when edges or a slab near
	// their limits (noteLinked).
	linkFull atomic.Bool

	// recent holds edges linked lately, while building.
	recent *[recentSlots]recentEdge

	// seen remembers, per kind, the nodes of recently interned strings by
	// the address of their bytes: a case scan hands out one string per
	// value and row group (timeline.Case.ScanBatches), so most lookups end
	// here, without hashing or comparing bytes.
	seen *[len(kindNames)][seenSlots]seenString

	lowerOnce sync.Once
	lower     [len(kindNames)]map[string]NodeID
}

// node holds no pointers: millions of nodes are one object the collector
// need not scan. Its value is name, in Graph.names.
type node struct {
	first, last int64
	count       int32
	aux         int32 // tokens and keys: index into facts.tokens or facts.keys, -1 if none; IPs: 1 for an address; tenants: 1 for ConsumerTenant
	// name packs the value's place in Graph.names (chunk << nameOffBits |
	// offset) and its length (lenLo | lenHi << 16; a length of longNameLen
	// or more is in Graph.longNames, the field then maxNameLen), so that a
	// node is 32 bytes, two to a cache line. A value adopted from a case
	// scan's dictionary (Graph.dicts) has its code in name and
	// longNameLen + its dictionary's slot in the length field.
	name  uint32
	lenLo uint16
	lenHi uint8
	kind  uint8
}

// The packing of a node's value: arena chunks are 1 MiB (a longer value has
// a chunk of its own, at offset 0), so offsets take 20 bits and chunks 12.
// The length field (24 bits) holds a length below longNameLen, else
// maxNameLen (the length is in Graph.longNames), else longNameLen plus
// the slot of the dictionary the value is adopted from.
const (
	nameOffBits   = 20
	maxNameChunks = 1 << (32 - nameOffBits)
	maxNameLen    = 1<<24 - 1
	longNameLen   = 0xff << 16
	maxDicts      = maxNameLen - longNameLen
)

// nameOf returns node n's value.
func (g *Graph) nameOf(n *node) string {
	ln := uint32(n.lenLo) | uint32(n.lenHi)<<16
	switch {
	case ln == maxNameLen:
		ln = g.longNames[n.name]
	case ln >= longNameLen:
		return g.dicts[ln-longNameLen].At(int32(n.name))
	}
	return g.names.get(idSpan{chunk: n.name >> nameOffBits, off: n.name & (1<<nameOffBits - 1), n: ln})
}

// setName files sp, the span of node n's value in Graph.names.
func (g *Graph) setName(n *node, sp idSpan) {
	n.name = sp.chunk<<nameOffBits | sp.off
	ln := sp.n
	if ln >= longNameLen {
		if g.longNames == nil {
			g.longNames = map[uint32]uint32{}
		}
		g.longNames[n.name] = ln
		ln = maxNameLen
	}
	n.lenLo, n.lenHi = uint16(ln), uint8(ln>>16)
}

// setCode names node n's value by its code in dictionary slot (below
// maxDicts) of Graph.dicts.
func setCode(n *node, slot int32, code int32) {
	ln := longNameLen + uint32(slot)
	n.name, n.lenLo, n.lenHi = uint32(code), uint16(ln), uint8(ln>>16)
}

// nodeAt returns node id.
func (g *Graph) nodeAt(id NodeID) *node { return g.nodes.at(int32(id)) }

// value returns node id's value.
func (g *Graph) value(id NodeID) string { return g.nameOf(g.nodeAt(id)) }

// edge is 24 bytes: its ends, relation, evidence level and flag share two
// words (nodes number below maxNodes, relations below maxRelations), and
// its first and last times are 32-bit codes (see tcode).
type edge struct {
	// fromRel is from, and the relation's low 6 bits from bit 26; toEv is
	// to, the relation's high 3 bits from bit 26, the evidence level from
	// bit 29 and, at bit 31, full: set on a context edge whose earliest ids
	// are all kept, so that an event at or after its last changes only
	// count, first and last (touch need not read its edgeExt).
	fromRel, toEv uint32
	count         int32
	// ref is, while count is 1, the event's id (a handle in Graph.ids);
	// then the index of the edge's edgeExt in Graph.ext.
	ref int32
	// fc and lc are the codes (tcode) of its first and last times: read
	// them with Graph.eFirst and eLast.
	fc, lc uint32
}

// maxRelations bounds the relation names, so that an edge packs its
// relation in 9 bits.
const maxRelations = 1 << 9

const nodeMask = maxNodes - 1

// newEdge returns the edge of one event, id at t, whose time's code is c.
func newEdge(from, to NodeID, rel uint16, ev Evidence, c uint32, ref int32) edge {
	return edge{fromRel: uint32(from) | uint32(rel&63)<<26, toEv: uint32(to) | uint32(rel>>6&7)<<26 | uint32(ev&3)<<29,
		count: 1, fc: c, lc: c, ref: ref}
}

// eFirst returns the time of edge e's first event.
func (g *Graph) eFirst(e *edge) int64 { return g.times32.time(e.fc) }

// eLast returns the time of edge e's last event.
func (g *Graph) eLast(e *edge) int64 { return g.times32.time(e.lc) }

// timeCodes turns an event's time into 32 bits, for edges' first and last
// (30 million in a real 10M-event case: 8 bytes each less): a whole second
// from tcodeBase on (until 2068) is its offset, any other time the event's
// handle in Graph.ids with tcodeHandle set, its time kept in a table by
// handle (each handle names one event, at one time). Two offsets compare
// as their times do; a handle is looked up.
type timeCodes struct {
	// byHandle holds the times of the events given handles, in chunks of
	// 1 << chunkBits handles made when one of them is.
	byHandle [][]int64
}

const (
	tcodeBase   = 946684800 // 2000-01-01T00:00:00Z, in seconds
	tcodeHandle = 1 << 31
)

// code returns the code of time t of the event whose handle is h.
func (tc *timeCodes) code(t int64, h int32) uint32 {
	if s := t/1e6 - tcodeBase; t%1e6 == 0 && uint64(s) < tcodeHandle {
		return uint32(s)
	}
	c := int(h) >> chunkBits
	if c >= len(tc.byHandle) {
		tc.byHandle = append(tc.byHandle, make([][]int64, c+1-len(tc.byHandle))...)
	}
	if tc.byHandle[c] == nil {
		tc.byHandle[c] = make([]int64, 1<<chunkBits)
	}
	tc.byHandle[c][h&(1<<chunkBits-1)] = t
	return tcodeHandle | uint32(h)
}

// time returns the time of code c.
func (tc *timeCodes) time(c uint32) int64 {
	if c < tcodeHandle {
		return (int64(c) + tcodeBase) * 1e6
	}
	h := c &^ tcodeHandle
	return tc.byHandle[h>>chunkBits][h&(1<<chunkBits-1)]
}

// before reports whether the time of code a is before that of b: by the
// codes when both are offsets.
func (tc *timeCodes) before(a, b uint32) bool {
	if a|b < tcodeHandle {
		return a < b
	}
	return tc.time(a) < tc.time(b)
}

func (e *edge) from() NodeID { return NodeID(e.fromRel & nodeMask) }
func (e *edge) to() NodeID   { return NodeID(e.toEv & nodeMask) }
func (e *edge) rel() uint16  { return uint16(e.fromRel>>26) | uint16(e.toEv>>26&7)<<6 }
func (e *edge) ev() Evidence { return Evidence(e.toEv >> 29 & 3) }
func (e *edge) full() bool   { return e.toEv>>31 != 0 }
func (e *edge) setFull()     { e.toEv |= 1 << 31 }

// hasExt reports whether the edge's evidence is in an edgeExt (ref).
func (e *edge) hasExt() bool { return e.count > 1 }

// adjEntry is an edge in an adjacency list, with what identifies it from
// that end, so that finding an edge scans one short array: 8 bytes, not 12
// (62M entries in a real 10M-event case). key packs the other end (below
// maxNodes) with a tag (see adjKey) of the relation and evidence level.
type adjEntry struct {
	key uint32
	ei  int32
}

// adjTagRels bounds an entry's relation tag (4 bits): the relations from
// index adjTagRels - 1 on (assertions' own names) share the tag
// adjTagRels - 1, and an entry with it names its relation only in the
// edge record.
const adjTagRels = 1 << 4

// adjKey is the key of an entry for an edge to or from other (the tag: the
// evidence level in 2 bits, the relation in 4, capped at adjTagRels - 1).
func adjKey(other NodeID, rel uint16, ev Evidence) uint32 {
	return uint32(other) | (uint32(ev&3)<<4|uint32(min(rel, adjTagRels-1)))<<26
}

// other returns the entry's other end.
func (a adjEntry) other() NodeID { return NodeID(a.key & nodeMask) }

// rel returns the relation of the entry's edge: its tag, or the edge
// record's when the tag is capped.
func (g *Graph) rel(a adjEntry) uint16 {
	if r := uint16(a.key >> 26 & (adjTagRels - 1)); r < adjTagRels-1 {
		return r
	}
	return g.edges.at(a.ei).rel()
}

// causal reports whether the entry's edge carries causality.
func (g *Graph) causal(a adjEntry) bool { return g.relCausal[g.rel(a)] }

// idRef is a kept event id (a handle in Graph.ids) and its event's time,
// in 12 bytes, not 16: the time is two halves (see mkRef and time).
type idRef struct {
	tLo uint32
	tHi int32
	id  int32
}

func mkRef(t int64, id int32) idRef { return idRef{tLo: uint32(t), tHi: int32(t >> 32), id: id} }

// time returns the time of the event.
func (r idRef) time() int64 { return int64(r.tHi)<<32 | int64(r.tLo) }

// edgeExt holds the evidence of a causal edge with more than one event:
// the earliest and the latest ids (disjoint), and every time. Its arrays
// are spans of Graph.refs and Graph.tms: it holds no pointers.
type edgeExt struct {
	idHead
	tail     span  // of Graph.refs
	times    span  // of Graph.tms
	tailMin  int32 // index of the earliest in tail
	tailLast int32 // index of the last stored in tail
	tailRing bool  // tail is sorted in ring order from tailMin
	sorted   bool
}

// idHead holds the earliest ids of a causal edge with more than one event,
// the first half of what it keeps.
type idHead struct {
	head span // of Graph.refs
	// The time of the latest in head, in two halves (as idRef's): 20
	// bytes, not 24, so that an edgeExt, which holds it, is 48, not 56.
	maxLo   uint32
	maxHi   int32
	headMax int32 // its index
}

// maxCtxIDs bounds the ids a context edge keeps (Options.EventIDs/16).
const maxCtxIDs = 4

// ctxHead holds the earliest ids of a context edge with more than one
// event, up to maxCtxIDs, in place: 32 bytes, two to a cache line (12
// million in a real case, touched by most events). Each id's time is a
// code (Graph.times32); how many are kept and which is the latest are in
// the ids' top bits (handles are below 1 << 31): n - 1 in those of refs 0
// and 1, max in those of refs 2 and 3.
//
// A head is an array in Graph.cext. While it keeps two ids or fewer (7.6
// of the real case's 11.8 million context edges have two events) it is
// an array of two refs, 16 bytes, without max (ctxHeadOf), when the edge
// may keep three or more; it moves to an array of maxCtxIDs for a third.
type ctxHead struct {
	refs [maxCtxIDs]ctxRef
}

// ctxRef is an id kept in a ctxHead: its time's code, and its handle in
// Graph.ids with one bit of the head's count or latest at bit 31.
type ctxRef struct {
	c, id uint32
}

// newCtxHead returns the head of an edge's first event, id, whose time's
// code is c.
func newCtxHead(c uint32, id int32) ctxHead {
	return ctxHead{refs: [maxCtxIDs]ctxRef{{c: c, id: uint32(id)}}}
}

const ctxBit = 1 << 31

// n returns how many ids x keeps.
func (x *ctxHead) n() int { return ctxCount(x.refs[:]) }

// ctxCount returns how many ids the head whose refs are x keeps.
func ctxCount(x []ctxRef) int { return 1 + int(x[0].id>>31|x[1].id>>31<<1) }

// max returns the index of the latest id in x (of those with the latest
// time, the last filed while filling; the first after a displacement, as
// latest finds).
func (x *ctxHead) max() int { return int(x.refs[2].id>>31 | x.refs[3].id>>31<<1) }

// setBits files v's two bits in the top bits of the ids of refs i and i+1.
func (x *ctxHead) setBits(i int, v int) {
	x.refs[i].id = x.refs[i].id&^ctxBit | uint32(v&1)<<31
	x.refs[i+1].id = x.refs[i+1].id&^ctxBit | uint32(v>>1&1)<<31
}

// set files ref i: code c, handle id.
func (x *ctxHead) set(i int, c uint32, id int32) {
	x.refs[i] = ctxRef{c: c, id: x.refs[i].id&ctxBit | uint32(id)}
}

// ctxRefs returns the refs kept in the head whose refs are x, in the order
// filed.
func (g *Graph) ctxRefs(x []ctxRef) []idRef {
	refs := make([]idRef, ctxCount(x))
	for i := range refs {
		refs[i] = mkRef(g.times32.time(x[i].c), int32(x[i].id&^ctxBit))
	}
	return refs
}

// ctxSmall is the room of a new context head: two refs when the edges may
// keep three ids or more (the head then moves for a third), else
// maxCtxIDs (keepCtx's displacements need the latest's index).
func (g *Graph) ctxSmall() int32 {
	if g.ctxIDCap >= 3 {
		return 2
	}
	return maxCtxIDs
}

// newCtx returns the position in Graph.cext of a new context head for an
// edge's first event, id, whose time's code is c.
func (g *Graph) newCtx(c uint32, id int32) int32 {
	sp := g.cext.alloc(g.ctxSmall())
	x := g.cext.room(sp)
	clear(x) // room given back holds an old head
	x[0] = ctxRef{c: c, id: uint32(id)}
	return int32(sp.pos)
}

// ctxHeadOf returns the refs of the head of a context edge whose ref is
// pos (newCtx): two, or maxCtxIDs.
func (g *Graph) ctxHeadOf(pos int32) []ctxRef { return g.cext.room(span{pos: uint32(pos)}) }

// keepCtxIn is keepCtx for the head of context edge e, which is x
// (ctxHeadOf): a head of two refs keeps a second id in place, and moves to
// an array of maxCtxIDs for a third, with the index of its latest so far
// (the second unless the first is later: of equal times, the last filed,
// as keepCtx files while filling). It returns the head as it is now.
func (g *Graph) keepCtxIn(e *edge, x []ctxRef, c uint32, id int32, half int) *ctxHead {
	if len(x) < maxCtxIDs {
		// half >= 3 (ctxSmall): every id is kept while filling.
		if ctxCount(x) == 1 {
			x[1] = ctxRef{c: c, id: uint32(id)}
			x[0].id |= ctxBit // two kept
			return nil
		}
		mx := 1
		if g.times32.before(x[1].c, x[0].c) {
			mx = 0
		}
		sp := g.cext.grow(span{pos: uint32(e.ref), n: int32(len(x))}, maxCtxIDs)
		e.ref = int32(sp.pos)
		x = g.cext.room(sp)             // maxCtxIDs
		x[2], x[3] = ctxRef{}, ctxRef{} // room given back holds an old head
		h := (*ctxHead)(unsafe.Pointer(&x[0]))
		h.setBits(2, mx)
		g.keepCtx(h, c, id, half)
		return h
	}
	h := (*ctxHead)(unsafe.Pointer(&x[0]))
	g.keepCtx(h, c, id, half)
	return h
}

// keepCtx files the event id, whose time's code is c, into the earliest
// ids of x, which hold at most half (at most maxCtxIDs), as a causal
// edge's head does, but dropping what it does not keep.
func (g *Graph) keepCtx(x *ctxHead, c uint32, id int32, half int) {
	tc := &g.times32
	n, mx := x.n(), x.max()
	switch {
	case n < half:
		x.set(n, c, id)
		if !tc.before(c, x.refs[mx].c) {
			x.setBits(2, n)
		}
		x.setBits(0, n) // n + 1 kept
	case tc.before(c, x.refs[mx].c): // it displaces the latest
		x.set(mx, c, id)
		m := 0 // the new latest: the first of those with the latest time, as latest finds
		for i := 1; i < n; i++ {
			if tc.before(x.refs[m].c, x.refs[i].c) {
				m = i
			}
		}
		x.setBits(2, m)
	}
}

// latest returns the index of the latest of refs (the first of those with
// the latest time): a head's new latest once the event displaced it.
func latest(refs []idRef) int {
	m := 0
	for i := range refs {
		if refs[i].time() > refs[m].time() {
			m = i
		}
	}
	return m
}

// headMaxT returns the time of the latest id in the head.
func (x *idHead) headMaxT() int64 { return int64(x.maxHi)<<32 | int64(x.maxLo) }

// setHeadMaxT records t as the time of the latest id in the head.
func (x *idHead) setHeadMaxT(t int64) { x.maxLo, x.maxHi = uint32(t), int32(t>>32) }

// kindNames is the kind order used for node kinds (timeline.EntityKinds).
var kindNames = [...]timeline.EntityKind{
	timeline.KindKey, timeline.KindToken, timeline.KindSession, timeline.KindIdentity, timeline.KindApp,
	timeline.KindTenant, timeline.KindIP, timeline.KindMailbox, timeline.KindResource,
}

const (
	kKey uint8 = iota
	kToken
	kSession
	kIdentity
	kApp
	kTenant
	kIP
	kMailbox
	kResource
	kNone uint8 = 255
)

func kindIndex(k string) uint8 {
	switch timeline.EntityKind(k) {
	case timeline.KindKey:
		return kKey
	case timeline.KindToken:
		return kToken
	case timeline.KindSession:
		return kSession
	case timeline.KindIdentity:
		return kIdentity
	case timeline.KindApp:
		return kApp
	case timeline.KindTenant:
		return kTenant
	case timeline.KindIP:
		return kIP
	case timeline.KindMailbox:
		return kMailbox
	case timeline.KindResource:
		return kResource
	}
	return kNone
}

// isCredential reports whether kind k can be the tail of a causal edge.
func isCredential(k uint8) bool { return k == kKey || k == kToken || k == kSession }

// ErrTooLarge is returned by Build when a case has more entities than a
// Graph can index.
var ErrTooLarge = errors.New("graph: too many entities")

func newGraph(opts Options) *Graph {
	g := &Graph{edgeOf: make(map[uint64]int32), relIndex: make(map[string]uint16),
		seen: new([len(kindNames)][seenSlots]seenString), refs: newSlab[idRef](), tms: newSlab[int64](),
		adj: newSlab[adjEntry](), cext: newSlab[ctxRef](), seed: maphash.MakeSeed()}
	for _, r := range builtinRelations {
		g.relIndex[r.name] = uint16(len(g.relNames))
		g.relNames = append(g.relNames, r.name)
		g.relCausal = append(g.relCausal, r.causal)
	}
	g.idCap = opts.EventIDs
	if g.idCap <= 0 {
		g.idCap = 64
	}
	g.ctxIDCap = min(maxCtxIDs, max(1, g.idCap/16))
	g.facts.init()
	return g
}

// Build reads events once and returns their graph. An error from the
// sequence stops the build and is returned wrapped; so is ctx's error.
func Build(ctx context.Context, events iter.Seq2[timeline.Event, error], opts Options) (*Graph, error) {
	g := newGraph(opts)
	// Reading the events (decoding Parquet, in a case) runs on its own
	// goroutine, handing batches over, so that it overlaps building.
	const batchLen, buffers = 512, 6
	full := make(chan []timeline.Event, buffers-2)
	free := make(chan []timeline.Event, buffers)
	for range buffers {
		free <- make([]timeline.Event, 0, batchLen)
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	var readErr error
	go func() {
		defer close(done)
		defer close(full)
		buf := <-free
		for e, err := range events {
			if err != nil {
				readErr = err
				return
			}
			buf = append(buf, e)
			if len(buf) < batchLen {
				continue
			}
			select {
			case full <- buf:
			case <-stop:
				return
			}
			buf = <-free // never blocks: the consumer returns every batch
		}
		if len(buf) > 0 {
			select {
			case full <- buf:
			case <-stop:
			}
		}
	}()
	var err error
	n, stopped := 0, false
	st := g.startStages()
	for b := range full {
		for i := 0; i < len(b) && err == nil; i++ {
			if n++; n&0xffff == 0 {
				if cerr := ctx.Err(); cerr != nil {
					err = fmt.Errorf("graph: %w", cerr)
					break
				}
			}
			err = st.add(&b[i])
		}
		clear(b) // let go of the events' strings
		free <- b[:0]
		if err != nil && !stopped {
			close(stop) // the reader stops; drain what it already sent
			stopped = true
		}
	}
	<-done
	if werr := st.wait(); err == nil {
		err = werr
	}
	switch {
	case err != nil:
		return nil, err
	case readErr != nil:
		return nil, fmt.Errorf("graph: reading events: %w", readErr)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("graph: %w", err)
	}
	g.complete()
	return g, nil
}

// Columns are the event columns Build reads; the others may be left empty.
func Columns() []string { return slices.Clone(buildColumns[:]) }

var buildColumns = [...]string{
	"id", "time", "source", "category", "action", "outcome", "actor", "tenant", "actor_tenant", "app_id",
	"resource_app", "session_id", "token_id", "key_id", "issued_kind", "issued_id", "src_ip", "target", "target_kind",
}

// BuildCase returns the graph of every event of case c, as Build over
// c.All would, reading only the columns Build needs and decoding the case's
// parts in parallel with building.
func BuildCase(ctx context.Context, c *timeline.Case, opts Options) (*Graph, error) {
	g := newGraph(opts)
	n := 0
	st := g.startStages()
	var cc caseCodes
	err := c.ScanColumns(ctx, timeline.Query{Columns: buildColumns[:]}, func(b *timeline.ColumnBatch) error {
		cc.batch(g, b)
		for i := range b.Len {
			if err := st.addCoded(&cc, i); err != nil {
				return err
			}
		}
		if n += b.Len; n&^0xffff != (n-b.Len)&^0xffff {
			return ctx.Err()
		}
		return nil
	})
	if werr := st.wait(); err == nil {
		err = werr
	}
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		if errors.Is(err, ErrTooLarge) {
			return nil, err
		}
		return nil, fmt.Errorf("graph: reading events: %w", err)
	}
	g.complete()
	return g, nil
}

// Positions of the columns in buildColumns.
const (
	colID = iota
	colTime
	colSource
	colCategory
	colAction
	colOutcome
	colActor
	colTenant
	colActorTenant
	colAppID
	colResourceApp
	colSession
	colToken
	colKey
	colIssuedKind
	colIssuedID
	colSrcIP
	colTarget
	colTargetKind
)

// caseCodes is the batch of a case scan being resolved, and the nodes
// found so far for the codes of its entity columns: a value is looked up
// once per case scan (see timeline.ScanColumns), not once per event.
type caseCodes struct {
	times                                                       []int64
	id, source, category, action, outcome, actorTenant, resApp  *timeline.StringColumn
	issuedKind, targetKind                                      *timeline.StringColumn
	actor, tenant, app, session, token, key, issued, ip, target codeColumn
	// dicts holds the nodes of the codes of each dictionary seen.
	dicts map[uint64]*codeNodes
}

// codeColumn is a coded entity column and the nodes of its codes.
type codeColumn struct {
	col *timeline.StringColumn
	cur *codeNodes // col's dictionary's
}

// codeNodes are the nodes of a dictionary's codes.
type codeNodes struct {
	dictID uint64
	ids    [len(kindNames)]codeIDs // by kind, the node of each code
	// slot is the dictionary's in Graph.dicts: nodes made from its codes
	// name their values there; -1 (past maxDicts) copies them.
	slot int32
}

// batch takes the columns of batch b, and adopts their dictionaries into
// g (Graph.dicts) as they grow.
func (cc *caseCodes) batch(g *Graph, b *timeline.ColumnBatch) {
	cc.times = b.Int64(colTime)
	cc.id, cc.source, cc.category = b.String(colID), b.String(colSource), b.String(colCategory)
	cc.action, cc.outcome, cc.actorTenant = b.String(colAction), b.String(colOutcome), b.String(colActorTenant)
	cc.resApp, cc.issuedKind, cc.targetKind = b.String(colResourceApp), b.String(colIssuedKind), b.String(colTargetKind)
	for _, c := range [...]struct {
		cc  *codeColumn
		col int
	}{
		{&cc.actor, colActor}, {&cc.tenant, colTenant}, {&cc.app, colAppID}, {&cc.session, colSession},
		{&cc.token, colToken}, {&cc.key, colKey}, {&cc.issued, colIssuedID}, {&cc.ip, colSrcIP}, {&cc.target, colTarget},
	} {
		c.cc.use(g, b.String(c.col), cc)
	}
}

// use makes col the column c reads, and adopts its dictionary into g.
func (c *codeColumn) use(g *Graph, col *timeline.StringColumn, cc *caseCodes) {
	c.col = col
	if col.Codes == nil {
		return
	}
	if c.cur == nil || c.cur.dictID != col.DictID {
		if cc.dicts == nil {
			cc.dicts = map[uint64]*codeNodes{}
		}
		if c.cur = cc.dicts[col.DictID]; c.cur == nil {
			c.cur = &codeNodes{dictID: col.DictID, slot: -1}
			if len(g.dicts) < maxDicts {
				c.cur.slot = int32(len(g.dicts))
				g.dicts = append(g.dicts, timeline.Dict{})
			}
			cc.dicts[col.DictID] = c.cur
		}
	}
	if s := c.cur.slot; s >= 0 && col.Dict.Len() > g.dicts[s].Len() {
		g.dicts[s] = col.Dict
	}
}

// has reports whether event i has a value in the column.
func (c *codeColumn) has(i int) bool {
	if c.col.Codes == nil {
		return c.col.Values[i] != ""
	}
	return c.col.Codes[i] != 0
}

// intern is Graph.intern for event i's value, as kind k.
func (c *codeColumn) intern(g *Graph, i int, k uint8, t int64) NodeID {
	if c.col.Codes == nil {
		// Not g.intern: its cache knows a value by its bytes' address,
		// and an uncoded column's bytes are reused from batch to batch.
		id := g.nodeOf(k, c.col.Values[i], t)
		g.count(id, t)
		return id
	}
	code := c.col.Codes[i]
	ids := &c.cur.ids[k]
	if id := ids.get(code); id >= 0 {
		g.count(id, t)
		return id
	}
	id := g.nodeOfCode(k, c.cur, code, c.col.Dict.At(code), t)
	g.count(id, t)
	ids.set(code, id)
	return id
}

// codeIDs maps a dictionary's codes to nodes, in chunks of 1 <<
// codeIDBits made when a code in them is first set: growing never copies
// (a doubled array allocated 113 MB for the real case's 33 MB), and a
// kind with few codes spread over a large dictionary (the target's
// identities) has few chunks.
type codeIDs struct{ chunks [][]NodeID }

const codeIDBits = 14

// get returns the node of code c, -1 if none yet.
func (x *codeIDs) get(c int32) NodeID {
	if ch := int(c >> codeIDBits); ch < len(x.chunks) && x.chunks[ch] != nil {
		return x.chunks[ch][c&(1<<codeIDBits-1)]
	}
	return -1
}

// set files id as the node of code c.
func (x *codeIDs) set(c int32, id NodeID) {
	ch := int(c >> codeIDBits)
	if ch >= len(x.chunks) {
		x.chunks = append(x.chunks, make([][]NodeID, ch+1-len(x.chunks))...)
	}
	if x.chunks[ch] == nil {
		x.chunks[ch] = make([]NodeID, 1<<codeIDBits)
		for i := range x.chunks[ch] {
			x.chunks[ch][i] = -1
		}
	}
	x.chunks[ch][c&(1<<codeIDBits-1)] = id
}

// Events adapts a slice to the sequence Build reads.
func Events(events []timeline.Event) iter.Seq2[timeline.Event, error] {
	return func(yield func(timeline.Event, error) bool) {
		for i := range events {
			if !yield(events[i], nil) {
				return
			}
		}
	}
}

// seenSlots is the size of Graph.seen per kind.
const seenSlots = 8192

// seenString is a string interned recently and its node. Holding the
// string keeps its bytes from being reused for another value, so an equal
// address and length mean equal contents.
type seenString struct {
	s  string
	id NodeID
}

// intern returns the node of (kind, value), creating it, and records that
// an event at t names it.
func (g *Graph) intern(k uint8, value string, t int64) NodeID {
	if g.seen == nil {
		g.seen = new([len(kindNames)][seenSlots]seenString)
	}
	p := unsafe.StringData(value)
	slot := &g.seen[k][(uintptr(unsafe.Pointer(p))>>3^uintptr(len(value)))%seenSlots]
	id := slot.id
	if unsafe.StringData(slot.s) != p || len(slot.s) != len(value) || value == "" {
		id = g.nodeOf(k, value, t)
		slot.s, slot.id = value, id
	}
	g.count(id, t)
	return id
}

// nodeOf returns the node of (kind, value), creating it (uncounted) if new.
func (g *Graph) nodeOf(k uint8, value string, t int64) NodeID { return g.nodeOfIn(k, value, t, nil, 0) }

// nodeOfIn is nodeOf for a value that is code in dictionary d of a case
// scan (if d is not nil): a new node names its value there.
func (g *Graph) nodeOfIn(k uint8, value string, t int64, d *codeNodes, code int32) NodeID {
	if !g.index[k].built() {
		g.indexKind(k)
	}
	h := g.hashValue(value)
	if id, ok := g.index[k].get(g, value, h); ok {
		return id
	}
	id := g.newNodeIn(k, value, t, d, code)
	g.index[k].put(id, h)
	return id
}

// nodeOfCode is nodeOf for value, code of dictionary d of a case scan,
// which no node of kind k has had yet. While every node of kind k came
// from d, the value is new: the node is made without the index (indexed
// files it once the graph is built). A second dictionary for the kind
// indexes it.
func (g *Graph) nodeOfCode(k uint8, d *codeNodes, code int32, value string, t int64) NodeID {
	if !g.index[k].built() {
		if g.codeSrc[k] == 0 {
			g.codeSrc[k] = d.dictID
		}
		if g.codeSrc[k] == d.dictID {
			return g.newNodeIn(k, value, t, d, code)
		}
	}
	return g.nodeOfIn(k, value, t, d, code)
}

// newNode makes the node of (kind, value), uncounted; the caller files it.
func (g *Graph) newNode(k uint8, value string, t int64) NodeID {
	return g.newNodeIn(k, value, t, nil, 0)
}

// newNodeIn is newNode for a value that is code in dictionary d of a case
// scan (if d is not nil and adopted): the node names it there, not in a
// copy.
func (g *Graph) newNodeIn(k uint8, value string, t int64, d *codeNodes, code int32) NodeID {
	id := NodeID(g.nodes.len())
	g.kindCount[k]++
	n := node{first: t, last: t, kind: k, aux: -1}
	if d != nil && d.slot >= 0 {
		setCode(&n, d.slot, code)
	} else {
		// A copy: the caller's string may share a large decode buffer.
		g.setName(&n, g.names.add(value))
	}
	switch {
	case k == kIP && isIPLiteral(value):
		n.aux = 1 // an address, not a host name
	case k == kTenant && strings.EqualFold(value, ConsumerTenant):
		n.aux = 1 // decided once per tenant, not per event
	}
	g.nodes.add(n)
	return id
}

// count records that an event at t names node id.
func (g *Graph) count(id NodeID, t int64) {
	n := g.nodeAt(id)
	n.count++
	if t < n.first {
		n.first = t
	}
	if t > n.last {
		n.last = t
	}
}

func edgeKey(from, to NodeID, rel uint16, ev Evidence) uint64 {
	return uint64(from)<<38 | uint64(to)<<12 | uint64(rel&0x3ff)<<2 | uint64(ev&3)
}

// link adds one event's support to the edge (from, to, rel, ev).
func (g *Graph) link(from, to NodeID, rel uint16, ev Evidence, t int64, id int32) int32 {
	return g.linkCap(from, to, rel, ev, t, id, 1)
}

// inCap is the room an in list of a node of kind k gets at first: most
// tokens and sessions have three or four edges in (an identity, an
// address, an app, a signing key or session), which a list of one would
// grow twice to hold.
func inCap(k uint8) int32 {
	if k == kToken || k == kSession {
		return 4
	}
	return 1
}

// linkCap is link, giving to's in list room for that many edges (a power of two,
// inCap of its kind) if it has none yet.
func (g *Graph) linkCap(from, to NodeID, rel uint16, ev Evidence, t int64, id int32, room int32) int32 {
	if from == to {
		return -1
	}
	if n := int(max(from, to)); n >= g.out.len() {
		g.growAdj(n + 1)
	}
	// The edges linked lately first: an event's edges are mostly those of
	// an event a little before it.
	key := edgeKey(from, to, rel, ev)
	if g.recent == nil {
		g.recent = new([recentSlots]recentEdge)
	}
	slot := &g.recent[(key*0x9e3779b97f4a7c15)>>(64-recentBits)]
	if slot.key == key {
		g.touch(slot.ei, t, id)
		return slot.ei
	}
	// Scan the shorter adjacency list when it is short (most are: a token
	// has few edges); only edges between two hubs need the map.
	ei, ok := int32(-1), false
	outSp, inSp := g.out.at(int32(from)), g.in.at(int32(to))
	nOut, nIn := outSp.n, inSp.n
	if min(nOut, nIn) <= hubDegree {
		adj, want := g.outs(from), adjKey(to, rel, ev)
		if nIn < nOut {
			adj, want = g.ins(to), adjKey(from, rel, ev)
		}
		for _, a := range adj {
			if a.key == want && g.rel(a) == rel {
				ei, ok = a.ei, true
				break
			}
		}
	} else {
		ei, ok = g.edgeOf[edgeKey(from, to, rel, ev)]
	}
	if !ok {
		ei = g.edges.add(newEdge(from, to, rel, ev, g.times32.code(t, id), id))
		*outSp = g.adj.push(*outSp, adjEntry{key: adjKey(to, rel, ev), ei: ei})
		if inSp.pos == 0 {
			*inSp = g.adj.alloc(room)
		}
		*inSp = g.adj.push(*inSp, adjEntry{key: adjKey(from, rel, ev), ei: ei})
		nOut, nIn = outSp.n, inSp.n
		switch {
		case nOut == hubDegree+1:
			g.becameHub(g.outs(from), true)
		case nIn == hubDegree+1:
			g.becameHub(g.ins(to), false)
		case nOut > hubDegree && nIn > hubDegree:
			g.edgeOf[edgeKey(from, to, rel, ev)] = ei
		}
		if nOut == hubDegree+1 && nIn == hubDegree+1 {
			g.becameHub(g.ins(to), false)
		}
		slot.key, slot.ei = key, ei
		return ei
	}
	slot.key, slot.ei = key, ei
	g.touch(ei, t, id)
	return ei
}

// recentBits sizes Graph.recent: 2048 edges, 32 KiB.
const (
	recentBits  = 11
	recentSlots = 1 << recentBits
)

// recentEdge is an edge linked lately, by its key (0: none, since an edge
// never links a node to itself).
type recentEdge struct {
	key uint64
	ei  int32
}

// touch adds one event's support to existing edge ei.
func (g *Graph) touch(ei int32, t int64, id int32) {
	e := g.edges.at(ei)
	rel := e.rel()
	causal := g.relCausal[rel]
	if !e.hasExt() {
		first := g.eFirst(e)
		if causal {
			h := idHead{head: g.refs.push(g.refs.alloc(2), mkRef(first, e.ref))}
			h.setHeadMaxT(first)
			e.ref = g.ext.add(edgeExt{idHead: h, times: g.tms.push(g.tms.alloc(2), first), sorted: true})
		} else {
			e.ref = g.newCtx(e.fc, e.ref)
		}
	}
	e.count++
	tc := &g.times32
	c := tc.code(t, id)
	if tc.before(c, e.fc) {
		e.fc = c
	}
	if e.full() && !tc.before(c, e.lc) {
		// At or after the last, so after every kept id: keep would only
		// count it.
		e.lc = c
		return
	}
	if tc.before(e.lc, c) {
		e.lc = c
	}
	if !causal {
		// Context edges keep their earliest ids only: chains cite causal
		// edges.
		half := g.ctxIDCap
		if h := g.keepCtxIn(e, g.ctxHeadOf(e.ref), c, id, half); h != nil && h.n() >= half {
			e.setFull()
		}
		return
	}
	x := g.ext.at(e.ref)
	if ts := g.tms.get(x.times); len(ts) > 0 && t < ts[len(ts)-1] {
		x.sorted = false
	}
	x.times = g.tms.push(x.times, t)
	x.keep(g, t, id, max(1, g.idCap/2))
}

// hubDegree is the adjacency length above which a node is a hub: edges
// between two hubs are found through Graph.edgeOf, others by scanning the
// shorter list.
const hubDegree = 16

// becameHub indexes the edges of a node that just became a hub (adj is its
// out list when out, else its in list) whose other end is a hub too.
func (g *Graph) becameHub(adj []adjEntry, out bool) {
	for _, a := range adj {
		e := g.edges.at(a.ei)
		other := g.in.at(int32(a.other())).n
		if !out {
			other = g.out.at(int32(a.other())).n
		}
		if other > hubDegree {
			g.edgeOf[edgeKey(e.from(), e.to(), e.rel(), e.ev())] = a.ei
		}
	}
}

// chunked is an append-only slice in fixed chunks, so growing it never
// copies what it holds.
type chunked[T any] struct {
	chunks [][]T
	n      int
	blocks carver[T]
}

const chunkBits = 12

func (c *chunked[T]) at(i int32) *T { return &c.chunks[i>>chunkBits][i&(1<<chunkBits-1)] }

func (c *chunked[T]) add(v T) int32 {
	if c.n>>chunkBits == len(c.chunks) {
		c.chunks = append(c.chunks, c.blocks.take(1 << chunkBits)[:0])
	}
	last := &c.chunks[len(c.chunks)-1]
	*last = append(*last, v)
	c.n++
	return int32(c.n - 1)
}

func (c *chunked[T]) len() int { return c.n }

// grow lengthens c to n values (if shorter), zero.
func (c *chunked[T]) grow(n int) {
	for c.n < n {
		if c.n>>chunkBits == len(c.chunks) {
			c.chunks = append(c.chunks, c.blocks.take(1 << chunkBits)[:0])
		}
		last := &c.chunks[len(c.chunks)-1]
		k := min(cap(*last), len(*last)+n-c.n)
		c.n += k - len(*last)
		*last = (*last)[:k]
	}
}

// keep files the event at t into the earliest (head) or the latest (tail)
// ids, each holding at most half; what neither keeps is only counted.
func (x *edgeExt) keep(g *Graph, t int64, id int32, half int) {
	r, done := x.idHead.keep(g, t, id, half)
	if done {
		return
	}
	// While times arrive in order (the usual case), the tail is a ring
	// sorted from tailMin, and replacing its earliest needs no scan.
	if int(x.tail.n) < half {
		if old := g.refs.get(x.tail); len(old) == 0 {
			x.tailRing = true
		} else if r.time() < old[len(old)-1].time() {
			x.tailRing = false
		}
		x.tail = g.refs.push(x.tail, r)
		tl := g.refs.get(x.tail)
		x.tailLast = int32(len(tl) - 1)
		if r.time() < tl[x.tailMin].time() {
			x.tailMin = int32(len(tl) - 1)
		}
		return
	}
	tl := g.refs.get(x.tail)
	if r.time() <= tl[x.tailMin].time() {
		return
	}
	if x.tailRing && r.time() >= tl[x.tailLast].time() {
		tl[x.tailMin] = r
		x.tailLast = x.tailMin
		x.tailMin = (x.tailMin + 1) % int32(len(tl))
		return
	}
	x.tailRing = false
	tl[x.tailMin] = r
	x.tailLast = x.tailMin
	x.tailMin = 0
	for i := range tl {
		if tl[i].time() < tl[x.tailMin].time() {
			x.tailMin = int32(i)
		}
	}
}

// keep files the event at t into the earliest ids (head), which hold at
// most half. It returns what the head does not keep (the event, or the
// latest it held, which the event displaced), for the tail; done when
// nothing is left over.
func (x *idHead) keep(g *Graph, t int64, id int32, half int) (r idRef, done bool) {
	r = mkRef(t, id)
	if int(x.head.n) < half {
		x.head = g.refs.push(x.head, r)
		head := g.refs.get(x.head)
		if r.time() >= head[x.headMax].time() {
			x.headMax = int32(len(head) - 1)
		}
		x.setHeadMaxT(head[x.headMax].time())
		return r, true
	}
	if r.time() < x.headMaxT() {
		head := g.refs.get(x.head)
		r, head[x.headMax] = head[x.headMax], r
		x.headMax = int32(latest(head))
		x.setHeadMaxT(head[x.headMax].time())
	}
	return r, false
}

// idStore keeps strings without pointers for the collector to trace: an
// id in a UUID's canonical form (36 characters, lower-case hex; most
// providers' event ids are) as its 16 bytes in its handle's slot, written
// back on output; another in a strArena, its slot holding its span. A
// handle indexes the slots: 16 bytes an id, and no bytes beside them for
// a UUID (10 million event ids are 160 MB, not 280).
type idStore struct {
	bytes  strArena
	slots  chunked[idSlot]
	packed []uint64 // bit h: handle h's slot holds a UUID's bytes
}

// idSlot is a handle's slot: a UUID's 16 bytes (lo the first 8, little
// endian), or the idSpan of its id in idStore.bytes (lo chunk | off << 32,
// hi n).
type idSlot struct{ lo, hi uint64 }

func (s *idStore) add(id string) int32 {
	h := s.slots.len()
	if h>>6 == len(s.packed) {
		s.packed = append(s.packed, 0)
	}
	if u, ok := packUUID(id); ok {
		s.packed[h>>6] |= 1 << (h & 63)
		return s.slots.add(idSlot{lo: binary.LittleEndian.Uint64(u[:8]), hi: binary.LittleEndian.Uint64(u[8:])})
	}
	sp := s.bytes.add(id)
	return s.slots.add(idSlot{lo: uint64(sp.chunk) | uint64(sp.off)<<32, hi: uint64(sp.n)})
}

// get returns the string of handle h: a view of the chunk that holds it,
// or a new string for an id kept as a packed UUID.
func (s *idStore) get(h int32) string {
	sl := *s.slots.at(h)
	if s.packed[h>>6]&(1<<(h&63)) != 0 {
		var u [16]byte
		binary.LittleEndian.PutUint64(u[:8], sl.lo)
		binary.LittleEndian.PutUint64(u[8:], sl.hi)
		return unpackUUID(u)
	}
	return s.bytes.get(idSpan{chunk: uint32(sl.lo), off: uint32(sl.lo >> 32), n: uint32(sl.hi)})
}

// packUUID returns the bytes of id if it is a UUID in canonical form (so
// that unpackUUID gives it back exactly). It reads the 32 digits eight at a
// time (hexWord), not one by one through a table: ten million ids.
func packUUID(id string) (u [16]byte, ok bool) {
	if len(id) != 36 || id[8] != '-' || id[13] != '-' || id[18] != '-' || id[23] != '-' {
		return u, false
	}
	b := unsafe.Slice(unsafe.StringData(id), 36) // read only
	le32 := func(i int) uint64 { return uint64(binary.LittleEndian.Uint32(b[i:])) }
	// The digits of bytes 0-3, 4-7 (two groups of four), 8-11 (two) and 12-15.
	w := [4]uint64{binary.LittleEndian.Uint64(b), le32(9) | le32(14)<<32, le32(19) | le32(24)<<32,
		binary.LittleEndian.Uint64(b[28:])}
	for j, x := range w {
		v, good := hexWord(x)
		if !good {
			return u, false
		}
		binary.LittleEndian.PutUint32(u[4*j:], v)
	}
	return u, true
}

// hexWord decodes the eight lower-case hex digits in x (the first in its low
// byte) into four bytes (the first in the low byte of the result), with
// arithmetic on all eight at once: ok is false unless every byte is 0-9 or
// a-f.
func hexWord(x uint64) (v uint32, ok bool) {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	if x&highs != 0 {
		return 0, false
	}
	// For bytes below 0x80, adding 0x80 - c sets a byte's high bit exactly
	// when it is at least c, and never carries into the next byte.
	ge := func(c uint64) uint64 { return (x + (0x80-c)*ones) & highs }
	digit := ge('0') &^ ge('9'+1)
	letter := ge('a') &^ ge('f'+1)
	if digit|letter != highs {
		return 0, false
	}
	n := x&(0x0f*ones) + (letter>>7)*9 // each byte's value, 0-15
	// Pair the digits: byte 2k's value is the high half of output byte k.
	p := (n&0x00ff00ff00ff00ff)<<4 | (n>>8)&0x00ff00ff00ff00ff
	return uint32(p&0xff | (p>>16&0xff)<<8 | (p>>32&0xff)<<16 | (p>>48&0xff)<<24), true
}

// unpackUUID returns the canonical form of the UUID whose 16 bytes are b.
func unpackUUID(b [16]byte) string {
	const digits = "0123456789abcdef"
	var out [36]byte
	j := 0
	for i := range 16 {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out[j] = '-'
			j++
		}
		out[j], out[j+1] = digits[b[i]>>4], digits[b[i]&15]
		j += 2
	}
	return string(out[:])
}

// strArena keeps strings without pointers for the collector: the bytes in
// chunks that are never rewritten, each string named by an idSpan. A
// million node values are a few objects for the collector, not a million.
type strArena struct {
	chunks [][]byte
}

// idSpan names a string of a strArena: its chunk, offset and length.
type idSpan struct{ chunk, off, n uint32 }

const idChunkSize = 1 << 20

// add copies s into the arena.
func (a *strArena) add(s string) idSpan {
	c := len(a.chunks) - 1
	if c < 0 || len(a.chunks[c])+len(s) > cap(a.chunks[c]) {
		// A full chunk is never written again: views of it stay valid.
		a.chunks = append(a.chunks, make([]byte, 0, max(idChunkSize, len(s))))
		c++
	}
	off := len(a.chunks[c])
	a.chunks[c] = append(a.chunks[c], s...)
	return idSpan{chunk: uint32(c), off: uint32(off), n: uint32(len(s))}
}

// get returns the string of sp, a view of the chunk that holds it.
func (a *strArena) get(sp idSpan) string {
	if sp.n == 0 {
		return ""
	}
	return unsafe.String(&a.chunks[sp.chunk][sp.off], sp.n)
}

// relation returns the index of a relation name, adding it if new.
func (g *Graph) relation(name string, causal bool) uint16 {
	if i, ok := g.relIndex[name]; ok {
		return i
	}
	i := uint16(len(g.relNames))
	g.relIndex[name] = i
	g.relNames = append(g.relNames, name)
	g.relCausal = append(g.relCausal, causal)
	return i
}

// rec is one event as the link stage needs it: what the intern stage
// found (nodes, and what it knew of them) and the event's fields the facts
// read.
type rec struct {
	t                                 int64
	h                                 int32 // the event's id, a handle in Graph.ids
	tail, key, tenant, issued, target NodeID
	actor, ip, app, session           NodeID
	tailKind, issuedKind, targetKind  uint8
	failed                            bool
	// reads is set for the categories whose targets are accessed, not
	// changed: mail, file, resource, token and sign-in.
	reads                  bool
	ipAddr, consumerTenant bool
}

// recText is the rest of a resolved event that its facts read.
type recText struct {
	source, action, actorTenant, resourceApp string
	category                                 timeline.Category
}

// reads reports whether events of category c access their targets.
func reads(c timeline.Category) bool {
	return c == timeline.CategoryMail || c == timeline.CategoryFile || c == timeline.CategoryResource ||
		c == timeline.CategoryToken || c == timeline.CategorySignin
}

// Build maps each event onto nodes and edges (design.md §4) and records the
// facts the findings need, in two stages: resolve, then apply.

// maxEdges bounds the edge count (edges are numbered by int32).
const maxEdges = 1<<31 - 1<<16

// tooLarge returns ErrTooLarge, wrapped, once the graph nears a limit of
// its packing: nodes (maxNodes), the values' arena, edges or a slab's
// chunks (maxSlabChunks; noteLinked, on apply's goroutine, watches what
// linking grows). resolve checks before each event.
func (g *Graph) tooLarge() error {
	switch {
	case g.nodes.len() > maxNodes-16 || len(g.names.chunks) > maxNameChunks-16:
		return fmt.Errorf("%w: more than %d, or values of more than %d MiB", ErrTooLarge, maxNodes-16, maxNameChunks-16)
	case g.linkFull.Load() || g.facts.ipSlab.full():
		return fmt.Errorf("%w: more than %d edges, or evidence or adjacency lists past %d chunks", ErrTooLarge,
			maxEdges, maxSlabChunks-256)
	}
	return nil
}

// noteLinked records whether what linking grows nears its limits; from
// then on apply skips events (the build ends with ErrTooLarge).
func (g *Graph) noteLinked() {
	if g.edges.len() >= maxEdges || g.adj.full() || g.refs.full() || g.tms.full() || g.cext.full() {
		g.linkFull.Store(true)
	}
}

// resolve is the first stage: it interns the event's entities, in the
// order that numbers the nodes, keeps its id, fills r and files the
// event's facts. It touches nodes, the intern maps, ids and facts only,
// so that it can run alongside apply.
func (g *Graph) resolve(e *timeline.Event, r *rec) error {
	if err := g.tooLarge(); err != nil {
		return err
	}
	t := e.Time.UnixMicro()
	failed := e.Outcome == timeline.OutcomeFailure
	*r = rec{t: t, h: g.ids.add(e.ID), reads: reads(e.Category), failed: failed, tail: -1, key: -1, tenant: -1,
		issued: -1, target: -1, actor: -1, ip: -1, app: -1, session: -1, tailKind: kNone, issuedKind: kNone,
		targetKind: kNone}
	x := recText{source: e.Source, action: e.Action, actorTenant: e.ActorTenant, resourceApp: e.ResourceApp,
		category: e.Category}

	// The credential presented: token, else key, else session.
	switch {
	case e.TokenID != "":
		r.tail, r.tailKind = g.intern(kToken, e.TokenID, t), kToken
		if e.KeyID != "" && e.Category == timeline.CategoryToken {
			// A captured token names the key that signed it.
			r.key = g.intern(kKey, e.KeyID, t)
		}
	case e.KeyID != "":
		r.tail, r.tailKind = g.intern(kKey, e.KeyID, t), kKey
	case e.SessionID != "":
		r.tail, r.tailKind = g.intern(kSession, e.SessionID, t), kSession
	}
	if e.Tenant != "" {
		r.tenant = g.intern(kTenant, e.Tenant, t)
		r.consumerTenant = g.nodeAt(r.tenant).aux == 1
	}
	// What it issued.
	if e.IssuedID != "" && !failed {
		switch e.IssuedKind {
		case timeline.IssuedToken:
			r.issued, r.issuedKind = g.intern(kToken, e.IssuedID, t), kToken
		case timeline.IssuedKey:
			r.issued, r.issuedKind = g.intern(kKey, e.IssuedID, t), kKey
		}
	}
	// What it touched.
	if e.Target != "" {
		if k := kindIndex(e.TargetKind); k != kNone {
			r.target, r.targetKind = g.intern(k, e.Target, t), k
		}
	}
	if e.Actor != "" {
		r.actor = g.intern(kIdentity, e.Actor, t)
	}
	if e.SrcIP != "" {
		r.ip = g.intern(kIP, e.SrcIP, t)
		r.ipAddr = g.nodeAt(r.ip).aux == 1
	}
	if e.AppID != "" {
		r.app = g.intern(kApp, e.AppID, t)
	}
	if r.tailKind == kToken && e.SessionID != "" {
		r.session = g.intern(kSession, e.SessionID, t)
	}
	g.observe(r, &x)
	return nil
}

// resolveCoded is resolve for event i of a case scan's batch.
func (g *Graph) resolveCoded(cc *caseCodes, i int, r *rec) error {
	if err := g.tooLarge(); err != nil {
		return err
	}
	t := cc.times[i]
	category := timeline.Category(cc.category.At(i))
	failed := timeline.Outcome(cc.outcome.At(i)) == timeline.OutcomeFailure
	*r = rec{t: t, h: g.ids.add(cc.id.At(i)), reads: reads(category), failed: failed, tail: -1, key: -1, tenant: -1,
		issued: -1, target: -1, actor: -1, ip: -1, app: -1, session: -1, tailKind: kNone, issuedKind: kNone,
		targetKind: kNone}
	x := recText{source: cc.source.At(i), action: cc.action.At(i), actorTenant: cc.actorTenant.At(i),
		resourceApp: cc.resApp.At(i), category: category}

	// The credential presented: token, else key, else session.
	switch {
	case cc.token.has(i):
		r.tail, r.tailKind = cc.token.intern(g, i, kToken, t), kToken
		if cc.key.has(i) && category == timeline.CategoryToken {
			// A captured token names the key that signed it.
			r.key = cc.key.intern(g, i, kKey, t)
		}
	case cc.key.has(i):
		r.tail, r.tailKind = cc.key.intern(g, i, kKey, t), kKey
	case cc.session.has(i):
		r.tail, r.tailKind = cc.session.intern(g, i, kSession, t), kSession
	}
	if cc.tenant.has(i) {
		r.tenant = cc.tenant.intern(g, i, kTenant, t)
		r.consumerTenant = g.nodeAt(r.tenant).aux == 1
	}
	// What it issued.
	if cc.issued.has(i) && !failed {
		switch cc.issuedKind.At(i) {
		case timeline.IssuedToken:
			r.issued, r.issuedKind = cc.issued.intern(g, i, kToken, t), kToken
		case timeline.IssuedKey:
			r.issued, r.issuedKind = cc.issued.intern(g, i, kKey, t), kKey
		}
	}
	// What it touched.
	if cc.target.has(i) {
		if k := kindIndex(cc.targetKind.At(i)); k != kNone {
			r.target, r.targetKind = cc.target.intern(g, i, k, t), k
		}
	}
	if cc.actor.has(i) {
		r.actor = cc.actor.intern(g, i, kIdentity, t)
	}
	if cc.ip.has(i) {
		r.ip = cc.ip.intern(g, i, kIP, t)
		r.ipAddr = g.nodeAt(r.ip).aux == 1
	}
	if cc.app.has(i) {
		r.app = cc.app.intern(g, i, kApp, t)
	}
	if r.tailKind == kToken && cc.session.has(i) {
		r.session = cc.session.intern(g, i, kSession, t)
	}
	g.observe(r, &x)
	return nil
}

// observe files the facts of a resolved event: resolve's last step, so
// that apply, on its own goroutine, only links.
func (g *Graph) observe(r *rec, x *recText) {
	if r.session >= 0 {
		// The session a token was presented in, for inferInSession.
		tf := g.facts.token(g, r.tail)
		if tf.session < 0 || r.t < tf.sessionT {
			tf.session, tf.sessionT, tf.sessionEv = r.session, r.t, r.h
		}
	}
	g.facts.observe(g, r, x)
}

// apply is the second stage: the edges of one resolved event. It never
// reads nodes, ids or facts, which resolve writes meanwhile.
func (g *Graph) apply(r *rec) {
	t, id := r.t, r.h
	tail, tailKind, tenant := r.tail, r.tailKind, r.tenant
	if r.key >= 0 {
		g.linkCap(r.key, tail, relSigned, Observed, t, id, inCap(tailKind))
	}
	issued, issuedKind := r.issued, r.issuedKind
	if issued >= 0 {
		if tail >= 0 {
			rel := relIssued
			if issuedKind == kKey {
				rel = relCreated
			}
			g.linkCap(tail, issued, rel, Observed, t, id, inCap(issuedKind))
		}
		if issuedKind == kToken && tenant >= 0 {
			g.link(issued, tenant, relIn, Observed, t, id)
		}
	}
	if target, k := r.target, r.targetKind; target >= 0 {
		if tail >= 0 && target != issued {
			rel := relChanged
			switch {
			case r.failed:
				rel = relAttempted
			case r.reads:
				rel = relAccessed
			}
			g.linkCap(tail, target, rel, Observed, t, id, inCap(k))
		}
		if tenant >= 0 && (k == kMailbox || k == kResource) {
			g.link(target, tenant, relIn, Observed, t, id)
		}
	}
	// Context edges.
	for _, c := range [...]struct {
		id   NodeID
		kind uint8
	}{{tail, tailKind}, {issued, issuedKind}} {
		if c.id < 0 {
			continue
		}
		n := inCap(c.kind)
		if r.actor >= 0 {
			g.linkCap(r.actor, c.id, relUses, Observed, t, id, n)
		}
		if r.ip >= 0 {
			g.linkCap(r.ip, c.id, relOrigin, Observed, t, id, n)
		}
		if r.app >= 0 {
			g.linkCap(r.app, c.id, relClientOf, Observed, t, id, n)
		}
	}
	if tailKind == kToken && tenant >= 0 {
		g.link(tail, tenant, relIn, Observed, t, id)
	}
}

// warmBatch is how many records applyBatch asks ahead for: their spans,
// lists and edge records (a few thousand lines) stay in a core's cache
// until apply reads them.
const warmBatch = 64

// warmSpans asks for the adjacency spans of r's nodes that apply will
// read: both of its credentials' and target's, the out spans of its key
// and actor. Addresses, apps and tenants are few and stay in cache.
func (g *Graph) warmSpans(r *rec) {
	n := NodeID(g.out.len())
	for _, id := range [...]NodeID{r.tail, r.issued, r.target} {
		if id >= 0 && id < n {
			prefetch(unsafe.Pointer(g.out.at(int32(id))))
			prefetch(unsafe.Pointer(g.in.at(int32(id))))
		}
	}
	for _, id := range [...]NodeID{r.key, r.actor} {
		if id >= 0 && id < n {
			prefetch(unsafe.Pointer(g.out.at(int32(id))))
		}
	}
}

// warmLists asks for the short adjacency lists apply will scan for r,
// whose spans warmSpans asked for.
func (g *Graph) warmLists(r *rec) {
	n := NodeID(g.out.len())
	for _, id := range [...]NodeID{r.tail, r.issued, r.target} {
		if id >= 0 && id < n {
			g.warmList(*g.out.at(int32(id)))
			g.warmList(*g.in.at(int32(id)))
		}
	}
	for _, id := range [...]NodeID{r.key, r.actor} {
		if id >= 0 && id < n {
			g.warmList(*g.out.at(int32(id)))
		}
	}
}

// warmList asks for the first line of the list of sp if linkCap may scan
// it (a hub's is found through Graph.edgeOf or the other end's list).
func (g *Graph) warmList(sp span) {
	if sp.n > 0 && sp.n <= hubDegree {
		prefetch(unsafe.Pointer(&g.adj.chunks[sp.chunk()][sp.off()]))
	}
}

// warmEdges asks for the edge records in the short lists, in and out, of
// r's credentials (warmLists asked for the lists): most of the edges an
// event touches are there (identity, address and app to the credential,
// the credential to its tenant and target), and touch reads each record.
func (g *Graph) warmEdges(r *rec) {
	n := NodeID(g.out.len())
	for _, id := range [...]NodeID{r.tail, r.issued} {
		if id < 0 || id >= n {
			continue
		}
		for _, sp := range [...]span{*g.out.at(int32(id)), *g.in.at(int32(id))} {
			if sp.n > 0 && sp.n <= warmEdgesMax {
				for _, a := range g.adj.get(sp) {
					prefetch(unsafe.Pointer(g.edges.at(a.ei)))
				}
			}
		}
	}
}

// warmEdgesMax bounds the lists whose edges warmEdges asks for (a token's
// or session's has up to eight edges in).
const warmEdgesMax = 8

// stages runs apply on a goroutine of its own, behind resolve: building
// uses two cores. Up to stageBuffers batches (32,768 events) wait between
// the two, so that each stage runs on while the other is slower for a
// while (a part of new tokens makes apply slow, a wide part the scan), and
// the second core is not left idle.
type stages struct {
	g          *Graph
	full, free chan []rec
	done       chan struct{}
	cur        []rec
	made       int // batches made so far (made as needed: a small build needs a few)
	// skipped is set, by apply's goroutine, when it skipped events because
	// linking neared its limits (wait reports it).
	skipped bool
}

const stageBatch, stageBuffers = 256, 128

func (g *Graph) startStages() *stages {
	s := &stages{g: g, full: make(chan []rec, stageBuffers), free: make(chan []rec, stageBuffers),
		done: make(chan struct{})}
	go func() {
		defer close(s.done)
		for b := range s.full {
			if !g.applyBatch(b) {
				s.skipped = true // the build fails: resolve or wait returns ErrTooLarge
			}
			s.free <- b[:0]
		}
	}()
	s.cur = s.next()
	return s
}

// applyBatch applies the records of b, unless linking nears its limits:
// then it stops and returns false. It works warmBatch records at a time,
// first asking for (prefetch) what apply will read for them, level by
// level (see warmSpans), so that the misses of a few dozen events overlap
// instead of stalling apply one after another.
func (g *Graph) applyBatch(b []rec) bool {
	for len(b) > 0 {
		sub := b[:min(warmBatch, len(b))]
		b = b[len(sub):]
		for i := range sub {
			g.warmSpans(&sub[i])
		}
		for i := range sub {
			g.warmLists(&sub[i])
		}
		for i := range sub {
			g.warmEdges(&sub[i])
		}
		for i := range sub {
			if g.linkFull.Load() {
				return false
			}
			g.apply(&sub[i])
			g.noteLinked()
		}
	}
	return true
}

// next returns an empty batch: one apply is done with, else a new one
// while fewer than stageBuffers are made, else the first apply frees.
func (s *stages) next() []rec {
	select {
	case b := <-s.free:
		return b
	default:
	}
	if s.made < stageBuffers {
		s.made++
		return make([]rec, 0, stageBatch)
	}
	return <-s.free
}

// add resolves e and queues it for apply.
func (s *stages) add(e *timeline.Event) error {
	return s.queue(func(r *rec) error { return s.g.resolve(e, r) })
}

// addCoded resolves event i of a case scan's batch and queues it for apply.
func (s *stages) addCoded(cc *caseCodes, i int) error {
	return s.queue(func(r *rec) error { return s.g.resolveCoded(cc, i, r) })
}

// queue fills the next record with resolve and, unless that fails, queues
// it, handing a full batch to apply.
func (s *stages) queue(resolve func(*rec) error) error {
	s.cur = s.cur[:len(s.cur)+1]
	if err := resolve(&s.cur[len(s.cur)-1]); err != nil {
		s.cur = s.cur[:len(s.cur)-1]
		return err
	}
	if len(s.cur) == cap(s.cur) {
		s.full <- s.cur
		s.cur = s.next()
	}
	return nil
}

// wait applies what is queued and ends the apply goroutine; the graph is
// the caller's alone again. It returns ErrTooLarge, wrapped, if apply
// skipped events (those queued after linking neared its limits, which
// resolve had not yet refused).
func (s *stages) wait() error {
	if len(s.cur) > 0 {
		s.full <- s.cur
	}
	close(s.full)
	<-s.done
	s.g.settle()
	if s.skipped {
		return s.g.tooLarge()
	}
	return nil
}

// settle ends building: every node gets its adjacency lists (complete
// indexes them).
func (g *Graph) settle() { g.growAdj(g.nodes.len()) }

// outs returns the edges out of node id (not to be appended to).
func (g *Graph) outs(id NodeID) []adjEntry { return g.adj.get(*g.out.at(int32(id))) }

// ins returns the edges into node id (not to be appended to).
func (g *Graph) ins(id NodeID) []adjEntry { return g.adj.get(*g.in.at(int32(id))) }

// growAdj makes room in the adjacency lists for nodes below n.
func (g *Graph) growAdj(n int) {
	g.out.grow(n)
	g.in.grow(n)
}

// complete ends a build once settled: the inferred edges, then finish.
// The kinds not indexed while building are indexed when first looked up
// (indexed).
func (g *Graph) complete() {
	g.inferInSession()
	g.finish()
}

// inferInSession adds the inferred edge session → token for a token that
// no event in the case issued but that was presented in a session whose
// sign-ins issued other tokens: it was most likely refreshed in that session
// by a sign-in the logs do not hold (design.md §4, evidence "inferred").
func (g *Graph) inferInSession() {
	for i := range g.nodes.len() {
		n := g.nodeAt(NodeID(i))
		if n.kind != kToken || n.aux < 0 {
			continue
		}
		tf := g.facts.tokens.at(n.aux)
		if tf.issued || tf.session < 0 || !g.issuesTokens(tf.session) {
			continue
		}
		g.link(tf.session, NodeID(i), relIssued, Inferred, tf.sessionT, tf.sessionEv)
	}
}

// issuesTokens reports whether credential id issued a token (observed).
func (g *Graph) issuesTokens(id NodeID) bool {
	for _, a := range g.outs(id) {
		ei := a.ei
		if e := g.edges.at(ei); e.rel() == relIssued && e.ev() == Observed && g.nodeAt(e.to()).kind == kToken {
			return true
		}
	}
	return false
}

// hubSpanMin is the degree from which a node's edges get hubSpans, if
// some of them are causal: chains follow causal edges only (an identity's,
// address's or app's thousands of context edges need no spans).
const hubSpanMin = 1024

type hubKey struct {
	node NodeID
	out  bool
}

type edgeSpan struct{ first, last int64 }

// finish sorts the time lists so chains can binary-search them, and
// indexes the time spans of hubs' edges.
func (g *Graph) finish() {
	g.hubSpans = map[hubKey][]edgeSpan{}
	for _, out := range []bool{true, false} {
		lists := &g.in
		if out {
			lists = &g.out
		}
		for id := range lists.len() {
			sp := *lists.at(int32(id))
			if sp.n < hubSpanMin {
				continue
			}
			adj := g.adj.get(sp)
			if !slices.ContainsFunc(adj, g.causal) {
				continue
			}
			spans := make([]edgeSpan, len(adj))
			for i, a := range adj {
				e := g.edges.at(a.ei)
				spans[i] = edgeSpan{g.eFirst(e), g.eLast(e)}
			}
			g.hubSpans[hubKey{NodeID(id), out}] = spans
		}
	}
	for i := range g.ext.len() {
		x := g.ext.at(int32(i))
		if !x.sorted {
			slices.Sort(g.tms.get(x.times))
			x.sorted = true
		}
	}
	g.seen, g.recent, g.facts.recentActorIP = nil, nil, nil // what only building needs
	g.adj.dropSpare()
	g.refs.dropSpare()
	g.tms.dropSpare()
	g.facts.ipSlab.dropSpare()
	g.facts.lastSource, g.facts.lastResApp = "", ""
}

// AddAssertions adds each assertion as an asserted causal edge, creating
// its entities if the case never named them. An assertion without a time
// holds from the start of the case.
func (g *Graph) AddAssertions(as []timeline.Assertion) error {
	if len(as) == 0 {
		return nil // finish again would change nothing
	}
	for _, a := range as {
		g.noteLinked()
		if err := g.tooLarge(); err != nil {
			return fmt.Errorf("graph: assertion %d: %w", a.ID, err)
		}
		fk, tk := kindIndex(string(a.From.Kind)), kindIndex(string(a.To.Kind))
		if fk == kNone || tk == kNone || a.From.Value == "" || a.To.Value == "" {
			return fmt.Errorf("graph: assertion %d: %w", a.ID, timeline.ErrBadEntity)
		}
		rel := a.Relation
		if rel == "" {
			rel = "asserted"
		}
		if len(g.relNames) >= maxRelations {
			return fmt.Errorf("graph: assertion %d: too many relation names", a.ID)
		}
		t := int64(minTime)
		if !a.At.IsZero() {
			t = a.At.UnixMicro()
		}
		from := g.assertNode(fk, a.From.Value, t)
		to := g.assertNode(tk, a.To.Value, t)
		g.link(from, to, g.relation(rel, true), Asserted, t, g.ids.add(fmt.Sprintf("assertion:%d", a.ID)))
	}
	g.finish()
	g.lowerOnce = sync.Once{}
	return nil
}

// assertNode finds an asserted entity, case-insensitively as Lookup does,
// else creates it without counting an event.
func (g *Graph) assertNode(k uint8, value string, t int64) NodeID {
	if id, ok := g.lookup(k, value); ok {
		return id
	}
	if id, ok := g.lookupFold(k, value); ok {
		return id
	}
	id := g.intern(k, value, t)
	g.nodeAt(id).count = 0
	return id
}

// minTime stands for "always" on asserted edges without a time, and for an
// open start; maxTime for an open end.
const (
	minTime = -1 << 62
	maxTime = 1 << 62
)

// Len returns the number of nodes.
func (g *Graph) Len() int { return g.nodes.len() }

// EdgeCount returns the number of edges.
func (g *Graph) EdgeCount() int { return g.edges.len() }

// Node returns node id's entity.
func (g *Graph) Node(id NodeID) Node {
	n := g.nodeAt(id)
	return Node{ID: id, Kind: kindNames[n.kind], Value: g.nameOf(n), First: fromMicro(n.first),
		Last: fromMicro(n.last), Count: int(n.count)}
}

// Edges returns the edges leaving (out) or entering (!out) node id.
func (g *Graph) Edges(id NodeID, out bool) []Edge {
	adj := g.ins(id)
	if out {
		adj = g.outs(id)
	}
	es := make([]Edge, 0, len(adj))
	for _, a := range adj {
		es = append(es, g.edge(a.ei))
	}
	return es
}

func (g *Graph) edge(ei int32) Edge {
	e := g.edges.at(ei)
	return Edge{From: e.from(), To: e.to(), Relation: g.relNames[e.rel()], Causal: g.relCausal[e.rel()], Evidence: e.ev(),
		First: fromMicro(g.eFirst(e)), Last: fromMicro(g.eLast(e)), Count: int(e.count), Events: g.eventIDs(ei, minTime, maxTime, 0)}
}

// eventIDs returns the kept ids of edge ei with times in [from, to],
// earliest first, at most n (all when n <= 0).
func (g *Graph) eventIDs(ei int32, from, to int64, n int) []string {
	e := g.edges.at(ei)
	if !e.hasExt() {
		if f := g.eFirst(e); f == minTime || f >= from && f <= to {
			return []string{g.ids.get(e.ref)}
		}
		return nil
	}
	var head, tail []idRef
	if g.relCausal[e.rel()] {
		x := g.ext.at(e.ref)
		head, tail = g.refs.get(x.head), g.refs.get(x.tail)
	} else {
		head = g.ctxRefs(g.ctxHeadOf(e.ref))
	}
	refs := make([]idRef, 0, len(head)+len(tail))
	for _, r := range head {
		if r.time() >= from && r.time() <= to {
			refs = append(refs, r)
		}
	}
	for _, r := range tail {
		if r.time() >= from && r.time() <= to {
			refs = append(refs, r)
		}
	}
	slices.SortFunc(refs, func(a, b idRef) int {
		if a.time() != b.time() {
			if a.time() < b.time() {
				return -1
			}
			return 1
		}
		return strings.Compare(g.ids.get(a.id), g.ids.get(b.id))
	})
	if n > 0 && len(refs) > n {
		refs = refs[:n]
	}
	ids := make([]string, len(refs))
	for i, r := range refs {
		ids[i] = g.ids.get(r.id)
	}
	return ids
}

func fromMicro(t int64) time.Time {
	if t == minTime || t == maxTime { // open bounds are no time
		return time.Time{}
	}
	return time.UnixMicro(t).UTC()
}

// KindCounts returns the number of nodes of each kind.
func (g *Graph) KindCounts() map[timeline.EntityKind]int {
	m := make(map[timeline.EntityKind]int, len(kindNames))
	for i, n := range g.kindCount {
		if n > 0 {
			m[kindNames[i]] = n
		}
	}
	return m
}
