package webui

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/causeway-ir/causeway/timeline"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// chromiumPath returns Debian's Chromium, or skips (fails under
// CAUSEWAY_REQUIRE_BROWSER=1, as in CI) when it is not installed.
func chromiumPath(t *testing.T) string {
	t.Helper()
	p := os.Getenv("CAUSEWAY_CHROMIUM")
	if p == "" {
		p = "/usr/bin/chromium"
	}
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CAUSEWAY_REQUIRE_BROWSER") == "1" {
			t.Fatalf("browser tests need Chromium at %s (CAUSEWAY_REQUIRE_BROWSER=1): %v", p, err)
		}
		t.Skipf("browser tests skipped: no Chromium at %s (apt-get install chromium, or set CAUSEWAY_CHROMIUM)", p)
	}
	return p
}

// artifactDir is where screenshots go: $CAUSEWAY_ARTIFACTS, else a
// temporary directory. With -update they are also copied to
// testdata/screenshots for reviewers.
func artifactDir(t *testing.T) string {
	if d := os.Getenv("CAUSEWAY_ARTIFACTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

// browser is a headless Chromium tab on a test server, with a record of
// every JavaScript dialog that tried to open.
type browser struct {
	t       *testing.T
	ctx     context.Context
	base    string
	shots   string
	mu      sync.Mutex
	dialogs []string
}

func newBrowser(t *testing.T, s *Server) *browser {
	t.Helper()
	exe := chromiumPath(t)
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1440, 900),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelA() })
	b := &browser{t: t, ctx: ctx, base: ts.URL, shots: artifactDir(t)}
	// Any dialog is a failure: record it and dismiss it so the page goes on.
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for ev, err := range dialogs {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.dialogs = append(b.dialogs, ev.Type.String()+": "+ev.Message)
			b.mu.Unlock()
			_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		}
	}()
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1440, 900)); err != nil {
		t.Fatal(err)
	}
	return b
}

func (b *browser) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatal(err)
	}
}

func (b *browser) eval(expr string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		b.t.Fatalf("%s: %v", expr, err)
	}
	return v
}

// waitFor polls a JavaScript predicate.
func (b *browser) waitFor(expr string) {
	b.t.Helper()
	b.do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(30*time.Second), chromedp.WithPollingInterval(20*time.Millisecond))(ctx, t)
		if err != nil {
			return fmt.Errorf("waiting for %s: %w", expr, err)
		}
		return nil
	}))
}

// loads returns how many timeline refreshes have completed.
func (b *browser) loads() string { return b.eval(`document.body.dataset.loaded || "0"`) }

// waitReload waits until a refresh after `before` has completed.
func (b *browser) waitReload(before string) {
	b.t.Helper()
	b.waitFor(fmt.Sprintf(`(document.body.dataset.loaded || "0") !== %q`, before))
}

func (b *browser) screenshot(name string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.t.Fatal(err)
	}
	path := filepath.Join(b.shots, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(filepath.Join("testdata", "screenshots", name+".png"), png, 0o644); err != nil {
			b.t.Fatal(err)
		}
	}
	b.t.Logf("screenshot %s", path)
}

func (b *browser) noDialogs() {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.dialogs) > 0 {
		b.t.Fatalf("a JavaScript dialog opened: %q", b.dialogs)
	}
}

// login signs in with the token URL and waits for the first paint of data.
func (b *browser) login(query string) {
	b.t.Helper()
	b.do(chromedp.Navigate(b.base + "/login?token=" + testToken))
	if query != "" {
		b.do(chromedp.Navigate(b.base + "/" + query))
	}
	b.waitFor(`document.body.dataset.ready === "1"`)
}

func TestBrowserTimeline(t *testing.T) {
	exe := chromiumPath(t)
	_ = exe
	c := buildCase(t, "", 6000, false)
	b := newBrowser(t, newTestServer(t, c))

	// Anonymous: the app says how to sign in, and shows no data.
	b.do(chromedp.Navigate(b.base + "/"))
	b.waitFor(`!document.getElementById("banner").hidden`)
	if got := b.eval(`document.getElementById("banner").textContent`); !strings.Contains(got, "login URL") {
		t.Errorf("anonymous banner = %q, want sign-in instructions", got)
	}
	b.screenshot("00-anonymous")

	b.login("")
	t.Logf("first meaningful paint on 6000 events: %s ms after navigation (login redirect included)",
		b.eval(`String(Math.round(performance.getEntriesByName("causeway-ready")[0].startTime))`))
	if got := b.eval(`document.getElementById("case-name").textContent`); got != "synthetic" {
		t.Errorf("case name = %q", got)
	}
	if n := b.eval(`String(document.querySelectorAll("#lane-labels .lane-label").length)`); n != "3" {
		t.Errorf("source lanes = %s, want 3", n)
	}
	if got := b.eval(`document.getElementById("table-count").textContent`); !strings.Contains(got, "6,000 events match") {
		t.Errorf("table count = %q", got)
	}
	b.waitFor(`document.querySelectorAll("#facets .facet").length > 3`)
	b.screenshot("01-timeline")

	// Zoom: twice in, the window shrinks to a quarter and the URL holds it.
	before := b.eval(`location.search`)
	l := b.loads()
	b.do(chromedp.Click(chromedp.CSS("#zoom-in")), chromedp.Click(chromedp.CSS("#zoom-in")))
	b.waitReload(l)
	after := b.eval(`location.search`)
	if before == after || !strings.Contains(after, "since=") {
		t.Errorf("zoom did not change the URL: %q → %q", before, after)
	}
	// Brush on the histogram: drag across a third of it zooms further.
	l = b.loads()
	b.eval(`(() => { const w = document.getElementById("hist-wrap"), r = w.getBoundingClientRect();
	  const opts = (x) => ({ clientX: x, clientY: r.top + 40, bubbles: true, button: 0 });
	  w.dispatchEvent(new MouseEvent("mousedown", opts(r.left + r.width * 0.3)));
	  window.dispatchEvent(new MouseEvent("mousemove", opts(r.left + r.width * 0.5)));
	  window.dispatchEvent(new MouseEvent("mouseup", opts(r.left + r.width * 0.6)));
	  return "ok"; })()`)
	b.waitReload(l)
	span := b.eval(`String(Date.parse(new URLSearchParams(location.search).get("until")) - Date.parse(new URLSearchParams(location.search).get("since")))`)
	t.Logf("window after zoom and brush: %s ms", span)
	b.screenshot("02-zoomed")

	// Filter with a column term, then free text.
	l = b.loads()
	b.do(chromedp.Click(chromedp.CSS("#zoom-all")))
	b.waitReload(l)
	l = b.loads()
	b.do(chromedp.SendKeys(chromedp.CSS("#search"), "source:m365.ual"+kb.Enter))
	b.waitReload(l)
	if got := b.eval(`[...new Set([...document.querySelectorAll("#events-body tr td:nth-child(3)")].map(td => td.textContent))].join(",")`); got != "m365.ual" {
		t.Errorf("sources after filter = %q, want m365.ual", got)
	}
	if got := b.eval(`document.getElementById("table-count").textContent`); !strings.Contains(got, "3,000 events match") {
		t.Errorf("filtered count = %q", got)
	}
	l = b.loads()
	b.eval(`document.getElementById("search").value = ""`)
	b.do(chromedp.SendKeys(chromedp.CSS("#search"), "source:m365.ual user7@contoso1.com"+kb.Enter))
	b.waitReload(l)
	// Every row names user7@contoso1.com as actor or target (mailbox).
	if got := b.eval(`String([...document.querySelectorAll("#events-body tr")].filter(tr => !(tr.children[4].textContent + tr.children[5].textContent).includes("user7@contoso1.com")).length)`); got != "0" {
		t.Errorf("%s rows after the search do not name user7@contoso1.com", got)
	}
	if got := b.eval(`String(document.querySelectorAll("#events-body tr").length)`); got != fmt.Sprint(countText(6000, "user7@contoso1.com", "m365.ual")) {
		t.Errorf("rows after search = %s, want %d", got, countText(6000, "user7@contoso1.com", "m365.ual"))
	}
	b.screenshot("03-filtered")

	// Keyboard: j selects the first row, Enter opens it; the drawer shows
	// the raw record and the provenance.
	b.do(chromedp.Click(chromedp.CSS("#table-count")))
	b.eval(`document.activeElement.blur(), "ok"`)
	b.do(chromedp.KeyEvent("j"), chromedp.KeyEvent(kb.Enter))
	b.waitFor(`document.getElementById("raw-record") !== null`)
	raw := b.eval(`document.getElementById("raw-record").textContent`)
	if !strings.Contains(raw, `"nested"`) || !strings.Contains(raw, `"ok": true`) {
		t.Errorf("raw record = %q", raw)
	}
	if sha := b.eval(`document.getElementById("prov-sha").textContent`); len(sha) != 64 {
		t.Errorf("provenance sha256 = %q", sha)
	}
	if !strings.Contains(b.eval(`location.search`), "ev=") {
		t.Errorf("the URL does not hold the open event")
	}
	b.screenshot("04-event-drawer")

	// The URL reopens the same view.
	url := b.eval(`location.href`)
	b.do(chromedp.Navigate(url))
	b.waitFor(`document.body.dataset.ready === "1" && document.getElementById("raw-record") !== null`)
	if got := b.eval(`document.getElementById("search").value`); got != "source:m365.ual user7@contoso1.com" {
		t.Errorf("search after reload = %q", got)
	}
	b.do(chromedp.KeyEvent(kb.Escape))
	b.waitFor(`document.getElementById("drawer").hidden`)

	// Lanes by tenant, dark theme.
	l = b.loads()
	b.eval(`document.getElementById("search").value = ""`)
	b.do(chromedp.SendKeys(chromedp.CSS("#search"), kb.Enter))
	b.waitReload(l)
	l = b.loads()
	b.eval(`(() => { const s = document.getElementById("group"); s.value = "tenant"; s.dispatchEvent(new Event("change")); return "ok"; })()`)
	b.waitReload(l)
	if n := b.eval(`String(document.querySelectorAll("#lane-labels .lane-label").length)`); n != "6" {
		t.Errorf("tenant lanes = %s, want 6 (3 Entra/M365 tenants, 3 AWS accounts)", n)
	}
	b.do(chromedp.Click(chromedp.CSS("#theme")))
	b.screenshot("05-tenant-lanes-dark")
	b.do(chromedp.Click(chromedp.CSS("#theme")))

	// Help.
	b.do(chromedp.KeyEvent("?"))
	b.waitFor(`!document.getElementById("help").hidden`)
	b.do(chromedp.KeyEvent(kb.Escape))
	b.waitFor(`document.getElementById("help").hidden`)

	// An entity drawer from a chip.
	b.do(chromedp.Click(chromedp.CSS(`#events-body tr:first-child .chip-identity`)))
	b.waitFor(`document.querySelector("#drawer-body .role") !== null`)
	b.screenshot("06-entity-drawer")

	// Findings, grouped by rule; opening one filters the timeline to it.
	b.do(chromedp.Click(chromedp.CSS(`a[data-view="findings"]`)))
	b.waitFor(`document.querySelectorAll("#view-findings .rule").length > 0`)
	b.screenshot("08-findings")
	l = b.loads()
	b.do(chromedp.Click(chromedp.CSS(`#view-findings .finding .t`)))
	b.waitReload(l)
	if q := b.eval(`document.getElementById("search").value`); q == "" {
		t.Errorf("opening a finding did not filter the timeline")
	}

	// The graph of a forged token, with the compromise window in the URL.
	b.do(chromedp.Navigate(b.base + "/?view=graph&from=token:forged7&cw=2023-05-15T00:00:00Z/2023-05-20T00:00:00Z"))
	b.waitFor(`document.querySelector("#diagram[data-ready='1'] svg g.node") !== null`)
	if b.eval(`document.getElementById("cw").hidden ? "hidden" : "shown"`) != "shown" {
		t.Errorf("the compromise window from the URL is not shown")
	}
	if n := b.eval(`String(document.querySelectorAll("#graph-body .edge").length)`); n == "0" {
		t.Errorf("the chain lists no edges")
	}
	b.screenshot("09-graph")
	b.noDialogs()
}

func TestBrowserHostileStrings(t *testing.T) {
	chromiumPath(t)
	c := buildCase(t, "", 3000, true)
	b := newBrowser(t, newTestServer(t, c))
	b.login("")
	// Lanes by app put the hostile app name into a lane label.
	l := b.loads()
	b.eval(`(() => { const s = document.getElementById("group"); s.value = "app"; s.dispatchEvent(new Event("change")); return "ok"; })()`)
	b.waitReload(l)
	b.waitFor(`document.querySelectorAll("#facets .facet").length > 3`)
	b.do(chromedp.Click(chromedp.CSS(`#events-body tr:nth-child(4) td.time`)))
	b.waitFor(`document.getElementById("raw-record") !== null`)
	// Every hostile string is on the page as text, and no <img> exists.
	if n := b.eval(`String(document.querySelectorAll("img").length)`); n != "0" {
		t.Errorf("%s <img> elements on the page: a log string was parsed as HTML", n)
	}
	text := b.eval(`document.body.innerText`)
	if c := strings.Count(text, evil); c < 5 {
		t.Errorf("the hostile string appears %d times as text, want it in the table, lanes, facets and drawer", c)
	}
	for _, where := range []string{"#lane-labels", "#facets", "#events-body", "#drawer-body"} {
		if !strings.Contains(b.eval(`document.querySelector("`+where+`").textContent`), evil) {
			t.Errorf("%s does not show the hostile string as text", where)
		}
	}
	b.screenshot("07-hostile-strings")
	time.Sleep(300 * time.Millisecond) // an onerror would have fired by now
	b.noDialogs()
}

func TestBrowserEmptyCase(t *testing.T) {
	chromiumPath(t)
	c, err := timeline.Create(t.TempDir()+"/case", "empty", caseStart)
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, newTestServer(t, c))
	b.login("")
	b.waitFor(`!document.getElementById("events-empty").hidden`)
	if got := b.eval(`document.getElementById("events-empty").textContent`); !strings.Contains(got, "causeway import") {
		t.Errorf("empty state = %q, want how to import", got)
	}
	b.screenshot("10-empty-case")
	b.noDialogs()
}

// TestBrowserExternal screenshots a running server (for example
// `causeway demo`) when CAUSEWAY_SHOT_URL holds its login URL; it skips
// otherwise. Extra views come from CAUSEWAY_SHOT_VIEWS, a space-separated
// list of query strings (e.g. "?view=findings").
func TestBrowserExternal(t *testing.T) {
	login := os.Getenv("CAUSEWAY_SHOT_URL")
	if login == "" {
		t.Skip("set CAUSEWAY_SHOT_URL to the login URL of a running server")
	}
	exe := chromiumPath(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1440, 900),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	defer cancelA()
	defer cancel()
	base := login[:strings.Index(login, "/login")]
	b := &browser{t: t, ctx: ctx, base: base, shots: artifactDir(t)}
	// The first run starts the browser, for the life of ctx: no timeout.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1440, 900)); err != nil {
		t.Fatal(err)
	}
	b.do(chromedp.Navigate(login))
	b.waitFor(`document.body.dataset.ready === "1"`)
	b.screenshot("ext-00")
	for i, q := range strings.Fields(os.Getenv("CAUSEWAY_SHOT_VIEWS")) {
		b.do(chromedp.Navigate(base + "/" + q))
		b.waitFor(`document.body.dataset.ready === "1"`)
		time.Sleep(1500 * time.Millisecond) // findings, facets and diagrams arrive after the first paint
		b.screenshot(fmt.Sprintf("ext-%02d", i+1))
	}
}
