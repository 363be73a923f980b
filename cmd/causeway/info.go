package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/causeway-ir/causeway/timeline"
)

// caseInfo is the --format json output of causeway info.
type caseInfo struct {
	Name    string                `json:"name"`
	Dir     string                `json:"dir"`
	Created time.Time             `json:"created"`
	Events  int64                 `json:"events"`
	First   *time.Time            `json:"first,omitempty"`
	Last    *time.Time            `json:"last,omitempty"`
	Sources []sourceInfo          `json:"sources"`
	Files   []timeline.FileRecord `json:"files"`
	Runs    []timeline.RunRecord  `json:"runs"`
	Rejects int64                 `json:"rejects"`
}

type sourceInfo struct {
	Source string    `json:"source"`
	Events int64     `json:"events"`
	First  time.Time `json:"first"`
	Last   time.Time `json:"last"`
}

func cmdInfo(ctx context.Context, args []string, e env) error {
	fs := newFlags("info", "--case DIR [--format text|json]", e)
	caseDir := fs.String("case", "", "case directory")
	format := fs.String("format", "text", "text or json")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if *caseDir == "" {
		return usagef("--case is required")
	}
	c, err := timeline.Open(*caseDir)
	if err != nil {
		return err
	}
	m := c.Manifest()
	info := caseInfo{Name: m.Name, Dir: *caseDir, Created: m.Created, Files: m.Files, Runs: m.Runs}
	bySource := map[string]*sourceInfo{}
	for _, p := range m.Parts {
		info.Events += p.Rows
		s := bySource[p.Source]
		if s == nil {
			s = &sourceInfo{Source: p.Source, First: p.MinTime, Last: p.MaxTime}
			bySource[p.Source] = s
		}
		s.Events += p.Rows
		if p.MinTime.Before(s.First) {
			s.First = p.MinTime
		}
		if p.MaxTime.After(s.Last) {
			s.Last = p.MaxTime
		}
		if info.First == nil || p.MinTime.Before(*info.First) {
			t := p.MinTime
			info.First = &t
		}
		if info.Last == nil || p.MaxTime.After(*info.Last) {
			t := p.MaxTime
			info.Last = &t
		}
	}
	for _, s := range bySource {
		info.Sources = append(info.Sources, *s)
	}
	slices.SortFunc(info.Sources, func(a, b sourceInfo) int { return strings.Compare(a.Source, b.Source) })
	for _, r := range m.Runs {
		info.Rejects += r.Rejected
	}
	if info.Sources == nil {
		info.Sources = []sourceInfo{}
	}
	if *format == "json" {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(info)
	}
	w := e.stdout
	fmt.Fprintf(w, "Case %s (%s), created %s\n", termSafe(info.Name), termSafe(info.Dir), info.Created.Format(time.RFC3339))
	if info.First != nil {
		fmt.Fprintf(w, "%d events from %s to %s\n\n", info.Events, info.First.Format(time.RFC3339), info.Last.Format(time.RFC3339))
	} else {
		fmt.Fprintln(w, "No events yet: import files with 'causeway import --case DIR PATH...'")
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	if len(info.Sources) > 0 {
		fmt.Fprintln(tw, "SOURCE\tEVENTS\tFIRST\tLAST")
		for _, s := range info.Sources {
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", s.Source, s.Events, s.First.Format(time.RFC3339), s.Last.Format(time.RFC3339))
		}
		fmt.Fprintln(tw)
	}
	if len(info.Files) > 0 {
		fmt.Fprintln(tw, "FILE\tIMPORTER\tSHAPE\tIMPORTED\tDUPLICATES\tREJECTED\tSHA256")
		for _, f := range info.Files {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%s\n", termSafe(f.Path), f.Importer, f.Shape, f.Imported, f.Duplicates, f.Rejected, f.SHA256)
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
	fmt.Fprintf(w, "%d import runs, %d rejected records", len(info.Runs), info.Rejects)
	for _, r := range info.Runs {
		if r.Rejects != "" {
			fmt.Fprintf(w, "\n  rejects of run %s: %s", r.ID, r.Rejects)
		}
	}
	fmt.Fprintln(w)
	return nil
}
