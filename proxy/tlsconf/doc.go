// Package tlsconf builds crypto/tls configurations for rampart's proxy
// from its config: Mozilla profiles mapped as Mozilla's Go template does
// (MinVersion, CipherSuites for TLS 1.2, CurvePreferences including
// X25519MLKEM768), client-certificate verification with subject and SAN
// matching, certificates reloaded from disk without a restart, and
// upstream TLS with verification.
package tlsconf
