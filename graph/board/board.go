package board

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
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
	layout   *gvLayout         // Graphviz's layout of the diagram
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
				if n.FirstSeen.Before(u.Nodes[i].FirstSeen) {
					u.Nodes[i].FirstSeen = n.FirstSeen
				}
				continue
			}
			nodes[n.ID] = len(u.Nodes)
			u.Nodes = append(u.Nodes, n)
		}
		for _, e := range c.Edges {
			k := ek{e.From, e.To, e.Relation, e.Evidence}
			if i, ok := edges[k]; ok {
				old := &u.Edges[i]
				if e.Time.Before(old.Time) {
					old.Time, old.Events = e.Time, e.Events
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

// evt is what the report keeps of an event.
type evt struct {
	t                time.Time
	id, source       string
	action, actor    string
	tenant           string
	target, tkind    string
	issuedKind       string
	appName, message string
	category         timeline.Category
	keyID            string
	items            int  // items read, when the record counts them
	counted          bool // whether it does
	credential       string
}

func keep(e *timeline.Event, cred string) evt {
	return evt{t: e.Time, id: e.ID, source: e.Source, action: e.Action, actor: e.Actor, tenant: e.Tenant,
		target: e.Target, tkind: e.TargetKind, issuedKind: e.IssuedKind, appName: e.AppName,
		message: e.Message, category: e.Category, credential: cred, keyID: e.KeyID}
}

// scanned is what one pass over the events finds.
type scanned struct {
	events        int
	first, last   *evt
	largest       *evt            // the MailItemsAccessed record with the most items
	tenantFirst   map[string]*evt // each tenant's first malicious event
	targetFirst   map[string]*evt // each target's first malicious event
	items         int64
	counted       int
	uncounted     int
	tenantsInCase map[string]bool
	domains       map[string]map[string]int // tenant → mail domain → events
	annotated     map[string]*evt           // event id → event, for annotations
	alerts        []evt                     // provider alerts (alertActions)
}

// alertActions are provider records of an alert firing: the tenant's own
// detection (UAL AlertTriggered and AlertEntityGenerated, from Microsoft
// Purview alert policies).
var alertActions = []string{"alerttriggered", "alertentitygenerated"}

// itemsRe reads the item count m365.ual writes into a MailItemsAccessed
// message after the actor: "<actor> read 12 items …" (importers/m365_ual.go).
var itemsRe = regexp.MustCompile(`^ read (\d+) items?\b`)

// mailItems returns the item count of a MailItemsAccessed event, if its
// record gives one.
func mailItems(e *timeline.Event) (int, bool) {
	who := e.Actor
	if who == "" {
		who = "unknown user"
	}
	rest, ok := strings.CutPrefix(e.Message, who)
	if !ok {
		return 0, false
	}
	m := itemsRe.FindStringSubmatch(rest)
	if m == nil {
		return 0, false
	}
	n, err := strconv.Atoi(m[1])
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

// presented is the credential an event presented, as graph.Build reads it:
// its token, else its key, else its session.
func presented(e *timeline.Event) string {
	switch {
	case e.TokenID != "":
		return "token:" + e.TokenID
	case e.KeyID != "":
		return "key:" + e.KeyID
	case e.SessionID != "":
		return "session:" + e.SessionID
	}
	return ""
}

// scan reads the case once: the malicious events are the successful events
// that presented a credential of the chain at or after the chain reached it.
func scan(ctx context.Context, in Input, c *graph.Chain) (*scanned, error) {
	reach := map[string]time.Time{}
	for _, n := range c.Nodes {
		switch n.Kind {
		case "key", "token", "session":
			reach[n.ID] = n.FirstSeen
		}
	}
	want := map[string]bool{}
	for _, a := range in.Annotations {
		if id, ok := strings.CutPrefix(a.Target, "event:"); ok && (a.Star || strings.TrimSpace(a.Note) != "" || slices.Contains(a.Tags, DetectionTag)) {
			want[id] = true
		}
	}
	s := &scanned{tenantFirst: map[string]*evt{}, targetFirst: map[string]*evt{}, tenantsInCase: map[string]bool{},
		domains: map[string]map[string]int{}, annotated: map[string]*evt{}}
	earlier := func(a *evt, t time.Time, id string) bool {
		return a == nil || t.Before(a.t) || t.Equal(a.t) && id < a.id
	}
	err := in.Case.Scan(ctx, timeline.Query{}, func(e *timeline.Event) error {
		if e.Tenant != "" {
			s.tenantsInCase[e.Tenant] = true
			for _, v := range [...]string{e.Target, e.Actor} {
				if _, dom, ok := strings.Cut(v, "@"); ok && dom != "" && !strings.ContainsAny(dom, "@ ") {
					m := s.domains[e.Tenant]
					if m == nil {
						m = map[string]int{}
						s.domains[e.Tenant] = m
					}
					m[strings.ToLower(dom)]++
					break
				}
			}
		}
		if slices.Contains(alertActions, strings.ToLower(e.Action)) {
			s.alerts = append(s.alerts, keep(e, ""))
		}
		if want[e.ID] {
			if old := s.annotated[e.ID]; old == nil || e.Time.Before(old.t) {
				k := keep(e, "")
				s.annotated[e.ID] = &k
			}
		}
		cred := presented(e)
		at, ok := reach[cred]
		if !ok || e.Time.Before(at) || e.Outcome == timeline.OutcomeFailure {
			return nil
		}
		s.events++
		k := keep(e, cred)
		if e.Action == "MailItemsAccessed" {
			if n, ok := mailItems(e); ok {
				k.items, k.counted = n, true
				s.items += int64(n)
				s.counted++
				if s.largest == nil || n > s.largest.items || n == s.largest.items && earlier(s.largest, e.Time, e.ID) {
					kk := k
					s.largest = &kk
				}
			} else {
				s.uncounted++
			}
		}
		if earlier(s.first, e.Time, e.ID) {
			kk := k
			s.first = &kk
		}
		if s.last == nil || e.Time.After(s.last.t) || e.Time.Equal(s.last.t) && e.ID > s.last.id {
			kk := k
			s.last = &kk
		}
		if e.Tenant != "" && earlier(s.tenantFirst[e.Tenant], e.Time, e.ID) {
			kk := k
			s.tenantFirst[e.Tenant] = &kk
		}
		if e.Target != "" && earlier(s.targetFirst[e.Target], e.Time, e.ID) {
			kk := k
			s.targetFirst[e.Target] = &kk
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("board: reading %s: %w", in.Case.Dir(), err)
	}
	return s, nil
}

// tenantName names a tenant by the mail domain most seen with it in the
// malicious activity, else by its id.
func (s *scanned) tenantName(id string) string {
	best, n := "", 0
	for d, c := range s.domains[id] {
		if c > n || c == n && d < best {
			best, n = d, c
		}
	}
	if best != "" {
		return best
	}
	return id
}

// count fills the numbers from the chain and the scan.
func (r *Report) count(s *scanned) {
	n := &r.Numbers
	// What the chain reached through a causal edge (a mailbox that is
	// itself the root was not accessed by anything of the chain), and the
	// tenants of those and of the chain's credentials.
	reached := map[string]bool{}
	for _, e := range r.Chain.Edges {
		if e.Causal {
			reached[e.To] = true
		}
	}
	credential := func(id string) bool {
		return strings.HasPrefix(id, "key:") || strings.HasPrefix(id, "token:") || strings.HasPrefix(id, "session:")
	}
	tenants := map[string]bool{}
	for _, e := range r.Chain.Edges {
		if e.Relation == graph.RelIn && (reached[e.From] || credential(e.From)) {
			tenants[e.To] = true
		}
	}
	n.Tenants = len(tenants)
	r.affected = tenants
	for _, c := range r.Chain.Nodes {
		switch {
		case c.Kind == "mailbox" && reached[c.ID]:
			n.Mailboxes++
		case c.Kind == "resource" && reached[c.ID]:
			n.Resources++
		case credential(c.ID):
			n.Credentials++
		}
	}
	n.TenantsInCase = len(s.tenantsInCase)
	n.Items, n.CountedRecords, n.UncountedRecords = s.items, s.counted, s.uncounted
	n.Events = s.events
	if s.first != nil {
		r.FirstActivity, r.LastActivity = s.first.t, s.last.t
		n.Dwell = r.LastActivity.Sub(r.FirstActivity)
	}
	r.names = map[string]string{}
	for t := range s.tenantsInCase {
		r.names[t] = s.tenantName(t)
	}
	for _, c := range r.Chain.Nodes {
		if v, ok := strings.CutPrefix(c.ID, "tenant:"); ok {
			r.names[v] = s.tenantName(v)
		}
	}
}

// DetectionTag is the annotation tag that marks the event where the
// incident was detected.
const DetectionTag = "detection"

// detection sets the detection time: the one given; else the earliest
// event an analyst tagged DetectionTag; else the first provider alert at
// or after the first malicious activity; else the earliest finding that is
// not a coverage gap (which only says when the activity could have been
// caught, since findings run after the fact).
func (r *Report) detection(fs []graph.Finding, as []timeline.Annotation, given time.Time, s *scanned) {
	var tagged *evt
	for _, a := range as {
		id, ok := strings.CutPrefix(a.Target, "event:")
		if !ok || !slices.Contains(a.Tags, DetectionTag) {
			continue
		}
		if e := s.annotated[id]; e != nil && (tagged == nil || e.t.Before(tagged.t)) {
			tagged = e
		}
	}
	var alert *evt
	for i := range s.alerts {
		a := &s.alerts[i]
		if !a.t.Before(r.FirstActivity) && (alert == nil || a.t.Before(alert.t) || a.t.Equal(alert.t) && a.id < alert.id) {
			alert = a
		}
	}
	switch {
	case !given.IsZero():
		r.Detection = given.UTC()
		r.DetectionBasis = "the detection time supplied (" + fmtTime(r.Detection) + ")"
		r.detShort = "the detection time given"
	case tagged != nil:
		r.Detection = tagged.t
		r.DetectionBasis = fmt.Sprintf("the event an analyst tagged %q (%s at %s)", DetectionTag, tagged.action, fmtTime(tagged.t))
		r.detShort = "the event tagged " + DetectionTag
	case alert != nil && !r.FirstActivity.IsZero():
		r.Detection = alert.t
		r.DetectionBasis = fmt.Sprintf("the first provider alert after the activity began (%s in %s at %s)",
			alert.action, r.nameOf(alert.tenant), fmtTime(alert.t))
		r.detShort = "the first provider alert"
	default:
		var first *graph.Finding
		for i := range fs {
			f := &fs[i]
			if f.Rule == graph.RuleCoverageGap {
				continue
			}
			if first == nil || f.Time.Before(first.Time) {
				first = f
			}
		}
		if first == nil {
			r.DetectionBasis = "no detection time: none supplied or tagged, no provider alert, no finding"
			return
		}
		r.Detection = first.Time.UTC()
		r.detShort = "the earliest finding"
		r.DetectionBasis = fmt.Sprintf("the earliest finding (%s at %s): Causeway's rules run after the fact, so this is when the activity could first have been caught; tag the real detection event %q or supply its time",
			first.Rule, fmtTime(r.Detection), DetectionTag)
	}
	if !r.FirstActivity.IsZero() {
		r.Numbers.TimeToDetect = r.Detection.Sub(r.FirstActivity)
	}
}

// subject names what the chain starts from, for the headline.
func (r *Report) subject(forged bool) string {
	kind, _, _ := strings.Cut(r.Root, ":")
	switch {
	case len(r.Roots) > 0:
		return plural(len(r.Roots), "token") + " that no sign-in issued"
	case kind == "key" && forged:
		return "Tokens forged with one signing key"
	case kind == "key":
		return "One key"
	case kind == "token":
		return "One token"
	case kind == "session":
		return "One session"
	case kind == "identity":
		return "The credentials of " + strings.TrimPrefix(r.Root, "identity:")
	case kind == "app":
		return "The credentials app " + strings.TrimPrefix(r.Root, "app:") + " used"
	case kind == "ip":
		return "The credentials used from " + strings.TrimPrefix(r.Root, "ip:")
	}
	return "The chain from " + r.Root
}

// headline writes the one sentence: who, what (counted), how long, and
// when against detection.
func (r *Report) headline(forged bool, s *scanned) {
	n := r.Numbers
	var b strings.Builder
	b.WriteString(r.subject(forged))
	switch {
	case n.Mailboxes > 0:
		fmt.Fprintf(&b, " read %s in %s", plural(n.Mailboxes, "mailbox"), plural(n.Tenants, "tenant"))
	case n.Resources > 0:
		fmt.Fprintf(&b, " reached %s in %s", plural(n.Resources, "resource"), plural(n.Tenants, "tenant"))
	default:
		b.WriteString(" reached no mailbox or resource")
	}
	if s.first == nil {
		b.WriteString(", with no successful activity in the case")
		r.Headline = b.String()
		return
	}
	if n.Dwell >= time.Minute {
		b.WriteString(" over " + fmtDuration(n.Dwell))
	}
	switch {
	case r.Detection.IsZero():
	case !r.Detection.Before(r.LastActivity):
		b.WriteString(" before detection")
	case r.Detection.After(r.FirstActivity):
		b.WriteString(", and went on for " + fmtDuration(r.LastActivity.Sub(r.Detection)) + " after detection")
	}
	r.Headline = b.String()
}

// figures writes the large numbers.
func (r *Report) figures() {
	n := r.Numbers
	items := Figure{Value: "unknown", Label: "items read",
		Detail: "no MailItemsAccessed record of the attack gives a count"}
	if n.CountedRecords > 0 {
		items = Figure{Value: fmtInt(n.Items), Label: "items read",
			Detail: "from " + plural(n.CountedRecords, "MailItemsAccessed record")}
		if n.UncountedRecords == 1 {
			items.Detail = "at least: " + items.Detail + "; 1 more gives no count"
		} else if n.UncountedRecords > 1 {
			items.Detail = "at least: " + items.Detail + "; " + fmtInt(int64(n.UncountedRecords)) + " more give none"
		}
	} else if n.UncountedRecords == 0 {
		items.Detail = "no MailItemsAccessed record of the attack in the case"
	}
	what := Figure{Value: fmtInt(int64(n.Mailboxes)), Label: "mailboxes accessed", Detail: "mailboxes the chain read"}
	if n.Mailboxes == 0 && n.Resources > 0 {
		what = Figure{Value: fmtInt(int64(n.Resources)), Label: "resources accessed", Detail: "resources the chain touched"}
	}
	if n.Mailboxes == 0 && n.CountedRecords+n.UncountedRecords == 0 {
		// No mail: count what the attacker did instead of items read.
		items = Figure{Value: fmtInt(int64(n.Events)), Label: "attacker actions",
			Detail: "successful events that used the chain's credentials"}
	}
	r.Figures = []Figure{
		{Value: fmtInt(int64(n.Tenants)), Label: "tenants affected",
			Detail: fmt.Sprintf("tenants the chain reached, of %d in the case", n.TenantsInCase)},
		what,
		items,
		{Value: "none", Label: "dwell time", Detail: "no malicious activity in the case"},
		{Value: "unknown", Label: "time to detect", Detail: "no detection time"},
	}
	if !r.FirstActivity.IsZero() {
		r.Figures[3] = Figure{Value: fmtDuration(n.Dwell), Label: "dwell time", Detail: "first to last malicious activity"}
		if !r.Detection.IsZero() {
			v := fmtDuration(n.TimeToDetect)
			if n.TimeToDetect < 0 {
				v = "before"
			}
			r.Figures[4] = Figure{Value: v, Label: "time to detect", Detail: "first malicious activity to " + r.detShort}
		}
	}
}

// text says in plain words what a malicious event did: who (the attacker,
// posing as the identity the credential names), what, and on what.
func (e *evt) text() string {
	who := "The attacker"
	if e.actor != "" {
		who += ", posing as " + graph.Label(timeline.KindIdentity, e.actor) + ","
	}
	target := graph.Label(timeline.EntityKind(e.tkind), e.target)
	mailbox := "mailbox " + target
	if e.target != "" && e.target == e.actor {
		mailbox = "that mailbox"
	}
	var what string
	switch {
	case e.action == "MailItemsAccessed":
		switch {
		case e.counted && e.items == 1:
			what = "read 1 item in " + mailbox
		case e.counted:
			what = "read " + fmtInt(int64(e.items)) + " items in " + mailbox
		case strings.Contains(e.message, " synced "):
			what = "synced the folders of " + mailbox
		default:
			what = "read items in " + mailbox
		}
	case e.category == timeline.CategoryToken && e.keyID != "" && strings.HasPrefix(e.credential, "token:"):
		what = "presented a token signed with key " + e.keyID
	case e.issuedKind == timeline.IssuedToken:
		what = "obtained a new token (" + e.action + ")"
	case e.issuedKind == timeline.IssuedKey:
		what = "created a new credential (" + e.action + ")"
	case e.target != "":
		what = "ran " + e.action + " on " + target
	default:
		what = "ran " + e.action
	}
	if e.appName != "" && e.category != timeline.CategoryMail {
		what += " through " + e.appName
	}
	return who + " " + what
}

// maxKeyEvents and minKeyEvents bound the key events.
const (
	maxKeyEvents = 10
	minKeyEvents = 5
)

// keyEvents chooses the events that tell the story: the first and the
// last malicious activity, the largest read, the first access in each
// tenant, then first accesses of other targets until there are five.
func keyEvents(s *scanned, name func(string) string) []KeyEvent {
	if s.first == nil {
		return []KeyEvent{}
	}
	type pick struct {
		e       *evt
		impacts []string
	}
	var picks []*pick
	byID := map[string]*pick{}
	add := func(e *evt, impact string) {
		if p, ok := byID[e.id]; ok {
			p.impacts = append(p.impacts, impact)
			return
		}
		if len(picks) >= maxKeyEvents {
			return
		}
		p := &pick{e: e, impacts: []string{impact}}
		byID[e.id] = p
		picks = append(picks, p)
	}
	add(s.first, "first activity")
	add(s.last, "last activity")
	if s.largest != nil && s.largest.items > 0 {
		add(s.largest, "most items in one record")
	}
	firsts := sortedEvts(s.tenantFirst)
	for _, e := range firsts {
		add(e, "first in "+name(e.tenant))
	}
	if len(picks) < minKeyEvents {
		for _, e := range sortedEvts(s.targetFirst) {
			if len(picks) >= minKeyEvents {
				break
			}
			add(e, "first access to "+e.target)
		}
	}
	out := make([]KeyEvent, 0, len(picks))
	for _, p := range picks {
		out = append(out, KeyEvent{Time: p.e.t, Text: p.e.text(), Impact: strings.Join(p.impacts, "; "),
			Tenant: name(p.e.tenant), EventID: p.e.id, Source: p.e.source})
	}
	slices.SortFunc(out, func(a, b KeyEvent) int { return cmp.Or(a.Time.Compare(b.Time), strings.Compare(a.EventID, b.EventID)) })
	return out
}

func sortedEvts(m map[string]*evt) []*evt {
	out := make([]*evt, 0, len(m))
	for _, e := range m {
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b *evt) int { return cmp.Or(a.t.Compare(b.t), strings.Compare(a.id, b.id)) })
	return out
}

// gapRe reads a coverage-gap finding's summary, as graph writes it: "<what>
// was not logged for <tenant> between <day> and <day>" or "… on <day>".
var (
	gapRe = regexp.MustCompile(`^(.+) was not logged for `)
	dayRe = regexp.MustCompile(`\d{4}-\d{2}-\d{2}`)
)

// caveats writes what the numbers cannot show.
func (r *Report) caveats(fs []graph.Finding) {
	major, minor := r.coverage(fs)
	r.Caveats = append(r.Caveats, major...)
	if r.DetectionBasis != "" {
		if r.Detection.IsZero() {
			r.Caveats = append(r.Caveats, "Time to detect is unknown: "+r.DetectionBasis+".")
		} else {
			r.Caveats = append(r.Caveats, "Time to detect runs from the first malicious activity to "+r.DetectionBasis+".")
		}
	}
	r.Caveats = append(r.Caveats, r.RootReason)
	r.Caveats = append(r.Caveats, minor...)
	if n := r.Numbers; n.UncountedRecords > 0 {
		r.Caveats = append(r.Caveats, fmt.Sprintf("Items read sums the %s that give a count; %s (Sync, or no count) read items the log does not count.",
			plural(n.CountedRecords, "MailItemsAccessed record"), plural(n.UncountedRecords, "more record")))
	}
	if r.Diagram != nil && r.Diagram.Omitted > 0 {
		r.Caveats = append(r.Caveats, fmt.Sprintf("The diagram leaves out %s to stay readable; the numbers count them.",
			plural(r.Diagram.Omitted, "entity")))
	}
}

// coverage turns coverage-gap findings into sentences about the attack's
// days: per kind of log, for how many of the case's tenants it is missing
// for the whole attack, and for how many on some days. Gaps of low
// severity (a source that stops and starts) count only for affected
// tenants. It returns the gaps of medium or high severity first, the
// others second.
func (r *Report) coverage(fs []graph.Finding) (major, minor []string) {
	from, to := "0000-01-01", "9999-12-31"
	if !r.FirstActivity.IsZero() {
		from, to = r.FirstActivity.Format(time.DateOnly), r.LastActivity.Format(time.DateOnly)
	}
	type gap struct {
		whole, some map[string]bool
		order       int
	}
	gaps := map[string]*gap{}
	for _, f := range fs {
		if f.Rule != graph.RuleCoverageGap || len(f.Entities) == 0 {
			continue
		}
		m := gapRe.FindStringSubmatch(f.Summary)
		days := dayRe.FindAllString(f.Summary, -1)
		if m == nil || len(days) == 0 {
			continue
		}
		// The tenant's name may itself hold dates; the span is at the end.
		lo, hi := days[len(days)-1], days[len(days)-1]
		if len(days) >= 2 && strings.HasSuffix(f.Summary, days[len(days)-2]+" and "+hi) {
			lo = days[len(days)-2]
		}
		if hi < from || lo > to {
			continue
		}
		tenant, ok := strings.CutPrefix(f.Entities[0], "tenant:")
		if !ok {
			continue
		}
		if f.Severity == graph.SeverityLow && !r.affected["tenant:"+tenant] {
			continue
		}
		g := gaps[m[1]]
		if g == nil {
			g = &gap{whole: map[string]bool{}, some: map[string]bool{}, order: severityRank(f.Severity)}
			gaps[m[1]] = g
		}
		if lo <= from && hi >= to {
			g.whole[tenant] = true
		} else {
			g.some[tenant] = true
		}
	}
	whats := make([]string, 0, len(gaps))
	for w, g := range gaps {
		for t := range g.whole {
			delete(g.some, t)
		}
		whats = append(whats, w)
	}
	slices.SortFunc(whats, func(a, b string) int {
		ga, gb := gaps[a], gaps[b]
		return cmp.Or(cmp.Compare(ga.order, gb.order), cmp.Compare(len(gb.whole)+len(gb.some), len(ga.whole)+len(ga.some)),
			strings.Compare(a, b))
	})
	total := r.Numbers.TenantsInCase
	for _, w := range whats {
		g := gaps[w]
		var parts []string
		if n := len(g.whole); n > 0 {
			parts = append(parts, fmt.Sprintf("for the whole attack in %d of %d tenants (%s)", n, max(total, n), r.tenantList(g.whole)))
		}
		if n := len(g.some); n > 0 {
			more := ""
			if len(g.whole) > 0 {
				more = " more"
			}
			parts = append(parts, fmt.Sprintf("on some days in %d%s (%s)", n, more, r.tenantList(g.some)))
		}
		affected := 0
		for t := range g.whole {
			if r.affected["tenant:"+t] {
				affected++
			}
		}
		for t := range g.some {
			if r.affected["tenant:"+t] {
				affected++
			}
		}
		sentence := w + " was not logged " + strings.Join(parts, " and ")
		if affected > 0 {
			sentence += fmt.Sprintf("; %d of them among the %s affected", affected, plural(r.Numbers.Tenants, "tenant"))
		}
		if len(major)+len(minor) == 0 {
			sentence += ". Not logged is not the same as did not happen"
		}
		if g.order <= severityRank(graph.SeverityMedium) {
			major = append(major, sentence+".")
		} else if len(minor) < 2 {
			minor = append(minor, sentence+".")
		}
	}
	return major, minor
}

// tenantList names up to three tenants.
func (r *Report) tenantList(set map[string]bool) string {
	var names []string
	for t := range set {
		names = append(names, r.nameOf(t))
	}
	slices.Sort(names)
	if len(names) > 3 {
		return strings.Join(names[:3], ", ") + fmt.Sprintf(" and %d more", len(names)-3)
	}
	return strings.Join(names, ", ")
}

func (r *Report) nameOf(tenant string) string {
	if n, ok := r.names[tenant]; ok {
		return n
	}
	return tenant
}

// annotations collects the starred targets (with their notes) and the
// notes on targets not starred.
func (r *Report) annotations(as []timeline.Annotation, s *scanned) {
	r.Starred, r.Notes = []Starred{}, []Note{}
	for _, a := range as {
		if a.Star {
			st := Starred{Target: a.Target, Author: a.Author, Text: a.Target, Note: strings.TrimSpace(a.Note)}
			if id, ok := strings.CutPrefix(a.Target, "event:"); ok {
				if e := s.annotated[id]; e != nil {
					st.Time, st.Text = e.t, e.message
					if st.Text == "" {
						st.Text = e.action
					}
				} else {
					st.Text = "event " + id + " (not in the case)"
				}
			}
			r.Starred = append(r.Starred, st)
		}
		if note := strings.TrimSpace(a.Note); note != "" && !a.Star {
			r.Notes = append(r.Notes, Note{Target: a.Target, Author: a.Author, Text: note, Updated: a.Updated})
		}
	}
	slices.SortStableFunc(r.Starred, func(a, b Starred) int { return a.Time.Compare(b.Time) })
	slices.SortStableFunc(r.Notes, func(a, b Note) int { return a.Updated.Compare(b.Updated) })
}

// flaggedGroup is the diagram node that stands for the flagged tokens a
// union chain starts from.
const flaggedGroup = "group:token:flagged"

// diagram condenses the chain for the page. A union chain's root tokens
// become one root node, so that what they reached fans out from it.
func (r *Report) diagram(maxNodes int) *graph.Diagram {
	c := tidy(r.Chain)
	if len(r.Roots) > 0 {
		roots := map[string]bool{}
		for _, t := range r.Roots {
			roots[t] = true
		}
		m := &graph.Chain{Root: flaggedGroup}
		first := time.Time{}
		for _, n := range c.Nodes {
			if roots[n.ID] {
				if first.IsZero() || n.FirstSeen.Before(first) {
					first = n.FirstSeen
				}
				continue
			}
			m.Nodes = append(m.Nodes, n)
		}
		m.Nodes = append(m.Nodes, graph.ChainNode{ID: flaggedGroup, Kind: "token",
			Label: "no sign-in issued them", FirstSeen: first})
		type ek struct{ from, to, rel, ev string }
		at := map[ek]int{}
		for _, e := range c.Edges {
			if roots[e.From] {
				e.From = flaggedGroup
			}
			if roots[e.To] {
				e.To = flaggedGroup
			}
			if e.From == e.To {
				continue
			}
			k := ek{e.From, e.To, e.Relation, e.Evidence}
			if i, ok := at[k]; ok {
				m.Edges[i].Count += e.Count
				if e.Time.Before(m.Edges[i].Time) {
					m.Edges[i].Time = e.Time
				}
				continue
			}
			at[k] = len(m.Edges)
			m.Edges = append(m.Edges, e)
		}
		c = m
	}
	d := graph.NewDiagram(c, graph.DiagramOptions{MaxNodes: maxNodes})
	for i := range d.Nodes {
		if d.Nodes[i].ID == flaggedGroup {
			d.Nodes[i].Count = len(r.Roots)
		}
	}
	r.Diagram = d
	r.relabel()
	return d
}

// tidy returns a copy of the chain without the edges that tie tokens to a
// tenant that a mailbox or resource of the chain already shows: on a board
// they only repeat it.
func tidy(c *graph.Chain) *graph.Chain {
	shown := map[string]bool{}
	for _, e := range c.Edges {
		if e.Relation == graph.RelIn && (strings.HasPrefix(e.From, "mailbox:") || strings.HasPrefix(e.From, "resource:")) {
			shown[e.To] = true
		}
	}
	out := &graph.Chain{Root: c.Root, Nodes: c.Nodes}
	for _, e := range c.Edges {
		if e.Relation == graph.RelIn && strings.HasPrefix(e.From, "token:") && shown[e.To] {
			continue
		}
		out.Edges = append(out.Edges, e)
	}
	return out
}

// relabel names tenants by their mail domain and groups in plain words.
func (r *Report) relabel() {
	for i := range r.Diagram.Nodes {
		n := &r.Diagram.Nodes[i]
		if v, ok := strings.CutPrefix(n.ID, "tenant:"); ok {
			n.Label = r.nameOf(v)
			continue
		}
		if rest, ok := strings.CutPrefix(n.ID, "group:"); ok && n.ID != flaggedGroup {
			// The kind and count are drawn already ("mailbox ×3").
			_, parent, _ := strings.Cut(rest, ":")
			n.Label = ""
			if t, ok := strings.CutPrefix(parent, "tenant:"); ok {
				n.Label = "in " + r.nameOf(t)
			}
		}
	}
}

// boardDOT is the diagram's DOT with larger type for the page.
func boardDOT(d *graph.Diagram) ([]byte, error) {
	var buf bytes.Buffer
	if err := d.WriteDOT(&buf); err != nil {
		return nil, err
	}
	dot := buf.Bytes()
	// Attribute statements apply to what follows them: put ours after the
	// graph's defaults (the first "edge [" line), else after the opening.
	extra := []byte("  graph [nodesep=0.3, ranksep=0.7];\n  node [fontsize=16, margin=\"0.15,0.08\"];\n  edge [fontsize=13, penwidth=1.6, arrowsize=0.9];\n")
	at := bytes.Index(dot, []byte("\n  edge ["))
	if at >= 0 {
		at += bytes.IndexByte(dot[at+1:], '\n') + 2
	} else {
		at = bytes.IndexByte(dot, '\n') + 1
	}
	out := make([]byte, 0, len(dot)+len(extra))
	out = append(out, dot[:at]...)
	out = append(out, extra...)
	return append(out, dot[at:]...), nil
}

func plural(n int, what string) string {
	s := fmtInt(int64(n)) + " "
	if n == 1 {
		return s + what
	}
	switch {
	case strings.HasSuffix(what, "x"), strings.HasSuffix(what, "s"):
		return s + what + "es"
	case strings.HasSuffix(what, "ty"):
		return s + strings.TrimSuffix(what, "y") + "ies"
	}
	return s + what + "s"
}

// fmtInt writes n with thousands separators.
func fmtInt(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// fmtDuration writes a duration in the largest whole unit that says it
// (days below it are truncated: "31 days" means at least 31 days).
func fmtDuration(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	switch {
	case d >= 48*time.Hour:
		return plural(int(d/(24*time.Hour)), "day")
	case d >= 2*time.Hour:
		return plural(int(d/time.Hour), "hour")
	case d >= 2*time.Minute:
		return plural(int(d/time.Minute), "minute")
	case d == 0:
		return "0 minutes"
	}
	return "under 2 minutes"
}

func fmtTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }
