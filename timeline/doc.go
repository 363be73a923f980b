// Package timeline is Causeway's domain core: the normalized Event and its
// Parquet schema, entity kinds and ids, provenance, the Importer interface,
// ParseError, and the case store (a directory of Hive-partitioned Parquet
// files with an atomic manifest).
//
// Within the module, timeline imports nothing: importers, graph, webui and
// cmd depend on it, never the other way round (deps_test.go enforces this).
package timeline
