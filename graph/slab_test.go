package graph

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
	"unsafe"

	"github.com/causeway-ir/causeway/timeline"
)

// TestSlab checks a slab against plain slices: many arrays of lengths from
// 0 to past a chunk's own-array threshold, pushed to in random order, so
// that arrays grow through every class (and large ones by half), give
// their room back, reuse it and reuse the numbers of large arrays' chunks.
func TestSlab(t *testing.T) {
	if n := unsafe.Sizeof(span{}); n != 8 {
		t.Errorf("a span is %d bytes, want 8", n)
	}
	a := newSlab[int64]()
	if got := a.get(span{}); got != nil || a.capOf(span{}) != 0 {
		t.Errorf("zero span: %v, capacity %d", got, a.capOf(span{}))
	}
	rng := rand.New(rand.NewPCG(1, 2))
	lens := []int{0, 1, 2, 3, 5, 17, 100, 4096, slabChunk/4 + 1, slabChunk + 3}
	var spans []span
	var want [][]int64
	for i := range 300 {
		n := lens[i%len(lens)]
		if n > slabChunk/4 && i >= len(lens) {
			n = 0 // two large arrays of each size are enough
		}
		var sp span
		if i%3 == 0 {
			sp = a.alloc(4)
		}
		spans = append(spans, sp)
		want = append(want, make([]int64, 0, n))
		for range n {
			want[i] = append(want[i], 0)
		}
	}
	// Push in random order, array by array, so that growing interleaves.
	var order []int
	for i, w := range want {
		for range len(w) {
			order = append(order, i)
		}
	}
	rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	fill := make([]int, len(want))
	for k, i := range order {
		spans[i] = a.push(spans[i], int64(k))
		want[i][fill[i]] = int64(k)
		fill[i]++
	}
	for i := range want {
		if got := a.get(spans[i]); !slices.Equal(got, want[i]) {
			t.Fatalf("array %d (%d values): got %d values, differing", i, len(want[i]), len(got))
		}
		if c := a.capOf(spans[i]); int(c) < len(want[i]) || c&(c-1) != 0 && c <= slabChunk/4 {
			t.Errorf("array %d: capacity %d for %d values", i, c, len(want[i]))
		}
	}
	// Large arrays given back lend their chunks' numbers to the next ones.
	chunks := len(a.chunks)
	for i := range spans {
		if a.capOf(spans[i]) > slabChunk/4 {
			a.release(spans[i])
			spans[i] = a.alloc(slabChunk)
		}
	}
	if len(a.chunks) != chunks {
		t.Errorf("%d chunks after large arrays were replaced, %d before", len(a.chunks), chunks)
	}
}

// TestTooLarge checks that a build stops with ErrTooLarge once linking
// nears a slab's chunk limit.
func TestTooLarge(t *testing.T) {
	g := newGraph(Options{})
	if err := g.tooLarge(); err != nil {
		t.Fatalf("an empty graph: %v", err)
	}
	for len(g.adj.chunks) < maxSlabChunks-256 {
		g.adj.chunks = append(g.adj.chunks, nil)
	}
	g.noteLinked()
	var r rec
	err := g.resolve(&timeline.Event{ID: "e1", Actor: "a@example.com"}, &r)
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("resolve with a full adjacency slab: %v, want ErrTooLarge", err)
	}
}
