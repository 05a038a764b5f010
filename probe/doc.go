// Package probe runs black-box checks derived from a policy against a
// live endpoint, whatever gateway serves it: TLS versions and cipher
// suites accepted and refused (crypto/tls handshakes), certificate
// validity and host name, HSTS and security headers, unauthenticated
// requests answered 401, oversize bodies 413, undeclared methods 405,
// CORS refused to an undeclared origin, and IP rate limits answering 429
// within their budget. It is polite and bounded: one request per check,
// the rate-limit probe sends at most its budget plus a few requests, and
// everything runs under one overall timeout. Results use drift's finding
// model (Kind "probe"), so reports and exit codes are shared.
package probe
