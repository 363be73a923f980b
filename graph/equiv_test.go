package graph_test

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/causeway-ir/causeway/graph"
	"github.com/causeway-ir/causeway/timeline"
)

var updateEquiv = flag.Bool("update-equiv", false, "rewrite testdata/equiv.golden")

// dumpGraph writes everything a graph answers through its API: every node
// and edge with its evidence sample, every finding, and chains from keys,
// tokens, mailboxes and identities, forward, backward, windowed and with
// context. Two graphs with equal dumps answer alike.
func dumpGraph(t testing.TB, g *graph.Graph, w *bufio.Writer) {
	t.Helper()
	var keys, tokens, mailboxes, identities []string
	for id := range graph.NodeID(g.Len()) {
		n := g.Node(id)
		fmt.Fprintf(w, "node %d %s first=%s last=%s count=%d\n", id, n.Entity(), n.First.Format(time.RFC3339Nano),
			n.Last.Format(time.RFC3339Nano), n.Count)
		for _, out := range []bool{true, false} {
			for _, e := range g.Edges(id, out) {
				fmt.Fprintf(w, "  edge out=%v %d->%d %s causal=%v %s %s..%s n=%d %v\n", out, e.From, e.To, e.Relation, e.Causal,
					e.Evidence, e.First.Format(time.RFC3339Nano), e.Last.Format(time.RFC3339Nano), e.Count, e.Events)
			}
		}
		switch n.Kind {
		case timeline.KindKey:
			keys = append(keys, n.Entity())
		case timeline.KindToken:
			tokens = append(tokens, n.Entity())
		case timeline.KindMailbox:
			mailboxes = append(mailboxes, n.Entity())
		case timeline.KindIdentity:
			identities = append(identities, n.Entity())
		}
	}
	counts := g.KindCounts()
	for _, k := range slices.Sorted(maps.Keys(counts)) {
		fmt.Fprintf(w, "kind %s %d\n", k, counts[k])
	}
	fs := g.Findings(graph.FindingOptions{})
	b, err := json.Marshal(fs)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(w, "findings %s\n", b)
	fs = g.Findings(graph.FindingOptions{Baseline: time.Hour, EventIDs: 3})
	b, _ = json.Marshal(fs)
	fmt.Fprintf(w, "findings-hour %s\n", b)
	sample := func(s []string, n int) []string {
		if len(s) <= n {
			return s
		}
		out := make([]string, 0, n)
		for i := range n {
			out = append(out, s[i*len(s)/n])
		}
		return out
	}
	var first, last time.Time
	if g.Len() > 0 {
		first, last = g.Node(0).First, g.Node(0).Last
	}
	mid := first.Add(last.Sub(first) / 2)
	type chainCase struct {
		root string
		opts graph.ChainOptions
	}
	var cases []chainCase
	for _, k := range sample(keys, 40) {
		cases = append(cases, chainCase{k, graph.ChainOptions{}}, chainCase{k, graph.ChainOptions{Since: mid, Context: true, EventIDs: 5}})
	}
	for _, tok := range sample(tokens, 60) {
		cases = append(cases, chainCase{tok, graph.ChainOptions{}}, chainCase{tok, graph.ChainOptions{Backward: true}})
	}
	for _, m := range sample(mailboxes, 40) {
		cases = append(cases, chainCase{m, graph.ChainOptions{Backward: true}}, chainCase{strings.ToUpper(m), graph.ChainOptions{Backward: true, Until: mid}})
	}
	for _, id := range sample(identities, 20) {
		cases = append(cases, chainCase{id, graph.ChainOptions{Context: true}})
	}
	// The busiest nodes, out and in, through windows of the case.
	var busyOut, busyIn graph.NodeID
	nOut, nIn := -1, -1
	for id := range graph.NodeID(g.Len()) {
		if n := len(g.Edges(id, true)); n > nOut {
			busyOut, nOut = id, n
		}
		if n := len(g.Edges(id, false)); n > nIn {
			busyIn, nIn = id, n
		}
	}
	if g.Len() > 0 {
		for _, w := range [][2]time.Time{{first, mid}, {mid, last}, {mid, mid.Add(time.Hour)}, {first.Add(time.Hour), last.Add(-time.Hour)}} {
			cases = append(cases,
				chainCase{g.Node(busyOut).Entity(), graph.ChainOptions{Since: w[0], Until: w[1]}},
				chainCase{g.Node(busyOut).Entity(), graph.ChainOptions{Since: w[0], Until: w[1], Backward: true}},
				chainCase{g.Node(busyIn).Entity(), graph.ChainOptions{Since: w[0], Until: w[1], Backward: true}},
				chainCase{g.Node(busyIn).Entity(), graph.ChainOptions{Since: w[0], Until: w[1], Context: true}})
		}
	}
	for _, cc := range cases {
		c, err := g.Chain(cc.root, cc.opts)
		if err != nil {
			fmt.Fprintf(w, "chain %s %+v: %v\n", cc.root, cc.opts, err)
			continue
		}
		b, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(w, "chain %s %+v %s\n", cc.root, cc.opts, b)
		for _, e := range c.Edges {
			fmt.Fprintf(w, "  count %d\n", e.Count)
		}
	}
}

// equivCases are event sets whose graphs must not change when Build does:
// the scenarios, and synthetic cases in generation order, with times
// coarsened to the hour (ties everywhere) and shuffled (times out of order).
func equivCases() map[string][]timeline.Event {
	m := map[string][]timeline.Event{
		"storm": stormEvents(), "aws": awsEvents(), "findings": findingEvents(), "time-travel": timeTravel(),
	}
	var synth []timeline.Event
	for e, err := range newSynthCase(120_000).events() {
		if err != nil {
			panic(err)
		}
		synth = append(synth, e)
	}
	m["synth"] = synth
	coarse := slices.Clone(synth)
	for i := range coarse {
		coarse[i].Time = coarse[i].Time.Truncate(time.Hour)
		if i%7 == 0 {
			// Values differing in case only, and failures.
			coarse[i].Actor = strings.ToUpper(coarse[i].Actor)
			coarse[i].Outcome = timeline.OutcomeFailure
		}
	}
	m["coarse"] = coarse
	shuffled := slices.Clone(synth)
	for i := 0; i+1000 <= len(shuffled); i += 1000 {
		w := shuffled[i : i+1000]
		for j := range w {
			k := (j*7919 + i) % len(w)
			w[j], w[k] = w[k], w[j]
		}
	}
	m["shuffled"] = shuffled
	return m
}

func dumpHash(t testing.TB, g *graph.Graph, name string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name+".dump")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	w := bufio.NewWriter(f)
	dumpGraph(t, g, w)
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	h.Write(b)
	if dir := os.Getenv("CAUSEWAY_DUMP_DIR"); dir != "" {
		os.WriteFile(filepath.Join(dir, name+".dump"), b, 0o644)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// TestBuildUnchanged compares what graphs of fixed event sets answer with
// the hashes recorded in testdata/equiv.golden: a change to Build that
// changes any node, edge, evidence sample, finding or chain fails it. To
// see what changed, set CAUSEWAY_DUMP_DIR and diff the dumps of two
// versions; rewrite the hashes with -update-equiv only for an intended
// change.
func TestBuildUnchanged(t *testing.T) {
	if testing.Short() {
		t.Skip("builds several 120k-event graphs")
	}
	cases := equivCases()
	names := make([]string, 0, len(cases))
	for name := range cases {
		names = append(names, name)
	}
	slices.Sort(names)
	var lines []string
	for _, name := range names {
		g, err := graph.Build(t.Context(), graph.Events(cases[name]), graph.Options{})
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, name+" "+dumpHash(t, g, name))
	}
	got := strings.Join(lines, "\n") + "\n"
	path := filepath.Join("testdata", "equiv.golden")
	if *updateEquiv {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("graphs changed:\ngot\n%swant\n%s", got, want)
	}
}

// TestBuildCase checks that BuildCase, which reads only Columns and decodes
// parts in parallel, answers exactly as Build over every event of the case.
func TestBuildCase(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 120k-event case")
	}
	cases := equivCases()
	for _, name := range []string{"storm", "findings", "coarse"} {
		t.Run(name, func(t *testing.T) {
			c := smallPartsCase(t, "equiv", cases[name], 5000)
			want, err := graph.Build(t.Context(), c.All(t.Context(), timeline.Query{}), graph.Options{})
			if err != nil {
				t.Fatal(err)
			}
			got, err := graph.BuildCase(t.Context(), c, graph.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if w, g := dumpHash(t, want, name+"-all"), dumpHash(t, got, name+"-case"); w != g {
				t.Errorf("BuildCase and Build over All differ (set CAUSEWAY_DUMP_DIR to diff them)")
			}
			if want.Len() == 0 || want.EdgeCount() == 0 {
				t.Error("empty graph")
			}
		})
	}
}

// smallPartsCase writes es (each with a message) into a new case with
// small buffers, which make many parts per source and day, and row groups
// of rowGroupRows rows, so that a scan's dictionaries grow from batch to
// batch.
func smallPartsCase(t testing.TB, name string, es []timeline.Event, rowGroupRows int64) *timeline.Case {
	t.Helper()
	c, err := timeline.Create(filepath.Join(t.TempDir(), "case"), name, benchBase)
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.BeginRun(timeline.RunOptions{MaxBuffered: 1 << 20, RowGroupRows: rowGroupRows})
	if err != nil {
		t.Fatal(err)
	}
	for i := range es {
		e := es[i]
		e.Message = "m " + e.ID
		if _, err := r.Add(&e); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := r.Commit(); err != nil {
		t.Fatal(err)
	}
	if c, err = timeline.Open(c.Dir()); err != nil {
		t.Fatal(err)
	}
	return c
}
