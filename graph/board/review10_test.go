package board

import (
	"testing"
	"time"

	"github.com/causeway-ir/causeway/graph"
)

// TestReview10FlaggedGroupFirstSeen: the node that stands for a union's
// root tokens is first seen at the earliest date among them; a token no
// log dates (one only undated assertions name) adds none, in either
// order (a date beats none, as union's and the diagram's groups have it).
func TestReview10FlaggedGroupFirstSeen(t *testing.T) {
	t.Parallel()
	day := time.Date(2023, 6, 1, 2, 0, 0, 0, time.UTC)
	dated := graph.ChainNode{ID: "token:dated", Kind: "token", Label: "dated", FirstSeen: day}
	undated := graph.ChainNode{ID: "token:undated", Kind: "token", Label: "undated"}
	later := graph.ChainNode{ID: "token:later", Kind: "token", Label: "later", FirstSeen: day.Add(time.Hour)}
	for _, tc := range []struct {
		name  string
		roots []graph.ChainNode
		want  time.Time
	}{
		{"dated, then undated", []graph.ChainNode{dated, undated}, day},
		{"undated, then dated", []graph.ChainNode{undated, dated}, day},
		{"undated between dated", []graph.ChainNode{later, undated, dated}, day},
		{"undated only", []graph.ChainNode{undated}, time.Time{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := &graph.Chain{Root: tc.roots[0].ID, Nodes: append([]graph.ChainNode{}, tc.roots...)}
			mb := graph.ChainNode{ID: "mailbox:a@contoso.com", Kind: "mailbox", Label: "a@contoso.com", FirstSeen: day.Add(2 * time.Hour)}
			c.Nodes = append(c.Nodes, mb)
			r := &Report{Chain: c}
			for _, n := range tc.roots {
				r.Roots = append(r.Roots, n.ID)
				c.Edges = append(c.Edges, graph.ChainEdge{From: n.ID, To: mb.ID, Relation: graph.RelAccessed,
					Evidence: "observed", Time: n.FirstSeen, Events: []string{}, Count: 1, Causal: true})
			}
			d := r.diagram(50)
			found := false
			for _, n := range d.Nodes {
				if n.ID == flaggedGroup {
					found = true
					if !n.FirstSeen.Equal(tc.want) {
						t.Errorf("flagged group first seen %v, want %v", n.FirstSeen, tc.want)
					}
				}
			}
			if !found {
				t.Fatalf("no flagged group among %v", d.Nodes)
			}
		})
	}
}
