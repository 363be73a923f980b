package webui

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/causeway-ir/causeway/timeline"
)

// searchAliases are the short names the search box accepts besides the
// schema column names.
var searchAliases = map[string]string{
	"ip":       "src_ip",
	"app":      "app_name",
	"user":     "actor",
	"identity": "actor",
	"ua":       "user_agent",
	"session":  "session_id",
	"token":    "token_id",
	"key":      "key_id",
}

// searchColumn maps a search term's column (or alias) to a filterable
// schema column.
func searchColumn(name string) (string, bool) {
	name = strings.ToLower(name)
	if col, ok := searchAliases[name]; ok {
		return col, true
	}
	switch name {
	case "time", "offset", "raw":
		return "", false
	}
	return name, timeline.IsColumn(name)
}

// parseSearch splits the search box's text into column:value conditions and
// free text. Values may be double-quoted to hold spaces; a term whose
// prefix is not a column is free text (so "https://x" stays text). The free
// words are joined with single spaces and matched as one phrase.
func parseSearch(q string) (text string, conds []timeline.Cond) {
	var words []string
	for _, term := range splitTerms(q) {
		col, val, ok := strings.Cut(term, ":")
		if ok && val != "" {
			if c, isCol := searchColumn(col); isCol {
				conds = append(conds, timeline.Cond{Column: c, Value: unquote(val)})
				continue
			}
		}
		words = append(words, unquote(term))
	}
	return strings.Join(words, " "), conds
}

// splitTerms splits on spaces outside double quotes.
func splitTerms(s string) []string {
	var out []string
	var b strings.Builder
	quoted := false
	for _, r := range s {
		switch {
		case r == '"':
			quoted = !quoted
			b.WriteRune(r)
		case unicode.IsSpace(r) && !quoted:
			if b.Len() > 0 {
				out = append(out, b.String())
				b.Reset()
			}
		default:
			b.WriteRune(r)
		}
	}
	if b.Len() > 0 {
		out = append(out, b.String())
	}
	return out
}

func unquote(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return s[1 : len(s)-1]
	}
	return strings.ReplaceAll(s, `"`, "")
}

// parseTime reads a query time: RFC 3339 or Unix milliseconds.
func parseTime(name, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.UnixMilli(ms).UTC(), nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s=%q: want RFC 3339 (2023-06-16T05:00:00Z) or Unix milliseconds", name, s)
	}
	return t.UTC(), nil
}

// parseQuery reads the filter parameters every data endpoint shares:
// since, until, source (repeated or comma-separated), q (search box text),
// where (repeated col=value), limit and cursor.
func parseQuery(v url.Values) (timeline.Query, error) {
	var q timeline.Query
	var err error
	if q.Since, err = parseTime("since", v.Get("since")); err != nil {
		return q, err
	}
	if q.Until, err = parseTime("until", v.Get("until")); err != nil {
		return q, err
	}
	if !q.Since.IsZero() && !q.Until.IsZero() && !q.Since.Before(q.Until) {
		return q, fmt.Errorf("since (%s) must be before until (%s)", q.Since.Format(time.RFC3339), q.Until.Format(time.RFC3339))
	}
	for _, s := range v["source"] {
		for part := range strings.SplitSeq(s, ",") {
			if part = strings.TrimSpace(part); part != "" {
				q.Source = append(q.Source, part)
			}
		}
	}
	for _, w := range v["where"] {
		c, err := timeline.ParseCond(w)
		if err != nil {
			return q, err
		}
		if c.Column == "time" || c.Column == "offset" {
			return q, fmt.Errorf("cannot filter on %s with where: use since and until", c.Column)
		}
		q.Where = append(q.Where, c)
	}
	text, conds := parseSearch(v.Get("q"))
	q.Text = text
	q.Where = append(q.Where, conds...)
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return q, fmt.Errorf("limit=%q: want a positive number", s)
		}
		q.Limit = min(n, maxPage)
	}
	q.Cursor = v.Get("cursor")
	return q, nil
}

// maxPage bounds a page of events.
const maxPage = 2000

// niceWidths are the bucket widths the histogram picks from.
var niceWidths = []time.Duration{
	time.Millisecond, 5 * time.Millisecond, 10 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond,
	250 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 15 * time.Second, 30 * time.Second,
	time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour,
	24 * time.Hour, 2 * 24 * time.Hour, 7 * 24 * time.Hour, 14 * 24 * time.Hour, 30 * 24 * time.Hour,
	91 * 24 * time.Hour, 365 * 24 * time.Hour,
}

// bucketWidth picks the smallest nice width that splits span into at most
// n buckets.
func bucketWidth(span time.Duration, n int) time.Duration {
	if n < 1 {
		n = 1
	}
	for _, w := range niceWidths {
		if span/w <= time.Duration(n) {
			return w
		}
	}
	w := niceWidths[len(niceWidths)-1]
	for span/w > time.Duration(n) {
		w *= 2
	}
	return w
}
