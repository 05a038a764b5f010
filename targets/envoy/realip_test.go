package envoy_test

import (
	"fmt"
	"testing"

	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	proxyprotocolv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/listener/proxy_protocol/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	xffv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/http/original_ip_detection/xff/v3"
	"google.golang.org/protobuf/proto"

	"github.com/rampart-policy/rampart/targets/internal/golden"
)

// TestClientAddress checks each listener of the clientaddr fixture from
// the parsed artifacts: web (x-forwarded-for) detects the client with
// xff_trusted_cidrs and without use_remote_address (Envoy refuses both);
// edge (PROXY protocol) requires the header and serves only trusted
// peers; a peer-keyed listener keeps use_remote_address alone.
func TestClientAddress(t *testing.T) {
	p := golden.ReadIR(t, "testdata/clientaddr.ir.yaml")
	for _, bs := range parseAll(t, p) {
		for _, l := range bs.GetStaticResources().GetListeners() {
			var hcm *hcmv3.HttpConnectionManager
			var xff []string
			visit(t, l, func(m proto.Message) {
				switch m := m.(type) {
				case *hcmv3.HttpConnectionManager:
					hcm = m
				case *xffv3.XffConfig:
					for _, c := range m.GetXffTrustedCidrs().GetCidrs() {
						xff = append(xff, fmt.Sprintf("%s/%d", c.GetAddressPrefix(), c.GetPrefixLen().GetValue()))
					}
					if m.GetXffNumTrustedHops() != 0 || m.GetSkipXffAppend().GetValue() {
						t.Errorf("listener %s: xff hops %d, skip append %v", l.GetName(), m.GetXffNumTrustedHops(), m.GetSkipXffAppend())
					}
				}
			})
			pp := proxyProtocolFilter(t, l)
			var match []string
			for _, fc := range l.GetFilterChains() {
				for _, c := range fc.GetFilterChainMatch().GetDirectSourcePrefixRanges() {
					match = append(match, fmt.Sprintf("%s/%d", c.GetAddressPrefix(), c.GetPrefixLen().GetValue()))
				}
			}
			got := fmt.Sprintf("remote=%v xff=%v pp=%v match=%v", hcm.GetUseRemoteAddress().GetValue(), xff, pp, match)
			want := map[string]string{
				"web":  "remote=false xff=[10.0.0.0/8 192.168.0.0/16 2001:db8::/32] pp=false match=[]",
				"edge": "remote=true xff=[] pp=true match=[10.0.0.0/8]",
			}[l.GetName()]
			if got != want {
				t.Errorf("listener %s: %s, want %s", l.GetName(), got, want)
			}
		}
	}
	p.Listeners[0].ClientAddress, p.Listeners[1].ClientAddress = nil, nil
	for _, l := range parseAll(t, p)[0].GetStaticResources().GetListeners() {
		if len(l.GetListenerFilters()) != 0 || l.GetFilterChains()[0].GetFilterChainMatch() != nil {
			t.Errorf("peer-keyed listener %s has a listener filter or chain match", l.GetName())
		}
		visit(t, l, func(m proto.Message) {
			if h, ok := m.(*hcmv3.HttpConnectionManager); ok && (!h.GetUseRemoteAddress().GetValue() || len(h.GetOriginalIpDetectionExtensions()) > 0) {
				t.Errorf("peer-keyed listener %s: use_remote_address %v, detection %v", l.GetName(), h.GetUseRemoteAddress(), h.GetOriginalIpDetectionExtensions())
			}
		})
	}
}

// proxyProtocolFilter reports whether l requires the PROXY protocol.
func proxyProtocolFilter(t *testing.T, l *listenerv3.Listener) bool {
	t.Helper()
	for _, f := range l.GetListenerFilters() {
		pp := &proxyprotocolv3.ProxyProtocol{}
		if err := f.GetTypedConfig().UnmarshalTo(pp); err != nil {
			t.Fatalf("listener %s: filter %s: %v", l.GetName(), f.GetName(), err)
		}
		if pp.GetAllowRequestsWithoutProxyProtocol() {
			t.Errorf("listener %s accepts connections without the PROXY header", l.GetName())
		}
		return f.GetName() == "envoy.filters.listener.proxy_protocol"
	}
	return false
}
