package timeline

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestEventEncodingRoundTrip(t *testing.T) {
	t.Parallel()
	full := testEvent(7, "aws.cloudtrail")
	full.Message, full.Reason, full.UserAgent = "<b>é\x00</b>", "r", "ua"
	huge := testEvent(8, "m365.ual")
	huge.Raw = `{"x":"` + strings.Repeat("y", chunkSize+100) + `"}` // bigger than a chunk
	for _, tc := range []struct {
		name string
		e    Event
	}{
		{"full", full},
		{"empty strings", Event{ID: "i", Source: "s", Time: time.Unix(0, 0).UTC()}},
		{"year 1", Event{ID: "a", Source: "s", Time: time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), Offset: -1}},
		{"year 9999", Event{ID: "b", Source: "s", Time: time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC), Offset: 1 << 62}},
		{"bigger than a chunk", huge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var p partBuf
			p.add(&tc.e, tc.e.ID)
			p.addEncoded(appendEvent(nil, &tc.e, "other-id"), tc.e.Time.UnixMicro())
			for i, wantID := range []string{tc.e.ID, "other-id"} {
				var r row
				n, err := decodeRow(p.record(i), &r)
				if err != nil || n != len(p.record(i)) {
					t.Fatalf("decode: %d of %d bytes, %v", n, len(p.record(i)), err)
				}
				var got Event
				fromRow(&r, &got)
				want := tc.e
				want.ID = wantID
				if diff := cmp.Diff(want, got); diff != "" {
					t.Fatalf("round trip (-want +got):\n%s", diff)
				}
			}
			if _, err := decodeRow(p.record(0)[:len(p.record(0))-1], new(row)); err == nil {
				t.Fatal("a cut record decoded without error")
			}
		})
	}
}

// TestRunSpillsAndMerges feeds a run a big in-order partition (written to
// Parquet while the import goes on) among many small interleaved ones
// (spilled, then merged at commit), and checks that every event comes
// back once, in time order, with one part per small partition.
func TestRunSpillsAndMerges(t *testing.T) {
	t.Parallel()
	c := newCase(t)
	r, err := c.BeginRun(RunOptions{Now: fixedNow, MaxBuffered: 4 << 20})
	if err != nil {
		t.Fatal(err)
	}
	day0 := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	var want int
	add := func(e Event) {
		t.Helper()
		if res, err := r.Add(&e); err != nil || res != Added {
			t.Fatalf("add: %v %v", res, err)
		}
		want++
	}
	for i := range 40_000 {
		// The big partition: day 0, in time order, 40k events.
		add(Event{ID: "big-" + strconv.Itoa(i), Source: "s", Time: day0.Add(time.Duration(i) * time.Second), Raw: strings.Repeat("r", 100),
			Category: CategoryOther, Outcome: OutcomeUnknown})
		if i%4 == 0 {
			// Small partitions: 10 other days, arriving out of order.
			d := 1 + (i/4)%10
			add(Event{ID: "small-" + strconv.Itoa(i), Source: "s", Time: day0.AddDate(0, 0, d).Add(time.Duration(40_000-i) * time.Second), Raw: "{}",
				Category: CategoryOther, Outcome: OutcomeUnknown})
		}
	}
	if _, err := r.Commit(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(c.Dir(), stagingDir)); !os.IsNotExist(err) {
		t.Fatalf("staging (and its spill files) left behind: %v", err)
	}
	c, err = Open(c.Dir())
	if err != nil {
		t.Fatal(err)
	}
	parts, rows := map[string]int{}, map[string]int64{}
	for _, p := range c.Manifest().Parts {
		parts[p.Date]++
		rows[p.Date] += p.Rows
	}
	wantRows := map[string]int64{"2024-05-01": 40_000}
	for d := 1; d <= 10; d++ {
		wantRows[day0.AddDate(0, 0, d).Format(time.DateOnly)] = 1_000
	}
	if diff := cmp.Diff(wantRows, rows); diff != "" {
		t.Fatalf("rows per date (-want +got):\n%s", diff)
	}
	for d := 1; d <= 10; d++ {
		// Each small date's spilled runs and memory merged into one
		// part, in time order.
		since := day0.AddDate(0, 0, d)
		if n := parts[since.Format(time.DateOnly)]; n != 1 {
			t.Errorf("%s has %d parts, want 1", since.Format(time.DateOnly), n)
		}
		var last time.Time
		if err := c.Scan(t.Context(), Query{Since: since, Until: since.AddDate(0, 0, 1)}, func(e *Event) error {
			if e.Time.Before(last) {
				t.Fatalf("%s at %v after an event at %v", e.ID, e.Time, last)
			}
			last = e.Time
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	if err := c.Scan(t.Context(), Query{}, func(e *Event) error {
		if seen[e.ID] {
			t.Fatalf("event %s twice", e.ID)
		}
		seen[e.ID] = true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(seen) != want {
		t.Fatalf("scanned %d events, want %d", len(seen), want)
	}
}

// TestRunReusesBuffersSafely imports events whose small partitions are
// spilled several times and merged, through a run that recycles its arena
// chunks and its decoded spill blocks, and checks that every event reads
// back whole and that the parts' value counts (facets) match a scan: a
// buffer reused while a row or a count still pointed into it would show.
func TestRunReusesBuffersSafely(t *testing.T) {
	t.Parallel()
	c := newCase(t)
	day0 := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	var evs []Event
	for i := range 30_000 {
		d := i % 7
		e := Event{
			ID: "e-" + strconv.Itoa(i), Source: "s", Time: day0.AddDate(0, 0, d).Add(time.Duration(i) * time.Second),
			Category: CategoryOther, Outcome: OutcomeUnknown,
			// Runs of one actor, then another, so counts carry a value
			// across batches.
			Actor: "user" + strconv.Itoa(i/700%9) + "@example.com", SrcIP: "10.0.0." + strconv.Itoa(i%13),
			Message: strings.Repeat("m", i%50), Raw: `{"n":` + strconv.Itoa(i) + `,"pad":"` + strings.Repeat("x", i%300) + `"}`,
		}
		evs = append(evs, e)
	}
	r, err := c.BeginRun(RunOptions{Now: fixedNow, MaxBuffered: 512 << 10})
	if err != nil {
		t.Fatal(err)
	}
	for i := range evs {
		if _, err := r.Add(&evs[i]); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := r.Commit(); err != nil {
		t.Fatal(err)
	}
	c, err = Open(c.Dir())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Event{}
	for _, e := range evs {
		want[e.ID] = e
	}
	counts := map[string]map[string]int64{"actor": {}, "src_ip": {}}
	n := 0
	if err := c.Scan(t.Context(), Query{Raw: true}, func(e *Event) error {
		n++
		w := want[e.ID]
		got := *e
		got.Time = got.Time.UTC()
		if diff := cmp.Diff(w, got); diff != "" {
			t.Fatalf("%s read back (-want +got):\n%s", e.ID, diff)
		}
		counts["actor"][e.Actor]++
		counts["src_ip"][e.SrcIP]++
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if n != len(evs) {
		t.Fatalf("scanned %d events, want %d", n, len(evs))
	}
	facets, err := c.Facets(t.Context(), Query{}, []string{"actor", "src_ip"}, 100)
	if err != nil {
		t.Fatal(err)
	}
	for col, fv := range facets {
		got := map[string]int64{}
		for _, v := range fv {
			got[v.Value] = v.Count
		}
		if diff := cmp.Diff(counts[col], got); diff != "" {
			t.Errorf("facet %s (-scan +facets):\n%s", col, diff)
		}
	}
}

// TestPartWriterFlushKeepsNoViews: once a batch is written, nothing of the
// part writer points into the batch's rows, whose buffers (arena chunks,
// decoded spill blocks) are then reused.
func TestPartWriterFlushKeepsNoViews(t *testing.T) {
	t.Parallel()
	c := newCase(t)
	r, err := c.BeginRun(RunOptions{Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Abort()
	pw, err := r.newPartWriter(partKey{"s", 19844})
	if err != nil {
		t.Fatal(err)
	}
	defer pw.abandon()
	flushed := 0
	pw.flushed = func() { flushed++ }
	buf := "user1@example.com10.0.0.1"
	for i := range 2*partBatchRows + 10 {
		e := Event{ID: strconv.Itoa(i), Source: "s", Time: time.UnixMicro(int64(i)), Actor: buf[:17], SrcIP: buf[17:]}
		if err := pw.add(appendEvent(nil, &e, e.ID)); err != nil {
			t.Fatal(err)
		}
	}
	if flushed != 2 {
		t.Fatalf("flushed %d batches, want 2", flushed)
	}
	for i, c := range pw.sb.cols {
		if c.last != "" || c.n != 0 {
			t.Errorf("column %s holds %q (%d rows) after a flush", statsColumns[i], c.last, c.n)
		}
	}
}

// TestRunHashLater: events whose file hash is pending (PendingSHA256)
// reach Parquet with the hash HashLater gives, asked for once and never
// before it is done (the part writer holds their hash back meanwhile),
// whether they came one by one or in a batch, were spilled and merged or
// written from memory; other files' events keep theirs. A failed hash
// fails the run: the commit, or an Add after the writer met it.
func TestRunHashLater(t *testing.T) {
	t.Parallel()
	real, other := strings.Repeat("ab", 32), strings.Repeat("cd", 32)
	day0 := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	event := func(i int, file, sum string) Event {
		return Event{ID: "e" + strconv.Itoa(i), Source: "s", Time: day0.Add(time.Duration(i) * time.Second),
			Raw: strings.Repeat("r", 200), File: file, FileSHA256: sum, Category: CategoryOther, Outcome: OutcomeUnknown}
	}
	for _, tc := range []struct {
		name    string
		hashErr error
	}{
		{"hashed", nil},
		{"hash fails", os.ErrClosed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := newCase(t)
			// The buffer fills with one day's events (a partition big
			// enough for a part of its own) before the hash is done, and
			// again after.
			r, err := c.BeginRun(RunOptions{Now: fixedNow, MaxBuffered: 8 << 20})
			if err != nil {
				t.Fatal(err)
			}
			calls := 0
			done := make(chan struct{})
			r.HashLater("big.json", done, func() (string, error) {
				select {
				case <-done:
				default:
					t.Error("hash asked for before it was done: the writer would have waited")
				}
				calls++
				return real, tc.hashErr
			})
			var b Batch
			const n = 60_000
			feed := func() error {
				for i := range n {
					if i == n/2 {
						close(done) // the first half was held back, the rest may be written
					}
					e := event(i, "big.json", PendingSHA256)
					if i%3 == 0 {
						e = event(i, "small.json", other)
					}
					if i%2 == 0 {
						if _, err := r.Add(&e); err != nil {
							return err
						}
						continue
					}
					if err := b.Add(&e); err != nil {
						t.Fatal(err)
					}
					if b.Len() == 100 {
						if _, err := r.AddBatch(&b, nil); err != nil {
							return err
						}
						b.Reset()
					}
				}
				_, err := r.AddBatch(&b, nil)
				return err
			}
			err = feed()
			if err == nil {
				_, err = r.Commit()
			}
			if tc.hashErr != nil {
				if !errors.Is(err, tc.hashErr) || !strings.Contains(err.Error(), "hash big.json") {
					t.Fatalf("import: %v, want the hash's error", err)
				}
				r.Abort()
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if calls != 1 {
				t.Errorf("hash asked for %d times, want once", calls)
			}
			c, err = Open(c.Dir())
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]int{}
			ids := map[string]bool{}
			if err := c.Scan(t.Context(), Query{Raw: true}, func(e *Event) error {
				got[e.File+" "+e.FileSHA256]++
				if ids[e.ID] || e.Raw != strings.Repeat("r", 200) {
					t.Fatalf("event %s read twice or damaged (raw %q)", e.ID, e.Raw)
				}
				ids[e.ID] = true
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			small := (n + 2) / 3 // i%3 == 0
			want := map[string]int{"big.json " + real: n - small, "small.json " + other: small}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("events by file and hash (-want +got):\n%s", diff)
			}
		})
	}
}
