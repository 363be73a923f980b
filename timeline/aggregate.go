package timeline

import (
	"cmp"
	"context"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/parquet-go/parquet-go"
)

// Bucket is one bar of the histogram: events from Start (inclusive) for
// the histogram's width, counted per source.
type Bucket struct {
	Start  time.Time        `json:"start"`
	Total  int64            `json:"total"`
	Counts map[string]int64 `json:"counts"`
}

// Histogram counts matching events in buckets of the given width, aligned
// to the Unix epoch, per source. Only non-empty buckets are returned, in
// time order.
func (c *Case) Histogram(ctx context.Context, q Query, width time.Duration) ([]Bucket, error) {
	if width <= 0 {
		width = time.Hour
	}
	f, err := compile(&q, fullSchema)
	if err != nil {
		return nil, err
	}
	w := width.Microseconds()
	type key struct {
		b      int64
		source string
	}
	bucketOf := func(t int64) int64 {
		b := t / w
		if t < 0 && t%w != 0 {
			b--
		}
		return b
	}
	counts := map[key]int64{}
	var mu sync.Mutex
	plain := len(q.Where) == 0 && q.Text == ""
	err = c.eachPart(ctx, c.selectParts(&q), func(pi int, pf *parquet.File) error {
		p := c.m.Parts[pi]
		local := map[int64]int64{}
		var err error
		if plain {
			err = histogramByPages(ctx, pf, f.since, f.until, bucketOf, local)
		} else {
			err = scanPart(ctx, pf, f, func(_, t int64) bool { local[bucketOf(t)]++; return true })
		}
		if err != nil {
			return err
		}
		mu.Lock()
		for b, n := range local {
			counts[key{b, p.Source}] += n
		}
		mu.Unlock()
		return nil
	})
	if err != nil {
		return nil, err
	}
	byBucket := map[int64]*Bucket{}
	for k, n := range counts {
		bk := byBucket[k.b]
		if bk == nil {
			bk = &Bucket{Start: time.UnixMicro(k.b * w).UTC(), Counts: map[string]int64{}}
			byBucket[k.b] = bk
		}
		bk.Counts[k.source] += n
		bk.Total += n
	}
	out := make([]Bucket, 0, len(byBucket))
	for _, b := range byBucket {
		out = append(out, *b)
	}
	slices.SortFunc(out, func(a, b Bucket) int { return a.Start.Compare(b.Start) })
	return out, nil
}

// FacetValue is one value of a column and how many matching events have it.
type FacetValue struct {
	Value string `json:"value"`
	Count int64  `json:"count"`
}

// Facets counts the values of each named column over the matching events
// and returns the top values per column, most frequent first (ties by
// value). Empty values are counted as "".
func (c *Case) Facets(ctx context.Context, q Query, columns []string, top int) (map[string][]FacetValue, error) {
	if top <= 0 {
		top = 10
	}
	f, err := compile(&q, fullSchema)
	if err != nil {
		return nil, err
	}
	counts := make([]map[string]int64, len(columns))
	for i := range counts {
		counts[i] = map[string]int64{}
	}
	// Parts the query takes whole add their stored value counts; the
	// others are read, in parallel.
	var toRead []int
	for _, pi := range c.selectParts(&q) {
		if c.addPartStats(pi, &q, columns, counts) {
			continue
		}
		toRead = append(toRead, pi)
	}
	var mu sync.Mutex
	err = c.eachPart(ctx, toRead, func(pi int, pf *parquet.File) error {
		p := c.m.Parts[pi]
		local := make([]map[string]int64, len(columns))
		var rows []int64
		if err := scanPart(ctx, pf, f, func(row, _ int64) bool { rows = append(rows, row); return true }); err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		for ci, col := range columns {
			local[ci] = map[string]int64{}
			if col == "source" {
				local[ci][p.Source] += int64(len(rows))
				continue
			}
			leaf, ok := pf.Schema().Lookup(col)
			if !ok {
				continue
			}
			if err := countColumn(pf, leaf.ColumnIndex, rows, local[ci]); err != nil {
				return err
			}
		}
		mu.Lock()
		for ci := range columns {
			for v, n := range local[ci] {
				counts[ci][v] += n
			}
		}
		mu.Unlock()
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make(map[string][]FacetValue, len(columns))
	for ci, col := range columns {
		vals := make([]FacetValue, 0, len(counts[ci]))
		for v, n := range counts[ci] {
			vals = append(vals, FacetValue{v, n})
		}
		slices.SortFunc(vals, func(a, b FacetValue) int { return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Value, b.Value)) })
		if len(vals) > top {
			vals = vals[:top]
		}
		out[col] = vals
	}
	return out, nil
}

// countColumn counts the values of column col at the given ascending rows
// (row indexes within the file).
func countColumn(pf *parquet.File, col int, rows []int64, counts map[string]int64) error {
	var base int64
	for _, rg := range pf.RowGroups() {
		n := rg.NumRows()
		i := 0
		for i < len(rows) && rows[i] < base+n {
			i++
		}
		sel := rows[:i]
		rows = rows[i:]
		if len(sel) > 0 {
			lo, hi := sel[0]-base, sel[len(sel)-1]-base+1
			j := 0
			err := eachBytes(rg.ColumnChunks()[col], lo, hi, func(row int64, v []byte) {
				if j < len(sel) && sel[j]-base == row {
					counts[string(v)]++
					j++
				}
			})
			if err != nil {
				return err
			}
		}
		base += n
	}
	return nil
}

// addPartStats adds the stored value counts of part pi when the query takes
// the part whole (no filter, a window that holds it) and the stats hold
// every column asked for. It reports whether it did.
func (c *Case) addPartStats(pi int, q *Query, columns []string, counts []map[string]int64) bool {
	p := c.m.Parts[pi]
	if len(q.Where) > 0 || q.Text != "" ||
		(!q.Since.IsZero() && p.MinTime.Before(q.Since)) || (!q.Until.IsZero() && !p.MaxTime.Before(q.Until)) {
		return false
	}
	st := c.partStats(pi)
	if st == nil {
		return false
	}
	for _, col := range columns {
		if _, ok := st.Columns[col]; !ok {
			return false
		}
	}
	for ci, col := range columns {
		for v, n := range st.Columns[col] {
			counts[ci][v] += n
		}
	}
	return true
}

// eachPart opens the given parts and calls fn for each, on as many
// goroutines as there are processors (at most 4); the first error stops
// the rest.
func (c *Case) eachPart(ctx context.Context, parts []int, fn func(pi int, pf *parquet.File) error) error {
	workers := min(runtime.GOMAXPROCS(0), 4, len(parts))
	if workers <= 1 {
		for _, pi := range parts {
			if err := c.withPart(pi, fn); err != nil {
				return err
			}
		}
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := make(chan int)
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	for range workers {
		wg.Go(func() {
			for pi := range next {
				if err := c.withPart(pi, fn); err != nil {
					once.Do(func() { first = err; cancel() })
				}
			}
		})
	}
	for _, pi := range parts {
		select {
		case next <- pi:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(next)
	wg.Wait()
	if first != nil {
		return first
	}
	return ctx.Err()
}

func (c *Case) withPart(pi int, fn func(pi int, pf *parquet.File) error) error {
	pf, file, err := c.openPart(c.m.Parts[pi])
	if err != nil {
		return err
	}
	defer file.Close()
	return fn(pi, pf)
}

// histogramByPages counts the rows of a part per bucket from the page
// index of its time column where a page lies within one bucket and the
// window, and reads the time values of the other pages only.
func histogramByPages(ctx context.Context, pf *parquet.File, since, until int64, bucketOf func(int64) int64, counts map[int64]int64) error {
	timeLeaf, _ := pf.Schema().Lookup("time")
	for _, rg := range pf.RowGroups() {
		if err := ctx.Err(); err != nil {
			return err
		}
		chunk := rg.ColumnChunks()[timeLeaf.ColumnIndex]
		n := rg.NumRows()
		ci, err1 := chunk.ColumnIndex()
		oi, err2 := chunk.OffsetIndex()
		if err1 != nil || err2 != nil || ci == nil || oi == nil || ci.NumPages() != oi.NumPages() || ci.NumPages() == 0 {
			err := eachValue(chunk, 0, n, func(_ int64, v parquet.Value) {
				if t := v.Int64(); t >= since && t < until {
					counts[bucketOf(t)]++
				}
			})
			if err != nil {
				return err
			}
			continue
		}
		for pg := range ci.NumPages() {
			lo := oi.FirstRowIndex(pg)
			hi := n
			if pg+1 < ci.NumPages() {
				hi = oi.FirstRowIndex(pg + 1)
			}
			if ci.NullPage(pg) || hi <= lo {
				continue
			}
			mn, mx := ci.MinValue(pg).Int64(), ci.MaxValue(pg).Int64()
			if mx < since || mn >= until {
				continue
			}
			if mn >= since && mx < until && bucketOf(mn) == bucketOf(mx) {
				counts[bucketOf(mn)] += hi - lo
				continue
			}
			err := eachValue(chunk, lo, hi, func(_ int64, v parquet.Value) {
				if t := v.Int64(); t >= since && t < until {
					counts[bucketOf(t)]++
				}
			})
			if err != nil {
				return err
			}
		}
	}
	return nil
}
