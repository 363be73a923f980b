package board

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/causeway-ir/causeway/graph"
	"github.com/causeway-ir/causeway/graph/render"
)

// Graphviz's JSON output (render.Renderer.Layout): the layout with xdot
// drawing operations (https://graphviz.org/docs/outputs/json/,
// https://graphviz.org/docs/outputs/canon/#xdot). Coordinates are points
// with the origin at the bottom left. The SVG, PDF and HTML writers draw
// the diagram as vectors from these operations; the PNG uses graph/render's
// own painter.

// maxCondense bounds the condensing rounds.
const maxCondense = 6

// minDiagramFont is the smallest node label size, in slide units, that
// reads from the back of a room.
const minDiagramFont = 15.0

// legibleDiagramFont is the smallest label size accepted to show every
// entity rather than leave some out.
const legibleDiagramFont = 10.0

// boardFontSize is the node label size boardDOT sets, in points.
const boardFontSize = 16.0

// draw condenses the chain (each cap in turn until the labels are large
// enough), lays it out and draws its PNG for the slide.
func (r *Report) draw(ctx context.Context, rend *render.Renderer) error {
	opts := render.Options{MaxNodes: 2 * graph.BoardNodes}
	if rend == nil {
		var err error
		rend, err = render.New(ctx, opts)
		if err != nil {
			return fmt.Errorf("board: %w", err)
		}
		defer rend.Close()
	}
	t0 := time.Now()
	// Each round condenses one level more (one node fewer than the last
	// round had makes NewDiagram group again, and in the end trim). Take
	// the first that reads from the back of a room without leaving
	// entities out; else the most readable complete one if it is still
	// legible; else the first readable one.
	type candidate struct {
		d      *graph.Diagram
		dot    []byte
		layout *render.Layout
		font   float64
	}
	var cands []candidate
	limit := graph.BoardNodes
	for range maxCondense {
		d := r.diagram(limit)
		if len(d.Nodes) == 0 {
			r.layout = nil
			return nil
		}
		dot, err := boardDOT(d)
		if err != nil {
			return err
		}
		js, err := rend.Layout(ctx, dot)
		if err != nil {
			return fmt.Errorf("board: laying out the diagram: %w", err)
		}
		l, err := render.ParseLayout(js)
		if err != nil {
			return err
		}
		c := candidate{d, dot, l, fit(l, slideDiagramBox).scale * boardFontSize}
		cands = append(cands, c)
		if c.font >= minDiagramFont || len(d.Nodes) <= 8 {
			break
		}
		limit = len(d.Nodes) - 1
	}
	pick := cands[len(cands)-1]
	best := -1
	for i, c := range cands {
		if c.d.Omitted == 0 && (best < 0 || c.font > cands[best].font) {
			best = i
		}
	}
	switch {
	case best >= 0 && cands[best].font >= minDiagramFont:
		pick = cands[best]
	case pick.d.Omitted > 0 && best >= 0 && cands[best].font >= legibleDiagramFont:
		pick = cands[best]
	}
	r.Diagram, r.layout = pick.d, pick.layout
	dot := pick.dot
	r.Timings.Layout = time.Since(t0)

	// graph/render draws PNGs at a fixed scale per Renderer: draw with one
	// whose scale fits the slide's diagram box (its painter adds an 8 pt
	// margin on each side).
	t0 = time.Now()
	w, h := r.layout.Size()
	box := slideDiagramBox
	opts.Scale = math.Max(0.25, math.Min(maxDiagramScale, math.Min(box.w/(w+16), box.h/(h+16))))
	pr, err := render.New(ctx, opts)
	if err != nil {
		return fmt.Errorf("board: %w", err)
	}
	defer pr.Close()
	var buf bytes.Buffer
	if err := pr.RenderDOT(ctx, &buf, dot, render.PNG); err != nil {
		return fmt.Errorf("board: drawing the diagram: %w", err)
	}
	r.diagPNG = buf.Bytes()
	r.Timings.PNG = time.Since(t0)
	return nil
}

// maxDiagramScale caps how much a small diagram is blown up on the page
// (units per Graphviz point).
const maxDiagramScale = 2.6

// vector receives the diagram as shapes, in page units with the origin at
// the top left.
type vector interface {
	path(pts [][2]float64, closed, bezier bool, st drawState, fill bool)
	ellipse(cx, cy, rx, ry float64, st drawState, fill bool)
	text(x, y float64, s string, size float64, align float64, width float64, color string)
}

// drawState is the xdot pen state.
type drawState struct {
	pen, fill string
	width     float64
	dash      []float64
	size      float64
}

// transform maps Graphviz points into a box of the page.
type transform struct {
	scale, dx, dy, top float64
}

func (t transform) x(v float64) float64 { return t.dx + v*t.scale }
func (t transform) y(v float64) float64 { return t.dy + (t.top-v)*t.scale }

// fit returns the transform that centres the layout in box.
func fit(l *render.Layout, b box) transform {
	w, h := l.Size()
	s := math.Min(maxDiagramScale, math.Min(b.w/math.Max(w, 1), b.h/math.Max(h, 1)))
	return transform{scale: s, dx: b.x + (b.w-w*s)/2 - l.Box[0]*s, dy: b.y + (b.h-h*s)/2, top: l.Box[3]}
}

// walk sends the layout's drawing operations to v: edges first, then
// nodes over them, then the graph's label.
func walk(l *render.Layout, v vector, t transform) {
	st := drawState{}
	// Graphviz as built into go-graphviz marks an edge's body "b" (a filled
	// curve) and a rounded, filled node's outline "B" (unfilled) after
	// setting its fill colour (graph/render's painter reads it the same
	// way): an edge body is never filled, a closed curve after a fill
	// colour is.
	edge, filling := false, false
	reset := func() {
		st = drawState{pen: "#000000", fill: "#000000", width: 1, size: 14}
		filling = false
	}
	reset()
	ops := func(ops []render.Op) {
		for _, op := range ops {
			switch op.Op {
			case "c":
				st.pen = opColor(op)
			case "C":
				st.fill = opColor(op)
				filling = true
			case "S":
				switch s := op.Style; {
				case s == "solid":
					st.dash = nil
				case s == "dashed":
					st.dash = []float64{5, 2}
				case s == "dotted":
					st.dash = []float64{1, 3}
				case s == "bold":
					st.width = 2
				case strings.HasPrefix(s, "setlinewidth("):
					if w, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimPrefix(s, "setlinewidth("), ")"), 64); err == nil && w >= 0 && w < 100 {
						st.width = w
					}
				}
			case "F":
				st.size = op.Size
			case "p", "P", "L", "b", "B":
				pts := make([][2]float64, len(op.Points))
				for i, p := range op.Points {
					pts[i] = [2]float64{t.x(p[0]), t.y(p[1])}
				}
				s := st
				s.width *= t.scale
				if s.dash != nil {
					d := make([]float64, len(s.dash))
					for i, x := range s.dash {
						d[i] = x * t.scale
					}
					s.dash = d
				}
				switch op.Op {
				case "p", "P":
					v.path(pts, true, false, s, op.Op == "P")
				case "L":
					v.path(pts, false, false, s, false)
				default:
					n := len(op.Points)
					closed := n > 1 && op.Points[0] == op.Points[n-1]
					fill := !edge && (op.Op == "b" || filling && closed)
					v.path(pts, fill, true, s, fill)
				}
			case "e", "E":
				s := st
				s.width *= t.scale
				v.ellipse(t.x(op.Rect[0]), t.y(op.Rect[1]), op.Rect[2]*t.scale, op.Rect[3]*t.scale, s, op.Op == "E")
			case "T":
				if op.Text == "" {
					continue
				}
				align := 0.5
				switch op.Align {
				case "l":
					align = 0
				case "r":
					align = 1
				}
				v.text(t.x(op.Pt[0]), t.y(op.Pt[1]), op.Text, st.size*t.scale, align, op.Width*t.scale, st.pen)
			}
		}
	}
	// The graph's own drawing (l.Draw) is its background: the page has one.
	for _, e := range l.Edges {
		reset()
		edge = true
		ops(e.Draw)
		edge = false
		for _, o := range [][]render.Op{e.HDraw, e.TDraw, e.LDraw, e.HLDraw, e.TLDraw} {
			ops(o)
		}
	}
	for _, o := range l.Objects {
		reset()
		ops(o.Draw)
		ops(o.LDraw)
	}
	reset()
	ops(l.LDraw)
}

// opColor reads an xdot colour (gradients: their first stop).
func opColor(op render.Op) string {
	s := op.Color
	if op.Grad != "" && op.Grad != "none" && len(op.Stops) > 0 {
		s = op.Stops[0].Color
	}
	return s
}

// rgba parses #rrggbb, #rrggbbaa and a few names; ok is false for none or
// a transparent colour.
func rgba(s string) (r, g, b uint8, ok bool) {
	switch strings.ToLower(s) {
	case "", "none", "transparent", "invis":
		return 0, 0, 0, false
	case "white":
		return 255, 255, 255, true
	case "black":
		return 0, 0, 0, true
	}
	if strings.HasPrefix(s, "#") && (len(s) == 7 || len(s) == 9) {
		v, err := strconv.ParseUint(s[1:], 16, 32)
		if err == nil {
			if len(s) == 9 {
				if v&0xff == 0 {
					return 0, 0, 0, false
				}
				v >>= 8
			}
			return uint8(v >> 16), uint8(v >> 8), uint8(v), true
		}
	}
	return 0, 0, 0, true
}

// hex writes a colour as #rrggbb for SVG (never anything from a log).
func hex(s string) (string, bool) {
	r, g, b, ok := rgba(s)
	if !ok {
		return "none", false
	}
	return fmt.Sprintf("#%02x%02x%02x", r, g, b), true
}
