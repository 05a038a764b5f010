// Package live reads the effective configuration of a running `rampart
// serve` from its admin API (GET /config) and compares it with what the
// goproxy target compiles from a policy, field by field, as controls
// (drift.Live). API-key hashes, which the admin API redacts, are
// redacted on the expected side too; file paths (certificates, logs) are
// compared as they are.
package live
