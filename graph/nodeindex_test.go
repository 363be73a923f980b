package graph

import (
	"fmt"
	"sync"
	"testing"
)

// TestIndexAll checks that indexing a built graph's kinds when first
// looked up (slots placed region by region), readers asking at once, finds
// every node of every kind by value, and no value that is not a node.
func TestIndexAll(t *testing.T) {
	tests := []struct {
		name string
		n    [len(kindNames)]int
	}{
		{"small", [len(kindNames)]int{kToken: 10, kIdentity: 3}},
		{"one region", [len(kindNames)]int{kToken: 20000, kSession: 5}},
		{"many regions", [len(kindNames)]int{kToken: 300000, kIdentity: 70000, kIP: 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := newGraph(Options{})
			val := func(k, i int) string { return fmt.Sprintf("%s-%d", kindNames[k], i) }
			for i := range 300000 {
				for k, n := range tc.n {
					if i < n {
						g.newNode(uint8(k), val(k, i), 0)
					}
				}
			}
			var wg sync.WaitGroup
			for k := range tc.n {
				for range 2 {
					wg.Go(func() { g.lookup(uint8(k), val(k, 0)) })
				}
			}
			wg.Wait()
			for k, n := range tc.n {
				if g.index[k].n != n {
					t.Errorf("kind %s: %d indexed, want %d", kindNames[k], g.index[k].n, n)
				}
				for i := range n {
					id, ok := g.lookup(uint8(k), val(k, i))
					if !ok || g.value(id) != val(k, i) || g.nodeAt(id).kind != uint8(k) {
						t.Fatalf("lookup(%s, %q) = %d, %v", kindNames[k], val(k, i), id, ok)
					}
				}
				if id, ok := g.lookup(uint8(k), val(k, n)); ok {
					t.Errorf("lookup(%s, %q) = %d, want none", kindNames[k], val(k, n), id)
				}
			}
		})
	}
}
