package board

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/causeway-ir/causeway/graph"
	"github.com/causeway-ir/causeway/timeline"
)

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
		r.Figures[3] = Figure{Value: fmtDuration(n.Dwell), Label: "dwell time",
			Detail: "first to last malicious activity: " + fmtDay(r.FirstActivity) + " to " + fmtDay(r.LastActivity)}
		if !r.Detection.IsZero() {
			v := fmtDuration(n.TimeToDetect)
			if n.TimeToDetect < 0 {
				v = "before"
			}
			r.Figures[4] = Figure{Value: v, Label: "time to detect",
				Detail: "first malicious activity to " + r.detShort + " (" + fmtDay(r.Detection) + ")"}
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

func fmtDay(t time.Time) string { return t.UTC().Format("2 Jan 2006") }

func fmtTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }
