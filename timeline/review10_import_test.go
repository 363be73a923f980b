package timeline

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/parquet-go/parquet-go"
)

// review10Event is event i of file, with values that repeat (counted in
// stats) and some that do not (raw, message, id).
func review10Event(i int, file, sum string) Event {
	day0 := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	e := Event{
		ID: fmt.Sprintf("%s-%d", file, i), Source: "aws.cloudtrail", Shape: "ndjson",
		Time:     day0.Add(time.Duration(i) * time.Second),
		Category: CategoryOther, Action: fmt.Sprint("Act", i%13), Outcome: OutcomeSuccess,
		Actor: fmt.Sprintf("user%d@example.com", i%50), ActorKind: ActorUser, Tenant: "t",
		SrcIP: fmt.Sprintf("10.0.%d.%d", i%7, i%31), UserAgent: fmt.Sprint("agent/", i%3),
		Target: fmt.Sprint("arn:aws:s3:::bucket", i%40), Message: fmt.Sprintf("message %s %d", file, i),
		Raw:  fmt.Sprintf(`{"file":%q,"n":%d,"pad":%q}`, file, i, strings.Repeat("x", i*7%300)),
		File: file, FileSHA256: sum, Offset: int64(i) * 1500,
	}
	if i%5 == 0 {
		e.Outcome, e.Reason, e.Country = OutcomeFailure, "denied", "NL"
	}
	return e
}

// TestReview10PartWriterPendingFiles: a part whose rows come from several
// files, two of them hashed late (at different times, one only after the
// last row, on another goroutine) and one known, is the file parquet-go's
// row writer makes from the rows with every hash in place, byte for byte:
// each held row gets its own file's hash, however the files interleave
// within a batch and across batch (1,024) and row-group boundaries.
func TestReview10PartWriterPendingFiles(t *testing.T) {
	t.Parallel()
	sums := map[string]string{"a.json": strings.Repeat("aa", 32), "b.json": strings.Repeat("bb", 32), "c.json": strings.Repeat("cc", 32)}
	for _, tc := range []struct {
		name         string
		rows         int
		rowGroupRows int64
		// aAt and bAt are the rows before which a.json's and b.json's
		// hashes are known (0: from the start); -1: they become known on
		// another goroutine, while the part or a row group waits for them
		// (a row group's end waits: one known on this goroutine must be
		// known by then).
		aAt, bAt int
		// file gives row i's file.
		file func(i int) string
	}{
		{"one row", 1, 1024, -1, -1, func(int) string { return "a.json" }},
		{"batch less one", partBatchRows - 1, 1024, 500, -1, func(i int) string { return []string{"a.json", "b.json", "c.json"}[i%3] }},
		{"one batch, row group", partBatchRows, partBatchRows, -1, 0, func(i int) string { return []string{"a.json", "b.json", "c.json"}[i%3] }},
		{"batch and one", partBatchRows + 1, partBatchRows, partBatchRows - 1, -1, func(i int) string { return []string{"b.json", "a.json"}[i%2] }},
		{"runs of files", 5*partBatchRows + 7, 2 * partBatchRows, 2*partBatchRows - 1, -1, func(i int) string {
			return []string{"a.json", "b.json", "c.json", "b.json"}[i/300%4]
		}},
		{"b known first", 3*partBatchRows + 1, 4096, -1, 700, func(i int) string { return []string{"a.json", "b.json", "c.json"}[i*7%3] }},
		{"a held, then known batches", 3*partBatchRows + 5, 4096, -1, 0, func(i int) string {
			if i < 1000 {
				return "a.json"
			}
			return []string{"c.json", "c.json", "b.json"}[i%3]
		}},
		{"both in one batch", 3*partBatchRows + 1, 4096, 2*partBatchRows + 5, 2*partBatchRows + 9, func(i int) string { return []string{"a.json", "b.json", "c.json"}[i%3] }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var recs [][]byte
			var want []row
			for i := range tc.rows {
				f := tc.file(i)
				e := review10Event(i, f, sums[f])
				if f != "c.json" {
					e.FileSHA256 = PendingSHA256
				}
				recs = append(recs, appendEvent(nil, &e, e.ID))
				var r row
				if _, err := decodeRow(recs[i], &r); err != nil {
					t.Fatal(err)
				}
				r.FileSHA256 = sums[f]
				want = append(want, r)
			}
			wantB := rowWriterFile(t, want, tc.rowGroupRows)

			c := newCase(t)
			r, err := c.BeginRun(RunOptions{Now: fixedNow, RowGroupRows: tc.rowGroupRows})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Abort()
			aDone, bDone := make(chan struct{}), make(chan struct{})
			r.HashLater("a.json", aDone, func() (string, error) { return sums["a.json"], nil })
			r.HashLater("b.json", bDone, func() (string, error) { return sums["b.json"], nil })
			pw, err := r.newPartWriter(partKey{"aws.cloudtrail", 19844})
			if err != nil {
				t.Fatal(err)
			}
			for _, at := range []struct {
				at   int
				done chan struct{}
			}{{tc.aAt, aDone}, {tc.bAt, bDone}} {
				switch at.at {
				case -1:
					go func() {
						time.Sleep(10 * time.Millisecond)
						close(at.done)
					}()
				case 0:
					close(at.done)
				}
			}
			// Once a batch is written its records' buffers may be reused (as
			// the arena's and the merge's are): scribble over them, so that a
			// value kept past that point as a view, not a copy, shows.
			written, added := 0, 0
			pw.flushed = func() {
				for _, rec := range recs[written:added] {
					for k := range rec {
						rec[k] = 0xA5
					}
				}
				written = added
			}
			for i, rec := range recs {
				if i > 0 && i == tc.aAt {
					close(aDone)
				}
				if i > 0 && i == tc.bAt {
					close(bDone)
				}
				added = i + 1
				if err := pw.add(rec); err != nil {
					t.Fatal(err)
				}
			}
			p, err := pw.finish()
			if err != nil {
				t.Fatal(err)
			}
			if p.Rows != int64(tc.rows) {
				t.Errorf("part of %d rows, want %d", p.Rows, tc.rows)
			}
			got, err := os.ReadFile(pw.full)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, wantB) {
				t.Errorf("the part (%d bytes) is not the row writer's file (%d bytes) with each file's hash", len(got), len(wantB))
			}
		})
	}
}

// TestReview10RunReadBack: events of three files, two hashed late (one
// during the import, one only while the commit waits for it; or one whose
// hash fails), some added twice (duplicates, also across parts and
// spills), go through a run with small row groups and a small buffer; the
// case read back holds every event once, exactly as added but for its
// file's hash in place of PendingSHA256, and each part's value counts are
// those counted from its events read back.
func TestReview10RunReadBack(t *testing.T) {
	t.Parallel()
	sums := map[string]string{"a.json": strings.Repeat("aa", 32), "b.json": strings.Repeat("bb", 32), "c.json": strings.Repeat("cc", 32)}
	errHash := errors.New("injected hash error")
	for _, tc := range []struct {
		name      string
		n         int
		maxBuf    int64
		rgRows    int64
		batch     bool // added through batches of 100
		bFails    bool
		dupsEvery int  // every dupsEvery-th event is added again (0: none)
		bLate     bool // b.json's hash ends 300 ms after the feed starts, not with it
	}{
		{"one event", 1, 0, 0, false, false, 0, false},
		{"a batch exactly", partBatchRows, 0, partBatchRows, false, false, 0, false},
		{"a batch and one", partBatchRows + 1, 0, partBatchRows, true, false, 7, false},
		{"parts while hashing", 3 * smallPartRows, 8 << 20, 4096, false, false, 5, false},
		{"parts while hashing, in batches", 3*smallPartRows + 3, 8 << 20, 4096, true, false, 0, false},
		{"spills", 3 * smallPartRows, 1 << 20, 4096, false, false, 3, false},
		{"spills merged while hashing", 3 * smallPartRows, 1 << 20, 4096, false, false, 0, true},
		{"b's hash fails", 3 * smallPartRows, 8 << 20, 4096, false, true, 0, false},
		{"b's hash fails, one event", 2, 0, 0, false, true, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := newCase(t)
			r, err := c.BeginRun(RunOptions{Now: fixedNow, MaxBuffered: tc.maxBuf, RowGroupRows: tc.rgRows})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Abort()
			aDone, bDone := make(chan struct{}), make(chan struct{})
			r.HashLater("a.json", aDone, func() (string, error) { return sums["a.json"], nil })
			r.HashLater("b.json", bDone, func() (string, error) {
				if tc.bFails {
					return "", errHash
				}
				return sums["b.json"], nil
			})
			files := []string{"a.json", "b.json", "c.json"}
			var want []Event
			var b Batch
			add := func(e *Event) error {
				if !tc.batch {
					_, err := r.Add(e)
					return err
				}
				if err := b.Add(e); err != nil {
					t.Fatal(err)
				}
				if b.Len() == 100 {
					_, err := r.AddBatch(&b, nil)
					b.Reset()
					return err
				}
				return nil
			}
			half, most := make(chan struct{}), make(chan struct{})
			feed := func() error {
				for i := range tc.n {
					switch i {
					case tc.n / 2:
						close(half)
					case tc.n * 3 / 4:
						close(most)
					}
					f := files[i%4%3] // a, b, c, a: a's and b's pending rows meet
					e := review10Event(i, f, sums[f])
					want = append(want, e)
					if f != "c.json" {
						e.FileSHA256 = PendingSHA256
					}
					if err := add(&e); err != nil {
						return err
					}
					if tc.dupsEvery > 0 && i%tc.dupsEvery == 0 && i > tc.n/3 {
						df := files[i/3%4%3]
						d := review10Event(i/3, df, sums[df])
						if d.File != "c.json" {
							d.FileSHA256 = PendingSHA256
						}
						if err := add(&d); err != nil {
							return err
						}
					}
				}
				if tc.batch {
					_, err := r.AddBatch(&b, nil)
					return err
				}
				return nil
			}
			// The hashes end on their own, as a file's hashing does (the
			// run may wait for them): a.json's once half the events are
			// in, b.json's once three quarters are, or a little later
			// (while the commit waits, for the small cases).
			bAt, bWait := most, 50*time.Millisecond
			if tc.bLate {
				bAt, bWait = nil, 300*time.Millisecond
			}
			for _, h := range []struct {
				at, done chan struct{}
				wait     time.Duration
			}{{half, aDone, 50 * time.Millisecond}, {bAt, bDone, bWait}} {
				wait := h.wait
				go func() {
					select {
					case <-h.at:
					case <-time.After(wait):
					}
					close(h.done)
				}()
			}
			err = feed()
			if err == nil {
				_, err = r.Commit()
			}
			if tc.bFails {
				if !errors.Is(err, errHash) || !strings.Contains(err.Error(), "b.json") {
					t.Fatalf("import: %v, want b.json's hash error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			c, err = Open(c.Dir())
			if err != nil {
				t.Fatal(err)
			}
			var got []Event
			if err := c.Scan(t.Context(), Query{Raw: true}, func(e *Event) error {
				got = append(got, e.Clone())
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			byID := func(a, b Event) int { return strings.Compare(a.ID, b.ID) }
			slices.SortFunc(want, byID)
			slices.SortFunc(got, byID)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("events read back (-added +got):\n%s", diff)
			}

			// Each part's counts against its events read back.
			m := c.Manifest()
			if len(m.Parts) == 0 {
				t.Fatal("no parts")
			}
			var rows int64
			for i, p := range m.Parts {
				st := c.partStats(i)
				if st == nil {
					t.Fatalf("part %s has no stats", p.Path)
				}
				rows += st.Rows
				counted := map[string]map[string]int64{}
				var n int64
				if err := c.withPart(i, func(_ int, pf *parquet.File) error {
					rd := parquet.NewGenericReader[row](pf)
					defer rd.Close()
					buf := make([]row, 256)
					for {
						k, err := rd.Read(buf)
						for j := range buf[:k] {
							var e Event
							fromRow(&buf[j], &e)
							n++
							for _, col := range statsColumns {
								if counted[col] == nil {
									counted[col] = map[string]int64{}
								}
								counted[col][e.Field(col)]++
							}
						}
						if err == io.EOF {
							return nil
						}
						if err != nil {
							return err
						}
					}
				}); err != nil {
					t.Fatal(err)
				}
				if n != p.Rows || st.Rows != p.Rows {
					t.Errorf("part %s: %d rows, stats say %d, %d rows read", p.Path, p.Rows, st.Rows, n)
				}
				for col, cnt := range counted {
					if st.Columns[col] == nil {
						continue // too many values to count
					}
					if diff := cmp.Diff(cnt, st.Columns[col]); diff != "" {
						t.Errorf("part %s column %s counts (-read back +stats):\n%s", p.Path, col, diff)
					}
				}
			}
			if rows != int64(len(want)) {
				t.Errorf("parts' stats count %d rows, want %d", rows, len(want))
			}
		})
	}
}
