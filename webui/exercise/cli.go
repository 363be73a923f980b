package exercise

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/causeway-ir/causeway/timeline"
)

// providerSources are sources that only a cloud provider holds, never a
// customer: a template hides them from participants.
var providerSources = []string{"jwt.capture"}

// New writes a template exercise file for the case (for `causeway exercise
// new`): its name, a start at the first event, two stages, one inject, and
// the case's customer-side sources as what participants see. The template
// passes Check.
func New(w io.Writer, c *timeline.Case) error {
	m := c.Manifest()
	var lo, hi time.Time
	have := map[string]bool{}
	for _, p := range m.Parts {
		have[p.Source] = true
		if lo.IsZero() || p.MinTime.Before(lo) {
			lo = p.MinTime
		}
		if p.MaxTime.After(hi) {
			hi = p.MaxTime
		}
	}
	if len(m.Parts) == 0 {
		return fmt.Errorf("exercise new: the case in %s holds no events yet: import logs first", c.Dir())
	}
	lo, hi = lo.UTC().Truncate(time.Hour), hi.UTC().Truncate(time.Hour)
	mid := lo.Add(hi.Sub(lo) / 2).Truncate(time.Hour)
	var visible, hidden []string
	for _, s := range sortedKeys(have) {
		if slices.Contains(providerSources, s) {
			hidden = append(hidden, s)
		} else {
			visible = append(visible, s)
		}
	}
	if len(visible) == 0 {
		visible = []string{"*"}
	}
	q := strconv.Quote
	var b strings.Builder
	fmt.Fprintf(&b, "# Exercise for case %s. Check it with `causeway exercise check`.\n", q(m.Name))
	b.WriteString("# Times are case times (UTC). Participants see only events at or before the exercise clock,\n")
	b.WriteString("# from the sources under visible (and what released injects reveal).\n")
	fmt.Fprintf(&b, "title: %s\n", q("Tabletop: "+m.Name))
	b.WriteString("audience: Incident responders of the affected organization\n")
	fmt.Fprintf(&b, "case: %s\n", q(m.Name))
	fmt.Fprintf(&b, "start: %s\n", lo.Format(time.RFC3339))
	fmt.Fprintf(&b, "# anchor: %s   # T+0: the first malicious event, when you know it\n", lo.Format(time.RFC3339))
	b.WriteString("speed: 600   # case seconds per wall second while the clock plays\n")
	b.WriteString("visible:\n  sources: [")
	for i, s := range visible {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(q(s))
	}
	b.WriteString("]\n")
	b.WriteString("stages:\n")
	fmt.Fprintf(&b, "  - name: Detection\n    at: %s\n", lo.Format(time.RFC3339))
	fmt.Fprintf(&b, "  - name: Scoping\n    at: %s\n", mid.Format(time.RFC3339))
	b.WriteString("injects:\n")
	b.WriteString("  - id: first-alert\n    stage: Detection\n    title: An alert fires\n")
	b.WriteString("    text: Describe what the defenders learn at this point.\n")
	b.WriteString("    questions:\n      - ask: What do you look at first?\n        expect: [\"the alert's user and sign-ins\"]\n")
	b.WriteString("  - id: scope\n    stage: Scoping\n    title: How far does it go?\n")
	b.WriteString("    text: A second signal arrives.\n")
	b.WriteString("    questions:\n      - ask: Which accounts and tenants are affected?\n")
	if len(hidden) > 0 {
		b.WriteString("    reveals:\n      sources: [")
		for i, s := range hidden {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(q(s))
		}
		b.WriteString("]\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Check parses and validates the exercise file at path against the case
// (c may be nil), printing one line per problem to w. It reports whether the
// file can run (warnings allow it).
func Check(w io.Writer, path string, c *timeline.Case) (bool, error) {
	f, err := ParseFile(path)
	if ps, ok := err.(Problems); ok {
		for _, p := range ps {
			fmt.Fprintln(w, p)
		}
		return false, nil
	}
	if err != nil {
		return false, err
	}
	ps := f.Validate(c)
	for _, p := range ps {
		fmt.Fprintln(w, p)
	}
	if ps.Err() != nil {
		return false, nil
	}
	fmt.Fprintf(w, "%s: ok: %d stages, %d injects, %d questions\n", path, len(f.Stages), len(f.Injects), countQuestions(f))
	return true, nil
}

func countQuestions(f *File) int {
	n := 0
	for _, in := range f.Injects {
		n += len(in.Questions)
	}
	return n
}

// Run parses the exercise file at path and opens its Server on opts.Case
// (for `causeway exercise run`: the caller mounts Server.Handler next to its
// own routes and serves). opts.File is set from path.
func Run(ctx context.Context, path string, opts Options) (*Server, error) {
	f, err := ParseFile(path)
	if err != nil {
		return nil, fmt.Errorf("exercise %s:\n%w", path, err)
	}
	opts.File = f
	return Open(ctx, opts)
}
