// Package authn authenticates requests for rampart's proxy: API keys
// (compared as SHA-256 hashes in constant time), JWT (JWKS fetched,
// cached and rotated; algorithm allow-list; iss, aud, exp, nbf, required
// claims, maximum token age), mTLS (the verified client certificate) and
// OAuth2 token introspection (RFC 7662, bounded cache). Every failure is
// closed: an error never authenticates.
package authn
