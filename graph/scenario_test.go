package graph_test

import (
	"fmt"
	"time"

	"github.com/causeway-ir/causeway/timeline"
)

// Synthetic events shaped as the importers emit them (design.md §3), for
// table tests and benchmarks.

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

type evb struct{ e timeline.Event }

func ev(id, when, source string, cat timeline.Category, action string) *evb {
	return &evb{timeline.Event{ID: id, Time: at(when), Source: source, Shape: "test", Category: cat, Action: action,
		Outcome: timeline.OutcomeSuccess}}
}

func (b *evb) actor(a string) *evb         { b.e.Actor = a; return b }
func (b *evb) tenant(t string) *evb        { b.e.Tenant = t; return b }
func (b *evb) actorTenant(t string) *evb   { b.e.ActorTenant = t; return b }
func (b *evb) token(t string) *evb         { b.e.TokenID = t; return b }
func (b *evb) key(k string) *evb           { b.e.KeyID = k; return b }
func (b *evb) session(s string) *evb       { b.e.SessionID = s; return b }
func (b *evb) ip(s string) *evb            { b.e.SrcIP = s; return b }
func (b *evb) app(a, res string) *evb      { b.e.AppID, b.e.ResourceApp = a, res; return b }
func (b *evb) issues(kind, id string) *evb { b.e.IssuedKind, b.e.IssuedID = kind, id; return b }
func (b *evb) target(kind, t string) *evb  { b.e.TargetKind, b.e.Target = kind, t; return b }
func (b *evb) failed(reason string) *evb {
	b.e.Outcome, b.e.Reason = timeline.OutcomeFailure, reason
	return b
}
func (b *evb) build() timeline.Event { return b.e }

const (
	tenantA   = "aaaaaaaa-0000-4000-8000-00000000000a"
	tenantB   = "bbbbbbbb-0000-4000-8000-00000000000b"
	msaKey    = "D4B4CCCDA9228624656BFF33D8110955779632AA"
	outlookID = "00000002-0000-0ff1-ce00-000000000000" // Exchange resource
	owaClient = "9199bf20-a13f-4107-85dc-02114787ef48"
	evilApp   = "d3590ed6-52b3-4102-aeff-aad2292ab01c"
)

// stormEvents is a small Storm-0558: alice and bob in tenant A, carol in
// tenant B, living their normal lives with sign-ins and mail reads; from
// 2023-06-01 a consumer key signs forged tokens (seen in provider
// telemetry) that read alice's and carol's mailboxes from 203.0.113.9.
func stormEvents() []timeline.Event {
	var es []timeline.Event
	add := func(b *evb) { es = append(es, b.build()) }
	// Normal life: each user signs in daily and reads mail with the token.
	users := []struct{ upn, tenant, ip string }{
		{"alice@contoso.com", tenantA, "198.51.100.10"},
		{"bob@contoso.com", tenantA, "198.51.100.11"},
		{"carol@fabrikam.com", tenantB, "198.51.100.20"},
	}
	for day := 20; day <= 40; day++ {
		d := time.Date(2023, 5, day, 0, 0, 0, 0, time.UTC) // May 32 = June 1
		for i, u := range users {
			tok := fmt.Sprintf("legit-%d-%d", day, i)
			ts := d.Add(time.Duration(8+i) * time.Hour)
			add(ev(fmt.Sprintf("si-%d-%d", day, i), ts.Format(time.RFC3339), "entra.signin", timeline.CategorySignin, "Sign-in activity").
				actor(u.upn).tenant(u.tenant).session("sess-"+u.upn).ip(u.ip).app(owaClient, outlookID).
				issues(timeline.IssuedToken, tok))
			add(ev(fmt.Sprintf("tel-%d-%d", day, i), ts.Format(time.RFC3339), "jwt.capture", timeline.CategoryToken, "token").
				actor(u.upn).tenant(u.tenant).key("enterprise-key-1").token(tok).app(owaClient, outlookID))
			for j := range 3 {
				add(ev(fmt.Sprintf("mia-%d-%d-%d", day, i, j), ts.Add(time.Duration(j+1)*10*time.Minute).Format(time.RFC3339),
					"m365.ual", timeline.CategoryMail, "MailItemsAccessed").
					actor(u.upn).tenant(u.tenant).token(tok).session("sess-"+u.upn).ip(u.ip).app(owaClient, outlookID).
					target("mailbox", u.upn))
			}
		}
	}
	// The campaign: forged tokens, seen only in provider telemetry and UAL.
	forged := []struct{ tok, upn, tenant, when string }{
		{"forged-1", "alice@contoso.com", tenantA, "2023-06-05T03:00:00Z"},
		{"forged-2", "carol@fabrikam.com", tenantB, "2023-06-06T04:00:00Z"},
	}
	for i, f := range forged {
		add(ev(fmt.Sprintf("tel-forged-%d", i), f.when, "jwt.capture", timeline.CategoryToken, "token").
			actor(f.upn).tenant(f.tenant).actorTenant("https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0").
			key(msaKey).token(f.tok).ip("203.0.113.9").app(evilApp, outlookID))
		for j := range 4 {
			add(ev(fmt.Sprintf("mia-forged-%d-%d", i, j), at(f.when).Add(time.Duration(j+1)*time.Minute).Format(time.RFC3339),
				"m365.ual", timeline.CategoryMail, "MailItemsAccessed").
				actor(f.upn).tenant(f.tenant).token(f.tok).ip("203.0.113.9").app(evilApp, outlookID).
				target("mailbox", f.upn))
		}
	}
	return es
}

const (
	ciKey       = "AKIAEXAMPLELEAKED001"
	colleague   = "AKIAEXAMPLECOLLEAGUE"
	account     = "111122223333"
	roleDeploy  = "arn:aws:iam::111122223333:role/deploy"
	roleAdmin   = "arn:aws:iam::111122223333:role/admin"
	bucketData  = "arn:aws:s3:::customer-data/export.csv"
	bucketOther = "arn:aws:s3:::build-cache/cache.tar"
)

// awsEvents is a leaked CI key: normal CI use from 192.0.2.10, then the
// attacker from 203.0.113.50 (recon denied, AssumeRole deploy, chain to
// admin, read customer data, create a key), while a colleague assumes the
// same deploy role before and after with their own key.
func awsEvents() []timeline.Event {
	var es []timeline.Event
	add := func(b *evb) { es = append(es, b.build()) }
	ct := func(id, when, action string, cat timeline.Category) *evb {
		return ev(id, when, "aws.cloudtrail", cat, action).tenant(account)
	}
	for day := 1; day <= 9; day++ {
		w := fmt.Sprintf("2024-03-0%dT09:00:00Z", day)
		add(ct(fmt.Sprintf("ci-%d", day), w, "GetObject", timeline.CategoryFile).actor("arn:aws:iam::111122223333:user/ci").
			key(ciKey).ip("192.0.2.10").target("resource", bucketOther))
	}
	// Colleague before the attack.
	add(ct("col-1", "2024-03-05T10:00:00Z", "AssumeRole", timeline.CategoryToken).actor("arn:aws:iam::111122223333:user/dana").
		key(colleague).ip("198.51.100.7").issues(timeline.IssuedToken, "ASIACOLLEAGUE0000001").target("identity", roleDeploy))
	add(ct("col-2", "2024-03-05T10:05:00Z", "GetObject", timeline.CategoryFile).actor("arn:aws:sts::111122223333:assumed-role/deploy/dana").
		token("ASIACOLLEAGUE0000001").ip("198.51.100.7").target("resource", bucketOther))
	// The attack.
	add(ct("atk-1", "2024-03-10T02:00:00Z", "GetCallerIdentity", timeline.CategoryOther).actor("arn:aws:iam::111122223333:user/ci").
		key(ciKey).ip("203.0.113.50"))
	add(ct("atk-2", "2024-03-10T02:01:00Z", "ListUsers", timeline.CategoryAdmin).actor("arn:aws:iam::111122223333:user/ci").
		key(ciKey).ip("203.0.113.50").target("resource", "arn:aws:iam::111122223333:user/*").failed("AccessDenied"))
	add(ct("atk-3", "2024-03-10T02:05:00Z", "AssumeRole", timeline.CategoryToken).actor("arn:aws:iam::111122223333:user/ci").
		key(ciKey).ip("203.0.113.50").issues(timeline.IssuedToken, "ASIAATTACKER00000001").target("identity", roleDeploy))
	add(ct("atk-4", "2024-03-10T02:10:00Z", "AssumeRole", timeline.CategoryToken).actor("arn:aws:sts::111122223333:assumed-role/deploy/x").
		token("ASIAATTACKER00000001").ip("203.0.113.50").issues(timeline.IssuedToken, "ASIAATTACKER00000002").target("identity", roleAdmin))
	for j := range 5 {
		add(ct(fmt.Sprintf("atk-get-%d", j), fmt.Sprintf("2024-03-10T02:2%d:00Z", j), "GetObject", timeline.CategoryFile).
			actor("arn:aws:sts::111122223333:assumed-role/admin/x").token("ASIAATTACKER00000002").ip("203.0.113.50").
			target("resource", bucketData))
	}
	add(ct("atk-5", "2024-03-10T02:40:00Z", "CreateAccessKey", timeline.CategoryCredential).actor("arn:aws:sts::111122223333:assumed-role/admin/x").
		token("ASIAATTACKER00000002").ip("203.0.113.50").issues(timeline.IssuedKey, "AKIAPERSISTENCE00001").target("identity", "arn:aws:iam::111122223333:user/backup"))
	// Colleague after the attack, same role.
	add(ct("col-3", "2024-03-11T10:00:00Z", "AssumeRole", timeline.CategoryToken).actor("arn:aws:iam::111122223333:user/dana").
		key(colleague).ip("198.51.100.7").issues(timeline.IssuedToken, "ASIACOLLEAGUE0000002").target("identity", roleDeploy))
	add(ct("col-4", "2024-03-11T10:05:00Z", "GetObject", timeline.CategoryFile).actor("arn:aws:sts::111122223333:assumed-role/deploy/dana").
		token("ASIACOLLEAGUE0000002").ip("198.51.100.7").target("resource", bucketOther))
	return es
}
