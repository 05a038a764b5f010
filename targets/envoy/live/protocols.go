package live

import (
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"

	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/drift"
)

// codecVersions are the HTTP versions a connection manager's codec
// accepts: AUTO takes HTTP/1.1 and HTTP/2 (by ALPN, or by inference on
// plaintext).
func codecVersions(c hcmv3.HttpConnectionManager_CodecType) []string {
	switch c {
	case hcmv3.HttpConnectionManager_HTTP1:
		return []string{"HTTP/1.1"}
	case hcmv3.HttpConnectionManager_HTTP2:
		return []string{"HTTP/2"}
	case hcmv3.HttpConnectionManager_HTTP3:
		return []string{"HTTP/3"}
	}
	return []string{"HTTP/1.1", "HTTP/2"}
}

// checksContentTypes reports whether a route of the policy listener
// named name validates content types.
func (c *comparer) checksContentTypes(name string) bool {
	for _, s := range c.p.Services {
		for _, l := range s.Listeners {
			if l != name {
				continue
			}
			for _, r := range s.Routes {
				if len(r.ContentTypes) > 0 {
					return true
				}
			}
		}
	}
	return false
}

// protocols compares the HTTP versions a listener accepts: its codec
// (undeclared behaviour) and the ALPN protocols its TLS context
// advertises (tls). One only live accepts weakens. On a listener whose
// routes check content types both belong to that control: the target
// serves it HTTP/1.1 only, since over HTTP/2 a request body without
// content-length passes the no-body route unchecked.
func (c *comparer) protocols(at drift.At, w, g *lview) {
	codecCtl, alpnCtl := ir.CtlUndeclared, ir.CtlTLS
	if c.checksContentTypes(w.name) {
		codecCtl, alpnCtl = ir.CtlContentTypes, ir.CtlContentTypes
	}
	if w.hcm != nil && g.hcm != nil {
		c.d.Set(withCtl(at, codecCtl, "hcm.codec_type"), "HTTP versions accepted (codec_type)",
			codecVersions(w.hcm.GetCodecType()), codecVersions(g.hcm.GetCodecType()), drift.HigherWeakens)
	}
	if w.tls != nil && g.tls != nil {
		c.d.Set(withCtl(at, alpnCtl, "filter_chains[0].transport_socket.alpn_protocols"), "ALPN protocols",
			w.tls.GetCommonTlsContext().GetAlpnProtocols(), g.tls.GetCommonTlsContext().GetAlpnProtocols(), drift.HigherWeakens)
	}
}
