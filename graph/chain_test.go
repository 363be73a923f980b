package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/causeway-ir/causeway/graph"
	"github.com/causeway-ir/causeway/timeline"
	"github.com/google/go-cmp/cmp"
)

func build(t testing.TB, es []timeline.Event) *graph.Graph {
	t.Helper()
	g, err := graph.Build(t.Context(), graph.Events(es), graph.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func nodeIDs(c *graph.Chain) []string {
	var ids []string
	for _, n := range c.Nodes {
		ids = append(ids, n.ID)
	}
	slices.Sort(ids)
	return ids
}

// edgeLine is an edge in a compact comparable form.
func edgeLines(c *graph.Chain) []string {
	var ls []string
	for _, e := range c.Edges {
		ls = append(ls, e.From+" -"+e.Relation+"/"+e.Evidence+"-> "+e.To+" @"+graph.StampOrUnknown(e.Time)+" "+strings.Join(e.Events, ","))
	}
	slices.Sort(ls)
	return ls
}

func TestChain(t *testing.T) {
	t.Parallel()
	storm := build(t, stormEvents())
	aws := build(t, awsEvents())
	tests := []struct {
		name  string
		g     *graph.Graph
		root  string
		opts  graph.ChainOptions
		nodes []string
		edges []string // nil: not checked
	}{
		{
			name: "forged tokens reach only the mailboxes they read, never the owners' own tokens",
			g:    storm,
			root: "key:" + strings.ToLower(msaKey), // thumbprints match in any case
			opts: graph.ChainOptions{Since: at("2023-06-01T00:00:00Z")},
			nodes: []string{
				"key:" + msaKey, "mailbox:alice@contoso.com", "mailbox:carol@fabrikam.com",
				"tenant:" + tenantA, "tenant:" + tenantB, "token:forged-1", "token:forged-2",
			},
			edges: []string{
				"key:" + msaKey + " -signed/observed-> token:forged-1 @2023-06-05T03:00:00Z tel-forged-0",
				"key:" + msaKey + " -signed/observed-> token:forged-2 @2023-06-06T04:00:00Z tel-forged-1",
				// Context edges keep their 4 earliest ids: a standing fact
				// cites them when none falls in the chain's window.
				"mailbox:alice@contoso.com -in/observed-> tenant:" + tenantA + " @2023-06-05T03:01:00Z mia-20-0-0,mia-20-0-1,mia-20-0-2,mia-21-0-0",
				"mailbox:carol@fabrikam.com -in/observed-> tenant:" + tenantB + " @2023-06-06T04:01:00Z mia-20-2-0,mia-20-2-1,mia-20-2-2,mia-21-2-0",
				"token:forged-1 -accessed/observed-> mailbox:alice@contoso.com @2023-06-05T03:01:00Z mia-forged-0-0,mia-forged-0-1,mia-forged-0-2,mia-forged-0-3",
				"token:forged-1 -in/observed-> tenant:" + tenantA + " @2023-06-05T03:00:00Z tel-forged-0,mia-forged-0-0,mia-forged-0-1,mia-forged-0-2",
				"token:forged-2 -accessed/observed-> mailbox:carol@fabrikam.com @2023-06-06T04:01:00Z mia-forged-1-0,mia-forged-1-1,mia-forged-1-2,mia-forged-1-3",
				"token:forged-2 -in/observed-> tenant:" + tenantB + " @2023-06-06T04:00:00Z tel-forged-1,mia-forged-1-0,mia-forged-1-1,mia-forged-1-2",
			},
		},
		{
			name:  "until cuts the chain",
			g:     storm,
			root:  "key:" + msaKey,
			opts:  graph.ChainOptions{Since: at("2023-06-01T00:00:00Z"), Until: at("2023-06-05T03:02:30Z")},
			nodes: []string{"key:" + msaKey, "mailbox:alice@contoso.com", "tenant:" + tenantA, "token:forged-1"},
		},
		{
			name: "backward from a mailbox finds every credential that read it",
			g:    storm,
			root: "mailbox:ALICE@contoso.com",
			opts: graph.ChainOptions{Backward: true, Since: at("2023-06-04T00:00:00Z"), Until: at("2023-06-06T00:00:00Z")},
			nodes: []string{
				"key:" + msaKey, "key:enterprise-key-1", "mailbox:alice@contoso.com", "session:sess-alice@contoso.com",
				"tenant:" + tenantA, "token:forged-1", "token:legit-35-0", "token:legit-36-0",
			},
		},
		{
			name: "AssumeRole into a shared role does not pull in colleagues' sessions of it",
			g:    aws,
			root: "key:" + strings.ToLower(ciKey),
			opts: graph.ChainOptions{Since: at("2024-03-10T00:00:00Z")},
			nodes: []string{
				"identity:" + roleAdmin, "identity:" + roleDeploy, "identity:arn:aws:iam::111122223333:user/backup",
				"key:" + ciKey, "key:AKIAPERSISTENCE00001", "resource:" + bucketData, "tenant:" + account,
				"token:ASIAATTACKER00000001", "token:ASIAATTACKER00000002",
			},
		},
		{
			name:  "a chain never runs back in time",
			g:     build(t, timeTravel()),
			root:  "key:k1",
			nodes: []string{"key:k1", "mailbox:late@contoso.com", "tenant:" + tenantA, "token:t1"},
		},
		{
			name:  "an identity root starts from its own credentials",
			g:     aws,
			root:  "identity:arn:aws:iam::111122223333:user/dana",
			opts:  graph.ChainOptions{Since: at("2024-03-11T00:00:00Z")},
			nodes: []string{"identity:" + roleDeploy, "identity:arn:aws:iam::111122223333:user/dana", "key:" + colleague, "resource:" + bucketOther, "tenant:" + account, "token:ASIACOLLEAGUE0000002"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := tc.g.Chain(tc.root, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.nodes, nodeIDs(c)); diff != "" {
				t.Errorf("nodes (-want +got):\n%s", diff)
			}
			if tc.edges != nil {
				if diff := cmp.Diff(tc.edges, edgeLines(c)); diff != "" {
					t.Errorf("edges (-want +got):\n%s", diff)
				}
			}
		})
	}
}

// timeTravel: t1 read early@ at 10:00, was signed (seen) at 11:00 and read
// late@ at 12:00. From k1, only late@ is reachable.
func timeTravel() []timeline.Event {
	return []timeline.Event{
		ev("early", "2023-06-01T10:00:00Z", "m365.ual", timeline.CategoryMail, "MailItemsAccessed").tenant(tenantA).
			token("t1").target("mailbox", "early@contoso.com").build(),
		ev("cap-1", "2023-06-01T11:00:00Z", "jwt.capture", timeline.CategoryToken, "token").key("k1").token("t1").build(),
		ev("late", "2023-06-01T12:00:00Z", "m365.ual", timeline.CategoryMail, "MailItemsAccessed").tenant(tenantA).
			token("t1").target("mailbox", "late@contoso.com").build(),
	}
}

func TestChainJSON(t *testing.T) {
	t.Parallel()
	g := build(t, timeTravel())
	c, err := g.Chain("key:K1", graph.ChainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"root":"key:k1","nodes":[` +
		`{"id":"key:k1","kind":"key","label":"k1","first_seen":"2023-06-01T11:00:00Z"},` +
		`{"id":"tenant:` + tenantA + `","kind":"tenant","label":"` + tenantA + `","first_seen":"2023-06-01T11:00:00Z"},` +
		`{"id":"token:t1","kind":"token","label":"t1","first_seen":"2023-06-01T11:00:00Z"},` +
		`{"id":"mailbox:late@contoso.com","kind":"mailbox","label":"late@contoso.com","first_seen":"2023-06-01T12:00:00Z"}],` +
		`"edges":[` +
		`{"from":"key:k1","to":"token:t1","relation":"signed","evidence":"observed","time":"2023-06-01T11:00:00Z","events":["cap-1"]},` +
		`{"from":"token:t1","to":"tenant:` + tenantA + `","relation":"in","evidence":"observed","time":"2023-06-01T11:00:00Z","events":["late"]},` +
		`{"from":"mailbox:late@contoso.com","to":"tenant:` + tenantA + `","relation":"in","evidence":"observed","time":"2023-06-01T12:00:00Z","events":["late"]},` +
		`{"from":"token:t1","to":"mailbox:late@contoso.com","relation":"accessed","evidence":"observed","time":"2023-06-01T12:00:00Z","events":["late"]}]}`
	if diff := cmp.Diff(want, string(b)); diff != "" {
		t.Errorf("json (-want +got):\n%s", diff)
	}
}

func TestLookup(t *testing.T) {
	t.Parallel()
	g := build(t, stormEvents())
	tests := []struct {
		in   string
		want string
		err  error
	}{
		{in: "key:d4b4cccda9228624656bff33d8110955779632aa", want: "key:" + msaKey},
		{in: "MAILBOX:Alice@Contoso.com", want: "mailbox:alice@contoso.com"},
		{in: "key:nothex", err: graph.ErrNotFound},
		{in: "mailbox:Alice@Contoso.COM", want: "mailbox:alice@contoso.com"},
		{in: "tenant:" + strings.ToUpper(tenantA), want: "tenant:" + tenantA},
		{in: "forged-1", want: "token:forged-1"},
		{in: "alice@contoso.com", err: graph.ErrAmbiguous}, // a mailbox and an identity
		{in: "token:nope", err: graph.ErrNotFound},
	}
	for _, tc := range tests {
		id, err := g.Lookup(tc.in)
		if !errors.Is(err, tc.err) {
			t.Errorf("Lookup(%q) error %v, want %v", tc.in, err, tc.err)
			continue
		}
		if err == nil {
			if got := g.Node(id).Entity(); got != tc.want {
				t.Errorf("Lookup(%q) = %s, want %s", tc.in, got, tc.want)
			}
		}
	}
}

func TestAssertions(t *testing.T) {
	t.Parallel()
	g := build(t, awsEvents())
	// An advisory says the leaked key belongs to the same actor as a key
	// never seen in the logs; and an analyst links the persistence key's
	// owner to a token only by reasoning.
	err := g.AddAssertions([]timeline.Assertion{{
		ID:       1,
		From:     timeline.Entity{Kind: timeline.KindKey, Value: "akiapersistence00001"},
		To:       timeline.Entity{Kind: timeline.KindResource, Value: "arn:aws:s3:::backups/db.dump"},
		Relation: "exfiltrated", Why: "vendor report", Who: "analyst", At: at("2024-03-12T00:00:00Z"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := g.Chain("key:"+ciKey, graph.ChainOptions{Since: at("2024-03-10T00:00:00Z")})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range c.Edges {
		if e.Evidence == "asserted" {
			got = append(got, e.From+" "+e.Relation+" "+e.To+" "+strings.Join(e.Events, ","))
		}
	}
	want := []string{"key:AKIAPERSISTENCE00001 exfiltrated resource:arn:aws:s3:::backups/db.dump assertion:1"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("asserted edges (-want +got):\n%s", diff)
	}
	if err := g.AddAssertions([]timeline.Assertion{{ID: 2, From: timeline.Entity{Kind: "bogus", Value: "x"}}}); err == nil {
		t.Error("AddAssertions accepted a bad entity")
	}
}

func TestEdgeEventIDsCapped(t *testing.T) {
	t.Parallel()
	var es []timeline.Event
	base := at("2023-01-01T00:00:00Z")
	for i := range 1000 {
		es = append(es, ev(strings.Repeat("x", 3)+time.Duration(i).String(), base.Add(time.Duration(i)*time.Minute).Format(time.RFC3339),
			"m365.ual", timeline.CategoryMail, "MailItemsAccessed").token("t").target("mailbox", "m@x.com").build())
	}
	g, err := graph.Build(t.Context(), graph.Events(es), graph.Options{EventIDs: 8})
	if err != nil {
		t.Fatal(err)
	}
	id, _ := g.Lookup("token:t")
	var acc graph.Edge
	for _, e := range g.Edges(id, true) {
		if e.Relation == graph.RelAccessed {
			acc = e
		}
	}
	if acc.Count != 1000 || len(acc.Events) != 8 {
		t.Fatalf("edge count %d with %d ids, want 1000 with 8", acc.Count, len(acc.Events))
	}
	want := []string{"xxx0s", "xxx1ns", "xxx2ns", "xxx3ns", "xxx996ns", "xxx997ns", "xxx998ns", "xxx999ns"}
	if diff := cmp.Diff(want, acc.Events); diff != "" {
		t.Errorf("kept ids (-want +got):\n%s", diff)
	}
	// A chain reaching the token late still cites events after it.
	c, err := g.Chain("token:t", graph.ChainOptions{Since: base.Add(500 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range c.Edges {
		if e.Relation == graph.RelAccessed {
			if !e.Time.Equal(base.Add(500*time.Minute)) || len(e.Events) == 0 || e.Events[0] != "xxx996ns" {
				t.Errorf("late chain edge %v %v", e.Time, e.Events)
			}
		}
	}
}

func TestBuildStopsOnError(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	seq := func(yield func(timeline.Event, error) bool) {
		if !yield(stormEvents()[0], nil) {
			return
		}
		yield(timeline.Event{}, boom)
	}
	if _, err := graph.Build(t.Context(), seq, graph.Options{}); !errors.Is(err, boom) {
		t.Errorf("Build error %v, want %v", err, boom)
	}
}

// TestInferredRefresh: a token no event issued, presented in a session
// whose sign-in issued another token, was refreshed in that session: the
// edge session → token is inferred, and a backward chain from the mailbox
// follows it.
func TestInferredRefresh(t *testing.T) {
	t.Parallel()
	es := []timeline.Event{
		ev("si", "2023-06-01T08:00:00Z", "entra.signin", timeline.CategorySignin, "Sign-in activity").tenant(tenantA).
			actor("dave@contoso.com").session("s1").issues(timeline.IssuedToken, "t-first").build(),
		ev("use-1", "2023-06-01T09:30:00Z", "m365.ual", timeline.CategoryMail, "MailItemsAccessed").tenant(tenantA).
			actor("dave@contoso.com").session("s1").token("t-refreshed").target("mailbox", "dave@contoso.com").build(),
		// A token presented in a session that never signed in: nothing inferred.
		ev("use-2", "2023-06-01T09:40:00Z", "m365.ual", timeline.CategoryMail, "MailItemsAccessed").tenant(tenantA).
			actor("dave@contoso.com").session("s-unknown").token("t-orphan").target("mailbox", "dave@contoso.com").build(),
	}
	g := build(t, es)
	c, err := g.Chain("mailbox:dave@contoso.com", graph.ChainOptions{Backward: true})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range c.Edges {
		if e.Causal {
			got = append(got, e.From+" -"+e.Relation+"/"+e.Evidence+"-> "+e.To+" "+strings.Join(e.Events, ","))
		}
	}
	slices.Sort(got)
	want := []string{
		"session:s1 -issued/inferred-> token:t-refreshed use-1",
		"token:t-orphan -accessed/observed-> mailbox:dave@contoso.com use-2",
		"token:t-refreshed -accessed/observed-> mailbox:dave@contoso.com use-1",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("backward chain (-want +got):\n%s", diff)
	}
}

// TestEdgeEventIDsUnordered: the kept ids are the earliest and the latest
// whatever order events arrive in.
func TestEdgeEventIDsUnordered(t *testing.T) {
	t.Parallel()
	base := at("2023-01-01T00:00:00Z")
	order := []int{50, 3, 99, 0, 42, 7, 98, 1, 97, 2, 60, 96, 10, 20, 30, 40, 70, 80, 90, 95, 5, 6, 8, 9}
	for i := range 100 {
		if !slices.Contains(order, i) {
			order = append(order, i)
		}
	}
	var es []timeline.Event
	for _, i := range order {
		es = append(es, ev(fmt.Sprintf("e%02d", i), base.Add(time.Duration(i)*time.Minute).Format(time.RFC3339),
			"m365.ual", timeline.CategoryMail, "MailItemsAccessed").token("t").target("mailbox", "m@x.com").build())
	}
	g, err := graph.Build(t.Context(), graph.Events(es), graph.Options{EventIDs: 8})
	if err != nil {
		t.Fatal(err)
	}
	id, _ := g.Lookup("token:t")
	for _, e := range g.Edges(id, true) {
		if e.Relation != graph.RelAccessed {
			continue
		}
		want := []string{"e00", "e01", "e02", "e03", "e96", "e97", "e98", "e99"}
		if diff := cmp.Diff(want, e.Events); diff != "" || e.Count != 100 {
			t.Errorf("count %d, ids (-want +got):\n%s", e.Count, diff)
		}
	}
	// Chains binary-search every time, in order, whatever the input order.
	c, err := g.Chain("token:t", graph.ChainOptions{Since: base.Add(44*time.Minute + time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range c.Edges {
		if e.Relation == graph.RelAccessed && !e.Time.Equal(base.Add(45*time.Minute)) {
			t.Errorf("chain crossed at %v, want %v", e.Time, base.Add(45*time.Minute))
		}
	}
}

func TestChainText(t *testing.T) {
	t.Parallel()
	es := append(timeTravel(), ev("esc", "2023-06-01T13:00:00Z", "m365.ual", timeline.CategoryMail, "MailItemsAccessed").
		tenant(tenantA).token("t1").target("mailbox", "evil\x1b[2J@contoso.com").build())
	c, err := build(t, es).Chain("key:k1", graph.ChainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := c.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	want := `chain from key:k1: 5 entities, 6 links
2023-06-01T11:00:00Z  key:k1 —signed→ token:t1  [observed] 1 event: cap-1
2023-06-01T11:00:00Z  token:t1 —in→ tenant:aaaaaaaa-0000-4000-8000-00000000000a  [observed] 3 events: late, esc
2023-06-01T12:00:00Z  mailbox:late@contoso.com —in→ tenant:aaaaaaaa-0000-4000-8000-00000000000a  [observed] 1 event: late
2023-06-01T12:00:00Z  token:t1 —accessed→ mailbox:late@contoso.com  [observed] 1 event: late
2023-06-01T13:00:00Z  "mailbox:evil\x1b[2J@contoso.com" —in→ tenant:aaaaaaaa-0000-4000-8000-00000000000a  [observed] 1 event: esc
2023-06-01T13:00:00Z  token:t1 —accessed→ "mailbox:evil\x1b[2J@contoso.com"  [observed] 1 event: esc
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("text (-want +got):\n%s", diff)
	}
}

// TestBuildCancelled: a cancelled build stops reading events and says why.
func TestBuildCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	read := 0
	src := newSynthCase(1_000_000).events()
	seq := func(yield func(timeline.Event, error) bool) {
		for e, err := range src {
			read++
			if !yield(e, err) {
				return
			}
		}
	}
	_, err := graph.Build(ctx, seq, graph.Options{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Build error %v, want context.Canceled", err)
	}
	if read > 200_000 {
		t.Errorf("read %d events after cancellation", read)
	}
}

// mailRead is tok1 reading a@contoso.com's mailbox in tenant t1 at t.
func mailRead(t time.Time) timeline.Event {
	return timeline.Event{
		ID: "r1", Time: t, Source: "m365.ual", Category: timeline.CategoryMail, Action: "MailItemsAccessed",
		Outcome: timeline.OutcomeSuccess, Actor: "a@contoso.com", Tenant: "t1", TokenID: "tok1",
		Target: "a@contoso.com", TargetKind: "mailbox",
	}
}

// TestBackwardChainTimesAreEventTimes checks that a backward chain dates
// every edge, the root's tenant edge included, at an event time (it once
// carried the walk's open bound, the end of time, which JSON cannot hold).
func TestBackwardChainTimesAreEventTimes(t *testing.T) {
	t.Parallel()
	base := time.Date(2023, 6, 1, 0, 0, 0, 0, time.UTC)
	evs := []timeline.Event{mailRead(base)}
	g, err := graph.Build(t.Context(), graph.Events(evs), graph.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := g.Chain("mailbox:a@contoso.com", graph.ChainOptions{Backward: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Edges) == 0 {
		t.Fatal("no edges")
	}
	for _, e := range c.Edges {
		if e.Time.Year() != 2023 {
			t.Errorf("edge %s -> %s dated %v", e.From, e.To, e.Time)
		}
	}
	if _, err := json.Marshal(c); err != nil {
		t.Fatalf("chain JSON: %v", err)
	}
}

// TestBackwardChainUntimedAssertion: a backward chain without Until from a
// credential that an assertion without a time leads to reaches the
// assertion's tail at the walk's open end; the tail and the asserted edge
// is dated when the root is (its last event), not in year 148108, which
// encoding/json refuses; the asserted edge has no time. The tail's own edges still cite events up to the
// open end, as the root's do.
func TestBackwardChainUntimedAssertion(t *testing.T) {
	t.Parallel()
	base := time.Date(2023, 6, 1, 0, 0, 0, 0, time.UTC)
	evs := []timeline.Event{mailRead(base), {
		ID: "k1", Time: base.Add(2 * time.Hour), Source: "entra.signin", Category: timeline.CategorySignin,
		Action: "Sign-in", Outcome: timeline.OutcomeSuccess, Tenant: "t1", KeyID: "signer",
		IssuedKind: timeline.IssuedToken, IssuedID: "tok2",
	}}
	g := build(t, evs)
	if err := g.AddAssertions([]timeline.Assertion{
		{ID: 1, Relation: "holds", From: timeline.Entity{Kind: timeline.KindIdentity, Value: "x@contoso.com"},
			To: timeline.Entity{Kind: timeline.KindToken, Value: "tok1"}},
		// The asserted tail's own cause, later than the root's last event:
		// the walk (to the open end) reaches it, and its edge cites it.
		{ID: 2, Relation: "granted", From: timeline.Entity{Kind: timeline.KindKey, Value: "signer"},
			To: timeline.Entity{Kind: timeline.KindIdentity, Value: "x@contoso.com"}, At: base.Add(time.Hour)},
	}); err != nil {
		t.Fatal(err)
	}
	c, err := g.Chain("token:tok1", graph.ChainOptions{Backward: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := json.Marshal(c); err != nil {
		t.Fatalf("chain JSON: %v", err)
	}
	first := map[string]time.Time{}
	for _, n := range c.Nodes {
		first[n.ID] = n.FirstSeen
	}
	wantFirst := map[string]time.Time{"token:tok1": base, "identity:x@contoso.com": base,
		"key:signer": base.Add(time.Hour)}
	for id, w := range wantFirst {
		if got, ok := first[id]; !ok || !got.Equal(w) {
			t.Errorf("%s first seen %v (in chain: %v), want %v", id, got, ok, w)
		}
	}
	want := []string{
		"identity:x@contoso.com -holds/asserted-> token:tok1 @unknown assertion:1",
		"key:signer -granted/asserted-> identity:x@contoso.com @2023-06-01T01:00:00Z assertion:2",
	}
	var got []string
	for _, l := range edgeLines(c) {
		if strings.Contains(l, "/asserted->") {
			got = append(got, l)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("asserted edges (-want +got):\n%s", diff)
	}
}

// TestChainUndatedAssertion: an assertion made without --at (the assert
// command's default) has no time. The chain says so (no "time" in its JSON,
// "unknown" in text) instead of inventing one (it once said year 1); an
// entity that only such assertions name has no first_seen; and an entity
// the walk reaches through one from the open start is dated by its own
// first event, as the root is.
func TestChainUndatedAssertion(t *testing.T) {
	t.Parallel()
	base := time.Date(2023, 6, 1, 0, 0, 0, 0, time.UTC)
	g := build(t, []timeline.Event{mailRead(base), {
		ID: "k1", Time: base.Add(2 * time.Hour), Source: "entra.signin", Category: timeline.CategorySignin,
		Action: "Sign-in", Outcome: timeline.OutcomeSuccess, Tenant: "t1", KeyID: "signer",
		IssuedKind: timeline.IssuedToken, IssuedID: "tok2",
	}})
	if err := g.AddAssertions([]timeline.Assertion{{ID: 1, Relation: "stole",
		From: timeline.Entity{Kind: timeline.KindIdentity, Value: "actor-group:storm-0558"},
		To:   timeline.Entity{Kind: timeline.KindKey, Value: "signer"}}}); err != nil {
		t.Fatal(err)
	}
	stole := "identity:actor-group:storm-0558 -stole/asserted-> key:signer @unknown assertion:1"
	for _, tc := range []struct {
		name      string
		root      string
		opts      graph.ChainOptions
		wantFirst map[string]string // "" for no first_seen
		wantEdges []string          // the chain's asserted and issued edges
	}{
		{"forward, open start", "identity:actor-group:storm-0558", graph.ChainOptions{},
			map[string]string{"identity:actor-group:storm-0558": "", "key:signer": "2023-06-01T02:00:00Z",
				"token:tok2": "2023-06-01T02:00:00Z"},
			[]string{stole, "key:signer -issued/observed-> token:tok2 @2023-06-01T02:00:00Z k1"}},
		{"forward, since", "identity:actor-group:storm-0558", graph.ChainOptions{Since: base.Add(time.Hour)},
			map[string]string{"identity:actor-group:storm-0558": "2023-06-01T01:00:00Z",
				"key:signer": "2023-06-01T01:00:00Z", "token:tok2": "2023-06-01T02:00:00Z"},
			[]string{stole, "key:signer -issued/observed-> token:tok2 @2023-06-01T02:00:00Z k1"}},
		{"forward, since after the key's use", "identity:actor-group:storm-0558", graph.ChainOptions{Since: base.Add(3 * time.Hour)},
			map[string]string{"identity:actor-group:storm-0558": "2023-06-01T03:00:00Z", "key:signer": "2023-06-01T03:00:00Z"},
			[]string{stole}},
		{"backward", "token:tok2", graph.ChainOptions{Backward: true},
			map[string]string{"token:tok2": "2023-06-01T02:00:00Z", "key:signer": "2023-06-01T02:00:00Z",
				"identity:actor-group:storm-0558": "2023-06-01T02:00:00Z"},
			[]string{stole, "key:signer -issued/observed-> token:tok2 @2023-06-01T02:00:00Z k1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := g.Chain(tc.root, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			first := map[string]string{}
			for _, n := range c.Nodes {
				if n.Kind == "tenant" {
					continue
				}
				first[n.ID] = ""
				if !n.FirstSeen.IsZero() {
					first[n.ID] = n.FirstSeen.Format(time.RFC3339)
				}
			}
			if diff := cmp.Diff(tc.wantFirst, first); diff != "" {
				t.Errorf("first seen (-want +got):\n%s", diff)
			}
			var edges []string
			for _, l := range edgeLines(c) {
				if strings.Contains(l, "/asserted->") || strings.Contains(l, "-issued/") {
					edges = append(edges, l)
				}
			}
			if diff := cmp.Diff(tc.wantEdges, edges); diff != "" {
				t.Errorf("edges (-want +got):\n%s", diff)
			}
			js, err := json.Marshal(c)
			if err != nil {
				t.Fatal(err)
			}
			var raw struct {
				Nodes []map[string]any `json:"nodes"`
				Edges []map[string]any `json:"edges"`
			}
			if err := json.Unmarshal(js, &raw); err != nil {
				t.Fatal(err)
			}
			for _, n := range raw.Nodes {
				if _, has := n["first_seen"]; has != (first[n["id"].(string)] != "" || n["kind"] == "tenant") {
					t.Errorf("JSON node %v: first_seen present %v", n, has)
				}
			}
			for _, e := range raw.Edges {
				if _, has := e["time"]; has == (e["evidence"] == "asserted") {
					t.Errorf("JSON edge %v: time present %v", e, has)
				}
			}
			if bytes.Contains(js, []byte("0001-01-01")) {
				t.Errorf("chain JSON holds year 1: %s", js)
			}
			var text bytes.Buffer
			if err := c.WriteText(&text); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(text.String(), "unknown               identity:actor-group:storm-0558 —stole→ key:signer") {
				t.Errorf("chain text does not say the assertion's time is unknown:\n%s", text.String())
			}
		})
	}
}

func TestEarliestDate(t *testing.T) {
	t.Parallel()
	d1, d2 := at("2023-06-01T00:00:00Z"), at("2023-06-02T00:00:00Z")
	for _, tc := range []struct{ a, b, want time.Time }{
		{d1, d2, d1},
		{d2, d1, d1},
		{d1, d1, d1},
		{time.Time{}, d2, d2}, // a date beats none, either way round
		{d2, time.Time{}, d2},
		{time.Time{}, time.Time{}, time.Time{}},
	} {
		if got := graph.EarliestDate(tc.a, tc.b); !got.Equal(tc.want) {
			t.Errorf("EarliestDate(%v, %v) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}
