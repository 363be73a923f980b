package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/causeway-ir/causeway/timeline"
)

func cmdEvents(ctx context.Context, args []string, e env) error {
	fs := newFlags("events", "--case DIR [--since T] [--until T] [--source S] [--where COLUMN=VALUE]... [--q TEXT] [--limit N] [--raw] [--format table|json|jsonl|csv]", e)
	caseDir := fs.String("case", "", "case directory")
	since := fs.String("since", "", "first time, RFC 3339 (inclusive)")
	until := fs.String("until", "", "last time, RFC 3339 (exclusive)")
	var sources, wheres multiFlag
	fs.Var(&sources, "source", "only this source (repeatable, or comma-separated)")
	fs.Var(&wheres, "where", "COLUMN=VALUE equality, case-insensitive (repeatable)")
	text := fs.String("q", "", "case-insensitive text in message, actor or target")
	limit := fs.Int("limit", 100, "events to show at most (0: all)")
	raw := fs.Bool("raw", false, "include the raw record")
	format := fs.String("format", "table", "table, json, jsonl or csv")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if *caseDir == "" {
		return usagef("--case is required")
	}
	q := timeline.Query{Text: *text, Raw: *raw}
	var err error
	if q.Since, err = parseTimeFlag("since", *since); err != nil {
		return err
	}
	if q.Until, err = parseTimeFlag("until", *until); err != nil {
		return err
	}
	for _, s := range sources {
		for _, p := range strings.Split(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				q.Source = append(q.Source, p)
			}
		}
	}
	for _, w := range wheres {
		c, err := timeline.ParseCond(w)
		if err != nil {
			return usagef("--where: %v", err)
		}
		q.Where = append(q.Where, c)
	}
	if *limit < 0 {
		return usagef("--limit must be 0 or more")
	}
	var out eventWriter
	bw := bufio.NewWriterSize(e.stdout, 64<<10)
	defer bw.Flush()
	switch *format {
	case "table":
		out = newTableWriter(bw)
	case "json":
		out = &jsonWriter{w: bw, raw: *raw}
	case "jsonl":
		out = &jsonlWriter{w: bw, raw: *raw}
	case "csv":
		out = newCSVWriter(bw, *raw)
	default:
		return usagef("--format must be table, json, jsonl or csv")
	}
	c, err := timeline.Open(*caseDir)
	if err != nil {
		return err
	}
	left := *limit
	for {
		q.Limit = 5000
		if left > 0 {
			q.Limit = min(left, 5000)
		}
		page, err := c.Events(ctx, q)
		if err != nil {
			return err
		}
		for i := range page.Events {
			if err := out.write(&page.Events[i]); err != nil {
				return err
			}
		}
		if left > 0 {
			left -= len(page.Events)
		}
		if page.Next == "" || (*limit > 0 && left <= 0) {
			break
		}
		q.Cursor = page.Next
	}
	if err := out.close(); err != nil {
		return err
	}
	return bw.Flush()
}

// eventWriter is one output format of causeway events.
type eventWriter interface {
	write(e *timeline.Event) error
	close() error
}

// eventObject is an event as JSON: every schema column by name; raw only
// when asked for, as the record itself when it is JSON.
func eventObject(e *timeline.Event, raw bool) map[string]any {
	m := make(map[string]any, 32)
	for _, col := range timeline.Columns() {
		switch col {
		case "raw":
			if raw {
				if json.Valid([]byte(e.Raw)) {
					m[col] = json.RawMessage(e.Raw)
				} else {
					m[col] = e.Raw
				}
			}
		case "offset":
			m[col] = e.Offset
		default:
			m[col] = e.Field(col)
		}
	}
	return m
}

type jsonWriter struct {
	w   io.Writer
	raw bool
	n   int
}

func (j *jsonWriter) write(e *timeline.Event) error {
	b, err := json.Marshal(eventObject(e, j.raw))
	if err != nil {
		return err
	}
	sep := ",\n"
	if j.n == 0 {
		sep = "[\n"
	}
	j.n++
	if _, err := io.WriteString(j.w, sep); err != nil {
		return err
	}
	_, err = j.w.Write(b)
	return err
}

func (j *jsonWriter) close() error {
	if j.n == 0 {
		_, err := io.WriteString(j.w, "[]\n")
		return err
	}
	_, err := io.WriteString(j.w, "\n]\n")
	return err
}

type jsonlWriter struct {
	w   io.Writer
	raw bool
}

func (j *jsonlWriter) write(e *timeline.Event) error {
	b, err := json.Marshal(eventObject(e, j.raw))
	if err != nil {
		return err
	}
	_, err = j.w.Write(append(b, '\n'))
	return err
}

func (j *jsonlWriter) close() error { return nil }

type csvWriter struct {
	w    *csv.Writer
	cols []string
	head bool
}

func newCSVWriter(w io.Writer, raw bool) *csvWriter {
	var cols []string
	for _, c := range timeline.Columns() {
		if c != "raw" || raw {
			cols = append(cols, c)
		}
	}
	return &csvWriter{w: csv.NewWriter(w), cols: cols}
}

func (c *csvWriter) write(e *timeline.Event) error {
	if !c.head {
		c.head = true
		if err := c.w.Write(c.cols); err != nil {
			return err
		}
	}
	rec := make([]string, len(c.cols))
	for i, col := range c.cols {
		rec[i] = csvSafe(e.Field(col))
	}
	return c.w.Write(rec)
}

func (c *csvWriter) close() error {
	if !c.head {
		c.head = true
		c.w.Write(c.cols)
	}
	c.w.Flush()
	return c.w.Error()
}

type tableWriter struct {
	tw *tabwriter.Writer
	n  int
}

func newTableWriter(w io.Writer) *tableWriter {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tSOURCE\tACTION\tACTOR\tTARGET\tIP\tMESSAGE")
	return &tableWriter{tw: tw}
}

func (t *tableWriter) write(e *timeline.Event) error {
	t.n++
	_, err := fmt.Fprintf(t.tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
		e.Time.UTC().Format("2006-01-02T15:04:05Z"), e.Source, cell(e.Action, 32), cell(e.Actor, 36),
		cell(e.Target, 36), cell(e.SrcIP, 39), cell(e.Message, 80))
	return err
}

func (t *tableWriter) close() error {
	if t.n == 0 {
		fmt.Fprintln(t.tw, "(no events match)")
	}
	return t.tw.Flush()
}

// cell makes a log string safe for a terminal table cell and cuts it.
func cell(s string, n int) string {
	s = termSafe(s)
	if s == "" {
		return "-"
	}
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
