package timeline

import (
	"container/heap"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	"github.com/parquet-go/parquet-go"
)

// A run flushes a partition whenever memory runs short, so a long import
// whose records interleave days and sources leaves many small parts per
// (source, date). Before it commits, the run merges them, streaming, into
// one part per partition: fewer files to open makes every query faster.

// maxMergeRows bounds the rows merged into one part; bigger partitions
// keep several parts.
const maxMergeRows = 2_000_000

// smallPartRows is the size under which a part is worth merging: bigger
// parts cost little to open, and rewriting them would cost a second encode.
const smallPartRows = 16 << 10

// mergeRowGroupRows bounds the row groups of merged parts (parquet-go
// holds a row group in memory while it writes it).
const mergeRowGroupRows = 32 << 10

func (r *Run) compact() error {
	type group struct {
		parts []int // indexes into r.newParts
		rows  int64
	}
	groups := map[partKey]*group{}
	var order []partKey
	for i, p := range r.newParts {
		if p.Rows >= smallPartRows {
			continue
		}
		k := partKey{p.Source, p.Date}
		g := groups[k]
		if g == nil {
			g = &group{}
			groups[k] = g
			order = append(order, k)
		}
		g.parts = append(g.parts, i)
		g.rows += p.Rows
	}
	drop := map[int]bool{}
	var merged []PartRecord
	for _, k := range order {
		g := groups[k]
		if len(g.parts) < 2 || g.rows > maxMergeRows {
			continue
		}
		var ins []PartRecord
		for _, i := range g.parts {
			ins = append(ins, r.newParts[i])
			drop[i] = true
		}
		r.seq++
		p, err := r.mergeParts(k, ins)
		if err != nil {
			return err
		}
		merged = append(merged, p)
	}
	if len(merged) == 0 {
		return nil
	}
	var keep []PartRecord
	for i, p := range r.newParts {
		if !drop[i] {
			keep = append(keep, p)
			continue
		}
		// The merged-away parts leave staging now.
		for _, rel := range []string{p.Path, p.Stats} {
			if rel == "" {
				continue
			}
			full := r.staged(rel)
			if err := os.Remove(full); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
			r.forget(full)
		}
	}
	r.newParts = append(keep, merged...)
	return nil
}

// forget drops a file from the run's list of written files.
func (r *Run) forget(full string) {
	for i, f := range r.written {
		if f == full {
			r.written = append(r.written[:i], r.written[i+1:]...)
			return
		}
	}
}

// mergeParts merges sorted parts into one sorted part, streaming.
func (r *Run) mergeParts(k partKey, ins []PartRecord) (PartRecord, error) {
	rel := path.Join(eventsDir, "source="+k.source, "date="+k.date, fmt.Sprintf("part-%s-%04d.parquet", r.id, r.seq))
	statsRel := strings.TrimSuffix(rel, ".parquet") + ".stats.json"
	full := r.staged(rel)
	out := PartRecord{Path: rel, Source: k.source, Date: k.date, Run: r.id, Stats: statsRel}

	var files []*os.File
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	h := &mergeHeap{}
	for i, p := range ins {
		f, err := os.Open(r.staged(p.Path))
		if err != nil {
			return out, err
		}
		files = append(files, f)
		st, err := f.Stat()
		if err != nil {
			return out, err
		}
		pf, err := parquet.OpenFile(f, st.Size())
		if err != nil {
			return out, fmt.Errorf("merge %s: %w", p.Path, err)
		}
		src := &mergeSource{r: parquet.NewGenericReader[row](pf), order: i, buf: make([]row, 256)}
		defer src.r.Close()
		ok, err := src.next()
		if err != nil {
			return out, err
		}
		if ok {
			h.items = append(h.items, src)
		}
	}
	heap.Init(h)

	f, err := os.Create(full)
	if err != nil {
		return out, err
	}
	r.written = append(r.written, full)
	w := newParquetWriter(f, mergeRowGroupRows)
	sb := newStatsBuilder()
	batch := make([]row, 0, 1024)
	var ev Event
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		_, err := w.Write(batch)
		batch = batch[:0]
		return err
	}
	for h.Len() > 0 {
		src := h.items[0]
		cur := src.buf[src.pos]
		batch = append(batch, cur)
		fromRow(&cur, &ev)
		sb.add(&ev)
		if out.Rows == 0 {
			out.MinTime = ev.Time
		}
		out.MaxTime = ev.Time
		out.Rows++
		if len(batch) == cap(batch) {
			if err := flush(); err != nil {
				f.Close()
				return out, err
			}
		}
		src.pos++
		ok, err := src.next()
		if err != nil {
			f.Close()
			return out, err
		}
		if ok {
			heap.Fix(h, 0)
		} else {
			heap.Pop(h)
		}
	}
	if err := flush(); err != nil {
		f.Close()
		return out, err
	}
	if err := w.Close(); err != nil {
		f.Close()
		return out, err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return out, err
	}
	if err := f.Close(); err != nil {
		return out, err
	}
	r.written = append(r.written, r.staged(statsRel))
	return out, sb.write(r.staged(statsRel))
}

// mergeSource is one sorted part being merged.
type mergeSource struct {
	r     *parquet.GenericReader[row]
	buf   []row
	n     int // rows in buf
	pos   int // next row in buf
	order int // the part's place among the inputs: ties keep input order
	done  bool
}

// next makes buf[pos] the next row, reading more when needed; false at
// the end.
func (s *mergeSource) next() (bool, error) {
	if s.pos < s.n {
		return true, nil
	}
	if s.done {
		return false, nil
	}
	n, err := s.r.Read(s.buf)
	s.n, s.pos = n, 0
	if err != nil {
		if !errors.Is(err, io.EOF) {
			return false, err
		}
		s.done = true
	}
	return n > 0, nil
}

type mergeHeap struct{ items []*mergeSource }

func (h *mergeHeap) Len() int { return len(h.items) }
func (h *mergeHeap) Less(i, j int) bool {
	a, b := h.items[i], h.items[j]
	ta, tb := a.buf[a.pos].Time, b.buf[b.pos].Time
	if ta != tb {
		return ta < tb
	}
	return a.order < b.order
}
func (h *mergeHeap) Swap(i, j int) { h.items[i], h.items[j] = h.items[j], h.items[i] }
func (h *mergeHeap) Push(x any)    { h.items = append(h.items, x.(*mergeSource)) }
func (h *mergeHeap) Pop() any {
	x := h.items[len(h.items)-1]
	h.items = h.items[:len(h.items)-1]
	return x
}
