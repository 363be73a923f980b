package timeline

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"reflect"
	"runtime"
	"slices"
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

// scanBatches is ScanBatches; with detach every string is a copy of its
// own, as Scan promises.
func (c *Case) scanBatches(ctx context.Context, q Query, detach bool, fn func([]Event) error) error {
	cols, f, parts, err := c.scanPlan(&q)
	if err != nil || len(parts) == 0 {
		return err
	}
	workers := scanWorkers(len(parts))
	free := make(chan []Event, workers*(scanAhead+2))
	return inPartOrder(ctx, parts, workers, free, func() decodeFunc[[]Event] {
		d := &partDecoder{detach: detach, cols: cols, interned: map[string]string{}}
		return func(ctx context.Context, p PartRecord, emit func([]Event) bool) error {
			return d.decode(ctx, c, p, f, emit, free)
		}
	}, fn)
}

// scanPlan returns what a scan of q reads: the columns, the filter of its
// conditions, and the parts it selects, in scan order.
func (c *Case) scanPlan(q *Query) ([]string, *filter, []PartRecord, error) {
	cols, err := scanColumns(q)
	if err != nil {
		return nil, nil, nil, err
	}
	f, err := compile(q, fullSchema)
	if err != nil {
		return nil, nil, nil, err
	}
	idx := c.selectParts(q)
	parts := make([]PartRecord, len(idx))
	for i, j := range idx {
		parts[i] = c.m.Parts[j]
	}
	return cols, f, parts, nil
}

// scanAhead is how many batches a scan's decoding worker may have ready
// beyond the one the consumer takes: enough (4,096 events a worker) that
// the workers run on while the consumer is slower for a while, and the
// cores are not left idle when it catches up.
const scanAhead = 16

// decodeFunc decodes one part into batches, handing each to emit (which
// returns false when the scan stops).
type decodeFunc[B any] func(ctx context.Context, p PartRecord, emit func(B) bool) error

// inPartOrder decodes the parts on workers goroutines, each with a decoder
// of its own from newDecode: worker w decodes parts w, w+workers, …, and the
// consumer takes their batches in part order from each worker's channel in
// turn, so that order is kept while the next parts are decoded ahead. fn
// gets every batch; then the batch goes to free (if it has room) for the
// decoders to reuse.
func inPartOrder[B any](ctx context.Context, parts []PartRecord, workers int, free chan B, newDecode func() decodeFunc[B],
	fn func(B) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type result struct {
		b   B
		end bool  // the end of a part,
		err error // with the error that ended it, if any
	}
	outs := make([]chan result, workers)
	var wg sync.WaitGroup
	for w := range workers {
		outs[w] = make(chan result, scanAhead)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(outs[w])
			decode := newDecode()
			for i := w; i < len(parts); i += workers {
				err := decode(ctx, parts[i], func(b B) bool {
					select {
					case outs[w] <- result{b: b}:
						return true
					case <-ctx.Done():
						return false
					}
				})
				if err != nil {
					err = fmt.Errorf("%s: %w", parts[i].Path, err)
				}
				select {
				case outs[w] <- result{end: true, err: err}:
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
			r, ok := <-out
			if !ok {
				// The worker stopped: the context ended.
				if err := ctx.Err(); err != nil {
					return err
				}
				return errors.New("scan: decoder stopped early")
			}
			if r.end {
				if r.err != nil {
					return r.err
				}
				break
			}
			err := fn(r.b)
			select {
			case free <- r.b:
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
	interned map[string]string // dictionary values, across parts
	// codings are the coded columns' dictionaries (the scan's), for
	// ScanColumns; nil for ScanBatches.
	codings map[string]*coding
	// readers are the column readers by column, kept across parts with
	// their buffers (a dictionary's codes, values and hashes, the same map
	// and the row-group table, grown once: no rehashing in every part).
	readers map[string]*colReader
}

// decode reads the matching rows of part p and hands them to emit in
// batches taken from free (or new); emit returns false to stop.
func (d *partDecoder) decode(ctx context.Context, c *Case, p PartRecord, f *filter, emit func([]Event) bool, free chan []Event) error {
	pf, file, err := c.openPart(p)
	if err != nil {
		return err
	}
	defer file.Close()
	rows, none, err := matchingRows(ctx, pf, f)
	if err != nil || none {
		return err
	}
	readers := make([]*colReader, 0, len(d.cols))
	for _, name := range d.cols {
		leaf, ok := pf.Schema().Lookup(name)
		if !ok {
			continue // a part written before the column existed
		}
		readers = append(readers, d.reader(name, leaf.ColumnIndex))
	}
	if len(readers) == 0 {
		return nil
	}
	defer func() {
		for _, r := range readers {
			r.close()
		}
	}()
	var evs []Event
	return walkRows(ctx, pf, rows, readers, func(k int) error {
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
		return nil
	}, func(keep func(i int) bool) bool {
		if keep != nil {
			j := 0
			for i := range evs {
				if keep(i) {
					evs[j] = evs[i]
					j++
				}
			}
			clear(evs[j:])
			evs = evs[:j]
		}
		return len(evs) == 0 || emit(evs)
	})
}

// walkRows reads the rows of pf (all, or those listed in rows, in order)
// in batches of up to batchRows within a row group: read reads the next k
// rows, then emit hands them on, given keep when only some of them were
// selected (keep(i) tells whether row i of the batch was); emit returns
// false to stop.
func walkRows(ctx context.Context, pf *parquet.File, rows []int64, readers []*colReader, read func(k int) error,
	emit func(keep func(i int) bool) bool) error {
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
			if err := read(int(k)); err != nil {
				return err
			}
			var keep func(i int) bool
			if sel != nil {
				first := base + at
				keep = func(i int) bool {
					if len(sel) > 0 && sel[0] == first+int64(i) {
						sel = sel[1:]
						return true
					}
					return false
				}
			}
			at += k
			if !emit(keep) {
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

	// For ScanColumns, a coded column's dictionary, the codes of the
	// dictionary page's values, and the codes of the row group's values of
	// plain pages, so that the dictionary is searched once per value and
	// row group.
	cd    *coding
	remap []int32
	local *strTable
	// vals and hashes are a dictionary's values being coded.
	vals   []string
	hashes []uint64
}

// matchingRows returns the rows of the part that f selects, or nil when
// f takes every row; none says that it selects no row.
func matchingRows(ctx context.Context, pf *parquet.File, f *filter) (rows []int64, none bool, err error) {
	if f.all() {
		return nil, false, nil
	}
	rows = []int64{}
	err = scanPart(ctx, pf, f, func(row, _ int64) bool { rows = append(rows, row); return true })
	return rows, err == nil && len(rows) == 0, err
}

// uniqueColumns hold a value of their own in nearly every row: not worth
// sharing.
var uniqueColumns = map[string]bool{"id": true, "message": true, "raw": true, "correlation_id": true}

// reader returns the worker's reader of column name, at column index
// index of the part about to be read.
func (d *partDecoder) reader(name string, index int) *colReader {
	if r := d.readers[name]; r != nil {
		r.index = index
		return r
	}
	r := newColReader(name, index, d)
	if d.readers == nil {
		d.readers = map[string]*colReader{}
	}
	d.readers[name] = r
	return r
}

func newColReader(name string, index int, d *partDecoder) *colReader {
	r := &colReader{name: name, index: index, d: d, time: name == "time"}
	if name != "time" && name != "offset" {
		r.set = columnSetters[name].set
		r.off = stringField(name)
		if d.codings != nil {
			if !uniqueColumns[name] {
				r.cd = d.codings[name]
				// The scan's seed: a value new to the row group is coded
				// with the hash the table computed.
				r.local = &strTable{seed: r.cd.seed}
			}
		} else if !d.detach && !uniqueColumns[name] {
			r.same = map[string]string{}
		}
	}
	return r
}

// open starts reading a column chunk at row lo.
func (r *colReader) open(chunk parquet.ColumnChunk, lo int64) error {
	r.close()
	clear(r.same)
	r.dictOf, r.remap = nil, r.remap[:0]
	if r.cd != nil {
		r.local.reset()
	}
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
		if r.cd != nil {
			return nil // readVec checks each index as it codes it
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
	if !r.d.detach && r.d.codings == nil {
		// One copy of the page's bytes, which every value slices. A
		// ScanColumns reads views of the page instead: a coded column's
		// table and coding keep copies of the values they keep, and a
		// batch copies the values of the others into bytes of its own.
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
	r.dict, r.remap = r.dict[:0], r.remap[:0]
	r.vals, r.hashes = r.vals[:0], r.hashes[:0]
	for i := range n {
		a, b := offs[i], offs[i+1]
		if a > b {
			return fmt.Errorf("malformed dictionary")
		}
		if r.cd != nil {
			s := unsafe.String(unsafe.SliceData(values[a:b]), b-a)
			r.vals, r.hashes = append(r.vals, s), append(r.hashes, maphash.String(r.cd.seed, s))
		} else {
			r.dict = append(r.dict, r.d.intern(values[a:b]))
		}
	}
	if r.cd != nil {
		// Coded: what a value is (its code) is all a batch needs.
		r.remap = slices.Grow(r.remap, n)[:n]
		r.cd.codeAll(r.vals, r.hashes, r.remap)
		clear(r.vals) // views of the dictionary's page
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

// ColumnBatch is a batch of events as columns, as ScanColumns hands them
// out: column j is the query's j-th column (Query.Columns, without
// repeats).
type ColumnBatch struct {
	// Len is the number of events.
	Len  int
	cols []columnVec
}

type columnVec struct {
	ints []int64
	str  StringColumn
	// bytes holds the batch's values of an uncoded column, which its
	// Values view: reused with the batch, so that a scan copies each
	// value once into memory it already has.
	bytes []byte
}

// StringColumn is a string column of a ColumnBatch. Columns of values
// that repeat (all but id, message, raw and correlation_id) are coded:
// event i's value is Dict.At(Codes[i]), and Dict.At(0) is always "". Other
// columns hold their Values.
type StringColumn struct {
	Values []string
	Codes  []int32
	Dict   Dict
	// DictID names Dict within the scan: columns and batches with the
	// same DictID share the codes (their Dicts may differ in length, never
	// in the codes both hold).
	DictID uint64
}

// At returns event i's value.
func (c *StringColumn) At(i int) string {
	if c.Codes != nil {
		return c.Dict.At(c.Codes[i])
	}
	return c.Values[i]
}

// Int64 returns column j's values: microseconds since the epoch for time,
// the offset for offset.
func (b *ColumnBatch) Int64(j int) []int64 { return b.cols[j].ints[:b.Len] }

// String returns string column j.
func (b *ColumnBatch) String(j int) *StringColumn { return &b.cols[j].str }

// ScanColumns is ScanBatches by columns: fn gets every matching event in
// Scan's order, in batches of columns, the query's columns only. fn must
// neither keep nor modify the batch, whose columns are reused; a Dict
// (never modified) and its strings may be kept. The strings of Values
// last until fn returns (they are the batch's own bytes, reused with it):
// fn copies what it keeps.
//
// A coded column has one dictionary for the whole scan (token_id and
// issued_id share theirs), which the decoding workers grow together, so a
// consumer that derives something from a value can cache it by DictID and
// code. Coding costs a hash per value of a plain column (in a table of the
// row group's values), and one per distinct value and row group in the
// scan's dictionary; the dictionaries hold every distinct value read.
//
// Half the cores decode (columnWorkers): the consumer, a graph build, runs
// stages of its own beside the scan.
func (c *Case) ScanColumns(ctx context.Context, q Query, fn func(*ColumnBatch) error) error {
	return c.scanColumnsWith(ctx, q, 0, fn)
}

// columnWorkers is the number of parts a ScanColumns decodes at once: half
// the cores, at least one, at most 4. Its consumer, a graph build, resolves
// and applies events on goroutines of its own beside the scan. Real case
// (9,968,108 events) on two cores, BenchmarkRealCaseBuild, ten pairs
// against two decoding workers: CPU 24.1-33.7 s (mean 27.9) against
// 23.9-32.1 s (mean 28.5), wall 15.2-34.2 s (mean 27.4) against 22.0-33.3 s
// (mean 28.6), peak RSS 3,507-3,695 MB against 3,758-3,917 MB, allocation
// 4,392-4,395 MB against 4,622-4,641 MB: two workers took the cores from the
// graph's stages, which then queued more events between them.
func columnWorkers(parts int) int {
	return max(1, min(parts, runtime.GOMAXPROCS(0)/2, 4))
}

// scanColumnsWith is ScanColumns with workers decoding workers (0:
// columnWorkers), for the tests of several workers sharing the codings.
func (c *Case) scanColumnsWith(ctx context.Context, q Query, workers int, fn func(*ColumnBatch) error) error {
	cols, f, parts, err := c.scanPlan(&q)
	if err != nil || len(parts) == 0 {
		return err
	}
	if workers <= 0 {
		workers = columnWorkers(len(parts))
	}
	workers = min(workers, len(parts))
	free := make(chan *ColumnBatch, workers*(scanAhead+2))
	codings := newCodings(cols)
	return inPartOrder(ctx, parts, workers, free, func() decodeFunc[*ColumnBatch] {
		d := &partDecoder{cols: cols, codings: codings, interned: map[string]string{}}
		return func(ctx context.Context, p PartRecord, emit func(*ColumnBatch) bool) error {
			return d.decodeColumns(ctx, c, p, f, emit, free)
		}
	}, fn)
}

// decodeColumns is decode for ScanColumns.
func (d *partDecoder) decodeColumns(ctx context.Context, c *Case, p PartRecord, f *filter, emit func(*ColumnBatch) bool,
	free chan *ColumnBatch) error {
	pf, file, err := c.openPart(p)
	if err != nil {
		return err
	}
	defer file.Close()
	rows, none, err := matchingRows(ctx, pf, f)
	if err != nil || none {
		return err
	}
	// readers[j] reads column j, nil when the part lacks it.
	var readers, present []*colReader
	for _, name := range d.cols {
		leaf, ok := pf.Schema().Lookup(name)
		if !ok {
			readers = append(readers, nil) // a part written before the column existed
			continue
		}
		r := d.reader(name, leaf.ColumnIndex)
		readers = append(readers, r)
		present = append(present, r)
	}
	defer func() {
		for _, r := range present {
			r.close()
		}
	}()
	var b *ColumnBatch
	return walkRows(ctx, pf, rows, present, func(k int) error {
		select {
		case b = <-free:
		default:
			b = &ColumnBatch{cols: make([]columnVec, len(d.cols))}
		}
		b.Len = k
		for j, r := range readers {
			v := &b.cols[j]
			if r == nil {
				v.missing(d.cols[j], k)
				continue
			}
			if err := r.readVec(v, k); err != nil {
				return fmt.Errorf("column %s: %w", r.name, err)
			}
		}
		return nil
	}, func(keep func(i int) bool) bool {
		if keep != nil {
			j := 0
			for i := range b.Len {
				if keep(i) {
					for c := range b.cols {
						b.cols[c].move(j, i)
					}
					j++
				}
			}
			b.Len = j
		}
		return b.Len == 0 || emit(b)
	})
}

// emptyDict is the Dict of a column a part lacks, its one value "" in a
// chunk that is never written (so never touched).
var (
	emptyChunk valChunk
	emptyDict  = Dict{chunks: []*valChunk{&emptyChunk}, n: 1}
)

// missing fills v with k empty values (or zeros) of column name.
func (v *columnVec) missing(name string, k int) {
	switch {
	case name == "time" || name == "offset":
		v.ints = slices.Grow(v.ints[:0], k)[:k]
		clear(v.ints)
	case uniqueColumns[name]:
		v.str = StringColumn{Values: slices.Grow(v.str.Values[:0], k)[:k]}
		clear(v.str.Values)
	default:
		codes := slices.Grow(v.str.Codes[:0], k)[:k]
		clear(codes)
		v.str = StringColumn{Codes: codes, Dict: emptyDict}
	}
}

// move copies row i of the vector to row j.
func (v *columnVec) move(j, i int) {
	switch {
	case v.str.Codes != nil:
		v.str.Codes[j] = v.str.Codes[i]
	case v.str.Values != nil:
		v.str.Values[j] = v.str.Values[i]
	default:
		v.ints[j] = v.ints[i]
	}
}

// readVec sets v to the next k values of the column.
func (r *colReader) readVec(v *columnVec, k int) error {
	coded := r.cd != nil
	switch {
	case r.set == nil:
		v.ints, v.str = v.ints[:0], StringColumn{}
	case coded:
		v.ints, v.str = nil, StringColumn{Codes: v.str.Codes[:0]}
	default:
		v.ints, v.str, v.bytes = nil, StringColumn{Values: v.str.Values[:0]}, v.bytes[:0]
	}
	for k > 0 {
		if r.pos == r.n {
			if err := r.next(); err != nil {
				return err
			}
			continue
		}
		m := min(k, r.n-r.pos)
		switch {
		case r.set == nil:
			v.ints = append(v.ints, r.ints[r.pos:r.pos+m]...)
		case coded && r.idx != nil:
			n := len(v.str.Codes)
			codes, remap := slices.Grow(v.str.Codes, m)[:n+m], r.remap
			for j, i := range r.idx[r.pos : r.pos+m] {
				if uint(i) >= uint(len(remap)) {
					return fmt.Errorf("dictionary index %d out of %d", i, len(remap))
				}
				codes[n+j] = remap[i]
			}
			v.str.Codes = codes
		case coded:
			v.str.Codes = r.local.codeAll(v.str.Codes, r.data, r.offs[r.pos:r.pos+m+1], r.cd)
		case r.idx != nil:
			for _, i := range r.idx[r.pos : r.pos+m] {
				v.str.Values = append(v.str.Values, r.dict[i])
			}
		default:
			v.str.Values = v.appendValues(v.str.Values, r.data, r.offs[r.pos:r.pos+m+1])
		}
		r.pos += m
		k -= m
	}
	if coded {
		// The dictionary after this batch's new values; past maxCodes the
		// scan stops, well before the codes would overflow.
		vals, id := r.cd.snapshot()
		if vals.Len() >= maxCodes {
			return fmt.Errorf("more than %d distinct values", maxCodes)
		}
		v.str.Dict, v.str.DictID = vals, id
	}
	return nil
}

// appendValues appends to vals the values of a segment of a plain page
// (value j is data[offs[j]:offs[j+1]]), copied into v.bytes. When the
// bytes must grow, the values already made keep the old array.
func (v *columnVec) appendValues(vals []string, data []byte, offs []uint32) []string {
	seg := data[offs[0]:offs[len(offs)-1]]
	if len(seg) > cap(v.bytes)-len(v.bytes) {
		v.bytes = make([]byte, 0, max(2*cap(v.bytes), len(seg), 16<<10))
	}
	at := len(v.bytes) - int(offs[0])
	v.bytes = append(v.bytes, seg...)
	b := v.bytes
	for j := range len(offs) - 1 {
		s := ""
		if a, e := int(offs[j])+at, int(offs[j+1])+at; a < e {
			s = unsafe.String(&b[a], e-a)
		}
		vals = append(vals, s)
	}
	return vals
}

// strTable maps strings to codes, like a map[string]int32 that keeps its
// room when reset (a Go map cleared per row group grew again, rehashing,
// in every one): open addressing, each slot with its string's hash bits
// and where its copy is in bytes. A slot is 16 bytes and the table is sized
// for the row group being read, not the largest one read so far, so that
// the slots a row group uses share cache lines: a row group's thousands of
// values were spread over a megabyte of 32-byte slots, a miss per lookup.
type strTable struct {
	seed  maphash.Seed // its coding's: the hashes go on to the coding
	slots []strSlot    // a power of two of them, at most half used
	used  []int32      // the slots in use, to reset
	moved []strSlot    // resize's copies of the used slots
	bytes []byte       // the strings' copies, until reset
	// finds and hits count lookups since the reset: a column whose values
	// seldom repeat within a row group goes to the scan's coding directly
	// (direct), without the table.
	finds, hits int
	direct      bool
	// The values of a codeAll that the table lacks, for the coding.
	pend  []pendingCode
	pendS []string
	pendH []uint64
	pendC []int32
}

// pendingCode is where a code that codeAll asks the coding for goes: the
// position in codes, and the table's slot (-1 when direct).
type pendingCode struct {
	pos  int
	slot int32
}

// codeAll appends to codes the code in cd of each value of a segment of a
// plain page (value j is data[offs[j]:offs[j+1]]). It looks in the table
// first while the row group's values repeat often enough for it to pay (a
// lookup in cd, large and shared, costs several in the table), and asks cd
// for the rest at once, under one lock. The values are views of the page:
// the table and cd keep copies.
func (t *strTable) codeAll(codes []int32, data []byte, offs []uint32, cd *coding) []int32 {
	n := len(offs) - 1
	if !t.direct {
		t.reserve(n) // so that the slots do not move while pending
	}
	for j := range n {
		a, b := offs[j], offs[j+1]
		if a == b {
			codes = append(codes, 0)
			continue
		}
		s := unsafe.String(&data[a], b-a)
		h, slot := maphash.String(t.seed, s), int32(-1)
		if !t.direct && uint64(len(t.bytes))+uint64(len(s)) > maxTableBytes {
			t.direct = true // offsets are 32 bits
		}
		if !t.direct {
			var code int32
			slot, code = t.find(s, h)
			if code >= 0 {
				t.hits++
			}
			if t.finds++; t.finds == 1024 && 4*t.hits < t.finds {
				t.direct = true
			}
			if code >= 0 {
				codes = append(codes, code)
				continue
			}
		}
		t.pend = append(t.pend, pendingCode{pos: len(codes), slot: slot})
		t.pendS, t.pendH = append(t.pendS, s), append(t.pendH, h)
		codes = append(codes, 0)
	}
	if len(t.pend) > 0 {
		t.pendC = slices.Grow(t.pendC[:0], len(t.pend))[:len(t.pend)]
		cd.codeAll(t.pendS, t.pendH, t.pendC)
		for i, p := range t.pend {
			codes[p.pos] = t.pendC[i]
			if p.slot >= 0 {
				t.slots[p.slot].code = t.pendC[i]
			}
		}
		clear(t.pendS) // views of the page
		t.pend, t.pendS, t.pendH = t.pend[:0], t.pendS[:0], t.pendH[:0]
	}
	return codes
}

// reserve grows the table, if need be, so that k more strings fit without
// growing it.
func (t *strTable) reserve(k int) {
	for 2*(len(t.used)+k) > len(t.slots) {
		t.grow()
	}
}

// maxTableBytes bounds the copies a strTable holds (a row group's values
// of a column), for 32-bit offsets.
const maxTableBytes = 1<<32 - 1

// strSlot is a slot of strTable: the low bits of its string's hash, its
// code (-1 while the coding's is pending), and its copy in bytes (n 0 when
// the slot is free: strings are never "").
type strSlot struct {
	h      uint32
	code   int32
	off, n uint32
}

// find returns the slot of s (not ""), whose hash is h, and its code: -1
// in a new slot if s is new (the table keeps a copy of s until reset).
// The caller has reserved room for s: find never grows the table, which
// would move the slots that codeAll's pending codes name.
func (t *strTable) find(s string, h uint64) (int32, int32) {
	mask := uint64(len(t.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		sl := &t.slots[i]
		if sl.n == 0 {
			*sl = strSlot{h: uint32(h), code: -1, off: uint32(len(t.bytes)), n: uint32(len(s))}
			t.bytes = append(t.bytes, s...)
			t.used = append(t.used, int32(i))
			return int32(i), -1
		}
		if sl.h == uint32(h) && int(sl.n) == len(s) && string(t.bytes[sl.off:sl.off+sl.n]) == s {
			return int32(i), sl.code
		}
	}
}

// grow doubles the table (or makes it).
func (t *strTable) grow() {
	t.resize(max(1024, 2*len(t.slots)))
}

// resize moves the used slots to a table of n slots, in the same array
// when it has room; a slot keeps the low 32 bits of its hash, which place
// it (tables stay under 2^32 slots).
func (t *strTable) resize(n int) {
	moved := t.moved[:0]
	for _, u := range t.used {
		moved = append(moved, t.slots[u])
	}
	if cap(t.slots) >= n {
		t.slots = t.slots[:n]
		clear(t.slots)
	} else {
		t.slots = make([]strSlot, n)
	}
	t.used = t.used[:0]
	mask := uint32(n - 1)
	for _, sl := range moved {
		i := sl.h & mask
		for t.slots[i].n != 0 {
			i = (i + 1) & mask
		}
		t.slots[i] = sl
		t.used = append(t.used, int32(i))
	}
	t.moved = moved
}

// reset empties the table for another row group. The table keeps its
// array, but uses only four times as many slots as the last row group
// filled (1,024 at least), so that after a large row group the next small
// ones' slots are not spread over a table many times their size.
func (t *strTable) reset() {
	need := 1024
	for need < 4*len(t.used) {
		need *= 2
	}
	if need < len(t.slots) {
		t.used = t.used[:0]
		t.resize(need) // clears the slots it keeps
	} else {
		for _, u := range t.used {
			t.slots[u] = strSlot{}
		}
		t.used = t.used[:0]
	}
	t.bytes = t.bytes[:0]
	t.finds, t.hits, t.direct = 0, 0, false
}
