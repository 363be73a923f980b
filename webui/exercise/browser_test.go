package exercise

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/causeway-ir/causeway/timeline"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/google/go-cmp/cmp"
)

// chromium returns Debian's Chromium, or skips (fails under
// CAUSEWAY_REQUIRE_BROWSER=1) when it is not installed.
func chromium(t *testing.T) string {
	t.Helper()
	p := os.Getenv("CAUSEWAY_CHROMIUM")
	if p == "" {
		p = "/usr/bin/chromium"
	}
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CAUSEWAY_REQUIRE_BROWSER") == "1" {
			t.Fatalf("browser tests need Chromium at %s (CAUSEWAY_REQUIRE_BROWSER=1): %v", p, err)
		}
		t.Skipf("browser test skipped: no Chromium at %s (apt-get install chromium, or set CAUSEWAY_CHROMIUM)", p)
	}
	return p
}

// shotDir is where screenshots go: $CAUSEWAY_ARTIFACTS, else a temporary
// directory.
func shotDir(t *testing.T) string {
	if d := os.Getenv("CAUSEWAY_ARTIFACTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

// tab is one browser context (its own cookies) on the test server.
type tab struct {
	t    *testing.T
	name string
	ctx  context.Context
	base string
	dir  string

	mu      sync.Mutex
	dialogs []string
}

func (b *tab) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v", b.name, err)
	}
}

func evalIn[T any](b *tab, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		b.t.Fatalf("%s: %s: %v", b.name, expr, err)
	}
	return v
}

// within polls a JavaScript predicate for at most d and returns how long
// it took.
func (b *tab) within(d time.Duration, expr string) time.Duration {
	b.t.Helper()
	start := time.Now()
	ctx, cancel := context.WithTimeout(b.ctx, d+5*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(d), chromedp.WithPollingInterval(10*time.Millisecond))); err != nil {
		b.t.Fatalf("%s: not true within %v: %s: %v", b.name, d, expr, err)
	}
	return time.Since(start)
}

func (b *tab) shot(name string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.t.Fatal(err)
	}
	path := filepath.Join(b.dir, "exercise-"+name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot %s", path)
}

// newTabs starts one headless Chromium with a browser context per user.
func newTabs(t *testing.T, base string, names ...string) []*tab {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium(t)), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1600, 900),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancelB := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelB(); cancelA() })
	if err := chromedp.Do(bctx); err != nil { // starts the browser
		t.Fatal(err)
	}
	dir := shotDir(t)
	var tabs []*tab
	for _, n := range names {
		ctx, cancel := chromedp.NewContext(bctx, chromedp.WithNewBrowserContext())
		t.Cleanup(cancel)
		b := &tab{t: t, name: n, ctx: ctx, base: base, dir: dir}
		dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
		go func() {
			for ev, err := range dialogs {
				if err != nil {
					return
				}
				b.mu.Lock()
				b.dialogs = append(b.dialogs, ev.Message)
				b.mu.Unlock()
				_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
			}
		}()
		b.do(chromedp.EmulateViewport(1600, 900))
		tabs = append(tabs, b)
	}
	return tabs
}

// noEventBeyondClock is a script that watches the participant's timeline
// and records every rendered event whose time is after the clock shown at
// that moment (the clock never goes back, so this catches any leak).
const noEventBeyondClock = `(() => {
  window.__leaks = [];
  window.__rendered = 0;
  const clockNow = () => new Date(document.getElementById('clock').textContent.replace(' UTC', 'Z').replace(' ', 'T'));
  const check = (li) => {
    window.__rendered++;
    if (new Date(li.dataset.time) > clockNow()) window.__leaks.push(li.dataset.id + ' ' + li.dataset.time + ' > ' + clockNow().toISOString());
  };
  document.querySelectorAll('#events li').forEach(check);
  new MutationObserver((ms) => ms.forEach((m) => m.addedNodes.forEach((n) => n.dataset && check(n))))
    .observe(document.getElementById('events'), { childList: true });
  return true;
})()`

// domMatchesAPI compares the participant's rendered events with what the
// API sends at this clock.
func domMatchesAPI(t *testing.T, h *harness, p *tab, when string) {
	t.Helper()
	var page EventsPage
	decodeJSON(t, h.must(t, "GET", "/api/exercise/events?limit=300", alice, ""), &page)
	want := make([]string, 0, len(page.Events))
	for i := len(page.Events) - 1; i >= 0; i-- {
		want = append(want, page.Events[i].ID)
		if page.Events[i].Time.After(page.Clock) {
			t.Errorf("%s: API sent %s at %s after the clock %s", when, page.Events[i].ID, page.Events[i].Time, page.Clock)
		}
	}
	// The page may still be loading (the clock is paused, so it converges).
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := evalIn[[]string](p, `[...document.querySelectorAll('#events li')].map((li) => li.dataset.id)`)
		diff := cmp.Diff(want, got)
		if diff == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("%s: the participant shows %d events, the API sends %d (-api +browser):\n%s", when, len(got), len(want), diff)
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestBrowserFacilitatorAndParticipant(t *testing.T) {
	h := newHarness(t, testYAML, nil)
	tabs := newTabs(t, h.ts.URL, "facilitator", "participant")
	f, p := tabs[0], tabs[1]

	p.do(chromedp.Navigate(h.ts.URL + "/login?as=alice:participant&to=/exercise/participant"))
	p.within(5*time.Second, `document.getElementById('title').textContent === 'Synthetic tabletop' && document.querySelectorAll('#events li').length > 0`)
	evalIn[bool](p, noEventBeyondClock)
	f.do(chromedp.Navigate(h.ts.URL + "/login?as=fran:facilitator&to=/exercise/"))
	f.within(5*time.Second, `location.pathname === '/exercise/facilitator' && document.querySelectorAll('#injects .card').length === 4`)
	f.within(2*time.Second, `[...document.querySelectorAll('#people li')].some((li) => li.textContent.includes('alice'))`)
	domMatchesAPI(t, h, p, "start")
	p.shot("participant-1-start")
	f.shot("facilitator-1-start")

	// Step 1: the alert. The participant sees the inject within a second.
	f.do(chromedp.Click(chromedp.CSS("#step")))
	d := p.within(followTimeout, `document.getElementById('inject-title').textContent === 'The alert fires'`)
	t.Logf("participant showed the alert %v after the click", d)
	if got := evalIn[string](p, `document.getElementById('inject-text').textContent`); got != "An alert: "+evil {
		t.Errorf("inject text = %q", got)
	}
	if n := evalIn[int](p, `document.querySelectorAll('img').length`); n != 0 {
		t.Errorf("%d img elements: text from the file became markup", n)
	}
	before := evalIn[int](p, `document.querySelectorAll('#events li').length`)

	// Step 2: six hours later, other tenants revealed. New events appear
	// within a second, and none after the clock.
	f.do(chromedp.Click(chromedp.CSS("#step")))
	d = p.within(followTimeout, `document.getElementById('inject-title').textContent === 'Other customers call' &&
		document.getElementById('clock').textContent === '2023-06-15 18:00:00 UTC' &&
		[...document.querySelectorAll('#events li')].some((li) => li.dataset.time > '2023-06-15T12:00:00Z')`)
	t.Logf("participant showed the new stage and its events %v after the click", d)
	p.within(2*time.Second, `document.querySelectorAll('#events li').length > `+fmt.Sprint(before))
	domMatchesAPI(t, h, p, "after step 2")
	p.shot("participant-2-spread")

	// The participant answers; the facilitator sees it within a second.
	p.do(chromedp.SendKeys(chromedp.CSS("#a-0"), "tenant B too "+evil), chromedp.Click(chromedp.CSS("#answers button")))
	d = f.within(followTimeout, `[...document.querySelectorAll('#answers-feed .answer .text')].some((e) => e.textContent === 'tenant B too `+evil+`')`)
	t.Logf("facilitator saw the answer %v after it was sent", d)
	if n := evalIn[int](f, `document.querySelectorAll('img').length`); n != 0 {
		t.Errorf("facilitator: %d img elements: an answer became markup", n)
	}

	// Advance with a button: the clock and the timeline follow.
	f.do(chromedp.Click(chromedp.CSS(`[data-by="6h"]`)))
	p.within(followTimeout, `document.getElementById('clock').textContent === '2023-06-16 00:00:00 UTC'`)
	domMatchesAPI(t, h, p, "after +6h")
	// The keyboard: n steps to the next stage.
	f.do(chromedp.KeyEvent("n"))
	p.within(followTimeout, `document.getElementById('clock').textContent === '2023-06-16 06:00:00 UTC' &&
		document.getElementById('stage').textContent === 'Stage: Provider'`)
	domMatchesAPI(t, h, p, "after n")
	f.shot("facilitator-2-answers")
	p.shot("participant-3-later")

	if leaks := evalIn[[]string](p, `window.__leaks`); len(leaks) > 0 {
		t.Errorf("the participant rendered events beyond the clock: %v", leaks)
	}
	if n := evalIn[int](p, `window.__rendered`); n == 0 {
		t.Error("the leak watcher saw no events: it proved nothing")
	}
	for _, b := range tabs {
		b.mu.Lock()
		if len(b.dialogs) > 0 {
			t.Errorf("%s: dialogs opened: %v", b.name, b.dialogs)
		}
		b.mu.Unlock()
	}
}

// TestBrowserStormExercise plays the shipped storm-0558 exercise on a copy
// of a case holding the imported sample (CAUSEWAY_STORM_CASE=DIR) and takes
// screenshots of both views at each stage, for review.
func TestBrowserStormExercise(t *testing.T) {
	src := os.Getenv("CAUSEWAY_STORM_CASE")
	if src == "" {
		t.Skip("set CAUSEWAY_STORM_CASE to a case holding samples/data/storm-0558")
	}
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(dir, "exercise.db"))
	c, err := timeline.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	y, _ := Builtin("storm-0558")
	h := openHarness(t, c, nil, string(y), nil)
	tabs := newTabs(t, h.ts.URL, "facilitator", "participant")
	f, p := tabs[0], tabs[1]
	p.do(chromedp.Navigate(h.ts.URL + "/login?as=alice:participant&to=/exercise/participant"))
	p.within(5*time.Second, `document.querySelectorAll('#events li').length > 0`)
	evalIn[bool](p, noEventBeyondClock)
	f.do(chromedp.Navigate(h.ts.URL + "/login?as=fran:facilitator&to=/exercise/"))
	f.within(5*time.Second, `document.querySelectorAll('#injects .card').length === 5`)
	for i, want := range []string{"An Audit Premium alert fires", "Other customers compare notes", "The provider shares token telemetry"} {
		f.do(chromedp.Click(chromedp.CSS("#step")))
		p.within(followTimeout, `document.getElementById('inject-title').textContent === '`+want+`'`)
		domMatchesAPI(t, h, p, want)
		p.shot(fmt.Sprintf("storm-participant-%d", i+1))
		f.shot(fmt.Sprintf("storm-facilitator-%d", i+1))
	}
	// The token telemetry is older than the latest events: the participant
	// finds it with the source filter.
	evalIn[bool](p, `(() => { const s = document.getElementById('f-source'); s.value = 'jwt.capture'; s.dispatchEvent(new Event('change')); return true; })()`)
	const probe = `(() => { const li = [...document.querySelectorAll('#events li')];
		return JSON.stringify({ n: li.length, sources: [...new Set(li.map((e) => e.dataset.source))],
			select: document.getElementById('f-source').value, meta: document.getElementById('tl-meta').textContent }); })()`
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := evalIn[string](p, probe)
		if strings.Contains(got, `"sources":["jwt.capture"]`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the source filter did not show only token telemetry: %s", got)
		}
		time.Sleep(100 * time.Millisecond)
	}
	p.shot("storm-participant-4-telemetry")
	if leaks := evalIn[[]string](p, `window.__leaks`); len(leaks) > 0 {
		t.Errorf("the participant rendered events beyond the clock: %v", leaks)
	}
}
