// Package webui is Causeway's web app: an Echo server with a JSON API under
// /api and an embedded front end (plain JavaScript modules and CSS committed
// under static/, no build step and no third-party code, so go build and go
// install need no Node).
//
// The server is secure by default (design.md §7): ListenAndServe refuses a
// non-loopback address unless TLS is configured or insecure is chosen on
// purpose (CheckAddr); every API call needs the owner token, as
// "Authorization: Bearer …" or through the HttpOnly, SameSite=Strict session
// cookie that /login?token=… sets; anonymous calls get 401. Every response
// carries a strict Content-Security-Policy (no inline script or style, no
// framing), nosniff and no-referrer. The front end renders every string from
// a log as text (textContent, canvas text), never as HTML; chain diagrams come
// from graph/render, which escapes labels. Requests reach the file system
// only through the embedded assets and the case's own files.
//
// The API (all GET, JSON unless stated):
//
//	/api/case                      name, span, counts per source, files
//	/api/events?since&until&source&q&where&limit&cursor
//	                               {"events":[…],"next":"cursor","total":N}
//	/api/event?id&source           one event with raw and provenance
//	/api/histogram?…&buckets       counts per source per bucket (auto width)
//	/api/lanes?…&group&lanes&buckets
//	                               the histogram plus per-lane counts (group:
//	                               source, tenant, identity, app, ip, category)
//	/api/facets?…&columns&top      top values per column
//	/api/entity?id=KIND:VALUE      where an entity appears, first/last, related
//	/api/chain?from&since&until[&direction=backward]
//	                               as `causeway chain --format json`
//	/api/chain.svg, .png, .dot     the condensed diagram
//	/api/findings                  as `causeway findings --format json`
//
// since and until are RFC 3339 or Unix milliseconds; q is the search box:
// free text (message, actor, target) and column:value terms (aliases ip,
// app, user, ua, session, token, key). The browser never receives all
// events: answers are pages and aggregates, cached per case snapshot, and
// Serve warms the whole-case answers and the graph at start. A new import
// (a new case.json) is picked up on the next request.
//
// Package webui imports timeline and graph only, never importers or cmd.
package webui
