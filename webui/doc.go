// Package webui is Causeway's web app: an Echo server with a JSON API under
// /api and an embedded front end (plain JavaScript modules committed under
// static/, so go build and go install need no Node).
//
// The server is secure by default (design.md §7): it listens on loopback
// unless TLS is configured or insecure is chosen on purpose; every API call
// needs the owner token (as "Authorization: Bearer …" or through the session
// cookie that /login?token=… sets); every response carries a strict
// Content-Security-Policy. The browser never receives all events of a case:
// the server answers pages, histograms, lane counts and facets, and the
// front end renders every string from a log as text, never as HTML.
//
// Package webui imports timeline and graph only, never importers or cmd.
package webui
