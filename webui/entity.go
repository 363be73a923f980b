package webui

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/causeway-ir/causeway/timeline"
	"github.com/labstack/echo/v4"
)

// entityColumns says in which columns an entity of each kind appears
// (design.md §4), each with the condition that makes the column mean it.
func entityColumns(e timeline.Entity) [][]timeline.Cond {
	v := e.Value
	switch e.Kind {
	case timeline.KindKey:
		return [][]timeline.Cond{{{Column: "key_id", Value: v}}, {{Column: "issued_kind", Value: timeline.IssuedKey}, {Column: "issued_id", Value: v}}}
	case timeline.KindToken:
		return [][]timeline.Cond{{{Column: "token_id", Value: v}}, {{Column: "issued_kind", Value: timeline.IssuedToken}, {Column: "issued_id", Value: v}}}
	case timeline.KindSession:
		return [][]timeline.Cond{{{Column: "session_id", Value: v}}}
	case timeline.KindIdentity:
		return [][]timeline.Cond{{{Column: "actor", Value: v}}, {{Column: "target_kind", Value: "identity"}, {Column: "target", Value: v}}}
	case timeline.KindApp:
		return [][]timeline.Cond{{{Column: "app_id", Value: v}}, {{Column: "app_name", Value: v}}, {{Column: "resource_app", Value: v}}}
	case timeline.KindTenant:
		return [][]timeline.Cond{{{Column: "tenant", Value: v}}, {{Column: "actor_tenant", Value: v}}}
	case timeline.KindIP:
		return [][]timeline.Cond{{{Column: "src_ip", Value: v}}}
	case timeline.KindMailbox:
		return [][]timeline.Cond{{{Column: "target_kind", Value: "mailbox"}, {Column: "target", Value: v}}}
	case timeline.KindResource:
		return [][]timeline.Cond{{{Column: "target_kind", Value: "resource"}, {Column: "target", Value: v}}}
	}
	return nil
}

// entityRole is one way an entity appears: the conditions, as search
// terms the timeline can apply, and how many events match them.
type entityRole struct {
	Where  []string   `json:"where"` // col=value conditions
	Events int64      `json:"events"`
	First  *time.Time `json:"first,omitempty"`
	Last   *time.Time `json:"last,omitempty"`
}

// entityDetail is the answer of GET /api/entity.
type entityDetail struct {
	Entity  string                           `json:"entity"`
	Kind    timeline.EntityKind              `json:"kind"`
	Value   string                           `json:"value"`
	Events  int64                            `json:"events"`
	First   *time.Time                       `json:"first"`
	Last    *time.Time                       `json:"last"`
	Roles   []entityRole                     `json:"roles"`
	Related map[string][]timeline.FacetValue `json:"related"`
}

// relatedColumns are the facets shown for an entity.
var relatedColumns = []string{"action", "actor", "src_ip", "app_name", "tenant", "target", "source"}

// handleEntity describes an entity: where it appears, how often, first and
// last seen, and the top related values. An event naming the entity in two
// roles counts in both.
func (s *Server) handleEntity(c echo.Context) error {
	ent, err := timeline.ParseEntity(c.QueryParam("id"))
	if err != nil {
		return badRequest(err)
	}
	cs, _, err := s.snapshot()
	if err != nil {
		return err
	}
	return s.answer(c, cs, func(ctx context.Context) (any, error) { return buildEntity(ctx, cs, ent) })
}

// buildEntity gathers an entity's appearances and related values.
func buildEntity(ctx context.Context, cs *timeline.Case, ent timeline.Entity) (*entityDetail, error) {
	d := entityDetail{Entity: ent.String(), Kind: ent.Kind, Value: ent.Value, Roles: []entityRole{}, Related: map[string][]timeline.FacetValue{}}
	merged := map[string]map[string]int64{}
	for _, conds := range entityColumns(ent) {
		q := timeline.Query{Where: conds, Limit: 1}
		page, err := cs.Events(ctx, q)
		if err != nil {
			return nil, err
		}
		role := entityRole{Events: page.Total}
		for _, w := range conds {
			role.Where = append(role.Where, w.Column+"="+w.Value)
		}
		if page.Total > 0 {
			first := page.Events[0].Time
			last, err := lastTime(ctx, cs, q)
			if err != nil {
				return nil, err
			}
			role.First, role.Last = &first, &last
			if d.First == nil || first.Before(*d.First) {
				d.First = &first
			}
			if d.Last == nil || last.After(*d.Last) {
				d.Last = &last
			}
			f, err := cs.Facets(ctx, q, relatedColumns, 8)
			if err != nil {
				return nil, err
			}
			for col, vals := range f {
				if merged[col] == nil {
					merged[col] = map[string]int64{}
				}
				for _, v := range vals {
					merged[col][v.Value] += v.Count
				}
			}
		}
		d.Events += role.Events
		d.Roles = append(d.Roles, role)
	}
	for col, counts := range merged {
		vals := make([]timeline.FacetValue, 0, len(counts))
		for v, n := range counts {
			vals = append(vals, timeline.FacetValue{Value: v, Count: n})
		}
		slices.SortFunc(vals, func(a, b timeline.FacetValue) int {
			return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Value, b.Value))
		})
		d.Related[col] = vals[:min(len(vals), 8)]
	}
	return &d, nil
}

// lastTime finds the time of the last matching event without reading them
// all: a coarse histogram finds the last bucket, finer ones narrow it to a
// second, and one page within that second gives the exact time.
func lastTime(ctx context.Context, cs *timeline.Case, q timeline.Query) (time.Time, error) {
	since, until := window(cs.Manifest(), q)
	for _, w := range []time.Duration{365 * 24 * time.Hour, 24 * time.Hour, time.Hour, time.Second} {
		q.Since, q.Until = since, until
		bs, err := cs.Histogram(ctx, q, w)
		if err != nil || len(bs) == 0 {
			return time.Time{}, err
		}
		b := bs[len(bs)-1]
		since = maxTime(since, b.Start)
		until = minTime(until, b.Start.Add(w))
	}
	q.Since, q.Until, q.Limit, q.Cursor = since, until, maxPage, ""
	var last time.Time
	for {
		page, err := cs.Events(ctx, q)
		if err != nil {
			return time.Time{}, err
		}
		if n := len(page.Events); n > 0 {
			last = page.Events[n-1].Time
		}
		if page.Next == "" {
			return last, nil
		}
		q.Cursor = page.Next
	}
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
