package config

import (
	"fmt"
	"net/netip"
)

// Client address sources a listener may name.
const (
	FromXFF           = "x-forwarded-for"
	FromProxyProtocol = "proxy-protocol"
)

// ClientAddress is where a listener takes the client's address from when
// it sits behind trusted proxies. A listener without one uses the TCP peer
// and believes no header.
type ClientAddress struct {
	// From is "x-forwarded-for" (the rightmost entry not in
	// TrustedProxies, when the peer is in them; the leftmost when every
	// entry is) or "proxy-protocol" (the PROXY v1/v2 header's source
	// address, when the peer is in TrustedProxies; the header is required
	// on every connection).
	From string `json:"from"`
	// TrustedProxies are canonical CIDRs, never wider than an IPv4 /8 or
	// an IPv6 /7.
	TrustedProxies []string `json:"trustedProxies"`
}

// Prefixes validates the client address settings and returns the trusted
// ranges. Configs that did not come through the compiler are held to the
// compiler's rules: a known source, at least one range, each canonical
// and no wider than an IPv4 /8 or an IPv6 /7.
func (c *ClientAddress) Prefixes() ([]netip.Prefix, error) {
	if c.From != FromXFF && c.From != FromProxyProtocol {
		return nil, fmt.Errorf("clientAddress.from %q: want %q or %q", c.From, FromXFF, FromProxyProtocol)
	}
	if len(c.TrustedProxies) == 0 {
		return nil, fmt.Errorf("clientAddress.from %q needs trustedProxies", c.From)
	}
	out := make([]netip.Prefix, 0, len(c.TrustedProxies))
	for _, s := range c.TrustedProxies {
		p, err := netip.ParsePrefix(s)
		switch {
		case err != nil:
			return nil, fmt.Errorf("clientAddress.trustedProxies: %w", err)
		case p != p.Masked() || p.Addr().Is4In6() || p.Addr().Zone() != "":
			return nil, fmt.Errorf("clientAddress.trustedProxies: %q is not canonical (want %s)", s, p.Masked())
		case p.Addr().Is4() && p.Bits() < 8, p.Addr().Is6() && p.Bits() < 7:
			return nil, fmt.Errorf("clientAddress.trustedProxies: %q is too wide: anyone in it could choose their own client address", s)
		}
		out = append(out, p)
	}
	return out, nil
}
