package timeline

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"sync"

	"github.com/parquet-go/parquet-go"
)

// Events returns one page of matching events in time order, with the total
// number of matches.
//
// A page need not read the whole case. Parts are read in time order, a few
// at a time, and reading stops at the first part that starts after the
// page's last event. The total adds, for each part the query takes whole
// (inside the window, no text search, at most one condition and that on a
// column the part's value counts keep), those counts; only the other parts
// are scanned for it.
func (c *Case) Events(ctx context.Context, q Query) (Page, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	cur, err := decodeCursor(q.Cursor)
	if err != nil {
		return Page{}, err
	}
	f, err := compile(&q, fullSchema)
	if err != nil {
		return Page{}, err
	}
	parts := c.selectParts(&q)
	var total int64
	counted := map[int]bool{}
	for _, pi := range parts {
		if n, ok := c.countWhole(pi, &q); ok {
			total += n
			counted[pi] = true
		}
	}
	order := slices.Clone(parts)
	slices.SortFunc(order, func(a, b int) int {
		pa, pb := c.m.Parts[a], c.m.Parts[b]
		return cmp.Or(pa.MinTime.Compare(pb.MinTime), strings.Compare(pa.Path, pb.Path))
	})
	var best []match // the first limit+1 matches after the cursor, sorted
	var mu sync.Mutex
	scan := func(pi int, pf *parquet.File, page bool) error {
		var n int64
		var local []match
		err := scanPart(ctx, pf, f, func(row, t int64) bool {
			n++
			if page && len(local) <= limit {
				if m := (match{part: pi, row: row, time: t}); cur.after(m, c.m.Parts) {
					local = append(local, m)
				}
			}
			// A part counted already, read for the page only, stops at
			// its first limit+1 matches.
			return !counted[pi] || len(local) <= limit
		})
		if err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		if !counted[pi] {
			total += n
		}
		best = append(best, local...)
		slices.SortFunc(best, func(a, b match) int { return a.compare(b, c.m.Parts) })
		if len(best) > limit+1 {
			best = best[:limit+1]
		}
		return nil
	}
	// The page: parts in time order, four at a time. A part read for
	// the page is counted too.
	for i := 0; i < len(order); {
		if len(best) > limit && c.m.Parts[order[i]].MinTime.UnixMicro() > best[limit].time {
			break
		}
		var batch []int
		for ; i < len(order) && len(batch) < 4; i++ {
			p := c.m.Parts[order[i]]
			if cur != nil && p.MaxTime.UnixMicro() < cur.T {
				continue // wholly before the cursor
			}
			batch = append(batch, order[i])
		}
		if err := c.eachPart(ctx, batch, func(pi int, pf *parquet.File) error { return scan(pi, pf, true) }); err != nil {
			return Page{}, err
		}
		// counted is read by scans: change it only between batches.
		for _, pi := range batch {
			counted[pi] = true
		}
	}
	// The total: the parts neither counted whole nor read for the page.
	var rest []int
	for _, pi := range parts {
		if !counted[pi] {
			rest = append(rest, pi)
		}
	}
	if err := c.eachPart(ctx, rest, func(pi int, pf *parquet.File) error { return scan(pi, pf, false) }); err != nil {
		return Page{}, err
	}
	page := Page{Total: total, Events: []Event{}}
	more := len(best) > limit
	if more {
		best = best[:limit]
	}
	events, err := c.fetch(ctx, best, q.Raw)
	if err != nil {
		return Page{}, err
	}
	page.Events = events
	if more {
		last := best[len(best)-1]
		page.Next = (&cursor{T: last.time, Part: c.m.Parts[last.part].Path, Row: last.row}).encode()
	}
	return page, nil
}

// countWhole returns the matches of part pi from its manifest record and
// value counts, when the query takes the part whole.
func (c *Case) countWhole(pi int, q *Query) (int64, bool) {
	p := c.m.Parts[pi]
	if q.Text != "" || (!q.Since.IsZero() && p.MinTime.Before(q.Since)) || (!q.Until.IsZero() && !p.MaxTime.Before(q.Until)) {
		return 0, false
	}
	var conds []Cond
	for _, w := range q.Where {
		if w.Column == "source" && strings.EqualFold(w.Value, p.Source) {
			continue // every row of the part
		}
		conds = append(conds, w)
	}
	switch len(conds) {
	case 0:
		return p.Rows, true
	case 1:
		st := c.partStats(pi)
		if st == nil {
			return 0, false
		}
		counts, ok := st.Columns[conds[0].Column]
		if !ok {
			return 0, false
		}
		var n int64
		for v, k := range counts {
			if strings.EqualFold(v, conds[0].Value) {
				n += k
			}
		}
		return n, true
	}
	return 0, false
}
