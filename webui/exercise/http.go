package exercise

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/causeway-ir/causeway/timeline"
)

//go:embed static
var embedded embed.FS

// Principal is who makes a request, as the mounting server names them.
type Principal struct {
	Name string `json:"name"`
	Role string `json:"role"`
}

// canFacilitate reports whether a role may run the exercise. "owner" is
// the holder of the serve token (webui's single-user mode).
func canFacilitate(role string) bool {
	return role == timeline.RoleFacilitator || role == timeline.RoleAnalyst || role == "owner"
}

// canParticipate reports whether a role may follow and answer.
func canParticipate(role string) bool {
	return role == timeline.RoleParticipant || canFacilitate(role)
}

// Options configures a Server.
type Options struct {
	// Case is the case the exercise replays; exercise.db is kept in its
	// directory.
	Case *timeline.Case
	// File is the exercise; Open validates it and refuses it when it has
	// errors.
	File *File
	// Session names this run of the exercise in exercise.db (answers and
	// state are kept per session); the file's title, slugged, when empty.
	Session string
	// Principal names the caller; false means not signed in (401). It is
	// required: the exercise has no authentication of its own.
	Principal func(*http.Request) (Principal, bool)
	// CheckCSRF checks a state-changing request. When nil, a request must
	// carry a non-empty X-CSRF-Token header (which a cross-site form cannot
	// set) and, if it says, come from the same origin.
	CheckCSRF func(*http.Request) bool
	// CSRFToken returns the token the browser must send back in
	// X-CSRF-Token (cookie sessions); /api/exercise/me hands it out.
	CSRFToken func(*http.Request) string
	// AssetsDir serves the front end from this directory (front-end work)
	// instead of the embedded copy.
	AssetsDir string
	// Logger gets errors; slog.Default when nil.
	Logger *slog.Logger
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Server serves one exercise session: pages under /exercise/ and the API
// under /api/exercise/. Create it with Open.
type Server struct {
	opts   Options
	log    *slog.Logger
	c      *timeline.Case
	sess   *Session
	store  *store
	assets fs.FS
	mux    *http.ServeMux

	cacheMu sync.Mutex
	cache   pageCache
}

// Open opens exercise.db in the case directory, restores (or starts) the
// session and returns its Server.
func Open(ctx context.Context, opts Options) (*Server, error) {
	if opts.Case == nil || opts.File == nil {
		return nil, errors.New("exercise: need a case and an exercise file")
	}
	if opts.Principal == nil {
		return nil, errors.New("exercise: need a Principal function (the exercise does not authenticate by itself)")
	}
	if err := opts.File.Validate(opts.Case).Err(); err != nil {
		return nil, fmt.Errorf("exercise %s: %w", opts.File.Name(), err)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Session == "" {
		opts.Session = slug(opts.File.Title)
	}
	s := &Server{opts: opts, log: opts.Logger, c: opts.Case}
	if s.log == nil {
		s.log = slog.Default()
	}
	if opts.AssetsDir != "" {
		s.assets = os.DirFS(opts.AssetsDir)
	} else {
		sub, err := fs.Sub(embedded, "static")
		if err != nil {
			return nil, err
		}
		s.assets = sub
	}
	st, err := openStore(filepath.Join(opts.Case.Dir(), "exercise.db"))
	if err != nil {
		return nil, fmt.Errorf("exercise: %w", err)
	}
	s.store = st
	s.sess, err = newSession(ctx, opts.Session, opts.File, st, opts.Now)
	if err != nil {
		st.close()
		return nil, fmt.Errorf("exercise: %w", err)
	}
	s.mux = s.routes()
	return s, nil
}

// Close closes exercise.db.
func (s *Server) Close() error { return s.store.close() }

// Session returns the running session.
func (s *Server) Session() *Session { return s.sess }

// Handler returns the handler of every exercise route: GET /exercise/
// (the page for the caller's role), /exercise/facilitator,
// /exercise/participant, /exercise/static/…, and /api/exercise/….
func (s *Server) Handler() http.Handler { return s }

// ServeHTTP serves a request with the security headers of design.md §7.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	if strings.HasPrefix(r.URL.Path, "/api/") {
		h.Set("Cache-Control", "no-store")
	}
	s.mux.ServeHTTP(w, r)
}

// contentSecurityPolicy is webui's: only the app's own scripts, styles and
// connections.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

func (s *Server) routes() *http.ServeMux {
	m := http.NewServeMux()
	m.HandleFunc("GET /exercise/{$}", s.page(""))
	m.HandleFunc("GET /exercise", s.page(""))
	m.HandleFunc("GET /exercise/facilitator", s.page("facilitator"))
	m.HandleFunc("GET /exercise/participant", s.page("participant"))
	m.HandleFunc("GET /exercise/static/{name...}", s.handleStatic)

	m.HandleFunc("GET /api/exercise/me", s.participant(s.handleMe))
	m.HandleFunc("GET /api/exercise/state", s.participant(s.handleState))
	m.HandleFunc("GET /api/exercise/events", s.participant(s.handleEvents))
	m.HandleFunc("GET /api/exercise/stream", s.participant(s.handleStream))
	m.HandleFunc("POST /api/exercise/answer", s.participant(s.csrf(s.handleAnswer)))

	m.HandleFunc("POST /api/exercise/play", s.facilitator(s.csrf(s.handlePlay)))
	m.HandleFunc("POST /api/exercise/pause", s.facilitator(s.csrf(s.handlePause)))
	m.HandleFunc("POST /api/exercise/advance", s.facilitator(s.csrf(s.handleAdvance)))
	m.HandleFunc("POST /api/exercise/step", s.facilitator(s.csrf(s.handleStep)))
	m.HandleFunc("POST /api/exercise/release", s.facilitator(s.csrf(s.handleRelease)))
	m.HandleFunc("POST /api/exercise/note", s.facilitator(s.csrf(s.handleNote)))
	m.HandleFunc("GET /api/exercise/export.json", s.facilitator(s.handleExportJSON))
	m.HandleFunc("GET /api/exercise/export.csv", s.facilitator(s.handleExportCSV))
	m.HandleFunc("/api/exercise/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such exercise API: "+r.Method+" "+r.URL.Path)
	})
	return m
}

// handlerFunc is a handler that knows its caller.
type handlerFunc func(w http.ResponseWriter, r *http.Request, who Principal)

// participant lets through callers who may follow the exercise.
func (s *Server) participant(h handlerFunc) http.HandlerFunc {
	return s.require(canParticipate, "participant, facilitator or analyst", h)
}

// facilitator lets through callers who may run the exercise.
func (s *Server) facilitator(h handlerFunc) http.HandlerFunc {
	return s.require(canFacilitate, "facilitator or analyst", h)
}

func (s *Server) require(ok func(string) bool, roles string, h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		who, signed := s.opts.Principal(r)
		if !signed {
			writeError(w, http.StatusUnauthorized, "sign in first: open the login link the facilitator gave you")
			return
		}
		if !ok(who.Role) {
			writeError(w, http.StatusForbidden, fmt.Sprintf("this needs the role %s; you are %s", roles, who.Role))
			return
		}
		h(w, r, who)
	}
}

// csrf checks state-changing requests.
func (s *Server) csrf(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, who Principal) {
		if !s.csrfOK(r) {
			writeError(w, http.StatusForbidden, "missing or wrong CSRF token: reload the page")
			return
		}
		h(w, r, who)
	}
}

func (s *Server) csrfOK(r *http.Request) bool {
	if s.opts.CheckCSRF != nil {
		return s.opts.CheckCSRF(r)
	}
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return false
	}
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		if err != nil || u.Host != r.Host {
			return false
		}
	}
	return r.Header.Get("X-CSRF-Token") != ""
}

// apiError is the JSON body of every API error (as webui's).
type apiError struct {
	Error string `json:"error"`
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, apiError{Error: msg})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// actionError answers the error of a session action.
func (s *Server) actionError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, ErrBackwards), errors.Is(err, ErrNoStage), errors.Is(err, ErrNotReleased):
		writeError(w, http.StatusConflict, err.Error())
	case errors.Is(err, ErrNoInject):
		writeError(w, http.StatusNotFound, err.Error())
	case errors.Is(err, ErrBadAnswer):
		writeError(w, http.StatusBadRequest, err.Error())
	default:
		s.log.Error("exercise", "err", err)
		writeError(w, http.StatusInternalServerError, "internal error: "+err.Error())
	}
}

// readBody decodes a small JSON body strictly.
func readBody(w http.ResponseWriter, r *http.Request, v any) bool {
	if r.ContentLength == 0 && r.Body == http.NoBody {
		return true
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil && !errors.Is(err, io.EOF) {
		writeError(w, http.StatusBadRequest, "bad JSON body: "+err.Error())
		return false
	}
	return true
}

// page serves the view of the caller's role, or the named view.
func (s *Server) page(view string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		who, ok := s.opts.Principal(r)
		if !ok {
			http.Error(w, "sign in first: open the login link the facilitator gave you", http.StatusUnauthorized)
			return
		}
		if view == "" {
			if canFacilitate(who.Role) {
				http.Redirect(w, r, "/exercise/facilitator", http.StatusSeeOther)
			} else {
				http.Redirect(w, r, "/exercise/participant", http.StatusSeeOther)
			}
			return
		}
		if (view == "facilitator" && !canFacilitate(who.Role)) || !canParticipate(who.Role) {
			http.Error(w, "your role ("+who.Role+") cannot open this view", http.StatusForbidden)
			return
		}
		b, err := fs.ReadFile(s.assets, view+".html")
		if err != nil {
			http.Error(w, "missing page", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		_, _ = w.Write(b)
	}
}

func (s *Server) handleStatic(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if !fs.ValidPath(name) || name == "." || strings.HasSuffix(name, ".html") {
		http.NotFound(w, r)
		return
	}
	fi, err := fs.Stat(s.assets, name)
	if err != nil || fi.IsDir() {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Cache-Control", "no-cache")
	http.ServeFileFS(w, r, s.assets, name)
}

// me is the answer of /api/exercise/me.
type me struct {
	Principal
	Facilitator bool   `json:"facilitator"`
	CSRF        string `json:"csrf"`
}

func (s *Server) handleMe(w http.ResponseWriter, r *http.Request, who Principal) {
	m := me{Principal: who, Facilitator: canFacilitate(who.Role)}
	if s.opts.CSRFToken != nil {
		m.CSRF = s.opts.CSRFToken(r)
	}
	writeJSON(w, http.StatusOK, m)
}

// facilitatorView reports whether a request asks for, and may have, the
// facilitator's state.
func facilitatorView(r *http.Request, who Principal) bool {
	return r.URL.Query().Get("view") != "participant" && canFacilitate(who.Role)
}

func (s *Server) state(ctx context.Context, r *http.Request, who Principal) (any, error) {
	if facilitatorView(r, who) {
		return s.sess.Facilitator(ctx)
	}
	return s.sess.Participant(), nil
}

func (s *Server) handleState(w http.ResponseWriter, r *http.Request, who Principal) {
	st, err := s.state(r.Context(), r, who)
	if err != nil {
		s.actionError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// EventView is an event as the exercise views show it: no raw record.
type EventView struct {
	ID       string    `json:"id"`
	Time     time.Time `json:"time"`
	Source   string    `json:"source"`
	Category string    `json:"category"`
	Action   string    `json:"action"`
	Outcome  string    `json:"outcome"`
	Actor    string    `json:"actor"`
	Tenant   string    `json:"tenant"`
	App      string    `json:"app"`
	Target   string    `json:"target"`
	SrcIP    string    `json:"src_ip"`
	Message  string    `json:"message"`
	// Details for the expanded row.
	ActorTenant string `json:"actor_tenant,omitempty"`
	KeyID       string `json:"key_id,omitempty"`
	TokenID     string `json:"token_id,omitempty"`
	UserAgent   string `json:"user_agent,omitempty"`
}

// EventsPage is the answer of /api/exercise/events: the latest visible
// events, oldest first.
type EventsPage struct {
	Clock  time.Time   `json:"clock"`
	Events []EventView `json:"events"`
	Older  bool        `json:"older"` // more visible events exist before these
}

func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request, who Principal) {
	qv := r.URL.Query()
	limit := 200
	if v := qv.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 2000 {
			writeError(w, http.StatusBadRequest, "limit must be 1 to 2000")
			return
		}
		limit = n
	}
	var narrow Narrow
	for _, src := range qv["source"] {
		for _, x := range strings.Split(src, ",") {
			if x = strings.TrimSpace(x); x != "" {
				narrow.Sources = append(narrow.Sources, x)
			}
		}
	}
	narrow.Text = strings.TrimSpace(qv.Get("q"))
	if len(narrow.Text) > 200 {
		writeError(w, http.StatusBadRequest, "q: at most 200 bytes")
		return
	}
	v, released := s.sess.visibility()
	key := released + "|" + strconv.Itoa(limit) + "|" + narrow.key()
	body, err := s.eventsPage(r.Context(), v, key, limit, narrow)
	if err != nil {
		s.actionError(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, _ = w.Write(body)
}

// pageCache is the last events page. Every participant asks for the same
// page, so one computes it and the others get the bytes; when only the
// clock has moved, the next page reads just the time in between.
type pageCache struct {
	key    string // releases, limit and narrowing of the page
	clock  time.Time
	events []timeline.Event
	older  bool
	body   []byte
}

// eventsPage returns the JSON of the participants' events page.
func (s *Server) eventsPage(ctx context.Context, v Visibility, key string, limit int, narrow Narrow) ([]byte, error) {
	s.cacheMu.Lock()
	defer s.cacheMu.Unlock()
	pc := &s.cache
	if pc.key == key && pc.clock.Equal(v.Clock) {
		return pc.body, nil
	}
	var events []timeline.Event
	var older bool
	if pc.key == key && v.Clock.After(pc.clock) {
		newer, err := v.Since(ctx, s.c, pc.clock, narrow)
		if err != nil {
			return nil, err
		}
		events = append(slices.Clone(pc.events), newer...)
		older = pc.older
		if len(events) > limit {
			events, older = events[len(events)-limit:], true
		}
	} else {
		var err error
		if events, older, err = v.Latest(ctx, s.c, s.floor(), limit, narrow); err != nil {
			return nil, err
		}
	}
	page := EventsPage{Clock: v.Clock, Older: older, Events: make([]EventView, 0, len(events))}
	for i := range events {
		e := &events[i]
		if !v.Allows(e) { // Latest and Since filtered already; never trust one place alone
			continue
		}
		page.Events = append(page.Events, EventView{ID: e.ID, Time: e.Time, Source: e.Source, Category: string(e.Category), Action: e.Action,
			Outcome: string(e.Outcome), Actor: e.Actor, Tenant: e.Tenant, App: firstNonEmpty(e.AppName, e.AppID), Target: e.Target,
			SrcIP: e.SrcIP, Message: e.Message, ActorTenant: e.ActorTenant, KeyID: e.KeyID, TokenID: e.TokenID, UserAgent: e.UserAgent})
	}
	b, err := json.Marshal(page)
	if err != nil {
		return nil, err
	}
	b = append(b, '\n')
	*pc = pageCache{key: key, clock: v.Clock, events: events, older: older, body: b}
	return b, nil
}

// floor is the earliest event time of the case: Latest reads no further.
func (s *Server) floor() time.Time {
	var lo time.Time
	for _, p := range s.c.Manifest().Parts {
		if lo.IsZero() || p.MinTime.Before(lo) {
			lo = p.MinTime
		}
	}
	return lo
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// handleStream is the server-sent event stream: an "state" event with the
// caller's view after every change, and every half second while the clock
// runs, so that every browser follows within a second.
func (s *Server) handleStream(w http.ResponseWriter, r *http.Request, who Principal) {
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	role := "participant"
	if canFacilitate(who.Role) {
		role = who.Role
	}
	notes, cancel := s.sess.subscribe(who.Name, role)
	defer cancel()
	ctx := r.Context()
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	if _, err := io.WriteString(w, "retry: 1000\n\n"); err != nil {
		return
	}
	var lastSent []byte
	lastWrite := time.Now()
	send := func(force bool) bool {
		st, err := s.state(ctx, r, who)
		if err != nil {
			return false
		}
		b, err := json.Marshal(st)
		if err != nil {
			return false
		}
		if !force && string(b) == string(lastSent) {
			if time.Since(lastWrite) < 15*time.Second {
				return true
			}
			if _, err := io.WriteString(w, ": keep-alive\n\n"); err != nil {
				return false
			}
		} else {
			if _, err := fmt.Fprintf(w, "event: state\ndata: %s\n\n", b); err != nil {
				return false
			}
			lastSent = b
		}
		lastWrite = time.Now()
		return rc.Flush() == nil
	}
	if !send(true) {
		return
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-notes:
			if !send(false) {
				return
			}
		case <-tick.C:
			// The state changes by itself only while the clock runs;
			// otherwise this only keeps the connection alive.
			if !s.sess.running() && time.Since(lastWrite) < 15*time.Second {
				continue
			}
			if !send(false) {
				return
			}
		}
	}
}

// answerBody is the body of POST /api/exercise/answer.
type answerBody struct {
	Inject   string `json:"inject"`
	Question int    `json:"question"`
	Answer   string `json:"answer"`
}

func (s *Server) handleAnswer(w http.ResponseWriter, r *http.Request, who Principal) {
	var b answerBody
	if !readBody(w, r, &b) {
		return
	}
	a, err := s.sess.Answer(r.Context(), who.Name, b.Inject, b.Question, b.Answer)
	if err != nil {
		s.actionError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

func (s *Server) handlePlay(w http.ResponseWriter, r *http.Request, who Principal) {
	var b struct {
		Speed float64 `json:"speed"`
	}
	if !readBody(w, r, &b) {
		return
	}
	s.after(w, r, who, s.sess.Play(r.Context(), who.Name, b.Speed))
}

func (s *Server) handlePause(w http.ResponseWriter, r *http.Request, who Principal) {
	s.after(w, r, who, s.sess.Pause(r.Context(), who.Name))
}

func (s *Server) handleStep(w http.ResponseWriter, r *http.Request, who Principal) {
	s.after(w, r, who, s.sess.Step(r.Context(), who.Name))
}

// advanceBody moves the clock to a time, or by a duration ("90m", "6h",
// "2d").
type advanceBody struct {
	To string `json:"to"`
	By string `json:"by"`
}

func (s *Server) handleAdvance(w http.ResponseWriter, r *http.Request, who Principal) {
	var b advanceBody
	if !readBody(w, r, &b) {
		return
	}
	var to time.Time
	switch {
	case b.To != "" && b.By == "":
		t, err := parseTime(b.To)
		if err != nil {
			writeError(w, http.StatusBadRequest, "to: "+err.Error())
			return
		}
		to = t
	case b.By != "" && b.To == "":
		d, err := parseDuration(b.By)
		if err != nil || d <= 0 {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("by: %q is not a positive duration like 90m, 6h or 2d", b.By))
			return
		}
		to = s.sess.Clock().Add(d)
	default:
		writeError(w, http.StatusBadRequest, `give "to" (a case time) or "by" (a duration), not both`)
		return
	}
	s.after(w, r, who, s.sess.Advance(r.Context(), who.Name, to))
}

// parseDuration parses a Go duration, or whole days as "2d".
func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if n, ok := strings.CutSuffix(s, "d"); ok {
		d, err := strconv.Atoi(n)
		if err != nil || d > 3650 {
			return 0, errors.New("bad days")
		}
		return time.Duration(d) * 24 * time.Hour, nil
	}
	return time.ParseDuration(s)
}

func (s *Server) handleRelease(w http.ResponseWriter, r *http.Request, who Principal) {
	var b struct {
		Inject string `json:"inject"`
	}
	if !readBody(w, r, &b) {
		return
	}
	s.after(w, r, who, s.sess.Release(r.Context(), who.Name, b.Inject))
}

func (s *Server) handleNote(w http.ResponseWriter, r *http.Request, who Principal) {
	var b struct {
		Note string `json:"note"`
	}
	if !readBody(w, r, &b) {
		return
	}
	n, err := s.sess.AddNote(r.Context(), who.Name, b.Note)
	if err != nil {
		s.actionError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, n)
}

// after answers an action with the new facilitator state.
func (s *Server) after(w http.ResponseWriter, r *http.Request, who Principal, err error) {
	if err != nil {
		s.actionError(w, err)
		return
	}
	s.handleState(w, r, who)
}

func (s *Server) handleExportJSON(w http.ResponseWriter, r *http.Request, _ Principal) {
	d, err := s.sess.Debrief(r.Context())
	if err != nil {
		s.actionError(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+s.opts.Session+`-debrief.json"`)
	_ = d.WriteJSON(w)
}

func (s *Server) handleExportCSV(w http.ResponseWriter, r *http.Request, _ Principal) {
	d, err := s.sess.Debrief(r.Context())
	if err != nil {
		s.actionError(w, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+s.opts.Session+`-debrief.csv"`)
	_ = d.WriteCSV(w)
}

// slug makes a session id from a title: lower-case letters, digits and
// dashes.
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
		if b.Len() >= 48 {
			break
		}
	}
	out := strings.TrimSuffix(b.String(), "-")
	if out == "" {
		return "exercise"
	}
	return out
}
