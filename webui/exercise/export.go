package exercise

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Debrief is everything a session produced, for the debrief: the injects
// with their expected answers, every answer, the facilitator's notes and
// the log of actions.
type Debrief struct {
	Title    string     `json:"title"`
	Audience string     `json:"audience"`
	Case     string     `json:"case"`
	Session  string     `json:"session"`
	Exported time.Time  `json:"exported"`
	Clock    time.Time  `json:"clock"`
	Anchor   time.Time  `json:"anchor"`
	Released []string   `json:"released"`
	Injects  []Inject   `json:"injects"`
	Answers  []Answer   `json:"answers"`
	Notes    []Note     `json:"notes"`
	Log      []LogEntry `json:"log"`
}

// Debrief collects the session's record.
func (s *Session) Debrief(ctx context.Context) (Debrief, error) {
	answers, err := s.store.answers(ctx, s.id, 0)
	if err != nil {
		return Debrief{}, fmt.Errorf("exercise: answers: %w", err)
	}
	notes, err := s.store.notes(ctx, s.id)
	if err != nil {
		return Debrief{}, fmt.Errorf("exercise: notes: %w", err)
	}
	log, err := s.store.log(ctx, s.id)
	if err != nil {
		return Debrief{}, fmt.Errorf("exercise: log: %w", err)
	}
	for i := range answers {
		if in := s.file.inject(answers[i].Inject); in != nil && answers[i].Question < len(in.Questions) {
			answers[i].Ask = in.Questions[answers[i].Question].Ask
		}
	}
	s.mu.Lock()
	d := Debrief{
		Title: s.file.Title, Audience: s.file.Audience, Case: s.file.Case, Session: s.id,
		Exported: s.now().UTC(), Clock: s.clockLocked(), Anchor: s.file.anchor,
		Released: append([]string{}, s.s.Released...), Injects: s.file.Injects,
		Answers: answers, Notes: notes, Log: log,
	}
	s.mu.Unlock()
	return d, nil
}

// WriteJSON writes the debrief as indented JSON.
func (d *Debrief) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(d)
}

// csvHeader is the header of the debrief CSV: one row per answer, then one
// per note.
var csvHeader = []string{"kind", "at_utc", "clock_utc", "relative", "who", "inject", "inject_title", "question_no", "question", "expected", "text"}

// WriteCSV writes answers and notes as CSV, one row each. Cells that a
// spreadsheet would run as a formula are prefixed with a quote.
func (d *Debrief) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return err
	}
	injects := map[string]*Inject{}
	for i := range d.Injects {
		injects[d.Injects[i].ID] = &d.Injects[i]
	}
	row := func(cells ...string) error {
		for i, c := range cells {
			cells[i] = csvSafe(c)
		}
		return cw.Write(cells)
	}
	for _, a := range d.Answers {
		title, ask, expect := "", "", ""
		if in := injects[a.Inject]; in != nil {
			title = in.Title
			if a.Question < len(in.Questions) {
				ask, expect = in.Questions[a.Question].Ask, strings.Join(in.Questions[a.Question].Expect, " | ")
			}
		}
		if err := row("answer", a.At.Format(time.RFC3339), a.Clock.Format(time.RFC3339), Relative(a.Clock, d.Anchor), a.Participant,
			a.Inject, title, strconv.Itoa(a.Question+1), ask, expect, a.Answer); err != nil {
			return err
		}
	}
	for _, n := range d.Notes {
		if err := row("note", n.At.Format(time.RFC3339), n.Clock.Format(time.RFC3339), Relative(n.Clock, d.Anchor), n.Author,
			"", "", "", "", "", n.Note); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// csvSafe defuses spreadsheet formulas (OWASP CSV injection): a cell that
// starts with = + - @ or a tab or carriage return gets a leading quote.
func csvSafe(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}
