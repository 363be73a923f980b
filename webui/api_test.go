package webui

import (
	"context"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/causeway-ir/causeway/graph"
	"github.com/causeway-ir/causeway/timeline"
	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite testdata (screenshots)")

// get performs a request against the server's handler with the bearer
// token (unless anonymous) and returns the response.
func get(t *testing.T, s *Server, path string, anonymous bool) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, path, nil)
	if !anonymous {
		r.Header.Set("Authorization", "Bearer "+testToken)
	}
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, r)
	return w
}

func decode[T any](t *testing.T, w *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body.String())
	}
	if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
		t.Fatalf("decode %s: %v", w.Body.String(), err)
	}
	return v
}

// sharedCase is one synthetic case of 2000 events for the API tests.
func sharedCase(t *testing.T) *timeline.Case {
	t.Helper()
	return buildCase(t, "", 2000, false)
}

func TestAnonymousGets401(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, sharedCase(t))
	for _, path := range []string{"/api/case", "/api/events", "/api/event?id=ev-00000001", "/api/histogram", "/api/lanes",
		"/api/facets", "/api/entity?id=ip:198.51.100.1", "/api/chain?from=key:x", "/api/chain.svg?from=key:x", "/api/findings", "/api/nope",
		"/api/me", "/api/annotations", "/api/assertions", "/api/views", "/api/audit", "/api/neighbours?id=ip:1.2.3.4", "/api/board", "/api/board.pdf"} {
		t.Run(path, func(t *testing.T) {
			w := get(t, s, path, true)
			if w.Code != http.StatusUnauthorized {
				t.Errorf("anonymous %s: status %d, want 401", path, w.Code)
			}
			if strings.Contains(w.Body.String(), "ev-0000") {
				t.Errorf("anonymous %s leaked data: %s", path, w.Body.String())
			}
		})
	}
	// A wrong bearer token is refused too, even with a valid cookie absent.
	r := httptest.NewRequest(http.MethodGet, "/api/case", nil)
	r.Header.Set("Authorization", "Bearer "+testToken+"x")
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, r)
	if w.Code != http.StatusUnauthorized {
		t.Errorf("wrong token: status %d, want 401", w.Code)
	}
}

func TestLoginSetsSessionCookie(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, sharedCase(t))
	if w := get(t, s, "/login?token=wrong", true); w.Code != http.StatusUnauthorized {
		t.Errorf("wrong login token: status %d, want 401", w.Code)
	}
	w := get(t, s, "/login?token="+url.QueryEscape(testToken), true)
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/" {
		t.Fatalf("login: status %d location %q, want 303 to /", w.Code, w.Header().Get("Location"))
	}
	cookies := w.Result().Cookies()
	if len(cookies) != 1 {
		t.Fatalf("login set %d cookies, want 1", len(cookies))
	}
	ck := cookies[0]
	if !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/" || ck.Value == "" || strings.Contains(ck.Value, testToken) {
		t.Errorf("session cookie = %+v, want HttpOnly, SameSite=Strict, Path=/ and not the token itself", ck)
	}
	r := httptest.NewRequest(http.MethodGet, "/api/case", nil)
	r.AddCookie(ck)
	w = httptest.NewRecorder()
	s.Handler().ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		t.Errorf("API with the session cookie: status %d", w.Code)
	}
	// Logout is state-changing: without the CSRF token it is refused.
	r = httptest.NewRequest(http.MethodPost, "/logout", nil)
	r.AddCookie(ck)
	w = httptest.NewRecorder()
	s.Handler().ServeHTTP(w, r)
	if w.Code != http.StatusForbidden {
		t.Errorf("logout without CSRF: status %d, want 403", w.Code)
	}
	// With it, logout ends the session.
	r = httptest.NewRequest(http.MethodPost, "/logout", nil)
	r.AddCookie(ck)
	r.Header.Set("X-CSRF-Token", meCSRF(t, s, ck))
	s.Handler().ServeHTTP(httptest.NewRecorder(), r)
	r = httptest.NewRequest(http.MethodGet, "/api/case", nil)
	r.AddCookie(ck)
	w = httptest.NewRecorder()
	s.Handler().ServeHTTP(w, r)
	if w.Code != http.StatusUnauthorized {
		t.Errorf("API after logout: status %d, want 401", w.Code)
	}
}

func TestSessionExpires(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s, err := New(Options{Case: sharedCase(t), OwnerToken: testToken, SessionTTL: time.Hour, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	ck := get(t, s, "/login?token="+testToken, true).Result().Cookies()[0]
	now = now.Add(61 * time.Minute)
	r := httptest.NewRequest(http.MethodGet, "/api/case", nil)
	r.AddCookie(ck)
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, r)
	if w.Code != http.StatusUnauthorized {
		t.Errorf("expired session: status %d, want 401", w.Code)
	}
}

func TestSecurityHeadersEverywhere(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, sharedCase(t))
	for _, tc := range []struct {
		path      string
		anonymous bool
	}{
		{"/", true}, {"/static/app.css", true}, {"/static/js/main.js", true}, {"/static/nope.js", true},
		{"/api/case", false}, {"/api/case", true}, {"/login?token=bad", true}, {"/api/events?limit=x", false},
	} {
		w := get(t, s, tc.path, tc.anonymous)
		h := w.Header()
		csp := h.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %q", tc.path, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("%s: CSP allows unsafe sources: %q", tc.path, csp)
		}
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("%s: headers %v", tc.path, h)
		}
	}
}

// TestAssetsHaveNoInlineCode checks that the app shell needs nothing the
// CSP forbids: no inline script, no inline event handlers, no style
// attributes, no innerHTML in the scripts.
func TestAssetsHaveNoInlineCode(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, sharedCase(t))
	html := get(t, s, "/", true).Body.String()
	for _, bad := range []string{"<script>", "style=", " onclick=", " onload=", "javascript:"} {
		if strings.Contains(html, bad) {
			t.Errorf("index.html contains %q", bad)
		}
	}
	for _, js := range []string{"/static/js/main.js", "/static/js/dom.js", "/static/js/timeline.js"} {
		body := get(t, s, js, true).Body.String()
		for _, bad := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"} {
			if strings.Contains(body, bad) {
				t.Errorf("%s uses %s", js, bad)
			}
		}
	}
}

func TestStaticCannotLeaveAssets(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, sharedCase(t))
	for _, path := range []string{"/static/../server.go", "/static/..%2fserver.go", "/static/%2e%2e/%2e%2e/go.mod", "/static/", "/static/js", "/case.json", "/events/"} {
		w := get(t, s, path, false)
		if w.Code == http.StatusOK {
			t.Errorf("%s: status 200, body %.80q", path, w.Body.String())
		}
	}
	if w := get(t, s, "/static/js/main.js", true); w.Code != http.StatusOK || !strings.Contains(w.Header().Get("Content-Type"), "javascript") {
		t.Errorf("main.js: status %d type %q", w.Code, w.Header().Get("Content-Type"))
	}
}

func TestCheckAddr(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		addr          string
		tls, insecure bool
		ok            bool
	}{
		{"127.0.0.1:8080", false, false, true},
		{"localhost:8080", false, false, true},
		{"[::1]:8080", false, false, true},
		{"127.0.0.2:80", false, false, true},
		{":8080", false, false, false},
		{"0.0.0.0:8080", false, false, false},
		{"192.0.2.10:8080", false, false, false},
		{"example.com:443", false, false, false},
		{"0.0.0.0:8443", true, false, true},
		{"0.0.0.0:8080", false, true, true},
		{"nonsense", false, false, false},
	} {
		err := CheckAddr(tc.addr, tc.tls, tc.insecure)
		if (err == nil) != tc.ok {
			t.Errorf("CheckAddr(%q, tls=%v, insecure=%v) = %v, want ok=%v", tc.addr, tc.tls, tc.insecure, err, tc.ok)
		}
	}
	s := newTestServer(t, sharedCase(t))
	if err := s.ListenAndServe(t.Context(), "0.0.0.0:0", "", "", false); err == nil || !strings.Contains(err.Error(), "TLS") {
		t.Errorf("ListenAndServe on 0.0.0.0 without TLS: %v, want a refusal", err)
	}
	if err := s.ListenAndServe(t.Context(), "0.0.0.0:0", "cert.pem", "", false); err == nil {
		t.Errorf("ListenAndServe with a cert but no key: want an error")
	}
}

func TestListenAndServeStopsWithContext(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, sharedCase(t))
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- s.ListenAndServe(ctx, "127.0.0.1:0", "", "", false) }()
	time.Sleep(100 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("ListenAndServe after cancel: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ListenAndServe did not return after its context ended")
	}
}

func TestEventsContract(t *testing.T) {
	t.Parallel()
	c := sharedCase(t)
	s := newTestServer(t, c)
	type page struct {
		Events []map[string]any `json:"events"`
		Next   string           `json:"next"`
		Total  int64            `json:"total"`
	}
	// Every field of the contract, with schema column names.
	p := decode[page](t, get(t, s, "/api/events?limit=3", false))
	if p.Total != 2000 || len(p.Events) != 3 || p.Next == "" {
		t.Fatalf("page: total %d, %d events, next %q", p.Total, len(p.Events), p.Next)
	}
	for _, col := range timeline.Columns() {
		if _, ok := p.Events[0][col]; !ok && col != "raw" {
			t.Errorf("event JSON lacks column %q", col)
		}
	}
	if _, ok := p.Events[0]["raw"]; ok {
		t.Errorf("pages carry raw; only /api/event should")
	}
	// Cursor paging walks all matches once, in time order.
	seen := map[string]bool{}
	last := ""
	cursor := ""
	for {
		q := "/api/events?limit=700&source=m365.ual&where=outcome%3Dsuccess"
		if cursor != "" {
			q += "&cursor=" + url.QueryEscape(cursor)
		}
		p := decode[page](t, get(t, s, q, false))
		for _, e := range p.Events {
			id, tm := e["id"].(string), e["time"].(string)
			if seen[id] {
				t.Fatalf("event %s twice", id)
			}
			seen[id] = true
			if tm < last {
				t.Fatalf("events out of order: %s after %s", tm, last)
			}
			last = tm
			if e["source"] != "m365.ual" {
				t.Fatalf("source filter: got %v", e["source"])
			}
		}
		if p.Next == "" {
			if int64(len(seen)) != p.Total || p.Total != 1000 {
				t.Errorf("paged %d events, total %d, want 1000", len(seen), p.Total)
			}
			break
		}
		cursor = p.Next
	}

	for _, tc := range []struct {
		name  string
		query string
		total int64
	}{
		{"time window", "since=2023-05-15T00:00:00Z&until=2023-05-16T00:00:00Z", 67},
		{"unix ms", "since=1684108800000&until=1684195200000", 67},
		{"where repeated", "where=source%3Dentra.signin&where=outcome%3Dfailure", 24},
		{"search column term", "q=source:entra.signin+outcome:failure", 24},
		{"search alias and text", "q=ip:203.0.113.66+read", 40},
		{"free text", "q=USER7@contoso1.com", countText(2000, "user7@contoso1.com", "")},
		{"quoted value", `q=target_kind:"mailbox"`, 1000},
		{"several sources", "source=entra.signin,aws.cloudtrail", 1000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := decode[page](t, get(t, s, "/api/events?"+tc.query, false))
			if p.Total != tc.total {
				t.Errorf("total = %d, want %d", p.Total, tc.total)
			}
		})
	}
	for _, bad := range []string{"since=yesterday", "limit=0", "where=nocolumn%3Dx", "where=raw%3Dx", "cursor=!!!", "since=2023-06-02T00:00:00Z&until=2023-06-01T00:00:00Z"} {
		w := get(t, s, "/api/events?"+bad, false)
		if w.Code != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400", bad, w.Code)
		}
		var e apiError
		if json.Unmarshal(w.Body.Bytes(), &e) != nil || e.Error == "" {
			t.Errorf("%s: error body %q", bad, w.Body.String())
		}
	}
}

func TestEventDetailWithProvenance(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, sharedCase(t))
	d := decode[eventDetail](t, get(t, s, "/api/event?id=ev-00000005&source=m365.ual", false))
	want := synthEvent(5, 2000, false)
	if d.Event.Raw != want.Raw {
		t.Errorf("raw = %q, want %q", d.Event.Raw, want.Raw)
	}
	if d.Provenance.File != want.File || d.Provenance.FileSHA256 != want.FileSHA256 || d.Provenance.Offset != want.Offset {
		t.Errorf("provenance = %+v", d.Provenance)
	}
	if d.Provenance.FileRecord == nil || d.Provenance.FileRecord.SHA256 != want.FileSHA256 || d.Provenance.FileRecord.Importer != "synthetic" {
		t.Errorf("file record = %+v", d.Provenance.FileRecord)
	}
	if w := get(t, s, "/api/event?id=nope", false); w.Code != http.StatusNotFound {
		t.Errorf("unknown id: status %d", w.Code)
	}
	if w := get(t, s, "/api/event", false); w.Code != http.StatusBadRequest {
		t.Errorf("no id: status %d", w.Code)
	}
}

func TestHistogramAutoWidth(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, sharedCase(t))
	for _, tc := range []struct {
		query string
		width time.Duration
		total int64
	}{
		{"", 6 * time.Hour, 2000},            // 30 days in 120 buckets
		{"buckets=30", 24 * time.Hour, 2000}, // 30 days in 30
		{"since=2023-05-15T00:00:00Z&until=2023-05-15T00:10:00Z", 5 * time.Second, 1}, // 10 minutes
		{"since=2023-05-15T00:00:00Z&until=2023-05-15T00:00:01Z", 10 * time.Millisecond, 1},
		{"since=2023-05-15T00:00:00Z&until=2023-05-15T06:00:00Z&source=m365.ual&buckets=6", time.Hour, 9},
	} {
		h := decode[histogram](t, get(t, s, "/api/histogram?"+tc.query, false))
		if time.Duration(h.WidthMS)*time.Millisecond != tc.width || h.Total != tc.total {
			t.Errorf("%q: width %v total %d, want %v and %d", tc.query, time.Duration(h.WidthMS)*time.Millisecond, h.Total, tc.width, tc.total)
		}
		var sum int64
		for _, b := range h.Buckets {
			var bs int64
			for _, n := range b.Counts {
				bs += n
			}
			if bs != b.Total {
				t.Errorf("bucket %v: counts sum %d, total %d", b.Start, bs, b.Total)
			}
			sum += b.Total
		}
		if sum != h.Total {
			t.Errorf("%q: buckets sum to %d, total %d", tc.query, sum, h.Total)
		}
	}
}

func TestLanes(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, sharedCase(t))
	for _, tc := range []struct {
		query  string
		values []string
		other  bool
	}{
		{"group=source", []string{"m365.ual", "entra.signin", "aws.cloudtrail"}, false},
		{"group=category", []string{"mail", "signin", "resource"}, false},
		{"group=identity&lanes=5", nil, true},
		{"group=tenant&q=source:aws.cloudtrail", []string{"111122223330", "111122223331", "111122223332"}, false},
	} {
		l := decode[lanes](t, get(t, s, "/api/lanes?"+tc.query, false))
		var sum int64
		var got []string
		for _, ln := range l.Lanes {
			var ls int64
			for _, b := range ln.Buckets {
				ls += b[1]
			}
			if ls != ln.Total {
				t.Errorf("%s lane %q: buckets sum %d, total %d", tc.query, ln.Value, ls, ln.Total)
			}
			sum += ln.Total
			if !ln.Other {
				got = append(got, ln.Value)
			}
		}
		if sum != l.Total {
			t.Errorf("%s: lanes sum to %d, histogram total %d", tc.query, sum, l.Total)
		}
		if tc.values != nil {
			if diff := cmp.Diff(tc.values, got); diff != "" {
				t.Errorf("%s lanes (-want +got):\n%s", tc.query, diff)
			}
		}
		if last := l.Lanes[len(l.Lanes)-1]; last.Other != tc.other {
			t.Errorf("%s: other lane = %v, want %v", tc.query, last.Other, tc.other)
		}
	}
	if w := get(t, s, "/api/lanes?group=raw", false); w.Code != http.StatusBadRequest {
		t.Errorf("bad group: status %d", w.Code)
	}
}

func TestFacets(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, sharedCase(t))
	got := decode[struct {
		Facets map[string][]timeline.FacetValue `json:"facets"`
	}](t, get(t, s, "/api/facets?columns=source,outcome&q=source:entra.signin", false))
	want := map[string][]timeline.FacetValue{
		"source":  {{Value: "entra.signin", Count: 600}},
		"outcome": {{Value: "success", Count: 576}, {Value: "failure", Count: 24}},
	}
	if diff := cmp.Diff(want, got.Facets); diff != "" {
		t.Errorf("facets (-want +got):\n%s", diff)
	}
	if w := get(t, s, "/api/facets?columns=raw", false); w.Code != http.StatusBadRequest {
		t.Errorf("raw facet: status %d", w.Code)
	}
}

func TestEntity(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, sharedCase(t))
	d := decode[entityDetail](t, get(t, s, "/api/entity?id=ip:203.0.113.66", false))
	if d.Events != 40 || d.First == nil || d.Last == nil {
		t.Fatalf("entity = %+v", d)
	}
	if want := synthEvent(7, 2000, false).Time; !d.First.Equal(want) {
		t.Errorf("first = %v, want %v", d.First, want)
	}
	if want := synthEvent(1957, 2000, false).Time; !d.Last.Equal(want) {
		t.Errorf("last = %v, want %v", d.Last, want)
	}
	if got := d.Related["action"]; len(got) != 1 || got[0].Value != "MailItemsAccessed" {
		t.Errorf("related actions = %v", got)
	}
	tok := decode[entityDetail](t, get(t, s, "/api/entity?id=token:tok10", false))
	// tok10 is issued by sign-in 10 and used by events 13..17.
	if tok.Events != 6 || len(tok.Roles) != 2 || tok.Roles[0].Events != 5 || tok.Roles[1].Events != 1 {
		t.Errorf("token entity = %+v", tok)
	}
	if w := get(t, s, "/api/entity?id=nokind", false); w.Code != http.StatusBadRequest {
		t.Errorf("bad entity: status %d", w.Code)
	}
}

func TestChainAndFindingsMatchGraph(t *testing.T) {
	t.Parallel()
	c := sharedCase(t)
	s := newTestServer(t, c)
	g, err := buildGraph(t.Context(), c, nil)
	if err != nil {
		t.Fatal(err)
	}
	wantF, _ := json.MarshalIndent(g.Findings(graph.FindingOptions{}), "", "  ")
	w := get(t, s, "/api/findings", false)
	if w.Code != http.StatusOK {
		t.Fatalf("findings: %d %s", w.Code, w.Body.String())
	}
	if got := strings.TrimSpace(w.Body.String()); got != string(wantF) {
		t.Errorf("findings differ from graph.Findings:\n got %.300s\nwant %.300s", got, wantF)
	}
	ch, err := g.Chain("key:AKIAEXAMPLE00003", graph.ChainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wantC, _ := json.MarshalIndent(ch, "", "  ")
	w = get(t, s, "/api/chain?from=key:AKIAEXAMPLE00003", false)
	if got := strings.TrimSpace(w.Body.String()); w.Code != http.StatusOK || got != string(wantC) {
		t.Errorf("chain: status %d\n got %.300s\nwant %.300s", w.Code, got, wantC)
	}
	if w := get(t, s, "/api/chain?from=key:doesnotexist", false); w.Code != http.StatusNotFound {
		t.Errorf("unknown root: status %d", w.Code)
	}
	if w := get(t, s, "/api/chain", false); w.Code != http.StatusBadRequest {
		t.Errorf("no root: status %d", w.Code)
	}
}

func TestServerSeesNewImports(t *testing.T) {
	t.Parallel()
	c := buildCase(t, "", 100, false)
	s := newTestServer(t, c)
	type info struct {
		Events int64 `json:"events"`
	}
	if got := decode[info](t, get(t, s, "/api/case", false)).Events; got != 100 {
		t.Fatalf("events = %d", got)
	}
	time.Sleep(10 * time.Millisecond) // a distinct manifest mtime
	r, err := c.BeginRun(timeline.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	e := synthEvent(0, 100, false)
	e.ID, e.Time = "late-event", e.Time.Add(time.Hour*24*60)
	if _, err := r.Add(&e); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := decode[info](t, get(t, s, "/api/case", false)).Events; got != 101 {
		t.Errorf("events after a new import = %d, want 101", got)
	}
}

func TestIndexServed(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, sharedCase(t))
	w := get(t, s, "/", true)
	body, _ := io.ReadAll(w.Body)
	if w.Code != http.StatusOK || !strings.Contains(string(body), `<script type="module" src="/static/js/main.js">`) {
		t.Errorf("index: %d %.200s", w.Code, body)
	}
}

// countText counts the synthetic events whose message, actor or target
// contains s (from the given source, if any).
func countText(n int, s, source string) int64 {
	var k int64
	for i := range n {
		e := synthEvent(i, n, false)
		if source != "" && e.Source != source {
			continue
		}
		if strings.Contains(strings.ToLower(e.Message+"\x00"+e.Actor+"\x00"+e.Target), s) {
			k++
		}
	}
	return k
}

func TestChainDiagramEscapesLogText(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, buildCase(t, "", 500, true))
	// The forged token of event 7 reads a mailbox whose folder path is HTML.
	w := get(t, s, "/api/chain.svg?from=token:forged7", false)
	if w.Code != http.StatusOK {
		t.Fatalf("chain.svg: %d %s", w.Code, w.Body.String())
	}
	body := w.Body.String()
	if ct := w.Header().Get("Content-Type"); ct != "image/svg+xml" {
		t.Errorf("content type %q", ct)
	}
	if !strings.Contains(body, "<svg") || !strings.Contains(body, "forged7") {
		t.Errorf("not a chain diagram: %.300s", body)
	}
	if strings.Contains(body, "<img") || strings.Contains(body, "<script") {
		t.Errorf("log text reached the SVG as markup: %s", body)
	}
	if !strings.Contains(body, "&lt;img") {
		t.Errorf("the hostile mailbox label is missing from the diagram (want it escaped)")
	}
	if w.Header().Get("Content-Security-Policy") == "" {
		t.Errorf("the SVG has no CSP")
	}
	if w := get(t, s, "/api/chain.dot?from=token:forged7", false); w.Code != http.StatusOK || !strings.HasPrefix(w.Body.String(), "digraph") {
		t.Errorf("chain.dot: %d %.100s", w.Code, w.Body.String())
	}
	if w := get(t, s, "/api/chain.png?from=token:forged7", false); w.Code != http.StatusOK || !strings.HasPrefix(w.Body.String(), "\x89PNG") {
		t.Errorf("chain.png: %d", w.Code)
	}
}

func TestEmptyCase(t *testing.T) {
	t.Parallel()
	c, err := timeline.Create(t.TempDir()+"/case", "empty", caseStart)
	if err != nil {
		t.Fatal(err)
	}
	s := newTestServer(t, c)
	for _, path := range []string{"/api/case", "/api/events", "/api/histogram", "/api/lanes?group=tenant", "/api/facets", "/api/entity?id=ip:192.0.2.1", "/api/findings"} {
		w := get(t, s, path, false)
		if w.Code != http.StatusOK {
			t.Errorf("%s on an empty case: %d %s", path, w.Code, w.Body.String())
		}
	}
	p := decode[timeline.Page](t, get(t, s, "/api/events", false))
	if p.Total != 0 || p.Events == nil || p.Next != "" {
		t.Errorf("empty page = %+v, want no events as [] and no cursor", p)
	}
}

func TestStaticETag(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, sharedCase(t))
	w := get(t, s, "/static/js/main.js", true)
	etag := w.Header().Get("ETag")
	if w.Code != http.StatusOK || etag == "" || !strings.Contains(w.Header().Get("Content-Type"), "javascript") {
		t.Fatalf("main.js: %d etag %q type %q", w.Code, etag, w.Header().Get("Content-Type"))
	}
	r := httptest.NewRequest(http.MethodGet, "/static/js/main.js", nil)
	r.Header.Set("If-None-Match", etag)
	w = httptest.NewRecorder()
	s.Handler().ServeHTTP(w, r)
	if w.Code != http.StatusNotModified {
		t.Errorf("revalidation: status %d, want 304", w.Code)
	}
}

func TestLoginURL(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, sharedCase(t))
	for _, tc := range []struct {
		addr string
		tls  bool
		want string
	}{
		{"127.0.0.1:8080", false, "http://127.0.0.1:8080/login?token=" + testToken},
		{":8080", false, "http://127.0.0.1:8080/login?token=" + testToken},
		{"[::1]:9000", true, "https://[::1]:9000/login?token=" + testToken},
		{"casebox.example:443", true, "https://casebox.example:443/login?token=" + testToken},
	} {
		if got := s.LoginURL(tc.addr, tc.tls); got != tc.want {
			t.Errorf("LoginURL(%q, %v) = %q, want %q", tc.addr, tc.tls, got, tc.want)
		}
	}
}
