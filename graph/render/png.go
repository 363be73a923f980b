package render

import (
	"fmt"
	"image/color"
	"image/png"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/fogleman/gg"
	"github.com/golang/freetype/truetype"
	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/goregular"
)

// margin is the blank border, in points, around the drawing.
const margin = 8

// painter draws layouts; it holds the parsed font.
type painter struct {
	font  *truetype.Font
	faces map[float64]font.Face
}

func newPainter() (*painter, error) {
	f, err := truetype.Parse(goregular.TTF)
	if err != nil {
		return nil, fmt.Errorf("render: parsing the Go font: %w", err)
	}
	return &painter{font: f, faces: map[float64]font.Face{}}, nil
}

func (p *painter) face(size float64) font.Face {
	size = math.Round(size*4) / 4
	if f, ok := p.faces[size]; ok {
		return f
	}
	f := truetype.NewFace(p.font, &truetype.Options{Size: size, DPI: 72, Hinting: font.HintingNone})
	p.faces[size] = f
	return f
}

// paint draws a Graphviz JSON layout as a PNG, scale pixels per point.
// Calls are serialized by the caller (Renderer holds one painter and the
// face cache is not shared across goroutines otherwise).
func (p *painter) paint(w io.Writer, layout []byte, scale float64) error {
	gvMu.Lock() // the face cache; drawing itself is quick
	defer gvMu.Unlock()
	l, err := ParseLayout(layout)
	if err != nil {
		return err
	}
	wpt, hpt := l.Box[2]-l.Box[0]+2*margin, l.Box[3]-l.Box[1]+2*margin
	if wpt*scale > 20000 || hpt*scale > 20000 {
		return fmt.Errorf("%w: %.0fx%.0f points", ErrTooLarge, wpt, hpt)
	}
	dc := gg.NewContext(int(math.Ceil(wpt*scale)), int(math.Ceil(hpt*scale)))
	dc.SetColor(color.White)
	dc.Clear()
	c := &canvas{p: p, dc: dc, scale: scale, x0: l.Box[0], y1: l.Box[3]}
	c.ops(l.Draw)
	for _, e := range l.Edges {
		c.reset()
		// An edge's body is a line. Graphviz (as built into go-graphviz)
		// marks it "b", a filled curve, which is what makes go-graphviz's
		// own PNG draw edges as black shapes: never fill it.
		c.edge = true
		c.ops(e.Draw)
		c.edge = false
		c.ops(e.HDraw)
		c.ops(e.TDraw)
		c.ops(e.LDraw)
		c.ops(e.HLDraw)
		c.ops(e.TLDraw)
	}
	for _, o := range l.Objects {
		c.reset()
		c.ops(o.Draw)
		c.ops(o.LDraw)
	}
	c.reset()
	c.ops(l.LDraw)
	// Default compression spends most of the time here for little gain on
	// a flat diagram.
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(w, dc.Image()); err != nil {
		return fmt.Errorf("render: encoding png: %w", err)
	}
	return nil
}

// canvas holds the drawing state of xdot operations.
type canvas struct {
	p      *painter
	dc     *gg.Context
	scale  float64
	x0, y1 float64
	pen    color.Color
	fill   color.Color
	width  float64
	dash   []float64
	size   float64
	edge   bool // drawing an edge body: curves are never filled
}

func (c *canvas) reset() {
	c.pen, c.fill = color.Black, color.Black
	c.width, c.dash, c.size = 1, nil, 14
}

func (c *canvas) x(v float64) float64 { return (v - c.x0 + margin) * c.scale }
func (c *canvas) y(v float64) float64 { return (c.y1 - v + margin) * c.scale }

func (c *canvas) path(pts [][2]float64, closed, bezier bool) {
	if len(pts) == 0 {
		return
	}
	c.dc.NewSubPath()
	c.dc.MoveTo(c.x(pts[0][0]), c.y(pts[0][1]))
	if bezier {
		for i := 1; i+2 < len(pts); i += 3 {
			c.dc.CubicTo(c.x(pts[i][0]), c.y(pts[i][1]), c.x(pts[i+1][0]), c.y(pts[i+1][1]),
				c.x(pts[i+2][0]), c.y(pts[i+2][1]))
		}
	} else {
		for _, pt := range pts[1:] {
			c.dc.LineTo(c.x(pt[0]), c.y(pt[1]))
		}
	}
	if closed {
		c.dc.ClosePath()
	}
}

// finish fills (when filled) and strokes the current path.
func (c *canvas) finish(filled bool) {
	if filled && !transparent(c.fill) {
		c.dc.SetColor(c.fill)
		c.dc.FillPreserve()
	}
	if !transparent(c.pen) {
		c.dc.SetColor(c.pen)
		c.dc.SetLineWidth(c.width * c.scale)
		if c.dash != nil {
			d := make([]float64, len(c.dash))
			for i, v := range c.dash {
				d[i] = v * c.scale
			}
			c.dc.SetDash(d...)
			c.dc.SetLineCapButt() // round caps would close the gaps
		} else {
			c.dc.SetDash()
			c.dc.SetLineCapRound()
		}
		c.dc.Stroke()
	}
	c.dc.ClearPath()
}

func (c *canvas) ops(ops []Op) {
	filling := false // a fill colour was set in this list
	for _, op := range ops {
		switch op.Op {
		case "c":
			c.pen = c.color(op)
		case "C":
			c.fill = c.color(op)
			filling = true
		case "S":
			c.style(op.Style)
		case "F":
			c.size = op.Size
		case "p", "P":
			c.path(op.Points, true, false)
			c.finish(op.Op == "P")
		case "L":
			c.path(op.Points, false, false)
			c.finish(false)
		case "b", "B":
			// Graphviz 12 writes the outline of a rounded, filled node as
			// "B" (unfilled) after setting the fill colour; its SVG fills
			// it. A closed curve after a fill colour is such an outline.
			n := len(op.Points)
			closed := n > 1 && op.Points[0] == op.Points[n-1]
			fill := !c.edge && (op.Op == "b" || filling && closed)
			c.path(op.Points, fill, true)
			c.finish(fill)
		case "e", "E":
			c.dc.DrawEllipse(c.x(op.Rect[0]), c.y(op.Rect[1]), op.Rect[2]*c.scale, op.Rect[3]*c.scale)
			c.finish(op.Op == "E")
		case "T":
			c.text(op)
		}
	}
}

func (c *canvas) style(s string) {
	switch {
	case s == "solid":
		c.dash = nil
	case s == "dashed":
		c.dash = []float64{5, 2}
	case s == "dotted":
		c.dash = []float64{1, 5}
	case s == "bold":
		c.width = 2
	case strings.HasPrefix(s, "setlinewidth("):
		if v, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimPrefix(s, "setlinewidth("), ")"), 64); err == nil && v >= 0 && v < 100 {
			c.width = v
		}
	}
}

func (c *canvas) text(op Op) {
	if op.Text == "" || transparent(c.pen) {
		return
	}
	size := c.size * c.scale
	face := c.p.face(size)
	c.dc.SetFontFace(face)
	// Graphviz measured the text with its own font metrics: shrink ours to
	// the width it reserved so labels stay inside their boxes.
	if tw, _ := c.dc.MeasureString(op.Text); op.Width > 0 && tw > op.Width*c.scale*1.02 {
		c.dc.SetFontFace(c.p.face(size * op.Width * c.scale / tw))
	}
	ax := 0.5
	switch op.Align {
	case "l":
		ax = 0
	case "r":
		ax = 1
	}
	c.dc.SetColor(c.pen)
	c.dc.DrawStringAnchored(op.Text, c.x(op.Pt[0]), c.y(op.Pt[1]), ax, 0)
}

func transparent(c color.Color) bool {
	_, _, _, a := c.RGBA()
	return a == 0
}

func (c *canvas) color(op Op) color.Color {
	s := op.Color
	if op.Grad != "" && op.Grad != "none" && len(op.Stops) > 0 {
		s = op.Stops[0].Color // gradients: their first stop
	}
	return parseColor(s)
}

// parseColor reads the colours Graphviz writes in xdot: #rrggbb, #rrggbbaa
// and a few names.
func parseColor(s string) color.Color {
	switch strings.ToLower(s) {
	case "", "none", "transparent", "invis":
		return color.Transparent
	case "white":
		return color.White
	case "black":
		return color.Black
	}
	if strings.HasPrefix(s, "#") && (len(s) == 7 || len(s) == 9) {
		v, err := strconv.ParseUint(s[1:], 16, 32)
		if err == nil {
			if len(s) == 7 {
				return color.NRGBA{uint8(v >> 16), uint8(v >> 8), uint8(v), 255}
			}
			return color.NRGBA{uint8(v >> 24), uint8(v >> 16), uint8(v >> 8), uint8(v)}
		}
	}
	return color.Black
}
