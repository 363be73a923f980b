package timeline

import (
	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/parquet-go/parquet-go"
)

// Query selects events of a case. Zero fields select everything.
type Query struct {
	Since  time.Time // inclusive
	Until  time.Time // exclusive
	Source []string  // any of these sources
	Where  []Cond    // every condition holds
	Text   string    // case-insensitive substring of message, actor or target
	Limit  int       // page size for Events (100 when zero)
	Cursor string    // from a previous Page.Next
	Raw    bool      // also read the raw record
	// Columns, when set, are the only columns Scan, All and ScanBatches
	// read (with raw too when Raw is set); the others stay empty.
	Columns []string
}

// Cond is an equality condition on a column. Comparison ignores case, since
// join keys are lower-cased but people type them as they see them.
type Cond struct {
	Column string
	Value  string
}

// ParseCond parses "column=value".
func ParseCond(s string) (Cond, error) {
	col, val, ok := strings.Cut(s, "=")
	col = strings.TrimSpace(col)
	if !ok || !IsColumn(col) || col == "raw" {
		return Cond{}, fmt.Errorf("bad condition %q: want COLUMN=VALUE with a schema column other than raw", s)
	}
	return Cond{Column: col, Value: val}, nil
}

// Page is one page of events in time order.
type Page struct {
	Events []Event `json:"events"`
	Next   string  `json:"next"`  // cursor of the next page, "" at the end
	Total  int64   `json:"total"` // events matching the query in all
}

// schemas for reading: with and without the raw column.
var (
	fullSchema = parquet.SchemaOf(row{})
)

// match is one matching row.
type match struct {
	part int   // index into the case's parts
	row  int64 // row index within the part's file
	time int64 // µs since the epoch
}

func (a match) compare(b match, parts []PartRecord) int {
	return cmp.Or(cmp.Compare(a.time, b.time), strings.Compare(parts[a.part].Path, parts[b.part].Path), cmp.Compare(a.row, b.row))
}

type cursor struct {
	T    int64  `json:"t"`
	Part string `json:"p"`
	Row  int64  `json:"r"`
}

func decodeCursor(s string) (*cursor, error) {
	if s == "" {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("bad cursor: %w", err)
	}
	var c cursor
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("bad cursor: %w", err)
	}
	return &c, nil
}

func (c *cursor) encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

// after reports whether m sorts after the cursor.
func (c *cursor) after(m match, parts []PartRecord) bool {
	if c == nil {
		return true
	}
	return cmp.Or(cmp.Compare(m.time, c.T), strings.Compare(parts[m.part].Path, c.Part), cmp.Compare(m.row, c.Row)) > 0
}

// selectParts returns the indexes of parts that may hold matches.
func (c *Case) selectParts(q *Query) []int {
	var out []int
	for i, p := range c.m.Parts {
		if len(q.Source) > 0 && !slices.Contains(q.Source, p.Source) {
			continue
		}
		if !q.Since.IsZero() && p.MaxTime.Before(q.Since) {
			continue
		}
		if !q.Until.IsZero() && !p.MinTime.Before(q.Until) {
			continue
		}
		if !partMayMatch(p, q.Where) {
			continue
		}
		out = append(out, i)
	}
	return out
}

// partMayMatch prunes on the columns a part's manifest record knows.
func partMayMatch(p PartRecord, where []Cond) bool {
	for _, w := range where {
		if w.Column == "source" && !strings.EqualFold(w.Value, p.Source) {
			return false
		}
	}
	return true
}

// openPart opens a part's Parquet file.
func (c *Case) openPart(p PartRecord) (*parquet.File, *os.File, error) {
	f, err := os.Open(filepath.Join(c.dir, filepath.FromSlash(p.Path)))
	if err != nil {
		return nil, nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	pf, err := parquet.OpenFile(f, st.Size(), parquet.ReadBufferSize(256<<10))
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("%s: %w", p.Path, err)
	}
	return pf, f, nil
}

// filter is a compiled Query predicate over column values.
type filter struct {
	since, until int64 // µs; until exclusive; math bounds when open
	where        []compiledCond
	text         []byte // lower-cased
	textCols     []int
}

type compiledCond struct {
	col   int
	value []byte
}

func compile(q *Query, schema *parquet.Schema) (*filter, error) {
	f := &filter{since: -1 << 63, until: 1<<63 - 1}
	if !q.Since.IsZero() {
		f.since = q.Since.UnixMicro()
	}
	if !q.Until.IsZero() {
		f.until = q.Until.UnixMicro()
	}
	for _, w := range q.Where {
		if w.Column == "time" || w.Column == "offset" || w.Column == "raw" || !IsColumn(w.Column) {
			return nil, fmt.Errorf("cannot filter on column %q", w.Column)
		}
		leaf, ok := schema.Lookup(w.Column)
		if !ok {
			return nil, fmt.Errorf("no column %q", w.Column)
		}
		f.where = append(f.where, compiledCond{col: leaf.ColumnIndex, value: []byte(w.Value)})
	}
	if q.Text != "" {
		f.text = bytes.ToLower([]byte(q.Text))
		for _, name := range []string{"message", "actor", "target"} {
			leaf, _ := schema.Lookup(name)
			f.textCols = append(f.textCols, leaf.ColumnIndex)
		}
	}
	return f, nil
}

// scanPart finds the matching rows of one part, calling fn for each in
// order. fn returns false to stop.
func scanPart(ctx context.Context, pf *parquet.File, f *filter, fn func(row int64, t int64) bool) error {
	timeLeaf, _ := pf.Schema().Lookup("time")
	var base int64
	for _, rg := range pf.RowGroups() {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := rg.NumRows()
		lo, hi, err := timeRange(rg.ColumnChunks()[timeLeaf.ColumnIndex], f.since, f.until)
		if err != nil {
			return err
		}
		if lo >= hi {
			base += n
			continue
		}
		times, err := readInt64s(rg.ColumnChunks()[timeLeaf.ColumnIndex], lo, hi)
		if err != nil {
			return err
		}
		ok := make([]bool, hi-lo)
		for i, t := range times {
			ok[i] = t >= f.since && t < f.until
		}
		for _, w := range f.where {
			err := eachBytes(rg.ColumnChunks()[w.col], lo, hi, func(i int64, v []byte) {
				if ok[i-lo] && !bytes.EqualFold(v, w.value) {
					ok[i-lo] = false
				}
			})
			if err != nil {
				return err
			}
		}
		if f.text != nil {
			hit := make([]bool, hi-lo)
			for _, col := range f.textCols {
				err := eachBytes(rg.ColumnChunks()[col], lo, hi, func(i int64, v []byte) {
					if ok[i-lo] && !hit[i-lo] && containsFold(v, f.text) {
						hit[i-lo] = true
					}
				})
				if err != nil {
					return err
				}
			}
			for i := range ok {
				ok[i] = ok[i] && hit[i]
			}
		}
		for i, good := range ok {
			if good && !fn(base+lo+int64(i), times[i]) {
				return nil
			}
		}
		base += n
	}
	return nil
}

// timeRange narrows [since, until) to a row range of a row group using the
// page index of its (sorted) time column: pages wholly outside the window
// are never read.
func timeRange(chunk parquet.ColumnChunk, since, until int64) (int64, int64, error) {
	n := chunk.NumValues()
	ci, err := chunk.ColumnIndex()
	if err != nil || ci == nil || ci.NumPages() == 0 {
		return 0, n, nil
	}
	oi, err := chunk.OffsetIndex()
	if err != nil || oi == nil || oi.NumPages() != ci.NumPages() {
		return 0, n, nil
	}
	pages := ci.NumPages()
	first, last := -1, -1
	for p := range pages {
		if ci.NullPage(p) {
			continue
		}
		if ci.MaxValue(p).Int64() < since || ci.MinValue(p).Int64() >= until {
			continue
		}
		if first < 0 {
			first = p
		}
		last = p
	}
	if first < 0 {
		return 0, 0, nil
	}
	lo := oi.FirstRowIndex(first)
	hi := n
	if last+1 < pages {
		hi = oi.FirstRowIndex(last + 1)
	}
	return lo, hi, nil
}

// readInt64s reads an int64 column's values for rows [lo, hi).
func readInt64s(chunk parquet.ColumnChunk, lo, hi int64) ([]int64, error) {
	out := make([]int64, 0, hi-lo)
	err := eachValue(chunk, lo, hi, func(_ int64, v parquet.Value) { out = append(out, v.Int64()) })
	return out, err
}

// eachBytes calls fn with the bytes of a string column for rows [lo, hi);
// the bytes are valid during the call only.
func eachBytes(chunk parquet.ColumnChunk, lo, hi int64, fn func(row int64, v []byte)) error {
	return eachValue(chunk, lo, hi, func(row int64, v parquet.Value) { fn(row, v.ByteArray()) })
}

var valueBufs = sync.Pool{New: func() any { b := make([]parquet.Value, 1024); return &b }}

// eachValue calls fn for each value of a flat column for rows [lo, hi).
func eachValue(chunk parquet.ColumnChunk, lo, hi int64, fn func(row int64, v parquet.Value)) error {
	pages := chunk.Pages()
	defer pages.Close()
	if err := pages.SeekToRow(lo); err != nil {
		return err
	}
	bp := valueBufs.Get().(*[]parquet.Value)
	defer valueBufs.Put(bp)
	buf := *bp
	row := lo
	for row < hi {
		page, err := pages.ReadPage()
		if err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return err
		}
		vr := page.Values()
		for row < hi {
			k, err := vr.ReadValues(buf)
			for _, v := range buf[:k] {
				if row >= hi {
					break
				}
				fn(row, v)
				row++
			}
			if err == nil && k == 0 {
				break
			}
			if err != nil {
				if !errors.Is(err, io.EOF) {
					parquet.Release(page)
					return err
				}
				break
			}
		}
		parquet.Release(page)
	}
	return nil
}

// fetch reads the rows of matches, in the order given.
func (c *Case) fetch(ctx context.Context, ms []match, raw bool) ([]Event, error) {
	out := make([]Event, len(ms))
	byPart := map[int][]int{}
	for i, m := range ms {
		byPart[m.part] = append(byPart[m.part], i)
	}
	for pi, idx := range byPart {
		pf, file, err := c.openPart(c.m.Parts[pi])
		if err != nil {
			return nil, err
		}
		slices.SortFunc(idx, func(a, b int) int { return cmp.Compare(ms[a].row, ms[b].row) })
		rows := make([]int64, len(idx))
		for k, i := range idx {
			rows[k] = ms[i].row
		}
		k := 0
		err = readColumnar(ctx, pf, raw, rows, func(e *Event) error {
			out[idx[k]] = *e
			k++
			return nil
		})
		file.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.m.Parts[pi].Path, err)
		}
	}
	return out, nil
}

// Scan calls fn for every matching event (Limit and Cursor are ignored).
// Events come part by part: in time order within a part, not across parts.
// fn may keep a copy of *e, not the pointer: the event is reused.
func (c *Case) Scan(ctx context.Context, q Query, fn func(*Event) error) error {
	return c.scanBatches(ctx, q, true, func(evs []Event) error {
		for i := range evs {
			if err := fn(&evs[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

// EventByID returns the events with the given id (with raw), searching the
// parts of the given source only when source is set.
func (c *Case) EventByID(ctx context.Context, id, source string) ([]Event, error) {
	q := Query{Where: []Cond{{Column: "id", Value: id}}, Raw: true}
	if source != "" {
		q.Source = []string{source}
	}
	var out []Event
	err := c.Scan(ctx, q, func(e *Event) error {
		if e.ID == id {
			out = append(out, *e)
		}
		return nil
	})
	return out, err
}

// errStop ends a Scan early when an iterator's consumer stops.
var errStop = errors.New("stop")

// All returns the matching events as an iterator (in Scan's order). A
// failure is yielded once, as the last pair.
func (c *Case) All(ctx context.Context, q Query) iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		err := c.Scan(ctx, q, func(e *Event) error {
			if !yield(*e, nil) {
				return errStop
			}
			return nil
		})
		if err != nil && !errors.Is(err, errStop) {
			yield(Event{}, err)
		}
	}
}
