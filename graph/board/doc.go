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
// Package board imports timeline, graph and graph/render only, never
// importers, webui or cmd.
package board
