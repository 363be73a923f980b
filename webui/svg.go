package webui

import (
	"bytes"
	"errors"
	"net/http"
	"strings"

	"github.com/causeway-ir/causeway/graph"
	"github.com/causeway-ir/causeway/graph/render"
	"github.com/labstack/echo/v4"
)

// renderer returns the Graphviz renderer, starting it on first use (it
// costs up to a second, so servers that never draw never pay).
func (s *Server) renderer(c echo.Context) (*render.Renderer, error) {
	s.renderMu.Lock()
	defer s.renderMu.Unlock()
	if s.render == nil {
		r, err := render.New(c.Request().Context(), render.Options{})
		if err != nil {
			return nil, err
		}
		s.render = r
	}
	return s.render, nil
}

// Close releases the Graphviz renderer, if one was started, the exercise
// and case.db.
func (s *Server) Close() error {
	err := s.closeDBs()
	s.renderMu.Lock()
	defer s.renderMu.Unlock()
	if s.render == nil {
		return err
	}
	err = errors.Join(err, s.render.Close())
	s.render = nil
	return err
}

// diagramTypes are the diagram formats served, by route suffix.
var diagramTypes = map[string]struct {
	format render.Format
	ctype  string
}{
	"svg": {render.SVG, "image/svg+xml"},
	"png": {render.PNG, "image/png"},
	"dot": {render.DOT, "text/vnd.graphviz; charset=utf-8"},
}

// handleChainDiagram answers the chain diagram (/api/chain.svg, .png or
// .dot), condensed to the interactive node cap. Graphviz escapes labels;
// the CSP forbids any script an SVG could carry.
func (s *Server) handleChainSVG(c echo.Context) error {
	ext := c.Request().URL.Path[strings.LastIndexByte(c.Request().URL.Path, '.')+1:]
	dt, ok := diagramTypes[ext]
	if !ok {
		return echo.NewHTTPError(http.StatusNotFound, "no diagram format "+ext)
	}
	ch, err := s.chainFor(c)
	if err != nil {
		return err
	}
	d := graph.NewDiagram(ch, graph.DiagramOptions{Title: "Chain from " + ch.Root})
	r, err := s.renderer(c)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := r.Render(c.Request().Context(), &buf, d, dt.format); err != nil {
		if errors.Is(err, render.ErrTooLarge) {
			return echo.NewHTTPError(http.StatusUnprocessableEntity, err.Error()+": narrow the window (since, until)")
		}
		return err
	}
	c.Response().Header().Set("Content-Disposition", `inline; filename="chain.`+ext+`"`)
	return c.Blob(http.StatusOK, dt.ctype, buf.Bytes())
}
