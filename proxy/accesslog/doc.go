// Package accesslog writes rampart's proxy's access log as JSON through
// log/slog. Redaction (drop, redact, hash) is applied to headers, query
// parameters and fields before anything is written; credentials the
// policy reads are redacted unless the policy says otherwise.
package accesslog
