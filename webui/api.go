package webui

import (
	"cmp"
	"context"
	"net/http"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/causeway-ir/causeway/timeline"
	"github.com/labstack/echo/v4"
)

// badRequest wraps a parameter error as a 400.
func badRequest(err error) error {
	return echo.NewHTTPError(http.StatusBadRequest, err.Error())
}

// caseInfo is the answer of GET /api/case.
type caseInfo struct {
	Name    string                `json:"name"`
	Created time.Time             `json:"created"`
	Events  int64                 `json:"events"`
	First   *time.Time            `json:"first"`
	Last    *time.Time            `json:"last"`
	Sources []sourceInfo          `json:"sources"`
	Files   []timeline.FileRecord `json:"files"`
	Runs    int                   `json:"runs"`
	User    Principal             `json:"user"`
	Columns []string              `json:"columns"`
}

type sourceInfo struct {
	Name   string `json:"name"`
	Events int64  `json:"events"`
}

// handleCase describes the case: name, span, counts per source, files.
func (s *Server) handleCase(c echo.Context) error {
	cs, _, err := s.snapshot()
	if err != nil {
		return err
	}
	m := cs.Manifest()
	info := caseInfo{Name: m.Name, Created: m.Created, Files: m.Files, Runs: len(m.Runs), Sources: []sourceInfo{}, Columns: timeline.Columns()}
	if who, ok := c.Get(principalKey).(Principal); ok {
		info.User = who
	}
	if info.Files == nil {
		info.Files = []timeline.FileRecord{}
	}
	bySource := map[string]int64{}
	for _, p := range m.Parts {
		info.Events += p.Rows
		bySource[p.Source] += p.Rows
	}
	if first, last, ok := caseSpan(m); ok {
		info.First, info.Last = &first, &last
	}
	for name, n := range bySource {
		info.Sources = append(info.Sources, sourceInfo{name, n})
	}
	slices.SortFunc(info.Sources, func(a, b sourceInfo) int { return cmp.Or(cmp.Compare(b.Events, a.Events), cmp.Compare(a.Name, b.Name)) })
	return c.JSON(http.StatusOK, info)
}

// caseSpan returns the time of the first and the last event of the case.
func caseSpan(m timeline.Manifest) (first, last time.Time, ok bool) {
	for _, p := range m.Parts {
		if p.Rows == 0 {
			continue
		}
		if !ok || p.MinTime.Before(first) {
			first = p.MinTime
		}
		if !ok || p.MaxTime.After(last) {
			last = p.MaxTime
		}
		ok = true
	}
	return first.UTC(), last.UTC(), ok
}

// window completes a query's open time bounds with the case's span, so
// that histograms have a definite range.
func window(m timeline.Manifest, q timeline.Query) (since, until time.Time) {
	since, until = q.Since, q.Until
	first, last, ok := caseSpan(m)
	if since.IsZero() {
		since = first
		if !ok {
			since = time.Unix(0, 0).UTC()
		}
	}
	if until.IsZero() {
		until = last.Add(time.Microsecond)
		if !ok || !until.After(since) {
			until = since.Add(time.Hour)
		}
	}
	return since, until
}

// handleEvents answers one page of events: the contract of issue 7,
// {"events":[…],"next":"cursor","total":N}.
func (s *Server) handleEvents(c echo.Context) error {
	q, err := parseQuery(c.QueryParams())
	if err != nil {
		return badRequest(err)
	}
	cs, _, err := s.snapshot()
	if err != nil {
		return err
	}
	q.Raw = c.QueryParam("raw") == "1"
	return s.answer(c, cs, func(ctx context.Context) (any, error) { return cs.Events(ctx, q) })
}

// queryError maps a query failure to a status: bad cursors and columns are
// the caller's fault.
func queryError(err error) error {
	msg := err.Error()
	if strings.HasPrefix(msg, "bad cursor") || strings.HasPrefix(msg, "cannot filter") || strings.HasPrefix(msg, "no column") {
		return badRequest(err)
	}
	return err
}

// provenance says where an event came from: the file, its hash, the offset
// and the manifest's record of that file.
type provenance struct {
	File       string               `json:"file"`
	FileSHA256 string               `json:"file_sha256"`
	Offset     int64                `json:"offset"`
	FileRecord *timeline.FileRecord `json:"file_record"`
}

type eventDetail struct {
	Event      timeline.Event `json:"event"`
	Provenance provenance     `json:"provenance"`
	Matches    int            `json:"matches"`
}

// handleEvent answers one event with its raw record and provenance.
func (s *Server) handleEvent(c echo.Context) error {
	id := c.QueryParam("id")
	if id == "" {
		return badRequest(errString("id is required"))
	}
	cs, _, err := s.snapshot()
	if err != nil {
		return err
	}
	source := c.QueryParam("source")
	return s.answer(c, cs, func(ctx context.Context) (any, error) { return eventByID(ctx, cs, id, source) })
}

// eventByID finds an event and its provenance.
func eventByID(ctx context.Context, cs *timeline.Case, id, source string) (*eventDetail, error) {
	evs, err := cs.EventByID(ctx, id, source)
	if err != nil {
		return nil, err
	}
	if len(evs) == 0 {
		return nil, echo.NewHTTPError(http.StatusNotFound, "no event with id "+strconv.Quote(id)+" in this case")
	}
	slices.SortFunc(evs, func(a, b timeline.Event) int { return a.Time.Compare(b.Time) })
	e := evs[0]
	d := eventDetail{Event: e, Matches: len(evs), Provenance: provenance{File: e.File, FileSHA256: e.FileSHA256, Offset: e.Offset}}
	m := cs.Manifest()
	for i := range m.Files {
		f := &m.Files[i]
		if f.SHA256 == e.FileSHA256 && (f.Path == e.File || d.Provenance.FileRecord == nil) {
			d.Provenance.FileRecord = f
		}
	}
	return &d, nil
}

type errString string

func (e errString) Error() string { return string(e) }

// histogram is the answer of GET /api/histogram.
type histogram struct {
	Since   time.Time         `json:"since"`
	Until   time.Time         `json:"until"`
	WidthMS int64             `json:"width_ms"`
	Total   int64             `json:"total"`
	Buckets []timeline.Bucket `json:"buckets"`
}

// bucketsParam reads ?buckets= (120 by default, at most 2000).
func bucketsParam(c echo.Context) (int, error) {
	s := c.QueryParam("buckets")
	if s == "" {
		return 120, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, errString("buckets=" + strconv.Quote(s) + ": want a positive number")
	}
	return min(n, 2000), nil
}

// handleHistogram counts events per source in buckets of an automatic
// width over the query's window.
func (s *Server) handleHistogram(c echo.Context) error {
	q, err := parseQuery(c.QueryParams())
	if err != nil {
		return badRequest(err)
	}
	n, err := bucketsParam(c)
	if err != nil {
		return badRequest(err)
	}
	cs, _, err := s.snapshot()
	if err != nil {
		return err
	}
	return s.answer(c, cs, func(ctx context.Context) (any, error) { return buildHistogram(ctx, cs, q, n) })
}

func buildHistogram(ctx context.Context, cs *timeline.Case, q timeline.Query, n int) (histogram, error) {
	since, until := window(cs.Manifest(), q)
	w := bucketWidth(until.Sub(since), n)
	q.Since, q.Until = since, until
	bs, err := cs.Histogram(ctx, q, w)
	if err != nil {
		return histogram{}, err
	}
	h := histogram{Since: since, Until: until, WidthMS: w.Milliseconds(), Buckets: bs}
	for _, b := range bs {
		h.Total += b.Total
	}
	return h, nil
}

// laneGroups maps the lane groupings the timeline offers to columns.
var laneGroups = map[string]string{
	"source":   "source",
	"tenant":   "tenant",
	"identity": "actor",
	"app":      "app_name",
	"ip":       "src_ip",
	"category": "category",
}

// lane is one swimlane: a value of the grouping column and its counts per
// bucket, sparse ([bucket start in ms, count] pairs).
type lane struct {
	Value   string     `json:"value"`
	Other   bool       `json:"other,omitempty"` // the remainder beyond the top lanes
	Total   int64      `json:"total"`
	Buckets [][2]int64 `json:"buckets"`
}

// lanes is the answer of GET /api/lanes: the histogram of the window
// (stacked by source) and one lane per top value of the grouping.
type lanes struct {
	histogram
	Group  string `json:"group"`
	Column string `json:"column"`
	Values int    `json:"values"` // lanes shown, "other" excluded
	Lanes  []lane `json:"lanes"`
}

// handleLanes aggregates per lane and bucket on the server, so that the
// browser draws a million-event case from a few hundred numbers.
func (s *Server) handleLanes(c echo.Context) error {
	q, err := parseQuery(c.QueryParams())
	if err != nil {
		return badRequest(err)
	}
	n, err := bucketsParam(c)
	if err != nil {
		return badRequest(err)
	}
	group := cmp.Or(c.QueryParam("group"), "source")
	col, ok := laneGroups[group]
	if !ok {
		return badRequest(errString("group=" + strconv.Quote(group) + ": want source, tenant, identity, app, ip or category"))
	}
	top := 12
	if v := c.QueryParam("lanes"); v != "" {
		if top, err = strconv.Atoi(v); err != nil || top < 1 {
			return badRequest(errString("lanes=" + strconv.Quote(v) + ": want a positive number"))
		}
		top = min(top, 50)
	}
	cs, _, err := s.snapshot()
	if err != nil {
		return err
	}
	return s.answer(c, cs, func(ctx context.Context) (any, error) { return buildLanes(ctx, cs, q, n, group, col, top) })
}

// buildLanes computes the histogram of the window and the top lanes of
// the grouping column.
func buildLanes(ctx context.Context, cs *timeline.Case, q timeline.Query, n int, group, col string, top int) (*lanes, error) {
	h, err := buildHistogram(ctx, cs, q, n)
	if err != nil {
		return nil, err
	}
	q.Since, q.Until = h.Since, h.Until
	w := time.Duration(h.WidthMS) * time.Millisecond
	out := lanes{histogram: h, Group: group, Column: col, Lanes: []lane{}}

	if col == "source" {
		bySource := map[string]*lane{}
		for _, b := range h.Buckets {
			for src, k := range b.Counts {
				l := bySource[src]
				if l == nil {
					l = &lane{Value: src}
					bySource[src] = l
				}
				l.Total += k
				l.Buckets = append(l.Buckets, [2]int64{b.Start.UnixMilli(), k})
			}
		}
		for _, l := range bySource {
			out.Lanes = append(out.Lanes, *l)
		}
		sortLanes(out.Lanes)
		out.Values = len(out.Lanes)
		return &out, nil
	}

	facets, err := cs.Facets(ctx, q, []string{col}, top+1)
	if err != nil {
		return nil, err
	}
	values := facets[col]
	more := len(values) > top
	if more {
		values = values[:top]
	}
	out.Lanes = make([]lane, len(values))
	errs := make([]error, len(values))
	var wg sync.WaitGroup
	sem := make(chan struct{}, max(2, runtime.GOMAXPROCS(0)))
	for i, v := range values {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			lq := q
			lq.Where = append(slices.Clone(q.Where), timeline.Cond{Column: col, Value: v.Value})
			bs, err := cs.Histogram(ctx, lq, w)
			if err != nil {
				errs[i] = err
				return
			}
			l := lane{Value: v.Value, Buckets: make([][2]int64, 0, len(bs))}
			for _, b := range bs {
				l.Total += b.Total
				l.Buckets = append(l.Buckets, [2]int64{b.Start.UnixMilli(), b.Total})
			}
			out.Lanes[i] = l
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	out.Values = len(out.Lanes)
	if more {
		// Everything else: the histogram minus the top lanes.
		rest := map[int64]int64{}
		for _, b := range h.Buckets {
			rest[b.Start.UnixMilli()] += b.Total
		}
		for _, l := range out.Lanes {
			for _, b := range l.Buckets {
				rest[b[0]] -= b[1]
			}
		}
		other := lane{Value: "other values", Other: true}
		for t, k := range rest {
			if k > 0 {
				other.Total += k
				other.Buckets = append(other.Buckets, [2]int64{t, k})
			}
		}
		slices.SortFunc(other.Buckets, func(a, b [2]int64) int { return cmp.Compare(a[0], b[0]) })
		out.Lanes = append(out.Lanes, other)
	}
	return &out, nil
}

func sortLanes(ls []lane) {
	slices.SortFunc(ls, func(a, b lane) int { return cmp.Or(cmp.Compare(b.Total, a.Total), cmp.Compare(a.Value, b.Value)) })
	for i := range ls {
		slices.SortFunc(ls[i].Buckets, func(a, b [2]int64) int { return cmp.Compare(a[0], b[0]) })
	}
}

// defaultFacets are the columns the facet panel shows.
var defaultFacets = []string{"source", "category", "action", "outcome", "actor", "tenant", "app_name", "src_ip", "country", "target_kind"}

// handleFacets counts the top values of columns over the matching events.
func (s *Server) handleFacets(c echo.Context) error {
	q, err := parseQuery(c.QueryParams())
	if err != nil {
		return badRequest(err)
	}
	cols := defaultFacets
	if v := c.QueryParam("columns"); v != "" {
		cols = nil
		for col := range strings.SplitSeq(v, ",") {
			col = strings.TrimSpace(col)
			if !timeline.IsColumn(col) || col == "raw" || col == "time" || col == "offset" {
				return badRequest(errString("columns: " + strconv.Quote(col) + " is not a column that can be counted"))
			}
			cols = append(cols, col)
		}
	}
	top := 8
	if v := c.QueryParam("top"); v != "" {
		if top, err = strconv.Atoi(v); err != nil || top < 1 {
			return badRequest(errString("top=" + strconv.Quote(v) + ": want a positive number"))
		}
		top = min(top, 100)
	}
	cs, _, err := s.snapshot()
	if err != nil {
		return err
	}
	return s.answer(c, cs, func(ctx context.Context) (any, error) { return buildFacets(ctx, cs, q, cols, top) })
}

// buildFacets counts each column in its own goroutine (one pass each).
func buildFacets(ctx context.Context, cs *timeline.Case, q timeline.Query, cols []string, top int) (any, error) {
	out := make(map[string][]timeline.FacetValue, len(cols))
	var mu sync.Mutex
	var wg sync.WaitGroup
	var first error
	sem := make(chan struct{}, max(2, runtime.GOMAXPROCS(0)))
	for _, col := range cols {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			f, err := cs.Facets(ctx, q, []string{col}, top)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				first = cmp.Or(first, err)
				return
			}
			out[col] = f[col]
		})
	}
	wg.Wait()
	if first != nil {
		return nil, first
	}
	return map[string]any{"facets": out}, nil
}
