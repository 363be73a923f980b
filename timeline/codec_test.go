package timeline

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// TestPartCodecs: a part's snappyColumns are Snappy (rawCodec), every
// other column zstd, deltaColumns are DELTA_BINARY_PACKED, every column
// chunk names its column (path_in_schema, which other Parquet readers go
// by), and events with raw records of every size, including incompressible
// ones, read back exactly.
func TestPartCodecs(t *testing.T) {
	t.Parallel()
	c := newCase(t)
	var evs []Event
	for i := range 10_000 { // a week: more parts than the run writes at once
		e := testEvent(i, "aws.cloudtrail")
		switch i % 4 {
		case 1:
			e.Raw = `{"big":"` + strings.Repeat("abcdefgh", 5000) + `"}`
		case 2:
			// Bytes that do not compress: a pseudo-random string.
			var b strings.Builder
			x := uint32(i)
			for range 3000 {
				x = x*1664525 + 1013904223
				b.WriteByte("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"[x>>26%62])
			}
			e.Raw = `"` + b.String() + `"`
		case 3:
			e.Raw = ""
		}
		evs = append(evs, e)
	}
	importEvents(t, c, evs, RunOptions{RowGroupRows: 300})
	c, err := Open(c.Dir())
	if err != nil {
		t.Fatal(err)
	}
	parts := c.Manifest().Parts
	if len(parts) == 0 {
		t.Fatal("no parts")
	}
	for _, p := range parts {
		fh, err := os.Open(filepath.Join(c.Dir(), filepath.FromSlash(p.Path)))
		if err != nil {
			t.Fatal(err)
		}
		st, err := fh.Stat()
		if err != nil {
			t.Fatal(err)
		}
		f, err := parquet.OpenFile(fh, st.Size())
		fh.Close()
		if err != nil {
			t.Fatal(err)
		}
		cols := f.Schema().Columns()
		for _, rg := range f.Metadata().RowGroups {
			if len(rg.Columns) != len(cols) {
				t.Fatalf("%s: %d column chunks, %d columns", p.Path, len(rg.Columns), len(cols))
			}
			for i, cc := range rg.Columns {
				if !slices.Equal(cc.MetaData.PathInSchema, cols[i]) {
					t.Errorf("%s: column %d's chunk names %q, want %q", p.Path, i, cc.MetaData.PathInSchema, cols[i])
				}
				want := format.Zstd
				if slices.Contains(snappyColumns[:], cols[i][0]) {
					want = format.Snappy
				}
				if cc.MetaData.Codec != want {
					t.Errorf("%s: column %v is %v, want %v", p.Path, cols[i], cc.MetaData.Codec, want)
				}
				if slices.Contains(deltaColumns[:], cols[i][0]) && !slices.Contains(cc.MetaData.Encoding, format.DeltaBinaryPacked) {
					t.Errorf("%s: column %v is encoded %v, want DELTA_BINARY_PACKED", p.Path, cols[i], cc.MetaData.Encoding)
				}
			}
		}
	}
	want := map[string]Event{}
	for _, e := range evs {
		want[e.ID] = e
	}
	n := 0
	if err := c.Scan(t.Context(), Query{Raw: true}, func(e *Event) error {
		n++
		w := want[e.ID]
		if e.Raw != w.Raw {
			t.Errorf("%s: raw of %d bytes read back as %d bytes", e.ID, len(w.Raw), len(e.Raw))
		}
		if !e.Time.Equal(w.Time) || e.Offset != w.Offset || e.Message != w.Message || e.CorrelationID != w.CorrelationID {
			t.Errorf("%s: read back time %v offset %d message %q correlation %q, want %v %d %q %q", e.ID, e.Time, e.Offset,
				e.Message, e.CorrelationID, w.Time, w.Offset, w.Message, w.CorrelationID)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if n != len(evs) {
		t.Fatalf("scanned %d events, want %d", n, len(evs))
	}
}
