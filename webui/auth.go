package webui

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/causeway-ir/causeway/timeline"
	"github.com/labstack/echo/v4"
)

// sessionCookie is the name of the browser session cookie.
const sessionCookie = "causeway_session"

// csrfHeader carries a cookie session's CSRF token on state-changing
// requests.
const csrfHeader = "X-CSRF-Token"

// ownerName is how the case owner (the holder of the serve token) is
// named in annotations and the audit trail.
const ownerName = "owner"

// ownerSessionUser is the user column of the owner's sessions in case.db.
// AddUser trims names, so no user of case.db can ever be called this: a
// user named "owner" cannot pass for the case owner.
const ownerSessionUser = " owner"

// maxBody is the largest request body accepted (413 beyond).
const maxBody = 64 << 10

// Principal is who made a request: the case owner (role analyst) or a user
// of case.db with their role.
type Principal struct {
	Name string `json:"name"`
	Role string `json:"role"`
}

// canRead reports whether a role may read the case through the main API.
// Participants see only what an exercise shows them.
func (p Principal) canRead() bool {
	return p.Role == timeline.RoleAnalyst || p.Role == timeline.RoleViewer || p.Role == timeline.RoleFacilitator
}

// canWrite reports whether a role may annotate, assert and save views.
func (p Principal) canWrite() bool { return p.Role == timeline.RoleAnalyst }

// principalKey is the echo.Context key of the request's Principal.
const principalKey = "causeway.principal"

// credential is what authenticated a request.
type credential struct {
	who    Principal
	bearer bool              // Authorization: Bearer (no CSRF needed)
	sess   *timeline.Session // the cookie session otherwise
}

// authenticator checks credentials: the owner token, the users' tokens
// and the sessions of case.db. All credential checks go through it.
type authenticator struct {
	token string
	ttl   time.Duration
	db    *timeline.DB
}

// tokenOK compares a presented token with the owner token in constant time
// (hashing first, so that lengths do not leak either).
func (a *authenticator) tokenOK(presented string) bool {
	x := sha256.Sum256([]byte(presented))
	y := sha256.Sum256([]byte(a.token))
	return presented != "" && subtle.ConstantTimeCompare(x[:], y[:]) == 1
}

// login returns who a login or bearer token belongs to: the owner, else a
// user of case.db.
func (a *authenticator) login(ctx context.Context, token string) (Principal, string, bool) {
	if token == "" {
		return Principal{}, "", false
	}
	if a.tokenOK(token) {
		return Principal{Name: ownerName, Role: timeline.RoleAnalyst}, ownerSessionUser, true
	}
	u, err := a.db.UserByToken(ctx, token)
	if err != nil {
		return Principal{}, "", false
	}
	return Principal{Name: u.Name, Role: u.Role}, u.Name, true
}

// userPrincipal resolves the user of a session to a principal, with the
// user's current role (a changed role applies at once).
func (a *authenticator) userPrincipal(ctx context.Context, user string) (Principal, bool) {
	if user == ownerSessionUser {
		return Principal{Name: ownerName, Role: timeline.RoleAnalyst}, true
	}
	us, err := a.db.Users(ctx)
	if err != nil {
		return Principal{}, false
	}
	for _, u := range us {
		if u.Name == user {
			return Principal{Name: u.Name, Role: u.Role}, true
		}
	}
	return Principal{}, false
}

// authenticate returns the credential of a request: a bearer token, else a
// live session cookie.
func (a *authenticator) authenticate(r *http.Request) (credential, bool) {
	ctx := r.Context()
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, tok, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return credential{}, false
		}
		who, _, ok := a.login(ctx, strings.TrimSpace(tok))
		return credential{who: who, bearer: true}, ok
	}
	ck, err := r.Cookie(sessionCookie)
	if err != nil || ck.Value == "" {
		return credential{}, false
	}
	sess, err := a.db.SessionByID(ctx, ck.Value)
	if err != nil {
		return credential{}, false
	}
	who, ok := a.userPrincipal(ctx, sess.User)
	if !ok {
		return credential{}, false
	}
	return credential{who: who, sess: &sess}, true
}

// Authenticate returns who made a request (bearer token or session
// cookie), the one check every part of the app uses; handlers mounted
// beside the API (an exercise, say) call it to name their caller.
func (s *Server) Authenticate(r *http.Request) (Principal, bool) {
	cr, ok := s.auth.authenticate(r)
	return cr.who, ok
}

// CSRFToken returns the CSRF token of the request's cookie session ("" for
// bearer calls and anonymous requests).
func (s *Server) CSRFToken(r *http.Request) string {
	cr, ok := s.auth.authenticate(r)
	if !ok || cr.sess == nil {
		return ""
	}
	return cr.sess.CSRF
}

// CheckCSRF reports whether a state-changing request may proceed: bearer
// calls always, cookie sessions when X-CSRF-Token is the session's token.
func (s *Server) CheckCSRF(r *http.Request) bool {
	cr, ok := s.auth.authenticate(r)
	return ok && csrfOK(cr, r)
}

func csrfOK(cr credential, r *http.Request) bool {
	return cr.bearer || (cr.sess != nil && cr.sess.CheckCSRF(r.Header.Get(csrfHeader)))
}

// safeMethod reports whether a method changes nothing.
func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// requireAuth lets authenticated requests through and answers 401 to the
// rest. Participants may only ask who they are (403 elsewhere: they see
// what an exercise shows). A state-changing request needs a role that may
// write and, from a cookie session, the session's CSRF token (403).
func (s *Server) requireAuth(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		cr, ok := s.auth.authenticate(r)
		if !ok {
			return echo.NewHTTPError(http.StatusUnauthorized,
				"sign in first: open the login URL that causeway serve printed, or send Authorization: Bearer <token>")
		}
		c.Set(principalKey, cr.who)
		c.Set(credentialKey, cr)
		if c.Path() == "/api/me" {
			return next(c)
		}
		if !cr.who.canRead() {
			return echo.NewHTTPError(http.StatusForbidden, "the "+cr.who.Role+" role cannot open the case: use the exercise pages")
		}
		if !safeMethod(r.Method) {
			if !cr.who.canWrite() {
				return echo.NewHTTPError(http.StatusForbidden, "the "+cr.who.Role+" role is read-only: ask the case owner for an analyst login to change anything")
			}
			if !csrfOK(cr, r) {
				return echo.NewHTTPError(http.StatusForbidden, "missing or wrong CSRF token (X-CSRF-Token): reload the page")
			}
		}
		return next(c)
	}
}

// credentialKey is the echo.Context key of the request's credential.
const credentialKey = "causeway.credential"

// limitBody refuses bodies over maxBody: at once when Content-Length says
// so, else when a handler reads past the limit (bindJSON answers 413).
func limitBody(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.ContentLength > maxBody {
			return echo.NewHTTPError(http.StatusRequestEntityTooLarge, "request body over 64 KiB")
		}
		if r.Body != nil {
			r.Body = http.MaxBytesReader(c.Response(), r.Body, maxBody)
		}
		return next(c)
	}
}

// isTooLarge reports whether err comes from reading past maxBody.
func isTooLarge(err error) bool {
	var mb *http.MaxBytesError
	return errors.As(err, &mb)
}

// me is the answer of GET /api/me.
type me struct {
	Principal
	// CSRF is the token a cookie session sends back in X-CSRF-Token
	// ("" for bearer calls, which need none).
	CSRF     string `json:"csrf"`
	CanWrite bool   `json:"can_write"`
	CanRead  bool   `json:"can_read"`
	Exercise bool   `json:"exercise"`
}

// handleMe says who the caller is, what they may do, and hands a cookie
// session its CSRF token (the page reads it from here: no inline script).
func (s *Server) handleMe(c echo.Context) error {
	cr := c.Get(credentialKey).(credential)
	m := me{Principal: cr.who, CanWrite: cr.who.canWrite(), CanRead: cr.who.canRead(), Exercise: s.exercise != nil}
	if cr.sess != nil {
		m.CSRF = cr.sess.CSRF
	}
	return c.JSON(http.StatusOK, m)
}

// handleLogin checks ?token= (the owner's or a user's), starts a session
// in case.db, sets its cookie and redirects to the app (participants to
// the exercise), so that the token leaves the address bar at once.
func (s *Server) handleLogin(c echo.Context) error {
	ctx := c.Request().Context()
	who, user, ok := s.auth.login(ctx, c.QueryParam("token"))
	if !ok {
		return echo.NewHTTPError(http.StatusUnauthorized,
			"this login link is wrong or out of date: copy the URL that causeway serve (or causeway users add) printed, with its token")
	}
	sess, err := s.db.NewSession(ctx, user, s.auth.ttl)
	if err != nil {
		return err
	}
	c.SetCookie(&http.Cookie{
		Name: sessionCookie, Value: sess.ID, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: c.Request().TLS != nil, MaxAge: int(s.auth.ttl.Seconds()),
	})
	to := "/"
	if s.exercise != nil && (who.Role == timeline.RoleParticipant || who.Role == timeline.RoleFacilitator) {
		to = "/exercise"
	}
	return c.Redirect(http.StatusSeeOther, to)
}

// handleLogout ends the browser session. It is state-changing: a cookie
// session must send its CSRF token (SameSite=Strict keeps other sites out
// as well).
func (s *Server) handleLogout(c echo.Context) error {
	cr, ok := s.auth.authenticate(c.Request())
	if ok && cr.sess != nil {
		if !csrfOK(cr, c.Request()) {
			return echo.NewHTTPError(http.StatusForbidden, "missing or wrong CSRF token (X-CSRF-Token): reload the page")
		}
		if err := s.endSession(c.Request(), cr.sess.ID); err != nil {
			return err
		}
	}
	c.SetCookie(&http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode, MaxAge: -1})
	return c.Redirect(http.StatusSeeOther, "/")
}
