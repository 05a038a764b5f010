// Package live reads a running nginx's configuration — a file or
// directory on disk, or the output of `nginx -T` — and compares it with
// what the nginx target compiles from a policy, as typed data per control
// (drift.Live). Both sides go through the same lenient parser and the
// same normalisation: includes inlined, nginx's inheritance from http to
// server to location applied (add_header, limit_req and access_log
// replace rather than merge), and nginx's defaults filled where a
// directive is absent, so a removed directive reads as its default.
package live
