package timeline

import (
	"encoding/binary"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parquet-go/parquet-go"
)

// A part is written column by column. The encoded events of a batch (see
// appendEvent) are decoded once into one slice of values per column, views
// of the arena or spill block they came from; then the columns are handed to
// parquet-go's column writers, which copy the values into their pages. Each
// column is independent of the others until the row group is written, so a
// batch's columns are shared out between the writing goroutine and a helper:
// one import's Parquet writing was a single goroutine's work, the raw
// column's Snappy alone a third of it, and the import's other core waited
// for it (at commit, where the last, spilled partitions are merged, the
// import ran on one core for a second). The file is the one parquet-go's
// row writer makes from the same rows, byte for byte (TestPartWriterBytes).

const (
	// partBatchRows is how many rows a part writer decodes before it writes
	// them: the unit handed out to the goroutines.
	partBatchRows = 1024
	// pageChunkRows is how many rows of a column go to its writer at once;
	// a page is cut when full only between such writes, as parquet-go's row
	// writer cuts it (64 rows), so pages are the same.
	pageChunkRows = 64
	// timeCol and offsetCol are the int64 columns in columns; every other
	// column is a string.
	timeCol   = 1
	offsetCol = len(columns) - 1
	// fileCol and sumCol are the file and file_sha256 columns.
	fileCol = len(columns) - 3
	sumCol  = len(columns) - 2
)

// partWriter writes one Parquet part and its value counts.
type partWriter struct {
	r     *Run
	f     *os.File
	w     *parquet.GenericWriter[row]
	cols  []*parquet.ColumnWriter
	sb    *statsBuilder
	stats [len(columns)]int // the column's place in sb.cols, or -1
	order [len(columns)]int // columns in the order they are taken up
	vals  [len(columns)][]parquet.Value
	n     int // rows in the batch
	rgMax int // rows of a row group
	rgN   int // rows in the current row group
	full  string
	rec   PartRecord
	// file and sum are the last file whose pending hash was looked up,
	// and its hash.
	file, sum []byte
	// pending says the batch has rows whose file's hash is still being
	// computed; held are the file_sha256 values of written batches that
	// wait for such hashes (see release), heldVals a buffer for them.
	pending  bool
	held     []heldBatch
	heldVals []parquet.Value
	// flushed, if set, is called after each batch is written: the
	// buffers the batch's rows pointed into may be reused.
	flushed func()
}

func (r *Run) newPartWriter(k partKey) (*partWriter, error) {
	seq := r.seq.Add(1)
	date := k.date()
	rel := path.Join(eventsDir, "source="+k.source, "date="+date, fmt.Sprintf("part-%s-%04d.parquet", r.id, seq))
	statsRel := strings.TrimSuffix(rel, ".parquet") + ".stats.json"
	full := r.staged(rel)
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		return nil, err
	}
	f, err := os.Create(full)
	if err != nil {
		return nil, err
	}
	r.track(full, r.staged(statsRel))
	rgMax := min(r.opts.RowGroupRows, partRowGroupRows)
	w, ok := r.writers.Get().(*parquet.GenericWriter[row])
	if ok {
		resetWriter(w, f)
	} else {
		w = newParquetWriter(f, rgMax)
	}
	pw := &partWriter{
		r:     r,
		f:     f,
		w:     w,
		cols:  w.ColumnWriters(),
		sb:    newStatsBuilder(),
		order: columnOrder(),
		rgMax: int(rgMax),
		full:  full,
		rec:   PartRecord{Path: rel, Source: k.source, Date: date, Run: r.id, Stats: statsRel},
	}
	if len(pw.cols) != len(columns) {
		f.Close()
		return nil, fmt.Errorf("write %s: the writer has %d columns, want %d", rel, len(pw.cols), len(columns))
	}
	for i := range pw.stats {
		pw.stats[i] = -1
	}
	for i, name := range statsColumns {
		for j, c := range columns {
			if c == name {
				pw.stats[j] = i
			}
		}
	}
	for i := range pw.vals {
		pw.vals[i] = make([]parquet.Value, 0, partBatchRows)
	}
	return pw, nil
}

// add decodes one encoded event into the batch; its bytes must stay as
// they are until the batch is written (flushed says when).
func (pw *partWriter) add(rec []byte) error {
	if len(rec) < 16 {
		return errBadRecord
	}
	t := int64(binary.LittleEndian.Uint64(rec))
	pw.vals[timeCol] = append(pw.vals[timeCol], parquet.Int64Value(t))
	pw.vals[offsetCol] = append(pw.vals[offsetCol], parquet.Int64Value(int64(binary.LittleEndian.Uint64(rec[8:]))))
	d := recDecoder{b: rec[16:]}
	var file []byte
	for c := range columns {
		if c == timeCol || c == offsetCol {
			continue
		}
		v := d.bytes()
		if d.bad {
			pw.truncate()
			return errBadRecord
		}
		switch c {
		case fileCol:
			file = v
		case sumCol:
			if string(v) == PendingSHA256 {
				sum, err := pw.pendingSum(file)
				if err != nil {
					pw.truncate()
					return err
				}
				if sum != nil {
					v = sum
				} else {
					pw.pending = true // held back at flush
				}
			}
		}
		pw.vals[c] = append(pw.vals[c], parquet.ByteArrayValue(v))
	}
	if pw.rec.Rows == 0 {
		pw.rec.MinTime = time.UnixMicro(t).UTC()
	}
	pw.rec.Rows++
	pw.n++
	if pw.n == min(partBatchRows, pw.rgMax-pw.rgN) {
		return pw.flush()
	}
	return nil
}

// truncate drops the values of a row that did not decode whole.
func (pw *partWriter) truncate() {
	for c := range pw.vals {
		pw.vals[c] = pw.vals[c][:pw.n]
	}
}

// pendingSum is the hash HashLater gives for file, or nil while it is
// still being computed.
func (pw *partWriter) pendingSum(file []byte) ([]byte, error) {
	if pw.sum != nil && string(file) == string(pw.file) {
		return pw.sum, nil
	}
	sum, ok, err := pw.r.fileSHA256(string(file), false)
	if err != nil || !ok {
		return nil, err
	}
	pw.file, pw.sum = append(pw.file[:0], file...), []byte(sum)
	return pw.sum, nil
}

// heldBatch is a written batch's file_sha256 values, held back because
// some say a hash that was still being computed: runs of equal values, in
// row order.
type heldBatch struct {
	n    int
	runs []heldRun
}

// heldRun is n rows of one hash; file names the file whose hash is still
// to be asked for (sum nil).
type heldRun struct {
	sum  []byte
	file string
	n    int
}

// hold keeps the batch's file_sha256 values (copies) for release.
func (pw *partWriter) hold() {
	hb := heldBatch{n: pw.n}
	files, sums := pw.vals[fileCol][:pw.n], pw.vals[sumCol][:pw.n]
	for i := range sums {
		v := sums[i].ByteArray()
		if string(v) == PendingSHA256 {
			f := files[i].ByteArray()
			if k := len(hb.runs) - 1; k >= 0 && hb.runs[k].sum == nil && hb.runs[k].file == string(f) {
				hb.runs[k].n++
				continue
			}
			hb.runs = append(hb.runs, heldRun{file: string(f), n: 1})
			continue
		}
		if k := len(hb.runs) - 1; k >= 0 && hb.runs[k].sum != nil && string(hb.runs[k].sum) == string(v) {
			hb.runs[k].n++
			continue
		}
		hb.runs = append(hb.runs, heldRun{sum: slices.Clone(v), n: 1})
	}
	pw.held = append(pw.held, hb)
}

// release writes the held file_sha256 values once every hash they wait
// for is known; unless wait is set it returns at once, writing nothing,
// while one is still being computed.
func (pw *partWriter) release(wait bool) error {
	for i := range pw.held {
		runs := pw.held[i].runs
		for j := range runs {
			if runs[j].sum != nil {
				continue
			}
			sum, ok, err := pw.r.fileSHA256(runs[j].file, wait)
			if err != nil || !ok {
				return err
			}
			runs[j].sum = []byte(sum)
		}
	}
	for _, hb := range pw.held {
		vals := pw.heldVals[:0]
		for _, run := range hb.runs {
			for range run.n {
				vals = append(vals, parquet.ByteArrayValue(run.sum))
			}
		}
		pw.heldVals = vals
		if err := pw.writeValues(sumCol, vals); err != nil {
			return err
		}
	}
	clear(pw.held)
	pw.held = pw.held[:0]
	return nil
}

// flush writes the batch, its columns shared out between this goroutine
// and, with more than one core, a helper. Once it returns nothing of the
// part writer points into the batch's records.
func (pw *partWriter) flush() error {
	if pw.n == 0 {
		return nil
	}
	// A batch's file_sha256 values wait while a hash they need is being
	// computed, and so do those of every later batch (a column's values go
	// in row order); the other columns are written.
	if len(pw.held) > 0 {
		if err := pw.release(false); err != nil {
			return err
		}
	}
	holding := pw.pending || len(pw.held) > 0
	if holding {
		pw.hold()
	}
	pw.pending = false
	var next atomic.Int32
	var errs [len(columns)]error
	work := func() {
		for {
			c := int(next.Add(1)) - 1
			if c >= len(columns) {
				return
			}
			if col := pw.order[c]; col != sumCol || !holding {
				errs[c] = pw.writeColumn(col)
			}
		}
	}
	if runtime.GOMAXPROCS(0) > 1 {
		var wg sync.WaitGroup
		wg.Go(work)
		work()
		wg.Wait()
	} else {
		work()
	}
	pw.sb.rows += int64(pw.n)
	pw.rec.MaxTime = time.UnixMicro(pw.vals[timeCol][pw.n-1].Int64()).UTC()
	pw.rgN += pw.n
	pw.n = 0
	for c := range pw.vals {
		pw.vals[c] = pw.vals[c][:0]
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	if pw.rgN == pw.rgMax {
		pw.rgN = 0
		if err := pw.release(true); err != nil {
			return err
		}
		if err := pw.w.Flush(); err != nil {
			return err
		}
	}
	if pw.flushed != nil {
		pw.flushed()
	}
	return nil
}

// writeFirst are the columns a batch's goroutines take up first, the
// dearest first: the raw record (a copy and Snappy of the largest values),
// then the other large or compressed ones; the rest follow in schema order,
// so that the goroutines finish together.
var writeFirst = [...]string{"raw", "message", "id", "correlation_id", "user_agent", "actor", "target", "session_id", "token_id"}

// columnOrder is columns in the order of writeFirst, then the rest.
func columnOrder() [len(columns)]int {
	var order [len(columns)]int
	taken := [len(columns)]bool{}
	n := 0
	for _, name := range writeFirst {
		for c, col := range columns {
			if col == name && !taken[c] {
				order[n], taken[c] = c, true
				n++
			}
		}
	}
	for c := range columns {
		if !taken[c] {
			order[n] = c
			n++
		}
	}
	return order
}

// writeColumn hands the batch's values of column c to its writer, in
// chunks of pageChunkRows, and counts them if they are counted. The
// counts then hold no view of the batch.
func (pw *partWriter) writeColumn(c int) error {
	if err := pw.writeValues(c, pw.vals[c][:pw.n]); err != nil {
		return err
	}
	if s := pw.stats[c]; s >= 0 {
		col := &pw.sb.cols[s]
		col.addValues(pw.vals[c][:pw.n])
		col.settle()
	}
	return nil
}

// writeValues hands one batch's values of column c to its writer.
func (pw *partWriter) writeValues(c int, vals []parquet.Value) error {
	for len(vals) > 0 {
		k := min(len(vals), pageChunkRows)
		if _, err := pw.cols[c].WriteRowValues(vals[:k]); err != nil {
			return err
		}
		vals = vals[k:]
	}
	return nil
}

func (pw *partWriter) finish() (PartRecord, error) {
	err := pw.flush()
	if err == nil {
		err = pw.release(true)
	}
	if err == nil {
		err = pw.w.Close() // synced with the run's other files, in Run.publish
	}

	if cerr := pw.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return pw.rec, fmt.Errorf("write %s: %w", pw.rec.Path, err)
	}
	// A closed writer is reset for the next part (resetWriter): its
	// buffers and encoders cost more to make than many small parts take to
	// write (a fresh writer per part cost 4% of a CloudTrail import).
	pw.r.writers.Put(pw.w)
	pw.r.queueWriteback(pw.full)
	if err := pw.sb.write(filepath.Join(filepath.Dir(pw.full), path.Base(pw.rec.Stats))); err != nil {
		return pw.rec, fmt.Errorf("write %s: %w", pw.rec.Stats, err)
	}
	return pw.rec, nil
}

func (pw *partWriter) abandon() { pw.f.Close() }
