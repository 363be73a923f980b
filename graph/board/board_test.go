package board

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/causeway-ir/causeway/graph"
	"github.com/causeway-ir/causeway/graph/render"
	"github.com/causeway-ir/causeway/timeline"
	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/html"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// The synthetic case: a signing key kidX forges tokens for alice
// (contoso), bob (fabrikam) and a user whose name is script; they read
// mailboxes in two tenants; a bystander tenant (tailspin) has only
// legitimate activity; an alert fires in contoso on day 10.
var (
	t0      = time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	contoso = "11111111-1111-1111-1111-111111111111"
	fabrik  = "22222222-2222-2222-2222-222222222222"
	tailspn = "33333333-3333-3333-3333-333333333333"
	xssUser = "<script>alert(1)</script>"
	dotXSS  = `"]; x [href="javascript:alert(1)"]`
	day     = 24 * time.Hour
)

func testEvents() []timeline.Event {
	n := 0
	ev := func(at time.Duration, source string, cat timeline.Category, action string, mod func(e *timeline.Event)) timeline.Event {
		n++
		e := timeline.Event{ID: fmt.Sprintf("ev-%02d", n), Time: t0.Add(at), Source: source, Shape: "test", Category: cat,
			Action: action, Outcome: timeline.OutcomeSuccess, ActorKind: timeline.ActorUser, File: "test.json",
			FileSHA256: "abc", Offset: int64(n * 100), Raw: "{}"}
		mod(&e)
		return e
	}
	token := func(at time.Duration, tok, tenant, actor string) timeline.Event {
		return ev(at, "jwt.capture", timeline.CategoryToken, "token", func(e *timeline.Event) {
			e.TokenID, e.KeyID, e.Tenant, e.Actor = tok, "kidX", tenant, actor
			e.Message = "token " + tok + " for " + actor
		})
	}
	read := func(at time.Duration, tok, tenant, actor, mailbox, what string) timeline.Event {
		return ev(at, "m365.ual", timeline.CategoryMail, "MailItemsAccessed", func(e *timeline.Event) {
			e.TokenID, e.Tenant, e.Actor, e.Target, e.TargetKind = tok, tenant, actor, mailbox, "mailbox"
			e.Message = actor + " " + what
		})
	}
	return []timeline.Event{
		token(0, "tokA", contoso, "alice@contoso.com"),
		read(time.Hour, "tokA", contoso, "alice@contoso.com", "alice@contoso.com", `read 12 items in \Inbox via REST from 203.0.113.5 (Bind)`),
		read(-time.Hour, "tokA", contoso, "alice@contoso.com", "alice@contoso.com", `read 100 items in \Inbox (Bind)`), // before the key signed it
		read(2*day, "tokA", contoso, "alice@contoso.com", "alice@contoso.com", `read 5 items in \Sent Items (Bind)`),
		token(3*day, "tokB", fabrik, "bob@fabrikam.com"),
		read(3*day+time.Hour, "tokB", fabrik, "bob@fabrikam.com", "bob@fabrikam.com", `read 3 items in \Inbox (Bind)`),
		token(4*day, "tokE", contoso, xssUser),
		read(4*day+time.Hour, "tokE", contoso, xssUser, dotXSS, `read 2 items in `+dotXSS+`'s mailbox \Inbox (Bind)`),
		ev(10*day, "m365.ual", timeline.CategoryOther, "AlertTriggered", func(e *timeline.Event) {
			e.Tenant, e.Actor, e.Message = contoso, "securitycompliancealerts", "alert"
		}),
		read(12*day, "tokB", fabrik, "bob@fabrikam.com", "carol@fabrikam.com", `synced carol@fabrikam.com's mailbox \Inbox (Sync)`),
		ev(13*day, "m365.ual", timeline.CategoryMail, "MailItemsAccessed", func(e *timeline.Event) {
			e.TokenID, e.Tenant, e.Actor, e.Target, e.TargetKind = "tokB", fabrik, "bob@fabrikam.com", "bob@fabrikam.com", "mailbox"
			e.Outcome, e.Message = timeline.OutcomeFailure, "bob@fabrikam.com read 9 items: failed"
		}),
		// Legitimate: a sign-in issues dave's token, which reads his mail.
		ev(day, "entra.signin", timeline.CategorySignin, "interactiveUser", func(e *timeline.Event) {
			e.SessionID, e.IssuedKind, e.IssuedID, e.Tenant, e.Actor = "s1", timeline.IssuedToken, "tokD", tailspn, "dave@tailspin.com"
		}),
		read(day+time.Hour, "tokD", tailspn, "dave@tailspin.com", "dave@tailspin.com", `read 7 items in \Inbox (Bind)`),
	}
}

// testCase writes the synthetic case and builds its graph.
func testCase(t *testing.T) (*timeline.Case, *graph.Graph) {
	t.Helper()
	c, err := timeline.Create(filepath.Join(t.TempDir(), "case"), "Synthetic forged-key case", t0)
	if err != nil {
		t.Fatal(err)
	}
	run, err := c.BeginRun(timeline.RunOptions{Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	evs := testEvents()
	for i := range evs {
		if err := evs[i].Validate(); err != nil {
			t.Fatalf("event %s: %v", evs[i].ID, err)
		}
		if _, err := run.Add(&evs[i]); err != nil {
			t.Fatal(err)
		}
	}
	run.AddFile(timeline.FileRecord{Path: "test.json", Imported: int64(len(evs))})
	if _, err := run.Commit(); err != nil {
		t.Fatal(err)
	}
	if c, err = c.Reopen(); err != nil {
		t.Fatal(err)
	}
	g, err := graph.Build(t.Context(), c.All(t.Context(), timeline.Query{}), graph.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return c, g
}

func newRenderer(t *testing.T) *render.Renderer {
	t.Helper()
	r, err := render.New(t.Context(), render.Options{MaxNodes: 2 * graph.BoardNodes})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

var now = func() time.Time { return time.Date(2024, 4, 1, 9, 0, 0, 0, time.UTC) }

func TestBuildNumbers(t *testing.T) {
	t.Parallel()
	c, g := testCase(t)
	rend := newRenderer(t)
	keyFindings := []graph.Finding{
		{Rule: graph.RuleTokenWithoutSignin, Severity: graph.SeverityHigh, Time: t0.Add(time.Hour),
			Entities: []string{"token:tokA", "tenant:" + contoso, "key:kidX"}},
		{Rule: graph.RuleConsumerTokenForTenant, Severity: graph.SeverityHigh, Time: t0.Add(3 * day),
			Entities: []string{"token:tokB", "tenant:" + fabrik, "key:kidX"}},
	}
	tokenFindings := []graph.Finding{
		{Rule: graph.RuleTokenWithoutSignin, Severity: graph.SeverityHigh, Time: t0.Add(time.Hour), Entities: []string{"token:tokA"}},
		{Rule: graph.RuleTokenWithoutSignin, Severity: graph.SeverityHigh, Time: t0.Add(3 * day), Entities: []string{"token:tokB"}},
	}
	severityFindings := []graph.Finding{
		{Rule: graph.RuleNewAppForMailbox, Severity: graph.SeverityMedium, Time: t0, Entities: []string{"token:tokA"}},
		{Rule: graph.RuleTokenReplayNewIP, Severity: graph.SeverityHigh, Time: t0.Add(3 * day), Entities: []string{"ip:203.0.113.5", "token:tokB"}},
		{Rule: graph.RuleCoverageGap, Severity: graph.SeverityMedium, Time: t0, Entities: []string{"tenant:" + fabrik},
			Summary: "MailItemsAccessed was not logged for " + fabrik + " (fabrikam.com) between 2024-03-05 and 2024-03-09"},
	}
	tests := []struct {
		name      string
		in        Input
		root      string
		roots     []string
		headline  string
		numbers   Numbers
		detection time.Time
		first     time.Time
		last      time.Time
	}{
		{
			name:     "chain from the analyst's root",
			in:       Input{ChainFrom: "key:kidX"},
			root:     "key:kidX",
			headline: "One key read 4 mailboxes in 2 tenants over 12 days, and went on for 2 days after detection",
			numbers: Numbers{Tenants: 2, TenantsInCase: 3, Mailboxes: 4, Items: 22, CountedRecords: 4, UncountedRecords: 1,
				Events: 8, Credentials: 4, Dwell: 12 * day, TimeToDetect: 10 * day},
			detection: t0.Add(10 * day), first: t0, last: t0.Add(12 * day),
		},
		{
			name:     "from the start of the compromise window given",
			in:       Input{ChainFrom: "key:kidX", Since: t0.Add(3 * day)},
			root:     "key:kidX",
			headline: "One key read 3 mailboxes in 2 tenants over 9 days, and went on for 2 days after detection",
			numbers: Numbers{Tenants: 2, TenantsInCase: 3, Mailboxes: 3, Items: 5, CountedRecords: 2, UncountedRecords: 1,
				Events: 5, Credentials: 3, Dwell: 9 * day, TimeToDetect: 7 * day},
			detection: t0.Add(10 * day), first: t0.Add(3 * day), last: t0.Add(12 * day),
		},
		{
			name:     "the key behind the forged-token findings",
			in:       Input{Findings: keyFindings},
			root:     "key:kidX",
			headline: "Tokens forged with one signing key read 4 mailboxes in 2 tenants over 12 days, and went on for 2 days after detection",
			numbers: Numbers{Tenants: 2, TenantsInCase: 3, Mailboxes: 4, Items: 22, CountedRecords: 4, UncountedRecords: 1,
				Events: 8, Credentials: 4, Dwell: 12 * day, TimeToDetect: 10 * day},
			detection: t0.Add(10 * day), first: t0, last: t0.Add(12 * day),
		},
		{
			name:     "the flagged tokens when no key is named; supplied detection",
			in:       Input{Findings: tokenFindings, Detection: t0.Add(20 * day)},
			roots:    []string{"token:tokA", "token:tokB"},
			headline: "2 tokens that no sign-in issued read 3 mailboxes in 2 tenants over 12 days before detection",
			// A token root holds from its first use, so the read an hour
			// before the key signed it counts here.
			numbers: Numbers{Tenants: 2, TenantsInCase: 3, Mailboxes: 3, Items: 120, CountedRecords: 4, UncountedRecords: 1,
				Events: 7, Credentials: 2, Dwell: 12*day + time.Hour, TimeToDetect: 20*day + time.Hour},
			detection: t0.Add(20 * day), first: t0.Add(-time.Hour), last: t0.Add(12 * day),
		},
		{
			name:     "the most severe finding's credential",
			in:       Input{Findings: severityFindings},
			root:     "token:tokB",
			headline: "One token read 2 mailboxes in 1 tenant over 9 days, and went on for 2 days after detection",
			numbers: Numbers{Tenants: 1, TenantsInCase: 3, Mailboxes: 2, Items: 3, CountedRecords: 1, UncountedRecords: 1,
				Events: 3, Credentials: 1, Dwell: 9 * day, TimeToDetect: 7 * day},
			detection: t0.Add(10 * day), first: t0.Add(3 * day), last: t0.Add(12 * day),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			in.Case, in.Graph, in.Now, in.Renderer = c, g, now, rend
			r, err := Build(t.Context(), in)
			if err != nil {
				t.Fatal(err)
			}
			if r.Root != tt.root {
				t.Errorf("root = %q, want %q", r.Root, tt.root)
			}
			if diff := cmp.Diff(tt.roots, r.Roots); diff != "" {
				t.Errorf("roots (-want +got):\n%s", diff)
			}
			if r.Headline != tt.headline {
				t.Errorf("headline =\n%q, want\n%q", r.Headline, tt.headline)
			}
			if diff := cmp.Diff(tt.numbers, r.Numbers); diff != "" {
				t.Errorf("numbers (-want +got):\n%s", diff)
			}
			if !r.Detection.Equal(tt.detection) || !r.FirstActivity.Equal(tt.first) || !r.LastActivity.Equal(tt.last) {
				t.Errorf("detection, first, last = %v, %v, %v; want %v, %v, %v", r.Detection, r.FirstActivity, r.LastActivity,
					tt.detection, tt.first, tt.last)
			}
			if n := len(r.KeyEvents); n < 1 || n > maxKeyEvents {
				t.Errorf("%d key events", n)
			}
			if len(r.Diagram.Nodes) == 0 || len(r.Diagram.Nodes) > graph.BoardNodes {
				t.Errorf("diagram has %d nodes", len(r.Diagram.Nodes))
			}
		})
	}
}

// TestNoActivity: a chain that reaches nothing still makes a board, in
// every format, that says so.
func TestNoActivity(t *testing.T) {
	t.Parallel()
	c, g := testCase(t)
	r, err := Build(t.Context(), Input{Case: c, Graph: g, Now: now, ChainFrom: "mailbox:alice@contoso.com", Renderer: newRenderer(t)})
	if err != nil {
		t.Fatal(err)
	}
	if want := "The chain from mailbox:alice@contoso.com reached no mailbox or resource, with no successful activity in the case"; r.Headline != want {
		t.Errorf("headline = %q, want %q", r.Headline, want)
	}
	if len(r.KeyEvents) != 0 || !r.FirstActivity.IsZero() || r.Numbers.Events != 0 {
		t.Errorf("key events %v, first %v, events %d", r.KeyEvents, r.FirstActivity, r.Numbers.Events)
	}
	for name, write := range map[string]func(io.Writer) error{
		"html": r.WriteHTML, "svg": r.WriteSVG, "png": r.WritePNG, "pdf": r.WritePDF, "diagram": r.WriteDiagramSVG,
	} {
		var b bytes.Buffer
		if err := write(&b); err != nil || b.Len() == 0 {
			t.Errorf("%s: %d bytes, %v", name, b.Len(), err)
		}
	}
}

func TestBuildNoRoot(t *testing.T) {
	t.Parallel()
	c, g := testCase(t)
	_, err := Build(t.Context(), Input{Case: c, Graph: g, Now: now})
	if !errors.Is(err, ErrNoRoot) {
		t.Fatalf("err = %v, want ErrNoRoot", err)
	}
	_, err = Build(t.Context(), Input{Case: c, Graph: g, Now: now, ChainFrom: "key:nosuchkey"})
	if !errors.Is(err, graph.ErrNotFound) {
		t.Fatalf("err = %v, want graph.ErrNotFound", err)
	}
}

// goldenReport is the synthetic case's report with its annotations: the
// chain from the key, an analyst's star, a note and a detection tag.
func goldenReport(t *testing.T) *Report {
	t.Helper()
	c, g := testCase(t)
	as := []timeline.Annotation{
		{Target: "event:ev-08", Author: "ana", Star: true, Note: "the " + xssUser + " mailbox", Updated: t0.Add(20 * day)},
		{Target: "key:kidX", Author: "ben", Note: "Key reported to the provider " + dotXSS, Updated: t0.Add(21 * day)},
		{Target: "event:ev-06", Author: "ana", Tags: []string{DetectionTag}, Updated: t0.Add(20 * day)},
	}
	fs := []graph.Finding{
		{Rule: graph.RuleTokenWithoutSignin, Severity: graph.SeverityHigh, Time: t0.Add(time.Hour),
			Entities: []string{"token:tokA", "tenant:" + contoso, "key:kidX"}},
		{Rule: graph.RuleCoverageGap, Severity: graph.SeverityMedium, Time: t0, Entities: []string{"tenant:" + fabrik},
			Summary: "MailItemsAccessed was not logged for " + fabrik + " (fabrikam.com) between 2024-02-20 and 2024-03-20"},
		{Rule: graph.RuleCoverageGap, Severity: graph.SeverityMedium, Time: t0, Entities: []string{"tenant:" + tailspn},
			Summary: "MailItemsAccessed was not logged for " + tailspn + " on 2024-03-04"},
		{Rule: graph.RuleCoverageGap, Severity: graph.SeverityMedium, Time: t0, Entities: []string{"tenant:" + contoso},
			Summary: "MailItemsAccessed was not logged for " + contoso + " on 2023-01-04"}, // before the attack
	}
	r, err := Build(t.Context(), Input{Case: c, Graph: g, Findings: fs, Annotations: as, Now: now, Renderer: newRenderer(t)})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestReportGolden(t *testing.T) {
	t.Parallel()
	r := goldenReport(t)
	got, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", "report.json.golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("report (-want +got):\n%s", diff)
	}
	// The detection tag wins over the alert; the coverage gap before the
	// attack says nothing.
	if !r.Detection.Equal(t0.Add(3*day + time.Hour)) {
		t.Errorf("detection = %v, want the tagged event's time", r.Detection)
	}
	for _, c := range r.Caveats {
		if strings.Contains(c, contoso) || strings.Contains(c, "contoso.com (") {
			t.Errorf("caveat names a gap outside the attack: %s", c)
		}
	}
}

func TestHTMLSelfContainedAndEscaped(t *testing.T) {
	t.Parallel()
	r := goldenReport(t)
	var buf bytes.Buffer
	if err := r.WriteHTML(&buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	doc, err := html.Parse(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	var texts strings.Builder
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch strings.ToLower(n.Data) {
			case "script", "iframe", "object", "embed", "link", "img", "a", "foreignobject":
				t.Errorf("element <%s> in the report", n.Data)
			}
			for _, a := range n.Attr {
				k := strings.ToLower(a.Key)
				if strings.HasPrefix(k, "on") || k == "href" || k == "src" || k == "xlink:href" || k == "action" {
					t.Errorf("attribute %s=%q on <%s>", a.Key, a.Val, n.Data)
				}
			}
		}
		if n.Type == html.TextNode {
			texts.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	// No request: every url() is a data: URL, and nothing names a scheme
	// that would fetch.
	for _, m := range regexp.MustCompile(`url\(([^)]{0,12})`).FindAllStringSubmatch(out, -1) {
		if !strings.HasPrefix(m[1], "data:") {
			t.Errorf("url(%s…) in the report", m[1])
		}
	}
	if m := regexp.MustCompile(`(?i)\s(src|href|xlink:href)\s*=\s*["']|@import|<script`).FindString(out); m != "" {
		t.Errorf("the report has %q", m)
	}
	for _, s := range []string{"@page", "size: 13.333in 7.5in"} {
		if !strings.Contains(out, s) {
			t.Errorf("the report lacks %q", s)
		}
	}
	// The payloads are there, as text.
	for _, s := range []string{xssUser, dotXSS, r.Headline} {
		if !strings.Contains(texts.String(), s) {
			t.Errorf("text %q is not in the page's text", s)
		}
	}
}

func TestSVGWellFormedAndEscaped(t *testing.T) {
	t.Parallel()
	r := goldenReport(t)
	var buf bytes.Buffer
	if err := r.WriteSVG(&buf); err != nil {
		t.Fatal(err)
	}
	dec := xml.NewDecoder(&buf)
	var text strings.Builder
	elements := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("svg is not well-formed: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			elements++
			if n := strings.ToLower(tok.Name.Local); n == "script" || n == "a" || n == "foreignobject" || n == "image" {
				t.Errorf("element <%s> in the svg", tok.Name.Local)
			}
			for _, a := range tok.Attr {
				if k := strings.ToLower(a.Name.Local); strings.HasPrefix(k, "on") || k == "href" {
					t.Errorf("attribute %s on <%s>", a.Name.Local, tok.Name.Local)
				}
			}
		case xml.CharData:
			text.Write(tok)
		}
	}
	if elements < 50 {
		t.Errorf("only %d elements", elements)
	}
	for _, s := range []string{xssUser, dotXSS, "mailbox", "Key events", "4 mailboxes"} {
		if !strings.Contains(text.String(), s) {
			t.Errorf("svg text lacks %q", s)
		}
	}
}

// colourShare returns the share of pixels close to each colour, and the
// share of pixels that are not white.
func colourShare(img image.Image, colours map[string]string) (map[string]float64, float64) {
	b := img.Bounds()
	type rgb struct{ r, g, b int }
	want := map[string]rgb{}
	for name, c := range colours {
		r, g, bl, _ := rgba(c)
		want[name] = rgb{int(r), int(g), int(bl)}
	}
	hits := map[string]int{}
	ink := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			p := rgb{int(r >> 8), int(g >> 8), int(bl >> 8)}
			if p.r < 245 || p.g < 245 || p.b < 245 {
				ink++
			}
			for name, w := range want {
				if abs(p.r-w.r) <= 6 && abs(p.g-w.g) <= 6 && abs(p.b-w.b) <= 6 {
					hits[name]++
				}
			}
		}
	}
	total := float64(b.Dx() * b.Dy())
	out := map[string]float64{}
	for name := range colours {
		out[name] = float64(hits[name]) / total
	}
	return out, float64(ink) / total
}

func abs(v int) int { return max(v, -v) }

// checkPicture checks a rendered board: large, not blank, with the key,
// token and mailbox colours of the diagram.
func checkPicture(t *testing.T, img image.Image, minWidth int) {
	t.Helper()
	if w := img.Bounds().Dx(); w < minWidth {
		t.Errorf("width %d px, want at least %d", w, minWidth)
	}
	if w, h := img.Bounds().Dx(), img.Bounds().Dy(); abs(w*9-h*16) > w/20 {
		t.Errorf("%dx%d is not 16:9", w, h)
	}
	keyFill, _ := graph.KindColors("key")
	tokenFill, _ := graph.KindColors("token")
	mailFill, _ := graph.KindColors("mailbox")
	shares, ink := colourShare(img, map[string]string{"key": keyFill, "token": tokenFill, "mailbox": mailFill, "panel": panel})
	if ink < 0.05 {
		t.Errorf("only %.1f%% of the pixels are not white", 100*ink)
	}
	for name, s := range shares {
		if s < 0.001 {
			t.Errorf("%s colour covers %.3f%% of the picture", name, 100*s)
		}
	}
}

func TestPNG(t *testing.T) {
	t.Parallel()
	r := goldenReport(t)
	var buf bytes.Buffer
	start := time.Now()
	if err := r.WritePNG(&buf); err != nil {
		t.Fatal(err)
	}
	t.Logf("png: %v, %d bytes", time.Since(start), buf.Len())
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	checkPicture(t, img, 1600)
	if dir := os.Getenv("CAUSEWAY_BOARD_OUT"); dir != "" {
		writeOut(t, dir, "board.png", r.WritePNG)
	}
}

func writeOut(t *testing.T, dir, name string, write func(io.Writer) error) {
	t.Helper()
	var b bytes.Buffer
	if err := write(&b); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// poppler returns the path of a poppler tool, or skips.
func poppler(t *testing.T, tool string) string {
	t.Helper()
	p, err := exec.LookPath(tool)
	if err != nil {
		if os.Getenv("CAUSEWAY_REQUIRE_BROWSER") == "1" {
			t.Fatalf("%s is needed (Debian poppler-utils): %v", tool, err)
		}
		t.Skipf("%s not found (install Debian poppler-utils): %v", tool, err)
	}
	return p
}

func TestPDF(t *testing.T) {
	t.Parallel()
	r := goldenReport(t)
	var buf bytes.Buffer
	start := time.Now()
	if err := r.WritePDF(&buf); err != nil {
		t.Fatal(err)
	}
	t.Logf("pdf: %v, %d bytes", time.Since(start), buf.Len())
	if !bytes.HasPrefix(buf.Bytes(), []byte("%PDF-")) {
		t.Fatalf("not a PDF: %q", buf.Bytes()[:min(16, buf.Len())])
	}
	dir := t.TempDir()
	pdfPath := filepath.Join(dir, "board.pdf")
	if err := os.WriteFile(pdfPath, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if out := os.Getenv("CAUSEWAY_BOARD_OUT"); out != "" {
		writeOut(t, out, "board.pdf", r.WritePDF)
	}

	// Real text: pdftotext finds the headline and a log string.
	txt, err := exec.CommandContext(t.Context(), poppler(t, "pdftotext"), "-layout", pdfPath, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	flat := strings.Join(strings.Fields(string(txt)), " ")
	for _, s := range strings.Split(r.Headline, ", ") {
		if !strings.Contains(flat, s) {
			t.Errorf("pdftotext does not find %q in:\n%s", s, txt)
		}
	}
	if !strings.Contains(flat, "tenants affected") || !strings.Contains(flat, "Key events") {
		t.Errorf("pdftotext misses the labels:\n%s", txt)
	}

	// Not blank, with the diagram's colours: pdftoppm renders the page.
	start = time.Now()
	cmd := exec.CommandContext(t.Context(), poppler(t, "pdftoppm"), "-r", "150", "-png", "-singlefile", pdfPath, filepath.Join(dir, "page"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v: %s", err, out)
	}
	t.Logf("pdftoppm: %v", time.Since(start))
	f, err := os.Open(filepath.Join(dir, "page.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	checkPicture(t, img, 1600)

	// The diagram is vectors: its labels are text too, and the page holds
	// no image.
	if !strings.Contains(flat, "mailbox") || bytes.Contains(buf.Bytes(), []byte("/Subtype /Image")) {
		t.Error("the diagram is not drawn as vectors and text")
	}
}

func TestMailItems(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		actor   string
		message string
		n       int
		ok      bool
	}{
		{"bind", "a@x.com", `a@x.com read 12 items in \Inbox via REST`, 12, true},
		{"one", "a@x.com", `a@x.com read 1 item in \Inbox`, 1, true},
		{"no count", "a@x.com", `a@x.com read items`, 0, false},
		{"sync", "a@x.com", `a@x.com synced \Inbox via REST (Sync)`, 0, false},
		{"no actor", "", `unknown user read 3 items`, 3, true},
		{"count only in the actor", "x read 5 items", `x read 5 items synced \Inbox`, 0, false},
		{"another message", "a@x.com", `b@x.com read 12 items`, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			n, ok := mailItems(&timeline.Event{Actor: tt.actor, Message: tt.message})
			if n != tt.n || ok != tt.ok {
				t.Errorf("mailItems = %d, %v; want %d, %v", n, ok, tt.n, tt.ok)
			}
		})
	}
}

func TestFormats(t *testing.T) {
	t.Parallel()
	tests := []struct{ got, want string }{
		{fmtDuration(31*day + 5*time.Hour), "31 days"},
		{fmtDuration(47 * time.Hour), "47 hours"},
		{fmtDuration(90 * time.Minute), "90 minutes"},
		{fmtDuration(time.Minute), "under 2 minutes"},
		{fmtDuration(0), "0 minutes"},
		{plural(1, "mailbox"), "1 mailbox"},
		{plural(26, "mailbox"), "26 mailboxes"},
		{plural(2, "entity"), "2 entities"},
		{plural(1234, "tenant"), "1,234 tenants"},
		{fmtInt(-1234567), "-1,234,567"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

func TestWrap(t *testing.T) {
	t.Parallel()
	f, err := newFonts()
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("word ", 80)
	lines := f.wrap(long, 20, false, 300, 3)
	if len(lines) != 3 || !strings.HasSuffix(lines[2], "…") {
		t.Errorf("wrap = %q", lines)
	}
	for _, l := range lines {
		if w := f.width(l, 20, false); w > 300 {
			t.Errorf("line %q is %.0f wide", l, w)
		}
	}
	if got := f.wrap("short text", 20, false, 300, 2); !cmp.Equal(got, []string{"short text"}) {
		t.Errorf("wrap = %q", got)
	}
	if got := f.wrap(strings.Repeat("x", 200), 20, false, 100, 2); len(got) != 1 || f.width(got[0], 20, false) > 100 {
		t.Errorf("wrap of one long word = %q", got)
	}
}

// BenchmarkBoard measures Build and each writer on the synthetic case.
func BenchmarkBoard(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	c, err := timeline.Create(filepath.Join(dir, "case"), "bench", t0)
	if err != nil {
		b.Fatal(err)
	}
	run, err := c.BeginRun(timeline.RunOptions{Now: func() time.Time { return t0 }})
	if err != nil {
		b.Fatal(err)
	}
	evs := testEvents()
	for i := range evs {
		if _, err := run.Add(&evs[i]); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := run.Commit(); err != nil {
		b.Fatal(err)
	}
	c, _ = c.Reopen()
	g, err := graph.Build(ctx, c.All(ctx, timeline.Query{}), graph.Options{})
	if err != nil {
		b.Fatal(err)
	}
	rend, err := render.New(ctx, render.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer rend.Close()
	in := Input{Case: c, Graph: g, ChainFrom: "key:kidX", Now: now, Renderer: rend}
	r, err := Build(ctx, in)
	if err != nil {
		b.Fatal(err)
	}
	for _, bm := range []struct {
		name string
		fn   func() error
	}{
		{"Build", func() error { _, err := Build(ctx, in); return err }},
		{"HTML", func() error { return r.WriteHTML(io.Discard) }},
		{"SVG", func() error { return r.WriteSVG(io.Discard) }},
		{"PNG", func() error { return r.WritePNG(io.Discard) }},
		{"PDF", func() error { return r.WritePDF(io.Discard) }},
	} {
		b.Run(bm.name, func(b *testing.B) {
			for b.Loop() {
				if err := bm.fn(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestHostileText: control characters, invalid UTF-8, bidi overrides,
// markup and very long words from logs never break a writer or the SVG.
func TestHostileText(t *testing.T) {
	t.Parallel()
	r := goldenReport(t)
	hostile := "a\x00b\x1b[31m\xff\xfe\u202eevil\u202c ]]></text><script>x</script> " + strings.Repeat("W", 400) + " 😀 中文"
	r.Headline = hostile
	r.KeyEvents[0].Text = hostile
	r.Caveats = append([]string{hostile}, r.Caveats...)
	r.Notes = append(r.Notes, Note{Target: "key:kidX", Author: hostile, Text: hostile})
	for name, write := range map[string]func(io.Writer) error{
		"html": r.WriteHTML, "svg": r.WriteSVG, "png": r.WritePNG, "pdf": r.WritePDF,
	} {
		var b bytes.Buffer
		if err := write(&b); err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if name == "svg" {
			dec := xml.NewDecoder(&b)
			for {
				_, err := dec.Token()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Errorf("svg is not well-formed: %v", err)
					break
				}
			}
		}
		if name == "html" && strings.Contains(b.String(), "<script>") {
			t.Error("html holds <script>")
		}
	}
}
