package kong

import (
	"fmt"
	"strings"

	"github.com/rampart-policy/rampart/compiler/ir"
)

// sameClientAddress reports whether every listener takes the client
// address from the same place with the same trusted proxies: kong.conf's
// trusted_ips, real_ip_header and real_ip_recursive are node-wide, so a
// policy whose listeners differ cannot be enforced on one Kong node.
// Build then (under a waiver) keys every listener on the TCP peer.
func sameClientAddress(p *ir.Policy) bool {
	for _, l := range p.Listeners {
		if !ir.SameClientAddress(l.ClientAddress, p.Listeners[0].ClientAddress) {
			return false
		}
	}
	return true
}

// nodeClientAddress is the client address every listener shares; nil for
// the peer, or when the listeners differ (a waived clientAddress need).
func nodeClientAddress(p *ir.Policy) *ir.ClientAddress {
	if len(p.Listeners) == 0 || !sameClientAddress(p) {
		return nil
	}
	return p.Listeners[0].ClientAddress
}

// realIPConf sets trusted_ips, real_ip_header and real_ip_recursive, so
// that Kong's nginx takes the rightmost X-Forwarded-For entry not in the
// trusted ranges (or the PROXY header's source), and only from a trusted
// peer: kong.client.get_forwarded_ip(), which rate-limiting limit_by ip
// and the log plugins read, is then that address. Kong also believes
// X-Forwarded-Proto, -Host, -Port and -Path from those peers.
func realIPConf(p *ir.Policy, c *Conf) error {
	ca := nodeClientAddress(p)
	if ca == nil {
		return nil
	}
	for _, r := range ca.TrustedProxies {
		if q, err := ir.ParseTrustedCIDR(r); err != nil || q.String() != r {
			return fmt.Errorf("trusted proxy %q is not a canonical range", r)
		}
	}
	header := "X-Forwarded-For"
	if ca.From == ir.FromProxyProtocol {
		header = "proxy_protocol"
	}
	c.set("trusted_ips", strings.Join(ca.TrustedProxies, ","),
		"clientAddress: the proxies whose "+header+" Kong believes (every listener; Kong's setting is node-wide).")
	c.set("real_ip_header", header, "")
	c.set("real_ip_recursive", "on", "The rightmost address that is not a trusted proxy is the client.")
	return nil
}

// proxyProtocolSuffix is the proxy_listen flag for the PROXY protocol.
func proxyProtocolSuffix(p *ir.Policy) string {
	if ca := nodeClientAddress(p); ca != nil && ca.From == ir.FromProxyProtocol {
		return " proxy_protocol"
	}
	return ""
}
