package graph

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Rule ids of the findings.
const (
	RuleTokenWithoutSignin     = "token-without-signin"
	RuleNewAppForMailbox       = "new-app-for-mailbox"
	RuleConsumerTokenForTenant = "consumer-token-for-enterprise-tenant"
	RuleTokenReplayNewIP       = "token-replay-new-ip"
	RuleAccessKeyFromNewIP     = "access-key-from-new-ip"
	RuleRoleChain              = "role-chain"
	RuleCoverageGap            = "coverage-gap"
)

// Rules lists every rule id in a stable order.
func Rules() []string {
	return []string{RuleTokenWithoutSignin, RuleNewAppForMailbox, RuleConsumerTokenForTenant, RuleTokenReplayNewIP,
		RuleAccessKeyFromNewIP, RuleRoleChain, RuleCoverageGap}
}

// Severities, most severe first.
const (
	SeverityHigh   = "high"
	SeverityMedium = "medium"
	SeverityLow    = "low"
	SeverityInfo   = "info"
)

// Finding is one result of a rule. Findings tag events and entities; they
// never hide or drop events. Its JSON is the `causeway findings` contract.
type Finding struct {
	Rule     string    `json:"rule"`
	Severity string    `json:"severity"`
	Time     time.Time `json:"time"`
	Summary  string    `json:"summary"`
	Entities []string  `json:"entities"`
	Events   []string  `json:"events"`
}

// FindingOptions selects and tunes findings.
type FindingOptions struct {
	// Rules restricts the rules run (nil: all).
	Rules []string
	// Baseline is how much history a mailbox or an access key needs before
	// something new about it counts as new (0: 7 days for mailboxes, 1 day
	// for keys).
	Baseline time.Duration
	// EventIDs caps the event ids listed per finding; 0 means 32.
	EventIDs int
}

// Findings runs the rules over the graph and the facts Build gathered, and
// returns the findings sorted by time, then rule and summary.
func (g *Graph) Findings(opts FindingOptions) []Finding {
	want := func(r string) bool { return len(opts.Rules) == 0 || slices.Contains(opts.Rules, r) }
	if opts.EventIDs <= 0 {
		opts.EventIDs = 32
	}
	var fs []Finding
	if want(RuleTokenWithoutSignin) {
		fs = append(fs, g.tokenWithoutSignin(opts)...)
	}
	if want(RuleNewAppForMailbox) {
		fs = append(fs, g.newAppForMailbox(opts)...)
	}
	if want(RuleConsumerTokenForTenant) {
		fs = append(fs, g.consumerTokens(opts)...)
	}
	if want(RuleTokenReplayNewIP) {
		fs = append(fs, g.tokenReplay(opts)...)
	}
	if want(RuleAccessKeyFromNewIP) {
		fs = append(fs, g.keyFromNewIP(opts)...)
	}
	if want(RuleRoleChain) {
		fs = append(fs, g.roleChains(opts)...)
	}
	if want(RuleCoverageGap) {
		fs = append(fs, g.coverageGaps()...)
	}
	for i := range fs {
		if fs[i].Entities == nil {
			fs[i].Entities = []string{}
		}
		if fs[i].Events == nil {
			fs[i].Events = []string{}
		}
	}
	slices.SortFunc(fs, func(a, b Finding) int {
		return cmp.Or(a.Time.Compare(b.Time), strings.Compare(a.Rule, b.Rule), strings.Compare(a.Summary, b.Summary))
	})
	return fs
}

// tenantName names a tenant for a sentence: its id, with the mail domain
// most seen in it when there is one.
func (g *Graph) tenantName(t NodeID) string {
	if t < 0 {
		return "an unknown tenant"
	}
	name := g.value(t)
	best, n := "", int32(0)
	for d, c := range g.facts.domains[t] {
		if c > n || c == n && d < best {
			best, n = d, c
		}
	}
	if best != "" && !strings.EqualFold(best, name) {
		return name + " (" + best + ")"
	}
	return name
}

func (g *Graph) covered(tenant NodeID, act string, day int32) bool {
	i, ok := g.facts.actIndex[act]
	if !ok {
		return false
	}
	_, ok = g.facts.cov[covKey{tenant, i, day}]
	return ok
}

func fmtTime(t int64) string { return fromMicro(t).Format(time.RFC3339) }

func fmtDay(d int32) string {
	return time.UnixMicro(int64(d) * dayMicros).UTC().Format(time.DateOnly)
}

// causalEvents lists up to n event ids of the causal edges of node id, in
// (out) or out, earliest first.
func (g *Graph) causalEvents(id NodeID, out bool, n int) []string {
	adj := g.ins(id)
	if out {
		adj = g.outs(id)
	}
	var refs []idRef
	for _, a := range adj {
		e := g.edges.at(a.ei)
		if !g.relCausal[e.rel()] || e.ev() != Observed {
			continue
		}
		if !e.hasExt() {
			refs = append(refs, mkRef(g.eFirst(e), e.ref))
			continue
		}
		x := g.ext.at(e.ref)
		refs = append(refs, g.refs.get(x.head)...)
		refs = append(refs, g.refs.get(x.tail)...)
	}
	slices.SortFunc(refs, func(a, b idRef) int {
		return cmp.Or(cmp.Compare(a.time(), b.time()), strings.Compare(g.ids.get(a.id), g.ids.get(b.id)))
	})
	ids := make([]string, 0, min(n, len(refs)))
	for _, r := range refs {
		if len(ids) == n {
			break
		}
		if id := g.ids.get(r.id); len(ids) == 0 || ids[len(ids)-1] != id {
			ids = append(ids, id)
		}
	}
	return ids
}

// signers returns the keys seen signing token id.
func (g *Graph) signers(id NodeID) []string {
	var ks []string
	for _, a := range g.ins(id) {
		ei := a.ei
		e := g.edges.at(ei)
		if e.rel() == relSigned {
			ks = append(ks, g.entity(e.from()))
		}
	}
	slices.Sort(ks)
	return ks
}

func (g *Graph) tokenWithoutSignin(opts FindingOptions) []Finding {
	var fs []Finding
	for i := range g.nodes.len() {
		n := g.nodeAt(NodeID(i))
		if n.kind != kToken || n.aux < 0 {
			continue
		}
		tf := g.facts.tokens.at(n.aux)
		if tf.issued || tf.firstUse == maxTime || tf.useTenant < 0 {
			continue
		}
		// The tenant's sign-in log must be in the case on the day of first
		// use and the day before (a token lives up to a day): otherwise
		// "no sign-in" only means "not logged", which coverage-gap says.
		d := dayOf(tf.firstUse)
		if !g.covered(tf.useTenant, actSigninIssuance, d) || !g.covered(tf.useTenant, actSigninIssuance, d-1) {
			continue
		}
		id := NodeID(i)
		ents := []string{g.entity(id), g.entity(tf.useTenant)}
		who := ""
		if tf.actor >= 0 {
			ents = append(ents, g.entity(tf.actor))
			who = " as " + g.value(tf.actor)
		}
		ents = append(ents, g.signers(id)...)
		fs = append(fs, Finding{Rule: RuleTokenWithoutSignin, Severity: SeverityHigh, Time: fromMicro(tf.firstUse),
			Summary: fmt.Sprintf("token %s was used in %s%s from %s, but no sign-in in the case issued it although the tenant's sign-ins for %s are logged",
				Label("token", g.nameOf(n)), g.tenantName(tf.useTenant), who, fmtTime(tf.firstUse), fmtDay(d)),
			Entities: ents, Events: g.causalEvents(id, true, opts.EventIDs)})
	}
	return fs
}

// newAppForMailbox: mailboxes read by a client app (AppId/ClientAppId
// pair) that no mailbox of the tenant was read by during the tenant's
// baseline (the rule that caught Storm-0558: "the AppID did not typically
// access mailbox items"). A tenant's baseline starts at its first logged
// mailbox read; an app first seen before the baseline has passed is not new.
func (g *Graph) newAppForMailbox(opts FindingOptions) []Finding {
	baseline := int64(7 * dayMicros)
	if opts.Baseline > 0 {
		baseline = opts.Baseline.Microseconds()
	}
	type pairKey struct {
		tenant NodeID
		app    NodeID
		resApp int32
	}
	type hit struct {
		mailbox NodeID
		fact    mbAppFact
	}
	tenantFirst := map[NodeID]int64{}
	pairs := map[pairKey][]hit{}
	for k, v := range g.facts.mbApp {
		if old, ok := tenantFirst[v.tenant]; !ok || v.first < old {
			tenantFirst[v.tenant] = v.first
		}
		pk := pairKey{v.tenant, k.app, k.resApp}
		pairs[pk] = append(pairs[pk], hit{k.mailbox, v})
	}
	var fs []Finding
	for pk, hits := range pairs {
		if pk.tenant < 0 || pk.app < 0 && pk.resApp < 0 {
			continue
		}
		slices.SortFunc(hits, func(a, b hit) int {
			return cmp.Or(cmp.Compare(a.fact.first, b.fact.first), strings.Compare(g.entity(a.mailbox), g.entity(b.mailbox)))
		})
		first := hits[0].fact.first
		if first-tenantFirst[pk.tenant] < baseline {
			continue // seen while the tenant's baseline was being learnt
		}
		var ents, evs, boxes []string
		app := "no client app id"
		if pk.app >= 0 {
			ents = append(ents, g.entity(pk.app))
			app = "app " + g.value(pk.app)
		}
		if pk.resApp >= 0 {
			app += " calling " + g.facts.resApps[pk.resApp]
		}
		ents = append(ents, g.entity(pk.tenant))
		for _, h := range hits {
			ents = append(ents, g.entity(h.mailbox))
			boxes = append(boxes, g.value(h.mailbox))
			if len(evs) < opts.EventIDs {
				evs = append(evs, h.fact.id)
			}
		}
		what := boxes[0]
		if len(boxes) > 1 {
			what = fmt.Sprintf("%d mailboxes (%s, …)", len(boxes), boxes[0])
		}
		fs = append(fs, Finding{Rule: RuleNewAppForMailbox, Severity: SeverityHigh, Time: fromMicro(first),
			Summary: fmt.Sprintf("%s in %s read by %s from %s; no mailbox of the tenant was read by it in the %s before",
				what, g.tenantName(pk.tenant), app, fmtTime(first), fmtSpan(first-tenantFirst[pk.tenant])),
			Entities: ents, Events: evs})
	}
	return fs
}

// fmtSpan writes a duration in days (or hours when under two days).
func fmtSpan(d int64) string {
	if d < 2*dayMicros {
		return plural(int(d/(3600*1_000_000)), "hour")
	}
	return plural(int(d/dayMicros), "day")
}

func (g *Graph) consumerTokens(opts FindingOptions) []Finding {
	type key struct{ token, tenant NodeID }
	groups := map[key][]eventRef{}
	for _, r := range g.facts.consumer {
		k := key{r.token, r.tenant}
		groups[k] = append(groups[k], r)
	}
	var fs []Finding
	for k, rs := range groups {
		slices.SortFunc(rs, func(a, b eventRef) int { return cmp.Or(cmp.Compare(a.t, b.t), strings.Compare(a.id, b.id)) })
		var evs []string
		for _, r := range rs {
			if len(evs) < opts.EventIDs {
				evs = append(evs, r.id)
			}
		}
		ents := append([]string{g.entity(k.token), g.entity(k.tenant)}, g.signers(k.token)...)
		fs = append(fs, Finding{Rule: RuleConsumerTokenForTenant, Severity: SeverityHigh, Time: fromMicro(rs[0].t),
			Summary: fmt.Sprintf("token %s issued by the consumer (MSA) tenant was presented to enterprise tenant %s (%s from %s)",
				Label("token", g.value(k.token)), g.tenantName(k.tenant), plural(len(rs), "event"), fmtTime(rs[0].t)),
			Entities: ents, Events: evs})
	}
	return fs
}

func (g *Graph) tokenReplay(opts FindingOptions) []Finding {
	var fs []Finding
	for i := range g.nodes.len() {
		n := g.nodeAt(NodeID(i))
		if n.kind != kToken || n.aux < 0 {
			continue
		}
		tf := g.facts.tokens.at(n.aux)
		ips := g.facts.ipSlab.get(tf.ips)
		if len(ips) == 0 {
			continue
		}
		origin, since := tf.issueIP, tf.issueT
		if origin < 0 {
			// Not issued in the case (or from no address): its first
			// address is its origin.
			first := ips[0]
			for _, s := range ips[1:] {
				if s.first < first.first {
					first = s
				}
			}
			origin, since = first.ip, first.first
		}
		for _, s := range ips {
			if s.ip == origin || s.first < since {
				continue
			}
			if tf.actor >= 0 {
				if t, ok := g.facts.actorIP.get(uint64(tf.actor)<<32 | uint64(s.ip)); ok && t < s.first {
					continue // the identity used that address before
				}
			}
			id := NodeID(i)
			ents := []string{g.entity(id), g.entity(s.ip), g.entity(origin)}
			who := ""
			if tf.actor >= 0 {
				ents = append(ents, g.entity(tf.actor))
				who = " of " + g.value(tf.actor)
			}
			evs := []string{g.ids.get(s.id)}
			for _, a := range g.ins(id) {
				ei := a.ei
				if e := g.edges.at(ei); e.rel() == relOrigin && e.from() == s.ip {
					evs = append(evs, g.eventIDs(ei, s.first, maxTime, opts.EventIDs)...)
				}
			}
			fs = append(fs, Finding{Rule: RuleTokenReplayNewIP, Severity: SeverityHigh, Time: fromMicro(s.first),
				Summary: fmt.Sprintf("token %s%s, first used from %s, was replayed from new address %s at %s",
					Label("token", g.nameOf(n)), who, g.value(origin), g.value(s.ip), fmtTime(s.first)),
				Entities: ents, Events: dedupe(evs, opts.EventIDs)})
		}
	}
	return fs
}

func dedupe(ids []string, n int) []string {
	seen := map[string]bool{}
	out := ids[:0]
	for _, id := range ids {
		if !seen[id] && len(out) < n {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

func (g *Graph) keyFromNewIP(opts FindingOptions) []Finding {
	baseline := int64(dayMicros)
	if opts.Baseline > 0 {
		baseline = opts.Baseline.Microseconds()
	}
	var fs []Finding
	for i := range g.nodes.len() {
		n := g.nodeAt(NodeID(i))
		if n.kind != kKey || n.aux < 0 {
			continue
		}
		kf := g.facts.keys.at(n.aux)
		for _, s := range g.facts.ipSlab.get(kf.ips) {
			if s.first-kf.firstUse < baseline {
				continue // part of the key's baseline
			}
			id := NodeID(i)
			ents := []string{g.entity(id), g.entity(s.ip)}
			if kf.actor >= 0 {
				ents = append(ents, g.entity(kf.actor))
			}
			evs := []string{g.ids.get(s.id)}
			for _, a := range g.ins(id) {
				ei := a.ei
				if e := g.edges.at(ei); e.rel() == relOrigin && e.from() == s.ip {
					evs = append(evs, g.eventIDs(ei, s.first, maxTime, opts.EventIDs)...)
				}
			}
			fs = append(fs, Finding{Rule: RuleAccessKeyFromNewIP, Severity: SeverityHigh, Time: fromMicro(s.first),
				Summary: fmt.Sprintf("key %s, in use since %s, was used from new address %s at %s",
					Label("key", g.nameOf(n)), fmtTime(kf.firstUse), g.value(s.ip), fmtTime(s.first)),
				Entities: ents, Events: dedupe(evs, opts.EventIDs)})
		}
	}
	return fs
}

func (g *Graph) roleChains(opts FindingOptions) []Finding {
	var fs []Finding
	for _, r := range g.facts.roles {
		// Depth: how many exchanges led to the presented token.
		depth, cur := 1, r.from
		for range 16 {
			prev := NodeID(-1)
			for _, a := range g.ins(cur) {
				ei := a.ei
				if e := g.edges.at(ei); e.rel() == relIssued && g.nodeAt(e.from()).kind == kToken {
					prev = e.from()
					break
				}
			}
			if prev < 0 {
				break
			}
			depth, cur = depth+1, prev
		}
		ents := []string{g.entity(r.from), g.entity(r.to)}
		into := ""
		if r.target >= 0 {
			ents = append(ents, g.entity(r.target))
			into = " into " + g.value(r.target)
		}
		if r.actor >= 0 {
			ents = append(ents, g.entity(r.actor))
		}
		if r.ip >= 0 {
			ents = append(ents, g.entity(r.ip))
		}
		sev := SeverityMedium
		if depth > 1 {
			sev = SeverityHigh
		}
		fs = append(fs, Finding{Rule: RuleRoleChain, Severity: sev, Time: fromMicro(r.t),
			Summary: fmt.Sprintf("temporary credential %s, itself from a role or token exchange, was used for %s%s, issuing %s (chain depth %d)",
				Label("token", g.value(r.from)), r.action, into, Label("token", g.value(r.to)), depth+1),
			Entities: ents, Events: []string{r.id}})
	}
	return fs
}

// coverageGaps reports, per tenant, source and day, where the logs needed to
// see an activity are absent: "not logged" is not "did not happen".
func (g *Graph) coverageGaps() []Finding {
	type tenantDays struct {
		active map[int32]bool
		acts   map[uint16]map[int32]bool
	}
	ts := map[NodeID]*tenantDays{}
	for k := range g.facts.cov {
		td := ts[k.tenant]
		if td == nil {
			td = &tenantDays{active: map[int32]bool{}, acts: map[uint16]map[int32]bool{}}
			ts[k.tenant] = td
		}
		td.active[k.day] = true
		if td.acts[k.act] == nil {
			td.acts[k.act] = map[int32]bool{}
		}
		td.acts[k.act][k.day] = true
	}
	has := func(td *tenantDays, act string) map[int32]bool {
		if i, ok := g.facts.actIndex[act]; ok {
			return td.acts[i]
		}
		return nil
	}
	var fs []Finding
	// gap reports the runs of active days without the activity; a run
	// ends only at a day that has it.
	gap := func(tenant NodeID, active []int32, present map[int32]bool, what string, sev string) {
		for _, run := range runs(active, present) {
			// Where the activity is logged at all, a quiet day or two is
			// normal (a small tenant, a weekend); a gap is three days on.
			if len(present) > 0 && run[1]-run[0] < 2 {
				continue
			}
			span := "between " + fmtDay(run[0]) + " and " + fmtDay(run[1])
			if run[0] == run[1] {
				span = "on " + fmtDay(run[0])
			}
			fs = append(fs, Finding{Rule: RuleCoverageGap, Severity: sev, Time: fromMicro(int64(run[0]) * dayMicros),
				Summary:  fmt.Sprintf("%s was not logged for %s %s", what, g.tenantName(tenant), span),
				Entities: []string{g.entity(tenant)}})
		}
	}
	for tenant, td := range ts {
		active := make([]int32, 0, len(td.active))
		for d := range td.active {
			active = append(active, d)
		}
		slices.Sort(active)
		microsoft := has(td, srcPrefix+"entra.signin") != nil || has(td, srcPrefix+"m365.ual") != nil ||
			has(td, srcPrefix+"entra.audit") != nil
		if microsoft {
			gap(tenant, active, has(td, actMailItemsAccessed), actMailItemsAccessed, SeverityMedium)
			gap(tenant, active, has(td, actSigninIssuance), "Sign-in activity (Entra sign-in logs)", SeverityMedium)
		}
		if has(td, srcPrefix+"aws.cloudtrail") != nil && has(td, actS3Data) == nil {
			gap(tenant, active, nil, "S3 object access (CloudTrail data events)", SeverityLow)
		}
		// A source that stops and starts again for a tenant: only a source
		// logged on nearly every day of its span, silent for days running.
		for act, days := range td.acts {
			name, ok := strings.CutPrefix(g.facts.acts[act], srcPrefix)
			if !ok {
				continue
			}
			lo, hi := int32(1<<30), int32(-1<<30)
			for d := range days {
				lo, hi = min(lo, d), max(hi, d)
			}
			inner := slices.DeleteFunc(slices.Clone(active), func(d int32) bool { return d < lo || d > hi })
			if len(days)*10 < len(inner)*9 {
				continue // a sparse source: quiet days are normal for it
			}
			gap(tenant, inner, days, "Activity from source "+name, SeverityLow)
		}
	}
	return fs
}

// runs returns the [first, last] runs of the sorted days that are not
// present; a run ends only at a present day.
func runs(days []int32, present map[int32]bool) [][2]int32 {
	var rs [][2]int32
	open := false
	for _, d := range days {
		if present[d] {
			open = false
			continue
		}
		if open {
			rs[len(rs)-1][1] = d
			continue
		}
		rs = append(rs, [2]int32{d, d})
		open = true
	}
	return rs
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
