package exercise

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/causeway-ir/causeway/timeline"
	"github.com/google/go-cmp/cmp"
)

// visibleIDs asks the API for the participant's events as user and checks
// that none is after the clock the page reports; it returns their ids.
func (h *harness) visibleIDs(t *testing.T, user string) ([]string, time.Time) {
	t.Helper()
	var page EventsPage
	if err := json.Unmarshal(h.must(t, "GET", "/api/exercise/events?limit=2000", user, ""), &page); err != nil {
		t.Fatal(err)
	}
	if page.Older {
		t.Fatalf("older events reported with limit 2000 on %d events", len(h.all))
	}
	ids := []string{}
	for _, e := range page.Events {
		if e.Time.After(page.Clock) {
			t.Errorf("event %s at %s is after the clock %s", e.ID, e.Time, page.Clock)
		}
		ids = append(ids, e.ID)
	}
	return ids, page.Clock
}

// expectIDs returns the ids of the synthetic events that keep holds for,
// at or before clock, in time order.
func (h *harness) expectIDs(clock time.Time, keep func(e *timeline.Event) bool) []string {
	ids := []string{}
	for i := range h.all {
		e := &h.all[i]
		if !e.Time.After(clock) && keep(e) {
			ids = append(ids, e.ID)
		}
	}
	return ids
}

func TestVisibilityThroughAPI(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{t: time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)}
	h := newHarness(t, testYAML, clock)
	own := func(e *timeline.Event) bool {
		return e.Tenant == tenantA && (e.Source == "entra.signin" || e.Source == "m365.ual")
	}
	customer := func(e *timeline.Event) bool { return e.Source == "entra.signin" || e.Source == "m365.ual" }
	withB := func(e *timeline.Event) bool { return customer(e) || e.Source == "jwt.capture" && e.Tenant == tenantB }
	all := func(*timeline.Event) bool { return true }
	steps := []struct {
		name      string
		action    func(t *testing.T)
		wantClock time.Time
		keep      func(e *timeline.Event) bool
	}{
		{"start", func(*testing.T) {}, t0, own},
		{"step to the alert", func(t *testing.T) { h.must(t, "POST", "/api/exercise/step", facil, "") }, t0, own},
		{"advance 3h", func(t *testing.T) { h.must(t, "POST", "/api/exercise/advance", facil, `{"by":"3h"}`) }, t0.Add(3 * time.Hour), own},
		{"step to spread", func(t *testing.T) { h.must(t, "POST", "/api/exercise/step", facil, "") }, t0.Add(6 * time.Hour), customer},
		{"release provider filter early", func(t *testing.T) {
			h.must(t, "POST", "/api/exercise/release", facil, `{"inject":"provider"}`)
		}, t0.Add(6 * time.Hour), withB},
		{"play 5 s at 1 h/s", func(t *testing.T) {
			h.must(t, "POST", "/api/exercise/play", facil, `{"speed":3600}`)
			clock.Add(5 * time.Second)
			h.must(t, "POST", "/api/exercise/pause", facil, "")
			clock.Add(time.Hour) // paused: the exercise clock stays
		}, t0.Add(11 * time.Hour), withB},
		{"release all telemetry", func(t *testing.T) {
			h.must(t, "POST", "/api/exercise/release", facil, `{"inject":"all-telemetry"}`)
		}, t0.Add(11 * time.Hour), all},
		{"advance past the end", func(t *testing.T) {
			h.must(t, "POST", "/api/exercise/advance", facil, `{"to":"2023-06-20T00:00:00Z"}`)
		}, time.Date(2023, 6, 17, 0, 0, 0, 0, time.UTC), all},
	}
	for _, st := range steps { // in order: each step builds on the last
		st.action(t)
		for _, user := range []string{alice, facil} {
			got, gotClock := h.visibleIDs(t, user)
			if !gotClock.Equal(st.wantClock) {
				t.Errorf("%s: clock = %s, want %s", st.name, gotClock, st.wantClock)
			}
			want := h.expectIDs(st.wantClock, st.keep)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s as %s: visible events (-want +got):\n%s", st.name, user, diff)
			}
			if len(got) == 0 {
				t.Errorf("%s: no events visible: the test would prove nothing", st.name)
			}
		}
	}
	// Events exist beyond the end: none was ever sent.
	last := h.all[len(h.all)-1].Time
	if !last.After(time.Date(2023, 6, 17, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("fixture ends at %s: no event lies beyond the exercise end", last)
	}
}

func TestLatestLimit(t *testing.T) {
	t.Parallel()
	h := newHarness(t, testYAML, nil)
	h.must(t, "POST", "/api/exercise/advance", facil, `{"by":"30h"}`)
	var page EventsPage
	if err := json.Unmarshal(h.must(t, "GET", "/api/exercise/events?limit=7", alice, ""), &page); err != nil {
		t.Fatal(err)
	}
	want := h.expectIDs(t0.Add(30*time.Hour), func(e *timeline.Event) bool {
		return e.Tenant == tenantA && e.Source != "jwt.capture"
	})
	want = want[len(want)-7:]
	var got []string
	for _, e := range page.Events {
		got = append(got, e.ID)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("latest 7 (-want +got):\n%s", diff)
	}
	if !page.Older {
		t.Error("older = false, want true")
	}
	// While the clock moves, the next pages are built from the last one
	// plus the time in between: they must equal a fresh read.
	for _, by := range []string{"20m", "1h", "5h"} {
		h.must(t, "POST", "/api/exercise/advance", facil, `{"by":"`+by+`"}`)
		var page EventsPage
		decodeJSON(t, h.must(t, "GET", "/api/exercise/events?limit=7", alice, ""), &page)
		want := h.expectIDs(page.Clock, func(e *timeline.Event) bool { return e.Tenant == tenantA && e.Source != "jwt.capture" })
		want = want[len(want)-7:]
		var got []string
		for _, e := range page.Events {
			got = append(got, e.ID)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("latest 7 after +%s (-want +got):\n%s", by, diff)
		}
	}
}

func TestParticipantStateHidesTheFuture(t *testing.T) {
	t.Parallel()
	h := newHarness(t, testYAML, nil)
	h.must(t, "POST", "/api/exercise/step", facil, "")
	b := h.must(t, "GET", "/api/exercise/state", alice, "")
	for _, secret := range []string{"expect", "user1", "facilitator only", "Other customers call", "provider shares", "reveals", tenantB} {
		if bytes.Contains(b, []byte(secret)) {
			t.Errorf("participant state holds %q: %s", secret, b)
		}
	}
	var st ParticipantState
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	if st.Current == nil || st.Current.ID != "alert" || len(st.Current.Questions) != 2 {
		t.Fatalf("current inject = %+v, want alert with 2 questions", st.Current)
	}
	if st.Current.Text != "An alert: "+evil {
		t.Errorf("inject text = %q", st.Current.Text)
	}
	// A facilitator asking for the participant view gets the same.
	if got := h.must(t, "GET", "/api/exercise/state?view=participant", facil, ""); bytes.Contains(got, []byte("expect")) {
		t.Errorf("participant view for a facilitator holds expected answers")
	}
	// The facilitator's own view has them.
	var fs FacilitatorState
	if err := json.Unmarshal(h.must(t, "GET", "/api/exercise/state", facil, ""), &fs); err != nil {
		t.Fatal(err)
	}
	if len(fs.Injects) != 4 || fs.Injects[0].Questions[0].Expect[0] != "user1" || fs.Next == nil || fs.Next.Name != "Spread" {
		t.Errorf("facilitator state: %d injects, next %+v", len(fs.Injects), fs.Next)
	}
}

func TestAuthAndErrors(t *testing.T) {
	t.Parallel()
	h := newHarness(t, testYAML, nil)
	tests := []struct {
		name, method, path, user, body string
		csrf                           bool
		want                           int
	}{
		{"nobody", "GET", "/api/exercise/events", "", "", false, http.StatusUnauthorized},
		{"viewer cannot follow", "GET", "/api/exercise/events", "vic:viewer", "", false, http.StatusForbidden},
		{"participant cannot step", "POST", "/api/exercise/step", alice, "", true, http.StatusForbidden},
		{"participant cannot export", "GET", "/api/exercise/export.json", alice, "", false, http.StatusForbidden},
		{"analyst can step", "POST", "/api/exercise/advance", "ana:analyst", `{"by":"1m"}`, true, http.StatusOK},
		{"no csrf header", "POST", "/api/exercise/advance", facil, `{"by":"1m"}`, false, http.StatusForbidden},
		{"backwards", "POST", "/api/exercise/advance", facil, `{"to":"2023-06-01T00:00:00Z"}`, true, http.StatusConflict},
		{"bad duration", "POST", "/api/exercise/advance", facil, `{"by":"soon"}`, true, http.StatusBadRequest},
		{"unknown field", "POST", "/api/exercise/advance", facil, `{"when":"1h"}`, true, http.StatusBadRequest},
		{"unknown inject", "POST", "/api/exercise/release", facil, `{"inject":"nope"}`, true, http.StatusNotFound},
		{"answer unreleased", "POST", "/api/exercise/answer", alice, `{"inject":"spread","question":0,"answer":"x"}`, true, http.StatusConflict},
		{"bad limit", "GET", "/api/exercise/events?limit=0", alice, "", false, http.StatusBadRequest},
		{"unknown API", "GET", "/api/exercise/nope", alice, "", false, http.StatusNotFound},
		{"static path climbing", "GET", "/exercise/static/../exercise.db", alice, "", false, http.StatusNotFound},
	}
	for _, tt := range tests { // sequential: they share the session
		req, _ := http.NewRequestWithContext(context.Background(), tt.method, h.ts.URL+tt.path, strings.NewReader(tt.body))
		if tt.user != "" {
			req.Header.Set("X-User", tt.user)
		}
		if tt.csrf {
			req.Header.Set("X-CSRF-Token", "x")
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != tt.want {
			t.Errorf("%s: status %d, want %d", tt.name, res.StatusCode, tt.want)
		}
	}
	// A cross-site request with the header is refused too.
	req, _ := http.NewRequestWithContext(context.Background(), "POST", h.ts.URL+"/api/exercise/step", nil)
	req.Header.Set("X-User", facil)
	req.Header.Set("X-CSRF-Token", "x")
	req.Header.Set("Origin", "https://evil.example")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("cross-origin step: status %d, want 403", res.StatusCode)
	}
}

func TestAnswersRecordedAndExported(t *testing.T) {
	t.Parallel()
	all := synthEvents(120)
	c := newCase(t, all)
	h := openHarness(t, c, all, testYAML, nil)
	h.must(t, "POST", "/api/exercise/step", facil, "")
	h.must(t, "POST", "/api/exercise/answer", alice, `{"inject":"alert","question":0,"answer":"user1 in tenant A"}`)
	h.must(t, "POST", "/api/exercise/answer", bob, `{"inject":"alert","question":1,"answer":"=HYPERLINK(\"http://x\",\"y\")"}`)
	if code, _ := h.do(t, "POST", "/api/exercise/answer", bob, `{"inject":"alert","question":2,"answer":"x"}`); code != http.StatusBadRequest {
		t.Errorf("question 3 of 2: status %d, want 400", code)
	}
	if code, _ := h.do(t, "POST", "/api/exercise/answer", bob, `{"inject":"alert","question":0,"answer":"   "}`); code != http.StatusBadRequest {
		t.Errorf("empty answer: status %d, want 400", code)
	}
	h.must(t, "POST", "/api/exercise/note", facil, `{"note":"`+strings.ReplaceAll(evil, `"`, `\"`)+` good discussion"}`)

	var fs FacilitatorState
	if err := json.Unmarshal(h.must(t, "GET", "/api/exercise/state", facil, ""), &fs); err != nil {
		t.Fatal(err)
	}
	type row struct{ Who, Inject, Ask, Answer string }
	var got []row
	for _, a := range fs.Answers {
		got = append(got, row{a.Participant, a.Inject, a.Ask, a.Answer})
	}
	want := []row{
		{"alice", "alert", "Which mailbox?", "user1 in tenant A"},
		{"bob", "alert", "What next?", `=HYPERLINK("http://x","y")`},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("answers (-want +got):\n%s", diff)
	}

	// JSON export.
	var d Debrief
	if err := json.Unmarshal(h.must(t, "GET", "/api/exercise/export.json", facil, ""), &d); err != nil {
		t.Fatal(err)
	}
	if len(d.Answers) != 2 || len(d.Notes) != 1 || d.Injects[0].Questions[0].Expect[0] != "user1" || len(d.Log) == 0 {
		t.Errorf("debrief: %d answers, %d notes, %d log entries", len(d.Answers), len(d.Notes), len(d.Log))
	}

	// CSV export: formula-safe, and it parses back.
	recs, err := csv.NewReader(bytes.NewReader(h.must(t, "GET", "/api/exercise/export.csv", facil, ""))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 4 || !slices.Equal(recs[0], csvHeader) {
		t.Fatalf("csv: %d rows, header %v", len(recs), recs[0])
	}
	if got := recs[2][10]; got != `'=HYPERLINK("http://x","y")` {
		t.Errorf("formula cell = %q, want it quoted", got)
	}
	if recs[1][3] != "T+1d 0h" || recs[1][9] != "user1" || recs[3][0] != "note" {
		t.Errorf("csv rows: %q", recs[1:])
	}

	// Everything survives a restart: answers, released injects, clock.
	h.must(t, "POST", "/api/exercise/advance", facil, `{"by":"2h"}`)
	h.s.Close()
	h2 := openHarness(t, c, all, testYAML, nil)
	var fs2 FacilitatorState
	if err := json.Unmarshal(h2.must(t, "GET", "/api/exercise/state", facil, ""), &fs2); err != nil {
		t.Fatal(err)
	}
	if len(fs2.Answers) != 2 || !fs2.Clock.Equal(t0.Add(2*time.Hour)) || fs2.Current == nil || fs2.Current.ID != "alert" {
		t.Errorf("after restart: %d answers, clock %s, current %+v", len(fs2.Answers), fs2.Clock, fs2.Current)
	}
}

// TestStreamFollows checks that a participant's event stream announces a
// step within a second, and never carries the facilitator's data.
func TestStreamFollows(t *testing.T) {
	t.Parallel()
	h := newHarness(t, testYAML, nil)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", h.ts.URL+"/api/exercise/stream", nil)
	req.Header.Set("X-User", alice)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if ct := res.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	states := make(chan ParticipantState, 16)
	go func() {
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			data, ok := strings.CutPrefix(sc.Text(), "data: ")
			if !ok {
				continue
			}
			if strings.Contains(data, "expect") || strings.Contains(data, `"answers"`) {
				t.Errorf("participant stream carries facilitator data: %s", data)
			}
			var st ParticipantState
			if err := json.Unmarshal([]byte(data), &st); err == nil {
				states <- st
			}
		}
		close(states)
	}()
	first := <-states
	if first.Current != nil {
		t.Fatalf("an inject before any step: %+v", first.Current)
	}
	h.must(t, "POST", "/api/exercise/step", facil, "")
	h.must(t, "POST", "/api/exercise/step", facil, "")
	sent := time.Now()
	deadline := time.After(time.Second)
	for {
		select {
		case st, ok := <-states:
			if !ok {
				t.Fatal("stream ended")
			}
			if st.Current != nil && st.Current.ID == "spread" {
				if !st.Clock.Equal(t0.Add(6 * time.Hour)) {
					t.Errorf("clock %s with the spread inject", st.Clock)
				}
				t.Logf("stream followed in %v", time.Since(sent))
				return
			}
		case <-deadline:
			t.Fatal("the stream did not announce the step within a second")
		}
	}
}

// TestNarrowNeverWidens checks that a participant's source and text
// filters only narrow what the visibility rule allows.
func TestNarrowNeverWidens(t *testing.T) {
	t.Parallel()
	h := newHarness(t, testYAML, nil)
	ids := func(query string) []string {
		var page EventsPage
		decodeJSON(t, h.must(t, "GET", "/api/exercise/events?limit=2000&"+query, alice, ""), &page)
		out := []string{}
		for _, e := range page.Events {
			out = append(out, e.ID)
		}
		return out
	}
	if got := ids("source=jwt.capture"); len(got) != 0 {
		t.Errorf("unreleased telemetry through a source filter: %v", got)
	}
	h.must(t, "POST", "/api/exercise/advance", facil, `{"by":"6h"}`)
	clock := t0.Add(6 * time.Hour)
	if diff := cmp.Diff(h.expectIDs(clock, func(e *timeline.Event) bool { return e.Tenant == tenantA && e.Source == "m365.ual" }),
		ids("source=m365.ual,jwt.capture")); diff != "" {
		t.Errorf("source filter (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(h.expectIDs(clock, func(e *timeline.Event) bool {
		return e.Tenant == tenantA && e.Source != "jwt.capture" && strings.Contains(e.Message, "<img")
	}), ids("q=%3Cimg")); diff != "" {
		t.Errorf("text filter (-want +got):\n%s", diff)
	}
	h.must(t, "POST", "/api/exercise/release", facil, `{"inject":"provider"}`)
	if diff := cmp.Diff(h.expectIDs(clock, func(e *timeline.Event) bool { return e.Tenant == tenantB && e.Source == "jwt.capture" }),
		ids("source=jwt.capture")); diff != "" {
		t.Errorf("released telemetry (-want +got):\n%s", diff)
	}
}

// TestStepsToTheEnd walks every stage, then one more, then past the end.
func TestStepsToTheEnd(t *testing.T) {
	t.Parallel()
	h := newHarness(t, testYAML, nil)
	for range 3 {
		h.must(t, "POST", "/api/exercise/step", facil, "")
	}
	if code, body := h.do(t, "POST", "/api/exercise/step", facil, ""); code != http.StatusConflict || !strings.Contains(string(body), "no further stage") {
		t.Errorf("step past the last stage: %d %s", code, body)
	}
	var st ParticipantState
	decodeJSON(t, h.must(t, "POST", "/api/exercise/advance", facil, `{"by":"30d"}`), &st)
	if !st.Ended || !st.Clock.Equal(time.Date(2023, 6, 17, 0, 0, 0, 0, time.UTC)) || st.Stage != "Provider" {
		t.Errorf("after the end: ended %v, clock %s, stage %q", st.Ended, st.Clock, st.Stage)
	}
	// Stepping released every stage's injects, but not the ones given by time.
	var got []string
	for _, in := range st.Released {
		got = append(got, in.ID)
	}
	if diff := cmp.Diff([]string{"alert", "spread"}, got); diff != "" {
		t.Errorf("released (-want +got):\n%s", diff)
	}
}
