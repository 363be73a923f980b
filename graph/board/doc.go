// Package board builds the one-page board report of a case (../shared/ux.md,
// Board; design.md §6): a headline sentence, the condensed causal chain,
// four large numbers (tenants affected, mailboxes accessed, dwell time, time
// to detect) with the items read, the key events in plain words, the
// coverage caveats and the analyst's starred events and notes.
//
// Every number is computed from the chain and the case's events, never typed
// in, and every sentence that states a number says what it counts. Build
// does the work (reading the case once, laying out the diagram with
// Graphviz); the writers only draw: WriteHTML (one self-contained file),
// WriteSVG (the page as one SVG), WritePNG (a 1920×1080 slide) and WritePDF
// (real text and a vector diagram).
//
// Use:
//
//	g, _ := graph.Build(ctx, c.All(ctx, timeline.Query{}), graph.Options{})
//	_ = g.AddAssertions(assertions)
//	r, err := board.Build(ctx, board.Input{Case: c, Graph: g,
//		Findings: g.Findings(graph.FindingOptions{}), ChainFrom: "key:…",
//		Annotations: annotations})
//	err = r.WritePDF(w) // or WriteHTML, WriteSVG, WritePNG
//
// The chain root is ChainFrom when given; else the signing key that the
// forged-token findings (token-without-signin,
// consumer-token-for-enterprise-tenant) name most; else the union of the
// chains from the tokens they flag; else the credential of the most severe
// finding, followed from that finding's time. The detection time is
// Input.Detection, else an event an analyst tagged "detection", else the
// first provider alert (UAL AlertTriggered) after the activity began, else
// the earliest finding. The report's caveats say which was used.
//
// Package board imports timeline, graph and graph/render only, never
// importers, webui or cmd.
package board
