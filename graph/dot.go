package graph

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Node caps for diagrams: Graphviz layout time explodes with size, so
// diagrams are condensed to these before rendering.
const (
	// BoardNodes is the most nodes a board chain diagram shows.
	BoardNodes = 60
	// InteractiveNodes is the most nodes an interactive graph view shows.
	InteractiveNodes = 300
)

// DiagramOptions tunes NewDiagram.
type DiagramOptions struct {
	// MaxNodes is the node cap (0: InteractiveNodes). Condensing groups
	// tokens under the entity that issued them, then mailboxes and
	// resources under their tenant, then other leaves under their parent;
	// what still does not fit is left out and counted in Omitted.
	MaxNodes int
	// Title is drawn under the diagram.
	Title string
}

// Diagram is a chain condensed for drawing. Its nodes are entities or
// groups of entities; its edges carry how many events they stand for.
type Diagram struct {
	Root  string
	Title string
	Nodes []DiagramNode
	Edges []DiagramEdge
	// Omitted counts the entities left out to stay under the node cap.
	Omitted int
}

// DiagramNode is an entity, or a group of entities of one kind.
type DiagramNode struct {
	// ID is the entity id, or "group:<kind>:<parent entity id>" for a group.
	ID    string
	Kind  string
	Label string
	// Count is the number of entities the node stands for.
	Count     int
	FirstSeen time.Time
	Root      bool
}

// DiagramEdge is an edge between diagram nodes.
type DiagramEdge struct {
	From, To string
	Relation string
	Evidence string
	Causal   bool
	Time     time.Time
	// Count is the number of events behind the edge (repeated accesses
	// collapse into one edge with a count).
	Count int
}

// NewDiagram condenses chain c for drawing.
func NewDiagram(c *Chain, opts DiagramOptions) *Diagram {
	limit := opts.MaxNodes
	if limit <= 0 {
		limit = InteractiveNodes
	}
	d := &Diagram{Root: c.Root, Title: opts.Title}
	for _, n := range c.Nodes {
		d.Nodes = append(d.Nodes, DiagramNode{ID: n.ID, Kind: n.Kind, Label: n.Label, Count: 1, FirstSeen: n.FirstSeen,
			Root: n.ID == c.Root})
	}
	for _, e := range c.Edges {
		d.Edges = append(d.Edges, DiagramEdge{From: e.From, To: e.To, Relation: e.Relation, Evidence: e.Evidence,
			Causal: e.Causal, Time: e.Time, Count: max(1, e.Count)})
	}
	if len(d.Nodes) > limit {
		d.group(func(n DiagramNode, parent string) string {
			if n.Kind == "token" && parent != "" {
				return parent
			}
			return ""
		})
	}
	if len(d.Nodes) > limit {
		d.group(func(n DiagramNode, parent string) string {
			if n.Kind == "mailbox" || n.Kind == "resource" {
				return d.tenantOf(n.ID)
			}
			return ""
		})
	}
	if len(d.Nodes) > limit {
		d.group(func(n DiagramNode, parent string) string {
			if d.isLeaf(n.ID) {
				return parent
			}
			return ""
		})
	}
	if len(d.Nodes) > limit {
		d.trim(limit)
	}
	d.sort()
	return d
}

// parents maps each node to the tail of the causal edge that reached it.
func (d *Diagram) parents() map[string]string {
	p := map[string]string{}
	for _, e := range d.Edges {
		if e.Causal {
			if old, ok := p[e.To]; !ok || e.From < old {
				p[e.To] = e.From
			}
		}
	}
	return p
}

func (d *Diagram) tenantOf(id string) string {
	best := ""
	for _, e := range d.Edges {
		if e.From == id && e.Relation == RelIn && (best == "" || e.To < best) {
			best = e.To
		}
	}
	return best
}

func (d *Diagram) isLeaf(id string) bool {
	for _, e := range d.Edges {
		if e.From == id && e.Causal {
			return false
		}
	}
	return true
}

// group merges nodes that key maps to the same non-empty parent, groups of
// two or more, never the root.
func (d *Diagram) group(key func(n DiagramNode, parent string) string) {
	parents := d.parents()
	type gk struct{ kind, parent string }
	members := map[gk][]int{}
	for i, n := range d.Nodes {
		if n.Root {
			continue
		}
		if p := key(n, parents[n.ID]); p != "" {
			k := gk{n.Kind, p}
			members[k] = append(members[k], i)
		}
	}
	labels := map[string]string{}
	for _, n := range d.Nodes {
		labels[n.ID] = n.Label
	}
	into := map[string]string{}
	var groups []DiagramNode
	for k, ms := range members {
		if len(ms) < 2 {
			continue
		}
		g := DiagramNode{ID: "group:" + k.kind + ":" + k.parent, Kind: k.kind}
		for _, i := range ms {
			n := d.Nodes[i]
			into[n.ID] = g.ID
			g.Count += n.Count
			g.FirstSeen = EarliestDate(g.FirstSeen, n.FirstSeen)
		}
		g.Label = prep(k.kind, k.parent) + " " + labels[k.parent]
		groups = append(groups, g)
	}
	if len(groups) == 0 {
		return
	}
	d.Nodes = slices.DeleteFunc(d.Nodes, func(n DiagramNode) bool { return into[n.ID] != "" })
	d.Nodes = append(d.Nodes, groups...)
	d.remap(into)
}

// prep says how a group relates to the node it is grouped under.
func prep(kind, parent string) string {
	switch {
	case strings.HasPrefix(parent, "tenant:"):
		return "in"
	case kind == "token":
		return "from"
	}
	return "via"
}

// remap points edges at group nodes and merges the edges that now coincide.
func (d *Diagram) remap(into map[string]string) {
	type ek struct{ from, to, rel, ev string }
	merged := map[ek]int{}
	var es []DiagramEdge
	for _, e := range d.Edges {
		if g, ok := into[e.From]; ok {
			e.From = g
		}
		if g, ok := into[e.To]; ok {
			e.To = g
		}
		if e.From == e.To {
			continue
		}
		k := ek{e.From, e.To, e.Relation, e.Evidence}
		if i, ok := merged[k]; ok {
			es[i].Count += e.Count
			es[i].Time = EarliestDate(es[i].Time, e.Time)
			continue
		}
		merged[k] = len(es)
		es = append(es, e)
	}
	d.Edges = es
}

// trim keeps the root and the earliest-reached nodes.
func (d *Diagram) trim(limit int) {
	slices.SortStableFunc(d.Nodes, func(a, b DiagramNode) int {
		if a.Root != b.Root {
			if a.Root {
				return -1
			}
			return 1
		}
		return cmp.Or(a.FirstSeen.Compare(b.FirstSeen), strings.Compare(a.ID, b.ID))
	})
	for _, n := range d.Nodes[limit:] {
		d.Omitted += n.Count
	}
	d.Nodes = d.Nodes[:limit]
	keep := map[string]bool{}
	for _, n := range d.Nodes {
		keep[n.ID] = true
	}
	d.Edges = slices.DeleteFunc(d.Edges, func(e DiagramEdge) bool { return !keep[e.From] || !keep[e.To] })
}

func (d *Diagram) sort() {
	slices.SortFunc(d.Nodes, func(a, b DiagramNode) int { return strings.Compare(a.ID, b.ID) })
	slices.SortFunc(d.Edges, func(a, b DiagramEdge) int {
		return cmp.Or(strings.Compare(a.From, b.From), strings.Compare(a.To, b.To),
			strings.Compare(a.Relation, b.Relation), strings.Compare(a.Evidence, b.Evidence))
	})
}

// KindColors returns the fill and border colour of an entity kind
// (../shared/ux.md: key amber, token violet, session blue, identity teal,
// app indigo, tenant grey, IP orange, mailbox green, resource slate). Fills
// are light so dark text keeps WCAG AA contrast; the kind name is always in
// the label too, so colour is never the only cue.
func KindColors(kind string) (fill, border string) {
	switch kind {
	case "key":
		return "#fde68a", "#b45309"
	case "token":
		return "#ddd6fe", "#6d28d9"
	case "session":
		return "#bfdbfe", "#1d4ed8"
	case "identity":
		return "#99f6e4", "#0f766e"
	case "app":
		return "#c7d2fe", "#4338ca"
	case "tenant":
		return "#e5e7eb", "#4b5563"
	case "ip":
		return "#fed7aa", "#c2410c"
	case "mailbox":
		return "#bbf7d0", "#15803d"
	case "resource":
		return "#cbd5e1", "#334155"
	}
	return "#ffffff", "#111827"
}

// edgeStyle draws evidence as line style.
func edgeStyle(evidence string) string {
	switch evidence {
	case "inferred":
		return "dashed"
	case "asserted":
		return "dotted"
	}
	return "solid"
}

// WriteDOT writes the diagram as Graphviz DOT: deterministic (sorted
// nodes and edges, ids n0, n1, … in entity order), every string from a log
// escaped, each node carrying its entity id as its id attribute and a
// link to "#/entity/<id>".
func (d *Diagram) WriteDOT(w io.Writer) error {
	bw := bufio.NewWriter(w)
	p := func(format string, args ...any) { fmt.Fprintf(bw, format, args...) }
	p("digraph causeway {\n")
	p("  graph [rankdir=LR, bgcolor=\"white\", fontname=\"Helvetica\", fontsize=11, nodesep=0.25, ranksep=0.5, pad=0.2")
	caption := d.Title
	if d.Omitted > 0 {
		caption = strings.TrimSpace(caption + fmt.Sprintf("\n%d more entities not shown", d.Omitted))
	}
	if caption != "" {
		p(", labelloc=b, label=%s", quote(caption))
	}
	p("];\n")
	p("  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\", fontsize=10, fontcolor=\"#111827\", penwidth=1.2];\n")
	p("  edge [fontname=\"Helvetica\", fontsize=9, arrowsize=0.7];\n")
	name := make(map[string]string, len(d.Nodes))
	for i, n := range d.Nodes {
		name[n.ID] = "n" + strconv.Itoa(i)
	}
	for _, n := range d.Nodes {
		fill, border := KindColors(n.Kind)
		label := n.Kind + "\n" + n.Label
		if n.Count > 1 {
			label = n.Kind + " ×" + strconv.Itoa(n.Count) + "\n" + n.Label
		}
		pen := "1.2"
		if n.Root {
			pen = "3"
		}
		tip := n.ID
		if !n.FirstSeen.IsZero() {
			tip += "\nfirst seen " + n.FirstSeen.UTC().Format(time.RFC3339)
		}
		p("  %s [id=%s, label=%s, fillcolor=%s, color=%s, penwidth=%s, tooltip=%s", name[n.ID], quote(AttrID(n.ID)),
			quote(label), quote(fill), quote(border), pen, quote(tip))
		if !strings.HasPrefix(n.ID, "group:") {
			p(", URL=%s", quote("#/entity/"+AttrID(n.ID)))
		}
		p("];\n")
	}
	for _, e := range d.Edges {
		from, to := name[e.From], name[e.To]
		if from == "" || to == "" {
			continue
		}
		label := strings.ReplaceAll(e.Relation, "_", " ")
		if e.Count > 1 {
			label += " ×" + strconv.Itoa(e.Count)
		}
		if e.Evidence != "observed" {
			label += " (" + e.Evidence + ")"
		}
		color := "#111827"
		if !e.Causal {
			color = "#9ca3af"
		}
		p("  %s -> %s [label=%s, style=%s, color=%s, fontcolor=%s];\n", from, to, quote(label),
			edgeStyle(e.Evidence), quote(color), quote(color))
	}
	p("}\n")
	return bw.Flush()
}

// quote makes s a DOT double-quoted string that Graphviz shows literally:
// backslashes (which would start escapes such as \N or \l) and quotes are
// escaped, & is written as an entity so that text like "&lt;" is not
// decoded, newlines become centred line breaks, and other control
// characters and invalid UTF-8 are dropped.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == '"':
			b.WriteString(`\"`)
		case r == '&':
			b.WriteString("&amp;")
		case r == '\n':
			b.WriteString(`\n`)
		case unicode.IsControl(r):
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// AttrID encodes an entity id for an id attribute or a URL fragment:
// letters, digits and ._~:@- stay, everything else is percent-encoded (so
// decodeURIComponent gives the entity id back).
func AttrID(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("._~:@-", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}
