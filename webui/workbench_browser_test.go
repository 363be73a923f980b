package webui

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/causeway-ir/causeway/timeline"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// loginWith signs in with a token and opens query, waiting for the first
// paint of data.
func (b *browser) loginWith(token, query string) {
	b.t.Helper()
	b.do(chromedp.Navigate(b.base + "/login?token=" + token))
	if query != "" {
		b.do(chromedp.Navigate(b.base + "/" + query))
	}
	b.waitFor(`document.body.dataset.ready === "1"`)
}

// another returns a second browser context (its own cookies) on the same
// Chromium and server.
func (b *browser) another() *browser {
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	b.t.Cleanup(cancel)
	o := &browser{t: b.t, ctx: ctx, base: b.base, shots: b.shots}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1440, 900)); err != nil {
		b.t.Fatal(err)
	}
	return o
}

// TestBrowserWorkbench drives the workbench in Chromium: starring an event
// survives a reload, a click on a graph node lands on the entity page,
// a saved view reopens from its link, two people annotating at once lose
// nothing, the board and the audit trail render.
func TestBrowserWorkbench(t *testing.T) {
	chromiumPath(t)
	c := buildCase(t, "", 2000, false)
	s := newTestServer(t, c)
	anaTok := addUser(t, c, "ana", timeline.RoleAnalyst)
	veraTok := addUser(t, c, "vera", timeline.RoleViewer)
	b := newBrowser(t, s)
	b.login("")

	t.Run("star survives reload", func(t *testing.T) {
		b.t = t
		// The table is drawn again when the findings arrive: click after that.
		b.waitFor(`document.getElementById("findings-count").textContent !== ""`)
		b.do(chromedp.Click(chromedp.CSS(`#events-body tr:nth-child(3) td.time`)))
		b.waitFor(`document.querySelector("#drawer-body .annot[data-loaded='1']") !== null`)
		id := b.eval(`document.querySelector("#drawer-body .annot").dataset.target`)
		b.do(chromedp.KeyEvent("s"))
		b.waitFor(`document.querySelector("#drawer-body .save-status").textContent === "saved"`)
		b.do(chromedp.KeyEvent("t"))
		b.waitFor(`document.activeElement === document.querySelector("#drawer-body .tags-input")`)
		b.eval(`document.querySelector("#drawer-body .tags-input").value = ""`) // CDP delivers the "t" to the field it focused
		b.do(chromedp.KeyEvent("forged, " + evil + kb.Tab))
		b.waitFor(`document.querySelector("#drawer-body .save-status").textContent === "saved"`)
		b.do(chromedp.Reload())
		b.waitFor(`document.body.dataset.ready === "1"`)
		b.waitFor(`document.querySelector("#events-body tr:nth-child(3) td.star.on") !== null`)
		b.waitFor(`document.querySelector("#drawer-body .star-btn[aria-pressed='true']") !== null`)
		if got := b.eval(`document.querySelector("#drawer-body .tags-input").value`); got != evil+", forged" {
			t.Errorf("tags after reload = %q", got)
		}
		if n := b.eval(`String(document.querySelectorAll("#events-body td.star.on").length)`); n != "1" {
			t.Errorf("%s starred rows, want 1", n)
		}
		as, err := s.db.Annotations(t.Context(), id)
		if err != nil || len(as) != 1 || !as[0].Star || as[0].Author != "owner" {
			t.Errorf("stored annotation of %s = %+v, %v", id, as, err)
		}
		b.screenshot("10-starred")
	})

	t.Run("graph node opens entity page", func(t *testing.T) {
		b.t = t
		b.do(chromedp.Navigate(b.base + "/?view=graph&from=token:forged7"))
		b.waitFor(`document.querySelector("#diagram[data-ready='1'] svg g.node a") !== null`)
		// Expanding a node's neighbours on demand lists its edges.
		b.do(chromedp.Click(chromedp.CSS(`.chain-node button[aria-expanded]`)))
		b.waitFor(`document.querySelectorAll(".chain-node .neigh .edge").length > 0`)
		b.screenshot("11-graph-svg")
		// The node of the IP the forged token came from.
		sel := `#diagram g.node a[*|href="#/entity/mailbox:user7@contoso0.com"]`
		if b.eval(`document.querySelector('`+sel+`') ? "yes" : "no"`) != "yes" {
			t.Fatalf("no node for mailbox:user7@contoso0.com: %s", b.eval(`[...document.querySelectorAll("#diagram g.node a")].map(a => a.getAttribute("xlink:href") || a.getAttribute("href")).join(" ")`))
		}
		b.do(chromedp.Click(chromedp.CSS(sel + ` text`)))
		b.waitFor(`document.querySelector(".entity-page[data-ready='1']") !== null`)
		if got := b.eval(`document.querySelector(".entity-page").dataset.entity`); got != "mailbox:user7@contoso0.com" {
			t.Errorf("entity page of %q", got)
		}
		if u := b.eval(`location.search`); !strings.Contains(u, "view=entity") || !strings.Contains(u, "entity=mailbox%3Auser7%40contoso0.com") {
			t.Errorf("URL after the click = %q", u)
		}
		if q := b.eval(`document.getElementById("search").value`); q != "target:user7@contoso0.com" {
			t.Errorf("timeline not pivoted: search = %q", q)
		}
		if n := b.eval(`String(document.querySelectorAll("#entity-edges .edge").length)`); n == "0" {
			t.Errorf("entity page lists no edges")
		}
		if n := b.eval(`String(document.querySelectorAll(".entity-page .mini-bar").length)`); n != "80" {
			t.Errorf("mini timeline has %s bars", n)
		}
		b.screenshot("12-entity-page")
		// An assertion made on the entity page shows among its edges as asserted.
		b.do(chromedp.SendKeys(chromedp.CSS(`.assert-form input[name="to"]`), "identity:intel@example.org"),
			chromedp.SendKeys(chromedp.CSS(`.assert-form textarea[name="why"]`), "the provider's advisory"+kb.Tab),
			chromedp.Click(chromedp.CSS(`.assert-form button[type="submit"]`)))
		b.waitFor(`[...document.querySelectorAll("#entity-edges .edge.ev-asserted")].some(e => e.textContent.includes("intel@example.org"))`)
		if as, _ := s.db.Assertions(t.Context()); len(as) != 1 || as[0].Who != "owner" || as[0].From.String() != "mailbox:user7@contoso0.com" {
			t.Errorf("assertions after the form = %+v", as)
		}
		// Made without a time, it holds in any window, and the chain says its
		// time is unknown rather than invent one.
		b.do(chromedp.Navigate(b.base + "/?view=graph&from=mailbox:user7@contoso0.com"))
		b.waitFor(`document.querySelectorAll("#graph-body .edge-list .edge").length > 0 || document.querySelector("#graph-body .empty") !== null`)
		undated := `[...document.querySelectorAll("#graph-body .edge-list .edge.ev-asserted")].filter(e => e.textContent.includes("intel@example.org"))`
		if got := b.eval(undated + `.map(e => e.querySelector(".mono").textContent).join("|")`); got != "time unknown" {
			t.Errorf("the undated assertion's time in the chain list: %q, want \"time unknown\"", got)
		}
		if strings.Contains(b.eval(`document.getElementById("graph-body").textContent`), "0001-01-01") {
			t.Errorf("the chain shows year 1")
		}
		// The backward trace from a mailbox.
		b.do(chromedp.Navigate(b.base + "/?view=graph&from=mailbox:user7@contoso0.com&dir=backward"))
		b.waitFor(`document.querySelector("#diagram[data-ready='1'] svg g.node") !== null || document.querySelector("#graph-body .empty") !== null`)
		b.screenshot("13-graph-backward")
		if msg := b.eval(`(document.querySelector("#graph-body .empty") || {}).textContent || ""`); msg != "" {
			t.Errorf("backward trace: %s", msg)
		}
	})

	t.Run("saved view reopens", func(t *testing.T) {
		b.t = t
		b.do(chromedp.Navigate(b.base + "/?q=source%3Aaws.cloudtrail&group=tenant"))
		b.waitFor(`document.body.dataset.ready === "1"`)
		b.do(chromedp.SendKeys(chromedp.CSS("#save-view-name"), "AWS by tenant"+kb.Enter))
		b.waitFor(`[...document.querySelectorAll("#saved-views a")].some(a => a.textContent === "AWS by tenant")`)
		b.screenshot("14-saved-view")
		b.do(chromedp.Navigate(b.base + "/?view=findings"))
		b.waitFor(`document.body.dataset.ready === "1"`)
		b.waitFor(`document.querySelector("#saved-views a") !== null`)
		href := b.eval(`document.querySelector("#saved-views a").getAttribute("href")`)
		b.do(chromedp.Navigate(b.base + href))
		b.waitFor(`document.body.dataset.ready === "1" && location.search.includes("group=tenant")`)
		if q := b.eval(`document.getElementById("search").value`); q != "source:aws.cloudtrail" {
			t.Errorf("reopened view: search = %q", q)
		}
		if g := b.eval(`document.getElementById("group").value`); g != "tenant" {
			t.Errorf("reopened view: group = %q", g)
		}
	})

	t.Run("board and audit", func(t *testing.T) {
		b.t = t
		b.do(chromedp.Navigate(b.base + "/?view=board"))
		b.waitFor(`document.querySelector("#board[data-ready='1']") !== null`)
		if h := b.eval(`document.querySelector("#board .headline").textContent`); h == "" {
			t.Errorf("board has no headline")
		}
		if n := b.eval(`String(document.querySelectorAll("#board .exports a").length)`); n != "4" {
			t.Errorf("%s export links, want 4", n)
		}
		b.screenshot("15-board")
		b.do(chromedp.Navigate(b.base + "/?view=audit"))
		b.waitFor(`document.querySelectorAll("#view-audit tbody tr").length >= 3`)
		b.screenshot("16-audit")
	})

	t.Run("two people annotate at once", func(t *testing.T) {
		b.t = t
		ana := b.another()
		ana.t = t
		ana.loginWith(anaTok, "?ev=ev-00000013")
		b.do(chromedp.Navigate(b.base + "/?ev=ev-00000013"))
		b.waitFor(`document.body.dataset.ready === "1"`)
		for _, x := range []*browser{b, ana} {
			x.waitFor(`document.querySelector("#drawer-body .annot[data-loaded='1']") !== null`)
		}
		var wg sync.WaitGroup
		for i, x := range []*browser{b, ana} {
			wg.Go(func() {
				ctx, cancel := context.WithTimeout(x.ctx, 60*time.Second)
				defer cancel()
				note := []string{"owner's note", "ana's note"}[i]
				_ = chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#drawer-body .star-btn")),
					chromedp.SendKeys(chromedp.CSS("#drawer-body .note-input"), note),
					chromedp.SendKeys(chromedp.CSS("#drawer-body .tags-input"), "both"+kb.Tab))
			})
		}
		wg.Wait()
		for _, x := range []*browser{b, ana} {
			x.waitFor(`document.querySelector("#drawer-body .save-status").textContent === "saved"`)
		}
		as, err := s.db.Annotations(t.Context(), "event:ev-00000013")
		if err != nil || len(as) != 2 {
			t.Fatalf("annotations = %+v, %v", as, err)
		}
		for _, a := range as {
			want := map[string]string{"owner": "owner's note", "ana": "ana's note"}[a.Author]
			if !a.Star || a.Note != want || strings.Join(a.Tags, ",") != "both" {
				t.Errorf("%s's annotation = %+v", a.Author, a)
			}
		}
		// Each sees the other's after a reload.
		ana.do(chromedp.Reload())
		ana.waitFor(`document.querySelector("#drawer-body .annot[data-loaded='1'] .other") !== null`)
		if got := ana.eval(`document.querySelector("#drawer-body .other").textContent`); !strings.Contains(got, "owner's note") {
			t.Errorf("ana sees %q", got)
		}
		ana.screenshot("17-two-annotators")
	})

	t.Run("viewer cannot write", func(t *testing.T) {
		b.t = t
		v := b.another()
		v.t = t
		v.loginWith(veraTok, "?ev=ev-00000013")
		v.waitFor(`document.querySelector("#drawer-body .annot[data-loaded='1']") !== null`)
		if v.eval(`document.querySelector("#drawer-body .star-btn").disabled ? "disabled" : "enabled"`) != "disabled" {
			t.Errorf("a viewer's star button is enabled")
		}
		// Whatever the UI shows, the server refuses the viewer's write.
		ectx, cancel := context.WithTimeout(v.ctx, 30*time.Second)
		defer cancel()
		code, err := chromedp.Run(ectx, chromedp.Evaluate[string](`(async () => { const me = await (await fetch("/api/me")).json();
			const r = await fetch("/api/annotations", {method: "POST", headers: {"Content-Type": "application/json", "X-CSRF-Token": me.csrf},
			body: JSON.stringify({target: "event:ev-00000013", star: true})}); return String(r.status); })()`, chromedp.EvalAwaitPromise))
		if err != nil || code != "403" {
			t.Errorf("viewer's POST from the page: %s %v, want 403", code, err)
		}
		v.screenshot("18-viewer")
		// Signing out ends the session: the page asks to sign in again.
		v.do(chromedp.Click(chromedp.CSS("#sign-out")))
		signedOut := false
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline) && !signedOut; time.Sleep(50 * time.Millisecond) {
			ctx, cancel := context.WithTimeout(v.ctx, 2*time.Second)
			got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("banner") && !document.getElementById("banner").hidden ? document.getElementById("banner").textContent : ""`))
			cancel()
			signedOut = err == nil && strings.Contains(got, "login URL") // errors: the page is navigating
		}
		if !signedOut {
			t.Errorf("after signing out the page does not ask to sign in")
		}
	})
	b.t = t
	b.noDialogs()
}
