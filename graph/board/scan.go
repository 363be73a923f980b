package board

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/causeway-ir/causeway/graph"
	"github.com/causeway-ir/causeway/timeline"
)

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
