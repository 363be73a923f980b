package graph_test

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/causeway-ir/causeway/graph"
	"github.com/causeway-ir/causeway/importers"
	"github.com/causeway-ir/causeway/samples"
	"github.com/causeway-ir/causeway/timeline"
	"github.com/google/go-cmp/cmp"
)

// memSink keeps imported events in memory, deduplicated as a case run
// does: the same (source, id, time, action) twice is one event.
type memSink struct {
	events  []timeline.Event
	seen    map[string]bool
	rejects []*timeline.ParseError
}

func (s *memSink) Add(e *timeline.Event) (timeline.AddResult, error) {
	k := e.Source + "\x00" + e.ID + "\x00" + e.Time.String() + "\x00" + e.Action
	if s.seen[k] {
		return timeline.Duplicate, nil
	}
	s.seen[k] = true
	s.events = append(s.events, e.Clone())
	return timeline.Added, nil
}

func (s *memSink) Reject(err *timeline.ParseError) error {
	s.rejects = append(s.rejects, err)
	return nil
}

func (s *memSink) AddFile(timeline.FileRecord) {}

// TestSampleTruth rebuilds, for every scenario, the chain from truth.json's
// root at the compromise window's start and compares it with the truth
// exactly (notes/truth-format.md): the keys and tokens reached, the
// mailboxes, the resources, and the tenants of those; and, with context,
// the attacker's addresses.
func TestSampleTruth(t *testing.T) {
	t.Parallel()
	for _, sc := range samples.Scenarios() {
		t.Run(sc.Name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			if _, err := samples.Generate(t.Context(), samples.Options{Scenario: sc.Name, Out: dir}); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(filepath.Join(dir, "truth.json"))
			if err != nil {
				t.Fatal(err)
			}
			var truth samples.Truth
			if err := json.Unmarshal(b, &truth); err != nil {
				t.Fatalf("truth.json: %v", err)
			}
			var paths []string
			err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
				if err == nil && !d.IsDir() && d.Name() != "truth.json" {
					paths = append(paths, p)
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			sink := &memSink{seen: map[string]bool{}}
			results, err := importers.Import(t.Context(), sink, paths, importers.Options{})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range results {
				if r.Failed() {
					t.Errorf("import %s: %s", strings.TrimPrefix(r.Path, dir), r.Error)
				}
			}
			for i, r := range sink.rejects {
				if i == 5 {
					t.Errorf("… %d rejects in all", len(sink.rejects))
					break
				}
				t.Errorf("reject: %v", r)
			}
			g, err := graph.Build(t.Context(), graph.Events(sink.events), graph.Options{})
			if err != nil {
				t.Fatal(err)
			}
			start, err := time.Parse(time.RFC3339, truth.CompromiseWindow.Start)
			if err != nil {
				t.Fatalf("compromise window start: %v", err)
			}
			c, err := g.Chain(truth.Root, graph.ChainOptions{Since: start})
			if err != nil {
				t.Fatalf("chain from %s: %v", truth.Root, err)
			}
			got := map[string][]string{}
			for _, n := range c.Nodes {
				got[n.Kind] = append(got[n.Kind], n.ID)
			}
			sorted := func(ss ...[]string) []string {
				out := []string{}
				for _, s := range ss {
					out = append(out, s...)
				}
				slices.Sort(out)
				return slices.Compact(out)
			}
			for _, cmpSet := range []struct {
				what      string
				want, got []string
			}{
				{"keys and tokens", sorted(truth.AttackerKeys, truth.AttackerTokens), sorted(got["key"], got["token"])},
				{"mailboxes", sorted(truth.ImpactedMailboxes), sorted(got["mailbox"])},
				{"resources", sorted(truth.ImpactedResources), sorted(got["resource"])},
				{"tenants", sorted(truth.ImpactedTenants), sorted(got["tenant"])},
			} {
				if diff := cmp.Diff(cmpSet.want, cmpSet.got); diff != "" {
					t.Errorf("%s reached from %s since %s (-truth +chain):\n%s", cmpSet.what, truth.Root, start.Format(time.RFC3339), diff)
				}
			}
			// With context, the addresses the reached credentials were used
			// from are the attacker's.
			cc, err := g.Chain(truth.Root, graph.ChainOptions{Since: start, Context: true})
			if err != nil {
				t.Fatal(err)
			}
			var ips []string
			for _, n := range cc.Nodes {
				if n.Kind == "ip" {
					ips = append(ips, n.ID)
				}
			}
			if diff := cmp.Diff(sorted(truth.AttackerIPs), sorted(ips)); diff != "" {
				t.Errorf("addresses of the reached credentials (-truth +chain):\n%s", diff)
			}
			t.Logf("%d events; chain of %d nodes and %d edges", len(sink.events), len(c.Nodes), len(c.Edges))
		})
	}
}
