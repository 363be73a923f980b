package board

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"

	"github.com/fogleman/gg"
	"golang.org/x/image/draw"
)

// WritePNG writes the board as a 1920×1080 PNG slide: the page drawn with
// gg and the Go fonts, the diagram as graph/render painted it for this
// size (never go-graphviz's own PNG, which draws edges as black shapes).
func (r *Report) WritePNG(w io.Writer) error {
	f, err := newFonts()
	if err != nil {
		return err
	}
	dc := gg.NewContext(int(slideW), int(slideH))
	dc.SetColor(color.White)
	dc.Clear()
	for _, it := range r.slide(f) {
		switch it.kind {
		case itemRect:
			dc.NewSubPath()
			if it.radius > 0 {
				dc.DrawRoundedRectangle(it.x, it.y, it.w, it.h, it.radius)
			} else {
				dc.DrawRectangle(it.x, it.y, it.w, it.h)
			}
			if it.fill != "" {
				dc.SetColor(nrgba(it.fill))
				dc.FillPreserve()
			}
			if it.stroke != "" {
				dc.SetColor(nrgba(it.stroke))
				dc.SetLineWidth(1.5)
				dc.SetDash()
				dc.Stroke()
			}
			dc.ClearPath()
		case itemLine:
			dc.SetColor(nrgba(it.stroke))
			dc.SetLineWidth(2.5)
			if it.dashed {
				dc.SetDash(6, 4)
			} else {
				dc.SetDash()
			}
			dc.DrawLine(it.x, it.y, it.x+it.w, it.y)
			dc.Stroke()
			dc.SetDash()
		case itemText:
			dc.SetFontFace(f.face(it.size, it.bold))
			dc.SetColor(nrgba(it.color))
			x := it.x
			if it.align != 0 {
				x -= it.align * f.width(it.text, it.size, it.bold)
			}
			dc.DrawString(it.text, x, it.y)
		case itemDiagram:
			if len(r.diagPNG) == 0 {
				continue
			}
			img, err := png.Decode(bytes.NewReader(r.diagPNG))
			if err != nil {
				return fmt.Errorf("board: reading the diagram png: %w", err)
			}
			b := img.Bounds()
			// Rendered to fit; scale down only if it still overflows.
			s := min(1, it.w/float64(b.Dx()), it.h/float64(b.Dy()))
			dw, dh := int(float64(b.Dx())*s), int(float64(b.Dy())*s)
			x0 := int(it.x + (it.w-float64(dw))/2)
			y0 := int(it.y + (it.h-float64(dh))/2)
			dst := dc.Image().(*image.RGBA)
			draw.CatmullRom.Scale(dst, image.Rect(x0, y0, x0+dw, y0+dh), img, b, draw.Over, nil)
		}
	}
	if err := png.Encode(w, dc.Image()); err != nil {
		return fmt.Errorf("board: encoding png: %w", err)
	}
	return nil
}

func nrgba(s string) color.Color {
	r, g, b, ok := rgba(s)
	if !ok {
		return color.Transparent
	}
	return color.NRGBA{r, g, b, 255}
}
