package graph

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
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
	// wantCap is the capacity array i has once it holds n values: it
	// starts with none, or with room for 4 (every third), doubles while
	// small and grows by half once past slabChunk/4.
	wantCap := func(i, n int) int32 {
		c := int32(0)
		if i%3 == 0 {
			c = 4
		}
		for int(c) < n {
			if c > slabChunk/4 {
				c += c / 2
			} else {
				c = max(1, 2*c)
			}
		}
		return c
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
		if c, wc := a.capOf(spans[i]), wantCap(i, len(want[i])); c != wc {
			t.Errorf("array %d: capacity %d for %d values, want %d", i, c, len(want[i]), wc)
		}
	}
	// Large arrays given back lend their chunks' numbers to the next ones.
	chunks := len(a.chunks)
	for i := range spans {
		if a.capOf(spans[i]) > slabChunk/4 {
			a.release(spans[i])
			spans[i] = a.alloc(slabChunk)
			if got, c := a.get(spans[i]), a.capOf(spans[i]); len(got) != 0 || c != slabChunk {
				t.Errorf("array %d after its chunk was replaced: %d values, capacity %d, want 0 and %d", i, len(got), c, slabChunk)
			}
		}
	}
	if len(a.chunks) != chunks {
		t.Errorf("%d chunks after large arrays were replaced, %d before", len(a.chunks), chunks)
	}
	// A large array given back is the room of the next of its length,
	// emptied; one of another length is new.
	big := a.alloc(slabChunk + slabChunk/2)
	for range 3 {
		big = a.push(big, 7)
	}
	old := &a.chunks[big.chunk()][0]
	a.release(big)
	if other := a.alloc(slabChunk * 3); &a.chunks[other.chunk()][0] == old {
		t.Errorf("an array of %d values took the room of one of %d", slabChunk*3, slabChunk+slabChunk/2)
	}
	again := a.alloc(slabChunk + slabChunk/2)
	if got, c := a.get(again), a.capOf(again); &a.chunks[again.chunk()][0] != old || len(got) != 0 || c != slabChunk+slabChunk/2 {
		t.Errorf("the next array of its length: %d values, capacity %d, its room reused %v", len(got), c,
			&a.chunks[again.chunk()][0] == old)
	}
	a.release(again)
	a.dropSpare()
	if again = a.alloc(slabChunk + slabChunk/2); &a.chunks[again.chunk()][0] == old {
		t.Errorf("room given back was reused after dropSpare")
	}
}

// TestTooLarge checks that a build stops with ErrTooLarge once the values'
// arena or a slab that linking or resolving grows reaches its chunk limit,
// and not one chunk before: resolve and AddAssertions both refuse.
func TestTooLarge(t *testing.T) {
	tests := []struct {
		name  string
		pad   func(g *Graph, n int) // gives the arena or slab n chunks
		limit int                   // the first count refused
	}{
		{"adjacency", func(g *Graph, n int) { padChunks(&g.adj.chunks, n) }, maxSlabChunks - 256},
		{"refs", func(g *Graph, n int) { padChunks(&g.refs.chunks, n) }, maxSlabChunks - 256},
		{"times", func(g *Graph, n int) { padChunks(&g.tms.chunks, n) }, maxSlabChunks - 256},
		{"addresses", func(g *Graph, n int) { padChunks(&g.facts.ipSlab.chunks, n) }, maxSlabChunks - 256},
		{"values", func(g *Graph, n int) { padChunks(&g.names.chunks, n) }, maxNameChunks - 15},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := newGraph(Options{})
			if err := g.tooLarge(); err != nil {
				t.Fatalf("an empty graph: %v", err)
			}
			tc.pad(g, tc.limit-1)
			g.noteLinked() // as apply does after each event
			if err := g.tooLarge(); err != nil {
				t.Fatalf("%d chunks, one below the limit: %v", tc.limit-1, err)
			}
			tc.pad(g, tc.limit)
			g.noteLinked()
			var r rec
			if err := g.resolve(&timeline.Event{ID: "e1", Actor: "a@example.com"}, &r); !errors.Is(err, ErrTooLarge) {
				t.Errorf("resolve at %d chunks: %v, want ErrTooLarge", tc.limit, err)
			}
			a := timeline.Assertion{ID: 1, From: timeline.Entity{Kind: timeline.KindIdentity, Value: "a@example.com"},
				To: timeline.Entity{Kind: timeline.KindIdentity, Value: "b@example.com"}, Relation: "controls"}
			if err := g.AddAssertions([]timeline.Assertion{a}); !errors.Is(err, ErrTooLarge) {
				t.Errorf("AddAssertions at %d chunks: %v, want ErrTooLarge", tc.limit, err)
			}
		})
	}
}

// padChunks appends empty chunks until there are n.
func padChunks[T any](chunks *[][]T, n int) {
	for len(*chunks) < n {
		*chunks = append(*chunks, nil)
	}
}

// TestTooLargeQueued checks that events resolved before linking neared its
// limits, and so skipped by apply, fail the build with ErrTooLarge instead
// of leaving it short; without the limit the same events are linked.
func TestTooLargeQueued(t *testing.T) {
	for _, full := range []bool{false, true} {
		g := newGraph(Options{})
		s := g.startStages()
		for i := range 3 {
			e := timeline.Event{ID: fmt.Sprintf("e%d", i), Time: time.Unix(int64(i), 0), Actor: "a@example.com",
				Tenant: "t1", Target: "b@example.com", TargetKind: string(timeline.KindMailbox)}
			if err := s.add(&e); err != nil {
				t.Fatalf("full %v: add %s: %v", full, e.ID, err)
			}
		}
		if full {
			g.linkFull.Store(true) // as apply notes it after an earlier event
		}
		err := s.wait()
		if full {
			if !errors.Is(err, ErrTooLarge) || g.edges.len() != 0 {
				t.Errorf("limit reached with 3 events queued: wait %v, %d edges; want ErrTooLarge and none linked", err,
					g.edges.len())
			}
		} else if err != nil || g.edges.len() == 0 {
			t.Errorf("no limit: wait %v, %d edges; want nil and the events' edges", err, g.edges.len())
		}
	}
}
