// Package tlsconf builds crypto/tls configurations for rampart's proxy
// from its config: Mozilla profiles mapped as Mozilla's Go template does
// (MinVersion, CipherSuites for TLS 1.2, CurvePreferences including
// X25519MLKEM768), client-certificate verification with subject and SAN
// matching, certificates reloaded from disk without a restart, and
// upstream TLS with verification.
//
// It fails closed: a setting crypto/tls cannot apply exactly as
// configured is an error when the config is built, never a silent
// fallback to crypto/tls defaults.
package tlsconf
