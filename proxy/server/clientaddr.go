package server

import (
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/rampart-policy/rampart/proxy/config"
)

// clientAddr finds a listener's client address: the address per-IP rate
// limits and auth-failure throttles key on and the access log records.
// A nil *clientAddr is the TCP peer, believing no header.
type clientAddr struct {
	from    string
	trusted []netip.Prefix
}

// clientIPKey carries the client address found behind trusted proxies to
// the reverse proxy, which sends it upstream as X-Forwarded-For and
// X-Real-IP.
type clientIPKey struct{}

// newClientAddr builds a listener's clientAddr; nil for the peer.
func newClientAddr(c *config.ClientAddress) (*clientAddr, error) {
	if c == nil {
		return nil, nil
	}
	ps, err := c.Prefixes()
	if err != nil {
		return nil, err
	}
	return &clientAddr{from: c.From, trusted: ps}, nil
}

// trusts reports whether a is one of the trusted proxies.
func (c *clientAddr) trusts(a netip.Addr) bool {
	if c == nil {
		return false
	}
	a = a.Unmap()
	for _, p := range c.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// of returns r's client address. With proxy-protocol the connection's
// RemoteAddr already is the PROXY header's source when the peer was
// trusted (proxyConn). With x-forwarded-for, a trusted peer's header is
// walked from the right, past trusted proxies, to the first address that
// is not one (the leftmost when all are), as nginx's real_ip_recursive,
// Envoy's xff_trusted_cidrs and Kong do; an entry that is not an address
// ends the walk at the last address read. An untrusted peer's header is
// ignored.
func (c *clientAddr) of(r *http.Request) string {
	peer := clientIP(r)
	if c == nil || c.from != config.FromXFF {
		return peer
	}
	a, err := netip.ParseAddr(peer)
	if err != nil || !c.trusts(a) {
		return peer
	}
	return c.walkXFF(r.Header.Values("X-Forwarded-For"), a).String()
}

// walkXFF returns the client address from X-Forwarded-For lines sent by
// the trusted peer.
func (c *clientAddr) walkXFF(lines []string, peer netip.Addr) netip.Addr {
	client := peer.Unmap()
	for i := len(lines) - 1; i >= 0; i-- {
		entries := strings.Split(lines[i], ",")
		for j := len(entries) - 1; j >= 0; j-- {
			e := strings.TrimSpace(entries[j])
			if e == "" {
				continue
			}
			a, ok := parseXFFEntry(e)
			if !ok {
				return client
			}
			client = a
			if !c.trusts(a) {
				return client
			}
		}
	}
	return client
}

// parseXFFEntry reads one X-Forwarded-For entry: an address, with or
// without a port ("1.2.3.4:80", "[2001:db8::1]:80").
func parseXFFEntry(e string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(e); err == nil && a.Zone() == "" {
		return a.Unmap(), true
	}
	h, _, err := net.SplitHostPort(e)
	if err != nil {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(h)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}
