package webui

import (
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/causeway-ir/causeway/timeline"
)

// evil is a string that would run script if it were ever parsed as HTML.
const evil = `<img src=x onerror=alert(1)>`

// testToken is the owner token of test servers.
const testToken = "test-token-0123456789abcdef"

var caseStart = time.Date(2023, 5, 15, 0, 0, 0, 0, time.UTC)

// synthEvent returns the i-th of n synthetic events spread over 30 days:
// sign-ins that issue tokens, mailbox reads with those tokens, a few reads
// with a token no sign-in issued (the forged-token pattern), and AWS calls.
// With hostile set, user agents, folder paths (targets) and app names
// hold HTML.
func synthEvent(i, n int, hostile bool) timeline.Event {
	span := 30 * 24 * time.Hour
	t := caseStart.Add(time.Duration(int64(span) / int64(n) * int64(i)))
	tenants := []string{"c0ffee00-0000-4000-8000-000000000001", "c0ffee00-0000-4000-8000-000000000002", "c0ffee00-0000-4000-8000-000000000003"}
	// A sign-in every ten events issues a token; the mail reads after it
	// use that token, as the same user, from the same address.
	base := i - i%10
	tenant := tenants[base%len(tenants)]
	user := fmt.Sprintf("user%d@contoso%d.com", base%23, base%len(tenants))
	ip := fmt.Sprintf("198.51.100.%d", base%40+1)
	ua := "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"
	app, appID := "Microsoft Outlook", "00000002-0000-0ff1-ce00-000000000000"
	folder := `\Inbox`
	if hostile {
		ua, app, folder = evil, evil, `\Inbox\`+evil
	}
	e := timeline.Event{
		ID: fmt.Sprintf("ev-%08d", i), Time: t, Tenant: tenant, Actor: user, ActorKind: timeline.ActorUser,
		SrcIP: ip, UserAgent: ua, AppID: appID, AppName: app, Outcome: timeline.OutcomeSuccess,
		File: "synthetic/" + fmt.Sprint(i%4) + ".json", FileSHA256: fmt.Sprintf("%064x", i%4), Offset: int64(i) * 512,
	}
	switch i % 10 {
	case 0, 1, 2:
		e.Source, e.Shape, e.Category, e.Action = "entra.signin", "graph", timeline.CategorySignin, "Sign-in"
		e.IssuedKind, e.IssuedID = timeline.IssuedToken, fmt.Sprintf("tok%d", i)
		e.SessionID = fmt.Sprintf("sess-%d", i%97)
		if i%17 == 0 && i%10 != 0 { // failed sign-ins issue nothing
			e.Outcome, e.Reason = timeline.OutcomeFailure, "50126"
			e.IssuedKind, e.IssuedID = "", ""
		}
		e.Message = fmt.Sprintf("%s signed in to %s from %s", user, app, ip)
	case 3, 4, 5, 6, 7:
		e.Source, e.Shape, e.Category, e.Action = "m365.ual", "purview-csv", timeline.CategoryMail, "MailItemsAccessed"
		e.TokenID = fmt.Sprintf("tok%d", base)
		if i%50 == 7 {
			e.TokenID = fmt.Sprintf("forged%d", i) // never issued by a sign-in
			e.AppID, e.AppName = "d3590ed6-52b3-4102-aeff-aad2292ab01c", app
			e.SrcIP = "203.0.113.66"
		}
		mailbox := fmt.Sprintf("user%d@contoso%d.com", i%23, base%len(tenants))
		e.Target, e.TargetKind = mailbox, "mailbox"
		if hostile {
			e.Target = mailbox + folder
		}
		e.Message = fmt.Sprintf("%s read 3 items in %s of %s from %s", user, folder, mailbox, e.SrcIP)
	default:
		e.Source, e.Shape, e.Category, e.Action = "aws.cloudtrail", "s3", timeline.CategoryResource, "GetObject"
		e.Tenant = fmt.Sprintf("11112222333%d", i%3)
		e.Actor, e.ActorKind = fmt.Sprintf("arn:aws:iam::11112222333%d:user/ops%d", i%3, i%5), timeline.ActorUser
		e.KeyID = fmt.Sprintf("AKIAEXAMPLE%05d", i%5)
		e.AppID, e.AppName = "", ""
		e.Target, e.TargetKind = fmt.Sprintf("arn:aws:s3:::bucket-%d/key", i%7), "resource"
		e.Message = fmt.Sprintf("%s called GetObject on bucket-%d", e.Actor, i%7)
	}
	e.Raw = fmt.Sprintf(`{"id":%q,"time":%q,"userAgent":%q,"app":%q,"target":%q,"nested":{"n":%d,"ok":true,"none":null}}`,
		e.ID, t.Format(time.RFC3339), e.UserAgent, e.AppName, e.Target, i)
	return e
}

// buildCase writes a case of n synthetic events into a temporary directory.
func buildCase(tb testing.TB, dir string, n int, hostile bool) *timeline.Case {
	tb.Helper()
	if dir == "" {
		dir = filepath.Join(tb.TempDir(), "case")
	}
	c, err := timeline.Create(dir, "synthetic", caseStart)
	if err != nil {
		tb.Fatal(err)
	}
	r, err := c.BeginRun(timeline.RunOptions{Now: func() time.Time { return caseStart.Add(40 * 24 * time.Hour) }})
	if err != nil {
		tb.Fatal(err)
	}
	for i := range n {
		e := synthEvent(i, n, hostile)
		if _, err := r.Add(&e); err != nil {
			tb.Fatal(err)
		}
	}
	for f := range 4 {
		r.AddFile(timeline.FileRecord{Path: fmt.Sprintf("synthetic/%d.json", f), Size: int64(n) * 128, SHA256: fmt.Sprintf("%064x", f),
			Importer: "synthetic", Shape: "test", Read: int64(n / 4), Imported: int64(n / 4)})
	}
	if _, err := r.Commit(); err != nil {
		tb.Fatal(err)
	}
	c, err = timeline.Open(dir)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// newTestServer returns a Server over c that logs nowhere.
func newTestServer(tb testing.TB, c *timeline.Case) *Server {
	tb.Helper()
	s, err := New(Options{Case: c, OwnerToken: testToken, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}
