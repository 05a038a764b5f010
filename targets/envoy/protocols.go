package envoy

import (
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"

	"github.com/rampart-policy/rampart/compiler/ir"
)

// ALPN protocol identifiers a listener advertises.
const (
	alpnH2    = "h2"
	alpnHTTP1 = "http/1.1"
)

// http1Only reports whether l must serve HTTP/1.1 only: some route on it
// validates content types. The content-type check passes a request
// without a body by its headers alone (the #no-body route: no
// content-length or 0, no transfer-encoding), and Envoy picks a route
// from the headers before any body arrives. In HTTP/1.1 a request body
// is declared by content-length or transfer-encoding and is otherwise
// absent (RFC 9112 §6.3), so that match is exact. In HTTP/2 a body is
// DATA frames on a stream whose HEADERS did not end it (END_STREAM is
// framing, not a header), content-length is optional (RFC 9113 §8.1.1),
// and nothing in the route match can see it: an HTTP/2 request with a
// body and no content-length would pass unchecked. So such a listener
// gets the HTTP/1 codec (no ALPN or prior-knowledge HTTP/2) and
// advertises only http/1.1 in ALPN; other listeners keep HTTP/2.
func (e *emitter) http1Only(l *ir.Listener) bool {
	for _, s := range e.servicesOn(l.Name) {
		for _, r := range s.Routes {
			if len(r.ContentTypes) > 0 {
				return true
			}
		}
	}
	return false
}

// codecType is the connection manager's codec for l: HTTP1 when it must
// serve HTTP/1.1 only, else AUTO (ALPN, or protocol inference on
// plaintext).
func (e *emitter) codecType(l *ir.Listener) hcmv3.HttpConnectionManager_CodecType {
	if e.http1Only(l) {
		return hcmv3.HttpConnectionManager_HTTP1
	}
	return hcmv3.HttpConnectionManager_AUTO
}

// alpn is the protocols l's TLS context advertises, matching its codec.
func (e *emitter) alpn(l *ir.Listener) []string {
	if e.http1Only(l) {
		return []string{alpnHTTP1}
	}
	return []string{alpnH2, alpnHTTP1}
}
