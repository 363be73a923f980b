package board

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/causeway-ir/causeway/graph"
	"github.com/golang/freetype/truetype"
	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
)

// The slide is laid out once, in 1920×1080 units, with the Go fonts'
// metrics; the SVG (1 unit = 1 px), PNG (1 unit = 1 px) and PDF (1 unit =
// ½ pt, a 13.33×7.5 in page) writers draw the same items.
const (
	slideW, slideH = 1920.0, 1080.0
	margin         = 48.0
)

// box is a rectangle of the slide.
type box struct{ x, y, w, h float64 }

// slideDiagramBox is where the diagram goes.
var slideDiagramBox = box{margin, 400, 1090, 400}

// Colours of the page (ux.md: calm; WCAG AA contrast on white).
const (
	ink     = "#111827"
	muted   = "#4b5563"
	panel   = "#f3f4f6"
	rule    = "#d1d5db"
	accent  = "#b91c1c"
	fontReg = "GoBoard"
)

// item is one thing drawn on the slide.
type item struct {
	kind       itemKind
	x, y, w, h float64
	// Text: x, y is the baseline start; align 0 left, 0.5 centre, 1 right.
	text  string
	size  float64
	bold  bool
	align float64
	color string
	// Rect: fill and stroke colours ("" for none), radius, dashed line.
	fill, stroke string
	radius       float64
	dashed       bool
}

type itemKind int

const (
	itemText itemKind = iota
	itemRect
	itemLine
	itemDiagram
)

// fonts measures text with the Go fonts.
type fonts struct {
	reg, bold *truetype.Font
	faces     map[fontKey]font.Face
}

type fontKey struct {
	size float64
	bold bool
}

func newFonts() (*fonts, error) {
	reg, err := truetype.Parse(goregular.TTF)
	if err != nil {
		return nil, fmt.Errorf("board: parsing the Go font: %w", err)
	}
	bold, err := truetype.Parse(gobold.TTF)
	if err != nil {
		return nil, fmt.Errorf("board: parsing the Go bold font: %w", err)
	}
	return &fonts{reg: reg, bold: bold, faces: map[fontKey]font.Face{}}, nil
}

func (f *fonts) face(size float64, bold bool) font.Face {
	k := fontKey{size, bold}
	if fc, ok := f.faces[k]; ok {
		return fc
	}
	tf := f.reg
	if bold {
		tf = f.bold
	}
	fc := truetype.NewFace(tf, &truetype.Options{Size: size, DPI: 72, Hinting: font.HintingNone})
	f.faces[k] = fc
	return fc
}

func (f *fonts) width(s string, size float64, bold bool) float64 {
	return float64(font.MeasureString(f.face(size, bold), s)) / 64
}

// wrap breaks s into lines no wider than w, at most n lines, the last one
// ending in an ellipsis when text is left over.
func (f *fonts) wrap(s string, size float64, bold bool, w float64, n int) []string {
	words := strings.Fields(s)
	var lines []string
	cur := ""
	for i := 0; i < len(words); i++ {
		word := words[i]
		try := word
		if cur != "" {
			try = cur + " " + word
		}
		if f.width(try, size, bold) <= w {
			cur = try
			continue
		}
		if cur == "" {
			// One word wider than the line: cut it.
			cur = f.fit(word, size, bold, w)
			lines = append(lines, cur)
			cur = ""
			continue
		}
		lines = append(lines, cur)
		cur = ""
		i--
		if len(lines) == n {
			break
		}
	}
	if cur != "" && len(lines) < n {
		lines = append(lines, cur)
		cur = ""
	}
	if len(lines) > n {
		lines = lines[:n]
	}
	rest := len(lines) == n && (cur != "" || strings.Join(lines, " ") != strings.Join(words, " "))
	if rest && len(lines) > 0 {
		lines[n-1] = f.fit(lines[n-1]+" …", size, bold, w)
		if !strings.HasSuffix(lines[n-1], "…") {
			lines[n-1] = f.fit(lines[n-1], size, bold, w-f.width(" …", size, bold)) + " …"
		}
	}
	return lines
}

// fit cuts s to width w, with an ellipsis when cut.
func (f *fonts) fit(s string, size float64, bold bool, w float64) string {
	if f.width(s, size, bold) <= w {
		return s
	}
	for len(s) > 0 {
		_, n := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-n]
		if f.width(s+"…", size, bold) <= w {
			return s + "…"
		}
	}
	return "…"
}

// slide lays the report out as items.
func (r *Report) slide(f *fonts) []item {
	var it []item
	text := func(x, y float64, s string, size float64, bold bool, color string, align float64) {
		it = append(it, item{kind: itemText, x: x, y: y, text: s, size: size, bold: bold, color: color, align: align})
	}
	right := slideW - margin
	full := right - margin

	// Top line and headline.
	text(margin, 56, f.fit("INCIDENT BRIEFING · "+strings.ToUpper(r.Title), 22, true, full*0.62), 22, true, accent, 0)
	text(right, 56, "Prepared "+r.Generated.Format("2 January 2006 15:04 UTC"), 22, false, muted, 1)
	// One line at 52, else two at 46, centred in the band above the numbers.
	if f.width(r.Headline, 52, true) <= full {
		text(margin, 136, r.Headline, 52, true, ink, 0)
	} else {
		for i, l := range f.wrap(r.Headline, 46, true, full, 2) {
			text(margin, 110+float64(i)*54, l, 46, true, ink, 0)
		}
	}

	// The large numbers.
	top := 186.0
	n := len(r.Figures)
	gap := 24.0
	cw := (full - gap*float64(n-1)) / float64(max(n, 1))
	for i, fg := range r.Figures {
		x := margin + float64(i)*(cw+gap)
		it = append(it, item{kind: itemRect, x: x, y: top, w: cw, h: 164, fill: panel, radius: 14})
		size := 64.0
		for size > 30 && f.width(fg.Value, size, true) > cw-36 {
			size -= 4
		}
		text(x+20, top+70, fg.Value, size, true, ink, 0)
		text(x+20, top+104, f.fit(fg.Label, 26, true, cw-36), 26, true, ink, 0)
		for j, l := range f.wrap(fg.Detail, 17, false, cw-36, 2) {
			text(x+20, top+130+float64(j)*21, l, 17, false, muted, 0)
		}
	}

	// Left: the diagram, its legend, the caveats.
	db := slideDiagramBox
	text(margin, db.y-14, "How the access spread (the causal chain)", 24, true, ink, 0)
	it = append(it, item{kind: itemRect, x: db.x - 1, y: db.y - 1, w: db.w + 2, h: db.h + 2, stroke: rule, radius: 8})
	it = append(it, item{kind: itemDiagram, x: db.x, y: db.y, w: db.w, h: db.h})
	ly := db.y + db.h + 30
	lx := margin
	for _, k := range r.legendKinds() {
		fill, border := graph.KindColors(k)
		it = append(it, item{kind: itemRect, x: lx, y: ly - 16, w: 22, h: 20, fill: fill, stroke: border, radius: 4})
		text(lx+30, ly, k, 18, false, ink, 0)
		lx += 30 + f.width(k, 18, false) + 22
	}
	for _, ls := range []struct {
		name   string
		dashed bool
	}{{"observed", false}, {"inferred or asserted", true}} {
		it = append(it, item{kind: itemLine, x: lx, y: ly - 6, w: 34, stroke: ink, dashed: ls.dashed})
		text(lx+42, ly, ls.name, 18, false, ink, 0)
		lx += 42 + f.width(ls.name, 18, false) + 22
	}
	cy := ly + 38
	text(margin, cy, "What the logs cannot show", 22, true, ink, 0)
	cy += 28
	shownCaveats := 0
	for _, c := range r.Caveats {
		lines := f.wrap(c, 16, false, db.w-22, 2)
		if cy+20*float64(len(lines)-1) > slideH-36 {
			break
		}
		text(margin, cy, "•", 16, true, muted, 0)
		for _, l := range lines {
			text(margin+20, cy, l, 16, false, muted, 0)
			cy += 20
		}
		cy += 3
		shownCaveats++
	}
	if shownCaveats < len(r.Caveats) && cy <= slideH-36 {
		text(margin+20, cy, fmt.Sprintf("%d more in the HTML report", len(r.Caveats)-shownCaveats), 16, false, muted, 0)
	}

	// Right: key events, then the analyst's stars and notes.
	rx := db.x + db.w + 40
	rw := right - rx
	ry := db.y - 14
	text(rx, ry, "Key events", 24, true, ink, 0)
	ry += 40
	bottom := slideH - 44.0
	notes := r.noteLines()
	if len(notes) > 0 {
		bottom -= 34 + 24*float64(min(len(notes), 4))
	}
	shown := 0
	for _, k := range r.KeyEvents {
		lines := f.wrap(k.Text, 19, false, rw, 2)
		need := 26 + 24*float64(len(lines)) + 14
		if ry+need-26 > bottom {
			break
		}
		when := k.Time.Format("2 Jan 2006 15:04")
		ww := f.width(when, 20, true) + 14
		text(rx, ry, when, 20, true, ink, 0)
		text(rx+ww, ry, f.fit(k.Impact, 18, false, rw-ww), 18, false, accent, 0)
		ry += 26
		for _, l := range lines {
			text(rx, ry, l, 19, false, ink, 0)
			ry += 24
		}
		ry += 14
		shown++
	}
	if shown < len(r.KeyEvents) {
		text(rx, ry, fmt.Sprintf("and %d more in the HTML report", len(r.KeyEvents)-shown), 17, false, muted, 0)
	}
	if len(r.KeyEvents) == 0 {
		text(rx, ry, "No malicious activity in the case.", 19, false, muted, 0)
	}
	if len(notes) > 0 {
		ny := slideH - 44 - 24*float64(min(len(notes), 4))
		text(rx, ny-10, "Analyst's notes", 22, true, ink, 0)
		ny += 20
		for _, l := range notes[:min(len(notes), 4)] {
			text(rx, ny, f.fit(l, 18, false, rw), 18, false, ink, 0)
			ny += 24
		}
	}

	// Footer: the exact times.
	foot := "Times UTC."
	if !r.FirstActivity.IsZero() {
		foot = "First malicious activity " + fmtTime(r.FirstActivity) + " · last " + fmtTime(r.LastActivity)
		if !r.Detection.IsZero() {
			foot += " · detection " + fmtTime(r.Detection)
		}
	}
	text(right, slideH-12, f.fit(foot, 16, false, rw+db.w), 16, false, muted, 1)
	return it
}

// noteLines are the starred events and the notes, one line each.
func (r *Report) noteLines() []string {
	var out []string
	for _, s := range r.Starred {
		// "Starred", not a star glyph: the Go fonts have none.
		l := "Starred: " + s.Text
		if !s.Time.IsZero() {
			l = "Starred " + s.Time.Format("2 Jan 15:04") + ": " + s.Text
		}
		out = append(out, l)
	}
	for _, n := range r.Notes {
		out = append(out, "“"+n.Text+"” ("+n.Author+")")
	}
	return out
}

// legendKinds lists the entity kinds the diagram shows, in ux.md order.
func (r *Report) legendKinds() []string {
	have := map[string]bool{}
	if r.Diagram != nil {
		for _, n := range r.Diagram.Nodes {
			have[n.Kind] = true
		}
	}
	var out []string
	for _, k := range []string{"key", "token", "session", "identity", "app", "tenant", "ip", "mailbox", "resource"} {
		if have[k] {
			out = append(out, k)
		}
	}
	return out
}
