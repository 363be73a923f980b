package board

import (
	"bufio"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
)

// svgText escapes s for SVG text or a double-quoted attribute. Invalid
// UTF-8 and control characters are replaced, since XML cannot hold them.
func svgText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\t' || r == 0x7f || r == 0xfffe || r == 0xffff {
			return '\uFFFD'
		}
		return r
	}, s)
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

func num(v float64) string { return fmt.Sprintf("%.2f", v) }

// svgVector writes the diagram as SVG elements.
type svgVector struct {
	w     *bufio.Writer
	fonts *fonts
}

func (v *svgVector) style(st drawState, fill bool) string {
	var b strings.Builder
	f := "none"
	if fill {
		f, _ = hex(st.fill)
	}
	stroke, ok := hex(st.pen)
	fmt.Fprintf(&b, ` fill="%s" stroke="%s"`, f, stroke)
	if ok {
		fmt.Fprintf(&b, ` stroke-width="%s"`, num(st.width))
		if len(st.dash) > 0 {
			var ds []string
			for _, d := range st.dash {
				ds = append(ds, num(d))
			}
			fmt.Fprintf(&b, ` stroke-dasharray="%s"`, strings.Join(ds, " "))
		}
	}
	return b.String()
}

func (v *svgVector) path(pts [][2]float64, closed, bezier bool, st drawState, fill bool) {
	if len(pts) == 0 {
		return
	}
	var d strings.Builder
	fmt.Fprintf(&d, "M%s %s", num(pts[0][0]), num(pts[0][1]))
	if bezier {
		for i := 1; i+2 < len(pts); i += 3 {
			fmt.Fprintf(&d, "C%s %s %s %s %s %s", num(pts[i][0]), num(pts[i][1]), num(pts[i+1][0]), num(pts[i+1][1]),
				num(pts[i+2][0]), num(pts[i+2][1]))
		}
	} else {
		for _, p := range pts[1:] {
			fmt.Fprintf(&d, "L%s %s", num(p[0]), num(p[1]))
		}
	}
	if closed {
		d.WriteString("Z")
	}
	fmt.Fprintf(v.w, `<path d="%s"%s/>`+"\n", d.String(), v.style(st, fill))
}

func (v *svgVector) ellipse(cx, cy, rx, ry float64, st drawState, fill bool) {
	fmt.Fprintf(v.w, `<ellipse cx="%s" cy="%s" rx="%s" ry="%s"%s/>`+"\n", num(cx), num(cy), num(rx), num(ry), v.style(st, fill))
}

func (v *svgVector) text(x, y float64, s string, size, align, width float64, color string) {
	c, ok := hex(color)
	if !ok {
		return
	}
	// Graphviz reserved width for the label: shrink to it, measured with
	// the font the SVG embeds.
	if tw := v.fonts.width(s, size, false); width > 0 && tw > width*1.02 {
		size *= width / tw
	}
	anchor := "middle"
	switch align {
	case 0:
		anchor = "start"
	case 1:
		anchor = "end"
	}
	fmt.Fprintf(v.w, `<text x="%s" y="%s" font-size="%s" text-anchor="%s" fill="%s">%s</text>`+"\n",
		num(x), num(y), num(size), anchor, c, svgText(s))
}

// fontFaces is the CSS that embeds the Go fonts, so that text measures in
// the browser as it did when the page was laid out, with no request.
func fontFaces() string {
	return "@font-face{font-family:" + fontReg + ";font-weight:400;src:url(data:font/ttf;base64," +
		base64.StdEncoding.EncodeToString(goregular.TTF) + ") format('truetype')}\n" +
		"@font-face{font-family:" + fontReg + ";font-weight:700;src:url(data:font/ttf;base64," +
		base64.StdEncoding.EncodeToString(gobold.TTF) + ") format('truetype')}\n"
}

// WriteDiagramSVG writes the chain diagram alone as an <svg> element that
// scales to its container, drawn as vectors with every label escaped (the
// web app's Board view can inline it). Its text uses the font family
// GoBoard, falling back to Helvetica.
func (r *Report) WriteDiagramSVG(w io.Writer) error {
	f, err := newFonts()
	if err != nil {
		return err
	}
	return r.writeDiagramSVG(w, f)
}

func (r *Report) writeDiagramSVG(w io.Writer, f *fonts) error {
	bw := bufio.NewWriter(w)
	if r.layout == nil {
		fmt.Fprint(bw, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 400 60" role="img"><text x="200" y="35" text-anchor="middle" font-size="16">No chain to draw.</text></svg>`)
		return bw.Flush()
	}
	wpt, hpt := r.layout.Size()
	s := 1.0
	fmt.Fprintf(bw, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %s %s" role="img" aria-label="causal chain diagram" font-family="%s, Helvetica, Arial, sans-serif">`+"\n",
		num(wpt*s+16), num(hpt*s+16), fontReg)
	walk(r.layout, &svgVector{w: bw, fonts: f}, transform{scale: s, dx: 8 - r.layout.Box[0], dy: 8, top: r.layout.Box[3]})
	fmt.Fprint(bw, "</svg>\n")
	return bw.Flush()
}

// WriteSVG writes the whole board as one 1920×1080 SVG: text, shapes and
// the diagram as vectors, the Go fonts embedded, every log string escaped.
func (r *Report) WriteSVG(w io.Writer) error {
	f, err := newFonts()
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="%s, Helvetica, Arial, sans-serif">`+"\n",
		int(slideW), int(slideH), int(slideW), int(slideH), fontReg)
	fmt.Fprintf(bw, "<title>%s</title>\n<style>\n%s</style>\n", svgText(r.Headline), fontFaces())
	fmt.Fprintf(bw, `<rect width="%d" height="%d" fill="#ffffff"/>`+"\n", int(slideW), int(slideH))
	for _, it := range r.slide(f) {
		switch it.kind {
		case itemRect:
			fill, stroke := "none", "none"
			if it.fill != "" {
				fill, _ = hex(it.fill)
			}
			if it.stroke != "" {
				stroke, _ = hex(it.stroke)
			}
			fmt.Fprintf(bw, `<rect x="%s" y="%s" width="%s" height="%s" rx="%s" fill="%s" stroke="%s" stroke-width="1.5"/>`+"\n",
				num(it.x), num(it.y), num(it.w), num(it.h), num(it.radius), fill, stroke)
		case itemLine:
			c, _ := hex(it.stroke)
			dash := ""
			if it.dashed {
				dash = ` stroke-dasharray="6 4"`
			}
			fmt.Fprintf(bw, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="2.5"%s/>`+"\n",
				num(it.x), num(it.y), num(it.x+it.w), num(it.y), c, dash)
		case itemText:
			c, _ := hex(it.color)
			anchor := "start"
			switch it.align {
			case 0.5:
				anchor = "middle"
			case 1:
				anchor = "end"
			}
			weight := "400"
			if it.bold {
				weight = "700"
			}
			fmt.Fprintf(bw, `<text x="%s" y="%s" font-size="%s" font-weight="%s" text-anchor="%s" fill="%s">%s</text>`+"\n",
				num(it.x), num(it.y), num(it.size), weight, anchor, c, svgText(it.text))
		case itemDiagram:
			if r.layout == nil {
				continue
			}
			fmt.Fprint(bw, "<g>\n")
			walk(r.layout, &svgVector{w: bw, fonts: f}, fit(r.layout, box{it.x, it.y, it.w, it.h}))
			fmt.Fprint(bw, "</g>\n")
		}
	}
	fmt.Fprint(bw, "</svg>\n")
	return bw.Flush()
}
