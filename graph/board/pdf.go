package board

import (
	"fmt"
	"io"

	"github.com/go-pdf/fpdf"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
)

// pdfScale maps slide units to PDF points: the page is 960×540 pt, the
// 13.33×7.5 in of a widescreen slide.
const pdfScale = 0.5

// WritePDF writes the board as a one-page PDF with real text (the Go fonts
// embedded, so every log string is text, never markup) and the diagram
// drawn as vectors from Graphviz's layout.
func (r *Report) WritePDF(w io.Writer) error {
	f, err := newFonts()
	if err != nil {
		return err
	}
	// fpdf takes the size as portrait and turns it for "L".
	pdf := fpdf.NewCustom(&fpdf.InitType{OrientationStr: "L", UnitStr: "pt",
		Size: fpdf.SizeType{Wd: slideH * pdfScale, Ht: slideW * pdfScale}})
	pdf.SetMargins(0, 0, 0)
	pdf.SetAutoPageBreak(false, 0)
	pdf.SetCreationDate(r.Generated)
	pdf.SetModificationDate(r.Generated)
	pdf.SetTitle(r.Headline, true)
	pdf.SetProducer("causeway", true)
	pdf.AddUTF8FontFromBytes(fontReg, "", goregular.TTF)
	pdf.AddUTF8FontFromBytes(fontReg, "B", gobold.TTF)
	pdf.AddPage()
	set := func(c string, fn func(r, g, b int)) {
		cr, cg, cb, _ := rgba(c)
		fn(int(cr), int(cg), int(cb))
	}
	for _, it := range r.slide(f) {
		x, y := it.x*pdfScale, it.y*pdfScale
		switch it.kind {
		case itemRect:
			style := ""
			if it.fill != "" {
				set(it.fill, pdf.SetFillColor)
				style += "F"
			}
			if it.stroke != "" {
				set(it.stroke, pdf.SetDrawColor)
				pdf.SetLineWidth(0.75)
				pdf.SetDashPattern(nil, 0)
				style += "D"
			}
			if style != "" {
				pdf.RoundedRect(x, y, it.w*pdfScale, it.h*pdfScale, it.radius*pdfScale, "1234", style)
			}
		case itemLine:
			set(it.stroke, pdf.SetDrawColor)
			pdf.SetLineWidth(1.25)
			if it.dashed {
				pdf.SetDashPattern([]float64{3, 2}, 0)
			}
			pdf.Line(x, y, x+it.w*pdfScale, y)
			pdf.SetDashPattern(nil, 0)
		case itemText:
			style := ""
			if it.bold {
				style = "B"
			}
			pdf.SetFont(fontReg, style, it.size*pdfScale)
			set(it.color, pdf.SetTextColor)
			if it.align != 0 {
				x -= it.align * pdf.GetStringWidth(it.text)
			}
			pdf.Text(x, y, it.text)
		case itemDiagram:
			if r.layout == nil {
				continue
			}
			t := fit(r.layout, box{it.x, it.y, it.w, it.h})
			t.scale *= pdfScale
			t.dx *= pdfScale
			t.dy *= pdfScale
			walk(r.layout, &pdfVector{pdf: pdf}, t)
			pdf.SetDashPattern(nil, 0)
		}
	}
	if err := pdf.Error(); err != nil {
		return fmt.Errorf("board: writing pdf: %w", err)
	}
	if err := pdf.Output(w); err != nil {
		return fmt.Errorf("board: writing pdf: %w", err)
	}
	return nil
}

// pdfVector draws the diagram with PDF path operators.
type pdfVector struct{ pdf *fpdf.Fpdf }

func (v *pdfVector) stroke(st drawState, fill bool) (string, bool) {
	style := ""
	if fill {
		if r, g, b, ok := rgba(st.fill); ok {
			v.pdf.SetFillColor(int(r), int(g), int(b))
			style += "F"
		}
	}
	if r, g, b, ok := rgba(st.pen); ok {
		v.pdf.SetDrawColor(int(r), int(g), int(b))
		v.pdf.SetLineWidth(st.width)
		v.pdf.SetDashPattern(st.dash, 0)
		style += "D"
	}
	return style, style != ""
}

func (v *pdfVector) path(pts [][2]float64, closed, bezier bool, st drawState, fill bool) {
	style, ok := v.stroke(st, fill)
	if !ok || len(pts) == 0 {
		return
	}
	v.pdf.MoveTo(pts[0][0], pts[0][1])
	if bezier {
		for i := 1; i+2 < len(pts); i += 3 {
			v.pdf.CurveBezierCubicTo(pts[i][0], pts[i][1], pts[i+1][0], pts[i+1][1], pts[i+2][0], pts[i+2][1])
		}
	} else {
		for _, p := range pts[1:] {
			v.pdf.LineTo(p[0], p[1])
		}
	}
	if closed {
		v.pdf.ClosePath()
	}
	v.pdf.DrawPath(style)
}

func (v *pdfVector) ellipse(cx, cy, rx, ry float64, st drawState, fill bool) {
	if style, ok := v.stroke(st, fill); ok {
		v.pdf.Ellipse(cx, cy, rx, ry, 0, style)
	}
}

func (v *pdfVector) text(x, y float64, s string, size, align, width float64, color string) {
	r, g, b, ok := rgba(color)
	if !ok {
		return
	}
	v.pdf.SetFont(fontReg, "", size)
	tw := v.pdf.GetStringWidth(s)
	if width > 0 && tw > width*1.02 {
		size *= width / tw
		v.pdf.SetFont(fontReg, "", size)
		tw = v.pdf.GetStringWidth(s)
	}
	v.pdf.SetTextColor(int(r), int(g), int(b))
	v.pdf.Text(x-align*tw, y, s)
}
