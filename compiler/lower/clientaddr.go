package lower

import (
	"cuelang.org/go/cue"

	"github.com/rampart-policy/rampart/compiler/diag"
	"github.com/rampart-policy/rampart/compiler/ir"
)

// rawClientAddress mirrors the schema's #ClientAddress.
type rawClientAddress struct {
	From           string
	TrustedProxies []string
}

// clientAddress lowers a listener's clientAddress: nil for the TCP peer,
// else the source with its trusted proxies canonicalised (masked, sorted,
// unique). A range that does not parse or is too wide, a header source
// without trusted proxies, and trusted proxies with from "peer" are
// RMP230 errors at the value the user wrote.
func (l *lowerer) clientAddress(listener string, r rawClientAddress) *ir.ClientAddress {
	at := func(sels ...cue.Selector) ir.Origin {
		base := []cue.Selector{cue.Str("listeners"), cue.Str(listener), cue.Str("clientAddress")}
		return l.originPath(cue.MakePath(append(base, sels...)...))
	}
	from := r.From
	if from == "" {
		from = ir.FromPeer
	}
	switch {
	case from == ir.FromPeer && len(r.TrustedProxies) > 0:
		o := at(cue.Str("trustedProxies"))
		l.diags.Errorf(pos(o), diag.CodeTrustedProxies, o.Path,
			"listener %s lists trustedProxies but takes the client address from the TCP peer: set clientAddress.from to \"x-forwarded-for\" or \"proxy-protocol\", or remove trustedProxies", listener)
		return nil
	case from == ir.FromPeer:
		return nil
	case len(r.TrustedProxies) == 0:
		o := at(cue.Str("from"))
		l.diags.Errorf(pos(o), diag.CodeTrustedProxies, o.Path,
			"listener %s takes the client address from %s but trusts no proxy: list the load balancers' CIDRs in clientAddress.trustedProxies", listener, from)
		return nil
	}
	out := &ir.ClientAddress{From: from, Origin: at()}
	for i, c := range r.TrustedProxies {
		if _, err := ir.ParseTrustedCIDR(c); err != nil {
			o := at(cue.Str("trustedProxies"), cue.Index(i))
			l.diags.Errorf(pos(o), diag.CodeTrustedProxies, o.Path, "listener %s: trusted proxy %s", listener, err.Error())
			return nil
		}
	}
	canon, err := ir.CanonicalCIDRs(r.TrustedProxies)
	if err != nil { // unreachable: each range parsed above
		o := at(cue.Str("trustedProxies"))
		l.diags.Errorf(pos(o), diag.CodeTrustedProxies, o.Path, "listener %s: %s", listener, err.Error())
		return nil
	}
	out.TrustedProxies = canon
	return out
}
