package graph

import (
	"os"
	"testing"
	"unsafe"

	"github.com/causeway-ir/causeway/timeline"
)

// TestRealCaseSizes is a measuring tool more than a test: it logs what the
// graph of the case in $CAUSEWAY_GRAPH_CASE holds, structure by structure,
// to show where a big graph's memory goes, and it skips when the variable
// is unset (so in an ordinary `go test`). What it checks is only that the
// case builds and that every node is counted and indexed under its kind.
func TestRealCaseSizes(t *testing.T) {
	dir := os.Getenv("CAUSEWAY_GRAPH_CASE")
	if dir == "" {
		t.Skip("CAUSEWAY_GRAPH_CASE is not set")
	}
	c, err := timeline.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	g, err := BuildCase(t.Context(), c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	mb := func(n int) float64 { return float64(n) / (1 << 20) }
	t.Logf("nodes %d (%.0f MB, chunks %.0f MB), edges %d (%.0f MB)", g.nodes.len(),
		mb(g.nodes.len()*int(unsafe.Sizeof(node{}))), mb(chunkedBytes(&g.nodes)), g.edges.len(),
		mb(g.edges.len()*int(unsafe.Sizeof(edge{}))))
	t.Logf("causal evidence %d (%.0f MB), context evidence %.0f MB", g.ext.len(),
		mb(g.ext.len()*int(unsafe.Sizeof(edgeExt{}))), mb(slabBytes(&g.cext)))
	t.Logf("adjacency slab %.0f MB, spans %.0f MB", mb(slabBytes(&g.adj)), mb(chunkedBytes(&g.out)+chunkedBytes(&g.in)))
	t.Logf("refs slab %.0f MB, times slab %.0f MB", mb(slabBytes(&g.refs)), mb(slabBytes(&g.tms)))
	t.Logf("ids %d (%.0f MB bytes, %.0f MB slots)", g.ids.slots.len(), mb(chunksBytes(g.ids.bytes.chunks)),
		mb(chunkedBytes(&g.ids.slots)))
	adopted, bytes := 0, 0
	for _, d := range g.dicts {
		adopted += d.Len()
		for c := range d.Len() {
			bytes += len(d.At(int32(c)))
		}
	}
	t.Logf("node values %.0f MB; adopted from the scan's dictionaries: %d values (%.0f MB of strings, %.0f MB of bytes)",
		mb(chunksBytes(g.names.chunks)), adopted, mb(adopted*int(unsafe.Sizeof(""))), mb(bytes))
	t.Logf("token facts %d (%.0f MB, addresses %.0f MB), key facts %d, edgeOf %d, hubSpans %d, mbApp %d, cov %d, actorIP %d slots",
		g.facts.tokens.len(), mb(g.facts.tokens.len()*int(unsafe.Sizeof(tokenFact{}))), mb(slabBytes(&g.facts.ipSlab)),
		g.facts.keys.len(), len(g.edgeOf),
		len(g.hubSpans), len(g.facts.mbApp), len(g.facts.cov), len(g.facts.actorIP.slots))
	idx, nodes := 0, 0
	for k := range g.index {
		g.indexed(uint8(k)) // made when first asked
		idx += len(g.index[k].slots) * int(unsafe.Sizeof(nodeSlot{}))
		if g.index[k].n != g.kindCount[k] {
			t.Errorf("kind %s: %d nodes indexed, %d counted", kindNames[k], g.index[k].n, g.kindCount[k])
		}
		nodes += g.kindCount[k]
	}
	if nodes != g.nodes.len() {
		t.Errorf("%d nodes counted by kind, %d made", nodes, g.nodes.len())
	}
	t.Logf("node index %.0f MB", mb(idx))
	// Adjacency list lengths by kind and direction: 0, 1, 2, 3-4, 5-8,
	// 9-16, more.
	var hist [len(kindNames)][2][7]int
	for id := range g.nodes.len() {
		k := g.nodeAt(NodeID(id)).kind
		for d, n := range [2]int32{g.out.at(int32(id)).n, g.in.at(int32(id)).n} {
			b := 0
			for n > 0 && b < 6 && int32(1)<<max(0, b-1) < n {
				b++
			}
			if n > 0 && b == 0 {
				b = 1
			}
			hist[k][d][b]++
		}
	}
	for k := range hist {
		t.Logf("%-8s out %v in %v", kindNames[k], hist[k][0], hist[k][1])
	}
}

func slabBytes[T any](s *slab[T]) int { return chunksBytes(s.chunks) }

func chunkedBytes[T any](c *chunked[T]) int { return chunksBytes(c.chunks) }

// chunksBytes is the memory the chunks hold, counted by capacity.
func chunksBytes[T any](chunks [][]T) int {
	n := 0
	var v T
	for _, ch := range chunks {
		n += cap(ch) * int(unsafe.Sizeof(v))
	}
	return n
}
