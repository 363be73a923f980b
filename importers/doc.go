// Package importers turns provider exports into timeline events: one file
// per source (cloudtrail.go, entra_signin.go, m365_ual.go, …), each a small
// unexported type implementing timeline.Importer, registered in the one
// ordered table of registry.go. Shared decoding (JSON record streaming with
// envelopes, CSV rows with their exact text, timestamps, lenient scalars,
// join-key normalization) lives once in decode.go, jsonstream.go and
// csvstream.go; provider files only map fields. pipeline.go walks files and
// directories, opens gzip and zip, sniffs each file's content against the
// table and streams its records into a case.
//
// Package importers imports timeline only; never graph, webui or cmd.
package importers
