// Package accesslog writes rampart's proxy's access log as JSON through
// log/slog. Redaction (drop, redact, hash) is applied to headers, query
// parameters and fields before anything is written; credentials the
// policy reads are redacted unless the policy says otherwise (the
// compiler lists them among the config's redactions).
//
// A line is one JSON object holding, in this order, the fields the config
// selects — time (RFC 3339, milliseconds, UTC), method, route, path (never
// with a query), query (an object of value arrays), status, clientIP,
// latency (seconds), userAgent, requestID, identity — then headers,
// authFailure and fields when there are any. slog's own time, level and
// message are not written.
//
// Redactions match names without regard to case and work as follows:
//
//   - header: a request header is written only if a redaction in mode
//     redact or hash names it, and then only hidden; every other header,
//     and one in mode drop, is left out.
//   - query: a parameter with a redaction is dropped, replaced by
//     "[redacted]" or by its hash; other parameters are written as sent.
//   - field: the same modes for Entry.Fields and for the selected string
//     fields of the same name (identity, clientIP, userAgent, …).
//
// A hash is "hmac-sha256:" and the hex of the first 16 bytes of
// HMAC-SHA256 keyed by the logger's key: stable for a key, so that lines
// can be correlated, and not reversible without it.
package accesslog
