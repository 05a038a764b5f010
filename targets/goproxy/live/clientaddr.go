package live

import (
	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/drift"
	"github.com/rampart-policy/rampart/proxy/config"
)

// clientAddress compares where a listener takes the client address from.
// Any other source live weakens (a header believed that the policy does
// not trust lets clients choose their rate-limit key; the peer where the
// policy trusts a load balancer puts every client in one bucket and logs
// only the balancer); a trusted range only live weakens, one only the
// policy has strengthens.
func (c *comparer) clientAddress(at drift.At, l *ir.Listener, w, g *config.ClientAddress) {
	if w == nil && g == nil {
		return // the peer on both sides
	}
	if l.ClientAddress != nil {
		at.Origin = l.ClientAddress.Origin
	}
	c.d.Value(withCtl(at, ir.CtlClientAddress, "clientAddress.from"), "client address source", clientFrom(w), clientFrom(g), drift.AnyWeakens)
	c.d.Set(withCtl(at, ir.CtlClientAddress, "clientAddress.trustedProxies"), "trusted proxies", trustedOf(w), trustedOf(g), drift.HigherWeakens)
}

// clientFrom names a client address source; nil is the TCP peer.
func clientFrom(c *config.ClientAddress) string {
	if c == nil {
		return ir.FromPeer
	}
	return c.From
}

// trustedOf is a source's trusted ranges; none for the peer.
func trustedOf(c *config.ClientAddress) []string {
	if c == nil {
		return nil
	}
	return c.TrustedProxies
}
