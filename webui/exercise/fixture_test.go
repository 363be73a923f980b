package exercise

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/causeway-ir/causeway/timeline"
)

// evil would run script if it were ever parsed as HTML.
const evil = `<img src=x onerror=alert(1)>`

const (
	tenantA = "aaaaaaaa-0000-4000-8000-000000000001" // the participants' own tenant
	tenantB = "bbbbbbbb-0000-4000-8000-000000000002" // another customer
)

// t0 is the exercise start of the test file.
var t0 = time.Date(2023, 6, 15, 12, 0, 0, 0, time.UTC)

// synthEvents returns n events every 20 minutes from t0 − 2 days: sign-ins
// and mail reads in two tenants, and provider-side token telemetry
// (jwt.capture) in both; some messages and actors hold HTML.
func synthEvents(n int) []timeline.Event {
	var out []timeline.Event
	for i := range n {
		at := t0.Add(-48 * time.Hour).Add(time.Duration(i) * 20 * time.Minute)
		tenant := tenantA
		if i%2 == 1 {
			tenant = tenantB
		}
		e := timeline.Event{
			ID: fmt.Sprintf("ev-%04d", i), Time: at, Tenant: tenant, Outcome: timeline.OutcomeSuccess,
			Actor: fmt.Sprintf("user%d@%s.example", i%5, tenant[:4]), ActorKind: timeline.ActorUser,
			SrcIP: fmt.Sprintf("198.51.100.%d", i%200+1), File: "synthetic.json", FileSHA256: strings.Repeat("ab", 32), Offset: int64(i) * 100,
		}
		switch i % 3 {
		case 0:
			e.Source, e.Category, e.Action = "entra.signin", timeline.CategorySignin, "Sign-in"
		case 1:
			e.Source, e.Category, e.Action = "m365.ual", timeline.CategoryMail, "MailItemsAccessed"
		case 2:
			e.Source, e.Category, e.Action = "jwt.capture", timeline.CategoryToken, "GetAccessTokenForResource"
		}
		e.Message = fmt.Sprintf("%s %s event %d", e.Source, e.Action, i)
		if i%7 == 0 {
			e.Message, e.Actor = evil+" message", evil
		}
		out = append(out, e)
	}
	return out
}

// newCase stores events in a new case in a temporary directory.
func newCase(t *testing.T, events []timeline.Event) *timeline.Case {
	t.Helper()
	dir := t.TempDir()
	c, err := timeline.Create(dir, "synthetic", t0)
	if err != nil {
		t.Fatal(err)
	}
	run, err := c.BeginRun(timeline.RunOptions{Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	for i := range events {
		if _, err := run.Add(&events[i]); err != nil {
			t.Fatalf("add %s: %v", events[i].ID, err)
		}
	}
	if _, err := run.Commit(); err != nil {
		t.Fatal(err)
	}
	c, err = c.Reopen()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// testYAML is the exercise of the API tests: participants start with their
// own tenant's sign-ins and mail; "spread" shows every tenant; "provider"
// releases tenant B's token telemetry by filter; "all-telemetry" releases
// the whole jwt.capture source.
const testYAML = `title: Synthetic tabletop
audience: test responders
case: synthetic
start: 2023-06-15T12:00:00Z
end: 2023-06-17T00:00:00Z
anchor: 2023-06-14T12:00:00Z
speed: 360
visible:
  sources: [entra.signin, m365.ual]
  tenants: [` + tenantA + `]
stages:
  - name: Alert
    at: 2023-06-15T12:00:00Z
  - name: Spread
    at: 2023-06-15T18:00:00Z
    note: facilitator only
  - name: Provider
    at: 2023-06-16T06:00:00Z
injects:
  - id: alert
    stage: Alert
    title: The alert fires
    text: "An alert: ` + evil + `"
    questions:
      - ask: Which mailbox?
        expect: [user1]
      - ask: What next?
  - id: spread
    stage: Spread
    title: Other customers call
    text: Another tenant reports the same app.
    questions:
      - ask: Which other tenants are affected?
        expect: [` + tenantB + `]
    reveals:
      tenants: ["*"]
  - id: provider
    at: 2023-06-16T06:00:00Z
    title: The provider shares telemetry
    text: Token telemetry for tenant B.
    questions:
      - ask: What is the root cause?
        expect: [a forged token signed by a stolen key]
    reveals:
      events:
        - {source: jwt.capture, tenant: ` + tenantB + `}
  - id: all-telemetry
    at: 2023-06-16T12:00:00Z
    title: Everything
    text: All telemetry.
    reveals:
      sources: [jwt.capture]
`

// fakeClock is a wall clock that tests move.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// testPrincipal names the caller from the X-User header ("name:role") or,
// for browsers, the "u" cookie that /login?as=name:role sets.
func testPrincipal(r *http.Request) (Principal, bool) {
	v := r.Header.Get("X-User")
	if v == "" {
		if ck, err := r.Cookie("u"); err == nil {
			v = ck.Value
		}
	}
	name, role, ok := strings.Cut(v, ":")
	if !ok || name == "" {
		return Principal{}, false
	}
	return Principal{Name: name, Role: role}, true
}

// harness is an exercise server on a test case.
type harness struct {
	c     *timeline.Case
	s     *Server
	ts    *httptest.Server
	clock *fakeClock
	all   []timeline.Event
}

// newHarness serves testYAML on a case of synthetic events. wall, when not
// nil, is the wall clock (else time.Now).
func newHarness(t *testing.T, yamlText string, clock *fakeClock) *harness {
	t.Helper()
	all := synthEvents(300)
	c := newCase(t, all)
	return openHarness(t, c, all, yamlText, clock)
}

func openHarness(t *testing.T, c *timeline.Case, all []timeline.Event, yamlText string, clock *fakeClock) *harness {
	t.Helper()
	f, err := Parse(strings.NewReader(yamlText))
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{Case: c, File: f, Principal: testPrincipal, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if clock != nil {
		opts.Now = clock.Now
	}
	s, err := Open(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/exercise/", s.Handler())
	mux.Handle("/exercise", s.Handler())
	mux.Handle("/api/exercise/", s.Handler())
	mux.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "u", Value: r.URL.Query().Get("as"), Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
		http.Redirect(w, r, r.URL.Query().Get("to"), http.StatusSeeOther)
	})
	ts := httptest.NewServer(mux)
	t.Cleanup(func() {
		ts.Close()
		s.Close()
	})
	return &harness{c: c, s: s, ts: ts, clock: clock, all: all}
}

// do makes an API request as user ("name:role"; "" for nobody) and returns
// the status and body.
func (h *harness) do(t *testing.T, method, path, user, body string) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, h.ts.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if user != "" {
		req.Header.Set("X-User", user)
	}
	if method == http.MethodPost {
		req.Header.Set("X-CSRF-Token", "x")
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

// must makes a request that must answer 200.
func (h *harness) must(t *testing.T, method, path, user, body string) []byte {
	t.Helper()
	code, b := h.do(t, method, path, user, body)
	if code != http.StatusOK {
		t.Fatalf("%s %s as %s: %d %s", method, path, user, code, b)
	}
	return b
}

const (
	facil = "fran:facilitator"
	alice = "alice:participant"
	bob   = "bob:participant"
)

func decodeJSON(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
}
