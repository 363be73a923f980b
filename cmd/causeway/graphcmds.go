package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/causeway-ir/causeway/graph"
	"github.com/causeway-ir/causeway/timeline"
)

// loadGraph builds the causal graph of a case, with the assertions of its
// case.db.
func loadGraph(ctx context.Context, c *timeline.Case) (*graph.Graph, error) {
	g, err := graph.BuildCase(ctx, c, graph.Options{})
	if err != nil {
		return nil, err
	}
	db, err := c.OpenDB()
	if err != nil {
		return nil, err
	}
	defer db.Close()
	as, err := db.Assertions(ctx)
	if err != nil {
		return nil, err
	}
	if err := g.AddAssertions(as); err != nil {
		return nil, err
	}
	return g, nil
}

func cmdChain(ctx context.Context, args []string, e env) error {
	fs := newFlags("chain", "--case DIR --from KIND:VALUE [--since T] [--until T] [--backward] [--format json|dot|svg|png|text] [-o FILE]", e)
	caseDir := fs.String("case", "", "case directory")
	from := fs.String("from", "", "root entity, KIND:VALUE (e.g. key:AKIA…, mailbox:alice@contoso.com)")
	since := fs.String("since", "", "follow edges from this time on (the compromise window's start), RFC 3339")
	until := fs.String("until", "", "follow edges before this time, RFC 3339")
	backward := fs.Bool("backward", false, "trace back from an impact to its possible roots")
	format := fs.String("format", "text", "json, dot, svg, png or text")
	outFile := fs.String("o", "", "write to this file instead of standard output")
	maxNodes := fs.Int("max-nodes", graph.InteractiveNodes, "condense diagrams to at most this many nodes")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if *caseDir == "" || *from == "" {
		return usagef("--case and --from are required")
	}
	if _, err := timeline.ParseEntity(*from); err != nil {
		return usagef("--from: %v", err)
	}
	opts := graph.ChainOptions{Backward: *backward}
	var err error
	if opts.Since, err = parseTimeFlag("since", *since); err != nil {
		return err
	}
	if opts.Until, err = parseTimeFlag("until", *until); err != nil {
		return err
	}
	switch *format {
	case "json", "dot", "svg", "png", "text":
	default:
		return usagef("--format must be json, dot, svg, png or text")
	}
	c, err := timeline.Open(*caseDir)
	if err != nil {
		return err
	}
	g, err := loadGraph(ctx, c)
	if err != nil {
		return err
	}
	ch, err := g.Chain(*from, opts)
	if err != nil {
		return err
	}
	return withOutput(*outFile, e.stdout, func(w io.Writer) error {
		switch *format {
		case "json":
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			return enc.Encode(ch)
		case "text":
			return writeChainText(w, ch)
		}
		d := graph.NewDiagram(ch, graph.DiagramOptions{MaxNodes: *maxNodes, Title: "Chain from " + *from})
		return writeDiagram(ctx, w, d, *format)
	})
}

func writeChainText(w io.Writer, ch *graph.Chain) error {
	fmt.Fprintf(w, "Chain from %s: %d entities, %d links\n\n", termSafe(ch.Root), len(ch.Nodes), len(ch.Edges))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tFROM\tRELATION\tTO\tEVIDENCE\tEVENTS")
	for _, ed := range ch.Edges {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\n", graph.StampOrUnknown(ed.Time), cell(ed.From, 48), ed.Relation, cell(ed.To, 48), ed.Evidence, len(ed.Events))
	}
	return tw.Flush()
}

func cmdFindings(ctx context.Context, args []string, e env) error {
	fs := newFlags("findings", "--case DIR [--rule R] [--format table|json]", e)
	caseDir := fs.String("case", "", "case directory")
	var rules multiFlag
	fs.Var(&rules, "rule", "only this rule (repeatable): "+strings.Join(graph.Rules(), ", "))
	format := fs.String("format", "table", "table or json")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if *caseDir == "" {
		return usagef("--case is required")
	}
	for _, r := range rules {
		known := false
		for _, k := range graph.Rules() {
			known = known || k == r
		}
		if !known {
			return usagef("unknown rule %q; rules: %s", r, strings.Join(graph.Rules(), ", "))
		}
	}
	if *format != "table" && *format != "json" {
		return usagef("--format must be table or json")
	}
	c, err := timeline.Open(*caseDir)
	if err != nil {
		return err
	}
	g, err := loadGraph(ctx, c)
	if err != nil {
		return err
	}
	fsx := g.Findings(graph.FindingOptions{Rules: rules})
	if fsx == nil {
		fsx = []graph.Finding{}
	}
	if *format == "json" {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(fsx)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tRULE\tSEVERITY\tSUMMARY")
	for _, f := range fsx {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", f.Time.UTC().Format(time.RFC3339), f.Rule, f.Severity, cell(f.Summary, 120))
	}
	if len(fsx) == 0 {
		fmt.Fprintln(tw, "(no findings)")
	}
	return tw.Flush()
}

func cmdAssert(ctx context.Context, args []string, e env) error {
	fs := newFlags("assert", "--case DIR --from KIND:VALUE --to KIND:VALUE --relation R --why TEXT [--who NAME] [--at T]", e)
	caseDir := fs.String("case", "", "case directory")
	from := fs.String("from", "", "tail entity, KIND:VALUE")
	to := fs.String("to", "", "head entity, KIND:VALUE")
	relation := fs.String("relation", "", "what the edge means (e.g. signed, minted, accessed)")
	why := fs.String("why", "", "the reason: the advisory, the evidence outside the logs")
	who := fs.String("who", "", "who states it (default: $USER)")
	at := fs.String("at", "", "when the edge holds from, RFC 3339 (default: unknown)")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if *caseDir == "" || *from == "" || *to == "" || *relation == "" || *why == "" {
		return usagef("--case, --from, --to, --relation and --why are required")
	}
	fe, err := timeline.ParseEntity(*from)
	if err != nil {
		return usagef("--from: %v", err)
	}
	te, err := timeline.ParseEntity(*to)
	if err != nil {
		return usagef("--to: %v", err)
	}
	when, err := parseTimeFlag("at", *at)
	if err != nil {
		return err
	}
	name := *who
	if name == "" {
		name = e.getenv("USER")
	}
	if name == "" {
		name = "analyst"
	}
	c, err := timeline.Open(*caseDir)
	if err != nil {
		return err
	}
	db, err := c.OpenDB()
	if err != nil {
		return err
	}
	defer db.Close()
	a, err := db.AddAssertion(ctx, timeline.Assertion{From: fe, To: te, Relation: *relation, Why: *why, Who: name, At: when})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "asserted #%d: %s -[%s]-> %s by %s\n", a.ID, termSafe(fe.String()), termSafe(a.Relation), termSafe(te.String()), termSafe(a.Who))
	return nil
}
