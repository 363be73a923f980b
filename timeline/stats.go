package timeline

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"unsafe"

	"github.com/parquet-go/parquet-go"
)

// Each part has a small sidecar, <part>.stats.json, written with it: the
// count of every value of the columns people facet on. Parts are never
// changed once written, so facets over whole parts add these counts instead
// of reading the part; only parts that a window cuts, or a filter narrows,
// are read.

// statsColumns are the columns counted in part stats.
var statsColumns = [...]string{
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

// statsBuilder counts values as rows go by, column by column. Rows come
// sorted by time, and neighbours often share a value: each column keeps its
// last value and how often it repeated, and looks the value up in its index
// (once: the index gives the value's position in counts) only when it
// changes. Its columns may be fed on different goroutines.
type statsBuilder struct {
	rows int64
	cols [len(statsColumns)]statsCol
}

type statsCol struct {
	index  map[string]int32 // value -> position in keys and counts; nil: too many values
	keys   []string
	counts []int64
	last   string
	n      int64
}

func newStatsBuilder() *statsBuilder {
	sb := &statsBuilder{}
	for i := range sb.cols {
		sb.cols[i].index = map[string]int32{}
	}
	return sb
}

// add counts one value of the column. The value may be a view of a
// buffer that is reused after the next settle.
func (c *statsCol) add(v string) {
	if c.n > 0 && v == c.last { // (n stays 0 in an uncounted column)
		c.n++
		return
	}
	c.start(v)
}

// start settles the pending run and begins one of v.
func (c *statsCol) start(v string) {
	if c.index == nil {
		return
	}
	c.settle()
	c.last, c.n = v, 1
}

// addValues counts a batch's values of the column (byte arrays, views of
// buffers that are reused after the next settle).
func (c *statsCol) addValues(vals []parquet.Value) {
	if c.index == nil {
		return
	}
	for i := range vals {
		b := vals[i].ByteArray()
		c.add(unsafe.String(unsafe.SliceData(b), len(b)))
	}
}

// settle adds the pending run of the last value to its count. Keys are
// copied: row strings point into buffers that must not be kept alive.
func (c *statsCol) settle() {
	if c.n == 0 || c.index == nil {
		return
	}
	i, ok := c.index[c.last]
	if !ok {
		i = int32(len(c.keys))
		k := strings.Clone(c.last)
		c.index[k] = i
		c.keys = append(c.keys, k)
		c.counts = append(c.counts, 0)
	}
	c.counts[i] += c.n
	c.last, c.n = "", 0
	if len(c.keys) > maxStatsValues {
		*c = statsCol{} // too many values: not counted
	}
}

// counts returns the column's value counts, or nil when it has too many
// values.
func (c *statsCol) countsByValue() map[string]int64 {
	if c.index == nil {
		return nil
	}
	m := make(map[string]int64, len(c.keys))
	for i, k := range c.keys {
		m[k] = c.counts[i]
	}
	return m
}

func (sb *statsBuilder) write(path string) error {
	st := partStats{Rows: sb.rows, Columns: map[string]map[string]int64{}}
	for i := range sb.cols {
		c := &sb.cols[i]
		c.settle()
		if m := c.countsByValue(); m != nil {
			st.Columns[statsColumns[i]] = m
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
	return f.Close() // synced with the part, in Run.publish
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
