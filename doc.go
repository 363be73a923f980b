// Package causeway holds the repository-wide tests (the import direction
// of the architecture). The code lives in timeline (the domain core),
// importers, graph, webui, samples and cmd/causeway.
package causeway
