package nginx

import (
	"fmt"

	"github.com/rampart-policy/rampart/compiler/ir"
)

// realIP returns a listener's server-level realip directives: the trusted
// proxies (set_real_ip_from per range), the header their address comes
// from (X-Forwarded-For, or the PROXY protocol header) and recursion, so
// that nginx takes the rightmost X-Forwarded-For entry that is not a
// trusted proxy, and only from a trusted peer. nginx then replaces
// $remote_addr (and $binary_remote_addr) with that address in every
// later phase: limit_req keys, the access log, the authorizer's
// X-Rampart-Client-IP and the upstream's X-Forwarded-For. A listener
// keyed on the peer gets none, and nginx believes no header.
func realIP(l *ir.Listener) ([]Directive, error) {
	c := l.ClientAddress
	if c == nil {
		return nil, nil
	}
	header := "X-Forwarded-For"
	if c.From == ir.FromProxyProtocol {
		header = "proxy_protocol"
	}
	var out []Directive
	for _, r := range c.TrustedProxies {
		p, err := ir.ParseTrustedCIDR(r)
		if err != nil || p.String() != r {
			return nil, fmt.Errorf("trusted proxy %q is not a canonical range", r)
		}
		out = append(out, D("set_real_ip_from", Raw(p.String())))
	}
	out[0] = out[0].WithComment("clientAddress: the client address is " + describeFrom(c.From) + " when the peer is one of these trusted proxies")
	return append(out, D("real_ip_header", Raw(header)), D("real_ip_recursive", Raw("on"))), nil
}

// describeFrom says in words where the client address comes from.
func describeFrom(from string) string {
	if from == ir.FromProxyProtocol {
		return "the PROXY protocol header's source"
	}
	return "the rightmost X-Forwarded-For entry that is not a trusted proxy"
}

// proxyProtocolArg is the listen parameter that makes nginx require the
// PROXY protocol header on a listener's connections, if it takes one.
func proxyProtocolArg(l *ir.Listener) []Arg {
	if l.ClientAddress != nil && l.ClientAddress.From == ir.FromProxyProtocol {
		return Raws("proxy_protocol")
	}
	return nil
}
