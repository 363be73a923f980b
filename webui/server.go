package webui

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/causeway-ir/causeway/graph/render"
	"github.com/causeway-ir/causeway/timeline"
	"github.com/causeway-ir/causeway/webui/exercise"
	"github.com/labstack/echo/v4"
)

//go:embed all:static
var embedded embed.FS

// Options configures a Server.
type Options struct {
	// Case is the case to serve. The server notices when an import rewrites
	// the case's manifest and serves the new snapshot (Case.Reopen).
	Case *timeline.Case
	// Logger receives one line per request and errors; slog.Default when nil.
	Logger *slog.Logger
	// OwnerToken is the secret of the login URL and of API bearer calls.
	// It must be at least 16 characters; cmd generates a random one.
	OwnerToken string
	// AssetsDir serves the front end from this directory instead of the
	// embedded copy (for front-end work); empty means embedded.
	AssetsDir string
	// SessionTTL is how long a browser session lasts (12 hours when zero).
	SessionTTL time.Duration
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// ExerciseFile, when set, is an exercise (YAML) to run on the case:
	// its pages and API are mounted under /exercise and /api/exercise, for
	// the facilitators and participants of case.db.
	ExerciseFile string
}

// Server serves one case over HTTP. Create it with New.
type Server struct {
	log    *slog.Logger
	now    func() time.Time
	assets fs.FS
	echo   *echo.Echo
	auth   *authenticator
	db     *timeline.DB // case.db: users, sessions, annotations, views

	exercise *exercise.Server // nil without Options.ExerciseFile

	closeOnce sync.Once
	closeErr  error

	mu      sync.Mutex
	current *timeline.Case
	stamp   manifestStamp
	derived *derived // graph and findings of the current snapshot

	cache *answerCache

	boardMu     sync.Mutex
	boardCached *boardCache // the last board report

	renderMu sync.Mutex
	render   *render.Renderer // Graphviz, started on first use
}

// manifestStamp identifies a version of case.json cheaply.
type manifestStamp struct {
	size int64
	mod  time.Time
}

// New returns a Server for opts.Case.
func New(opts Options) (*Server, error) {
	if opts.Case == nil {
		return nil, errors.New("webui: no case")
	}
	if len(opts.OwnerToken) < 16 {
		return nil, errors.New("webui: the owner token must be at least 16 characters")
	}
	s := &Server{log: opts.Logger, now: opts.Now, current: opts.Case}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	ttl := opts.SessionTTL
	if ttl <= 0 {
		ttl = 12 * time.Hour
	}
	db, err := timeline.OpenDB(filepath.Join(opts.Case.Dir(), "case.db"), s.now)
	if err != nil {
		return nil, fmt.Errorf("webui: %w", err)
	}
	s.db = db
	s.auth = &authenticator{token: opts.OwnerToken, ttl: ttl, db: db}
	s.cache = newAnswerCache(64 << 20)
	s.stamp, _ = statManifest(opts.Case.Dir())
	if opts.AssetsDir != "" {
		s.assets = os.DirFS(opts.AssetsDir)
	} else {
		sub, err := fs.Sub(embedded, "static")
		if err != nil {
			return nil, fmt.Errorf("webui: embedded assets: %w", err)
		}
		s.assets = sub
	}
	if opts.ExerciseFile != "" {
		x, err := exercise.Run(context.Background(), opts.ExerciseFile, exercise.Options{
			Case: opts.Case, Logger: s.log, Now: opts.Now,
			Principal: func(r *http.Request) (exercise.Principal, bool) {
				who, ok := s.Authenticate(r)
				return exercise.Principal(who), ok
			},
			CheckCSRF: s.CheckCSRF,
			CSRFToken: s.CSRFToken,
		})
		if err != nil {
			s.closeDBs()
			return nil, err
		}
		s.exercise = x
	}
	s.echo = s.routes()
	return s, nil
}

// Handler returns the server's HTTP handler (an Echo instance).
func (s *Server) Handler() http.Handler { return s.echo }

// routes builds the Echo instance with every route.
func (s *Server) routes() *echo.Echo {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = s.handleError
	e.Use(s.secureHeaders, s.logRequests, limitBody)

	e.GET("/login", s.handleLogin)
	e.POST("/logout", s.handleLogout)
	e.GET("/healthz", func(c echo.Context) error { return c.String(http.StatusOK, "ok\n") })

	if s.exercise != nil {
		h := echo.WrapHandler(s.exercise.Handler())
		e.Any("/exercise", h)
		e.Any("/exercise/*", h)
		e.Any("/api/exercise/*", h)
	}

	api := e.Group("/api", s.requireAuth)
	api.GET("/me", s.handleMe)
	api.GET("/annotations", s.handleAnnotations)
	api.POST("/annotations", s.handleAnnotate)
	api.GET("/assertions", s.handleAssertions)
	api.POST("/assertions", s.handleAssert)
	api.GET("/views", s.handleViews)
	api.POST("/views", s.handleSaveView)
	api.GET("/audit", s.handleAudit)
	api.GET("/neighbours", s.handleNeighbours)
	api.GET("/board", s.handleBoard)
	api.GET("/board.pdf", s.handleBoardExport)
	api.GET("/board.png", s.handleBoardExport)
	api.GET("/board.svg", s.handleBoardExport)
	api.GET("/board.html", s.handleBoardExport)
	api.GET("/case", s.handleCase)
	api.GET("/events", s.handleEvents)
	api.GET("/event", s.handleEvent)
	api.GET("/histogram", s.handleHistogram)
	api.GET("/lanes", s.handleLanes)
	api.GET("/facets", s.handleFacets)
	api.GET("/entity", s.handleEntity)
	api.GET("/chain", s.handleChain)
	api.GET("/chain.svg", s.handleChainSVG)
	api.GET("/chain.png", s.handleChainSVG)
	api.GET("/chain.dot", s.handleChainSVG)
	api.GET("/findings", s.handleFindings)
	api.Any("/*", func(c echo.Context) error {
		return echo.NewHTTPError(http.StatusNotFound, "no such API: "+c.Request().URL.Path)
	})

	e.GET("/", s.handleIndex)
	e.GET("/static/*", s.handleStatic)
	e.HEAD("/static/*", s.handleStatic)
	return e
}

// snapshot returns the current case, reopening it when an import has
// rewritten case.json since the last look.
func (s *Server) snapshot() (*timeline.Case, *derived, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := statManifest(s.current.Dir())
	if err == nil && st != s.stamp {
		c, err := s.current.Reopen()
		if err != nil {
			// A half-written manifest cannot happen (writes are atomic), but a
			// deleted case can: keep serving the last good snapshot.
			s.log.Warn("reopen case", "dir", s.current.Dir(), "err", err)
		} else {
			s.current, s.stamp, s.derived = c, st, nil
		}
	}
	if s.derived == nil {
		s.derived = newDerived()
	}
	return s.current, s.derived, nil
}

func statManifest(dir string) (manifestStamp, error) {
	fi, err := os.Stat(filepath.Join(dir, "case.json"))
	if err != nil {
		return manifestStamp{}, err
	}
	return manifestStamp{size: fi.Size(), mod: fi.ModTime()}, nil
}

// contentSecurityPolicy allows only the app's own scripts, styles and
// connections: no inline script, no inline style, no framing.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
	"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// secureHeaders sets the security headers on every response, errors included.
func (s *Server) secureHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		if c.Request().TLS != nil {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		if strings.HasPrefix(c.Request().URL.Path, "/api/") || c.Request().URL.Path == "/login" {
			h.Set("Cache-Control", "no-store")
		}
		return next(c)
	}
}

// logRequests logs each request's method, path (never the query: the login
// URL carries the token), status and duration.
func (s *Server) logRequests(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		s.log.Debug("http", "method", c.Request().Method, "path", c.Request().URL.Path,
			"status", c.Response().Status, "ms", time.Since(start).Milliseconds())
		return nil
	}
}

// apiError is the JSON body of every API error.
type apiError struct {
	Error string `json:"error"`
}

// handleError writes errors as JSON under /api and as plain text elsewhere.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	code := http.StatusInternalServerError
	msg := "internal error"
	var he *echo.HTTPError
	if errors.As(err, &he) {
		code = he.Code
		msg = fmt.Sprint(he.Message)
	} else if errors.Is(err, context.Canceled) {
		code, msg = 499, "request cancelled"
	} else {
		s.log.Error("request failed", "path", c.Request().URL.Path, "err", err)
		msg = err.Error()
	}
	if code == http.StatusUnauthorized {
		c.Response().Header().Set("WWW-Authenticate", `Bearer realm="causeway"`)
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(code)
		return
	}
	if strings.HasPrefix(c.Request().URL.Path, "/api/") {
		_ = c.JSON(code, apiError{Error: msg})
		return
	}
	_ = c.String(code, msg+"\n")
}

// handleIndex serves the app shell.
func (s *Server) handleIndex(c echo.Context) error {
	b, err := fs.ReadFile(s.assets, "index.html")
	if err != nil {
		return fmt.Errorf("index.html: %w", err)
	}
	c.Response().Header().Set("Cache-Control", "no-cache")
	return c.HTMLBlob(http.StatusOK, b)
}

// handleStatic serves the embedded assets (or AssetsDir), nothing else:
// fs.FS paths cannot climb out with "..".
func (s *Server) handleStatic(c echo.Context) error {
	name := strings.TrimPrefix(c.Request().URL.Path, "/static/")
	if !fs.ValidPath(name) || name == "." {
		return echo.NewHTTPError(http.StatusNotFound, "not found")
	}
	fi, err := fs.Stat(s.assets, name)
	if err != nil || fi.IsDir() {
		return echo.NewHTTPError(http.StatusNotFound, "not found")
	}
	b, err := fs.ReadFile(s.assets, name)
	if err != nil {
		return echo.NewHTTPError(http.StatusNotFound, "not found")
	}
	// Revalidate every time (assets change with the binary), but answer
	// 304 when unchanged: the ETag is the content's hash.
	sum := sha256.Sum256(b)
	h := c.Response().Header()
	h.Set("Cache-Control", "no-cache")
	h.Set("ETag", `"`+hex.EncodeToString(sum[:12])+`"`)
	if ct := mime.TypeByExtension(path.Ext(name)); ct != "" {
		h.Set("Content-Type", ct)
	}
	http.ServeContent(c.Response(), c.Request(), name, time.Time{}, bytes.NewReader(b))
	return nil
}

// CheckAddr enforces the address rule: a non-loopback address needs TLS or
// insecure set on purpose. An empty host ("":8080) means every interface.
func CheckAddr(addr string, tlsConfigured, insecure bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("bad address %q: %w", addr, err)
	}
	if isLoopback(host) || tlsConfigured || insecure {
		return nil
	}
	return fmt.Errorf("refusing to serve on %s without TLS: the case would travel in clear text to anyone on the network; "+
		"use --tls-cert and --tls-key, keep the default 127.0.0.1, or pass --insecure if you really mean it", addr)
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// ListenAndServe serves on addr until ctx ends, then shuts down gracefully.
// tlsCert and tlsKey (both or neither) switch on TLS. The address rule of
// CheckAddr applies.
func (s *Server) ListenAndServe(ctx context.Context, addr, tlsCert, tlsKey string, insecure bool) error {
	if (tlsCert == "") != (tlsKey == "") {
		return errors.New("serve: give both --tls-cert and --tls-key, or neither")
	}
	if err := CheckAddr(addr, tlsCert != "", insecure); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	return s.Serve(ctx, ln, tlsCert, tlsKey)
}

// Serve serves on ln until ctx ends (the listener is closed then). It does
// not check the address rule; ListenAndServe does.
func (s *Server) Serve(ctx context.Context, ln net.Listener, tlsCert, tlsKey string) error {
	hs := &http.Server{
		Handler:           s.echo,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	if tlsCert != "" {
		hs.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	go s.warm()
	done := make(chan error, 1)
	go func() {
		if tlsCert != "" {
			done <- hs.ServeTLS(ln, tlsCert, tlsKey)
		} else {
			done <- hs.Serve(ln)
		}
	}()
	select {
	case err := <-done:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err := hs.Shutdown(sctx)
		<-done
		return err
	}
}

// LoginURL returns the URL that signs a browser in, for a server listening
// on addr (as cmd prints it).
func (s *Server) LoginURL(addr string, useTLS bool) string {
	return LoginURLFor(addr, useTLS, s.auth.token)
}

// LoginURLFor is the URL that logs in with token on a server listening at
// addr (an unspecified host means this machine).
func LoginURLFor(addr string, useTLS bool, token string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		host, port = addr, ""
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	scheme := "http"
	if useTLS {
		scheme = "https"
	}
	return scheme + "://" + net.JoinHostPort(host, port) + "/login?token=" + url.QueryEscape(token)
}
