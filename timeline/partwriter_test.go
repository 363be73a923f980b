package timeline

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestPartWriterBytes: a part written column by column, its columns shared
// out between goroutines, is byte for byte the file parquet-go's row
// writer makes from the same rows in batches of partBatchRows (how parts
// were written before), over several row groups and pages, dictionaries
// that grow, empty and large values; also when the file's hash is still
// being computed while rows are added (their file_sha256 held back, the
// part or row group waiting for it), until the end or for some rows.
func TestPartWriterBytes(t *testing.T) {
	t.Parallel()
	day0 := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	event := func(i int) Event {
		e := Event{
			ID: fmt.Sprintf("%08x-%d", uint32(i)*2654435761, i), Source: "aws.cloudtrail", Shape: "ndjson",
			Time: day0.Add(time.Duration(i) * 1700 * time.Millisecond), Category: CategoryOther, Action: fmt.Sprint("Act", i%37),
			Outcome: OutcomeSuccess, Actor: fmt.Sprintf("user%d@example.com", i%500), ActorKind: ActorUser,
			Tenant: "t", SessionID: fmt.Sprint("sess-", i/3), TokenID: fmt.Sprint("tok-", i), SrcIP: fmt.Sprintf("10.0.%d.%d", i%7, i%251),
			UserAgent: fmt.Sprint("agent/", i%3), Target: fmt.Sprint("arn:aws:s3:::bucket", i%4000),
			Message: strings.Repeat("m", i%90), Raw: `{"n":` + fmt.Sprint(i) + `,"pad":"` + strings.Repeat("x", i*7%3000) + `"}`,
			File: "a.json", FileSHA256: strings.Repeat("ab", 32), Offset: int64(i) * 1500,
		}
		if i%5 == 0 {
			e.Reason, e.Country, e.KeyID = "denied", "NL", fmt.Sprint("AKIA", i%11)
		}
		return e
	}
	sum := strings.Repeat("ab", 32)
	for _, tc := range []struct {
		name         string
		rows         int
		rowGroupRows int64
		// hashAfter is how many rows are added before the hash of the
		// rows that say PendingSHA256 (every third) is known; -1: none
		// say it; rows: it is known on another goroutine, while the first
		// row group waits for it.
		hashAfter int
	}{
		{"under a batch", 100, 4096, -1},
		{"one batch", partBatchRows, 4096, -1},
		{"row groups and a rest", 3*4096 + 517, 4096, -1},
		{"two whole row groups", 2 * 8192, 8192, -1},
		{"hash known at the end", 3*4096 + 517, 4096, 3*4096 + 517},
		{"hash known after three batches", 3*4096 + 517, 4096, 3000},
		{"hash known in the first batch", 2*partBatchRows + 3, 4096, 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var recs [][]byte
			for i := range tc.rows {
				e := event(i)
				if tc.hashAfter >= 0 && i%3 == 0 {
					e.FileSHA256 = PendingSHA256
				}
				recs = append(recs, appendEvent(nil, &e, e.ID))
			}

			rows := make([]row, len(recs))
			for i := range rows {
				if _, err := decodeRow(recs[i], &rows[i]); err != nil {
					t.Fatal(err)
				}
				if rows[i].FileSHA256 == PendingSHA256 {
					rows[i].FileSHA256 = sum
				}
			}
			want := rowWriterFile(t, rows, tc.rowGroupRows)

			c := newCase(t)
			r, err := c.BeginRun(RunOptions{Now: fixedNow, RowGroupRows: tc.rowGroupRows})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Abort()
			done := make(chan struct{})
			r.HashLater("a.json", done, func() (string, error) { return sum, nil })
			pw, err := r.newPartWriter(partKey{"aws.cloudtrail", 19844})
			if err != nil {
				t.Fatal(err)
			}
			if tc.hashAfter == tc.rows {
				go func() {
					time.Sleep(20 * time.Millisecond)
					close(done)
				}()
			}
			for i, rec := range recs {
				if i == tc.hashAfter {
					close(done)
				}
				if err := pw.add(rec); err != nil {
					t.Fatal(err)
				}
			}
			p, err := pw.finish()
			if err != nil {
				t.Fatal(err)
			}
			if p.Rows != int64(tc.rows) || !p.MinTime.Equal(event(0).Time) || !p.MaxTime.Equal(event(tc.rows-1).Time) {
				t.Errorf("part record: %d rows, %v to %v", p.Rows, p.MinTime, p.MaxTime)
			}
			got, err := os.ReadFile(pw.full)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(want, got) {
				t.Fatalf("part differs from the row writer's: %d bytes against %d", len(got), len(want))
			}
		})
	}
}

// rowWriterFile is the Parquet file of rows as parts were written before
// partWriter: through parquet-go's row writer, partBatchRows rows a call.
func rowWriterFile(t *testing.T, rows []row, rowGroupRows int64) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "old.parquet")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := newParquetWriter(f, rowGroupRows)
	for lo := 0; lo < len(rows); lo += partBatchRows {
		if _, err := w.Write(rows[lo:min(lo+partBatchRows, len(rows))]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
