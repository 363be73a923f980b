package timeline

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/parquet-go/parquet-go"
)

// scanCase builds a case whose parts have several row groups and pages,
// empty and long strings, and high- and low-cardinality columns.
func scanCase(t *testing.T) *Case {
	t.Helper()
	c := newCase(t)
	var evs []Event
	sources := []string{"m365.ual", "entra.signin", "aws.cloudtrail"}
	for i := range 9000 {
		e := testEvent(i, sources[i%len(sources)])
		e.Time = t0.Add(time.Duration(i*17%9000) * time.Minute / 3)
		e.TokenID = fmt.Sprintf("tok-%d", i/4)
		if i%5 == 0 {
			e.TokenID = ""
		}
		e.SessionID = fmt.Sprintf("s-%d", i%300)
		e.SrcIP = fmt.Sprintf("10.0.%d.%d", i%7, i%251)
		e.UserAgent = strings.Repeat("ü", i%40)
		e.Tenant = fmt.Sprintf("tenant-%d", i%3)
		e.Message = strings.Repeat(fmt.Sprintf("line %d ", i), 1+i%30) // fills pages
		if i%11 == 0 {
			e.Actor = ""
		}
		evs = append(evs, e)
	}
	importEvents(t, c, evs, RunOptions{MaxBuffered: 1 << 20, RowGroupRows: 700})
	c, err := Open(c.Dir())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// oldScan reads a query the way Scan did before batches: part by part,
// through scanPart and readColumnar.
func oldScan(t *testing.T, c *Case, q Query) []Event {
	t.Helper()
	f, err := compile(&q, fullSchema)
	if err != nil {
		t.Fatal(err)
	}
	var out []Event
	for _, pi := range c.selectParts(&q) {
		pf, file, err := c.openPart(c.m.Parts[pi])
		if err != nil {
			t.Fatal(err)
		}
		var rows []int64
		err = scanPart(t.Context(), pf, f, func(row, _ int64) bool { rows = append(rows, row); return true })
		if err == nil {
			err = readColumnar(t.Context(), pf, q.Raw, rows, func(e *Event) error { out = append(out, *e); return nil })
		}
		file.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func TestScanMatchesRowReader(t *testing.T) {
	t.Parallel()
	c := scanCase(t)
	if len(c.m.Parts) < 3 {
		t.Fatalf("want several parts, got %d", len(c.m.Parts))
	}
	for _, tc := range []struct {
		name string
		q    Query
	}{
		{"all", Query{}},
		{"raw", Query{Raw: true}},
		{"window", Query{Since: t0.Add(7 * time.Hour), Until: t0.Add(31 * time.Hour)}},
		{"where", Query{Where: []Cond{{"tenant", "TENANT-1"}}}},
		{"text", Query{Text: "line 77", Raw: true}},
		{"source", Query{Source: []string{"aws.cloudtrail"}, Since: t0.Add(time.Hour)}},
		{"nothing", Query{Since: t0.Add(-2 * time.Hour), Until: t0.Add(-time.Hour)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := oldScan(t, c, tc.q)
			var got []Event
			if err := c.Scan(t.Context(), tc.q, func(e *Event) error { got = append(got, *e); return nil }); err != nil {
				t.Fatal(err)
			}
			if len(want) == 0 && tc.name != "nothing" {
				t.Fatal("the reference read nothing")
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Scan differs from the row reader (-want +got):\n%s", diff)
			}
			// Batches hold the same events, their strings shared.
			got = got[:0]
			err := c.ScanBatches(t.Context(), tc.q, func(evs []Event) error {
				if len(evs) == 0 || len(evs) > batchRows {
					t.Errorf("batch of %d", len(evs))
				}
				for i := range evs {
					e := evs[i]
					for _, s := range []*string{&e.ID, &e.Message, &e.TokenID, &e.Actor, &e.Raw} {
						*s = strings.Clone(*s)
					}
					got = append(got, e)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("ScanBatches differs from the row reader (-want +got):\n%s", diff)
			}
		})
	}
}

func TestScanColumns(t *testing.T) {
	t.Parallel()
	c := scanCase(t)
	want := oldScan(t, c, Query{})
	cols := []string{"time", "token_id", "actor", "src_ip", "offset"}
	var got []Event
	err := c.ScanBatches(t.Context(), Query{Columns: cols}, func(evs []Event) error {
		got = append(got, evs...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		w := want[i]
		want[i] = Event{Time: w.Time, TokenID: w.TokenID, Actor: w.Actor, SrcIP: w.SrcIP, Offset: w.Offset}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("projected scan (-want +got):\n%s", diff)
	}
	if err := c.Scan(t.Context(), Query{Columns: []string{"nope"}}, func(*Event) error { return nil }); err == nil {
		t.Error("a projection on an unknown column was accepted")
	}
}

// TestScanStops checks that Scan and ScanColumns end on fn's error and on
// a cancelled context, without waiting for every part (the deferred drain
// must not hang), and that a consumer of All may stop early.
func TestScanStops(t *testing.T) {
	t.Parallel()
	c := scanCase(t)
	n := 0
	for _, err := range c.All(t.Context(), Query{}) {
		if err != nil {
			t.Fatal(err)
		}
		if n++; n == 5000 {
			break
		}
	}
	for _, tc := range []struct {
		name   string
		scan   func(ctx context.Context, fn func() error) error
		stopAt int // calls of fn, before the last of the scan
	}{
		{"Scan", func(ctx context.Context, fn func() error) error {
			return c.Scan(ctx, Query{}, func(*Event) error { return fn() })
		}, 1234},
		{"ScanColumns", func(ctx context.Context, fn func() error) error {
			return c.ScanColumns(ctx, Query{Columns: []string{"token_id"}}, func(*ColumnBatch) error { return fn() })
		}, 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			boom := errors.New("boom")
			calls := 0
			err := tc.scan(t.Context(), func() error {
				if calls++; calls == tc.stopAt {
					return boom
				}
				return nil
			})
			if !errors.Is(err, boom) || calls != tc.stopAt {
				t.Errorf("returned %v after %d calls, want boom after %d", err, calls, tc.stopAt)
			}
			ctx, cancel := context.WithCancel(t.Context())
			calls = 0
			err = tc.scan(ctx, func() error {
				if calls++; calls == 3 {
					cancel()
				}
				return nil
			})
			if !errors.Is(err, context.Canceled) {
				t.Errorf("after cancel returned %v", err)
			}
		})
	}
	if err := c.ScanColumns(t.Context(), Query{Columns: []string{"nope"}}, func(*ColumnBatch) error { return nil }); err == nil {
		t.Error("an unknown column was accepted")
	}
}

// TestScanColumnBatches checks that ScanColumns reads what ScanBatches
// does, column by column, and that coded columns keep their promises:
// Dict.At(0) is "", and a dictionary id names one growing dictionary.
func TestScanColumnBatches(t *testing.T) {
	t.Parallel()
	c := scanCase(t)
	for _, tc := range []struct {
		name string
		q    Query
	}{
		{"all", Query{}},
		{"raw", Query{Raw: true}},
		{"graph", Query{Columns: []string{"id", "time", "source", "token_id", "session_id", "tenant", "src_ip", "offset"}}},
		{"window", Query{Since: t0.Add(7 * time.Hour), Until: t0.Add(31 * time.Hour), Columns: []string{"time", "token_id", "actor"}}},
		{"where", Query{Where: []Cond{{"tenant", "TENANT-1"}}}},
		{"source", Query{Source: []string{"aws.cloudtrail"}, Since: t0.Add(time.Hour)}},
		{"nothing", Query{Since: t0.Add(-2 * time.Hour), Until: t0.Add(-time.Hour)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var want []Event
			err := c.ScanBatches(t.Context(), tc.q, func(evs []Event) error {
				want = append(want, evs...)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(want) == 0 && tc.name != "nothing" {
				t.Fatal("ScanBatches read nothing")
			}
			cols, err := scanColumns(&tc.q)
			if err != nil {
				t.Fatal(err)
			}
			// Every part on one worker (as on two cores), and on three
			// workers that share the codings.
			for _, workers := range []int{1, 3} {
				scanColumnsMatch(t, c, tc.q, cols, workers, want)
			}
		})
	}
}

// scanColumnsMatch checks that a ScanColumns of q (reading cols) on workers
// decoding workers gives the events want, that its columns are coded as
// they should be, and that its dictionaries never change a code.
func scanColumnsMatch(t *testing.T, c *Case, q Query, cols []string, workers int, want []Event) {
	t.Helper()
	dicts := map[uint64][]string{}
	var got []Event
	err := c.scanColumnsWith(t.Context(), q, workers, func(b *ColumnBatch) error {
		if b.Len == 0 || b.Len > batchRows {
			t.Errorf("batch of %d", b.Len)
		}
		for j, name := range cols {
			if name == "time" || name == "offset" {
				continue
			}
			col := b.String(j)
			if coded := col.Codes != nil; coded == uniqueColumns[name] {
				t.Fatalf("column %s: coded %v", name, coded)
			}
			if col.Codes != nil {
				if col.Dict.At(0) != "" {
					t.Fatalf("column %s: Dict.At(0) is %q", name, col.Dict.At(0))
				}
				dict := make([]string, col.Dict.Len())
				for c := range dict {
					dict[c] = col.Dict.At(int32(c))
				}
				old := dicts[col.DictID]
				if n := min(len(old), len(dict)); !slices.Equal(old[:n], dict[:n]) {
					t.Fatalf("column %s: dictionary %d changed", name, col.DictID)
				}
				if len(dict) > len(old) {
					dicts[col.DictID] = dict
				}
			}
		}
		got = append(got, batchEvents(b, cols)...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%d workers: ScanColumns differs from ScanBatches (-want +got):\n%s", workers, diff)
	}
}

// batchEvents returns the events of batch b of a ScanColumns that read
// cols (scanColumns), with those columns set: copies of the values, since
// an uncoded column's strings last only until fn returns.
func batchEvents(b *ColumnBatch, cols []string) []Event {
	evs := make([]Event, b.Len)
	for j, name := range cols {
		switch name {
		case "time":
			for i, v := range b.Int64(j) {
				evs[i].Time = time.UnixMicro(v).UTC()
			}
		case "offset":
			for i, v := range b.Int64(j) {
				evs[i].Offset = v
			}
		default:
			col := b.String(j)
			for i := range b.Len {
				columnSetters[name].set(&evs[i], strings.Clone(col.At(i)))
			}
		}
	}
	return evs
}

// dictIDColumns is row's schema with token_id, session_id, issued_id and
// target dictionary-encoded, as another writer (or a later schema) may
// store them. Measured 2026-11-26: building the graph of the 10M bench case
// from such parts took 10-15 % less CPU, importing 400k CloudTrail records
// 6-13 % more, so row keeps them plain.
func dictIDColumns() *parquet.Schema {
	dict := fieldWith{enc: &parquet.RLEDictionary}
	return rowSchemaWith(map[string]fieldWith{"token_id": dict, "session_id": dict, "issued_id": dict, "target": dict})
}

// TestReadDictEncodedIDColumns rewrites every part of a case with the id
// columns dictionary-encoded (dictIDColumns) and checks that every reader reads
// the same events from it: readers must take either encoding of a column.
func TestReadDictEncodedIDColumns(t *testing.T) {
	t.Parallel()
	c := scanCase(t)
	queries := []Query{
		{Raw: true},
		{Since: t0.Add(7 * time.Hour), Until: t0.Add(31 * time.Hour)},
		{Where: []Cond{{"token_id", "tok-77"}}},
	}
	type read struct {
		scan, rows, cols []Event
		page             Page
	}
	readAll := func(c *Case) []read {
		var out []read
		for _, q := range queries {
			var r read
			if err := c.Scan(t.Context(), q, func(e *Event) error { r.scan = append(r.scan, *e); return nil }); err != nil {
				t.Fatal(err)
			}
			r.rows = oldScan(t, c, q)
			cols, err := scanColumns(&q)
			if err != nil {
				t.Fatal(err)
			}
			err = c.ScanColumns(t.Context(), q, func(b *ColumnBatch) error {
				r.cols = append(r.cols, batchEvents(b, cols)...)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			q.Limit = 50
			if r.page, err = c.Events(t.Context(), q); err != nil {
				t.Fatal(err)
			}
			out = append(out, r)
		}
		return out
	}
	want := readAll(c)
	// tokenDictPages reports whether part p's first token_id page is a
	// dictionary page.
	tokenDictPages := func(p PartRecord) bool {
		pf, file, err := c.openPart(p)
		if err != nil {
			t.Fatal(err)
		}
		defer file.Close()
		leaf, _ := pf.Schema().Lookup("token_id")
		pages := pf.RowGroups()[0].ColumnChunks()[leaf.ColumnIndex].Pages()
		defer pages.Close()
		page, err := pages.ReadPage()
		if err != nil {
			t.Fatal(err)
		}
		return page.Dictionary() != nil
	}
	for _, p := range c.m.Parts {
		if tokenDictPages(p) {
			t.Fatalf("%s: token_id is dictionary-encoded already", p.Path)
		}
		path := filepath.Join(c.Dir(), filepath.FromSlash(p.Path))
		rows, err := parquet.ReadFile[row](path)
		if err != nil {
			t.Fatal(err)
		}
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		w := parquet.NewGenericWriter[row](f, dictIDColumns(), parquet.MaxRowsPerRowGroup(700), parquet.PageBufferSize(8<<10))
		if _, err := w.Write(rows); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		if !tokenDictPages(p) {
			t.Fatalf("%s: token_id was not rewritten dictionary-encoded", p.Path)
		}
	}
	c, err := Open(c.Dir())
	if err != nil {
		t.Fatal(err)
	}
	got := readAll(c)
	for i := range queries {
		if len(want[i].scan) == 0 {
			t.Fatalf("query %d reads nothing", i)
		}
		if diff := cmp.Diff(want[i], got[i], cmp.AllowUnexported(read{})); diff != "" {
			t.Errorf("query %d: dictionary-encoded parts read differently (-plain +dictionary):\n%s", i, diff)
		}
		if !cmp.Equal(got[i].scan, got[i].rows) {
			t.Errorf("query %d: Scan and the row reader differ", i)
		}
		if diff := cmp.Diff(got[i].scan, got[i].cols); diff != "" {
			t.Errorf("query %d: ScanColumns differs from Scan (-Scan +ScanColumns):\n%s", i, diff)
		}
		if n := int64(len(got[i].scan)); got[i].page.Total != n {
			t.Errorf("query %d: Events counts %d, Scan reads %d", i, got[i].page.Total, n)
		}
	}
}
