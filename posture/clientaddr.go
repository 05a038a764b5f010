package posture

import (
	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/drift"
)

// clientAddress compares where a listener takes the client address from.
// Believing a header that BASE did not (peer → X-Forwarded-For or PROXY
// protocol) weakens: the trusted proxies may now choose every client's
// rate-limit key and logged address; going back to the peer strengthens.
// A trusted range added weakens, one removed strengthens (so widening a
// range shows as both, and fails the diff). Listeners keyed on the peer
// on both sides are not counted as compared values.
func (d *differ) clientAddress(w where, p string, b, h *ir.ClientAddress) {
	if b == nil && h == nil {
		return // the peer on both sides: nothing to count
	}
	if h != nil {
		w.origin = h.Origin
	}
	bf, hf := fromOf(b), fromOf(h)
	if d.compare(bf != hf) {
		switch {
		case bf == ir.FromPeer:
			d.add(w, drift.Weakening, drift.Changed, ir.CtlClientAddress, p+".from", bf, hf,
				"listener %s now takes the client address from %s: the trusted proxies choose the address rate limits and logs use", w.listener, hf)
		case hf == ir.FromPeer:
			d.add(w, drift.Strengthening, drift.Changed, ir.CtlClientAddress, p+".from", bf, hf,
				"listener %s no longer believes %s: the client address is the TCP peer", w.listener, bf)
		default:
			d.add(w, drift.Neutral, drift.Changed, ir.CtlClientAddress, p+".from", bf, hf,
				"listener %s takes the client address from %s instead of %s", w.listener, hf, bf)
		}
	}
	d.set(w, ir.CtlClientAddress, p+".trustedProxies", "trusted proxies", trustedOf(b), trustedOf(h), drift.Weakening)
}

// fromOf is a listener's client address source; nil is the peer.
func fromOf(c *ir.ClientAddress) string {
	if c == nil {
		return ir.FromPeer
	}
	return c.From
}

// trustedOf is a listener's trusted proxies; none for the peer.
func trustedOf(c *ir.ClientAddress) []string {
	if c == nil {
		return nil
	}
	return c.TrustedProxies
}
