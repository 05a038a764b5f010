package live

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	proxyprotocolv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/listener/proxy_protocol/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	xffv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/http/original_ip_detection/xff/v3"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/targets/internal/golden"
)

// TestCompareClientAddress tampers with the clientaddr fixture's live
// listeners (web: x-forwarded-for from 10/8, 192.168/16, 2001:db8::/32;
// edge: PROXY protocol from 10/8) and checks each tamper is reported
// under clientAddress with the right direction and severity.
func TestCompareClientAddress(t *testing.T) {
	p := golden.ReadIR(t, "../../envoy/testdata/clientaddr.ir.yaml")
	base := dumpJSON(t, configDump(t, bootstrap(t, p)))
	cidr := func(a string, n uint32) *corev3.CidrRange {
		return &corev3.CidrRange{AddressPrefix: a, PrefixLen: wrapperspb.UInt32(n)}
	}
	xff := func(hcm *hcmv3.HttpConnectionManager) *xffv3.XffConfig {
		x := &xffv3.XffConfig{}
		hcm.GetOriginalIpDetectionExtensions()[0].GetTypedConfig().UnmarshalTo(x)
		return x
	}
	setXFF := func(t *testing.T, hcm *hcmv3.HttpConnectionManager, x *xffv3.XffConfig) {
		hcm.OriginalIpDetectionExtensions[0].TypedConfig = pack(t, x)
	}
	cases := []struct {
		name     string
		listener string
		edit     func(t *testing.T, l *listenerv3.Listener, hcm *hcmv3.HttpConnectionManager)
		want     []string
	}{
		{"trusted CIDR added", "web", func(t *testing.T, _ *listenerv3.Listener, hcm *hcmv3.HttpConnectionManager) {
			x := xff(hcm)
			x.XffTrustedCidrs.Cidrs = append(x.XffTrustedCidrs.Cidrs, cidr("0.0.0.0", 0))
			setXFF(t, hcm, x)
		}, []string{"hcm.xff_trusted_cidrs unexpected weakening"}},
		{"trusted CIDR removed", "web", func(t *testing.T, _ *listenerv3.Listener, hcm *hcmv3.HttpConnectionManager) {
			x := xff(hcm)
			x.XffTrustedCidrs.Cidrs = x.XffTrustedCidrs.Cidrs[:1]
			setXFF(t, hcm, x)
		}, []string{"hcm.xff_trusted_cidrs missing strengthening"}},
		{"trusted hops instead of CIDRs", "web", func(t *testing.T, _ *listenerv3.Listener, hcm *hcmv3.HttpConnectionManager) {
			hcm.OriginalIpDetectionExtensions = nil
			hcm.XffNumTrustedHops = 1
		}, []string{"hcm.original_ip_detection_extensions missing strengthening", "hcm.xff_num_trusted_hops changed weakening",
			"hcm.xff_trusted_cidrs missing strengthening"}},
		{"peer → header live", "edge", func(t *testing.T, l *listenerv3.Listener, hcm *hcmv3.HttpConnectionManager) {
			hcm.OriginalIpDetectionExtensions = []*corev3.TypedExtensionConfig{{Name: "envoy.http.original_ip_detection.xff",
				TypedConfig: pack(t, &xffv3.XffConfig{XffTrustedCidrs: &xffv3.XffTrustedCidrs{Cidrs: []*corev3.CidrRange{cidr("10.0.0.0", 8)}}})}}
		}, []string{"hcm.original_ip_detection_extensions unexpected weakening", "hcm.xff_trusted_cidrs unexpected weakening"}},
		{"PROXY protocol from any peer", "edge", func(t *testing.T, l *listenerv3.Listener, _ *hcmv3.HttpConnectionManager) {
			l.FilterChains[0].FilterChainMatch = nil
		}, []string{"filter_chain_match.direct_source_prefix_ranges missing weakening"}},
		{"PROXY protocol optional", "edge", func(t *testing.T, l *listenerv3.Listener, _ *hcmv3.HttpConnectionManager) {
			l.ListenerFilters[0].ConfigType = &listenerv3.ListenerFilter_TypedConfig{TypedConfig: pack(t, &proxyprotocolv3.ProxyProtocol{AllowRequestsWithoutProxyProtocol: true})}
		}, []string{"listener_filters missing weakening", "listener_filters unexpected weakening"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cd := decodeDump(t, base)
			editListeners(t, cd, func(l *listenerv3.Listener, hcm *hcmv3.HttpConnectionManager) bool {
				if l.GetName() != tc.listener {
					return false
				}
				tc.edit(t, l, hcm)
				return true
			})
			r, err := New().Compare(context.Background(), p, dumpJSON(t, cd))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range r.Findings {
				if f.Control != ir.CtlClientAddress {
					t.Errorf("finding under %s: %s", f.Control, f.Message)
					continue
				}
				_, field, _ := strings.Cut(f.Path, tc.listener+"].")
				got = append(got, fmt.Sprintf("%s %s %s", field, f.Direction, f.Severity))
			}
			slices.Sort(got)
			got = slices.Compact(got)
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("findings %q, want %q\n%+v", got, tc.want, r.Findings)
			}
		})
	}
	if r, err := New().Compare(context.Background(), p, base); err != nil || r.Drifted() {
		t.Fatalf("untouched: %v %+v", err, r.Findings)
	}
}
