package live

import (
	"strings"

	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/drift"
)

// listenProxyProtocol is the server setting recording whether a server's
// listen directive takes the PROXY protocol ("on") or not ("off").
const listenProxyProtocol = "listen proxy_protocol"

// realIPKeys are the realip settings compared, besides the trusted ranges.
var realIPKeys = []string{"real_ip_header", "real_ip_recursive", listenProxyProtocol}

// realIP compares where a server (or a location that overrides it) takes
// the client address from: a trusted range only live weakens (more peers
// may choose a client address), one only the policy has strengthens; a
// different header, recursion or PROXY protocol setting weakens, when
// either side believes any peer at all.
func (c *comparer) realIP(at drift.At, want, got map[string]string) {
	if l := c.listenerByName(at.Listener); l != nil && l.ClientAddress != nil {
		at.Origin = l.ClientAddress.Origin
	}
	if want["set_real_ip_from"] == "" && got["set_real_ip_from"] == "" && want[listenProxyProtocol] == got[listenProxyProtocol] {
		return // no peer is believed on either side: which header would be is moot
	}
	c.d.Set(with(at, ir.CtlClientAddress, "set_real_ip_from"), "set_real_ip_from (trusted proxies)",
		strings.Fields(want["set_real_ip_from"]), strings.Fields(got["set_real_ip_from"]), drift.HigherWeakens)
	for _, k := range realIPKeys {
		if _, ok := want[k]; !ok && k == listenProxyProtocol {
			continue // locations have no listen
		}
		c.d.Value(with(at, ir.CtlClientAddress, k), k, want[k], got[k], drift.AnyWeakens)
	}
}

// realIPOverridden reports whether a location's realip settings differ
// from its server's, so that they are compared there too.
func realIPOverridden(loc, server map[string]string) bool {
	for _, k := range append([]string{"set_real_ip_from"}, realIPKeys[:2]...) {
		if loc[k] != server[k] {
			return true
		}
	}
	return false
}

// listenerByName returns the policy's listener of that name, or nil.
func (c *comparer) listenerByName(name string) *ir.Listener {
	for _, l := range c.p.Listeners {
		if l.Name == name {
			return l
		}
	}
	return nil
}
