package board

import (
	"bytes"
	"strings"
	"time"

	"github.com/causeway-ir/causeway/graph"
)

// flaggedGroup is the diagram node that stands for the flagged tokens a
// union chain starts from.
const flaggedGroup = "group:token:flagged"

// diagram condenses the chain for the page. A union chain's root tokens
// become one root node, so that what they reached fans out from it.
func (r *Report) diagram(maxNodes int) *graph.Diagram {
	c := tidy(r.Chain)
	if len(r.Roots) > 0 {
		roots := map[string]bool{}
		for _, t := range r.Roots {
			roots[t] = true
		}
		m := &graph.Chain{Root: flaggedGroup}
		first := time.Time{}
		for _, n := range c.Nodes {
			if roots[n.ID] {
				// A date beats none (a token only undated assertions name).
				first = graph.EarliestDate(first, n.FirstSeen)
				continue
			}
			m.Nodes = append(m.Nodes, n)
		}
		m.Nodes = append(m.Nodes, graph.ChainNode{ID: flaggedGroup, Kind: "token",
			Label: "no sign-in issued them", FirstSeen: first})
		type ek struct{ from, to, rel, ev string }
		at := map[ek]int{}
		for _, e := range c.Edges {
			if roots[e.From] {
				e.From = flaggedGroup
			}
			if roots[e.To] {
				e.To = flaggedGroup
			}
			if e.From == e.To {
				continue
			}
			k := ek{e.From, e.To, e.Relation, e.Evidence}
			if i, ok := at[k]; ok {
				m.Edges[i].Count += e.Count
				m.Edges[i].Time = graph.EarliestDate(m.Edges[i].Time, e.Time)
				continue
			}
			at[k] = len(m.Edges)
			m.Edges = append(m.Edges, e)
		}
		c = m
	}
	d := graph.NewDiagram(c, graph.DiagramOptions{MaxNodes: maxNodes})
	for i := range d.Nodes {
		if d.Nodes[i].ID == flaggedGroup {
			d.Nodes[i].Count = len(r.Roots)
		}
	}
	r.Diagram = d
	r.relabel()
	return d
}

// tidy returns a copy of the chain without the edges that tie tokens to a
// tenant that a mailbox or resource of the chain already shows: on a board
// they only repeat it.
func tidy(c *graph.Chain) *graph.Chain {
	shown := map[string]bool{}
	for _, e := range c.Edges {
		if e.Relation == graph.RelIn && (strings.HasPrefix(e.From, "mailbox:") || strings.HasPrefix(e.From, "resource:")) {
			shown[e.To] = true
		}
	}
	out := &graph.Chain{Root: c.Root, Nodes: c.Nodes}
	for _, e := range c.Edges {
		if e.Relation == graph.RelIn && strings.HasPrefix(e.From, "token:") && shown[e.To] {
			continue
		}
		out.Edges = append(out.Edges, e)
	}
	return out
}

// relabel names tenants by their mail domain and groups in plain words.
func (r *Report) relabel() {
	for i := range r.Diagram.Nodes {
		n := &r.Diagram.Nodes[i]
		if v, ok := strings.CutPrefix(n.ID, "tenant:"); ok {
			n.Label = r.nameOf(v)
			continue
		}
		if rest, ok := strings.CutPrefix(n.ID, "group:"); ok && n.ID != flaggedGroup {
			// The kind and count are drawn already ("mailbox ×3").
			_, parent, _ := strings.Cut(rest, ":")
			n.Label = ""
			if t, ok := strings.CutPrefix(parent, "tenant:"); ok {
				n.Label = "in " + r.nameOf(t)
			}
		}
	}
}

// boardDOT is the diagram's DOT with larger type for the page.
func boardDOT(d *graph.Diagram) ([]byte, error) {
	var buf bytes.Buffer
	if err := d.WriteDOT(&buf); err != nil {
		return nil, err
	}
	dot := buf.Bytes()
	// Attribute statements apply to what follows them: put ours after the
	// graph's defaults (the first "edge [" line), else after the opening.
	extra := []byte("  graph [nodesep=0.3, ranksep=0.7];\n  node [fontsize=16, margin=\"0.15,0.08\"];\n  edge [fontsize=13, penwidth=1.6, arrowsize=0.9];\n")
	at := bytes.Index(dot, []byte("\n  edge ["))
	if at >= 0 {
		at += bytes.IndexByte(dot[at+1:], '\n') + 2
	} else {
		at = bytes.IndexByte(dot, '\n') + 1
	}
	out := make([]byte, 0, len(dot)+len(extra))
	out = append(out, dot[:at]...)
	out = append(out, extra...)
	return append(out, dot[at:]...), nil
}
