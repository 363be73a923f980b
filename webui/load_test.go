package webui

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/causeway-ir/causeway/timeline"
	"github.com/chromedp/chromedp"
)

// loadCase opens the case in $CAUSEWAY_LOAD_CASE, building it with
// $CAUSEWAY_LOAD_EVENTS synthetic events when it does not exist yet; it
// skips when neither is set. Large cases are slow to build, so measurements
// reuse them.
func loadCase(t *testing.T) (*timeline.Case, int) {
	t.Helper()
	n, _ := strconv.Atoi(os.Getenv("CAUSEWAY_LOAD_EVENTS"))
	dir := os.Getenv("CAUSEWAY_LOAD_CASE")
	if n <= 0 {
		t.Skip("set CAUSEWAY_LOAD_EVENTS (and CAUSEWAY_LOAD_CASE to keep the case) to measure on a large case")
	}
	if dir == "" {
		dir = filepath.Join(t.TempDir(), "case")
	}
	if c, err := timeline.Open(dir); err == nil {
		return c, n
	}
	start := time.Now()
	c := buildCase(t, dir, n, false)
	t.Logf("built a case of %d events in %v", n, time.Since(start).Round(time.Millisecond))
	return c, n
}

// TestLoadFilteredPages measures API latency for filtered pages and
// aggregates on a large synthetic case, and reports p50/p95/max.
func TestLoadFilteredPages(t *testing.T) {
	c, n := loadCase(t)
	s := newTestServer(t, c)
	queries := []struct{ name, path string }{
		{"page, source + where", "/api/events?limit=100&source=m365.ual&where=outcome%3Dsuccess"},
		{"page, search term + window", "/api/events?limit=100&q=ip:203.0.113.66&since=2023-05-20T00:00:00Z&until=2023-05-27T00:00:00Z"},
		{"page, actor term", "/api/events?limit=100&q=actor:user7@contoso1.com"},
		{"page, one day", "/api/events?limit=100&since=2023-06-01T00:00:00Z&until=2023-06-02T00:00:00Z&where=category%3Dmail"},
		{"page, free text", "/api/events?limit=100&q=forged"},
		{"histogram, whole case", "/api/histogram?buckets=300"},
		{"lanes by source", "/api/lanes?buckets=300&group=source"},
		{"lanes by tenant", "/api/lanes?buckets=300&group=tenant"},
		{"facets", "/api/facets?top=6"},
	}
	rounds, _ := strconv.Atoi(os.Getenv("CAUSEWAY_LOAD_ROUNDS"))
	if rounds <= 0 {
		rounds = 20
	}
	// CAUSEWAY_LOAD_ONLY, a regular expression, picks queries by name.
	only, err := regexp.Compile(os.Getenv("CAUSEWAY_LOAD_ONLY"))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range queries {
		if !only.MatchString(q.name) {
			continue
		}
		// Each round asks a distinct URL (an ignored parameter), so that
		// the answer cache never serves it: these are computing times.
		var wall, cpu []time.Duration
		for i := range rounds {
			r := httptest.NewRequest(http.MethodGet, fmt.Sprintf("%s&round=%d", q.path, i), nil)
			r.Header.Set("Authorization", "Bearer "+testToken)
			w := httptest.NewRecorder()
			start, cpu0 := time.Now(), cpuTime()
			s.Handler().ServeHTTP(w, r)
			wall = append(wall, time.Since(start))
			cpu = append(cpu, cpuTime()-cpu0)
			if w.Code != http.StatusOK {
				t.Fatalf("%s: %d %s", q.path, w.Code, w.Body.String())
			}
		}
		// And once more, as the cache answers a repeated view.
		r := httptest.NewRequest(http.MethodGet, fmt.Sprintf("%s&round=%d", q.path, 0), nil)
		r.Header.Set("Authorization", "Bearer "+testToken)
		start := time.Now()
		s.Handler().ServeHTTP(httptest.NewRecorder(), r)
		cached := time.Since(start)
		slices.Sort(wall)
		slices.Sort(cpu)
		p := func(ds []time.Duration, q float64) time.Duration {
			return ds[min(len(ds)-1, int(float64(len(ds))*q))].Round(time.Millisecond)
		}
		t.Logf("%-28s n=%d  wall p50 %7s p95 %7s | cpu p50 %7s p95 %7s | cached %v", q.name, n, p(wall, 0.5), p(wall, 0.95), p(cpu, 0.5), p(cpu, 0.95), cached.Round(time.Microsecond))
	}
}

// TestLoadFirstPaint measures the timeline's first meaningful paint (the
// case, lanes, histogram and first page of events drawn) in headless
// Chromium on a large case: cold (the first load after login computes
// every answer) and again (answers cached, as after the server's warm-up).
func TestLoadFirstPaint(t *testing.T) {
	chromiumPath(t)
	c, n := loadCase(t)
	s := newTestServer(t, c)
	b := newBrowser(t, s)
	ready := `document.body.dataset.ready === "1"`
	mark := `String(Math.round(performance.getEntriesByName("causeway-ready")[0].startTime))`
	b.do(chromedp.Navigate(b.base + "/login?token=" + testToken))
	b.waitFor(ready)
	cold := b.eval(mark)
	b.screenshot("load-first-paint")
	b.do(chromedp.Navigate(b.base + "/"))
	b.waitFor(ready)
	warm := b.eval(mark)
	t.Logf("first meaningful paint on %d events: cold %s ms, cached %s ms", n, cold, warm)
	t.Logf("resources of the cached load: %s", b.eval(`performance.getEntriesByType("resource").map(r => r.name.replace(location.origin, "") + " " + Math.round(r.startTime) + "+" + Math.round(r.duration)).join("; ")`))
	t.Logf("dom content loaded at %s ms", b.eval(`String(Math.round(performance.getEntriesByType("navigation")[0].domContentLoadedEventEnd))`))

	// As `causeway serve` runs: a fresh server warms the whole-case answers
	// and the graph at start; a browser that arrives afterwards.
	s2 := newTestServer(t, c)
	start := time.Now()
	s2.warm()
	warmed := time.Since(start)
	b2 := newBrowser(t, s2)
	b2.do(chromedp.Navigate(b2.base + "/login?token=" + testToken))
	b2.waitFor(ready)
	t.Logf("serve flow on %d events: warm-up %v, then first meaningful paint %s ms", n, warmed.Round(time.Millisecond), b2.eval(mark))
}
