package webui

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/causeway-ir/causeway/timeline"
	"github.com/labstack/echo/v4"
)

// endSession ends a session of case.db (logout).
func (s *Server) endSession(r *http.Request, id string) error {
	if err := s.db.EndSession(r.Context(), id); err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	return nil
}

// closeDBs closes the exercise and case.db, once. The handles stay set:
// a late background build gets "database is closed", never a nil.
func (s *Server) closeDBs() error {
	s.closeOnce.Do(func() {
		var errs []error
		if s.exercise != nil {
			errs = append(errs, s.exercise.Close())
		}
		if s.db != nil {
			errs = append(errs, s.db.Close())
		}
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

// caller is the request's principal (requireAuth set it).
func caller(c echo.Context) Principal {
	who, _ := c.Get(principalKey).(Principal)
	return who
}

// bindJSON decodes a JSON body strictly: unknown fields are errors (400),
// bodies over maxBody are 413.
func bindJSON(c echo.Context, v any) error {
	dec := json.NewDecoder(c.Request().Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if isTooLarge(err) {
			return echo.NewHTTPError(http.StatusRequestEntityTooLarge, "request body over 64 KiB")
		}
		if errors.Is(err, io.EOF) {
			return badRequest(errString("a JSON body is required"))
		}
		return badRequest(fmt.Errorf("bad JSON body: %w", err))
	}
	if _, err := io.Copy(io.Discard, c.Request().Body); isTooLarge(err) {
		return echo.NewHTTPError(http.StatusRequestEntityTooLarge, "request body over 64 KiB")
	}
	return nil
}

// annotationBody is the body of POST /api/annotations.
type annotationBody struct {
	Target string   `json:"target"`
	Star   bool     `json:"star"`
	Tags   []string `json:"tags"`
	Note   string   `json:"note"`
}

// Limits of what one annotation holds.
const (
	maxTags   = 32
	maxTagLen = 64
	maxNote   = 16 << 10
)

// handleAnnotate stores the caller's annotation of a target: 201 when it
// is the caller's first on that target, 200 when it replaces theirs.
func (s *Server) handleAnnotate(c echo.Context) error {
	var b annotationBody
	if err := bindJSON(c, &b); err != nil {
		return err
	}
	if !timeline.ValidAnnotationTarget(b.Target) {
		return badRequest(fmt.Errorf("target must be event:ID or KIND:VALUE (key, token, session, identity, app, tenant, ip, mailbox, resource), got %q", b.Target))
	}
	if len(b.Tags) > maxTags {
		return badRequest(fmt.Errorf("at most %d tags", maxTags))
	}
	for _, t := range b.Tags {
		if len(t) > maxTagLen || strings.ContainsAny(t, "\x00\r\n") {
			return badRequest(fmt.Errorf("a tag is at most %d bytes on one line", maxTagLen))
		}
	}
	if len(b.Note) > maxNote {
		return badRequest(fmt.Errorf("a note is at most %d bytes", maxNote))
	}
	a, created, err := s.db.PutAnnotation(c.Request().Context(), timeline.Annotation{
		Target: b.Target, Author: caller(c).Name, Star: b.Star, Tags: b.Tags, Note: b.Note})
	if err != nil {
		return err
	}
	s.notesChanged()
	code := http.StatusOK
	if created {
		code = http.StatusCreated
	}
	return c.JSON(code, a)
}

// handleAnnotations lists the annotations of ?target= (every annotation
// without it; ?starred=1 keeps the starred ones).
func (s *Server) handleAnnotations(c echo.Context) error {
	target := c.QueryParam("target")
	if target != "" && !timeline.ValidAnnotationTarget(target) {
		return badRequest(fmt.Errorf("target must be event:ID or KIND:VALUE, got %q", target))
	}
	as, err := s.db.Annotations(c.Request().Context(), target)
	if err != nil {
		return err
	}
	if c.QueryParam("starred") == "1" {
		kept := as[:0]
		for _, a := range as {
			if a.Star {
				kept = append(kept, a)
			}
		}
		as = kept
	}
	return c.JSON(http.StatusOK, as)
}

// assertionBody is the body of POST /api/assertions.
type assertionBody struct {
	From     string `json:"from"`
	To       string `json:"to"`
	Relation string `json:"relation"`
	Why      string `json:"why"`
	At       string `json:"at"`
}

// handleAssert stores the caller's assertion (an edge the logs do not
// show) and makes the graph pick it up: the next chain sees it as
// "asserted".
func (s *Server) handleAssert(c echo.Context) error {
	var b assertionBody
	if err := bindJSON(c, &b); err != nil {
		return err
	}
	from, err := timeline.ParseEntity(strings.TrimSpace(b.From))
	if err != nil {
		return badRequest(fmt.Errorf("from: %w", err))
	}
	to, err := timeline.ParseEntity(strings.TrimSpace(b.To))
	if err != nil {
		return badRequest(fmt.Errorf("to: %w", err))
	}
	if len(b.Relation) > 64 || len(b.Why) > maxNote {
		return badRequest(errString("relation is at most 64 bytes and why at most 16 KiB"))
	}
	at, err := parseTime("at", b.At)
	if err != nil {
		return badRequest(err)
	}
	a, err := s.db.AddAssertion(c.Request().Context(), timeline.Assertion{
		From: from, To: to, Relation: strings.TrimSpace(b.Relation), Why: b.Why, Who: caller(c).Name, At: at})
	if err != nil {
		return badRequest(err)
	}
	s.rebuildGraph()
	return c.JSON(http.StatusCreated, a)
}

// rebuildGraph drops the derived graph and findings: the next request
// builds them again, with the assertions of case.db.
func (s *Server) rebuildGraph() {
	s.mu.Lock()
	s.derived = nil
	s.mu.Unlock()
	s.notesChanged()
}

// notesChanged drops the cached board report (it shows stars and notes).
func (s *Server) notesChanged() {
	s.boardMu.Lock()
	s.boardCached = nil
	s.boardMu.Unlock()
}

// handleAssertions lists the assertions of case.db.
func (s *Server) handleAssertions(c echo.Context) error {
	as, err := s.db.Assertions(c.Request().Context())
	if err != nil {
		return err
	}
	if as == nil {
		as = []timeline.Assertion{}
	}
	return c.JSON(http.StatusOK, as)
}

// viewBody is the body of POST /api/views: a name and the view's URL
// state (the query string the app keeps in the address bar).
type viewBody struct {
	Name  string `json:"name"`
	State string `json:"state"`
}

// handleSaveView stores a view. The state must be a query string (the
// app's URL state); it is stored as JSON {"query": …}.
func (s *Server) handleSaveView(c echo.Context) error {
	var b viewBody
	if err := bindJSON(c, &b); err != nil {
		return err
	}
	b.Name = strings.TrimSpace(b.Name)
	if b.Name == "" || len(b.Name) > 200 {
		return badRequest(errString("a view needs a name of at most 200 bytes"))
	}
	q := strings.TrimPrefix(b.State, "?")
	if _, err := url.ParseQuery(q); err != nil || strings.ContainsAny(q, "#\x00\r\n") {
		return badRequest(errString("state must be the app's query string (view=…&q=…)"))
	}
	st, _ := json.Marshal(map[string]string{"query": q})
	v, err := s.db.SaveView(c.Request().Context(), timeline.View{Name: b.Name, State: st, Author: caller(c).Name})
	if err != nil {
		return badRequest(err)
	}
	return c.JSON(http.StatusCreated, v)
}

// handleViews lists saved views, newest first.
func (s *Server) handleViews(c echo.Context) error {
	vs, err := s.db.Views(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, vs)
}

// handleAudit answers the audit trail (analysts only: it names who did
// what), newest last; ?limit= caps it (1000 by default).
func (s *Server) handleAudit(c echo.Context) error {
	if !caller(c).canWrite() {
		return echo.NewHTTPError(http.StatusForbidden, "the audit trail is for analysts")
	}
	limit := 1000
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100000 {
			return badRequest(errString("limit must be 1 to 100000"))
		}
		limit = n
	}
	as, err := s.db.Audit(c.Request().Context(), 0)
	if err != nil {
		return err
	}
	if as == nil {
		as = []timeline.AuditEntry{}
	}
	if len(as) > limit {
		as = as[len(as)-limit:]
	}
	return c.JSON(http.StatusOK, as)
}
