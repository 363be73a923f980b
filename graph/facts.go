package graph

import (
	"net/netip"
	"strings"

	"github.com/causeway-ir/causeway/timeline"
)

// ConsumerTenant is the Entra tenant id of Microsoft consumer (MSA)
// accounts: a token it issued is never valid for an enterprise tenant.
const ConsumerTenant = "9188040d-6c67-4c5b-b112-36a304b66dad"

// Activities whose coverage is tracked besides each source.
const (
	actMailItemsAccessed = "MailItemsAccessed"
	actSigninIssuance    = "sign-in"
	actS3Data            = "S3 data events"
	srcPrefix            = "source:"
)

const dayMicros = 86400 * 1_000_000

func dayOf(t int64) int32 {
	d := t / dayMicros
	if t < 0 && t%dayMicros != 0 {
		d--
	}
	return int32(d)
}

// facts are what the findings need, gathered by Build in the same pass.
type facts struct {
	acts     []string
	actIndex map[string]uint16
	// cov holds the tenant, activity (a source, or one of the act* names)
	// and day triples that have events.
	cov     map[covKey]struct{}
	lastCov [256]covKey // recent keys, to skip map work on runs of events

	actMIA, actSignin, actS3 uint16
	sourceAct                map[string]uint16 // source name → its activity

	// recentActorIP holds pairs noted in actorIP lately, with a time
	// noted for each (so that a later one changes nothing): most events
	// repeat a pair seen a little before, and the table is large.
	recentActorIP *[recentActorIPs]firstTime
	lastMbApp     mbAppKey
	lastMbAppT    int64
	// The last source and resource app seen, and their indexes (the
	// strings are held only while building: finish drops them).
	lastSource    string
	lastSourceAct uint16
	lastResApp    string
	lastResAppIdx int32

	tokens  chunked[tokenFact]
	keys    chunked[keyFact]
	ipSlab  slab[ipSeen]
	actorIP firstTimes // actor<<32 | ip → first time
	mbApp   map[mbAppKey]mbAppFact

	resApps   []string
	resAppIdx map[string]int32

	consumer []eventRef
	roles    []roleRef
	domains  map[NodeID]map[string]int32 // tenant → mailbox domain → count
}

type covKey struct {
	tenant NodeID
	act    uint16
	day    int32
}

// ipSeen is an address a credential was presented from, with the time
// and event (a handle in Graph.ids) of its first use.
type ipSeen struct {
	ip    NodeID
	id    int32
	first int64
}

// tokenFact and keyFact hold no pointers: millions of tokens are a few
// chunks for the collector. tokenFact's fields are ordered so that it is
// 56 bytes, not 64 (4.3 million tokens in a real case).
type tokenFact struct {
	firstUse, issueT int64
	sessionT         int64 // when session was presented (kept with the int64s for the size)
	useTenant        NodeID
	actor            NodeID
	issueIP          NodeID
	ips              span // of facts.ipSlab
	// The first session the token was presented in, and the event
	// (sessionEv, a handle in Graph.ids); sessionT above is when.
	session   NodeID
	sessionEv int32
	issued    bool
}

type keyFact struct {
	firstUse int64
	actor    NodeID
	ips      span // of facts.ipSlab
}

type mbAppKey struct {
	mailbox NodeID
	app     NodeID // -1 when the record gave none
	resApp  int32  // index into resApps, -1 when none
}

type mbAppFact struct {
	first  int64
	id     string
	tenant NodeID
}

type eventRef struct {
	t      int64
	id     string
	token  NodeID
	tenant NodeID
	issuer string
}

type roleRef struct {
	t          int64
	id         string
	from, to   NodeID
	target     NodeID
	action     string
	tenant, ip NodeID
	actor      NodeID
}

func (f *facts) init() {
	f.ipSlab = newSlab[ipSeen]()
	f.actIndex = make(map[string]uint16)
	f.cov = make(map[covKey]struct{})
	f.sourceAct = make(map[string]uint16)
	f.actMIA, f.actSignin, f.actS3 = f.act(actMailItemsAccessed), f.act(actSigninIssuance), f.act(actS3Data)
	f.recentActorIP = new([recentActorIPs]firstTime)
	f.lastMbApp.mailbox = -1
	for i := range f.lastCov {
		f.lastCov[i].tenant = -1
	}
	f.mbApp = make(map[mbAppKey]mbAppFact)
	f.resAppIdx = make(map[string]int32)
	f.domains = make(map[NodeID]map[string]int32)
}

// cover records that tenant k.tenant has activity k.act on day k.day.
func (f *facts) cover(k covKey) {
	i := (uint(k.tenant)*31 + uint(k.act)*7 + uint(k.day)) % uint(len(f.lastCov))
	if f.lastCov[i] == k {
		return
	}
	f.cov[k] = struct{}{}
	f.lastCov[i] = k
}

func (f *facts) act(name string) uint16 {
	if i, ok := f.actIndex[name]; ok {
		return i
	}
	i := uint16(len(f.acts))
	f.actIndex[name] = i
	f.acts = append(f.acts, strings.Clone(name))
	return i
}

// token returns the facts of token id, filing them while building.
func (f *facts) token(g *Graph, id NodeID) *tokenFact {
	a := &g.nodeAt(id).aux
	if *a < 0 {
		*a = f.tokens.add(tokenFact{firstUse: maxTime, useTenant: -1, actor: -1, issueT: maxTime, issueIP: -1,
			session: -1})
	}
	return f.tokens.at(*a)
}

// key returns the facts of key id, filing them while building.
func (f *facts) key(g *Graph, id NodeID) *keyFact {
	a := &g.nodeAt(id).aux
	if *a < 0 {
		*a = f.keys.add(keyFact{firstUse: maxTime, actor: -1})
	}
	return f.keys.at(*a)
}

// isIPLiteral tells addresses from the host names and "AWS Internal" that
// some providers put in the client address field.
func isIPLiteral(s string) bool {
	_, err := netip.ParseAddr(s)
	return err == nil
}

func addIP(g *Graph, sp span, ip NodeID, t int64, id int32) span {
	ips := g.facts.ipSlab.get(sp)
	for i := range ips {
		if ips[i].ip == ip {
			if t < ips[i].first {
				ips[i].first, ips[i].id = t, id
			}
			return sp
		}
	}
	return g.facts.ipSlab.push(sp, ipSeen{ip: ip, first: t, id: id})
}

// isS3Data reports whether a CloudTrail action is an S3 object-level (data)
// event, which trails log only when data events are enabled.
func isS3Data(action string) bool {
	switch action {
	case "GetObject", "PutObject", "DeleteObject", "DeleteObjects", "CopyObject", "HeadObject",
		"GetObjectAcl", "PutObjectAcl", "GetObjectTagging", "PutObjectTagging", "RestoreObject",
		"SelectObjectContent", "CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload":
		return true
	}
	return false
}

// isRoleAssumption reports whether an action takes on another principal
// with the credential it presents (AWS role assumption, GCP impersonation).
func isRoleAssumption(action string) bool {
	return strings.HasPrefix(action, "AssumeRole") || strings.HasSuffix(action, "GenerateAccessToken") ||
		strings.HasSuffix(action, "GenerateIdToken") || strings.HasSuffix(action, "SignJwt")
}

func (f *facts) observe(g *Graph, r *rec, x *recText) {
	t, tail, tailKind, issued, issuedKind := r.t, r.tail, r.tailKind, r.issued, r.issuedKind
	target, targetKind, tenant, actor, ip, app := r.target, r.targetKind, r.tenant, r.actor, r.ip, r.app
	failed := r.failed
	day := dayOf(t)
	ipOK := ip >= 0 && r.ipAddr
	if tenant >= 0 {
		sa := f.lastSourceAct
		if x.source != f.lastSource || f.lastSource == "" {
			var ok bool
			if sa, ok = f.sourceAct[x.source]; !ok {
				sa = f.act(srcPrefix + x.source)
				f.sourceAct[strings.Clone(x.source)] = sa
			}
			f.lastSource, f.lastSourceAct = x.source, sa
		}
		f.cover(covKey{tenant, sa, day})
		if x.action == actMailItemsAccessed {
			f.cover(covKey{tenant, f.actMIA, day})
		}
		if x.category == timeline.CategorySignin && issuedKind == kToken {
			f.cover(covKey{tenant, f.actSignin, day})
		}
		if isS3Data(x.action) {
			f.cover(covKey{tenant, f.actS3, day})
		}
	}
	if actor >= 0 && ipOK {
		k := uint64(actor)<<32 | uint64(ip)
		if s := &f.recentActorIP[(k*0x9e3779b97f4a7c15)>>(64-recentActorIPBits)]; s.key != k+1 || t < s.t {
			f.actorIP.note(k, t)
			*s = firstTime{key: k + 1, t: t}
		}
	}
	if issuedKind == kToken {
		tf := f.token(g, issued)
		tf.issued = true
		if t < tf.issueT {
			tf.issueT = t
			tf.issueIP = -1
			if ipOK {
				tf.issueIP = ip
			}
		}
		if tf.actor < 0 {
			tf.actor = actor
		}
	}
	// A captured token (category token) is seen, not used.
	if tailKind == kToken && x.category != timeline.CategoryToken {
		tf := f.token(g, tail)
		if t < tf.firstUse {
			tf.firstUse, tf.useTenant = t, tenant
		}
		if tf.actor < 0 {
			tf.actor = actor
		}
		if ipOK {
			tf.ips = addIP(g, tf.ips, ip, t, r.h)
		}
	}
	if tailKind == kKey {
		kf := f.key(g, tail)
		if t < kf.firstUse {
			kf.firstUse = t
		}
		if kf.actor < 0 {
			kf.actor = actor
		}
		if ipOK {
			kf.ips = addIP(g, kf.ips, ip, t, r.h)
		}
	}
	if tailKind == kToken && x.category != timeline.CategorySignin &&
		strings.Contains(strings.ToLower(x.actorTenant), ConsumerTenant) &&
		tenant >= 0 && !r.consumerTenant {
		f.consumer = append(f.consumer, eventRef{t: t, id: g.ids.get(r.h), token: tail, tenant: tenant,
			issuer: strings.Clone(x.actorTenant)})
	}
	if tailKind == kToken && issuedKind == kToken && !failed && isRoleAssumption(x.action) {
		f.roles = append(f.roles, roleRef{t: t, id: g.ids.get(r.h), from: tail, to: issued, target: target,
			action: strings.Clone(x.action), tenant: tenant, ip: ip, actor: actor})
	}
	if targetKind == kMailbox && !failed && x.category == timeline.CategoryMail {
		ra := int32(-1)
		if x.resourceApp != "" && x.resourceApp == f.lastResApp {
			ra = f.lastResAppIdx
		} else if x.resourceApp != "" {
			var ok bool
			if ra, ok = f.resAppIdx[x.resourceApp]; !ok {
				ra = int32(len(f.resApps))
				f.resApps = append(f.resApps, strings.Clone(x.resourceApp))
				f.resAppIdx[f.resApps[ra]] = ra
			}
			f.lastResApp, f.lastResAppIdx = x.resourceApp, ra
		}
		k := mbAppKey{target, app, ra}
		if k == f.lastMbApp && t >= f.lastMbAppT {
			return // a run of reads by the same app: its first is known
		}
		f.lastMbApp, f.lastMbAppT = k, t
		old, ok := f.mbApp[k]
		if !ok || t < old.first {
			old.first, old.id, old.tenant = t, g.ids.get(r.h), tenant
			f.mbApp[k] = old
		}
		if !ok && tenant >= 0 {
			// Name tenants by the mail domains of their mailboxes.
			if _, domain, ok := strings.Cut(g.value(target), "@"); ok && domain != "" {
				m := f.domains[tenant]
				if m == nil {
					m = make(map[string]int32)
					f.domains[tenant] = m
				}
				if _, seen := m[domain]; seen {
					m[domain]++
				} else if len(m) < 16 { // the first domains name a tenant well enough
					m[strings.Clone(domain)] = 1
				}
			}
		}
	}
}

// recentActorIPBits sizes facts.recentActorIP: 4,096 pairs, 64 KiB.
const (
	recentActorIPBits = 12
	recentActorIPs    = 1 << recentActorIPBits
)

// firstTimes maps keys to the earliest time noted for them, like a
// map[uint64]int64 but cheaper for millions of keys: open addressing,
// without pointers, a key and its time in one slot.
type firstTimes struct {
	slots []firstTime // a power of two of them, at most three quarters used
	n     int
}

type firstTime struct {
	key uint64 // the key plus one (0: free)
	t   int64
}

func (m *firstTimes) slot(key uint64) *firstTime {
	mask := uint64(len(m.slots) - 1)
	for i := (key * 0x9e3779b97f4a7c15) >> 32 & mask; ; i = (i + 1) & mask {
		if s := &m.slots[i]; s.key == key+1 || s.key == 0 {
			return s
		}
	}
}

// note records that key was seen at t.
func (m *firstTimes) note(key uint64, t int64) {
	if 4*(m.n+1) > 3*len(m.slots) {
		old := m.slots
		m.slots = make([]firstTime, max(1024, 2*len(old)))
		adviseHuge(m.slots)
		for _, s := range old {
			if s.key != 0 {
				*m.slot(s.key - 1) = s
			}
		}
	}
	s := m.slot(key)
	if s.key == 0 {
		*s = firstTime{key: key + 1, t: t}
		m.n++
	} else if t < s.t {
		s.t = t
	}
}

// get returns the earliest time noted for key.
func (m *firstTimes) get(key uint64) (int64, bool) {
	if len(m.slots) == 0 {
		return 0, false
	}
	s := m.slot(key)
	return s.t, s.key != 0
}
