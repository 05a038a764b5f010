package ir

import (
	"fmt"
	"net/netip"
	"slices"
)

// Where a listener takes the client address from.
const (
	FromPeer          = "peer"
	FromXFF           = "x-forwarded-for"
	FromProxyProtocol = "proxy-protocol"
)

// Widest trusted ranges: the widest private ranges, 10.0.0.0/8 and
// fc00::/7. Anything wider lets arbitrary clients choose their address.
const (
	MinTrustedBitsV4 = 8
	MinTrustedBitsV6 = 7
)

// ClientAddress is where a listener takes the client's address from when
// it sits behind trusted proxies. The address it yields keys per-IP rate
// limits and is the access log's clientIP on every target.
type ClientAddress struct {
	// From is FromXFF or FromProxyProtocol (a listener keyed on the TCP
	// peer has no ClientAddress).
	From string `json:"from" yaml:"from"`
	// TrustedProxies are canonical CIDRs (masked, "/32" or "/128" for a
	// single address), sorted and unique; never empty. Only a peer in
	// them is believed; with FromXFF the client is the rightmost
	// X-Forwarded-For entry not in them (the leftmost when all are).
	TrustedProxies []string `json:"trustedProxies" yaml:"trustedProxies"`
	Origin         Origin   `json:"origin" yaml:"origin"`
}

// ParseTrustedCIDR parses one trusted-proxy range, a CIDR or a single
// address, and returns its canonical prefix. IPv4-mapped IPv6 prefixes
// and ranges wider than MinTrustedBitsV4/V6 are refused.
func ParseTrustedCIDR(s string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		a, aerr := netip.ParseAddr(s)
		if aerr != nil {
			return netip.Prefix{}, fmt.Errorf("%q is not an IP address or CIDR", s)
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	if p.Addr().Zone() != "" || p.Addr().Is4In6() {
		return netip.Prefix{}, fmt.Errorf("%q: write IPv4 ranges in IPv4 form, without zone", s)
	}
	p = p.Masked()
	if min := minTrustedBits(p.Addr()); p.Bits() < min {
		return netip.Prefix{}, fmt.Errorf("%q is wider than /%d: anyone in it could choose their own client address", s, min)
	}
	return p, nil
}

func minTrustedBits(a netip.Addr) int {
	if a.Is4() {
		return MinTrustedBitsV4
	}
	return MinTrustedBitsV6
}

// CanonicalCIDRs parses, canonicalises, sorts and de-duplicates ranges.
func CanonicalCIDRs(ranges []string) ([]string, error) {
	out := make([]string, 0, len(ranges))
	for _, r := range ranges {
		p, err := ParseTrustedCIDR(r)
		if err != nil {
			return nil, err
		}
		out = append(out, p.String())
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// validate checks the invariants lowering guarantees.
func (c *ClientAddress) validate(listener string) error {
	if c.From != FromXFF && c.From != FromProxyProtocol {
		return fmt.Errorf("listener %s: client address from %q", listener, c.From)
	}
	if len(c.TrustedProxies) == 0 {
		return fmt.Errorf("listener %s: client address from %s without trusted proxies", listener, c.From)
	}
	canon, err := CanonicalCIDRs(c.TrustedProxies)
	if err != nil {
		return fmt.Errorf("listener %s: trusted proxies: %w", listener, err)
	}
	if !slices.Equal(canon, c.TrustedProxies) {
		return fmt.Errorf("listener %s: trusted proxies %v are not canonical (want %v)", listener, c.TrustedProxies, canon)
	}
	return nil
}

// SameClientAddress reports whether two listeners take the client address
// from the same place with the same trusted proxies (nil is the peer).
func SameClientAddress(a, b *ClientAddress) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.From == b.From && slices.Equal(a.TrustedProxies, b.TrustedProxies)
}
