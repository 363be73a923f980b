package timeline

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var t0 = time.Date(2023, 6, 1, 0, 0, 0, 0, time.UTC)

func fixedNow() time.Time { return t0 }

// testEvent makes the i-th synthetic event: one a minute from t0.
func testEvent(i int, source string) Event {
	return Event{
		ID: fmt.Sprintf("ev-%d", i), Time: t0.Add(time.Duration(i) * time.Minute), Source: source, Shape: "test",
		Category: CategoryMail, Action: "MailItemsAccessed", Outcome: OutcomeSuccess,
		Actor: fmt.Sprintf("user%d@contoso.com", i%7), Target: fmt.Sprintf("mailbox%d@contoso.com", i%3), TargetKind: "mailbox",
		Message: fmt.Sprintf("User%d read item %d", i%7, i), Raw: fmt.Sprintf(`{"n":%d}`, i), File: "f.json", FileSHA256: "abc", Offset: int64(i * 10),
	}
}

func importEvents(t *testing.T, c *Case, evs []Event, opts RunOptions) (added, dups, collisions int) {
	t.Helper()
	opts.Now = fixedNow
	r, err := c.BeginRun(opts)
	if err != nil {
		t.Fatal(err)
	}
	for i := range evs {
		res, err := r.Add(&evs[i])
		if err != nil {
			t.Fatal(err)
		}
		switch res {
		case Added:
			added++
		case Duplicate:
			dups++
		case Collision:
			collisions++
		}
	}
	r.AddFile(FileRecord{Path: "f.json", Imported: int64(added + collisions), Duplicates: int64(dups)})
	if _, err := r.Commit(); err != nil {
		t.Fatal(err)
	}
	return added, dups, collisions
}

func newCase(t *testing.T) *Case {
	t.Helper()
	c, err := Create(filepath.Join(t.TempDir(), "case"), "test", t0)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestStoreRoundTripAndDedupe(t *testing.T) {
	t.Parallel()
	c := newCase(t)
	var evs []Event
	for i := range 3000 { // a little over two days, so three date partitions
		evs = append(evs, testEvent(i, "m365.ual"))
	}
	// Small buffers and row groups force several parts and row groups.
	opts := RunOptions{MaxBuffered: 200 << 10, RowGroupRows: 500}
	if a, d, _ := importEvents(t, c, evs, opts); a != 3000 || d != 0 {
		t.Fatalf("first import: added %d dups %d", a, d)
	}
	if a, d, _ := importEvents(t, c, evs[1000:2000], opts); a != 0 || d != 1000 {
		t.Fatalf("second import: added %d dups %d, want 0 and 1000", a, d)
	}
	c, err := Open(c.Dir())
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := c.Scan(t.Context(), Query{Raw: true}, func(e *Event) error {
		n++
		want := testEvent(int(e.Offset/10), "m365.ual")
		if diff := cmp.Diff(want, *e); diff != "" {
			t.Fatalf("scanned event differs (-want +got):\n%s", diff)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if n != 3000 {
		t.Fatalf("scan found %d events, want 3000", n)
	}
	if got := len(c.Manifest().Runs); got != 2 {
		t.Fatalf("runs = %d", got)
	}
	// The first run flushed often (small buffers) but merged its parts:
	// one per (source, date).
	if got := len(c.Manifest().Parts); got != 3 {
		t.Fatalf("%d parts, want 3 (one per date)", got)
	}
}

func TestStoreCollision(t *testing.T) {
	t.Parallel()
	c := newCase(t)
	a := testEvent(1, "aws.cloudtrail")
	b := a
	b.Time = b.Time.Add(time.Hour) // same provider id, another time
	if _, _, col := importEvents(t, c, []Event{a, b}, RunOptions{}); col != 1 {
		t.Fatalf("collisions = %d, want 1", col)
	}
	if _, d, _ := importEvents(t, c, []Event{a, b}, RunOptions{}); d != 2 {
		t.Fatalf("re-import dups = %d, want 2", d)
	}
	c, _ = Open(c.Dir())
	p, err := c.Events(t.Context(), Query{})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Events) != 2 || p.Events[0].ID != "ev-1" || p.Events[1].ID == "ev-1" {
		t.Fatalf("events = %+v", p.Events)
	}
}

func TestQueries(t *testing.T) {
	t.Parallel()
	c := newCase(t)
	var evs []Event
	for i := range 2000 {
		src := "m365.ual"
		if i%4 == 0 {
			src = "entra.signin"
		}
		evs = append(evs, testEvent(i, src))
	}
	importEvents(t, c, evs, RunOptions{MaxBuffered: 100 << 10, RowGroupRows: 300})
	c, _ = Open(c.Dir())
	ctx := t.Context()

	// A window of one hour: minutes 600..659.
	q := Query{Since: t0.Add(600 * time.Minute), Until: t0.Add(660 * time.Minute), Limit: 25}
	var got []string
	for {
		p, err := c.Events(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if p.Total != 60 {
			t.Fatalf("total = %d, want 60", p.Total)
		}
		for _, e := range p.Events {
			got = append(got, e.ID)
			if e.Raw != "" {
				t.Fatal("raw read without Raw")
			}
		}
		if p.Next == "" {
			break
		}
		q.Cursor = p.Next
	}
	var want []string
	for i := 600; i < 660; i++ {
		want = append(want, fmt.Sprintf("ev-%d", i))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("paged window (-want +got):\n%s", diff)
	}

	tests := []struct {
		name string
		q    Query
		want int64
	}{
		{"source", Query{Source: []string{"entra.signin"}}, 500},
		{"where actor any case", Query{Where: []Cond{{"actor", "USER3@contoso.com"}}}, 286},
		{"where two", Query{Where: []Cond{{"actor", "user3@contoso.com"}, {"source", "entra.signin"}}}, 71},
		{"text in message", Query{Text: "ITEM 1999"}, 1},
		{"text in target", Query{Text: "mailbox2@"}, 666},
		{"window and text", Query{Since: t0, Until: t0.Add(10 * time.Minute), Text: "user1"}, 2},
		{"empty window", Query{Since: t0.Add(-time.Hour), Until: t0}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := c.Events(ctx, tc.q)
			if err != nil {
				t.Fatal(err)
			}
			if p.Total != tc.want {
				t.Errorf("total = %d, want %d", p.Total, tc.want)
			}
		})
	}

	h, err := c.Histogram(ctx, Query{}, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	// 2000 minutes: 1440 on day one, 560 on day two.
	if len(h) != 2 || h[0].Total != 1440 || h[1].Total != 560 || h[0].Counts["entra.signin"] != 360 {
		t.Fatalf("histogram = %+v", h)
	}
	f, err := c.Facets(ctx, Query{Source: []string{"m365.ual"}}, []string{"source", "target"}, 2)
	if err != nil {
		t.Fatal(err)
	}
	wantF := map[string][]FacetValue{
		"source": {{"m365.ual", 1500}},
		"target": {{"mailbox0@contoso.com", 500}, {"mailbox1@contoso.com", 500}}, // a tie, broken by value
	}
	if diff := cmp.Diff(wantF, f); diff != "" {
		t.Fatalf("facets (-want +got):\n%s", diff)
	}
	// Stored part counts (whole parts, no filter) and reading the parts (a
	// filter that every event passes) agree.
	cols := []string{"source", "actor", "target", "category"}
	fromStats, err := c.Facets(ctx, Query{}, cols, 20)
	if err != nil {
		t.Fatal(err)
	}
	fromScan, err := c.Facets(ctx, Query{Where: []Cond{{"outcome", "success"}}}, cols, 20)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(fromScan, fromStats); diff != "" {
		t.Fatalf("facets from stats differ from facets read (-read +stats):\n%s", diff)
	}
	// The page-index histogram and the value-by-value one agree, for hourly
	// buckets and a window that cuts pages.
	win := Query{Since: t0.Add(90 * time.Minute), Until: t0.Add(1500 * time.Minute)}
	byPages, err := c.Histogram(ctx, win, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	win.Where = []Cond{{"outcome", "success"}}
	byValues, err := c.Histogram(ctx, win, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(byValues, byPages); diff != "" || len(byPages) != 24 || byPages[0].Total != 30 {
		t.Fatalf("histograms differ (-values +pages):\n%s\n%v", diff, byPages)
	}
}

func TestAbortLeavesCaseUnchanged(t *testing.T) {
	t.Parallel()
	c := newCase(t)
	importEvents(t, c, []Event{testEvent(1, "s")}, RunOptions{})
	before := treeOf(t, c.Dir())
	r, err := c.BeginRun(RunOptions{Now: fixedNow, MaxBuffered: 1})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		e := testEvent(i+10, "s")
		if _, err := r.Add(&e); err != nil {
			t.Fatal(err)
		}
	}
	r.Reject(&ParseError{File: "x", Err: os.ErrInvalid})
	if err := r.Abort(); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(before, treeOf(t, c.Dir())); diff != "" {
		t.Fatalf("case changed by an aborted run (-before +after):\n%s", diff)
	}
}

// treeOf lists the files of dir with their sizes (the lock file excepted).
func treeOf(t *testing.T, dir string) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() && info.Name() != lockName {
			rel, _ := filepath.Rel(dir, p)
			out[rel] = info.Size()
		}
		return nil
	})
	return out
}

func TestStoreExtremeTimes(t *testing.T) {
	t.Parallel()
	c := newCase(t)
	a, b := testEvent(1, "s"), testEvent(2, "s")
	a.Time = time.Date(1, 1, 1, 0, 0, 1, 0, time.UTC)
	b.Time = time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC)
	importEvents(t, c, []Event{a, b}, RunOptions{})
	c, _ = Open(c.Dir())
	p, err := c.Events(t.Context(), Query{})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Events) != 2 || !p.Events[0].Time.Equal(a.Time) || !p.Events[1].Time.Equal(b.Time) {
		t.Fatalf("events = %v", p.Events)
	}
	p, _ = c.Events(t.Context(), Query{Since: time.Date(9000, 1, 1, 0, 0, 0, 0, time.UTC)})
	if p.Total != 1 {
		t.Fatalf("window at year 9000: %d", p.Total)
	}
}

// TestReadersDuringImports queries a case while runs commit into it: every
// reader sees a whole snapshot (a multiple of the batch size), never a torn
// one, and reopening picks up the newest.
func TestReadersDuringImports(t *testing.T) {
	t.Parallel()
	c := newCase(t)
	const batch, runs = 200, 8
	done := make(chan struct{})
	errs := make(chan error, 100)
	var readers sync.WaitGroup
	for range 3 {
		readers.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				snap, err := Open(c.Dir())
				if err != nil {
					errs <- err
					return
				}
				p, err := snap.Events(t.Context(), Query{Limit: 5})
				if err != nil {
					errs <- err
					return
				}
				if p.Total%batch != 0 {
					errs <- fmt.Errorf("torn snapshot: %d events", p.Total)
					return
				}
			}
		})
	}
	for r := range runs {
		var evs []Event
		for i := range batch {
			evs = append(evs, testEvent(r*batch+i, "s"))
		}
		importEvents(t, c, evs, RunOptions{MaxBuffered: 16 << 10})
	}
	close(done)
	readers.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	snap, _ := Open(c.Dir())
	if p, _ := snap.Events(t.Context(), Query{}); p.Total != batch*runs {
		t.Fatalf("final total %d", p.Total)
	}
}

// TestRunLock checks that one import at a time holds a case: a second run
// begun while the first is open fails with ErrLocked, through a lock on a
// file of its own (as another process's would), and succeeds once the
// first commits or aborts.
func TestRunLock(t *testing.T) {
	t.Parallel()
	for _, end := range []string{"commit", "abort"} {
		t.Run(end, func(t *testing.T) {
			t.Parallel()
			c := newCase(t)
			r, err := c.BeginRun(RunOptions{Now: fixedNow})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.BeginRun(RunOptions{Now: fixedNow}); !errors.Is(err, ErrLocked) {
				t.Fatalf("second run while the first is open: %v, want ErrLocked", err)
			}
			if end == "commit" {
				_, err = r.Commit()
			} else {
				err = r.Abort()
			}
			if err != nil {
				t.Fatal(err)
			}
			r2, err := c.BeginRun(RunOptions{Now: fixedNow})
			if err != nil {
				t.Fatalf("run after the first's %s: %v", end, err)
			}
			if err := r2.Abort(); err != nil {
				t.Fatal(err)
			}
		})
	}
}
