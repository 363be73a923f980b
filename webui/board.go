package webui

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/causeway-ir/causeway/graph"
	"github.com/causeway-ir/causeway/graph/board"
	"github.com/causeway-ir/causeway/timeline"
	"github.com/labstack/echo/v4"
)

// boardCache is the last board report built, for one snapshot's derived
// graph and one version of the annotations (notesChanged drops it).
type boardCache struct {
	d      *derived
	root   string
	report *board.Report
}

// boardReport builds (or reuses) the board report of the current
// snapshot; ?from= chooses the chain root (the findings choose it
// otherwise).
func (s *Server) boardReport(c echo.Context) (*board.Report, error) {
	cs, d, err := s.snapshot()
	if err != nil {
		return nil, err
	}
	root := c.QueryParam("from")
	if root != "" {
		if _, err := timeline.ParseEntity(root); err != nil {
			return nil, badRequest(err)
		}
	}
	s.boardMu.Lock()
	defer s.boardMu.Unlock()
	if b := s.boardCached; b != nil && b.d == d && b.root == root {
		return b.report, nil
	}
	ctx := c.Request().Context()
	g, fs, err := s.graphOf(ctx, cs, d)
	if err != nil {
		return nil, err
	}
	as, err := s.db.Annotations(ctx, "")
	if err != nil {
		return nil, err
	}
	r, err := s.renderer(c)
	if err != nil {
		return nil, err
	}
	rep, err := board.Build(ctx, board.Input{Case: cs, Graph: g, Findings: fs, ChainFrom: root, Annotations: as, Now: s.now, Renderer: r})
	if errors.Is(err, board.ErrNoRoot) {
		return nil, echo.NewHTTPError(http.StatusNotFound, "no chain for the board yet: no finding names a credential; choose a root entity (?from=KIND:VALUE)")
	}
	if errors.Is(err, graph.ErrNotFound) || errors.Is(err, graph.ErrAmbiguous) {
		return nil, echo.NewHTTPError(http.StatusNotFound, err.Error())
	}
	if err != nil {
		return nil, err
	}
	s.boardCached = &boardCache{d: d, root: root, report: rep}
	return rep, nil
}

// handleBoard answers the board report as JSON, with the condensed chain
// diagram as SVG text (drawn by graph/board, labels escaped).
func (s *Server) handleBoard(c echo.Context) error {
	rep, err := s.boardReport(c)
	if err != nil {
		return err
	}
	var svg bytes.Buffer
	if err := rep.WriteDiagramSVG(&svg); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, struct {
		*board.Report
		DiagramSVG string `json:"diagram_svg"`
	}{rep, svg.String()})
}

// boardFormats are the board downloads, by route suffix.
var boardFormats = map[string]struct {
	ctype string
	write func(*board.Report, io.Writer) error
}{
	"pdf":  {"application/pdf", (*board.Report).WritePDF},
	"png":  {"image/png", (*board.Report).WritePNG},
	"svg":  {"image/svg+xml", (*board.Report).WriteSVG},
	"html": {"text/html; charset=utf-8", (*board.Report).WriteHTML},
}

// handleBoardExport answers the board as a download (board.pdf, .png,
// .svg or .html). The HTML is a self-contained report: served as an
// attachment, never rendered inside the app's origin.
func (s *Server) handleBoardExport(c echo.Context) error {
	p := c.Request().URL.Path
	ext := p[strings.LastIndexByte(p, '.')+1:]
	f, ok := boardFormats[ext]
	if !ok {
		return echo.NewHTTPError(http.StatusNotFound, "no board format "+ext)
	}
	rep, err := s.boardReport(c)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := f.write(rep, &buf); err != nil {
		return err
	}
	name := "board-" + rep.Generated.UTC().Format("20060102-1504") + "." + ext
	c.Response().Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	return c.Blob(http.StatusOK, f.ctype, buf.Bytes())
}

// neighbour is one edge of an entity, as GET /api/neighbours lists it.
type neighbour struct {
	From     string    `json:"from"`
	To       string    `json:"to"`
	Relation string    `json:"relation"`
	Evidence string    `json:"evidence"`
	Causal   bool      `json:"causal"`
	First    time.Time `json:"first"`
	Last     time.Time `json:"last"`
	Count    int       `json:"count"`
	Events   []string  `json:"events"`
}

// neighbours is the answer of GET /api/neighbours.
type neighbours struct {
	Entity string      `json:"entity"`
	First  time.Time   `json:"first"`
	Last   time.Time   `json:"last"`
	Count  int         `json:"count"`
	Out    []neighbour `json:"out"`
	In     []neighbour `json:"in"`
	More   int         `json:"more"` // edges left out by ?limit=
}

// handleNeighbours answers an entity's edges in the graph, both ways, with
// their evidence (observed, inferred, asserted): what the graph view
// expands on demand and the entity page lists. ?limit= caps each side
// (200 by default), the busiest edges first.
func (s *Server) handleNeighbours(c echo.Context) error {
	id := c.QueryParam("id")
	if _, err := timeline.ParseEntity(id); err != nil {
		return badRequest(err)
	}
	limit := 200
	if v := c.QueryParam("limit"); v != "" {
		n, err := parsePositive(v, 5000)
		if err != nil {
			return badRequest(err)
		}
		limit = n
	}
	cs, d, err := s.snapshot()
	if err != nil {
		return err
	}
	g, _, err := s.graphOf(c.Request().Context(), cs, d)
	if err != nil {
		return err
	}
	nid, err := g.Lookup(id)
	if err != nil {
		return echo.NewHTTPError(http.StatusNotFound, err.Error())
	}
	n := g.Node(nid)
	ans := neighbours{Entity: string(n.Kind) + ":" + n.Value, First: n.First, Last: n.Last, Count: n.Count, Out: []neighbour{}, In: []neighbour{}}
	name := func(id graph.NodeID) string { m := g.Node(id); return string(m.Kind) + ":" + m.Value }
	side := func(es []graph.Edge) []neighbour {
		sortEdges(es)
		if len(es) > limit {
			ans.More += len(es) - limit
			es = es[:limit]
		}
		out := make([]neighbour, 0, len(es))
		for _, e := range es {
			evs := e.Events
			if len(evs) > 16 {
				evs = evs[:16]
			}
			out = append(out, neighbour{From: name(e.From), To: name(e.To), Relation: e.Relation, Evidence: e.Evidence.String(),
				Causal: e.Causal, First: e.First, Last: e.Last, Count: e.Count, Events: evs})
		}
		return out
	}
	ans.Out = side(g.Edges(nid, true))
	ans.In = side(g.Edges(nid, false))
	return c.JSON(http.StatusOK, ans)
}

// sortEdges puts causal edges first, then the busiest, then by time.
func sortEdges(es []graph.Edge) {
	slices.SortFunc(es, func(a, b graph.Edge) int {
		if a.Causal != b.Causal {
			if a.Causal {
				return -1
			}
			return 1
		}
		if a.Count != b.Count {
			return b.Count - a.Count
		}
		return a.First.Compare(b.First)
	})
}

// parsePositive reads a count of 1 to max.
func parsePositive(v string, max int) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > max {
		return 0, errString("limit must be 1 to " + strconv.Itoa(max))
	}
	return n, nil
}
