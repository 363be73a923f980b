package timeline

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestEventsAgainstBruteForce pages through many queries on a case of
// overlapping parts (three runs, several sources and days) and compares
// every page and total with what a full scan says.
func TestEventsAgainstBruteForce(t *testing.T) {
	t.Parallel()
	c := newCase(t)
	rng := rand.New(rand.NewPCG(1, 2))
	sources := []string{"m365.ual", "entra.signin", "aws.cloudtrail"}
	outcomes := []Outcome{OutcomeSuccess, OutcomeFailure, OutcomeUnknown}
	n := 0
	for range 3 {
		var evs []Event
		for range 3000 {
			e := testEvent(n, sources[rng.IntN(len(sources))])
			// Spread over four days, runs overlapping in time; some
			// events share a timestamp.
			e.Time = t0.Add(time.Duration(rng.IntN(4*24*60)) * time.Minute)
			e.Outcome = outcomes[rng.IntN(3)]
			e.SrcIP = fmt.Sprintf("203.0.113.%d", rng.IntN(20))
			evs = append(evs, e)
			n++
		}
		importEvents(t, c, evs, RunOptions{MaxBuffered: 300 << 10, RowGroupRows: 700})
	}
	c, err := Open(c.Dir())
	if err != nil {
		t.Fatal(err)
	}
	var all []Event
	if err := c.Scan(t.Context(), Query{}, func(e *Event) error { all = append(all, *e); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(all) != n || len(c.Manifest().Parts) < 12 {
		t.Fatalf("%d events in %d parts: the fixture is wrong", len(all), len(c.Manifest().Parts))
	}
	brute := func(q Query) []string {
		var ids []Event
		for _, e := range all {
			if !q.Since.IsZero() && e.Time.Before(q.Since) || !q.Until.IsZero() && !e.Time.Before(q.Until) {
				continue
			}
			if len(q.Source) > 0 && !slices.Contains(q.Source, e.Source) {
				continue
			}
			ok := true
			for _, w := range q.Where {
				if !strings.EqualFold(e.Field(w.Column), w.Value) {
					ok = false
				}
			}
			if q.Text != "" {
				hit := false
				for _, s := range []string{e.Message, e.Actor, e.Target} {
					if bytes.Contains(bytes.ToLower([]byte(s)), bytes.ToLower([]byte(q.Text))) {
						hit = true
					}
				}
				ok = ok && hit
			}
			if ok {
				ids = append(ids, e)
			}
		}
		slices.SortStableFunc(ids, func(a, b Event) int { return a.Time.Compare(b.Time) })
		var out []string
		for _, e := range ids {
			out = append(out, e.ID)
		}
		return out
	}
	queries := []Query{
		{},
		{Where: []Cond{{"outcome", "success"}}},
		{Source: []string{"m365.ual"}, Where: []Cond{{"outcome", "SUCCESS"}}}, // conditions ignore case
		{Where: []Cond{{"source", "entra.signin"}, {"outcome", "failure"}}},
		{Where: []Cond{{"src_ip", "203.0.113.7"}}, Since: t0.Add(30 * time.Hour), Until: t0.Add(80 * time.Hour)},
		{Since: t0.Add(24 * time.Hour), Until: t0.Add(48 * time.Hour)},
		{Since: t0.Add(90 * time.Minute), Until: t0.Add(95 * time.Minute)},
		{Text: "user3"},
		{Where: []Cond{{"outcome", "nothing-has-this"}}},
		{Source: []string{"aws.cloudtrail", "entra.signin"}, Since: t0.Add(2 * time.Hour)},
	}
	byID := map[string]time.Time{}
	for _, e := range all {
		byID[e.ID] = e.Time
	}
	for qi, query := range queries {
		want := brute(query)
		for _, tc := range []struct{ limit, pages int }{{7, 5}, {250, 1000}, {5000, 1000}} {
			t.Run(fmt.Sprintf("q%d/limit%d", qi, tc.limit), func(t *testing.T) {
				q := query
				q.Limit = tc.limit
				var got []string
				for range tc.pages {
					p, err := c.Events(t.Context(), q)
					if err != nil {
						t.Fatal(err)
					}
					if p.Total != int64(len(want)) {
						t.Fatalf("total %d, want %d", p.Total, len(want))
					}
					for _, e := range p.Events {
						got = append(got, e.ID)
					}
					if p.Next == "" {
						break
					}
					q.Cursor = p.Next
				}
				w := want
				if len(got) < len(w) {
					w = w[:len(got)]
					if tc.pages*tc.limit <= len(want) && len(got) != tc.pages*tc.limit {
						t.Fatalf("%d events in %d pages of %d", len(got), tc.pages, tc.limit)
					}
				}
				if len(got) != len(w) {
					t.Fatalf("%d events over all pages, want %d", len(got), len(w))
				}
				// Events with equal times may come in any order: compare
				// the times, then the sets (but at a cut page boundary).
				for i := range got {
					if !byID[got[i]].Equal(byID[w[i]]) {
						t.Fatalf("event %d: %s at %v, want time %v", i, got[i], byID[got[i]], byID[w[i]])
					}
				}
				if len(w) == len(want) {
					got, w := slices.Clone(got), slices.Clone(w)
					slices.Sort(got)
					slices.Sort(w)
					if diff := cmp.Diff(w, got); diff != "" {
						t.Fatalf("events differ (-want +got):\n%s", diff)
					}
				}
			})
		}
	}
}
