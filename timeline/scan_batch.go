package timeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/parquet-go/parquet-go"
)

// Bulk scans decode parts in parallel, page by page. A part's pages come
// whole out of parquet-go (decompressed, and for dictionary columns as
// dictionary indexes), so a column is decoded by walking arrays rather than
// one parquet.Value at a time: a dictionary value becomes a string once per
// column chunk, and a plain string value is a slice of its page.

// batchRows is the number of events handed over at once.
const batchRows = 256

// scanWorkers is the number of parts decoded at once.
func scanWorkers(parts int) int {
	return max(1, min(parts, runtime.GOMAXPROCS(0), 4))
}

// ScanBatches calls fn with every matching event (Limit and Cursor are
// ignored), in batches, in Scan's order: part by part, in time order within
// a part. Only the columns of q.Columns are read. Up to GOMAXPROCS parts
// are decoded at once while fn runs.
//
// fn must neither keep nor modify the slice, which is reused (a batch's
// events have no column set but those read), and the events' strings may
// share memory with the decoded page they came from (a whole page, tens of
// kilobytes): fn clones what it keeps beyond a few batches. Within a row
// group, equal values of a column other than id, message, raw and
// correlation_id are one string (the same address).
func (c *Case) ScanBatches(ctx context.Context, q Query, fn func([]Event) error) error {
	return c.scanBatches(ctx, q, false, fn)
}

// scanColumns returns the columns a query reads.
func scanColumns(q *Query) ([]string, error) {
	if len(q.Columns) == 0 {
		var cols []string
		for _, name := range columns {
			if name != "raw" || q.Raw {
				cols = append(cols, name)
			}
		}
		return cols, nil
	}
	var cols []string
	seen := map[string]bool{}
	for _, name := range q.Columns {
		if !IsColumn(name) {
			return nil, fmt.Errorf("no column %q", name)
		}
		if !seen[name] {
			seen[name] = true
			cols = append(cols, name)
		}
	}
	if q.Raw && !seen["raw"] {
		cols = append(cols, "raw")
	}
	return cols, nil
}

// scanBatch is one batch on its way from a decoding worker, or the end of
// a part (end), with the error that ended it if any.
type scanBatch struct {
	events []Event
	end    bool
	err    error
}

// scanBatches is ScanBatches; with detach every string is a copy of its
// own, as Scan promises.
func (c *Case) scanBatches(ctx context.Context, q Query, detach bool, fn func([]Event) error) error {
	cols, err := scanColumns(&q)
	if err != nil {
		return err
	}
	f, err := compile(&q, fullSchema)
	if err != nil {
		return err
	}
	parts := c.selectParts(&q)
	if len(parts) == 0 {
		return nil
	}
	workers := scanWorkers(len(parts))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Worker w decodes parts w, w+workers, …; the consumer takes them in
	// order from each worker's channel in turn, so order is kept while
	// the next parts are decoded ahead.
	const ahead = 3
	outs := make([]chan scanBatch, workers)
	free := make(chan []Event, workers*(ahead+2))
	var wg sync.WaitGroup
	for w := range workers {
		outs[w] = make(chan scanBatch, ahead)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(outs[w])
			d := &partDecoder{detach: detach, cols: cols, interned: map[string]string{}, same: map[string]map[string]string{}}
			for i := w; i < len(parts); i += workers {
				p := c.m.Parts[parts[i]]
				err := d.decode(ctx, c, p, f, func(evs []Event) bool {
					select {
					case outs[w] <- scanBatch{events: evs}:
						return true
					case <-ctx.Done():
						return false
					}
				}, free)
				if err != nil {
					err = fmt.Errorf("%s: %w", p.Path, err)
				}
				select {
				case outs[w] <- scanBatch{end: true, err: err}:
				case <-ctx.Done():
					return
				}
				if err != nil {
					return
				}
			}
		}()
	}
	defer func() {
		cancel()
		for _, out := range outs {
			for range out {
			}
		}
		wg.Wait()
	}()
	for i := range parts {
		out := outs[i%workers]
		for {
			b, ok := <-out
			if !ok {
				// The worker stopped: the context ended.
				if err := ctx.Err(); err != nil {
					return err
				}
				return errors.New("scan: decoder stopped early")
			}
			if b.end {
				if b.err != nil {
					return b.err
				}
				break
			}
			err := fn(b.events)
			select {
			case free <- b.events[:0]:
			default:
			}
			if err != nil {
				return err
			}
		}
	}
	return ctx.Err()
}

// partDecoder decodes parts for one worker.
type partDecoder struct {
	detach   bool
	cols     []string
	interned map[string]string            // dictionary values, across parts
	same     map[string]map[string]string // colReader.same by column
}

// decode reads the matching rows of part p and hands them to emit in
// batches taken from free (or new); emit returns false to stop.
func (d *partDecoder) decode(ctx context.Context, c *Case, p PartRecord, f *filter, emit func([]Event) bool, free chan []Event) error {
	pf, file, err := c.openPart(p)
	if err != nil {
		return err
	}
	defer file.Close()
	var rows []int64 // matching rows, when the filter selects some
	if !f.all() {
		rows = []int64{}
		err := scanPart(ctx, pf, f, func(row, _ int64) bool { rows = append(rows, row); return true })
		if err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
	}
	readers := make([]*colReader, 0, len(d.cols))
	for _, name := range d.cols {
		leaf, ok := pf.Schema().Lookup(name)
		if !ok {
			continue // a part written before the column existed
		}
		readers = append(readers, newColReader(name, leaf.ColumnIndex, d))
	}
	if len(readers) == 0 {
		return nil
	}
	defer func() {
		for _, r := range readers {
			r.close()
		}
	}()
	var base int64
	for _, rg := range pf.RowGroups() {
		n := rg.NumRows()
		lo, hi := int64(0), n
		var sel []int64 // rows of this row group, relative to it
		if rows != nil {
			end := 0
			for end < len(rows) && rows[end] < base+n {
				end++
			}
			if end == 0 {
				base += n
				continue
			}
			sel = rows[:end]
			rows = rows[end:]
			lo, hi = sel[0]-base, sel[len(sel)-1]-base+1
		}
		for _, r := range readers {
			if err := r.open(rg.ColumnChunks()[r.index], lo); err != nil {
				return err
			}
		}
		for at := lo; at < hi; {
			if err := ctx.Err(); err != nil {
				return err
			}
			k := min(hi-at, batchRows)
			var evs []Event
			select {
			case evs = <-free:
				if d.detach {
					clear(evs[:cap(evs)]) // Scan's fn may have changed them
				}
			default:
				evs = make([]Event, 0, batchRows)
			}
			evs = evs[:k]
			for _, r := range readers {
				if err := r.read(evs); err != nil {
					return fmt.Errorf("column %s: %w", r.name, err)
				}
			}
			if sel != nil {
				// Keep the selected rows only.
				j := 0
				for i := range evs {
					row := base + at + int64(i)
					if len(sel) > 0 && sel[0] == row {
						evs[j] = evs[i]
						j++
						sel = sel[1:]
					}
				}
				clear(evs[j:])
				evs = evs[:j]
			}
			at += k
			if len(evs) == 0 {
				continue
			}
			if !emit(evs) {
				return ctx.Err()
			}
		}
		base += n
	}
	return nil
}

// all reports whether the filter selects every row.
func (f *filter) all() bool {
	return f.since == -1<<63 && f.until == 1<<63-1 && len(f.where) == 0 && f.text == nil
}

// colReader reads one column of a row group page by page.
type colReader struct {
	name  string
	index int
	d     *partDecoder
	set   func(e *Event, s string) // string columns
	off   uintptr                  // the offset of the column's string field in Event
	time  bool                     // the time column (else offset, when set is nil)

	pages parquet.Pages
	page  parquet.Page
	n     int // values in the page
	pos   int // next value in the page

	ints   []int64  // int64 page
	idx    []int32  // dictionary page: indexes into dict
	dict   []string // the dictionary's values as strings
	dictOf parquet.Dictionary
	data   []byte   // plain byte array page
	str    string   // data as one string, when values share it
	offs   []uint32 // plain byte array page: value i is data[offs[i]:offs[i+1]]
	// same maps the values of a plain column read so far in the row group
	// to their first string, so that equal values share one string (and
	// a consumer can tell them equal by address); nil for columns of
	// unique values.
	same map[string]string
}

// uniqueColumns hold a value of their own in nearly every row: not worth
// sharing.
var uniqueColumns = map[string]bool{"id": true, "message": true, "raw": true, "correlation_id": true}

func newColReader(name string, index int, d *partDecoder) *colReader {
	r := &colReader{name: name, index: index, d: d, time: name == "time"}
	if name != "time" && name != "offset" {
		r.set = columnSetters[name].set
		r.off = stringField(name)
		if !d.detach && !uniqueColumns[name] {
			// Kept across parts: a map grown once costs no rehashing.
			if r.same = d.same[name]; r.same == nil {
				r.same = map[string]string{}
				d.same[name] = r.same
			}
		}
	}
	return r
}

// open starts reading a column chunk at row lo.
func (r *colReader) open(chunk parquet.ColumnChunk, lo int64) error {
	r.close()
	clear(r.same)
	r.pages = chunk.Pages()
	if lo > 0 {
		if err := r.pages.SeekToRow(lo); err != nil {
			return err
		}
	}
	return nil
}

func (r *colReader) close() {
	r.release()
	if r.pages != nil {
		r.pages.Close()
		r.pages = nil
	}
}

func (r *colReader) release() {
	if r.page != nil {
		parquet.Release(r.page)
		r.page = nil
	}
	r.n, r.pos = 0, 0
	r.ints, r.idx, r.data, r.offs, r.str = nil, nil, nil, nil, ""
}

// next reads the next page.
func (r *colReader) next() error {
	r.release()
	page, err := r.pages.ReadPage()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return io.ErrUnexpectedEOF // fewer values than the row group has rows
		}
		return err
	}
	r.page = page
	if page.NumNulls() != 0 || len(page.RepetitionLevels()) != 0 {
		return fmt.Errorf("unexpected nulls or repetition in page")
	}
	r.n = int(page.NumValues())
	data := page.Data()
	if r.set == nil {
		r.ints = data.Int64()
		if len(r.ints) < r.n {
			return fmt.Errorf("page holds %d values, says %d", len(r.ints), r.n)
		}
		return nil
	}
	if dict := page.Dictionary(); dict != nil {
		r.idx = data.Int32()
		if len(r.idx) < r.n {
			return fmt.Errorf("page holds %d indexes, says %d", len(r.idx), r.n)
		}
		if dict != r.dictOf {
			if err := r.loadDict(dict); err != nil {
				return err
			}
		}
		for _, i := range r.idx[:r.n] {
			if uint(i) >= uint(len(r.dict)) {
				return fmt.Errorf("dictionary index %d out of %d", i, len(r.dict))
			}
		}
		return nil
	}
	r.data, r.offs = data.ByteArray()
	if len(r.offs) < r.n+1 {
		return fmt.Errorf("page holds %d offsets, says %d values", len(r.offs), r.n)
	}
	if int(r.offs[r.n]) > len(r.data) {
		return fmt.Errorf("page offsets past its data")
	}
	for i := range r.n {
		if r.offs[i] > r.offs[i+1] {
			return fmt.Errorf("page offsets out of order")
		}
	}
	if !r.d.detach {
		// One copy of the page's bytes, which every value slices.
		r.str = string(r.data[:r.offs[r.n]])
	}
	return nil
}

// loadDict turns a dictionary's values into strings, interned across the
// worker's parts.
func (r *colReader) loadDict(dict parquet.Dictionary) error {
	data := dict.Page().Data()
	values, offs := data.ByteArray()
	n := dict.Len()
	if len(offs) < n+1 || int(offs[n]) > len(values) {
		return fmt.Errorf("malformed dictionary")
	}
	r.dict = make([]string, n)
	for i := range n {
		a, b := offs[i], offs[i+1]
		if a > b {
			return fmt.Errorf("malformed dictionary")
		}
		r.dict[i] = r.d.intern(values[a:b])
	}
	r.dictOf = dict
	return nil
}

func (d *partDecoder) intern(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if s, ok := d.interned[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(d.interned) < 1<<16 {
		d.interned[s] = s
	}
	return s
}

// field returns the column's string field in e.
func (r *colReader) field(e *Event) *string {
	return (*string)(unsafe.Add(unsafe.Pointer(e), r.off))
}

// stringField returns the offset in Event of the string field stored as
// column name (every column but time and offset).
func stringField(name string) uintptr {
	t := reflect.TypeFor[Event]()
	for i := range t.NumField() {
		f := t.Field(i)
		if tag, _, _ := strings.Cut(f.Tag.Get("parquet"), ","); tag == name && f.Type.Kind() == reflect.String {
			return f.Offset
		}
	}
	panic("timeline: no string field for column " + name) // columns and Event are out of step
}

// read sets the column of each event of evs, reading on from where it was.
func (r *colReader) read(evs []Event) error {
	for i := 0; i < len(evs); {
		if r.pos == r.n {
			if err := r.next(); err != nil {
				return err
			}
			continue
		}
		k := min(len(evs)-i, r.n-r.pos)
		dst := evs[i : i+k]
		switch {
		case r.set == nil && r.time:
			for j, v := range r.ints[r.pos : r.pos+k] {
				dst[j].Time = time.UnixMicro(v).UTC()
			}
		case r.set == nil:
			for j, v := range r.ints[r.pos : r.pos+k] {
				dst[j].Offset = v
			}
		case r.idx != nil:
			for j, v := range r.idx[r.pos : r.pos+k] {
				*r.field(&dst[j]) = r.dict[v]
			}
		case r.same != nil:
			offs := r.offs[r.pos : r.pos+k+1]
			for j := range dst {
				v := r.str[offs[j]:offs[j+1]]
				if v != "" {
					if s, ok := r.same[v]; ok {
						v = s
					} else {
						r.same[v] = v
					}
				}
				*r.field(&dst[j]) = v
			}
		case !r.d.detach:
			offs := r.offs[r.pos : r.pos+k+1]
			for j := range dst {
				*r.field(&dst[j]) = r.str[offs[j]:offs[j+1]]
			}
		default:
			offs := r.offs[r.pos : r.pos+k+1]
			for j := range dst {
				if a, b := offs[j], offs[j+1]; a < b {
					r.set(&dst[j], string(r.data[a:b]))
				}
			}
		}
		r.pos += k
		i += k
	}
	return nil
}
