// Package exercise runs a tabletop exercise on a case (design.md §6, ux.md
// "Exercise"): a facilitator moves a clock in case time and releases
// injects; participants see only what the defenders could have known at
// that time.
//
// An exercise file (YAML, see File) names the case, the start, the stages,
// the injects with their questions and expected answers, and what
// participants may see: the sources the defenders had. An inject may
// release more (a source, or events matching conditions). The visibility
// rule (Visibility.Allows) is applied on the server to every event before
// it is sent to a participant: nothing after the exercise clock and nothing
// from a source that was not given or released ever reaches a
// participant's browser.
//
// A Server serves the facilitator console and the participant view (plain
// JavaScript modules embedded from static/, rendering every string from a
// log with textContent), a JSON API and a server-sent event stream that
// every browser follows. It does not authenticate anyone itself: the
// mounting server passes a function that names the caller (Principal) and
// one that checks CSRF. Answers and notes are kept in exercise.db (SQLite)
// in the case directory and exported for the debrief as JSON or CSV.
//
// Package exercise imports timeline only, never importers, graph, webui or
// cmd.
package exercise
