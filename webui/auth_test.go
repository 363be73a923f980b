package webui

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/causeway-ir/causeway/timeline"
)

// meCSRF returns the CSRF token /api/me hands to a cookie session.
func meCSRF(t *testing.T, s *Server, ck *http.Cookie) string {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, "/api/me", nil)
	r.AddCookie(ck)
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, r)
	m := decode[me](t, w)
	if m.CSRF == "" {
		t.Fatal("/api/me gave a cookie session no CSRF token")
	}
	return m.CSRF
}

// loginCookie signs in with a token and returns the session cookie.
func loginCookie(t *testing.T, s *Server, token string) *http.Cookie {
	t.Helper()
	w := get(t, s, "/login?token="+url.QueryEscape(token), true)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("login: status %d: %s", w.Code, w.Body.String())
	}
	for _, ck := range w.Result().Cookies() {
		if ck.Name == sessionCookie {
			return ck
		}
	}
	t.Fatal("login set no session cookie")
	return nil
}

// client sends requests as one caller: a bearer token, or a cookie with
// (or without) its CSRF token.
type client struct {
	t      *testing.T
	s      *Server
	bearer string
	cookie *http.Cookie
	csrf   string
}

func (c client) do(method, path, body string) *httptest.ResponseRecorder {
	c.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	r := httptest.NewRequest(method, path, rd)
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	if c.bearer != "" {
		r.Header.Set("Authorization", "Bearer "+c.bearer)
	}
	if c.cookie != nil {
		r.AddCookie(c.cookie)
	}
	if c.csrf != "" {
		r.Header.Set("X-CSRF-Token", c.csrf)
	}
	w := httptest.NewRecorder()
	c.s.Handler().ServeHTTP(w, r)
	return w
}

// addUser adds a user to the case's database and returns their token.
func addUser(t *testing.T, c *timeline.Case, name, role string) string {
	t.Helper()
	db, err := c.OpenDB()
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tok, err := db.AddUser(t.Context(), name, role, "test")
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// writes are every state-changing request of the API, with a valid body.
var writes = []struct{ method, path, body string }{
	{"POST", "/api/annotations", `{"target":"event:ev-00000003","star":true,"tags":["x"],"note":"n"}`},
	{"POST", "/api/assertions", `{"from":"ip:203.0.113.66","to":"identity:user0@contoso0.com","relation":"used-by","why":"intel"}`},
	{"POST", "/api/views", `{"name":"v","state":"view=graph&from=key:AKIAEXAMPLE00001"}`},
	{"PUT", "/api/annotations", `{"target":"event:ev-00000003"}`},
	{"DELETE", "/api/views", ``},
	{"POST", "/api/case", `{}`},
}

func TestRolesAndCSRF(t *testing.T) {
	t.Parallel()
	c := sharedCase(t)
	s := newTestServer(t, c)
	viewerTok := addUser(t, c, "vera", timeline.RoleViewer)
	analystTok := addUser(t, c, "ana", timeline.RoleAnalyst)
	partTok := addUser(t, c, "pat", timeline.RoleParticipant)
	facTok := addUser(t, c, "fay", timeline.RoleFacilitator)

	viewerCk := loginCookie(t, s, viewerTok)
	analystCk := loginCookie(t, s, analystTok)
	ownerCk := loginCookie(t, s, testToken)
	callers := map[string]client{
		"viewer bearer":              {t: t, s: s, bearer: viewerTok},
		"viewer cookie+csrf":         {t: t, s: s, cookie: viewerCk, csrf: meCSRF(t, s, viewerCk)},
		"facilitator bearer":         {t: t, s: s, bearer: facTok},
		"participant bearer":         {t: t, s: s, bearer: partTok},
		"analyst cookie, no csrf":    {t: t, s: s, cookie: analystCk},
		"analyst cookie, wrong csrf": {t: t, s: s, cookie: analystCk, csrf: meCSRF(t, s, ownerCk)},
		"owner cookie, no csrf":      {t: t, s: s, cookie: ownerCk},
	}
	for name, cl := range callers {
		for _, wr := range writes {
			if w := cl.do(wr.method, wr.path, wr.body); w.Code != http.StatusForbidden {
				t.Errorf("%s: %s %s: status %d, want 403: %s", name, wr.method, wr.path, w.Code, w.Body.String())
			}
		}
	}
	if as, _ := s.db.Annotations(t.Context(), ""); len(as) != 0 {
		t.Errorf("refused writes stored %d annotations", len(as))
	}

	// Viewers and facilitators read everything; participants nothing but /api/me.
	for _, path := range []string{"/api/case", "/api/events", "/api/annotations", "/api/views", "/api/findings"} {
		if w := callers["viewer cookie+csrf"].do("GET", path, ""); w.Code != http.StatusOK {
			t.Errorf("viewer GET %s: %d", path, w.Code)
		}
		if w := callers["facilitator bearer"].do("GET", path, ""); w.Code != http.StatusOK {
			t.Errorf("facilitator GET %s: %d", path, w.Code)
		}
		if w := callers["participant bearer"].do("GET", path, ""); w.Code != http.StatusForbidden {
			t.Errorf("participant GET %s: %d, want 403", path, w.Code)
		}
	}
	if w := callers["participant bearer"].do("GET", "/api/me", ""); w.Code != http.StatusOK {
		t.Errorf("participant /api/me: %d", w.Code)
	}
	// The audit trail is for analysts.
	if w := callers["viewer bearer"].do("GET", "/api/audit", ""); w.Code != http.StatusForbidden {
		t.Errorf("viewer /api/audit: %d, want 403", w.Code)
	}

	// The same writes pass for an analyst with CSRF, and for bearer calls without it.
	for name, cl := range map[string]client{
		"analyst cookie+csrf": {t: t, s: s, cookie: analystCk, csrf: meCSRF(t, s, analystCk)},
		"analyst bearer":      {t: t, s: s, bearer: analystTok},
		"owner bearer":        {t: t, s: s, bearer: testToken},
	} {
		for _, wr := range writes[:3] {
			if w := cl.do(wr.method, wr.path, wr.body); w.Code != http.StatusCreated && w.Code != http.StatusOK {
				t.Errorf("%s: %s %s: status %d: %s", name, wr.method, wr.path, w.Code, w.Body.String())
			}
		}
	}
	// Bearer /api/me has no CSRF token to give.
	m := decode[me](t, callers["viewer bearer"].do("GET", "/api/me", ""))
	if m.CSRF != "" || m.Name != "vera" || m.Role != "viewer" || m.CanWrite {
		t.Errorf("viewer bearer /api/me = %+v", m)
	}
	m = decode[me](t, client{t: t, s: s, cookie: ownerCk}.do("GET", "/api/me", ""))
	if m.Name != "owner" || m.Role != "analyst" || !m.CanWrite {
		t.Errorf("owner /api/me = %+v", m)
	}
	// A user named "owner" is not the owner.
	fake := addUser(t, c, "owner", timeline.RoleViewer)
	if w := (client{t: t, s: s, bearer: fake}).do(writes[0].method, writes[0].path, writes[0].body); w.Code != http.StatusForbidden {
		t.Errorf("a viewer named owner wrote: %d", w.Code)
	}
}

func TestSessionsSurviveRestart(t *testing.T) {
	t.Parallel()
	c := sharedCase(t)
	s1 := newTestServer(t, c)
	ck := loginCookie(t, s1, testToken)
	cl := client{t: t, s: s1, cookie: ck, csrf: meCSRF(t, s1, ck)}
	if w := cl.do("POST", "/api/annotations", `{"target":"event:ev-00000007","star":true,"tags":["forged","read"],"note":"first"}`); w.Code != http.StatusCreated {
		t.Fatalf("first annotation: %d %s", w.Code, w.Body.String())
	}
	if w := cl.do("POST", "/api/views", `{"name":"Forged token","state":"q=token:forged7&view=timeline"}`); w.Code != http.StatusCreated {
		t.Fatalf("save view: %d %s", w.Code, w.Body.String())
	}
	if err := s1.Close(); err != nil {
		t.Fatal(err)
	}

	// A new server on the same case: the cookie, its CSRF token, the
	// annotation and the view are all still there.
	s2 := newTestServer(t, c)
	cl.s = s2
	as := decode[[]timeline.Annotation](t, cl.do("GET", "/api/annotations?target=event:ev-00000007", ""))
	if len(as) != 1 || !as[0].Star || as[0].Author != "owner" || as[0].Note != "first" || strings.Join(as[0].Tags, ",") != "forged,read" {
		t.Errorf("annotations after restart = %+v", as)
	}
	vs := decode[[]timeline.View](t, cl.do("GET", "/api/views", ""))
	if len(vs) != 1 || vs[0].Name != "Forged token" || !strings.Contains(string(vs[0].State), "q=token:forged7") {
		t.Errorf("views after restart = %+v", vs)
	}
	if w := cl.do("POST", "/api/annotations", `{"target":"event:ev-00000007","star":false,"note":"second"}`); w.Code != http.StatusOK {
		t.Errorf("update after restart: %d %s, want 200", w.Code, w.Body.String())
	}
	var a timeline.Annotation
	w := cl.do("GET", "/api/annotations?target=event:ev-00000007", "")
	as = decode[[]timeline.Annotation](t, w)
	if len(as) == 1 {
		a = as[0]
	}
	if a.Star || a.Note != "second" || a.Version != 2 {
		t.Errorf("after update: %+v", a)
	}
	// The audit trail names who did what.
	audit := decode[[]timeline.AuditEntry](t, cl.do("GET", "/api/audit", ""))
	var actions []string
	for _, e := range audit {
		actions = append(actions, e.Who+" "+e.Action+" "+e.Target)
	}
	want := "owner annotate event:ev-00000007|owner save-view Forged token|owner annotate event:ev-00000007"
	if strings.Join(actions, "|") != want {
		t.Errorf("audit = %q, want %q", actions, want)
	}
	// Logging out ends the session for good.
	r := httptest.NewRequest("POST", "/logout", nil)
	r.AddCookie(ck)
	r.Header.Set("X-CSRF-Token", cl.csrf)
	s2.Handler().ServeHTTP(httptest.NewRecorder(), r)
	if w := cl.do("GET", "/api/case", ""); w.Code != http.StatusUnauthorized {
		t.Errorf("after logout: %d, want 401", w.Code)
	}
}

func TestUserLogin(t *testing.T) {
	t.Parallel()
	c := sharedCase(t)
	s := newTestServer(t, c)
	tok := addUser(t, c, "ana", timeline.RoleAnalyst)
	ck := loginCookie(t, s, tok)
	if strings.Contains(ck.Value, tok) || !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode {
		t.Errorf("cookie %+v", ck)
	}
	cl := client{t: t, s: s, cookie: ck, csrf: meCSRF(t, s, ck)}
	w := cl.do("POST", "/api/annotations", `{"target":"ip:203.0.113.66","star":true}`)
	a := timeline.Annotation{}
	if w.Code != http.StatusCreated || json.Unmarshal(w.Body.Bytes(), &a) != nil || a.Author != "ana" || a.Target != "ip:203.0.113.66" {
		t.Errorf("annotation by ana: %d %s", w.Code, w.Body.String())
	}
	// Re-adding a user (a new token) ends their sessions and the old token.
	addUser(t, c, "ana", timeline.RoleViewer)
	if w := cl.do("GET", "/api/case", ""); w.Code != http.StatusUnauthorized {
		t.Errorf("old session after re-adding the user: %d, want 401", w.Code)
	}
	if w := get(t, s, "/login?token="+tok, true); w.Code != http.StatusUnauthorized {
		t.Errorf("old token: %d, want 401", w.Code)
	}
}

func TestAnnotationsAPI(t *testing.T) {
	t.Parallel()
	c := sharedCase(t)
	s := newTestServer(t, c)
	ana := client{t: t, s: s, bearer: addUser(t, c, "ana", timeline.RoleAnalyst)}
	owner := client{t: t, s: s, bearer: testToken}
	for _, tc := range []struct {
		cl   client
		body string
		code int
	}{
		{owner, `{"target":"event:ev-00000001","star":true}`, 201},
		{owner, `{"target":"event:ev-00000001","star":true,"tags":["b","a","a"," "]}`, 200},
		{ana, `{"target":"event:ev-00000001","note":"` + evil + `"}`, 201},
		{ana, `{"target":"mailbox:user3@contoso0.com","tags":["victim"]}`, 201},
		{ana, `{"target":"nonsense"}`, 400},
		{ana, `{"target":"event:"}`, 400},
		{ana, `{"target":"event:x","bogus":1}`, 400},
		{ana, `not json`, 400},
		{ana, ``, 400},
		{ana, `{"target":"event:x","note":"` + strings.Repeat("n", 17<<10) + `"}`, 400},
	} {
		if w := tc.cl.do("POST", "/api/annotations", tc.body); w.Code != tc.code {
			t.Errorf("POST %.80s: %d, want %d: %s", tc.body, w.Code, tc.code, w.Body.String())
		}
	}
	as := decode[[]timeline.Annotation](t, owner.do("GET", "/api/annotations?target=event:ev-00000001", ""))
	if len(as) != 2 || as[0].Author != "ana" || as[0].Note != evil || as[1].Author != "owner" || !as[1].Star || strings.Join(as[1].Tags, ",") != "a,b" {
		t.Errorf("annotations of ev-00000001 = %+v", as)
	}
	all := decode[[]timeline.Annotation](t, owner.do("GET", "/api/annotations", ""))
	starred := decode[[]timeline.Annotation](t, owner.do("GET", "/api/annotations?starred=1", ""))
	if len(all) != 3 || len(starred) != 1 {
		t.Errorf("all %d starred %d, want 3 and 1", len(all), len(starred))
	}
	if w := owner.do("GET", "/api/annotations?target=bad", ""); w.Code != 400 {
		t.Errorf("bad target: %d", w.Code)
	}
}

func TestBodyLimit(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, sharedCase(t))
	owner := client{t: t, s: s, bearer: testToken}
	big := `{"target":"event:x","note":"` + strings.Repeat("a", 70<<10) + `"}`
	for _, path := range []string{"/api/annotations", "/api/assertions", "/api/views", "/logout"} {
		if w := owner.do("POST", path, big); w.Code != http.StatusRequestEntityTooLarge {
			t.Errorf("POST %s with 70 KiB: %d, want 413", path, w.Code)
		}
	}
	// Without a Content-Length (chunked), reading past the limit is 413 too.
	r := httptest.NewRequest("POST", "/api/annotations", io.MultiReader(strings.NewReader(big)))
	r.ContentLength = -1
	r.Header.Set("Authorization", "Bearer "+testToken)
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, r)
	if w.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("chunked 70 KiB: %d, want 413", w.Code)
	}
}

func TestConcurrentAnnotations(t *testing.T) {
	t.Parallel()
	c := sharedCase(t)
	s := newTestServer(t, c)
	users := []client{{t: t, s: s, bearer: testToken}, {t: t, s: s, bearer: addUser(t, c, "ana", timeline.RoleAnalyst)}}
	var wg sync.WaitGroup
	codes := make(chan int, 200)
	for _, u := range users {
		for i := range 50 {
			wg.Go(func() {
				w := u.do("POST", "/api/annotations", `{"target":"event:ev-`+strings.Repeat("0", 6)+string(rune('0'+i%10))+`0","star":true,"tags":["t`+string(rune('a'+i%26))+`"]}`)
				codes <- w.Code
			})
		}
	}
	wg.Wait()
	close(codes)
	for code := range codes {
		if code != 200 && code != 201 {
			t.Errorf("concurrent annotation: %d", code)
		}
	}
	as := decode[[]timeline.Annotation](t, users[0].do("GET", "/api/annotations", ""))
	if len(as) != 20 { // 10 targets × 2 authors
		t.Errorf("%d annotations, want 20", len(as))
	}
	for _, a := range as {
		if a.Version != 5 {
			t.Errorf("%s by %s: version %d, want 5 (no write lost)", a.Target, a.Author, a.Version)
		}
	}
}

func TestPathTraversal(t *testing.T) {
	t.Parallel()
	c := sharedCase(t)
	s := newTestServer(t, c)
	for _, path := range []string{
		"/static/../case.json", "/static/%2e%2e/case.json", "/static/..%2fcase.json", "/static/..%5ccase.json",
		"/static//etc/passwd", "/static/js/../../case.db", "/static/%2e%2e%2f%2e%2e%2fcase.json",
		"/api/board.%2e%2e%2fcase.json", "/api/chain.%2e%2e", "/api/board./../case.json",
		"/exercise/static/../../case.json", "/exercise/static/%2e%2e%2fcase.json",
		"/api/event?id=../../case.json", "/api/entity?id=resource:../../case.json",
		"/api/annotations?target=event:../../case.db", "/api/neighbours?id=resource:../../case.json",
	} {
		w := get(t, s, path, false)
		body := w.Body.String()
		if w.Code == http.StatusOK && (strings.Contains(body, `"parts"`) || strings.Contains(body, "SQLite") || strings.Contains(body, "root:")) {
			t.Errorf("%s: %d served a file outside the assets: %.200s", path, w.Code, body)
		}
		if w.Code >= 500 {
			t.Errorf("%s: %d", path, w.Code)
		}
	}
}

// quietServer is a test server with opts (the test token, no logs).
func quietServer(t *testing.T, opts Options) *Server {
	t.Helper()
	opts.OwnerToken = testToken
	opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// BenchmarkCookieAuth measures what a cookie session costs per request
// (two case.db lookups: the session, then the user's role).
func BenchmarkCookieAuth(b *testing.B) {
	c := buildCase(b, "", 10, false)
	s, err := New(Options{Case: c, OwnerToken: testToken, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	db, _ := c.OpenDB()
	tok, _ := db.AddUser(b.Context(), "ana", timeline.RoleAnalyst, "bench")
	db.Close()
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/login?token="+tok, nil))
	ck := w.Result().Cookies()[0]
	r := httptest.NewRequest("GET", "/api/me", nil)
	r.AddCookie(ck)
	for b.Loop() {
		if _, ok := s.Authenticate(r); !ok {
			b.Fatal("not authenticated")
		}
	}
}
