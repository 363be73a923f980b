package graph

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"github.com/google/go-cmp/cmp"
)

// TestEdgePacking checks that an edge gives back the ends, relation and
// evidence level it was made with, at the limits of each, before and after
// it is marked full.
func TestEdgePacking(t *testing.T) {
	tests := []struct {
		from, to NodeID
		rel      uint16
		ev       Evidence
	}{
		{0, 1, relSigned, Observed},
		{maxNodes - 1, 0, relAttempted, Inferred},
		{0, maxNodes - 1, 63, Asserted},
		{12345, 678910, 64, Observed},
		{maxNodes - 1, maxNodes - 2, maxRelations - 1, Asserted},
		{1 << 25, 1<<25 + 1, 0x155, Inferred},
	}
	for _, tc := range tests {
		e := newEdge(tc.from, tc.to, tc.rel, tc.ev, 7, 42)
		for _, full := range []bool{false, true} {
			if full {
				e.setFull()
			}
			if e.from() != tc.from || e.to() != tc.to || e.rel() != tc.rel || e.ev() != tc.ev || e.full() != full {
				t.Errorf("newEdge(%d, %d, %d, %v), full %v: got %d, %d, %d, %v, full %v", tc.from, tc.to, tc.rel, tc.ev,
					full, e.from(), e.to(), e.rel(), e.ev(), e.full())
			}
			if e.count != 1 || e.fc != 7 || e.lc != 7 || e.ref != 42 {
				t.Errorf("newEdge(%d, %d, ...): count %d, first %d, last %d, ref %d", tc.from, tc.to, e.count, e.fc,
					e.lc, e.ref)
			}
		}
	}
}

// TestTimeCodes checks that an edge's 32-bit time codes give back every
// time they were given (whole seconds in range as offsets, others by the
// event's handle) and compare as the times do, and that a touched edge's
// first and last are its events' earliest and latest times.
func TestTimeCodes(t *testing.T) {
	if n := unsafe.Sizeof(edge{}); n != 24 {
		t.Errorf("an edge is %d bytes, want 24", n)
	}
	times := []int64{tcodeBase * 1e6, (tcodeBase + 1) * 1e6, 1686830834000000, 1686830834000001, 1686830833999999,
		(tcodeBase+tcodeHandle-1)*1e6 + 0, (tcodeBase + tcodeHandle) * 1e6, tcodeBase*1e6 - 1e6, 0, -1e6, minTime, maxTime,
		1686830834500000, 1<<63 - 1, -1 << 63}
	var tc timeCodes
	codes := make([]uint32, len(times))
	for i, tm := range times {
		h := int32(i * 5000) // handles in several chunks
		codes[i] = tc.code(tm, h)
		if plain := tm%1e6 == 0 && tm >= tcodeBase*1e6 && tm < (tcodeBase+tcodeHandle)*1e6; plain != (codes[i] < tcodeHandle) {
			t.Errorf("time %d: code %#x, want an offset %v", tm, codes[i], plain)
		}
	}
	for i, tm := range times {
		if got := tc.time(codes[i]); got != tm {
			t.Errorf("time %d: code %#x gives %d", tm, codes[i], got)
		}
		for j, u := range times {
			if got := tc.before(codes[i], codes[j]); got != (tm < u) {
				t.Errorf("before(%d, %d) = %v", tm, u, got)
			}
		}
	}
	// An edge touched out of order, sub-second times and ties included.
	g := newGraph(Options{})
	for i := range 2 {
		g.newNode(kToken, string(rune('a'+i)), 0)
	}
	evs := []int64{1686830834000000, 1686830833500000, 1686830835000000, 1686830833500000, 1686830835000001,
		1686830830000000}
	var ei int32
	for i, tm := range evs {
		ei = g.link(0, 1, relUses, Observed, tm, g.ids.add(fmt.Sprint(i)))
	}
	if e := g.edges.at(ei); g.eFirst(e) != 1686830830000000 || g.eLast(e) != 1686830835000001 || e.count != 6 {
		t.Errorf("edge: first %d, last %d, count %d", g.eFirst(e), g.eLast(e), e.count)
	}
}

// TestRefTime checks that an idRef, and an idHead's latest time, give
// back the time they were given, across the range times take (an open
// start and end included).
func TestRefTime(t *testing.T) {
	if n := unsafe.Sizeof(idHead{}); n != 20 {
		t.Errorf("an idHead is %d bytes, want 20", n)
	}
	if n := unsafe.Sizeof(edgeExt{}); n != 48 {
		t.Errorf("an edgeExt is %d bytes, want 48", n)
	}
	for _, tm := range []int64{0, 1, -1, 1<<32 - 1, 1 << 32, -1 << 32, 1686830834000000, -62135596800000000, minTime,
		maxTime, 1<<63 - 1, -1 << 63} {
		if r := mkRef(tm, 7); r.time() != tm || r.id != 7 {
			t.Errorf("mkRef(%d, 7): time %d, id %d", tm, r.time(), r.id)
		}
		var h idHead
		if h.setHeadMaxT(tm); h.headMaxT() != tm {
			t.Errorf("setHeadMaxT(%d): headMaxT %d", tm, h.headMaxT())
		}
	}
}

// TestUUIDPacking checks that ids in a UUID's canonical form are packed and
// given back exactly, and that no other id is packed.
func TestUUIDPacking(t *testing.T) {
	tests := []struct {
		id   string
		pack bool
	}{
		{"d4d38f3b-5741-4c1e-9a1f-0123456789ab", true},
		{"00000000-0000-0000-0000-000000000000", true},
		{"ffffffff-ffff-ffff-ffff-ffffffffffff", true},
		{"D4D38F3B-5741-4C1E-9A1F-0123456789AB", false}, // upper case would come back lower
		{"d4d38f3b-5741-4c1e-9a1f-0123456789a", false},
		{"d4d38f3b-5741-4c1e-9a1f-0123456789abc", false},
		{"d4d38f3b5741-4c1e-9a1f-0123456789abc", false},
		{"d4d38f3b-5741-4c1e-9a1f-0123456789ag", false},
		{"{4d38f3b-5741-4c1e-9a1f-0123456789ab", false},
		{"h:P2WnNG1O3mAbCdEfGhIjKl", false},
		{"", false},
	}
	for _, tc := range tests {
		var s idStore
		h := s.add(tc.id)
		if got := s.get(h); got != tc.id {
			t.Errorf("get(add(%q)) = %q", tc.id, got)
		}
		if _, ok := packUUID(tc.id); ok != tc.pack {
			t.Errorf("packUUID(%q): packed %v, want %v", tc.id, ok, tc.pack)
		}
		// A packed id is its slot alone: its bit set, the arena untouched.
		if packed := s.packed[h>>6]&(1<<(h&63)) != 0; packed != tc.pack || tc.pack && len(s.bytes.chunks) != 0 {
			t.Errorf("add(%q): packed %v, %d arena chunks; want packed %v", tc.id, packed, len(s.bytes.chunks), tc.pack)
		}
	}
	// hexWord: every byte at every place of a word of zeros, then words
	// of random digits against strconv.
	for at := range 8 {
		for b := range 256 {
			word := []byte("00000000")
			word[at] = byte(b)
			v, err := strconv.ParseUint(string(rune(b)), 16, 8)
			wantOK := err == nil && (b < 'A' || b > 'F')
			got, ok := hexWord(binary.LittleEndian.Uint64(word))
			want := uint32(v) << (4 * (1 - at%2)) << (8 * (at / 2))
			if ok != wantOK || ok && got != want {
				t.Errorf("hexWord(%q) = %#x, %v; want %#x, %v", word, got, ok, want, wantOK)
			}
		}
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 1000 {
		word := make([]byte, 8)
		for i := range word {
			word[i] = "0123456789abcdef"[rng.IntN(16)]
		}
		want := [4]byte{}
		for k := range want {
			v, _ := strconv.ParseUint(string(word[2*k:2*k+2]), 16, 8)
			want[k] = byte(v)
		}
		if got, ok := hexWord(binary.LittleEndian.Uint64(word)); !ok || got != binary.LittleEndian.Uint32(want[:]) {
			t.Errorf("hexWord(%q) = %#x, %v; want %x", word, got, ok, want)
		}
	}
	// One store, packed and unpacked ids mixed across many words of its
	// bitmap and chunks of its slots.
	var s idStore
	var hs []int32
	for range 800 {
		for _, tc := range tests {
			hs = append(hs, s.add(tc.id))
		}
	}
	for i, h := range hs {
		if want := tests[i%len(tests)].id; s.get(h) != want {
			t.Fatalf("handle %d: %q, want %q", h, s.get(h), want)
		}
	}
}

// FuzzUUIDPacking checks that whatever an id, the store gives it back.
func FuzzUUIDPacking(f *testing.F) {
	f.Add("d4d38f3b-5741-4c1e-9a1f-0123456789ab")
	f.Add("D4D38F3B-5741-4C1E-9A1F-0123456789AB")
	f.Add("h:P2WnNG1O3mAbCdEfGhIjKl")
	f.Fuzz(func(t *testing.T, id string) {
		var s idStore
		h := s.add(id)
		s.add("other")
		if got := s.get(h); got != id {
			t.Errorf("get(add(%q)) = %q", id, got)
		}
	})
}

// TestNodeName checks that a node, 32 bytes, gives back its value whatever
// its length: short, longer than an arena chunk, and longer than the
// length a node holds itself.
func TestNodeName(t *testing.T) {
	if n := unsafe.Sizeof(node{}); n != 32 {
		t.Errorf("a node is %d bytes, want 32", n)
	}
	g := newGraph(Options{})
	values := []string{"a", strings.Repeat("b", idChunkSize+1), "c", strings.Repeat("d", longNameLen-1),
		strings.Repeat("e", longNameLen), strings.Repeat("f", maxNameLen+5), "g"}
	ids := make([]NodeID, len(values))
	for i, v := range values {
		ids[i] = g.newNode(kResource, v, int64(i))
	}
	for i, v := range values {
		if got := g.value(ids[i]); got != v {
			t.Errorf("value %d: %d bytes, want %d", i, len(got), len(v))
		}
		if k := g.nodeAt(ids[i]).kind; k != kResource {
			t.Errorf("value %d: kind %d", i, k)
		}
	}
	// Only the values of longNameLen bytes or more have their length aside.
	if len(g.longNames) != 2 {
		t.Errorf("%d lengths kept aside, want 2", len(g.longNames))
	}
}

// TestAdjEntries checks that adjacency entries, 8 bytes, tell apart the
// edges between one pair of nodes whatever their relation (built-in, or an
// assertion's beyond the tag's range) and evidence level, both while the
// lists are scanned and once both ends are hubs, and that an entry gives
// back its other end, its edge's relation and whether that is causal.
func TestAdjEntries(t *testing.T) {
	if n := unsafe.Sizeof(adjEntry{}); n != 8 {
		t.Errorf("an adjacency entry is %d bytes, want 8", n)
	}
	g := newGraph(Options{})
	for i := range 40 {
		g.relation(strings.Repeat("r", i+1), i%3 != 0)
	}
	for i := range 4 {
		g.newNode(kToken, string(rune('a'+i)), 0)
	}
	type link struct {
		from, to NodeID
		rel      uint16
		ev       Evidence
	}
	var links []link
	for _, rel := range []uint16{relSigned, relChanged, relUses, relAttempted, 14, 15, 16, 40, 49} {
		for _, ev := range []Evidence{Observed, Asserted} {
			links = append(links, link{0, 1, rel, ev}) // 18 edges: hubs
		}
		links = append(links, link{2, 3, rel, Inferred}, link{3, 2, rel, Observed}) // 9 each way: scanned
	}
	first := map[link]int32{}
	for round := range 3 {
		for i, l := range links {
			ei := g.link(l.from, l.to, l.rel, l.ev, int64(round*100+i), int32(i))
			if round == 0 {
				first[l] = ei
			} else if ei != first[l] {
				t.Fatalf("round %d: link %+v gave edge %d, first %d", round, l, ei, first[l])
			}
		}
	}
	if g.edges.len() != len(links) {
		t.Errorf("%d edges, want %d", g.edges.len(), len(links))
	}
	for l, ei := range first {
		e := g.edges.at(ei)
		if e.from() != l.from || e.to() != l.to || e.rel() != l.rel || e.ev() != l.ev || e.count != 3 {
			t.Errorf("edge %d of %+v: %d → %d, rel %d, %v, count %d", ei, l, e.from(), e.to(), e.rel(), e.ev(), e.count)
		}
	}
	for id := range NodeID(4) {
		for _, out := range []bool{true, false} {
			adj := g.ins(id)
			if out {
				adj = g.outs(id)
			}
			for _, a := range adj {
				e := g.edges.at(a.ei)
				other := e.from()
				if out {
					other = e.to()
				}
				if a.other() != other || g.rel(a) != e.rel() || g.causal(a) != g.relCausal[e.rel()] {
					t.Errorf("node %d, out %v, edge %d: other %d, rel %d, causal %v; the edge's %d, %d, %v", id, out, a.ei,
						a.other(), g.rel(a), g.causal(a), other, e.rel(), g.relCausal[e.rel()])
				}
			}
		}
	}
}

// TestCtxHeadKeep checks that a context edge's head, two ids in place and
// the others in an overflow record, keeps the ids that the head in
// Graph.refs it replaced kept (modelled here on a slice, as that code
// was), ties in time included, for every cap: a head alone (keepCtx), and
// the head of an edge linked event by event, which starts as an array of
// two refs in Graph.cext when it may keep more and moves for a third.
func TestCtxHeadKeep(t *testing.T) {
	if n := unsafe.Sizeof(ctxHead{}); n != 32 {
		t.Errorf("a ctxHead is %d bytes, want 32", n)
	}
	g := newGraph(Options{})
	// model is the former idHead.keep without a tail, over a slice.
	type model struct {
		head    []idRef
		headMax int
	}
	keep := func(m *model, tm int64, id int32, half int) {
		if len(m.head) >= half && tm >= m.head[m.headMax].time() {
			return
		}
		r := mkRef(tm, id)
		if len(m.head) < half {
			m.head = append(m.head, r)
			if r.time() >= m.head[m.headMax].time() {
				m.headMax = len(m.head) - 1
			}
			return
		}
		m.head[m.headMax] = r
		m.headMax = 0
		for i := range m.head {
			if m.head[i].time() > m.head[m.headMax].time() {
				m.headMax = i
			}
		}
	}
	// A graph for each cap, whose edges link node pairs of their own.
	var graphs [maxCtxIDs + 1]*Graph
	for half := 1; half <= maxCtxIDs; half++ {
		graphs[half] = newGraph(Options{EventIDs: 16 * half})
		if graphs[half].ctxIDCap != half {
			t.Fatalf("EventIDs %d: a context edge keeps %d ids, want %d", 16*half, graphs[half].ctxIDCap, half)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for run := range 2000 {
		half := 1 + run%maxCtxIDs
		lg := graphs[half]
		from, to := lg.newNode(kIdentity, fmt.Sprint(run), 0), lg.newNode(kToken, fmt.Sprint(run), 0)
		t0 := 1686830834000000 + rng.Int64N(1<<40)
		if run%3 == 1 {
			t0 = t0 / 1e6 * 1e6 // whole seconds: times coded as offsets
		}
		m := model{head: []idRef{mkRef(t0, 0)}}
		x := newCtxHead(g.times32.code(t0, 0), 0)
		ei := lg.link(from, to, relUses, Observed, t0, 0)
		for i := range 1 + rng.IntN(12) {
			tm := t0 + rng.Int64N(8) - 4 // few distinct times: many ties
			switch run % 3 {
			case 0:
				tm = -1<<62 + rng.Int64N(3) // and times far from the epoch
			case 1:
				tm = t0 + (rng.Int64N(8)-4)*1e6
			}
			h := int32(run*16 + i + 1)
			keep(&m, tm, h, half)
			g.keepCtx(&x, g.times32.code(tm, h), h, half)
			lg.link(from, to, relUses, Observed, tm, h)
		}
		if diff := cmp.Diff(m.head, g.ctxRefs(x.refs[:]), cmp.AllowUnexported(idRef{})); diff != "" || x.max() != m.headMax {
			t.Fatalf("run %d (half %d): kept (-model +ctxHead):\n%s; max %d, model's %d", run, half, diff, x.max(), m.headMax)
		}
		if e := lg.edges.at(ei); e.count > 1 {
			if diff := cmp.Diff(m.head, lg.ctxRefs(lg.ctxHeadOf(e.ref)), cmp.AllowUnexported(idRef{})); diff != "" {
				t.Fatalf("run %d (half %d): the edge's head kept (-model +edge):\n%s", run, half, diff)
			}
		}
	}
}
