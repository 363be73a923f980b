package timeline

import (
	"cmp"
	"context"
	"slices"
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
	counts := map[key]int64{}
	for _, pi := range c.selectParts(&q) {
		p := c.m.Parts[pi]
		pf, file, err := c.openPart(p)
		if err != nil {
			return nil, err
		}
		err = scanPart(ctx, pf, f, func(_, t int64) bool {
			b := t / w
			if t < 0 && t%w != 0 {
				b--
			}
			counts[key{b, p.Source}]++
			return true
		})
		file.Close()
		if err != nil {
			return nil, err
		}
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
	for _, pi := range c.selectParts(&q) {
		p := c.m.Parts[pi]
		pf, file, err := c.openPart(p)
		if err != nil {
			return nil, err
		}
		// Rows that match, per row group, then one column pass each.
		var rows []int64
		err = scanPart(ctx, pf, f, func(row, _ int64) bool { rows = append(rows, row); return true })
		if err == nil && len(rows) > 0 {
			for ci, col := range columns {
				if col == "source" {
					counts[ci][p.Source] += int64(len(rows))
					continue
				}
				leaf, ok := pf.Schema().Lookup(col)
				if !ok {
					continue
				}
				err = countColumn(pf, leaf.ColumnIndex, rows, counts[ci])
				if err != nil {
					break
				}
			}
		}
		file.Close()
		if err != nil {
			return nil, err
		}
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
