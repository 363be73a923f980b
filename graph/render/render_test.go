package render_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/causeway-ir/causeway/graph"
	"github.com/causeway-ir/causeway/graph/render"
)

func newRenderer(t testing.TB) *render.Renderer {
	t.Helper()
	r, err := render.New(t.Context(), render.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

var t0 = time.Date(2023, 6, 5, 3, 0, 0, 0, time.UTC)

// boardDiagram is a board-sized chain: a key, its tokens (some grouped),
// mailboxes in tenants, with every evidence level.
func boardDiagram(nTokens int) *graph.Diagram {
	d := &graph.Diagram{Root: "key:k", Title: "chain from key:k"}
	d.Nodes = append(d.Nodes, graph.DiagramNode{ID: "key:k", Kind: "key", Label: "d4b4cccda922…", Count: 1, Root: true})
	ev := []string{"observed", "inferred", "asserted"}
	for i := range nTokens {
		tok := fmt.Sprintf("token:t%02d", i)
		mb := fmt.Sprintf("mailbox:user%02d@contoso.com", i)
		ten := fmt.Sprintf("tenant:tenant-%d", i%4)
		d.Nodes = append(d.Nodes,
			graph.DiagramNode{ID: tok, Kind: "token", Label: tok[6:], Count: 1},
			graph.DiagramNode{ID: mb, Kind: "mailbox", Label: mb[8:], Count: 1})
		d.Edges = append(d.Edges,
			graph.DiagramEdge{From: "key:k", To: tok, Relation: "signed", Evidence: ev[i%3], Causal: true, Time: t0, Count: 1},
			graph.DiagramEdge{From: tok, To: mb, Relation: "accessed", Evidence: "observed", Causal: true, Time: t0, Count: 3 + i},
			graph.DiagramEdge{From: mb, To: ten, Relation: "in", Evidence: "observed", Time: t0, Count: 1})
	}
	for i := range min(4, nTokens) {
		d.Nodes = append(d.Nodes, graph.DiagramNode{ID: fmt.Sprintf("tenant:tenant-%d", i), Kind: "tenant",
			Label: fmt.Sprintf("tenant-%d", i), Count: 1})
	}
	return d
}

func TestSVGEscapesHostileText(t *testing.T) {
	t.Parallel()
	r := newRenderer(t)
	hostile := []string{
		`"]; x [href="javascript:alert(1)"]`,
		`<script>alert(1)</script>`,
		`a\"; evil [URL="javascript:alert(2)"] //`,
		`&lt;img src=x onerror=alert(1)&gt;`,
		"\\N\\G line\nbreak",
	}
	d := &graph.Diagram{Root: "token:x", Title: hostile[0]}
	d.Nodes = append(d.Nodes, graph.DiagramNode{ID: "token:x", Kind: "token", Label: "x", Count: 1, Root: true})
	for i, h := range hostile {
		id := "mailbox:" + h
		d.Nodes = append(d.Nodes, graph.DiagramNode{ID: id, Kind: "mailbox", Label: h, Count: 1})
		d.Edges = append(d.Edges, graph.DiagramEdge{From: "token:x", To: id, Relation: h, Evidence: "observed", Causal: true, Count: i + 1})
	}
	var svg bytes.Buffer
	if err := r.Render(t.Context(), &svg, d, render.SVG); err != nil {
		t.Fatal(err)
	}
	// Walk the SVG as XML: it must be well formed, hold no script element
	// or event handler, and link only to "#/entity/…".
	dec := xml.NewDecoder(bytes.NewReader(svg.Bytes()))
	dec.Strict = false // the DOCTYPE
	var texts []string
	nodes := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not well formed: %v\n%s", err, svg.String())
		}
		switch el := tok.(type) {
		case xml.StartElement:
			if strings.EqualFold(el.Name.Local, "script") || strings.EqualFold(el.Name.Local, "foreignObject") {
				t.Errorf("SVG holds a <%s> element", el.Name.Local)
			}
			for _, a := range el.Attr {
				if strings.HasPrefix(strings.ToLower(a.Name.Local), "on") {
					t.Errorf("SVG holds an event handler %s=%q", a.Name.Local, a.Value)
				}
				if a.Name.Local == "href" && !strings.HasPrefix(a.Value, "#/entity/") {
					t.Errorf("SVG links to %q", a.Value)
				}
				if a.Name.Local == "class" && a.Value == "node" {
					nodes++
				}
			}
		case xml.CharData:
			texts = append(texts, string(el))
		}
	}
	if nodes != len(d.Nodes) {
		t.Errorf("SVG has %d nodes, want %d", nodes, len(d.Nodes))
	}
	// The hostile strings are there, as text.
	all := strings.Join(texts, "\n")
	for _, want := range []string{`<script>alert(1)</script>`, `"]; x [href="javascript:alert(1)"]`, `&lt;img src=x onerror=alert(1)&gt;`, `\N\G line`} {
		if !strings.Contains(all, want) {
			t.Errorf("SVG text lacks %q:\n%s", want, all)
		}
	}
	if strings.Contains(svg.String(), "<script") {
		t.Error("raw <script in SVG")
	}
}

func TestRefusesLargeDiagrams(t *testing.T) {
	t.Parallel()
	r := newRenderer(t)
	err := r.Render(t.Context(), io.Discard, boardDiagram(200), render.SVG)
	if !errors.Is(err, render.ErrTooLarge) {
		t.Fatalf("Render of %d nodes: %v, want ErrTooLarge", len(boardDiagram(200).Nodes), err)
	}
	var dot bytes.Buffer
	if err := boardDiagram(200).WriteDOT(&dot); err != nil {
		t.Fatal(err)
	}
	if err := r.RenderDOT(t.Context(), io.Discard, dot.Bytes(), render.PNG); !errors.Is(err, render.ErrTooLarge) {
		t.Fatalf("RenderDOT: %v, want ErrTooLarge", err)
	}
}

// TestConcurrentRenders: renderers share Graphviz's one WebAssembly module;
// concurrent use must neither fail nor mix outputs.
func TestConcurrentRenders(t *testing.T) {
	t.Parallel()
	var want bytes.Buffer
	r0 := newRenderer(t)
	if err := r0.Render(t.Context(), &want, boardDiagram(5), render.SVG); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			r := newRenderer(t)
			var got bytes.Buffer
			if err := r.Render(t.Context(), &got, boardDiagram(5), render.SVG); err != nil {
				errs <- err
				return
			}
			if !bytes.Equal(got.Bytes(), want.Bytes()) {
				errs <- errors.New("concurrent render differs")
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

type gvObject struct {
	Name      string `json:"name"`
	Style     string `json:"style"`
	Pos       string `json:"pos"`
	Width     string `json:"width"`
	ID        string `json:"id"`
	FillColor string `json:"fillcolor"`
	Draw      []struct {
		Op     string       `json:"op"`
		Points [][2]float64 `json:"points"`
	} `json:"_draw_"`
}

type gvLayout struct {
	BB      string     `json:"bb"`
	Objects []gvObject `json:"objects"`
	Edges   []gvObject `json:"edges"`
}

func floats(t *testing.T, s string) []float64 {
	t.Helper()
	var fs []float64
	for p := range strings.SplitSeq(s, ",") {
		f, err := strconv.ParseFloat(p, 64)
		if err != nil {
			t.Fatalf("bad number in %q", s)
		}
		fs = append(fs, f)
	}
	return fs
}

func hexColor(t *testing.T, s string) color.NRGBA {
	t.Helper()
	v, err := strconv.ParseUint(strings.TrimPrefix(s, "#"), 16, 32)
	if err != nil {
		t.Fatalf("bad colour %q", s)
	}
	return color.NRGBA{uint8(v >> 16), uint8(v >> 8), uint8(v), 255}
}

func near(a color.Color, b color.NRGBA, tol int) bool {
	r, g, bl, _ := a.RGBA()
	d := func(x uint32, y uint8) int { return int(math.Abs(float64(int(x>>8) - int(y)))) }
	return d(r, b.R) <= tol && d(g, b.G) <= tol && d(bl, b.B) <= tol
}

func dark(c color.Color) bool {
	r, g, b, _ := c.RGBA()
	return (r>>8)+(g>>8)+(b>>8) < 3*110
}

// TestPNG draws a board chain and checks the picture: a white background,
// each node's fill colour inside it, and edges as thin lines (the defect of
// go-graphviz's own PNG is edges drawn as filled black shapes).
func TestPNG(t *testing.T) {
	t.Parallel()
	const scale = 2
	r, err := render.New(t.Context(), render.Options{Scale: scale})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	d := boardDiagram(6)
	var dot, pngBuf bytes.Buffer
	if err := d.WriteDOT(&dot); err != nil {
		t.Fatal(err)
	}
	if err := r.RenderDOT(t.Context(), &pngBuf, dot.Bytes(), render.PNG); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&pngBuf)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := r.Layout(t.Context(), dot.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	var l gvLayout
	if err := json.Unmarshal(raw, &l); err != nil {
		t.Fatal(err)
	}
	bb := floats(t, l.BB)
	const margin = 8
	px := func(x, y float64) (int, int) {
		return int(math.Round((x - bb[0] + margin) * scale)), int(math.Round((bb[3] - y + margin) * scale))
	}
	b := img.Bounds()
	if want := image.Rect(0, 0, int(math.Ceil((bb[2]-bb[0]+2*margin)*scale)), int(math.Ceil((bb[3]-bb[1]+2*margin)*scale))); b != want {
		t.Errorf("image bounds %v, want %v", b, want)
	}
	white := color.NRGBA{255, 255, 255, 255}
	for _, p := range []image.Point{{0, 0}, {b.Max.X - 1, 0}, {0, b.Max.Y - 1}, {b.Max.X - 1, b.Max.Y - 1}} {
		if !near(img.At(p.X, p.Y), white, 0) {
			t.Errorf("background at %v is %v, want white", p, img.At(p.X, p.Y))
		}
	}
	// Node fills: just inside the left border, at mid height (the label
	// is centred, so this is fill, not text).
	checked := 0
	for _, o := range l.Objects {
		if o.FillColor == "" {
			continue
		}
		pos, w := floats(t, o.Pos), floats(t, o.Width)[0]*72
		x, y := px(pos[0]-w/2+4, pos[1])
		if c := img.At(x, y); !near(c, hexColor(t, o.FillColor), 8) {
			t.Errorf("node %s at (%d,%d) is %v, want fill %s", o.ID, x, y, c, o.FillColor)
		}
		checked++
	}
	if checked != len(d.Nodes) {
		t.Errorf("checked %d node fills, want %d", checked, len(d.Nodes))
	}
	// Edges: at the middle of each edge's first curve segment there is
	// ink, and a few pixels to the side there is none (a thin line, not
	// a filled shape).
	for _, e := range l.Edges {
		if len(e.Draw) == 0 {
			continue
		}
		var pts [][2]float64
		for _, op := range e.Draw {
			if op.Op == "b" || op.Op == "B" {
				pts = op.Points
			}
		}
		if len(pts) < 4 {
			t.Fatalf("edge without a curve: %+v", e)
		}
		mx, my := bezierMid(pts[0], pts[1], pts[2], pts[3])
		x, y := px(mx, my)
		ink := false
		for dy := -3; dy <= 3 && !ink; dy++ {
			for dx := -3; dx <= 3 && !ink; dx++ {
				ink = !near(img.At(x+dx, y+dy), white, 40)
			}
		}
		if !ink {
			t.Errorf("no ink at the middle of an edge (%d,%d)", x, y)
		}
		// Perpendicular to the curve, 10 px away on both sides: background
		// (edge labels sit beside edges, so accept one side with text).
		tx, ty := pts[3][0]-pts[0][0], pts[3][1]-pts[0][1]
		n := math.Hypot(tx, ty)
		if n == 0 {
			continue
		}
		blank := 0
		for _, s := range []float64{-1, 1} {
			qx, qy := px(mx-s*ty/n*10/scale*2, my+s*tx/n*10/scale*2)
			if near(img.At(qx, qy), white, 10) {
				blank++
			}
		}
		if blank == 0 {
			t.Errorf("edge at (%d,%d) is not a thin line: ink on both sides", x, y)
		}
	}
	// Dashed and dotted edges have gaps along their curve (a filled
	// curve under the dashes would look solid).
	styled := 0
	for _, e := range l.Edges {
		if e.Style != "dashed" && e.Style != "dotted" {
			continue
		}
		styled++
		var pts [][2]float64
		for _, op := range e.Draw {
			if op.Op == "b" || op.Op == "B" {
				pts = op.Points
			}
		}
		on, off := 0, 0
		for i := 0; i+3 < len(pts); i += 3 {
			for k := 1; k < 50; k++ {
				x, y := px(bezierAt(pts[i], pts[i+1], pts[i+2], pts[i+3], float64(k)/50))
				if near(img.At(x, y), white, 60) {
					off++
				} else {
					on++
				}
			}
		}
		if on == 0 || float64(off)/float64(on+off) < 0.15 {
			t.Errorf("%s edge has %d inked and %d blank samples: not %s", e.Style, on, off, e.Style)
		}
	}
	if styled != 4 {
		t.Errorf("checked %d dashed or dotted edges, want 4", styled)
	}
	// Overall, dark ink (edges, borders, text) is a small part of the
	// picture; filled black edge shapes would not be.
	inkPx := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if dark(img.At(x, y)) {
				inkPx++
			}
		}
	}
	if frac := float64(inkPx) / float64(b.Dx()*b.Dy()); frac > 0.10 {
		t.Errorf("%.1f%% of the picture is dark ink", frac*100)
	}
}

func bezierAt(p0, p1, p2, p3 [2]float64, t float64) (float64, float64) {
	u := 1 - t
	a, b, c, d := u*u*u, 3*u*u*t, 3*u*t*t, t*t*t
	return a*p0[0] + b*p1[0] + c*p2[0] + d*p3[0], a*p0[1] + b*p1[1] + c*p2[1] + d*p3[1]
}

func bezierMid(p0, p1, p2, p3 [2]float64) (float64, float64) {
	// B(0.5) = (p0 + 3 p1 + 3 p2 + p3) / 8
	return (p0[0] + 3*p1[0] + 3*p2[0] + p3[0]) / 8, (p0[1] + 3*p1[1] + 3*p2[1] + p3[1]) / 8
}

// BenchmarkRenderBoard lays out and draws a board-sized chain (under 60
// nodes) as SVG and as PNG.
func BenchmarkRenderBoard(b *testing.B) {
	r := newRenderer(b)
	d := boardDiagram(19) // 1 key + 19 tokens + 19 mailboxes + 4 tenants = 43 nodes
	for _, f := range []render.Format{render.SVG, render.PNG} {
		b.Run(string(f), func(b *testing.B) {
			c0 := cpuTime()
			for b.Loop() {
				if err := r.Render(b.Context(), io.Discard, d, f); err != nil {
					b.Fatal(err)
				}
			}
			// The machine may be shared: CPU time is the steadier figure.
			b.ReportMetric(float64((cpuTime()-c0)/time.Duration(b.N))/1e6, "cpu-ms/op")
			b.ReportMetric(float64(len(d.Nodes)), "nodes")
		})
	}
}
