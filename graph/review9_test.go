package graph_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/causeway-ir/causeway/graph"
	"github.com/causeway-ir/causeway/timeline"
)

// review9Base returns the events the time tests map: the scenarios and a
// slice of the synthetic case, every time truncated to a whole second (so
// that, in 2023-2024, every time is coded as an offset).
func review9Base(t testing.TB) map[string][]timeline.Event {
	t.Helper()
	var synth []timeline.Event
	for e, err := range newSynthCase(8_000).events() {
		if err != nil {
			t.Fatal(err)
		}
		synth = append(synth, e)
	}
	// Times out of order within windows, as the equivalence cases do.
	for i := 0; i+500 <= len(synth); i += 500 {
		w := synth[i : i+500]
		for j := range w {
			k := (j*7919 + i) % len(w)
			w[j], w[k] = w[k], w[j]
		}
	}
	m := map[string][]timeline.Event{"storm": stormEvents(), "findings": findingEvents(), "synth": synth}
	for _, es := range m {
		for i := range es {
			es[i].Time = es[i].Time.Truncate(time.Second)
		}
	}
	return m
}

// review9Dump writes what a graph answers about its nodes, edges and
// chains, every time passed through f first (the identity for a graph
// built from mapped events; the map for one built from the originals), so
// that two graphs of the same events under a strictly increasing time map
// dump alike. The chains' windows are given in the original times and
// mapped by f.
func review9Dump(t testing.TB, g *graph.Graph, f func(time.Time) time.Time, orig func(time.Time) time.Time, roots []string, wins [][2]time.Time) string {
	t.Helper()
	var sb strings.Builder
	w := bufio.NewWriter(&sb)
	ft := func(tm time.Time) string {
		if tm.IsZero() {
			return "zero"
		}
		return f(tm).UTC().Format(time.RFC3339Nano)
	}
	for id := range graph.NodeID(g.Len()) {
		n := g.Node(id)
		fmt.Fprintf(w, "node %d %s %s..%s n=%d\n", id, n.Entity(), ft(n.First), ft(n.Last), n.Count)
		for _, out := range []bool{true, false} {
			for _, e := range g.Edges(id, out) {
				fmt.Fprintf(w, "  edge %v %d->%d %s %s %s..%s n=%d %v\n", out, e.From, e.To, e.Relation, e.Evidence,
					ft(e.First), ft(e.Last), e.Count, e.Events)
			}
		}
	}
	for _, root := range roots {
		for _, win := range wins {
			for _, back := range []bool{false, true} {
				opts := graph.ChainOptions{Backward: back, Context: !back, EventIDs: 5}
				if !win[0].IsZero() {
					opts.Since = orig(win[0])
				}
				if !win[1].IsZero() {
					opts.Until = orig(win[1])
				}
				c, err := g.Chain(root, opts)
				if err != nil {
					fmt.Fprintf(w, "chain %s %v %v: %v\n", root, win, back, err)
					continue
				}
				for i := range c.Nodes {
					if !c.Nodes[i].FirstSeen.IsZero() {
						c.Nodes[i].FirstSeen = f(c.Nodes[i].FirstSeen).UTC()
					}
				}
				for i := range c.Edges {
					if !c.Edges[i].Time.IsZero() {
						c.Edges[i].Time = f(c.Edges[i].Time).UTC()
					}
				}
				b, err := json.Marshal(c)
				if err != nil {
					t.Fatalf("chain %s %+v: %v: %+v", root, opts, err, c)
				}
				fmt.Fprintf(w, "chain %s %v %s\n", root, back, b)
				for _, e := range c.Edges {
					fmt.Fprintf(w, "  count %d\n", e.Count)
				}
			}
		}
	}
	w.Flush()
	return sb.String()
}

// review9Roots picks chain roots of every kind that leads somewhere, and
// windows (in g's times: whole seconds inside its span and open ends).
func review9Roots(g *graph.Graph) ([]string, [][2]time.Time) {
	var roots []string
	per := map[timeline.EntityKind]int{}
	for id := range graph.NodeID(g.Len()) {
		n := g.Node(id)
		switch n.Kind {
		case timeline.KindKey, timeline.KindToken, timeline.KindMailbox, timeline.KindIdentity, timeline.KindResource:
			if per[n.Kind] < 12 && (id%7 == 0 || n.Kind == timeline.KindKey) {
				per[n.Kind]++
				roots = append(roots, n.Entity())
			}
		}
	}
	first, last := g.Node(0).First, g.Node(0).Last
	for id := range graph.NodeID(g.Len()) {
		n := g.Node(id)
		if n.First.Before(first) {
			first = n.First
		}
		if n.Last.After(last) {
			last = n.Last
		}
	}
	mid := first.Add(last.Sub(first) / 2).Truncate(time.Second)
	return roots, [][2]time.Time{{}, {mid, time.Time{}}, {time.Time{}, mid}, {first.Add(time.Hour), mid.Add(time.Hour)}, {mid, mid}}
}

// TestReview9TimeMaps builds the same events with their times moved by
// strictly increasing maps that put them where the edges' 32-bit time
// codes change: all sub-second (handles), before 2000, before 1970
// (negative), after 2068, in year 1, straddling 2000 and 2068, and half of
// them whole seconds and half not (offsets and handles in one edge). Every
// node, edge (first, last, count, evidence ids) and chain (windows
// mapped too) must be the original's, its times mapped.
func TestReview9TimeMaps(t *testing.T) {
	base := review9Base(t)
	for name, es := range base {
		// The synthetic case (8,000 events) through the maps that mix codes
		// only: a build and its chains take a second or two each.
		var only []string
		if name == "synth" {
			only = []string{"halves", "across2068", "1963"}
		}
		t.Run(name, func(t *testing.T) { review9TimeMaps(t, es, graph.Options{}, only...) })
	}
	// Context edges keeping 1, 2 and 3 ids, causal ones 1 to 48.
	for _, n := range []int{1, 16, 33, 48} {
		t.Run(fmt.Sprintf("storm-ids%d", n), func(t *testing.T) {
			review9TimeMaps(t, base["storm"], graph.Options{EventIDs: n})
		})
	}
}

// review9TimeMaps is TestReview9TimeMaps for events es and options o,
// through the maps named in only (all if none).
func review9TimeMaps(t *testing.T, es []timeline.Event, o graph.Options, only ...string) {
	y2000 := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	y2068 := time.Unix(946684800+1<<31, 0).UTC() // the first whole second coded as a handle
	// Not 1 January: its midnight is the zero time.Time, which means no time.
	year1 := time.Date(1, 3, 1, 0, 0, 0, 0, time.UTC)
	shift := func(d time.Duration) func(time.Time) time.Time {
		return func(tm time.Time) time.Time { return tm.Add(d) }
	}
	years := func(y int) func(time.Time) time.Time {
		return func(tm time.Time) time.Time { return tm.AddDate(y, 0, 0) }
	}
	{
		g0, err := graph.Build(t.Context(), graph.Events(es), o)
		if err != nil {
			t.Fatal(err)
		}
		roots, wins := review9Roots(g0)
		t0 := g0.Node(0).First
		// stretch maps t to at + 1.5 (t - t0): odd seconds after t0 become
		// half seconds, even ones stay whole.
		stretch := func(at time.Time) func(time.Time) time.Time {
			return func(tm time.Time) time.Time { return at.Add(tm.Sub(t0) * 3 / 2) }
		}
		span := g0.Node(0).Last.Sub(t0)
		maps := map[string]func(time.Time) time.Time{
			"plus1us":      shift(time.Microsecond),
			"minus1us":     shift(-time.Microsecond),
			"plus1ns":      shift(time.Nanosecond), // below Build's microseconds: nothing changes
			"1993":         years(-30),
			"1963":         years(-60),
			"2074":         years(50),
			"halves":       stretch(t0),
			"across2000":   stretch(y2000.Add(-span / 2).Truncate(time.Second)),
			"across2068":   stretch(y2068.Add(-span / 2).Truncate(time.Second)),
			"year1":        func(tm time.Time) time.Time { return year1.Add(tm.Sub(t0)) },
			"across2068us": func(tm time.Time) time.Time { return y2068.Add(tm.Sub(t0) - span/2 + time.Microsecond) },
		}
		for mname, f := range maps {
			if len(only) > 0 && !slices.Contains(only, mname) {
				continue
			}
			t.Run(mname, func(t *testing.T) {
				fe := f
				if mname == "plus1ns" {
					fe = func(tm time.Time) time.Time { return tm } // Build keeps microseconds
				}
				mapped := make([]timeline.Event, len(es))
				for i := range es {
					mapped[i] = es[i]
					mapped[i].Time = f(es[i].Time)
				}
				g, err := graph.Build(t.Context(), graph.Events(mapped), o)
				if err != nil {
					t.Fatal(err)
				}
				id := func(tm time.Time) time.Time { return tm }
				want := review9Dump(t, g0, fe, id, roots, wins)
				got := review9Dump(t, g, id, f, roots, wins)
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("graph of the mapped events differs (-want +got):\n%s", firstLines(diff, 40))
				}
				if mname == "plus1us" || mname == "plus1ns" {
					// Findings' summaries print whole seconds and days: a
					// microsecond later (every time a handle) only their
					// times move.
					for _, fo := range []graph.FindingOptions{{}, {Baseline: time.Hour, EventIDs: 3}} {
						fs := g0.Findings(fo)
						for i := range fs {
							if fs[i].Rule != "coverage-gap" { // a day's start, not an event's time
								fs[i].Time = fe(fs[i].Time)
							}
						}
						w, _ := json.Marshal(fs)
						g, _ := json.Marshal(g.Findings(fo))
						if diff := cmp.Diff(string(w), string(g)); diff != "" {
							t.Errorf("findings %+v differ (-want +got):\n%s", fo, diff)
						}
					}
				}
			})
		}
	}
}

// firstLines returns at most n lines of s.
func firstLines(s string, n int) string {
	ls := strings.SplitAfter(s, "\n")
	if len(ls) > n {
		ls = append(ls[:n], fmt.Sprintf("... %d more lines\n", len(ls)-n))
	}
	return strings.Join(ls, "")
}

// TestReview9BuildCaseGC builds a case whose nodes adopt the scan's
// dictionaries (values in arrays the collector does not trace), then
// collects and churns the heap many times, dropping the case, and checks
// that every value, edge and chain is still what Build over the same
// events answers: the values' bytes must stay alive through what the
// graph holds. Half the times are sub-second, so edges mix offset and
// handle time codes. Run it with GOGC=1 and -race, or under
// -gcflags=all=-d=checkptr, for more.
func TestReview9BuildCaseGC(t *testing.T) {
	es := review9Base(t)["synth"]
	for len(es) < 20_000 { // more batches, so dictionaries grow between them
		more := slices.Clone(es[:min(len(es), 20_000-len(es))])
		for i := range more {
			more[i].ID = fmt.Sprintf("%s-%d", more[i].ID, len(es))
			more[i].Time = more[i].Time.Add(time.Duration(len(es)) * time.Millisecond)
			more[i].TokenID = strings.ToUpper(more[i].TokenID) + fmt.Sprint(len(es))
		}
		es = append(es, more...)
	}
	mixed := make([]timeline.Event, len(es))
	for i := range es {
		mixed[i] = es[i]
		if i%2 == 1 {
			mixed[i].Time = es[i].Time.Add(time.Duration(i%1000) * time.Millisecond)
		}
	}
	id := func(tm time.Time) time.Time { return tm }
	var roots []string
	var wins [][2]time.Time
	var wantDump string
	got := func() *graph.Graph {
		c := smallPartsCase(t, "review9", mixed, 2000)
		// The graph of the case's events in the case's order, through Build.
		want, err := graph.Build(t.Context(), c.All(t.Context(), timeline.Query{}), graph.Options{})
		if err != nil {
			t.Fatal(err)
		}
		roots, wins = review9Roots(want)
		roots = roots[:min(len(roots), 16)]
		wantDump = review9Dump(t, want, id, id, roots, wins)
		g, err := graph.BuildCase(t.Context(), c, graph.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return g
	}()
	// The case, its scan and every snapshot but the graph's are garbage
	// now: collect, and write over freed memory with strings of the same
	// sizes as the values.
	var junk [][]string
	for round := range 6 {
		runtime.GC()
		batch := make([]string, 0, 50_000)
		for i := range 50_000 {
			batch = append(batch, strings.Repeat(string(rune('A'+(i+round)%26)), 8+i%40))
		}
		junk = append(junk, batch)
		if len(junk) > 2 {
			junk = junk[1:]
		}
	}
	runtime.GC()
	if diff := cmp.Diff(wantDump, review9Dump(t, got, id, id, roots, wins)); diff != "" {
		t.Errorf("BuildCase after collections differs from Build (-want +got):\n%s", firstLines(diff, 40))
	}
	runtime.KeepAlive(junk)
}

// TestReview9ConcurrentReaders asks a freshly built case graph (no kind
// indexed yet) from many goroutines at once, as webui's handlers do:
// lookups of every kind (exact and in another case, with and without a
// kind), chains and edges, then findings, each answer compared with one
// given alone afterwards. Run with -race.
func TestReview9ConcurrentReaders(t *testing.T) {
	es := review9Base(t)["findings"]
	c := smallPartsCase(t, "review9", es, 2000)
	g, err := graph.BuildCase(t.Context(), c, graph.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for id := range graph.NodeID(g.Len()) {
		names = append(names, g.Node(id).Entity())
	}
	type answer struct {
		id    graph.NodeID
		err   string
		chain string
	}
	ask := func(s string) answer {
		var a answer
		id, err := g.Lookup(s)
		a.id = id
		if err != nil {
			a.err = err.Error()
			return a
		}
		ch, err := g.Chain(s, graph.ChainOptions{Context: true})
		if err != nil {
			a.chain = err.Error()
		} else {
			b, _ := json.Marshal(ch)
			a.chain = string(b)
		}
		return a
	}
	queries := make([]string, 0, 3*len(names))
	for _, n := range names {
		k, v, _ := strings.Cut(n, ":")
		queries = append(queries, n, strings.ToUpper(k)+":"+strings.ToUpper(v), v)
	}
	got := make([]answer, len(queries))
	var findings [4]string
	var wg sync.WaitGroup
	const workers = 8
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Each worker walks the queries from its own place.
			for j := range queries {
				i := (j + w*len(queries)/workers) % len(queries)
				if i%workers == w {
					got[i] = ask(queries[i])
				} else if j%16 == 0 {
					ask(queries[i])
				}
			}
			if w < len(findings) {
				b, _ := json.Marshal(g.Findings(graph.FindingOptions{}))
				findings[w] = string(b)
			}
		}()
	}
	wg.Wait()
	for i, q := range queries {
		if want := ask(q); want != got[i] {
			t.Errorf("%q: concurrently %+v, alone %+v", q, got[i], want)
		}
	}
	b, _ := json.Marshal(g.Findings(graph.FindingOptions{}))
	for w, f := range findings {
		if f != string(b) {
			t.Errorf("findings of worker %d differ from those asked alone", w)
		}
	}
	for i, n := range names {
		if id, err := g.Lookup(n); err != nil || id != graph.NodeID(i) {
			t.Errorf("Lookup(%q) = %d, %v; want %d", n, id, err, i)
		}
	}
}

// TestReview9LongValue builds events naming a value of longNameLen
// (0xff0000) bytes and more, and others just below, next to short ones:
// each node must give back its value and be found by it.
func TestReview9LongValue(t *testing.T) {
	const longNameLen = 0xff << 16
	at := time.Date(2023, 6, 1, 0, 0, 0, 0, time.UTC)
	var es []timeline.Event
	var vals []string
	for i, n := range []int{10, longNameLen - 1, longNameLen, 5, longNameLen + 17, 1 << 20, 1<<20 - 1, 3} {
		v := fmt.Sprintf("%d-", i) + strings.Repeat(string(rune('a'+i)), n)
		vals = append(vals, v)
		es = append(es, timeline.Event{ID: fmt.Sprintf("e%d", i), Time: at.Add(time.Duration(i) * time.Second),
			Source: "m365.ual", Category: timeline.CategoryMail, Action: "MailItemsAccessed",
			TokenID: fmt.Sprintf("tok%d", i), Target: v, TargetKind: string(timeline.KindResource)})
	}
	g, err := graph.Build(t.Context(), graph.Events(es), graph.Options{})
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for id := range graph.NodeID(g.Len()) {
		n := g.Node(id)
		if n.Kind != timeline.KindResource {
			continue
		}
		i := strings.IndexByte(n.Value, '-')
		var k int
		if _, err := fmt.Sscan(n.Value[:max(i, 0)], &k); err != nil || k >= len(vals) || n.Value != vals[k] {
			t.Errorf("node %d: value of %d bytes is not one given", id, len(n.Value))
			continue
		}
		found++
		if got, err := g.Lookup("resource:" + vals[k]); err != nil || got != id {
			t.Errorf("value %d (%d bytes): Lookup %d, %v; want %d", k, len(vals[k]), got, err, id)
		}
	}
	if found != len(vals) {
		t.Errorf("%d resource nodes with their values, want %d", found, len(vals))
	}
}

// TestReview9AssertionsAroundReaders adds assertions (times whole, sub-
// second, after 2068 and none) to a case graph before any kind is looked
// up, and to another after readers have indexed kinds, then reads both
// from several goroutines at once: each must answer as Build over the
// case with the same assertions, read alone. Run with -race.
func TestReview9AssertionsAroundReaders(t *testing.T) {
	c := smallPartsCase(t, "review9", findingEvents(), 2000)
	tok := ""
	for _, e := range findingEvents() {
		if e.TokenID != "" {
			tok = e.TokenID
			break
		}
	}
	as := []timeline.Assertion{
		{ID: 1, From: timeline.Entity{Kind: timeline.KindKey, Value: "review9-key"},
			To: timeline.Entity{Kind: timeline.KindToken, Value: strings.ToUpper(tok)}, Relation: "signed",
			At: time.Date(2023, 5, 31, 12, 0, 0, 500_000, time.UTC)},
		{ID: 2, From: timeline.Entity{Kind: timeline.KindKey, Value: "review9-key"},
			To: timeline.Entity{Kind: timeline.KindMailbox, Value: "bob@contoso.com"}, Relation: "read",
			At: time.Date(2023, 6, 2, 0, 0, 0, 0, time.UTC)},
		{ID: 3, From: timeline.Entity{Kind: timeline.KindIdentity, Value: "review9@example.com"},
			To: timeline.Entity{Kind: timeline.KindKey, Value: "review9-key"}, Relation: "holds",
			At: time.Date(2023, 5, 1, 0, 0, 0, 0, time.UTC)},
		// Without a time ("always"): forward chains only reach it (see
		// TestReview9BackwardUntimedAssertion).
		{ID: 5, From: timeline.Entity{Kind: timeline.KindKey, Value: "review9-key"},
			To: timeline.Entity{Kind: timeline.KindResource, Value: "review9-always"}, Relation: "reads"},
		{ID: 4, From: timeline.Entity{Kind: timeline.KindKey, Value: "review9-key"},
			To: timeline.Entity{Kind: timeline.KindResource, Value: "review9-late"}, At: time.Date(2080, 1, 1, 0, 0, 0, 0, time.UTC)},
	}
	want, err := graph.Build(t.Context(), c.All(t.Context(), timeline.Query{}), graph.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := want.AddAssertions(as); err != nil {
		t.Fatal(err)
	}
	roots, wins := review9Roots(want)
	roots = append(roots[:min(len(roots), 10)], "key:review9-key", "identity:REVIEW9@example.com", "review9-late")
	id := func(tm time.Time) time.Time { return tm }
	wantDump := review9Dump(t, want, id, id, roots, wins)
	readAll := func(t *testing.T, g *graph.Graph) {
		var wg sync.WaitGroup
		dumps := make([]string, 4)
		for i := range dumps {
			wg.Go(func() { dumps[i] = review9Dump(t, g, id, id, roots, wins) })
		}
		wg.Wait()
		for i, d := range dumps {
			if diff := cmp.Diff(wantDump, d); diff != "" {
				t.Errorf("reader %d (-want +got):\n%s", i, firstLines(diff, 30))
			}
		}
	}
	t.Run("before", func(t *testing.T) {
		g, err := graph.BuildCase(t.Context(), c, graph.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := g.AddAssertions(as); err != nil {
			t.Fatal(err)
		}
		readAll(t, g)
	})
	t.Run("after", func(t *testing.T) {
		g, err := graph.BuildCase(t.Context(), c, graph.Options{})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for _, r := range roots {
			wg.Go(func() { g.Lookup(r) })
		}
		wg.Wait()
		if err := g.AddAssertions(as); err != nil {
			t.Fatal(err)
		}
		readAll(t, g)
	})
}
