package graph

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/causeway-ir/causeway/timeline"
)

// review10Events are a mailbox read with token tok1 and a key's issue of
// tok2 an hour later, both in tenant t1.
func review10Events(base time.Time) []timeline.Event {
	return []timeline.Event{{
		ID: "r1", Time: base, Source: "m365.ual", Category: timeline.CategoryMail, Action: "MailItemsAccessed",
		Outcome: timeline.OutcomeSuccess, Actor: "a@contoso.com", Tenant: "t1", TokenID: "tok1",
		Target: "a@contoso.com", TargetKind: "mailbox",
	}, {
		ID: "k1", Time: base.Add(2 * time.Hour), Source: "entra.signin", Category: timeline.CategorySignin,
		Action: "Sign-in", Outcome: timeline.OutcomeSuccess, Tenant: "t1", KeyID: "signer",
		IssuedKind: timeline.IssuedToken, IssuedID: "tok2",
	}}
}

// review10Assert is an assertion without a time.
func review10Assert(id int64, rel string, fk timeline.EntityKind, fv string, tk timeline.EntityKind, tv string) timeline.Assertion {
	return timeline.Assertion{ID: id, Relation: rel, From: timeline.Entity{Kind: fk, Value: fv},
		To: timeline.Entity{Kind: tk, Value: tv}}
}

// TestReview10UndatedAssertionChains tries the undated assertions of
// 44880db where the walk's and the listing's other paths meet them: a
// node that both a dated and an undated edge name (a date beats none, as
// the board's and the diagram's merges have it), the seed edges of a
// context root under --since, and the context of reached credentials
// (an undated assertion holds in any window, as the walk now has it).
func TestReview10UndatedAssertionChains(t *testing.T) {
	t.Parallel()
	base := time.Date(2023, 6, 1, 0, 0, 0, 0, time.UTC)
	stamp := base.Add(2 * time.Hour).Format(time.RFC3339)
	for _, tc := range []struct {
		name    string
		asserts []timeline.Assertion
		root    string
		opts    ChainOptions
		// want maps entities that must be in the chain to their
		// first_seen ("" for none).
		want map[string]string
	}{{
		// tenant:t1 is dated by tok2's tenant edge (k1); the undated
		// mailbox m2 names it too, through an undated assertion. The
		// merge in Chain's addNode took the zero time as the earliest.
		name: "a tenant that a dated and an undated edge name keeps its date",
		asserts: []timeline.Assertion{
			review10Assert(1, "leaked", timeline.KindKey, "signer", timeline.KindMailbox, "m2@fabrikam.com"),
			review10Assert(2, RelIn, timeline.KindMailbox, "m2@fabrikam.com", timeline.KindTenant, "t1"),
		},
		root: "key:signer",
		want: map[string]string{"key:signer": stamp, "token:tok2": stamp, "mailbox:m2@fabrikam.com": "",
			"tenant:t1": stamp},
	}, {
		// The same with Since: m2 is reached at Since and t1 dated then
		// (the key by its first event, after Since).
		name: "a tenant that a dated and an undated edge name, since",
		asserts: []timeline.Assertion{
			review10Assert(1, "leaked", timeline.KindKey, "signer", timeline.KindMailbox, "m2@fabrikam.com"),
			review10Assert(2, RelIn, timeline.KindMailbox, "m2@fabrikam.com", timeline.KindTenant, "t1"),
		},
		root: "key:signer", opts: ChainOptions{Since: base.Add(time.Hour)},
		want: map[string]string{"key:signer": stamp, "token:tok2": stamp,
			"mailbox:m2@fabrikam.com": base.Add(time.Hour).Format(time.RFC3339),
			"tenant:t1":               base.Add(time.Hour).Format(time.RFC3339)},
	}, {
		// A context root begins with its credentials; an undated "uses"
		// assertion is one of them whatever the window.
		name:    "a context root's undated seed, open start",
		asserts: []timeline.Assertion{review10Assert(1, RelUses, timeline.KindIdentity, "mallory", timeline.KindToken, "tok2")},
		root:    "identity:mallory",
		want:    map[string]string{"identity:mallory": "", "token:tok2": stamp},
	}, {
		name:    "a context root's undated seed, since",
		asserts: []timeline.Assertion{review10Assert(1, RelUses, timeline.KindIdentity, "mallory", timeline.KindToken, "tok2")},
		root:    "identity:mallory", opts: ChainOptions{Since: base.Add(time.Hour)},
		// tok2 is reached at Since, as the walk crosses an undated
		// assertion when it stands at its tail.
		want: map[string]string{"identity:mallory": base.Add(time.Hour).Format(time.RFC3339),
			"token:tok2": base.Add(time.Hour).Format(time.RFC3339)},
	}, {
		// With Context, the identities seen with a reached credential:
		// an undated "uses" of tok2 holds when the chain reaches it.
		name:    "an undated context edge of a reached credential",
		asserts: []timeline.Assertion{review10Assert(1, RelUses, timeline.KindIdentity, "mallory", timeline.KindToken, "tok2")},
		root:    "key:signer", opts: ChainOptions{Context: true},
		want: map[string]string{"key:signer": stamp, "token:tok2": stamp, "identity:mallory": stamp},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g, err := Build(t.Context(), Events(review10Events(base)), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if err := g.AddAssertions(tc.asserts); err != nil {
				t.Fatal(err)
			}
			// Map order varies from call to call: every run must agree.
			for run := range 8 {
				c, err := g.Chain(tc.root, tc.opts)
				if err != nil {
					t.Fatal(err)
				}
				got := map[string]string{}
				for _, n := range c.Nodes {
					if _, ok := tc.want[n.ID]; !ok {
						continue
					}
					got[n.ID] = ""
					if !n.FirstSeen.IsZero() {
						got[n.ID] = n.FirstSeen.Format(time.RFC3339)
					}
				}
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Fatalf("run %d: first seen (-want +got):\n%s", run, diff)
				}
			}
		})
	}
}

// TestReview10UndatedAssertionOnHub: an undated assertion out of a hub
// key (hubSpanMin edges out and more, read through its edge spans) is
// crossed forward whatever Since, and backward into a hub mailbox (as
// many edges in) whatever Until: its span, first and last minTime, must
// not rule it out.
func TestReview10UndatedAssertionOnHub(t *testing.T) {
	t.Parallel()
	base := time.Date(2023, 6, 1, 0, 0, 0, 0, time.UTC)
	var evs []timeline.Event
	n := hubSpanMin + 16
	for i := range n {
		tok, at := fmt.Sprintf("tok%d", i), base.Add(time.Duration(i)*time.Minute)
		evs = append(evs, timeline.Event{
			ID: fmt.Sprintf("k%d", i), Time: at, Source: "entra.signin",
			Category: timeline.CategorySignin, Action: "Sign-in", Outcome: timeline.OutcomeSuccess, Tenant: "t1",
			KeyID: "signer", IssuedKind: timeline.IssuedToken, IssuedID: tok,
		}, timeline.Event{
			ID: fmt.Sprintf("r%d", i), Time: at.Add(time.Second), Source: "m365.ual", Category: timeline.CategoryMail,
			Action: "MailItemsAccessed", Outcome: timeline.OutcomeSuccess, Actor: "a@contoso.com", Tenant: "t1",
			TokenID: tok, Target: "m2@fabrikam.com", TargetKind: "mailbox",
		})
	}
	g, err := Build(t.Context(), Events(evs), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := g.AddAssertions([]timeline.Assertion{
		review10Assert(1, "leaked", timeline.KindKey, "signer", timeline.KindMailbox, "m2@fabrikam.com"),
	}); err != nil {
		t.Fatal(err)
	}
	late := base.Add(time.Duration(2*n) * time.Minute)
	if len(g.hubSpans) < 2 {
		t.Fatalf("%d hubs with edge spans, want the key's and the mailbox's", len(g.hubSpans))
	}
	for _, tc := range []struct {
		name string
		root string
		opts ChainOptions
		want string
	}{
		{"forward, open", "key:signer", ChainOptions{}, "mailbox:m2@fabrikam.com"},
		{"forward, since after every issue", "key:signer", ChainOptions{Since: late}, "mailbox:m2@fabrikam.com"},
		{"forward, window before every issue", "key:signer",
			ChainOptions{Since: base.Add(-2 * time.Hour), Until: base.Add(-time.Hour)}, "mailbox:m2@fabrikam.com"},
		{"backward, open", "mailbox:m2@fabrikam.com", ChainOptions{Backward: true}, "key:signer"},
		{"backward, until before every issue", "mailbox:m2@fabrikam.com",
			ChainOptions{Backward: true, Until: base.Add(-time.Hour)}, "key:signer"},
		{"backward, window before every issue", "mailbox:m2@fabrikam.com",
			ChainOptions{Backward: true, Since: base.Add(-2 * time.Hour), Until: base.Add(-time.Hour)}, "key:signer"},
		{"backward, since after every issue", "mailbox:m2@fabrikam.com",
			ChainOptions{Backward: true, Since: late}, "key:signer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := g.Chain(tc.root, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.ContainsFunc(c.Nodes, func(n ChainNode) bool { return n.ID == tc.want }) {
				t.Errorf("chain from %s lacks %s: %v", tc.root, tc.want, c.Nodes)
			}
			for _, e := range c.Edges {
				if e.Evidence == "asserted" && !e.Time.IsZero() {
					t.Errorf("undated assertion dated %v", e.Time)
				}
			}
		})
	}
}

// TestReview10CtxHeadCounts links context edges of 1 to 6 events, in
// rising, falling and tied times, for every cap, and checks the ids each
// cites: the earliest cap of them (of tied times, the first linked). A
// head of two refs moves for a third event (9715010); heads that moved
// give their room to later edges' heads, which must not see the old ids.
func TestReview10CtxHeadCounts(t *testing.T) {
	t.Parallel()
	type order int
	const (
		rising order = iota
		falling
		tied
		tiedThenEarlier // a tie at first, then earlier times that displace one of it
	)
	for half := 1; half <= maxCtxIDs; half++ {
		t.Run(fmt.Sprint("cap ", half), func(t *testing.T) {
			t.Parallel()
			g := newGraph(Options{EventIDs: 16 * half})
			if g.ctxIDCap != half {
				t.Fatalf("a context edge keeps %d ids, want %d", g.ctxIDCap, half)
			}
			type linked struct {
				ei   int32
				want []string
				name string
			}
			var all []linked
			t0 := int64(1686830834000000)
			// Rounds: the heads of one round move, and the next round's
			// new heads take the room they gave back.
			for round := range 3 {
				for _, o := range []order{rising, falling, tied, tiedThenEarlier} {
					for n := 1; n <= 6; n++ {
						name := fmt.Sprintf("round %d order %d n %d", round, o, n)
						from := g.newNode(kIdentity, name, t0)
						to := g.newNode(kToken, name, t0)
						type ev struct {
							t  int64
							id string
						}
						var evs []ev
						for i := range n {
							tm := t0 + int64(i)*1e6
							switch o {
							case falling:
								tm = t0 - int64(i)*1e6
							case tied:
								tm = t0 + int64(i/2)*1e6 // pairs of equal times
							case tiedThenEarlier:
								tm = t0
								if i >= 2 {
									tm = t0 - int64(10-i)*1e6
								}
							}
							evs = append(evs, ev{tm, fmt.Sprintf("%s/e%d", name, i)})
						}
						var ei int32
						for _, e := range evs {
							ei = g.link(from, to, relUses, Observed, e.t, g.ids.add(e.id))
						}
						sorted := slices.Clone(evs)
						slices.SortStableFunc(sorted, func(a, b ev) int { return cmpInt(a.t, b.t) })
						var want []string
						for _, e := range sorted[:min(n, half)] {
							want = append(want, e.id)
						}
						// eventIDs sorts the kept ids by time, then by id.
						slices.SortStableFunc(want, func(a, b string) int {
							ta, tb := evs[slices.IndexFunc(evs, func(e ev) bool { return e.id == a })].t,
								evs[slices.IndexFunc(evs, func(e ev) bool { return e.id == b })].t
							return cmpInt(ta, tb)
						})
						all = append(all, linked{ei, want, name})
					}
				}
			}
			for _, l := range all {
				got := g.eventIDs(l.ei, minTime, maxTime, 0)
				if diff := cmp.Diff(l.want, got); diff != "" {
					t.Errorf("%s: ids (-want +got):\n%s", l.name, diff)
				}
				// The head's room: two refs while it keeps two ids and may
				// keep more, else maxCtxIDs.
				if e := g.edges.at(l.ei); e.count > 1 {
					want := maxCtxIDs
					if half >= 3 && e.count <= 2 {
						want = 2
					}
					if got := len(g.ctxHeadOf(e.ref)); got != want {
						t.Errorf("%s: a head of %d events has room for %d, want %d", l.name, e.count, got, want)
					}
				}
			}
		})
	}
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// TestReview10CtxHeadsAcrossSlabChunks links context edges enough for
// their heads to fill several of Graph.cext's chunks (slabChunk refs: 32Ki
// heads of two, 16Ki of four), every third edge moving to four refs after
// the others were made, so that moved heads land in later chunks and
// give back room in earlier ones that the last edges take; every edge
// then cites its own events.
func TestReview10CtxHeadsAcrossSlabChunks(t *testing.T) {
	t.Parallel()
	g := newGraph(Options{EventIDs: 16 * maxCtxIDs})
	const n = 3*slabChunk/2 + 7
	t0 := int64(1686830834000000)
	type linked struct {
		from, to NodeID
		ids      []string
		ei       int32
	}
	es := make([]linked, n)
	add := func(l *linked, i, k int) {
		id := fmt.Sprintf("e%d/%d", i, k)
		l.ei = g.link(l.from, l.to, relUses, Observed, t0+int64(k)*1e6, g.ids.add(id))
		l.ids = append(l.ids, id)
	}
	for i := range es {
		es[i].from, es[i].to = g.newNode(kIdentity, fmt.Sprint(i), t0), g.newNode(kToken, fmt.Sprint(i), t0)
		add(&es[i], i, 0)
		add(&es[i], i, 1)
	}
	for i := 0; i < n; i += 3 {
		add(&es[i], i, 2)
	}
	more := make([]linked, slabChunk/2+3) // new heads in the room given back
	for i := range more {
		more[i].from, more[i].to = g.newNode(kIdentity, fmt.Sprint("more", i), t0), g.newNode(kToken, fmt.Sprint("more", i), t0)
		add(&more[i], n+i, 0)
		add(&more[i], n+i, 1)
	}
	if len(g.cext.chunks) < 4 {
		t.Fatalf("heads in %d chunks of the slab, want 4 or more", len(g.cext.chunks))
	}
	for _, l := range append(es, more...) {
		if got := g.eventIDs(l.ei, minTime, maxTime, 0); !slices.Equal(got, l.ids) {
			t.Fatalf("edge %d cites %v, want %v", l.ei, got, l.ids)
		}
	}
}
