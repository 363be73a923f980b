package graph

import (
	"testing"
	"unsafe"

	"github.com/causeway-ir/causeway/timeline"
)

// TestInternReusedBytes checks that an uncoded column's values may reuse
// their bytes from batch to batch (timeline.ScanColumns hands out Values
// that last only until its callback returns): the same bytes holding a
// new value must make a new node, not find the last value's node by the
// string's address.
func TestInternReusedBytes(t *testing.T) {
	g := newGraph(Options{})
	buf := []byte("alice@contoso.com")
	col := &timeline.StringColumn{Values: []string{unsafe.String(&buf[0], len(buf))}}
	var c codeColumn
	c.use(g, col, &caseCodes{})
	a := c.intern(g, 0, kIdentity, 1)
	copy(buf, "carol@contoso.com") // the next batch, in the same bytes
	b := c.intern(g, 0, kIdentity, 2)
	if a == b {
		t.Fatalf("alice and carol are one node (%d): the reused bytes were taken for the old value", a)
	}
	if got := g.value(b); got != "carol@contoso.com" {
		t.Errorf("node %d is %q, want carol@contoso.com", b, got)
	}
	if got := g.value(a); got != "alice@contoso.com" {
		t.Errorf("node %d is %q, want alice@contoso.com (its own copy)", a, got)
	}
}

// TestAdoptedNames checks that nodes made from a case scan's coded columns
// name their values in the scan's dictionaries (Graph.dicts) instead of
// copies, as the dictionaries grow from batch to batch, also for a kind
// fed by two dictionaries (found through the index), and that a value of
// an uncoded column is still copied.
func TestAdoptedNames(t *testing.T) {
	g := newGraph(Options{})
	var cc caseCodes
	var actor, target, ip codeColumn
	actor.use(g, &timeline.StringColumn{Codes: []int32{1, 2, 1}, Dict: timeline.DictOf("", "alice", "bob"), DictID: 1}, &cc)
	a := actor.intern(g, 0, kIdentity, 10)
	b := actor.intern(g, 1, kIdentity, 11)
	if a2 := actor.intern(g, 2, kIdentity, 12); a2 != a {
		t.Errorf("alice twice: nodes %d and %d", a, a2)
	}
	// The next batch: the dictionary has grown.
	actor.use(g, &timeline.StringColumn{Codes: []int32{3}, Dict: timeline.DictOf("", "alice", "bob", "carol"), DictID: 1}, &cc)
	c := actor.intern(g, 0, kIdentity, 13)
	// A second dictionary of identities: bob again, and dave.
	target.use(g, &timeline.StringColumn{Codes: []int32{1, 2}, Dict: timeline.DictOf("", "bob", "dave"), DictID: 2}, &cc)
	if b2 := target.intern(g, 0, kIdentity, 14); b2 != b {
		t.Errorf("bob from the second dictionary is node %d, want %d", b2, b)
	}
	d := target.intern(g, 1, kIdentity, 15)
	buf := []byte("10.0.0.1")
	ip.use(g, &timeline.StringColumn{Values: []string{unsafe.String(&buf[0], len(buf))}}, &cc)
	e := ip.intern(g, 0, kIP, 16)
	copy(buf, "10.0.0.2")
	for id, want := range map[NodeID]string{a: "alice", b: "bob", c: "carol", d: "dave", e: "10.0.0.1"} {
		if got := g.value(id); got != want {
			t.Errorf("node %d is %q, want %q", id, got, want)
		}
	}
	if n := chunksBytes(g.names.chunks); n == 0 || len(g.names.chunks[0]) != len("10.0.0.1") {
		t.Errorf("the arena holds %d bytes (%d chunks), want the address's copy only", n, len(g.names.chunks))
	}
	if len(g.dicts) != 2 || g.dicts[0].Len() != 4 {
		t.Errorf("%d dicts (the first of %d values), want the identities' two, the first grown to carol", len(g.dicts),
			g.dicts[0].Len())
	}
	g.settle()
	g.complete()
	for _, v := range []string{"alice", "bob", "carol", "dave"} {
		if _, err := g.Lookup("identity:" + v); err != nil {
			t.Errorf("identity %s not found after the build: %v", v, err)
		}
	}
}

// TestCodeIDs checks the map of codes to nodes: unset codes (in a chunk
// made, in a chunk skipped, past the last chunk) are -1, set ones their
// node, across chunks made out of order.
func TestCodeIDs(t *testing.T) {
	var x codeIDs
	set := map[int32]NodeID{0: 5, 3 << codeIDBits: 7, 1<<codeIDBits - 1: 9, 1 << codeIDBits: 11, 40: 0}
	for c, id := range set {
		x.set(c, id)
	}
	for _, c := range []int32{0, 1, 40, 1<<codeIDBits - 1, 1 << codeIDBits, 2 << codeIDBits, 3 << codeIDBits,
		3<<codeIDBits + 1, 9 << codeIDBits} {
		want, ok := set[c]
		if !ok {
			want = -1
		}
		if got := x.get(c); got != want {
			t.Errorf("code %d: node %d, want %d", c, got, want)
		}
	}
	if x.chunks[2] != nil {
		t.Errorf("a chunk with no code set was made")
	}
}
