package live

import (
	"fmt"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	xffv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/http/original_ip_detection/xff/v3"

	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/drift"
)

// clientView is where a listener takes the client address from.
type clientView struct {
	// listenerFilters are the listener filters (the PROXY protocol), as
	// canonical JSON.
	listenerFilters []string
	// directSources are the filter chain's direct_source_prefix_ranges:
	// the only peers served (empty: every peer).
	directSources []string
}

// readClientView reads a listener's listener filters and chain match.
func readClientView(l *listenerv3.Listener) clientView {
	var cv clientView
	for _, f := range l.GetListenerFilters() {
		cv.listenerFilters = append(cv.listenerFilters, canon(f))
	}
	if fc := l.GetFilterChains(); len(fc) > 0 {
		cv.directSources = cidrStrings(fc[0].GetFilterChainMatch().GetDirectSourcePrefixRanges())
	}
	return cv
}

// cidrStrings renders CidrRanges as "addr/len".
func cidrStrings(rs []*corev3.CidrRange) []string {
	var out []string
	for _, r := range rs {
		out = append(out, fmt.Sprintf("%s/%d", r.GetAddressPrefix(), r.GetPrefixLen().GetValue()))
	}
	return out
}

// xffDetection reads the HCM's original IP detection: extension names,
// the xff extension's trusted CIDRs, and its trusted hop count plus the
// HCM's own (any hop count believes peers regardless of address).
func xffDetection(lv *lview) (names, cidrs []string, hops int64) {
	hops = int64(lv.hcm.GetXffNumTrustedHops())
	for _, e := range lv.hcm.GetOriginalIpDetectionExtensions() {
		names = append(names, e.GetName())
		x := &xffv3.XffConfig{}
		if e.GetTypedConfig().UnmarshalTo(x) != nil {
			names = append(names, canon(e))
			continue
		}
		cidrs = append(cidrs, cidrStrings(x.GetXffTrustedCidrs().GetCidrs())...)
		hops += int64(x.GetXffNumTrustedHops())
	}
	return names, cidrs, hops
}

// clientAddress compares where a listener takes the client address from:
// a detection extension, trusted CIDR or PROXY-protocol peer only live
// weakens (more peers may choose a client address), as does any trusted
// hop count, a different listener filter, or a chain match that now
// serves every peer; a range only the policy has strengthens.
func (c *comparer) clientAddress(at drift.At, l *ir.Listener, w, g *lview) {
	if l != nil && l.ClientAddress != nil {
		at.Origin = l.ClientAddress.Origin
	}
	if !w.believesPeers() && !g.believesPeers() {
		return // the peer on both sides: nothing to compare or count
	}
	if w.hcm != nil && g.hcm != nil {
		wn, wc, wh := xffDetection(w)
		gn, gc, gh := xffDetection(g)
		c.d.Set(withCtl(at, ir.CtlClientAddress, "hcm.original_ip_detection_extensions"), "original IP detection", wn, gn, drift.HigherWeakens)
		c.d.Set(withCtl(at, ir.CtlClientAddress, "hcm.xff_trusted_cidrs"), "xff_trusted_cidrs (trusted proxies)", wc, gc, drift.HigherWeakens)
		c.d.Number(withCtl(at, ir.CtlClientAddress, "hcm.xff_num_trusted_hops"), "xff_num_trusted_hops", wh, gh, drift.HigherWeakens,
			func(n int64) string { return fmt.Sprint(n) })
	}
	c.d.Set(withCtl(at, ir.CtlClientAddress, "listener_filters"), "listener filters", w.client.listenerFilters, g.client.listenerFilters, drift.AnyWeakens)
	src := withCtl(at, ir.CtlClientAddress, "filter_chain_match.direct_source_prefix_ranges")
	if len(w.client.directSources) > 0 && len(g.client.directSources) == 0 {
		c.d.Add(src, "PROXY protocol peers", drift.Finding{Direction: drift.Missing, Severity: drift.Weakening,
			Expected: fmt.Sprint(w.client.directSources), Message: "live serves every peer, not only the trusted proxies: any client's PROXY header is believed"})
		return
	}
	c.d.Set(src, "PROXY protocol peers", w.client.directSources, g.client.directSources, drift.HigherWeakens)
}

// policyListener returns the policy's listener an Envoy listener (or its
// "_redirect" listener) was built from, or nil.
func (c *comparer) policyListener(name string) *ir.Listener {
	for _, l := range c.p.Listeners {
		if l.Name == name || l.Name+"_redirect" == name {
			return l
		}
	}
	return nil
}

// believesPeers reports whether a listener takes the client address from
// anything but the TCP peer: detection extensions, trusted hops, listener
// filters or a chain restricted to some peers.
func (lv *lview) believesPeers() bool {
	n, c, h := []string(nil), []string(nil), int64(0)
	if lv.hcm != nil {
		n, c, h = xffDetection(lv)
	}
	return len(n)+len(c) > 0 || h != 0 || len(lv.client.listenerFilters)+len(lv.client.directSources) > 0
}
