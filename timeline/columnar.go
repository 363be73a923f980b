package timeline

import (
	"context"
	"time"

	"github.com/parquet-go/parquet-go"
)

// Bulk reading, column by column. parquet-go's row reader reconstructs
// every row through reflection and a schema conversion; for scans of
// millions of events (graph building, exports) reading each column's
// pages straight into the events is several times faster, and interning
// the values of low-cardinality columns saves most string allocations.

// setter assigns one column's value to an event.
// interner hands out one string per distinct value of a column.
type interner struct{ m map[string]string }

func (in *interner) get(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if s, ok := in.m[string(b)]; ok {
		return s
	}
	if len(in.m) >= 1<<14 {
		return string(b) // a high-cardinality column after all
	}
	s := string(b)
	in.m[s] = s
	return s
}

// columnSetters maps column names to setters; interned columns are the
// ones stored with dictionary encoding.
var columnSetters = map[string]struct {
	set    func(e *Event, s string)
	intern bool
}{
	"id":             {func(e *Event, s string) { e.ID = s }, false},
	"source":         {func(e *Event, s string) { e.Source = s }, true},
	"shape":          {func(e *Event, s string) { e.Shape = s }, true},
	"category":       {func(e *Event, s string) { e.Category = Category(s) }, true},
	"action":         {func(e *Event, s string) { e.Action = s }, true},
	"outcome":        {func(e *Event, s string) { e.Outcome = Outcome(s) }, true},
	"reason":         {func(e *Event, s string) { e.Reason = s }, true},
	"actor":          {func(e *Event, s string) { e.Actor = s }, true},
	"actor_kind":     {func(e *Event, s string) { e.ActorKind = ActorKind(s) }, true},
	"tenant":         {func(e *Event, s string) { e.Tenant = s }, true},
	"actor_tenant":   {func(e *Event, s string) { e.ActorTenant = s }, true},
	"app_id":         {func(e *Event, s string) { e.AppID = s }, true},
	"app_name":       {func(e *Event, s string) { e.AppName = s }, true},
	"resource_app":   {func(e *Event, s string) { e.ResourceApp = s }, true},
	"session_id":     {func(e *Event, s string) { e.SessionID = s }, false},
	"token_id":       {func(e *Event, s string) { e.TokenID = s }, false},
	"key_id":         {func(e *Event, s string) { e.KeyID = s }, true},
	"issued_kind":    {func(e *Event, s string) { e.IssuedKind = s }, true},
	"issued_id":      {func(e *Event, s string) { e.IssuedID = s }, false},
	"src_ip":         {func(e *Event, s string) { e.SrcIP = s }, true},
	"user_agent":     {func(e *Event, s string) { e.UserAgent = s }, true},
	"country":        {func(e *Event, s string) { e.Country = s }, true},
	"target":         {func(e *Event, s string) { e.Target = s }, false},
	"target_kind":    {func(e *Event, s string) { e.TargetKind = s }, true},
	"correlation_id": {func(e *Event, s string) { e.CorrelationID = s }, false},
	"message":        {func(e *Event, s string) { e.Message = s }, false},
	"raw":            {func(e *Event, s string) { e.Raw = s }, false},
	"file":           {func(e *Event, s string) { e.File = s }, true},
	"file_sha256":    {func(e *Event, s string) { e.FileSHA256 = s }, true},
}

// chunkRows bounds how many rows are decoded at once.
const chunkRows = 8192

// readColumnar reads the given ascending rows of a part, column by column,
// and calls fn for each event in row order.
func readColumnar(ctx context.Context, pf *parquet.File, raw bool, rows []int64, fn func(*Event) error) error {
	type col struct {
		index  int
		name   string
		intern *interner
	}
	var cols []col
	for _, name := range columns {
		if name == "raw" && !raw {
			continue
		}
		leaf, ok := pf.Schema().Lookup(name)
		if !ok {
			continue
		}
		c := col{index: leaf.ColumnIndex, name: name}
		if columnSetters[name].intern {
			c.intern = &interner{m: map[string]string{}}
		}
		cols = append(cols, c)
	}
	events := make([]Event, 0, min(len(rows), chunkRows))
	var base int64
	for _, rg := range pf.RowGroups() {
		n := rg.NumRows()
		end := 0
		for end < len(rows) && rows[end] < base+n {
			end++
		}
		sel := rows[:end]
		rows = rows[end:]
		for len(sel) > 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			k := min(len(sel), chunkRows)
			chunk := sel[:k]
			sel = sel[k:]
			lo, hi := chunk[0]-base, chunk[len(chunk)-1]-base+1
			events = events[:k]
			clear(events)
			for _, c := range cols {
				j := 0
				var err error
				chunkCol := rg.ColumnChunks()[c.index]
				switch c.name {
				case "time", "offset":
					isTime := c.name == "time"
					err = eachValue(chunkCol, lo, hi, func(row int64, v parquet.Value) {
						if j < len(chunk) && chunk[j]-base == row {
							if isTime {
								events[j].Time = time.UnixMicro(v.Int64()).UTC()
							} else {
								events[j].Offset = v.Int64()
							}
							j++
						}
					})
				default:
					set := columnSetters[c.name].set
					err = eachValue(chunkCol, lo, hi, func(row int64, v parquet.Value) {
						if j < len(chunk) && chunk[j]-base == row {
							if c.intern != nil {
								set(&events[j], c.intern.get(v.ByteArray()))
							} else {
								set(&events[j], string(v.ByteArray()))
							}
							j++
						}
					})
				}
				if err != nil {
					return err
				}
			}
			for i := range events {
				if err := fn(&events[i]); err != nil {
					return err
				}
			}
		}
		base += n
	}
	return nil
}
