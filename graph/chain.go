package graph

import (
	"bufio"
	"cmp"
	"container/heap"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/causeway-ir/causeway/timeline"
)

// ErrNotFound is returned when a root names no entity of the graph.
var ErrNotFound = errors.New("graph: no such entity")

// ErrAmbiguous is returned when a root without a kind matches entities of
// several kinds.
var ErrAmbiguous = errors.New("graph: entity is ambiguous")

// Lookup finds an entity by "kind:value" (the kind in any case). Values
// match exactly or else case-insensitively, so GUIDs, UPNs, emails and hex
// thumbprints are found in any case. Without a known kind prefix, every kind is searched and the
// match must be unique.
func (g *Graph) Lookup(s string) (NodeID, error) {
	s = strings.TrimSpace(s)
	if k, v, ok := strings.Cut(s, ":"); ok {
		if ki := kindIndex(strings.ToLower(k)); ki != kNone && v != "" {
			if id, ok := g.lookup(ki, v); ok {
				return id, nil
			}
			if id, ok := g.lookupFold(ki, v); ok {
				return id, nil
			}
			return -1, fmt.Errorf("%w: %q", ErrNotFound, s)
		}
	}
	found := NodeID(-1)
	for ki := range kindNames {
		id, ok := g.lookup(uint8(ki), s)
		if !ok {
			id, ok = g.lookupFold(uint8(ki), s)
		}
		if ok {
			if found >= 0 {
				return -1, fmt.Errorf("%w: %q", ErrAmbiguous, s)
			}
			found = id
		}
	}
	if found < 0 {
		return -1, fmt.Errorf("%w: %q", ErrNotFound, s)
	}
	return found, nil
}

func (g *Graph) lookupFold(k uint8, v string) (NodeID, bool) {
	g.lowerOnce.Do(func() {
		for ki := range g.lower {
			g.lower[ki] = make(map[string]NodeID, g.kindCount[ki])
		}
		for i := range g.nodes.len() {
			n := g.nodeAt(NodeID(i))
			m, lv := g.lower[n.kind], strings.ToLower(g.nameOf(n))
			// Keep the lowest id when two values differ only in case.
			if _, ok := m[lv]; !ok {
				m[lv] = NodeID(i)
			}
		}
	})
	if g.lower[k] == nil {
		// Nodes were added after the index was built (assertions).
		return -1, false
	}
	id, ok := g.lower[k][strings.ToLower(v)]
	return id, ok
}

// ChainOptions selects a chain.
type ChainOptions struct {
	// Since and Until bound the edge times followed (zero: unbounded).
	// Forward chains start at Since (the compromise window's start).
	Since, Until time.Time
	// Backward traces from an impact to its possible roots.
	Backward bool
	// Context adds the identities, IPs and apps seen with each reached
	// credential at or after it was reached; they never extend the chain.
	Context bool
	// EventIDs caps the event ids listed per edge; 0 means 16.
	EventIDs int
}

// Chain is the minimal subgraph explaining how each reached entity was
// reached, with its earliest evidence. Its JSON is the `causeway chain`
// contract.
type Chain struct {
	Root  string      `json:"root"`
	Nodes []ChainNode `json:"nodes"`
	Edges []ChainEdge `json:"edges"`
}

// ChainNode is an entity of a chain. FirstSeen is when the chain reached
// it (for a backward chain, the latest time it could still lead to the
// root); zero, and absent from the JSON, when no log dates it: an entity
// known only from assertions made without a time.
type ChainNode struct {
	ID        string    `json:"id"`
	Kind      string    `json:"kind"`
	Label     string    `json:"label"`
	FirstSeen time.Time `json:"first_seen,omitzero"`
}

// ChainEdge is an edge of a chain: Time is the event that carried the chain
// across it, Events the ids of the events behind it from then on. An
// assertion made without a time has no such event: its Time is zero, and
// absent from the JSON.
type ChainEdge struct {
	From     string    `json:"from"`
	To       string    `json:"to"`
	Relation string    `json:"relation"`
	Evidence string    `json:"evidence"`
	Time     time.Time `json:"time,omitzero"`
	Events   []string  `json:"events"`
	// Count is the number of events behind the edge in the chain's window
	// (not part of the JSON contract; diagrams label edges with it).
	Count int `json:"-"`
	// Causal is false for context edges (tenant, identity, ip, app).
	Causal bool `json:"-"`
}

type reach struct {
	t    int64
	node NodeID
}

type reachHeap struct {
	items []reach
	late  bool // max-heap (backward)
}

func (h *reachHeap) Len() int { return len(h.items) }
func (h *reachHeap) Less(i, j int) bool {
	if h.late {
		return h.items[i].t > h.items[j].t
	}
	return h.items[i].t < h.items[j].t
}
func (h *reachHeap) Swap(i, j int) { h.items[i], h.items[j] = h.items[j], h.items[i] }
func (h *reachHeap) Push(x any)    { h.items = append(h.items, x.(reach)) }
func (h *reachHeap) Pop() any {
	x := h.items[len(h.items)-1]
	h.items = h.items[:len(h.items)-1]
	return x
}

// times returns the sorted event times of causal edge ei.
func (g *Graph) times(ei int32) []int64 {
	e := g.edges.at(ei)
	if !e.hasExt() {
		return []int64{g.eFirst(e)}
	}
	return g.tms.get(g.ext.at(e.ref).times)
}

// earliestFrom returns the earliest time of edge ei in [from, until].
func (g *Graph) earliestFrom(ei int32, from, until int64) (int64, bool) {
	e := g.edges.at(ei)
	first := g.eFirst(e)
	if first == minTime { // asserted without a time: always holds
		return from, from <= until
	}
	if !e.hasExt() {
		return first, first >= from && first <= until
	}
	ts := g.tms.get(g.ext.at(e.ref).times)
	i, _ := slices.BinarySearch(ts, from)
	if i == len(ts) || ts[i] > until {
		return 0, false
	}
	return ts[i], true
}

// latestUntil returns the latest time of edge ei in [since, until].
func (g *Graph) latestUntil(ei int32, since, until int64) (int64, bool) {
	e := g.edges.at(ei)
	first := g.eFirst(e)
	if first == minTime {
		return until, since <= until
	}
	if !e.hasExt() {
		return first, first >= since && first <= until
	}
	ts := g.tms.get(g.ext.at(e.ref).times)
	i, found := slices.BinarySearch(ts, until)
	if found {
		for i+1 < len(ts) && ts[i+1] == until {
			i++
		}
	} else {
		i--
	}
	if i < 0 || ts[i] < since {
		return 0, false
	}
	return ts[i], true
}

// countIn returns how many events of edge ei fall in [from, until].
func (g *Graph) countIn(ei int32, from, until int64) int {
	e := g.edges.at(ei)
	if !g.relCausal[e.rel()] || g.eFirst(e) == minTime {
		return int(e.count)
	}
	ts := g.times(ei)
	lo, _ := slices.BinarySearch(ts, from)
	hi, found := slices.BinarySearch(ts, until)
	if found {
		for hi < len(ts) && ts[hi] == until {
			hi++
		}
	}
	return max(0, hi-lo)
}

// Chain reconstructs the chain from root (design.md §4): the time-respecting
// reachability over causal edges, forward from root at opts.Since or
// backward from it before opts.Until. A root that is not a credential (an
// identity, an IP, an app) starts from the credentials it is seen with.
func (g *Graph) Chain(root string, opts ChainOptions) (*Chain, error) {
	r, err := g.Lookup(root)
	if err != nil {
		return nil, err
	}
	since, until := int64(minTime), int64(maxTime)
	if !opts.Since.IsZero() {
		since = opts.Since.UnixMicro()
	}
	if !opts.Until.IsZero() {
		until = opts.Until.UnixMicro()
	}
	nIDs := opts.EventIDs
	if nIDs <= 0 {
		nIDs = 16
	}

	at := map[NodeID]int64{}
	via := map[NodeID]int32{} // the edge that reached a node
	h := &reachHeap{late: opts.Backward}
	start := since
	if opts.Backward {
		start = until
	}
	at[r] = start
	heap.Push(h, reach{start, r})
	if !opts.Backward && !isCredential(g.nodeAt(r).kind) && !g.hasCausalOut(r) {
		// Identities, IPs and apps are context: begin with their credentials.
		for _, a := range g.outs(r) {
			ei := a.ei
			e := g.edges.at(ei)
			// (An assertion without a time, first and last minTime,
			// holds in any window.)
			if g.relCausal[e.rel()] || !isCredential(g.nodeAt(e.to()).kind) ||
				g.eLast(e) < since && g.eFirst(e) != minTime || g.eFirst(e) > until {
				continue
			}
			t := max(g.eFirst(e), since)
			if old, ok := at[e.to()]; !ok || t < old {
				at[e.to()], via[e.to()] = t, ei
				heap.Push(h, reach{t, e.to()})
			}
		}
	}
	for h.Len() > 0 {
		cur := heap.Pop(h).(reach)
		if at[cur.node] != cur.t {
			continue // superseded
		}
		if !opts.Backward {
			spans := g.hubSpans[hubKey{cur.node, true}]
			for i, a := range g.outs(cur.node) {
				if !g.causal(a) {
					continue
				}
				// A hub's edge spans are read in order: most edges of a busy
				// key are ruled out without reading them.
				// (An assertion without a time, first and last minTime,
				// always holds.)
				if spans != nil && spans[i].first != minTime && (spans[i].last < cur.t || spans[i].first > until) {
					continue
				}
				ei := a.ei
				e := g.edges.at(ei)
				if g.eLast(e) < cur.t && g.eFirst(e) != minTime {
					continue
				}
				t, ok := g.earliestFrom(ei, cur.t, until)
				if !ok {
					continue
				}
				if old, seen := at[e.to()]; !seen || t < old {
					at[e.to()], via[e.to()] = t, ei
					heap.Push(h, reach{t, e.to()})
				}
			}
			continue
		}
		spans := g.hubSpans[hubKey{cur.node, false}]
		for i, a := range g.ins(cur.node) {
			if !g.causal(a) {
				continue
			}
			if spans != nil && spans[i].first != minTime && (spans[i].first > cur.t || spans[i].last < since) {
				continue
			}
			ei := a.ei
			e := g.edges.at(ei)
			if f := g.eFirst(e); f > cur.t && f != minTime {
				continue
			}
			t, ok := g.latestUntil(ei, since, cur.t)
			if !ok {
				continue
			}
			if old, seen := at[e.from()]; !seen || t > old {
				at[e.from()], via[e.from()] = t, ei
				heap.Push(h, reach{t, e.from()})
			}
		}
	}

	c := &Chain{Root: g.entity(r), Nodes: []ChainNode{}, Edges: []ChainEdge{}}
	seen := map[NodeID]int{}
	addNode := func(id NodeID, t int64) {
		if i, ok := seen[id]; ok {
			// A date beats none (an edge only undated assertions date),
			// as in the board's and the diagram's merges.
			c.Nodes[i].FirstSeen = EarliestDate(c.Nodes[i].FirstSeen, fromMicro(t))
			return
		}
		seen[id] = len(c.Nodes)
		c.Nodes = append(c.Nodes, ChainNode{ID: g.entity(id), Kind: string(kindNames[g.nodeAt(id).kind]),
			Label: Label(kindNames[g.nodeAt(id).kind], g.value(id)), FirstSeen: fromMicro(t)})
	}
	rootT := max(since, g.nodeAt(r).first)
	if opts.Backward {
		rootT = min(until, g.nodeAt(r).last)
	}
	addNode(r, rootT)
	// The walk is over: from here on the root's time is when the chain
	// holds it, not the walk's open bound (which would date the root's
	// tenant edge at the end of time in a backward chain).
	at[r] = rootT
	// So is a node reached from the root through assertions without a
	// time (which hold always) in a backward chain without Until: the walk
	// reached it at the open end (maxTime, year 148108, which JSON
	// refuses); it holds when the root does. Its edges' events are still
	// cited up to Until, as the root's are.
	var open map[NodeID]bool
	if opts.Backward {
		for id, t := range at {
			if t == maxTime {
				if open == nil {
					open = map[NodeID]bool{}
				}
				open[id], at[id] = true, rootT
			}
		}
	} else {
		// Forward without Since, a node reached through such assertions
		// was reached at the open start (minTime, which is no date): it is
		// dated as the root is, by its own first event; a node only
		// assertions name has none and stays undated. Its edges' events
		// are cited from Since, as the walk allowed.
		for id, t := range at {
			if t == minTime && id != r {
				if open == nil {
					open = map[NodeID]bool{}
				}
				open[id], at[id] = true, max(since, g.nodeAt(id).first)
			}
		}
	}
	for id, t := range at {
		if id != r {
			addNode(id, t)
		}
	}
	for id, ei := range via {
		e := g.edges.at(ei)
		var from, to int64
		if opts.Backward {
			from, to = since, at[e.to()]
			if e.to() == r || open[e.to()] {
				to = until
			}
		} else {
			from, to = at[e.from()], until
			if !g.relCausal[e.rel()] { // a seed edge from a context root
				from = minTime
			} else if open[e.from()] {
				from = since
			}
		}
		c.Edges = append(c.Edges, g.chainEdge(ei, at[id], from, to, nIDs))
	}
	// Tenants of reached mailboxes, resources and tokens; and, on request,
	// the identities, IPs and apps seen with reached credentials.
	for id, t := range at {
		k := g.nodeAt(id).kind
		for _, a := range g.outs(id) {
			ei := a.ei
			e := g.edges.at(ei)
			if e.rel() != relIn || (k != kMailbox && k != kResource && k != kToken) {
				continue
			}
			// A standing fact: cite its events from when the chain got
			// here, else its earliest.
			ct := max(g.eFirst(e), t)
			ce := g.chainEdge(ei, ct, t, until, nIDs)
			if len(ce.Events) == 0 {
				ce = g.chainEdge(ei, ct, minTime, maxTime, nIDs)
			}
			c.Edges = append(c.Edges, ce)
			addNode(e.to(), ct)
		}
		if !opts.Context || !isCredential(k) {
			continue
		}
		for _, a := range g.ins(id) {
			ei := a.ei
			e := g.edges.at(ei)
			if e.rel() != relUses && e.rel() != relOrigin && e.rel() != relClientOf {
				continue
			}
			if g.eLast(e) < t && g.eFirst(e) != minTime || g.eFirst(e) > until || e.from() == r {
				continue
			}
			ct := max(g.eFirst(e), t)
			ce := g.chainEdge(ei, ct, t, until, nIDs)
			c.Edges = append(c.Edges, ce)
			addNode(e.from(), ct)
		}
	}
	// Context nodes may have been added before a causal arrival was known
	// for them; first_seen stays the earliest.
	slices.SortFunc(c.Nodes, func(a, b ChainNode) int {
		return cmp.Or(a.FirstSeen.Compare(b.FirstSeen), strings.Compare(a.ID, b.ID))
	})
	slices.SortFunc(c.Edges, func(a, b ChainEdge) int {
		return cmp.Or(a.Time.Compare(b.Time), strings.Compare(a.From, b.From), strings.Compare(a.To, b.To),
			strings.Compare(a.Relation, b.Relation), strings.Compare(a.Evidence, b.Evidence))
	})
	return c, nil
}

func (g *Graph) hasCausalOut(id NodeID) bool {
	for _, a := range g.outs(id) {
		ei := a.ei
		if g.relCausal[g.edges.at(ei).rel()] {
			return true
		}
	}
	return false
}

// chainEdge describes edge ei for a chain: crossed at t, with the ids of its
// events in [from, to].
func (g *Graph) chainEdge(ei int32, t, from, to int64, n int) ChainEdge {
	e := g.edges.at(ei)
	ids := g.eventIDs(ei, from, to, n)
	if ids == nil {
		ids = []string{}
	}
	if g.eFirst(e) == minTime {
		t = minTime // an assertion without a time: no event carried the chain
	}
	return ChainEdge{From: g.entity(e.from()), To: g.entity(e.to()), Relation: g.relNames[e.rel()],
		Evidence: e.ev().String(), Time: fromMicro(t), Events: ids, Count: g.countIn(ei, from, to),
		Causal: g.relCausal[e.rel()]}
}

func (g *Graph) entity(id NodeID) string {
	n := g.nodeAt(id)
	return string(kindNames[n.kind]) + ":" + g.nameOf(n)
}

// Label returns a short display label for an entity value: long ARNs and
// resource ids keep their tail, long tokens and keys their head.
func Label(kind timeline.EntityKind, value string) string {
	const maxLen = 40
	r := []rune(value)
	if len(r) <= maxLen {
		return value
	}
	switch kind {
	case timeline.KindResource, timeline.KindIdentity:
		return "…" + string(r[len(r)-maxLen+1:])
	}
	return string(r[:maxLen-1]) + "…"
}

// WriteText writes the chain for a terminal: one line per edge in time
// order, "time  from —relation→ to  [evidence] n events: ids". Control
// characters from logs are written escaped, never raw.
func (c *Chain) WriteText(w io.Writer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "chain from %s: %d entities, %d links\n", printable(c.Root), len(c.Nodes), len(c.Edges))
	for _, e := range c.Edges {
		ids := strings.Join(e.Events, ", ")
		if len(e.Events) > 3 {
			ids = strings.Join(e.Events[:3], ", ") + ", …"
		}
		fmt.Fprintf(bw, "%-20s  %s —%s→ %s  [%s] %s: %s\n", StampOrUnknown(e.Time), printable(e.From),
			printable(e.Relation), printable(e.To), e.Evidence, plural(max(e.Count, len(e.Events)), "event"), printable(ids))
	}
	return bw.Flush()
}

// EarliestDate returns the earlier of a and b, where the zero time (no
// date: an assertion made without one) loses to any date. Merges of chain
// nodes and edges take their first date with it.
func EarliestDate(a, b time.Time) time.Time {
	if a.IsZero() || !b.IsZero() && b.Before(a) {
		return b
	}
	return a
}

// StampOrUnknown formats t in RFC 3339, or says "unknown" for the zero
// time (an assertion made without one).
func StampOrUnknown(t time.Time) string {
	if t.IsZero() {
		return "unknown"
	}
	return t.UTC().Format(time.RFC3339)
}

// printable quotes s when it holds control characters or invalid UTF-8
// (a terminal escape in a log must not reach the terminal).
func printable(s string) string {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\uFFFD' {
			return fmt.Sprintf("%q", s)
		}
	}
	return s
}
