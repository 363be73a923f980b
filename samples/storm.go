package samples

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
)

// storm-0558: formats.md §10. Twelve tenants live six weeks of normal
// Microsoft 365 life; from 2023-05-15 an actor holding a consumer (MSA)
// signing key mints tokens offline for enterprise users of six of them,
// presents them to OWA's GetAccessTokenForResource from its own servers and
// reads mail (MailItemsAccessed Bind and Sync) with a ClientAppId no one in
// those tenants uses. The forged tokens have no sign-in anywhere; legitimate
// tokens do. One tenant (Audit Premium) alerts on 2023-06-15; two targeted
// tenants have no MailItemsAccessed at all (no licence), so only the
// provider's token telemetry shows that they were targeted.

var (
	stormStart     = time.Date(2023, 5, 8, 0, 0, 0, 0, time.UTC) // first day of background
	stormDays      = 42                                          // through 2023-06-18
	stormCampaign  = time.Date(2023, 5, 15, 0, 0, 0, 0, time.UTC)
	stormDetection = time.Date(2023, 6, 15, 0, 0, 0, 0, time.UTC) // the day the alert fires
	stormLastDay   = time.Date(2023, 6, 16, 0, 0, 0, 0, time.UTC)
	entraKeyRoll   = time.Date(2023, 6, 1, 0, 0, 0, 0, time.UTC)
)

// msaTenant is the consumer (MSA) tenant id: tokens it issues carry it in
// their issuer (design.md, consumer-token-for-enterprise-tenant).
const msaTenant = "9188040d-6c67-4c5b-b112-36a304b66dad"

// msaThumbprint is the SHA-1 thumbprint Wiz published for the stolen MSA
// key (formats.md §10); its base64url form is the key's kid and x5t.
const msaThumbprint = "d4b4cccda9228624656bff33d8110955779632aa"

// Export shapes a tenant's logs come in.
type msShape int

const (
	shGraph     msShape = iota // Graph REST pages {"@odata.context","value":[…]}
	shPwsh                     // PowerShell ConvertTo-Json: BOM + array (Extractor Suite)
	shDiag                     // diagnostic settings → storage: PT1H.json NDJSON
	shSentinel                 // Log Analytics / Sentinel table export, NDJSON
	shMgmtAPI                  // Office 365 Management Activity API content blobs
	shPurview                  // Purview portal audit export CSV
	shExportCsv                // Search-UnifiedAuditLog | Export-Csv
)

type tenantDef struct {
	name, domain            string
	users                   int
	signin, audit, ual      msShape
	mia, alert              bool // MailItemsAccessed logged (E5/Audit Premium); alert policy
	targets                 int  // mailboxes the actor reads
	tz                      int  // local UTC offset, hours
	city, state, country    string
	lat, lon                float64
	egressNet, serverPrefix string
}

var stormTenants = []tenantDef{
	{"Aldmere Ministry of Foreign Affairs", "aldmere-mfa.gov", 36, shSentinel, shSentinel, shPurview, true, true, 4, -4, "Washington", "District of Columbia", "US", 38.9072, -77.0369, "131.97.12.", "SN4PR09MB"},
	{"Fabrikam Policy Institute", "fabrikampolicy.org", 24, shGraph, shGraph, shMgmtAPI, true, false, 3, -4, "Arlington", "Virginia", "US", 38.8816, -77.0910, "40.122.70.", "BN8PR13MB"},
	{"Contoso Defense Analytics", "contosodefense.com", 22, shDiag, shDiag, shSentinel, true, false, 2, -7, "Denver", "Colorado", "US", 39.7392, -104.9903, "52.186.33.", "CY5PR17MB"},
	{"Northwind Trade Council", "northwindtrade.org", 20, shPwsh, shPwsh, shExportCsv, false, false, 2, 1, "London", "England", "GB", 51.5072, -0.1276, "81.145.9.", "LO2P265MB"},
	{"Woodgrove Strategic Studies", "woodgrovestudies.org", 18, shGraph, shPwsh, shPurview, true, false, 2, 2, "Brussels", "Brussels-Capital", "BE", 50.8476, 4.3572, "193.58.40.", "AM6PR10MB"},
	{"Litware Congressional Office", "litware-house.us", 16, shPwsh, shGraph, shExportCsv, false, false, 1, -4, "Washington", "District of Columbia", "US", 38.8899, -77.0091, "143.231.8.", "DM6PR09MB"},
	{"Tailspin Toys", "tailspintoys.com", 22, shDiag, shDiag, shMgmtAPI, true, false, 0, -5, "Chicago", "Illinois", "US", 41.8781, -87.6298, "64.124.9.", "CH2PR11MB"},
	{"Adatum Corporation", "adatum.com", 20, shSentinel, shSentinel, shSentinel, true, false, 0, -7, "Seattle", "Washington", "US", 47.6062, -122.3321, "20.99.148.", "MW4PR15MB"},
	{"Proseware", "proseware.com", 16, shGraph, shGraph, shExportCsv, false, false, 0, -4, "Boston", "Massachusetts", "US", 42.3601, -71.0589, "165.225.38.", "BL1PR12MB"},
	{"Wide World Importers", "wideworldimporters.com", 18, shPwsh, shPwsh, shPurview, true, false, 0, 8, "Singapore", "Singapore", "SG", 1.3521, 103.8198, "118.189.44.", "SI2PR04MB"},
	{"Coho Winery", "cohowinery.com", 12, shGraph, shGraph, shMgmtAPI, false, false, 0, -7, "Napa", "California", "US", 38.2975, -122.2869, "104.44.21.", "BY5PR19MB"},
	{"Fourth Coffee", "fourthcoffee.com", 14, shPwsh, shDiag, shPurview, false, false, 0, 1, "Dublin", "Leinster", "IE", 53.3498, -6.2603, "37.228.201.", "DB9PR08MB"},
}

// msApp is a first-party client and the resource it signs in to.
type msApp struct {
	id, name, resID, resName, clientApp, infoString string
	mail                                            bool // reads mail (MailItemsAccessed)
}

var (
	appOWA     = &msApp{"9199bf20-a13f-4107-85dc-02114787ef48", "One Outlook Web", exoApp, "Office 365 Exchange Online", "Browser", "Client=OWA;Action=ViewAdmin", true}
	appOutlook = &msApp{"d3590ed6-52b3-4102-aeff-aad2292ab01c", "Microsoft Office", exoApp, "Office 365 Exchange Online", "Mobile Apps and Desktop clients", "Client=MSExchangeRPC", true}
	appMobile  = &msApp{"27922004-5251-4030-b22d-91ecd9a37ea4", "Outlook Mobile", exoApp, "Office 365 Exchange Online", "Mobile Apps and Desktop clients", "Client=REST;Client=RESTSystem;;", true}
	appTeams   = &msApp{"1fec8e78-bce4-4aaf-ab1b-5451cc387264", "Microsoft Teams", "cc15fd57-2c6c-4117-a88c-83b1d56b4bbe", "Microsoft Teams Services", "Mobile Apps and Desktop clients", "", false}
	appPortal  = &msApp{"c44b4083-3bb0-49c1-b47d-974e53cbdf3c", "Azure Portal", "797f4846-ba00-4fd7-ba43-dac1f8f63013", "Windows Azure Service Management API", "Browser", "", false}
)

const exoApp = "00000002-0000-0ff1-ce00-000000000000"

var firstNames = []string{"James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Charles", "Karen", "Daniel", "Lisa", "Matthew", "Nancy", "Anthony", "Betty", "Mark", "Sandra", "Steven", "Ashley", "Paul", "Emily", "Andrew", "Donna", "Joshua", "Michelle", "Kenneth", "Carol", "Kevin", "Amanda", "Brian", "Melissa", "Aisha", "Chen", "Priya", "Mateo", "Sofia", "Lukas", "Ingrid", "Kwame"}
var lastNames = []string{"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright", "Scott", "Nguyen", "Hill", "Flores", "Green", "Okafor", "Lindqvist", "Novak", "Haddad", "Tanaka", "Kowalski", "Rossi", "Dubois", "Fischer", "Murphy"}

var jobTitles = []string{"Analyst", "Senior Analyst", "Policy Advisor", "Program Manager", "Director", "Counsel", "Research Fellow", "Executive Assistant", "IT Administrator", "Press Officer"}

type msUser struct {
	upn, name, puid, sid string
	id, mailbox          guid
	inbox, sent          string // folder ids
	admin, mobile        bool
	desk                 *msApp // usual mail client
	phoneIP              string
	// signInPart is what a Graph sign-in holds from the end of
	// createdDateTime to the appId value: the user's names and id.
	signInPart string
	// signInPartPS is signInPart in PowerShell's layout (signInPS).
	signInPartPS string
	// ualPart holds the user's constant runs of AuditData (ualParts),
	// ualPartCSV the same with their quotes doubled (auditDataCSV).
	ualPart, ualPartCSV [2]string
}

type msTenant struct {
	def        tenantDef
	idx        int
	id, ws     guid // tenant id; Log Analytics workspace id
	tid        string
	orgName    string // x.onmicrosoft.com
	users      []msUser
	egress     []string
	targets    []int // indexes into users
	forged     []*forgedSession
	alertAt    time.Time
	alertUser  int
	alertID    guid
	alertPolID guid
	// Scratch buffers of the one job that writes this tenant.
	scratch [3][]byte
	// signInApp holds the parts of a Graph sign-in that depend on the
	// app and the tenant only, made once (signInParts).
	signInApp map[*msApp]*signInAppParts
	// location is a sign-in's location JSON from the tenant's offices,
	// phoneLocation from a phone's address (country only), made once
	// (signInParts): formatting the coordinates was a float conversion
	// per sign-in.
	location, phoneLocation string
	// ps is the sign-in's constant text in PowerShell's layout, for the
	// tenants whose sign-ins are PowerShell exports (psSignInParts).
	ps *psSignIn
}

// signInAppParts are the constant runs of a Graph sign-in for one app of
// one tenant, each from a quote to the next variable value.
type signInAppParts struct {
	app      string // appId value to ipAddress's colon
	client   string // clientAppUsed through userAgent's colon
	resource string // resourceDisplayName through sessionId's opening quote
	// The same in PowerShell's layout (psSignInParts; PowerShell
	// tenants only).
	appPS, clientPS, resourcePS string
}

// signInParts fills the users' and apps' constant runs of Graph sign-ins
// (signInGraph): appended whole, they spare the escaping scans and the
// dozen appends of names, ids and app fields every sign-in repeats.
func (t *msTenant) signInParts() {
	for i := range t.users {
		u := &t.users[i]
		b := append([]byte(nil), `","userDisplayName":`...)
		b = appendStr(b, u.name)
		b = append(b, `,"userPrincipalName":`...)
		b = appendStr(b, u.upn)
		b = append(b, `,"userId":"`...)
		b = appendGUID(b, u.id)
		b = append(b, `","appId":"`...)
		u.signInPart = string(b)
		u.ualPart = ualParts(u)
		u.ualPartCSV = ualPartsCSV(u.ualPart)
	}
	t.signInApp = map[*msApp]*signInAppParts{}
	for _, a := range []*msApp{appOWA, appOutlook, appMobile, appTeams, appPortal} {
		t.signInApp[a] = t.appParts(a)
	}
	t.location = string(appendLocationOf(nil, t.def.city, t.def.state, t.def.country, t.def.lat, t.def.lon))
	t.phoneLocation = string(appendLocationOf(nil, "", "", t.def.country, 0, 0))
	if t.def.signin == shPwsh {
		t.psSignInParts()
	}
}

// appParts makes a's signInAppParts in t.
func (t *msTenant) appParts(a *msApp) *signInAppParts {
	p := &signInAppParts{}
	b := append([]byte(a.id), `","appDisplayName":`...)
	b = appendStr(b, a.name)
	p.app = string(append(b, `,"ipAddress":`...))
	b = append([]byte(nil), `,"clientAppUsed":`...)
	b = appendStr(b, a.clientApp)
	p.client = string(append(b, `,"userAgent":`...))
	b = append([]byte(nil), `,"resourceDisplayName":`...)
	b = appendStr(b, a.resName)
	b = append(b, `,"resourceId":"`...)
	b = append(b, a.resID...)
	b = append(b, `","resourceTenantId":"`...)
	b = append(b, t.tid...)
	b = append(b, `","homeTenantId":"`...)
	b = append(b, t.tid...)
	b = append(b, `","homeTenantName":`...)
	b = appendStr(b, t.def.name)
	p.resource = string(append(b, `,"userType":"member","sessionId":"`...))
	return p
}

// forgedSession is one use of one forged token.
type forgedSession struct {
	tenant    *msTenant
	user      int
	uti       string
	iat, t0   time.Time // minted; presented to GetAccessTokenForResource
	ip, ua    string
	jwt       string
	accesses  []mailAccess
	lastEvent time.Time
}

type mailAccess struct {
	t       time.Time
	bind    bool
	folders []mailFolder
	count   int
}

type mailFolder struct {
	id string
	// path is the folder's path as a JSON string, quotes and escapes
	// included (`"\\Inbox"`): appended as it is.
	path  string
	items []mailItem
}

type mailItem struct {
	imid string // JSON-escaped, without quotes (messageID)
	size int
}

type storm struct {
	seed        int64
	scale       int
	tenants     []*msTenant
	attackerApp string
	msaKid      string
	entraKids   [2]string
	// jwtHeads holds the first segment of a JWT signed with each key
	// (base64url of the header naming it), made once: keys are few.
	jwtHeads map[string]string
}

// newStorm makes the scenario's keys, tenants and users from r (the
// first draws of planStorm's stream).
func newStorm(r *rand.Rand, seed int64, scale int) *storm {
	st := &storm{seed: seed, scale: scale}
	thumb, _ := hex.DecodeString(msaThumbprint)
	st.msaKid = base64.RawURLEncoding.EncodeToString(thumb)
	st.entraKids[0] = randFrom(r, b64url, 27)
	st.entraKids[1] = randFrom(r, b64url, 27)
	st.jwtHeads = map[string]string{}
	for _, kid := range []string{st.msaKid, st.entraKids[0], st.entraKids[1]} {
		st.jwtHeads[kid] = jwtHead(kid)
	}
	st.attackerApp = newGUID(r).String()
	for i, d := range stormTenants {
		t := &msTenant{def: d, idx: i, id: newGUID(r), ws: newGUID(r)}
		t.tid = t.id.String()
		t.orgName = strings.SplitN(strings.ReplaceAll(d.domain, "-", ""), ".", 2)[0] + ".onmicrosoft.com"
		for k := range 3 {
			t.egress = append(t.egress, fmt.Sprintf("%s%d", d.egressNet, 10+k*7+r.IntN(5)))
		}
		seen := map[string]bool{}
		for len(t.users) < d.users {
			f, l := firstNames[r.IntN(len(firstNames))], lastNames[r.IntN(len(lastNames))]
			local := f + "." + l
			if seen[local] {
				continue
			}
			seen[local] = true
			u := msUser{
				upn: local + "@" + d.domain, name: f + " " + l, id: newGUID(r), mailbox: newGUID(r),
				puid:  strings.ToUpper(randHex(r, 16)),
				sid:   fmt.Sprintf("S-1-5-21-%d-%d-%d-%d", 1e9+r.IntN(1e9), 1e9+r.IntN(1e9), 1e9+r.IntN(1e9), 10000+r.IntN(90000)),
				inbox: folderID(r), sent: folderID(r),
				admin: len(t.users) < 2, mobile: r.IntN(3) == 0,
				phoneIP: fmt.Sprintf("172.%d.%d.%d", 56+r.IntN(3), r.IntN(256), 1+r.IntN(254)),
			}
			u.desk = []*msApp{appOWA, appOutlook, appOutlook}[r.IntN(3)]
			t.users = append(t.users, u)
		}
		t.signInParts()
		st.tenants = append(st.tenants, t)
	}
	return st
}

func planStorm(seed int64, scale int) (*plan, error) {
	r := rand.New(rand.NewPCG(uint64(seed), 0x570_0558))
	st := newStorm(r, seed, scale)
	truth := Truth{
		Scenario:    "storm-0558",
		Description: "A stolen MSA consumer signing key mints tokens offline for enterprise users; the tokens read Exchange Online mail through OWA with an unusual ClientAppId and have no sign-in",
		Root:        "key:" + st.msaKid,
	}
	keys, tokens, mailboxes, tenants, ips := truthSet{}, truthSet{}, truthSet{}, truthSet{}, truthSet{}
	keys.add(truth.Root)
	attackerIPs := []string{"192.0.2.44", "192.0.2.187", "198.51.100.23", "198.51.100.140", "203.0.113.62", "203.0.113.201"}
	attackerUAs := []string{
		"python-requests/2.28.2",
		"Mozilla/5.0 (Windows NT; Windows NT 10.0; en-US) WindowsPowerShell/5.1.17763.2931",
	}
	var first, last time.Time
	for _, t := range st.tenants {
		if t.def.targets == 0 {
			continue
		}
		perm := r.Perm(len(t.users) - 2)
		for k := range t.def.targets {
			t.targets = append(t.targets, 2+perm[k]) // never the admins
		}
		for _, ui := range t.targets {
			u := &t.users[ui]
			days := campaignDays(r, t.def.alert && ui == t.targets[0])
			for _, day := range days {
				fs := &forgedSession{tenant: t, user: ui, ip: attackerIPs[r.IntN(len(attackerIPs))], ua: attackerUAs[r.IntN(2)]}
				// The actor works Beijing business hours: 01:00–09:00 UTC.
				fs.t0 = day.Add(time.Duration(60+r.IntN(420))*time.Minute + time.Duration(r.IntN(60))*time.Second)
				if t.def.alert && ui == t.targets[0] && day.Equal(stormDetection) {
					fs.t0 = day.Add(13*time.Hour + 12*time.Minute + 7*time.Second)
				}
				fs.iat = fs.t0.Add(-time.Duration(120+r.IntN(600)) * time.Second)
				fs.uti = newGUID(r).UTI()
				fs.jwt = st.forgedJWT(r, t, u, fs)
				fs.lastEvent = fs.t0
				at := fs.t0
				for n := 3 + r.IntN(6); n > 0; n-- {
					at = at.Add(time.Duration(90+r.IntN(400)) * time.Second)
					fs.accesses = append(fs.accesses, randomAccess(r, u, at, t.def.serverPrefix))
				}
				fs.lastEvent = at
				t.forged = append(t.forged, fs)
				tokens.add("token:" + fs.uti)
				tenants.add("tenant:" + t.tid)
				ips.add("ip:" + fs.ip)
				if first.IsZero() || fs.iat.Before(first) {
					first = fs.iat
				}
				if fs.lastEvent.After(last) {
					last = fs.lastEvent
				}
			}
			if t.def.mia {
				mailboxes.add("mailbox:" + strings.ToLower(u.upn))
			}
		}
		slices.SortFunc(t.forged, func(a, b *forgedSession) int { return a.t0.Compare(b.t0) })
		if t.def.alert {
			// Audit Premium's custom alert policy on MailItemsAccessed by an
			// unknown app fires after the day's reads (CSRB: "Big Yellow Taxi").
			for _, fs := range t.forged {
				if fs.user == t.targets[0] && fs.t0.Truncate(24*time.Hour).Equal(stormDetection) {
					t.alertAt = fs.lastEvent.Add(17*time.Minute + 41*time.Second)
					t.alertUser = fs.user
				}
			}
			t.alertID, t.alertPolID = newGUID(r), newGUID(r)
		}
	}
	truth.CompromiseWindow = Window{Start: rfc3339(first), End: rfc3339(last)}
	truth.DetectionTime = rfc3339(st.tenants[0].alertAt)
	truth.AttackerKeys, truth.AttackerTokens = keys.sorted(), tokens.sorted()
	truth.ImpactedMailboxes, truth.ImpactedResources = mailboxes.sorted(), []string{}
	truth.ImpactedTenants, truth.AttackerIPs = tenants.sorted(), ips.sorted()

	p := &plan{truth: truth}
	for _, t := range st.tenants {
		// A tenant's work goes with the bytes it writes: about 4 MB a user
		// at scale 5, less with Graph sign-in pages (2.5-3.5), more with
		// PowerShell's (3.9-5.2, and psIndent's CPU on top); whether
		// MailItemsAccessed is logged matters less (measured at scale 5:
		// 140 MB for aldmere-mfa.gov's 36 users, 77 MB for northwindtrade.org's
		// 20, 31 MB for cohowinery.com's 12). Weighed by users alone, as
		// before, the PowerShell tenants came last and one ran on alone.
		perUser := 4
		switch t.def.signin {
		case shGraph:
			perUser = 3
		case shPwsh:
			perUser = 5
		}
		weight := t.def.users * perUser
		p.jobs = append(p.jobs, job{name: "storm/" + t.def.domain, weight: weight, run: func(ctx context.Context, o *output, r *rand.Rand, _ *rand.PCG) error {
			return st.writeTenant(ctx, o, r, t)
		}})
	}
	return p, nil
}

// campaignDays picks the days one mailbox is read: every few days from
// 2023-05-15 to 2023-06-16, and on the detection day for the mailbox that
// trips the alert.
func campaignDays(r *rand.Rand, alerting bool) []time.Time {
	var days []time.Time
	d := stormCampaign.AddDate(0, 0, r.IntN(5))
	for !d.After(stormLastDay) {
		if !(alerting && d.Equal(stormDetection)) {
			days = append(days, d)
		}
		d = d.AddDate(0, 0, 3+r.IntN(5))
	}
	if alerting {
		days = append(days, stormDetection)
		slices.SortFunc(days, func(a, b time.Time) int { return a.Compare(b) })
	}
	return days
}

func folderID(r *rand.Rand) string {
	const std = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	return "LgAAAAA" + randFrom(r, std, 57) + "AAAB"
}

// messageID returns a random InternetMessageId as a JSON string's
// content: <…@….namprd09.prod.outlook.com> with its angle brackets
// escaped as appendEsc escapes them (\u003c, \u003e), so that records
// append it without the escape scan (the brackets would send appendEsc
// byte by byte through every message id). server is a tenant's server
// prefix, which needs no escaping.
func messageID(r *rand.Rand, server string) string {
	const upperHex = "0123456789ABCDEF"
	b := make([]byte, 0, 2*len(server)+74)
	b = append(b, `\u003c`...)
	b = append(b, server...)
	b = appendRand(b, r, upperHex, 30)
	b = append(b, '@')
	b = append(b, server...)
	b = appendRand(b, r, upperHex, 4)
	b = append(b, `.namprd09.prod.outlook.com\u003e`...)
	return bstr(b)
}

// randomAccess is one MailItemsAccessed record's worth of reading: Bind
// lists the messages opened in a ~2-minute window; Sync lists folders only.
func randomAccess(r *rand.Rand, u *msUser, at time.Time, server string) mailAccess {
	a := mailAccess{t: at, bind: r.IntN(4) != 0}
	inbox, sent := mailFolder{id: u.inbox, path: `"\\Inbox"`}, mailFolder{id: u.sent, path: `"\\Sent Items"`}
	if !a.bind {
		a.folders = []mailFolder{inbox}
		if r.IntN(2) == 0 {
			a.folders = append(a.folders, sent)
		}
		a.count = len(a.folders)
		return a
	}
	f := inbox
	if r.IntN(4) == 0 {
		f = sent
	}
	n := 1 + r.IntN(5)
	f.items = make([]mailItem, 0, n)
	for ; n > 0; n-- {
		f.items = append(f.items, mailItem{messageID(r, server), 4000 + r.IntN(180000)})
	}
	a.folders = []mailFolder{f}
	a.count = len(f.items)
	return a
}

// forgedJWT is the token the actor minted: enterprise claims (tid, upn,
// oid of the victim) under the consumer issuer, signed with the MSA key.
// The signature is random bytes: well-formed, never valid.
func (st *storm) forgedJWT(r *rand.Rand, t *msTenant, u *msUser, fs *forgedSession) string {
	var c []byte
	c = append(c, `{"aud":"https://outlook.office.com","iss":"https://login.microsoftonline.com/`...)
	c = append(c, msaTenant...)
	c = append(c, `/v2.0","iat":`...)
	c = appendInt(c, fs.iat.Unix())
	c = append(c, `,"nbf":`...)
	c = appendInt(c, fs.iat.Unix())
	c = append(c, `,"exp":`...)
	c = appendInt(c, fs.iat.Add(time.Hour).Unix())
	c = append(c, `,"appid":`...)
	c = appendStr(c, st.attackerApp)
	c = append(c, `,"appidacr":"0","idtyp":"user","oid":`...)
	c = appendStr(c, u.id.String())
	c = append(c, `,"puid":`...)
	c = appendStr(c, u.puid)
	c = append(c, `,"scp":"Mail.Read Mail.ReadWrite EWS.AccessAsUser.All","sub":`...)
	c = appendStr(c, randFrom(r, b64url, 43))
	c = append(c, `,"tid":`...)
	c = appendStr(c, t.tid)
	c = append(c, `,"unique_name":`...)
	c = appendStr(c, u.upn)
	c = append(c, `,"upn":`...)
	c = appendStr(c, u.upn)
	c = append(c, `,"uti":`...)
	c = appendStr(c, fs.uti)
	c = append(c, `,"ver":"1.0"}`...)
	return makeJWT(r, st.jwtHeads[st.msaKid], c)
}

// legitJWT is an access token Entra issued at a sign-in: same uti as the
// sign-in's uniqueTokenIdentifier, signed by the tenant-wide Entra key.
func (st *storm) legitJWT(r *rand.Rand, t *msTenant, u *msUser, s *signIn, c []byte) (string, []byte) {
	kid := st.entraKids[0]
	if !s.t.Before(entraKeyRoll) {
		kid = st.entraKids[1]
	}
	c = append(c[:0], `{"aud":"https://outlook.office.com","iss":"https://sts.windows.net/`...)
	c = append(c, t.tid...)
	c = append(c, `/","iat":`...)
	c = appendInt(c, s.t.Unix())
	c = append(c, `,"nbf":`...)
	c = appendInt(c, s.t.Unix())
	c = append(c, `,"exp":`...)
	c = appendInt(c, s.t.Add(75*time.Minute).Unix())
	c = append(c, `,"acct":0,"acr":"1","amr":["pwd","mfa"],"appid":`...)
	c = appendStr(c, s.app.id)
	c = append(c, `,"appidacr":"0","idtyp":"user","ipaddr":`...)
	c = appendStr(c, s.ip)
	c = append(c, `,"name":`...)
	c = appendStr(c, u.name)
	c = append(c, `,"oid":"`...)
	c = appendGUID(c, u.id)
	c = append(c, '"')
	c = append(c, `,"puid":`...)
	c = appendStr(c, u.puid)
	c = append(c, `,"scp":"Mail.ReadWrite Mail.Send Calendars.ReadWrite","sid":`...)
	c = append(c, '"')
	c = appendGUID(c, s.session)
	c = append(c, '"')
	c = append(c, `,"tid":`...)
	c = appendStr(c, t.tid)
	c = append(c, `,"unique_name":`...)
	c = appendStr(c, u.upn)
	c = append(c, `,"upn":`...)
	c = appendStr(c, u.upn)
	c = append(c, `,"uti":`...)
	c = append(c, '"')
	c = appendUTI(c, s.id)
	c = append(c, '"')
	c = append(c, `,"ver":"1.0"}`...)
	return makeJWT(r, st.jwtHeads[kid], c), c
}

// jwtHead returns the header segment of a JWT signed with kid:
// base64url of {"typ":"JWT","alg":"RS256","x5t":kid,"kid":kid}.
func jwtHead(kid string) string {
	h := []byte(`{"typ":"JWT","alg":"RS256","x5t":"`)
	h = append(h, kid...)
	h = append(h, `","kid":"`...)
	h = append(h, kid...)
	h = append(h, `"}`...)
	return string(jwtSegment(nil, h))
}

// makeJWT returns a JWT of the header segment head (jwtHead) and the
// claims, with a random signature.
func makeJWT(r *rand.Rand, head string, claims []byte) string {
	b := make([]byte, 0, len(head)+len(claims)*4/3+350)
	b = append(b, head...)
	b = append(b, '.')
	b = jwtSegment(b, claims)
	b = append(b, '.')
	b = appendRand(b, r, b64url, 342)
	return bstr(b)
}

// signIn is one Entra sign-in.
type signIn struct {
	t                      time.Time
	id, corr, req, session guid
	u                      *msUser
	app                    *msApp
	ip, ua, os, browser    string
	interactive            bool
	errCode                int
	mfa                    bool
	// clean: the strings the sign-in writers quote (address, user
	// agent, device, the user's and the app's names) need no JSON
	// escaping, so they are quoted without the scan (TestClean checks).
	clean bool
}

// auditRec is one Entra directory audit record.
type auditRec struct {
	t                                   time.Time
	corr, targetID                      guid
	n                                   int
	activity, category, opType, service string
	actor                               *msUser
	ip, ua                              string
	targetName, targetUPN, targetType   string
	prop, oldV, newV                    string
	result                              string
}

type ualKind int

const (
	ualMIA ualKind = iota
	ualSend
	ualAlert
)

// ualRec is one Unified Audit Log record.
type ualRec struct {
	kind       ualKind
	t          time.Time
	id         guid
	u          *msUser
	ip         string // ClientIPAddress as Exchange logs it (sometimes with a port)
	clientApp  string
	info       string
	session    guid // AADSessionId / SessionId, when hasSession (never for a forged token)
	hasSession bool
	token      guid   // the sign-in that issued the token (its uti), or
	uti        string // the forged token's uti
	iat        time.Time
	access     mailAccess
	subject    string
	imid       string // JSON-escaped, without quotes (messageID)
	size       int
	serverNo   int // OriginatingServer: the tenant's prefix and this number, 0 for none
}

// telRec is one provider-side GetAccessTokenForResource telemetry line.
type telRec struct {
	t      time.Time
	ip, ua string
	jwt    string
	status int
}

var userAgents = []struct{ ua, os, browser string }{
	{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/113.0.0.0 Safari/537.36 Edg/113.0.1774.42", "Windows10", "Edge 113.0.1774"},
	{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/113.0.0.0 Safari/537.36", "Windows10", "Chrome 113.0.0"},
	{"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.4 Safari/605.1.15", "MacOs", "Safari 16.4"},
}

const (
	outlookUA = "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.16327; Pro)"
	mobileUA  = "Outlook-iOS/2.0"
	teamsUA   = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Teams/1.6.00.12455 Chrome/98.0.4758.141 Electron/17.4.11 Safari/537.36"
)

// dayPlan holds one tenant-day of records per stream, before sorting.
type dayPlan struct {
	inter, nonInter []signIn
	audit           []auditRec
	ual             []ualRec
	tel             []telRec
	tokens          []signIn // scratch of planSession
	jwt             []byte   // scratch of the JWT builders
}

func (dp *dayPlan) reset() {
	dp.inter, dp.nonInter, dp.audit, dp.ual, dp.tel = dp.inter[:0], dp.nonInter[:0], dp.audit[:0], dp.ual[:0], dp.tel[:0]
}

// planDay fills dp with one day of a tenant's normal life: sessions
// (interactive sign-in, refreshes, mail reads, sends), a few failed
// sign-ins, and admin changes. Each unit of scale is one more chance per
// user per day to work.
func (st *storm) planDay(r *rand.Rand, t *msTenant, day time.Time, dp *dayPlan) {
	weekend := day.Weekday() == time.Saturday || day.Weekday() == time.Sunday
	pWork := 0.09
	if weekend {
		pWork = 0.03
	}
	local := day.Add(-time.Duration(t.def.tz) * time.Hour) // local midnight in UTC
	for ui := range t.users {
		u := &t.users[ui]
		for range st.scale {
			if r.Float64() >= pWork {
				continue
			}
			start := local.Add(time.Duration(7*3600+r.IntN(10*3600)) * time.Second)
			st.planSession(r, t, u, start, dp)
		}
	}
	// Admin changes: a few a week per tenant, more at scale.
	for range st.scale {
		if weekend || r.Float64() >= 0.35 {
			continue
		}
		admin := &t.users[r.IntN(2)]
		at := local.Add(time.Duration(9*3600+r.IntN(8*3600)) * time.Second)
		st.planAdmin(r, t, admin, at, dp)
	}
}

func (st *storm) planSession(r *rand.Rand, t *msTenant, u *msUser, start time.Time, dp *dayPlan) {
	app, ip := u.desk, t.egress[r.IntN(len(t.egress))]
	ua := userAgents[r.IntN(len(userAgents))]
	if app == appOutlook {
		ua.ua, ua.browser = outlookUA, ""
	}
	if u.mobile && r.IntN(3) == 0 {
		app, ip = appMobile, u.phoneIP
		ua.ua, ua.os, ua.browser = mobileUA, "Ios", ""
	}
	if r.IntN(12) == 0 {
		app = appTeams
		ua.ua, ua.browser = teamsUA, ""
	}
	session := newGUID(r)
	// A wrong password now and then, then the successful sign-in.
	if r.IntN(30) == 0 {
		dp.inter = append(dp.inter, signIn{t: start.Add(-time.Duration(20+r.IntN(60)) * time.Second), id: newGUID(r), corr: newGUID(r), req: newGUID(r), session: newGUID(r),
			u: u, app: app, ip: ip, ua: ua.ua, os: ua.os, browser: ua.browser, interactive: true, errCode: 50126, clean: true})
	}
	in := signIn{t: start, id: newGUID(r), corr: newGUID(r), req: newGUID(r), session: session, u: u, app: app, ip: ip,
		ua: ua.ua, os: ua.os, browser: ua.browser, interactive: true, mfa: r.IntN(3) != 0, clean: true}
	if r.IntN(40) == 0 {
		in.errCode = 50074 // strong authentication required, then satisfied below
		dp.inter = append(dp.inter, in)
		in.t = in.t.Add(time.Duration(15+r.IntN(40)) * time.Second)
		in.id, in.req, in.errCode, in.mfa = newGUID(r), newGUID(r), 0, true
	}
	dp.inter = append(dp.inter, in)
	tokens := append(dp.tokens[:0], in)
	defer func() { dp.tokens = tokens }()
	at := in.t
	for n := r.IntN(2); n > 0; n-- {
		at = at.Add(time.Duration(50+r.IntN(70)) * time.Minute)
		ni := in
		ni.t, ni.id, ni.corr, ni.req, ni.interactive, ni.mfa = at, newGUID(r), newGUID(r), newGUID(r), false, false
		dp.nonInter = append(dp.nonInter, ni)
		tokens = append(tokens, ni)
	}
	for i := range tokens {
		tk := &tokens[i]
		if tk.app == appOWA && tk.interactive {
			var jwt string
			jwt, dp.jwt = st.legitJWT(r, t, u, tk, dp.jwt)
			dp.tel = append(dp.tel, telRec{t: tk.t.Add(time.Duration(2+r.IntN(20)) * time.Second), ip: tk.ip, ua: tk.ua, jwt: jwt, status: 200})
		}
		if !tk.app.mail {
			continue
		}
		port := ""
		if tk.app != appOutlook && r.IntN(3) == 0 {
			port = ":" + strconv.Itoa(1024+r.IntN(64000))
		}
		if t.def.mia && r.IntN(5) != 0 {
			a := randomAccess(r, u, tk.t.Add(time.Duration(30+r.IntN(1500))*time.Second), t.def.serverPrefix)
			dp.ual = append(dp.ual, ualRec{kind: ualMIA, t: a.t, id: newGUID(r), u: u, ip: tk.ip + port, clientApp: tk.app.id, info: tk.app.infoString,
				session: tk.session, hasSession: true, token: tk.id, iat: tk.t, access: a, serverNo: 1000 + r.IntN(9000)})
		}
		if r.IntN(4) == 0 {
			dp.ual = append(dp.ual, ualRec{kind: ualSend, t: tk.t.Add(time.Duration(60+r.IntN(2400)) * time.Second), id: newGUID(r), u: u, ip: tk.ip + port,
				clientApp: tk.app.id, info: tk.app.infoString, session: tk.session, hasSession: true, token: tk.id, iat: tk.t,
				subject: subjects[r.IntN(len(subjects))], imid: messageID(r, t.def.serverPrefix), size: 3000 + r.IntN(90000),
				serverNo: 1000 + r.IntN(9000)})
		}
	}
}

var subjects = []string{"RE: Agenda for Thursday", "Draft memo - comments", "FW: Travel itinerary", "Budget review", "Meeting notes", "RE: Follow-up on the delegation visit", "Quarterly report", "Press release draft v3", "RE: Schedule change", "Briefing materials"}

func (st *storm) planAdmin(r *rand.Rand, t *msTenant, admin *msUser, at time.Time, dp *dayPlan) {
	target := &t.users[r.IntN(len(t.users))]
	a := auditRec{t: at, corr: newGUID(r), targetID: target.id, n: 1000000 + r.IntN(9000000), actor: admin,
		ip: t.egress[0], ua: userAgents[0].ua, targetName: target.name, targetUPN: target.upn, targetType: "User",
		service: "Core Directory", result: "success"}
	switch r.IntN(4) {
	case 0:
		a.activity, a.category, a.opType = "Update user", "UserManagement", "Update"
		a.prop = "JobTitle"
		old, nw := jobTitles[r.IntN(len(jobTitles))], jobTitles[r.IntN(len(jobTitles))]
		a.oldV, a.newV = `["`+old+`"]`, `["`+nw+`"]`
	case 1:
		a.activity, a.category, a.opType = "Add member to group", "GroupManagement", "Add"
		a.prop = "Group.DisplayName"
		a.oldV, a.newV = "", `"`+[]string{"All Staff", "Travel Desk", "Policy Team", "VPN Users"}[r.IntN(4)]+`"`
	case 2:
		a.activity, a.category, a.opType = "Reset user password", "UserManagement", "Update"
		if r.IntN(8) == 0 {
			a.result = "failure"
		}
	default:
		a.activity, a.category, a.opType, a.service = "Update conditional access policy", "Policy", "Update", "Conditional Access"
		a.targetID, a.targetName, a.targetUPN, a.targetType = newGUID(r), "Require MFA for all users", "", "Policy"
		a.prop = "ConditionalAccessPolicy"
		a.oldV, a.newV = `{"state":"enabledForReportingButNotEnforced"}`, `{"state":"enabled"}`
	}
	// The admin signed in to the Azure portal first.
	dp.inter = append(dp.inter, signIn{t: at.Add(-time.Duration(60+r.IntN(600)) * time.Second), id: newGUID(r), corr: newGUID(r), req: newGUID(r),
		session: newGUID(r), u: admin, app: appPortal, ip: a.ip, ua: a.ua, os: "Windows10", browser: "Edge 113.0.1774", interactive: true, mfa: true})
	dp.audit = append(dp.audit, a)
}
