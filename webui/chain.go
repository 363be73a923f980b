package webui

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"

	"github.com/causeway-ir/causeway/graph"
	"github.com/causeway-ir/causeway/timeline"
	"github.com/labstack/echo/v4"
)

// derived holds what is computed from one snapshot of the case: the entity
// graph and its findings. It is built once, in the background, on first
// use; a new snapshot gets a new derived.
type derived struct {
	once     sync.Once
	done     chan struct{}
	g        *graph.Graph
	findings []graph.Finding
	err      error
}

func newDerived() *derived { return &derived{done: make(chan struct{})} }

// buildGraph builds a snapshot's graph as `causeway chain` and `causeway
// findings` do: every event, then the assertions of case.db (db, or the
// case's own when nil).
func buildGraph(ctx context.Context, cs *timeline.Case, db *timeline.DB) (*graph.Graph, error) {
	g, err := graph.BuildCase(ctx, cs, graph.Options{})
	if err != nil {
		return nil, err
	}
	if db == nil {
		if db, err = cs.OpenDB(); err != nil {
			return nil, err
		}
		defer db.Close()
	}
	as, err := db.Assertions(ctx)
	if err != nil {
		return nil, err
	}
	if err := g.AddAssertions(as); err != nil {
		return nil, err
	}
	return g, nil
}

// writeIndentedJSON writes v as the CLI does (two-space indent, newline),
// so that the API answers byte for byte what `--format json` prints.
func writeIndentedJSON(c echo.Context, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	return c.JSONBlob(http.StatusOK, buf.Bytes())
}

// graphOf returns the graph and findings of a snapshot, building them the
// first time. The build does not depend on the request that started it (a
// closed tab must not waste the work); the request waits as long as its
// context lets it.
func (s *Server) graphOf(ctx context.Context, cs *timeline.Case, d *derived) (*graph.Graph, []graph.Finding, error) {
	d.once.Do(func() {
		go func() {
			defer close(d.done)
			g, err := buildGraph(context.Background(), cs, s.db)
			if err != nil {
				d.err = err
				s.log.Error("build graph", "case", cs.Dir(), "err", err)
				return
			}
			d.g = g
			d.findings = g.Findings(graph.FindingOptions{})
		}()
	})
	select {
	case <-d.done:
		return d.g, d.findings, d.err
	case <-ctx.Done():
		return nil, nil, ctx.Err()
	}
}

// chainFor reads ?from=KIND:VALUE&since=&until= (and direction=backward)
// and computes the chain.
func (s *Server) chainFor(c echo.Context) (*graph.Chain, error) {
	from := c.QueryParam("from")
	if from == "" {
		return nil, badRequest(errString("from is required: an entity as KIND:VALUE, e.g. key:AKIAEXAMPLE"))
	}
	since, err := parseTime("since", c.QueryParam("since"))
	if err != nil {
		return nil, badRequest(err)
	}
	until, err := parseTime("until", c.QueryParam("until"))
	if err != nil {
		return nil, badRequest(err)
	}
	cs, d, err := s.snapshot()
	if err != nil {
		return nil, err
	}
	g, _, err := s.graphOf(c.Request().Context(), cs, d)
	if err != nil {
		return nil, err
	}
	opts := graph.ChainOptions{Since: since, Until: until, Backward: c.QueryParam("direction") == "backward"}
	ch, err := g.Chain(from, opts)
	if errors.Is(err, graph.ErrNotFound) || errors.Is(err, graph.ErrAmbiguous) {
		return nil, echo.NewHTTPError(http.StatusNotFound, err.Error())
	}
	if err != nil {
		return nil, badRequest(err)
	}
	return ch, nil
}

// handleChain answers the chain from an entity: the same JSON as
// `causeway chain --format json`.
func (s *Server) handleChain(c echo.Context) error {
	ch, err := s.chainFor(c)
	if err != nil {
		return err
	}
	return writeIndentedJSON(c, ch)
}

// handleFindings answers the findings of the case: the same JSON as
// `causeway findings`.
func (s *Server) handleFindings(c echo.Context) error {
	cs, d, err := s.snapshot()
	if err != nil {
		return err
	}
	_, fs, err := s.graphOf(c.Request().Context(), cs, d)
	if err != nil {
		return err
	}
	if fs == nil {
		fs = []graph.Finding{}
	}
	return writeIndentedJSON(c, fs)
}
