package graph

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/causeway-ir/causeway/timeline"
	"github.com/google/go-cmp/cmp"
)

// TestHubSpans checks that chains through hubs answer the same with the
// hubs' edge spans as without: a mailbox read by 3000 tokens (a hub in), a
// key that signed them (a hub out), and an asserted edge without a time.
func TestHubSpans(t *testing.T) {
	base := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	var evs []timeline.Event
	for i := range 3000 {
		at := base.Add(time.Duration(i*7919%3000) * time.Minute)
		tok := fmt.Sprintf("tok-%04d", i)
		evs = append(evs,
			timeline.Event{ID: fmt.Sprintf("c%d", i), Time: at, Source: "jwt.capture", Category: timeline.CategoryToken,
				Outcome: timeline.OutcomeSuccess, TokenID: tok, KeyID: "hubkey", Tenant: "t1"},
			timeline.Event{ID: fmt.Sprintf("r%d", i), Time: at.Add(time.Minute), Source: "m365.ual",
				Category: timeline.CategoryMail, Outcome: timeline.OutcomeSuccess, TokenID: tok, Tenant: "t1",
				TargetKind: "mailbox", Target: "hub@example.com"})
	}
	g, err := Build(t.Context(), Events(evs), Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = g.AddAssertions([]timeline.Assertion{{ID: 1, From: timeline.Entity{Kind: timeline.KindKey, Value: "other"},
		To: timeline.Entity{Kind: timeline.KindMailbox, Value: "hub@example.com"}, Relation: "accessed"},
		// Undated, out of the hub key: it holds whatever the window.
		{ID: 2, From: timeline.Entity{Kind: timeline.KindKey, Value: "hubkey"},
			To: timeline.Entity{Kind: timeline.KindResource, Value: "arn:aws:s3:::loot"}, Relation: "copied"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(g.hubSpans) < 2 {
		t.Fatalf("want the key and the mailbox indexed as hubs, got %d", len(g.hubSpans))
	}
	var cases []ChainOptions
	for _, w := range [][2]time.Duration{{0, 0}, {time.Hour, 2 * time.Hour}, {20 * time.Hour, 21 * time.Hour}, {49 * time.Hour, 0}} {
		o := ChainOptions{Since: base.Add(w[0])}
		if w[1] > 0 {
			o.Until = base.Add(w[1])
		}
		cases = append(cases, o, ChainOptions{Since: o.Since, Until: o.Until, Backward: true})
	}
	for _, root := range []string{"key:hubkey", "mailbox:hub@example.com", "token:tok-0042"} {
		for _, o := range cases {
			with, err := g.Chain(root, o)
			if err != nil {
				t.Fatal(err)
			}
			spans := g.hubSpans
			g.hubSpans = nil
			without, err := g.Chain(root, o)
			g.hubSpans = spans
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(without, with); diff != "" {
				t.Errorf("chain from %s %+v differs with hub spans (-without +with):\n%s", root, o, diff)
			}
			if len(with.Edges) == 0 && o.Since.IsZero() {
				t.Errorf("chain from %s %+v is empty", root, o)
			}
			if root == "key:hubkey" && !o.Backward && !slices.ContainsFunc(with.Edges, func(e ChainEdge) bool { return e.Relation == "copied" }) {
				t.Errorf("chain from %s %+v lacks the undated assertion out of the key", root, o)
			}
		}
	}
}
