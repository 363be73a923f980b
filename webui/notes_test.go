package webui

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/causeway-ir/causeway/graph"
	"github.com/causeway-ir/causeway/timeline"
	"github.com/causeway-ir/causeway/webui/exercise"
)

func TestAssertionReachesChain(t *testing.T) {
	t.Parallel()
	c := sharedCase(t)
	s := newTestServer(t, c)
	owner := client{t: t, s: s, bearer: testToken}
	// Build the graph first, so that the assertion must reach a cached one.
	before := decode[graph.Chain](t, owner.do("GET", "/api/chain?from=key:AKIAEXAMPLE00003", ""))
	for _, e := range before.Edges {
		if e.Evidence == "asserted" {
			t.Fatalf("asserted edge before any assertion: %+v", e)
		}
	}
	for _, tc := range []struct {
		body string
		code int
	}{
		{`{"from":"key:AKIAEXAMPLE00003","to":"token:forged7","relation":"minted","why":"the advisory says so"}`, 201},
		{`{"from":"key:AKIAEXAMPLE00003","to":"token:forged7","relation":"minted"}`, 400},
		{`{"from":"nonsense","to":"token:forged7","relation":"minted","why":"x"}`, 400},
		{`{"from":"key:a","to":"token:b","relation":"r","why":"w","at":"yesterday"}`, 400},
	} {
		if w := owner.do("POST", "/api/assertions", tc.body); w.Code != tc.code {
			t.Errorf("POST %s: %d, want %d: %s", tc.body, w.Code, tc.code, w.Body.String())
		}
	}
	after := decode[graph.Chain](t, owner.do("GET", "/api/chain?from=key:AKIAEXAMPLE00003", ""))
	found := false
	for _, e := range after.Edges {
		if e.Evidence == "asserted" && e.From == "key:AKIAEXAMPLE00003" && e.To == "token:forged7" && e.Relation == "minted" {
			found = true
			if !e.Time.IsZero() {
				t.Errorf("an assertion without a time is dated %v in the chain", e.Time)
			}
		}
	}
	if !found {
		t.Errorf("the chain does not show the new assertion as asserted: %+v", after.Edges)
	}
	// No date is invented for it: the JSON has no "time" for the edge.
	raw := decode[struct {
		Edges []map[string]any `json:"edges"`
	}](t, owner.do("GET", "/api/chain?from=key:AKIAEXAMPLE00003", ""))
	for _, e := range raw.Edges {
		if _, dated := e["time"]; dated == (e["relation"] == "minted") {
			t.Errorf("chain JSON edge %v: time present %v", e, dated)
		}
	}
	as := decode[[]timeline.Assertion](t, owner.do("GET", "/api/assertions", ""))
	if len(as) != 1 || as[0].Who != "owner" {
		t.Errorf("assertions = %+v", as)
	}
	// The entity's neighbours list it too, with its evidence.
	n := decode[neighbours](t, owner.do("GET", "/api/neighbours?id=token:forged7", ""))
	ok := false
	for _, e := range n.In {
		if e.From == "key:AKIAEXAMPLE00003" && e.Evidence == "asserted" {
			ok = true
		}
	}
	if !ok || len(n.Out) == 0 {
		t.Errorf("neighbours of token:forged7 = %+v", n)
	}
	if w := owner.do("GET", "/api/neighbours?id=ip:192.0.2.99", ""); w.Code != http.StatusNotFound {
		t.Errorf("neighbours of an unknown entity: %d, want 404", w.Code)
	}
}

func TestBoardAPI(t *testing.T) {
	t.Parallel()
	c := sharedCase(t)
	s := newTestServer(t, c)
	owner := client{t: t, s: s, bearer: testToken}
	owner.do("POST", "/api/annotations", `{"target":"event:ev-00000007","star":true,"note":"`+evil+`"}`)
	w := owner.do("GET", "/api/board", "")
	var rep struct {
		Headline   string   `json:"headline"`
		Root       string   `json:"root"`
		Roots      []string `json:"roots"`
		Figures    []any    `json:"figures"`
		KeyEvents  []any    `json:"key_events"`
		Starred    []any    `json:"starred"`
		DiagramSVG string   `json:"diagram_svg"`
	}
	if w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &rep) != nil {
		t.Fatalf("/api/board: %d %.300s", w.Code, w.Body.String())
	}
	if rep.Headline == "" || (rep.Root == "" && len(rep.Roots) == 0) || len(rep.Figures) == 0 || !strings.HasPrefix(strings.TrimSpace(rep.DiagramSVG), "<") || len(rep.Starred) != 1 {
		t.Errorf("board report: headline %q root %q figures %d starred %d svg %.40q", rep.Headline, rep.Root, len(rep.Figures), len(rep.Starred), rep.DiagramSVG)
	}
	t.Logf("board headline: %s", rep.Headline)
	for ext, magic := range map[string]string{"pdf": "%PDF", "png": "\x89PNG", "svg": "<", "html": "<!"} {
		w := owner.do("GET", "/api/board."+ext, "")
		if w.Code != http.StatusOK || !bytes.HasPrefix(bytes.TrimSpace(w.Body.Bytes()), []byte(magic)) {
			t.Errorf("board.%s: %d %.40q", ext, w.Code, w.Body.String())
		}
		if cd := w.Header().Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") {
			t.Errorf("board.%s: Content-Disposition %q, want an attachment", ext, cd)
		}
		if ext == "html" && strings.Contains(w.Body.String(), evil) {
			t.Errorf("board.html holds the note unescaped")
		}
	}
	if w := owner.do("GET", "/api/board?from=nonsense", ""); w.Code != http.StatusBadRequest {
		t.Errorf("board from nonsense: %d", w.Code)
	}
}

func TestExerciseMounted(t *testing.T) {
	t.Parallel()
	c := sharedCase(t)
	var buf bytes.Buffer
	if err := exercise.New(&buf, c); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "tabletop.yaml")
	if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	s := quietServer(t, Options{Case: c, ExerciseFile: file})
	facTok := addUser(t, c, "fay", timeline.RoleFacilitator)
	partTok := addUser(t, c, "pat", timeline.RoleParticipant)
	viewTok := addUser(t, c, "vera", timeline.RoleViewer)

	w := get(t, s, "/login?token="+partTok, true)
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/exercise" {
		t.Errorf("participant login: %d to %q, want 303 to /exercise", w.Code, w.Header().Get("Location"))
	}
	fay := loginCookie(t, s, facTok)
	fac := client{t: t, s: s, cookie: fay}
	if w := fac.do("POST", "/api/exercise/play", ""); w.Code != http.StatusForbidden {
		t.Errorf("facilitator play without CSRF: %d, want 403", w.Code)
	}
	fac.csrf = meCSRF(t, s, fay)
	if w := fac.do("POST", "/api/exercise/play", ""); w.Code != http.StatusOK {
		t.Errorf("facilitator play with CSRF: %d %s", w.Code, w.Body.String())
	}
	for _, tc := range []struct {
		cl   client
		path string
		code int
	}{
		{client{t: t, s: s, bearer: partTok}, "/api/exercise/state", 200},
		{client{t: t, s: s, bearer: partTok}, "/exercise/participant", 200},
		{client{t: t, s: s, bearer: partTok}, "/api/events", 403},
		{client{t: t, s: s, bearer: viewTok}, "/api/exercise/state", 403},
		{client{t: t, s: s}, "/api/exercise/state", 401},
		{fac, "/api/exercise/export.json", 200},
	} {
		if w := tc.cl.do("GET", tc.path, ""); w.Code != tc.code {
			t.Errorf("GET %s: %d, want %d", tc.path, w.Code, tc.code)
		}
	}
	if w := (client{t: t, s: s, bearer: partTok}).do("POST", "/api/exercise/play", ""); w.Code != http.StatusForbidden {
		t.Errorf("participant play: %d, want 403", w.Code)
	}
	for _, path := range []string{"/exercise/static/../../case.json", "/exercise/static/%2e%2e%2fcase.db", "/exercise/static/..%2f..%2fcase.json"} {
		w := fac.do("GET", path, "")
		if w.Code == http.StatusOK && (strings.Contains(w.Body.String(), `"parts"`) || strings.Contains(w.Body.String(), "SQLite")) {
			t.Errorf("%s served a case file", path)
		}
	}
	if m := decode[me](t, fac.do("GET", "/api/me", "")); !m.Exercise || m.CanRead != true || m.CanWrite {
		t.Errorf("facilitator /api/me = %+v", m)
	}
}
