package timeline

import (
	"encoding/json"
	"os"
	"path/filepath"
)

// Each part has a small sidecar, <part>.stats.json, written with it: the
// count of every value of the columns people facet on. Parts are never
// changed once written, so facets over whole parts add these counts instead
// of reading the part; only parts that a window cuts, or a filter narrows,
// are read.

// statsColumns are the columns counted in part stats.
var statsColumns = []string{
	"source", "shape", "category", "action", "outcome", "reason", "actor", "actor_kind", "tenant", "actor_tenant",
	"app_id", "app_name", "resource_app", "key_id", "issued_kind", "src_ip", "user_agent", "country", "target", "target_kind",
}

// maxStatsValues is the most distinct values of one column a part's
// stats keep; a column with more is left out (and read when asked for).
const maxStatsValues = 4096

// partStats are the value counts of one part.
type partStats struct {
	Rows    int64                       `json:"rows"`
	Columns map[string]map[string]int64 `json:"columns"`
}

func writePartStats(path string, events []Event) error {
	sb := newStatsBuilder()
	for i := range events {
		sb.add(&events[i])
	}
	return sb.write(path)
}

// statsBuilder counts values as events go by.
type statsBuilder struct {
	rows   int64
	counts map[string]map[string]int64 // nil map: too many values
}

func newStatsBuilder() *statsBuilder {
	sb := &statsBuilder{counts: map[string]map[string]int64{}}
	for _, col := range statsColumns {
		sb.counts[col] = map[string]int64{}
	}
	return sb
}

func (sb *statsBuilder) add(e *Event) {
	sb.rows++
	for _, col := range statsColumns {
		m := sb.counts[col]
		if m == nil {
			continue
		}
		m[e.Field(col)]++
		if len(m) > maxStatsValues {
			sb.counts[col] = nil
		}
	}
}

func (sb *statsBuilder) write(path string) error {
	st := partStats{Rows: sb.rows, Columns: map[string]map[string]int64{}}
	for col, m := range sb.counts {
		if m != nil {
			st.Columns[col] = m
		}
	}
	b, err := json.Marshal(&st)
	if err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// partStats returns the stats of part i, or nil when it has none.
func (c *Case) partStats(i int) *partStats {
	p := c.m.Parts[i]
	if p.Stats == "" {
		return nil
	}
	if v, ok := c.stats.Load(p.Path); ok {
		return v.(*partStats)
	}
	b, err := os.ReadFile(filepath.Join(c.dir, filepath.FromSlash(p.Stats)))
	if err != nil {
		return nil
	}
	var st partStats
	if json.Unmarshal(b, &st) != nil || st.Rows != p.Rows {
		return nil
	}
	c.stats.Store(p.Path, &st)
	return &st
}
