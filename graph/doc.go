// Package graph links a case's events into entities and edges (design.md §4)
// and answers questions over them: time-respecting chains from a root
// entity, findings (rules that tag events, never hide them), coverage, and
// deterministic Graphviz DOT for diagrams.
//
// Build reads events once. Nodes are dense integer ids with adjacency slices
// and interned values, so a 10M-event case fits in memory; each edge keeps
// its first and last time, its event count, a bounded sample of its event
// ids (the earliest and the latest) and, for causal edges, every event time
// so that chains are exactly time-respecting.
//
// Causal edges run from the credential an event presented (token, else key,
// else session) to what it issued (a token or a key) or touched (a mailbox,
// resource, identity or app). Context edges (identity uses credential, ip
// origin of credential, app client of credential, mailbox, resource or token
// in tenant) describe but never carry a chain: identities are context, not
// conduits.
//
// Outputs: Chain (JSON as `causeway chain --format json`, WriteText for
// terminals), Finding (JSON as `causeway findings`), and Diagram, a chain
// condensed under a node cap (BoardNodes, InteractiveNodes) whose WriteDOT
// writes deterministic, escaped DOT.
//
// Package graph imports timeline only, never importers, webui or cmd, and
// stays cheap to import: rendering with Graphviz lives in graph/render.
package graph
