package exercise

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/causeway-ir/causeway/timeline"
)

// Visibility is what participants may see at one moment: events at or
// before Clock, from the given sources and tenants, plus the events that a
// released inject revealed by filter. It is computed from the file and the
// released injects (File.Visibility) and applied to every event on the
// server before it is sent.
type Visibility struct {
	Clock   time.Time
	Sources map[string]bool // nil: every source
	Tenants map[string]bool // nil: every tenant; keys lower-cased
	Filters [][]timeline.Cond
}

// Visibility returns the participants' visibility at clock, with the
// injects whose ids are in released released.
func (f *File) Visibility(clock time.Time, released []string) Visibility {
	v := Visibility{Clock: clock}
	allSources, allTenants := false, len(f.Visible.Tenants) == 0
	sources, tenants := map[string]bool{}, map[string]bool{}
	add := func(srcs, tens []string) {
		for _, s := range srcs {
			if s == "*" {
				allSources = true
			}
			sources[s] = true
		}
		for _, t := range tens {
			if t == "*" {
				allTenants = true
			}
			tenants[strings.ToLower(t)] = true
		}
	}
	add(f.Visible.Sources, f.Visible.Tenants)
	for _, in := range f.Injects {
		if !slices.Contains(released, in.ID) {
			continue
		}
		add(in.Reveals.Sources, in.Reveals.Tenants)
		for _, m := range in.Reveals.Events {
			var conds []timeline.Cond
			for _, col := range sortedKeys(m) {
				conds = append(conds, timeline.Cond{Column: col, Value: m[col]})
			}
			if len(conds) > 0 {
				v.Filters = append(v.Filters, conds)
			}
		}
	}
	if !allSources {
		v.Sources = sources
	}
	if !allTenants {
		v.Tenants = tenants
	}
	return v
}

// Allows reports whether a participant may see e.
func (v *Visibility) Allows(e *timeline.Event) bool {
	if e.Time.IsZero() || e.Time.After(v.Clock) {
		return false
	}
	if (v.Sources == nil || v.Sources[e.Source]) && (v.Tenants == nil || v.Tenants[strings.ToLower(e.Tenant)]) {
		return true
	}
	for _, conds := range v.Filters {
		if matchAll(e, conds) {
			return true
		}
	}
	return false
}

// matchAll reports whether every condition holds (case-insensitive, as
// timeline queries compare).
func matchAll(e *timeline.Event, conds []timeline.Cond) bool {
	for _, c := range conds {
		if !strings.EqualFold(e.Field(c.Column), c.Value) {
			return false
		}
	}
	return true
}

// querySources narrows a case query to the sources that can hold a
// visible event (nil: all sources).
func (v *Visibility) querySources() []string {
	if v.Sources == nil {
		return nil
	}
	set := map[string]bool{}
	for s := range v.Sources {
		set[s] = true
	}
	for _, conds := range v.Filters {
		src := ""
		for _, c := range conds {
			if c.Column == "source" {
				src = c.Value
			}
		}
		if src == "" {
			return nil // a filter without a source may match any source
		}
		set[src] = true
	}
	return sortedKeys(set)
}

// Narrow restricts what a participant asks for; it never widens what the
// Visibility allows.
type Narrow struct {
	Sources []string // only these sources (none: every visible source)
	Text    string   // case-insensitive text in message, actor or target
}

func (n Narrow) key() string { return strings.Join(n.Sources, ",") + "|" + n.Text }

// query returns the case query that can hold the visible events matching
// n, or false when none can match.
func (v *Visibility) query(n Narrow) (timeline.Query, bool) {
	sources := v.querySources()
	if v.Sources != nil && len(sources) == 0 {
		return timeline.Query{}, false
	}
	if len(n.Sources) > 0 {
		if sources == nil {
			sources = n.Sources
		} else {
			sources = slices.DeleteFunc(slices.Clone(sources), func(s string) bool { return !slices.Contains(n.Sources, s) })
			if len(sources) == 0 {
				return timeline.Query{}, false
			}
		}
	}
	return timeline.Query{Source: sources, Text: n.Text}, true
}

// scan returns the events of q in [lo, hi) that v allows.
func (v *Visibility) scan(ctx context.Context, c *timeline.Case, q timeline.Query, lo, hi time.Time) ([]timeline.Event, error) {
	q.Since, q.Until = lo, hi
	var out []timeline.Event
	err := c.Scan(ctx, q, func(e *timeline.Event) error {
		if v.Allows(e) {
			out = append(out, *e)
		}
		return nil
	})
	return out, err
}

// Latest returns the at most limit latest events that v allows (and n
// matches), oldest first, and whether older ones exist. It reads windows
// that double backwards from the clock until it has enough or reaches
// floor.
func (v *Visibility) Latest(ctx context.Context, c *timeline.Case, floor time.Time, limit int, n Narrow) ([]timeline.Event, bool, error) {
	if limit <= 0 {
		limit = 200
	}
	q, ok := v.query(n)
	if !ok {
		return []timeline.Event{}, false, nil
	}
	var found []timeline.Event
	window := 6 * time.Hour
	hi := v.Clock.Add(time.Microsecond) // Until is exclusive; the clock itself is visible
	for {
		if err := ctx.Err(); err != nil {
			return nil, false, err
		}
		lo := hi.Add(-window)
		last := !lo.After(floor)
		if last {
			lo = floor
		}
		batch, err := v.scan(ctx, c, q, lo, hi)
		if err != nil {
			return nil, false, err
		}
		found = append(batch, found...) // batch is older than found
		if len(found) >= limit || last {
			break
		}
		hi, window = lo, window*2
	}
	sortEvents(found)
	more := len(found) > limit
	if more {
		found = found[len(found)-limit:]
	}
	if found == nil {
		found = []timeline.Event{}
	}
	return found, more, nil
}

// Since returns the events that v allows (and n matches) after since and
// at or before the clock, oldest first: what became visible when the clock
// moved from since to v.Clock.
func (v *Visibility) Since(ctx context.Context, c *timeline.Case, since time.Time, n Narrow) ([]timeline.Event, error) {
	q, ok := v.query(n)
	if !ok || !v.Clock.After(since) {
		return nil, nil
	}
	es, err := v.scan(ctx, c, q, since.Add(time.Microsecond), v.Clock.Add(time.Microsecond))
	sortEvents(es)
	return es, err
}

// sortEvents sorts by time, then source and id, so that pages are stable.
func sortEvents(es []timeline.Event) {
	slices.SortStableFunc(es, func(a, b timeline.Event) int {
		if c := a.Time.Compare(b.Time); c != 0 {
			return c
		}
		if c := strings.Compare(a.Source, b.Source); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}
