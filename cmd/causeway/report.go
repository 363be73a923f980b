package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/causeway-ir/causeway/graph"
	"github.com/causeway-ir/causeway/graph/board"
	"github.com/causeway-ir/causeway/timeline"
)

func cmdReport(ctx context.Context, args []string, e env) error {
	fs := newFlags("report", "--case DIR --format html|pdf|png|svg -o FILE [--chain-from KIND:VALUE] [--since T] [--detected T] [--title TEXT]", e)
	caseDir := fs.String("case", "", "case directory")
	format := fs.String("format", "", "html, pdf, png or svg (default: from the -o file's extension)")
	out := fs.String("o", "", "output file ('-' for standard output)")
	chainFrom := fs.String("chain-from", "", "root of the chain shown (default: chosen from the findings)")
	detected := fs.String("detected", "", "when the incident was detected, RFC 3339 (default: a 'detection' tag, else the first provider alert, else the earliest finding)")
	since := fs.String("since", "", "start of the compromise window, RFC 3339 (default: from the chain)")
	title := fs.String("title", "", "title on the page (default: the case's name)")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if *caseDir == "" || *out == "" {
		return usagef("--case and -o are required")
	}
	if *format == "" {
		*format = strings.TrimPrefix(filepath.Ext(*out), ".")
	}
	switch *format {
	case "html", "pdf", "png", "svg":
	default:
		return usagef("--format must be html, pdf, png or svg")
	}
	if *chainFrom != "" {
		if _, err := timeline.ParseEntity(*chainFrom); err != nil {
			return usagef("--chain-from: %v", err)
		}
	}
	det, err := parseTimeFlag("detected", *detected)
	if err != nil {
		return err
	}
	from, err := parseTimeFlag("since", *since)
	if err != nil {
		return err
	}
	c, err := timeline.Open(*caseDir)
	if err != nil {
		return err
	}
	g, err := loadGraph(ctx, c)
	if err != nil {
		return err
	}
	db, err := c.OpenDB()
	if err != nil {
		return err
	}
	notes, err := db.Annotations(ctx, "")
	db.Close()
	if err != nil {
		return err
	}
	rep, err := board.Build(ctx, board.Input{
		Case: c, Graph: g, Findings: g.Findings(graph.FindingOptions{}), ChainFrom: *chainFrom,
		Annotations: notes, Detection: det, Since: from, Title: *title, Now: e.clock,
	})
	if err != nil {
		return err
	}
	err = withOutput(*out, e.stdout, func(w io.Writer) error {
		switch *format {
		case "html":
			return rep.WriteHTML(w)
		case "pdf":
			return rep.WritePDF(w)
		case "png":
			return rep.WritePNG(w)
		}
		return rep.WriteSVG(w)
	})
	if err != nil {
		return err
	}
	if *out != "-" {
		fmt.Fprintf(e.stderr, "wrote %s\n", termSafe(*out))
	}
	return nil
}
