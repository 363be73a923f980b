package board

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/causeway-ir/causeway/graph"
	"github.com/causeway-ir/causeway/graph/render"
	"github.com/causeway-ir/causeway/timeline"
)

// ErrNoRoot is returned when no chain root was given and the findings name
// none.
var ErrNoRoot = errors.New("board: no chain root: give one (KIND:VALUE) or run the findings first")

// Input is what Build reads. Case, Graph and Findings are required; the
// rest is optional.
type Input struct {
	// Case is the case whose events the numbers are computed from.
	Case *timeline.Case
	// Graph is the case's graph, already built (graph.Build) with the
	// analysts' assertions added (AddAssertions).
	Graph *graph.Graph
	// Findings are the graph's findings (Graph.Findings); they choose the
	// chain root when ChainFrom is empty and give the detection time and the
	// coverage caveats.
	Findings []graph.Finding
	// ChainFrom is the chain's root entity, KIND:VALUE ("" chooses it from
	// the findings).
	ChainFrom string
	// Annotations are the analysts' annotations (timeline.DB.Annotations);
	// starred ones and notes go on the board.
	Annotations []timeline.Annotation
	// Since is when the compromise began (the start of the compromise
	// window): the chain is followed from then on, so that the legitimate
	// use of a credential before it was stolen is not counted. Zero means
	// from the root's first appearance, or, for a root chosen from the most
	// severe finding, from that finding's time.
	Since time.Time
	// Detection is when the incident was detected; zero means an event an
	// analyst tagged DetectionTag, else the first provider alert after the
	// activity began, else the earliest finding other than a coverage gap.
	Detection time.Time
	// Title names the case on the page (default: the case's name).
	Title string
	// Now is the clock that stamps the report (default time.Now).
	Now func() time.Time
	// Renderer lays out the diagram (nil: Build starts one and closes it).
	Renderer *render.Renderer
}

// Report is a board report: everything on the page, computed. Its JSON is
// what the web app's Board view reads.
type Report struct {
	Title     string    `json:"title"`
	Generated time.Time `json:"generated"`
	// Root is the chain's root entity; Roots lists the roots when the chain
	// is the union of the chains from several flagged tokens.
	Root  string   `json:"root"`
	Roots []string `json:"roots,omitempty"`
	// RootReason says why the chain starts where it does.
	RootReason string `json:"root_reason"`
	// Headline is one sentence computed from the chain.
	Headline string  `json:"headline"`
	Numbers  Numbers `json:"numbers"`
	// Figures are the large numbers as the page shows them.
	Figures []Figure `json:"figures"`
	// FirstActivity and LastActivity bound the malicious activity: the
	// events that presented a credential of the chain once the chain had
	// reached it.
	FirstActivity time.Time `json:"first_activity"`
	LastActivity  time.Time `json:"last_activity"`
	// Detection is the detection time used, and DetectionBasis where it
	// came from.
	Detection      time.Time  `json:"detection"`
	DetectionBasis string     `json:"detection_basis"`
	KeyEvents      []KeyEvent `json:"key_events"`
	// Caveats are plain sentences on what the numbers cannot show.
	Caveats []string  `json:"caveats"`
	Starred []Starred `json:"starred"`
	Notes   []Note    `json:"notes"`

	// Chain is the causal chain the numbers come from.
	Chain *graph.Chain `json:"-"`
	// Diagram is the chain condensed for the page.
	Diagram *graph.Diagram `json:"-"`

	names    map[string]string // tenant id → display name
	detShort string            // what the detection time is, in a few words
	affected map[string]bool   // the tenants counted affected, "tenant:<id>"
	layout   *render.Layout    // Graphviz's layout of the diagram
	diagPNG  []byte            // the diagram drawn by graph/render, sized for the PNG page
	// Timings of Build's steps, for benchmarks and the CLI's -v.
	Timings Timings `json:"-"`
}

// Timings measures Build's steps.
type Timings struct {
	Chain, Scan, Layout, PNG time.Duration
}

// Numbers are the report's counts, each computed from the chain and the
// events.
type Numbers struct {
	// Tenants is the number of tenants in the chain (those of the mailboxes,
	// resources and tokens it reached); TenantsInCase those with any event.
	Tenants       int `json:"tenants"`
	TenantsInCase int `json:"tenants_in_case"`
	// Mailboxes is the number of mailboxes the chain reached; Resources the
	// number of other resources.
	Mailboxes int `json:"mailboxes"`
	Resources int `json:"resources"`
	// Items is the sum of the item counts of the MailItemsAccessed records
	// of the malicious activity (CountedRecords of them); UncountedRecords
	// more (Sync, or no count in the log) read items the log does not count.
	Items            int64 `json:"items"`
	CountedRecords   int   `json:"counted_records"`
	UncountedRecords int   `json:"uncounted_records"`
	// Events is the number of malicious events: successful events that
	// presented a credential of the chain at or after the time the chain
	// reached it.
	Events int `json:"events"`
	// Credentials is the number of keys, tokens and sessions in the chain.
	Credentials int `json:"credentials"`
	// Dwell is LastActivity − FirstActivity; TimeToDetect is Detection −
	// FirstActivity (zero when there is no detection time).
	Dwell        time.Duration `json:"dwell_ns"`
	TimeToDetect time.Duration `json:"time_to_detect_ns"`
}

// Figure is one large number on the page.
type Figure struct {
	Value  string `json:"value"`
	Label  string `json:"label"`
	Detail string `json:"detail"`
}

// KeyEvent is an event of the chain told in plain words.
type KeyEvent struct {
	Time time.Time `json:"time"`
	// Text says who did what ("Using a token for alice@contoso.com, the
	// attacker read 12 items in mailbox bob@contoso.com").
	Text string `json:"text"`
	// Impact says why it matters ("first access in contoso.com").
	Impact  string `json:"impact"`
	Tenant  string `json:"tenant"`
	EventID string `json:"event_id"`
	Source  string `json:"source"`
}

// Starred is an event or entity an analyst starred.
type Starred struct {
	Target string    `json:"target"`
	Author string    `json:"author"`
	Time   time.Time `json:"time"` // the event's time, zero for an entity
	Text   string    `json:"text"` // the event's message, or the entity id
	Note   string    `json:"note"`
}

// Note is an analyst's note on an event or entity.
type Note struct {
	Target  string    `json:"target"`
	Author  string    `json:"author"`
	Text    string    `json:"text"`
	Updated time.Time `json:"updated"`
}

// forgedRules are the findings whose tokens no legitimate sign-in issued.
var forgedRules = []string{graph.RuleTokenWithoutSignin, graph.RuleConsumerTokenForTenant}

// maxUnionRoots caps the flagged tokens a union chain starts from.
const maxUnionRoots = 1000

// Build computes the report: it chooses the chain root, reconstructs the
// chain, reads the case's events once for the numbers and the key events,
// and lays out the diagram.
func Build(ctx context.Context, in Input) (*Report, error) {
	if in.Case == nil || in.Graph == nil {
		return nil, errors.New("board: a case and its graph are needed")
	}
	now := time.Now
	if in.Now != nil {
		now = in.Now
	}
	r := &Report{Title: in.Title, Generated: now().UTC()}
	if r.Title == "" {
		r.Title = in.Case.Manifest().Name
	}
	t0 := time.Now()
	forged, err := r.chooseChain(in)
	if err != nil {
		return nil, err
	}
	r.Timings.Chain = time.Since(t0)
	if !in.Since.IsZero() {
		r.RootReason += " It is followed from " + fmtTime(in.Since) + ", the start of the compromise window given; earlier use of its credentials is not counted."
	}

	t0 = time.Now()
	s, err := scan(ctx, in, r.Chain)
	if err != nil {
		return nil, err
	}
	r.Timings.Scan = time.Since(t0)
	r.count(s)
	r.detection(in.Findings, in.Annotations, in.Detection, s)
	r.headline(forged, s)
	r.figures()
	r.KeyEvents = keyEvents(s, r.nameOf)
	if err := r.draw(ctx, in.Renderer); err != nil {
		return nil, err
	}
	r.caveats(in.Findings)
	r.annotations(in.Annotations, s)
	return r, nil
}

// chooseChain picks the root (design: the key behind the forged-token
// findings, else the flagged tokens, else the entity of the most severe
// finding) and reconstructs the chain. It reports whether the root was
// chosen for forged tokens.
func (r *Report) chooseChain(in Input) (bool, error) {
	g := in.Graph
	if in.ChainFrom != "" {
		c, err := g.Chain(in.ChainFrom, graph.ChainOptions{Since: in.Since})
		if err != nil {
			return false, fmt.Errorf("board: chain from %s: %w", in.ChainFrom, err)
		}
		r.Chain, r.Root = c, c.Root
		r.RootReason = "The chain starts from " + c.Root + ", as the analyst asked."
		return false, nil
	}
	keys := map[string]int{}
	var tokens []string
	flagged := 0
	for _, f := range in.Findings {
		if !slices.Contains(forgedRules, f.Rule) {
			continue
		}
		flagged++
		for _, e := range f.Entities {
			switch {
			case strings.HasPrefix(e, "key:"):
				keys[e]++
			case strings.HasPrefix(e, "token:"):
				if !slices.Contains(tokens, e) {
					tokens = append(tokens, e)
				}
			}
		}
	}
	if len(keys) > 0 {
		best, n := "", 0
		for k, c := range keys {
			if c > n || c == n && k < best {
				best, n = k, c
			}
		}
		c, err := g.Chain(best, graph.ChainOptions{Since: in.Since})
		if err != nil {
			return false, fmt.Errorf("board: chain from %s: %w", best, err)
		}
		r.Chain, r.Root = c, c.Root
		r.RootReason = fmt.Sprintf("The chain starts from %s, the signing key named by %d of the %d findings of tokens no sign-in issued (%s).",
			best, n, flagged, strings.Join(forgedRules, ", "))
		return true, nil
	}
	if len(tokens) > 0 {
		slices.Sort(tokens)
		omitted := 0
		if len(tokens) > maxUnionRoots {
			omitted = len(tokens) - maxUnionRoots
			tokens = tokens[:maxUnionRoots]
		}
		var chains []*graph.Chain
		for _, t := range tokens {
			c, err := g.Chain(t, graph.ChainOptions{Since: in.Since})
			if err != nil {
				return false, fmt.Errorf("board: chain from %s: %w", t, err)
			}
			chains = append(chains, c)
		}
		r.Chain = union(chains)
		r.Roots = tokens
		r.RootReason = fmt.Sprintf("No signing key is in the case, so the chain starts from the %s that %d findings flag as used without a sign-in that issued them (%s).",
			plural(len(tokens), "token"), flagged, strings.Join(forgedRules, ", "))
		if omitted > 0 {
			r.RootReason += fmt.Sprintf(" %d more flagged tokens are left out.", omitted)
		}
		return true, nil
	}
	// The most severe finding other than a coverage gap, earliest first.
	var best *graph.Finding
	for i := range in.Findings {
		f := &in.Findings[i]
		if f.Rule == graph.RuleCoverageGap || len(f.Entities) == 0 {
			continue
		}
		if best == nil || severityRank(f.Severity) < severityRank(best.Severity) ||
			severityRank(f.Severity) == severityRank(best.Severity) && f.Time.Before(best.Time) {
			best = f
		}
	}
	if best == nil {
		return false, ErrNoRoot
	}
	root := best.Entities[0]
	for _, e := range best.Entities {
		if strings.HasPrefix(e, "key:") || strings.HasPrefix(e, "token:") || strings.HasPrefix(e, "session:") {
			root = e
			break
		}
	}
	since, from := in.Since, ""
	if since.IsZero() {
		// Before the finding, the credential may well have been in
		// legitimate use.
		since, from = best.Time, ", from the finding's time on"
	}
	c, err := g.Chain(root, graph.ChainOptions{Since: since})
	if err != nil {
		return false, fmt.Errorf("board: chain from %s: %w", root, err)
	}
	r.Chain, r.Root = c, c.Root
	r.RootReason = fmt.Sprintf("The chain starts from %s%s, named by the most severe finding (%s, %s, at %s); give the root and the compromise window's start if you know them.",
		root, from, best.Rule, best.Severity, fmtTime(best.Time))
	return false, nil
}

func severityRank(s string) int {
	switch s {
	case graph.SeverityHigh:
		return 0
	case graph.SeverityMedium:
		return 1
	case graph.SeverityLow:
		return 2
	}
	return 3
}

// union merges chains: each node at its earliest, each edge once (the
// earliest crossing, the larger count).
func union(cs []*graph.Chain) *graph.Chain {
	u := &graph.Chain{}
	nodes := map[string]int{}
	type ek struct{ from, to, rel, ev string }
	edges := map[ek]int{}
	for _, c := range cs {
		for _, n := range c.Nodes {
			if i, ok := nodes[n.ID]; ok {
				// A date beats none (an entity only undated assertions name).
				u.Nodes[i].FirstSeen = graph.EarliestDate(u.Nodes[i].FirstSeen, n.FirstSeen)
				continue
			}
			nodes[n.ID] = len(u.Nodes)
			u.Nodes = append(u.Nodes, n)
		}
		for _, e := range c.Edges {
			k := ek{e.From, e.To, e.Relation, e.Evidence}
			if i, ok := edges[k]; ok {
				old := &u.Edges[i]
				if t := graph.EarliestDate(old.Time, e.Time); !t.Equal(old.Time) {
					old.Time, old.Events = t, e.Events
				}
				old.Count = max(old.Count, e.Count)
				continue
			}
			edges[k] = len(u.Edges)
			u.Edges = append(u.Edges, e)
		}
	}
	slices.SortFunc(u.Nodes, func(a, b graph.ChainNode) int {
		return cmp.Or(a.FirstSeen.Compare(b.FirstSeen), strings.Compare(a.ID, b.ID))
	})
	slices.SortFunc(u.Edges, func(a, b graph.ChainEdge) int {
		return cmp.Or(a.Time.Compare(b.Time), strings.Compare(a.From, b.From), strings.Compare(a.To, b.To),
			strings.Compare(a.Relation, b.Relation))
	})
	return u
}
