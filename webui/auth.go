package webui

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
)

// sessionCookie is the name of the browser session cookie.
const sessionCookie = "causeway_session"

// Principal is who made a request. Issue 8 adds users and roles from
// case.db; for now the owner of the token is the only principal.
type Principal struct {
	Name string `json:"name"`
	Role string `json:"role"`
}

// principalKey is the echo.Context key of the request's Principal.
const principalKey = "causeway.principal"

// authenticator holds the owner token and the browser sessions. All
// credential checks go through authenticate, so that adding users means
// changing this file only.
type authenticator struct {
	token string
	ttl   time.Duration
	now   func() time.Time

	mu       sync.Mutex
	sessions map[[32]byte]session // by SHA-256 of the cookie value
}

type session struct {
	who     Principal
	expires time.Time
}

func newAuthenticator(token string, ttl time.Duration, now func() time.Time) *authenticator {
	return &authenticator{token: token, ttl: ttl, now: now, sessions: map[[32]byte]session{}}
}

// tokenOK compares a presented token with the owner token in constant time
// (hashing first, so that lengths do not leak either).
func (a *authenticator) tokenOK(presented string) bool {
	x := sha256.Sum256([]byte(presented))
	y := sha256.Sum256([]byte(a.token))
	return presented != "" && subtle.ConstantTimeCompare(x[:], y[:]) == 1
}

// authenticate returns the principal of a request: a bearer token, else a
// live session cookie.
func (a *authenticator) authenticate(r *http.Request) (Principal, bool) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, tok, ok := strings.Cut(h, " ")
		if ok && strings.EqualFold(scheme, "Bearer") && a.tokenOK(strings.TrimSpace(tok)) {
			return Principal{Name: "owner", Role: "owner"}, true
		}
		return Principal{}, false
	}
	ck, err := r.Cookie(sessionCookie)
	if err != nil || ck.Value == "" {
		return Principal{}, false
	}
	key := sha256.Sum256([]byte(ck.Value))
	a.mu.Lock()
	defer a.mu.Unlock()
	sess, ok := a.sessions[key]
	if !ok {
		return Principal{}, false
	}
	if !a.now().Before(sess.expires) {
		delete(a.sessions, key)
		return Principal{}, false
	}
	return sess.who, true
}

// newSession starts a session and returns the cookie value.
func (a *authenticator) newSession(who Principal) string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	v := base64.RawURLEncoding.EncodeToString(b[:])
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.now()
	for k, s := range a.sessions { // drop expired sessions now and then
		if !now.Before(s.expires) {
			delete(a.sessions, k)
		}
	}
	a.sessions[sha256.Sum256([]byte(v))] = session{who: who, expires: now.Add(a.ttl)}
	return v
}

func (a *authenticator) endSession(value string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.sessions, sha256.Sum256([]byte(value)))
}

// Authenticate returns who made a request (bearer token or session
// cookie), the one check every part of the app uses; handlers mounted
// beside the API (an exercise, say) call it to name their caller.
func (s *Server) Authenticate(r *http.Request) (Principal, bool) { return s.auth.authenticate(r) }

// requireAuth lets authenticated requests through and answers 401 to the rest.
func (s *Server) requireAuth(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		who, ok := s.Authenticate(c.Request())
		if !ok {
			return echo.NewHTTPError(http.StatusUnauthorized,
				"sign in first: open the login URL that causeway serve printed, or send Authorization: Bearer <token>")
		}
		c.Set(principalKey, who)
		return next(c)
	}
}

// handleLogin checks ?token=, sets the session cookie and redirects to the
// app, so that the token leaves the address bar at once.
func (s *Server) handleLogin(c echo.Context) error {
	if !s.auth.tokenOK(c.QueryParam("token")) {
		return echo.NewHTTPError(http.StatusUnauthorized,
			"this login link is wrong or out of date: copy the URL that causeway serve printed, with its token")
	}
	v := s.auth.newSession(Principal{Name: "owner", Role: "owner"})
	c.SetCookie(&http.Cookie{
		Name: sessionCookie, Value: v, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: c.Request().TLS != nil, MaxAge: int(s.auth.ttl.Seconds()),
	})
	return c.Redirect(http.StatusSeeOther, "/")
}

// handleLogout ends the browser session. SameSite=Strict keeps other sites
// from posting here with the cookie.
func (s *Server) handleLogout(c echo.Context) error {
	if ck, err := c.Cookie(sessionCookie); err == nil {
		s.auth.endSession(ck.Value)
	}
	c.SetCookie(&http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode, MaxAge: -1})
	return c.Redirect(http.StatusSeeOther, "/")
}
