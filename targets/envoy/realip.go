package envoy

import (
	"fmt"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	proxyprotocolv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/listener/proxy_protocol/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	xffv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/http/original_ip_detection/xff/v3"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/rampart-policy/rampart/compiler/ir"
)

// Extension names for the client address.
const (
	xffDetectionName  = "envoy.http.original_ip_detection.xff"
	proxyProtocolName = "envoy.filters.listener.proxy_protocol"
)

// trustedCIDRs converts a listener's trusted proxies to CidrRanges.
func trustedCIDRs(c *ir.ClientAddress) ([]*corev3.CidrRange, error) {
	var out []*corev3.CidrRange
	for _, r := range c.TrustedProxies {
		p, err := ir.ParseTrustedCIDR(r)
		if err != nil || p.String() != r {
			return nil, fmt.Errorf("trusted proxy %q is not a canonical range", r)
		}
		out = append(out, &corev3.CidrRange{AddressPrefix: p.Addr().String(), PrefixLen: wrapperspb.UInt32(uint32(p.Bits()))})
	}
	return out, nil
}

// originalIP sets where the HCM takes the client address from. With
// x-forwarded-for it uses the xff original IP detection extension with
// xff_trusted_cidrs: when the peer is trusted, the rightmost entry not in
// the ranges (the leftmost when all are) becomes the downstream remote
// address that local_ratelimit's masked_remote_address, the access log
// and the authorizer's x-rampart-client-ip read. Envoy refuses the
// extension beside use_remote_address, so that is unset (false); the peer
// is still appended to X-Forwarded-For (skip_xff_append false). With the
// PROXY protocol (listenerFilters) or the peer, use_remote_address stays.
func (e *emitter) originalIP(l *ir.Listener, hcm *hcmv3.HttpConnectionManager) error {
	c := l.ClientAddress
	if c == nil || c.From != ir.FromXFF {
		return nil
	}
	cidrs, err := trustedCIDRs(c)
	if err != nil {
		return err
	}
	hcm.UseRemoteAddress = nil
	hcm.OriginalIpDetectionExtensions = []*corev3.TypedExtensionConfig{{Name: xffDetectionName,
		TypedConfig: e.pack(&xffv3.XffConfig{XffTrustedCidrs: &xffv3.XffTrustedCidrs{Cidrs: cidrs}, SkipXffAppend: wrapperspb.Bool(false)})}}
	return nil
}

// proxyProtocol makes a listener (or its redirect listener) require the
// PROXY protocol header and serve only trusted peers: its filter chain
// matches direct_source_prefix_ranges (the TCP peer, before the header
// replaces the remote address), and a connection no chain matches is
// closed. Envoy's proxy_protocol filter believes any peer's header, so
// untrusted peers are refused here rather than keyed on their own
// address as nginx, Kong and rampart's proxy do.
func (e *emitter) proxyProtocol(l *ir.Listener, out *listenerv3.Listener) error {
	c := l.ClientAddress
	if c == nil || c.From != ir.FromProxyProtocol {
		return nil
	}
	cidrs, err := trustedCIDRs(c)
	if err != nil {
		return err
	}
	out.ListenerFilters = []*listenerv3.ListenerFilter{{Name: proxyProtocolName,
		ConfigType: &listenerv3.ListenerFilter_TypedConfig{TypedConfig: e.pack(&proxyprotocolv3.ProxyProtocol{})}}}
	for _, fc := range out.FilterChains {
		fc.FilterChainMatch = &listenerv3.FilterChainMatch{DirectSourcePrefixRanges: cidrs}
	}
	return nil
}
