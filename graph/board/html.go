package board

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"time"

	"github.com/causeway-ir/causeway/graph"
)

// htmlPage is the self-contained report: inline CSS and SVG, no script, no
// request. html/template escapes every string from a log; the diagram is
// SVG this package writes with every text escaped (svgText), and the fonts
// are data: URLs.
var htmlPage = template.Must(template.New("board").Funcs(template.FuncMap{
	"when": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2 Jan 2006 15:04 UTC")
	},
	"iso": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; font-src data:; img-src data:">
<title>{{.R.Title}}: board report</title>
<style>
{{.Fonts}}
@page { size: 13.333in 7.5in; margin: 0.25in; }
* { box-sizing: border-box; }
html { background: #e5e7eb; }
body { margin: 0; overflow-wrap: anywhere; font-family: system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color: #111827;
  font-variant-numeric: tabular-nums; }
.page { width: 100%; max-width: 1600px; aspect-ratio: 16 / 9; margin: 16px auto; background: #fff; padding: 22px 30px;
  display: grid; grid-template-columns: 60% 1fr; grid-template-rows: auto auto minmax(0, 1fr) auto; column-gap: 26px;
  box-shadow: 0 1px 4px rgba(0,0,0,.15); overflow: hidden; }
header, .figures, footer { grid-column: 1 / -1; }
.kicker { display: flex; justify-content: space-between; font-size: 14px; color: #4b5563; }
.kicker b { color: #b91c1c; letter-spacing: .04em; text-transform: uppercase; }
h1 { font-size: 30px; line-height: 1.2; margin: 6px 0 14px; }
.figures { display: grid; grid-template-columns: repeat({{len .R.Figures}}, 1fr); gap: 14px; margin-bottom: 16px; }
.fig { background: #f3f4f6; border-radius: 10px; padding: 10px 14px; }
.fig .v { font-size: 40px; font-weight: 700; line-height: 1.1; }
.fig .l { font-size: 17px; font-weight: 700; }
.fig .d { font-size: 12px; color: #4b5563; }
h2 { font-size: 17px; margin: 0 0 6px; }
.chain { min-height: 0; overflow: hidden; display: flex; flex-direction: column; }
.chain .svg { flex: 1; min-height: 0; border: 1px solid #d1d5db; border-radius: 6px; padding: 6px; display: flex; }
.chain svg { width: 100%; height: 100%; max-height: 100%; }
.legend { font-size: 12px; margin: 6px 0; display: flex; flex-wrap: wrap; gap: 12px; }
.chip { display: inline-block; width: 14px; height: 12px; border-radius: 3px; border: 1.5px solid; vertical-align: -1px; margin-right: 4px; }
.line { display: inline-block; width: 24px; border-top: 2px solid #111827; vertical-align: 3px; margin-right: 4px; }
.line.dashed { border-top-style: dashed; }
.side { min-height: 0; overflow: hidden; }
ol.events { list-style: none; padding: 0; margin: 0; }
ol.events li { margin-bottom: 8px; font-size: 14px; line-height: 1.3; }
ol.events time { font-weight: 700; }
ol.events .impact { color: #b91c1c; font-size: 13px; margin-left: 6px; }
ul.caveats { margin: 0; padding-left: 18px; font-size: 12px; color: #4b5563; }
ul.notes { margin: 0 0 8px; padding-left: 18px; font-size: 13px; }
footer { font-size: 11px; color: #4b5563; text-align: right; margin-top: 6px; }
@media print {
  html { background: #fff; }
  .page { margin: 0; padding: 0; box-shadow: none; width: 12.833in; height: 7in; max-width: none; aspect-ratio: auto;
    break-after: avoid; break-inside: avoid; }
  h1 { font-size: 24px; margin: 4px 0 10px; }
  .fig .v { font-size: 30px; } .fig .l { font-size: 14px; } .fig .d { font-size: 10px; }
  .figures { margin-bottom: 10px; }
  h2 { font-size: 14px; }
  ol.events li { font-size: 11.5px; margin-bottom: 5px; } ol.events .impact { font-size: 10.5px; }
  ul.caveats { font-size: 10px; } ul.notes { font-size: 11px; } .legend { font-size: 10px; } footer { font-size: 9px; }
}
</style>
</head>
<body>
<main class="page">
<header>
<div class="kicker"><b>Incident briefing · {{.R.Title}}</b><span>Prepared {{when .R.Generated}}</span></div>
<h1>{{.R.Headline}}</h1>
</header>
<section class="figures" aria-label="the numbers">
{{range .R.Figures}}<div class="fig"><div class="v">{{.Value}}</div><div class="l">{{.Label}}</div><div class="d">{{.Detail}}</div></div>
{{end}}</section>
<section class="chain">
<h2>How the access spread (the causal chain)</h2>
<div class="svg">{{.Diagram}}</div>
<div class="legend">{{range .Legend}}<span><span class="chip" style="background:{{.Fill}};border-color:{{.Border}}"></span>{{.Kind}}</span>{{end}}
<span><span class="line"></span>observed</span><span><span class="line dashed"></span>inferred or asserted</span></div>
<h2>What the logs cannot show</h2>
<ul class="caveats">{{range .R.Caveats}}<li>{{.}}</li>{{end}}</ul>
</section>
<aside class="side">
<h2>Key events</h2>
<ol class="events">{{range .R.KeyEvents}}<li><time datetime="{{iso .Time}}">{{when .Time}}</time><span class="impact">{{.Impact}}</span><br>{{.Text}}</li>
{{else}}<li>No malicious activity in the case.</li>{{end}}</ol>
{{if or .R.Starred .R.Notes}}<h2>Analyst's stars and notes</h2>
<ul class="notes">{{range .R.Starred}}<li>★ {{if not .Time.IsZero}}<time datetime="{{iso .Time}}">{{when .Time}}</time> {{end}}{{.Text}}{{if .Note}}: {{.Note}}{{end}} ({{.Author}})</li>{{end}}
{{range .R.Notes}}<li>“{{.Text}}” ({{.Author}}, on {{.Target}})</li>{{end}}</ul>{{end}}
</aside>
<footer>{{if not .R.FirstActivity.IsZero}}First malicious activity {{when .R.FirstActivity}} · last {{when .R.LastActivity}}{{if not .R.Detection.IsZero}} · detection {{when .R.Detection}} ({{.R.DetectionBasis}}){{end}}{{end}} · chain of {{len .R.Chain.Nodes}} entities · generated by Causeway</footer>
</main>
</body>
</html>
`))

type legendEntry struct{ Kind, Fill, Border string }

// WriteHTML writes the board as one self-contained HTML file: inline CSS
// and SVG, no script and no external request; it opens offline and prints
// on one 16:9 landscape page.
func (r *Report) WriteHTML(w io.Writer) error {
	f, err := newFonts()
	if err != nil {
		return err
	}
	var svg bytes.Buffer
	if err := r.writeDiagramSVG(&svg, f); err != nil {
		return err
	}
	var legend []legendEntry
	for _, k := range r.legendKinds() {
		fill, border := graph.KindColors(k)
		legend = append(legend, legendEntry{k, fill, border})
	}
	data := struct {
		R       *Report
		Diagram template.HTML
		Fonts   template.CSS
		Legend  []legendEntry
	}{R: r, Diagram: template.HTML(svg.String()), Fonts: template.CSS(fontFaces()), Legend: legend}
	if err := htmlPage.Execute(w, data); err != nil {
		return fmt.Errorf("board: writing html: %w", err)
	}
	return nil
}
