package envoy

import (
	"fmt"
	"net"
	"net/url"
	"strconv"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/rampart-policy/rampart/compiler/ir"
)

// upstream is a parsed http(s) URL.
type upstream struct {
	scheme, host, hostport, path string
	port                         int
}

// parseUpstream accepts http(s)://host[:port][/path] without user, query
// or fragment.
func parseUpstream(raw string) (upstream, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.User != nil ||
		u.RawQuery != "" || u.Fragment != "" {
		return upstream{}, fmt.Errorf("URL %q: want http(s)://host[:port][/path]", raw)
	}
	port := 80
	if u.Scheme == "https" {
		port = 443
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return upstream{}, fmt.Errorf("URL %q: bad port", raw)
		}
		port = n
	}
	return upstream{scheme: u.Scheme, host: u.Hostname(), port: port, path: u.Path,
		hostport: net.JoinHostPort(u.Hostname(), strconv.Itoa(port))}, nil
}

// serviceCluster names a service's cluster.
func serviceCluster(s *ir.Service) string { return "service_" + s.Name }

// serviceClusters adds one cluster per service that a listener serves.
func (e *emitter) serviceClusters() error {
	for _, s := range e.p.Services {
		if len(s.Listeners) == 0 {
			continue
		}
		u, err := parseUpstream(s.UpstreamURL)
		if err != nil {
			return fmt.Errorf("service %s: %w", s.Name, err)
		}
		if u.path != "" && u.path != "/" {
			return fmt.Errorf("service %s: upstream URL %q has a path, which Envoy's route would not add", s.Name, s.UpstreamURL)
		}
		if err := e.addCluster(e.cluster(serviceCluster(s), u, s.UpstreamTLS)); err != nil {
			return err
		}
	}
	return nil
}

// cluster reaches one host by DNS, over TLS for https: verified against
// the CA file (else the system roots) and the host name (or the policy's
// server name), unless the policy turns verification off.
func (e *emitter) cluster(name string, u upstream, t *ir.UpstreamTLS) *clusterv3.Cluster {
	c := &clusterv3.Cluster{
		Name:                 name,
		ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_STRICT_DNS},
		ConnectTimeout:       durationpb.New(5e9),
		LoadAssignment: &endpointv3.ClusterLoadAssignment{ClusterName: name, Endpoints: []*endpointv3.LocalityLbEndpoints{{
			LbEndpoints: []*endpointv3.LbEndpoint{{HostIdentifier: &endpointv3.LbEndpoint_Endpoint{Endpoint: &endpointv3.Endpoint{
				Address: socket(u.host, u.port)}}}}}}},
	}
	if u.scheme == "https" {
		c.TransportSocket = &corev3.TransportSocket{Name: tlsSocket, ConfigType: &corev3.TransportSocket_TypedConfig{
			TypedConfig: e.pack(upstreamTLS(u.host, t))}}
	}
	return c
}

// upstreamTLS is the TLS context towards an upstream: TLS 1.2 or 1.3,
// SNI, and unless turned off, chain and name verification.
func upstreamTLS(host string, t *ir.UpstreamTLS) *tlsv3.UpstreamTlsContext {
	if t == nil {
		t = &ir.UpstreamTLS{Verify: true}
	}
	name := host
	if t.ServerName != "" {
		name = t.ServerName
	}
	common := &tlsv3.CommonTlsContext{TlsParams: &tlsv3.TlsParameters{
		TlsMinimumProtocolVersion: tlsv3.TlsParameters_TLSv1_2, TlsMaximumProtocolVersion: tlsv3.TlsParameters_TLSv1_3}}
	if t.Verify {
		vc := &tlsv3.CertificateValidationContext{MatchTypedSubjectAltNames: []*tlsv3.SubjectAltNameMatcher{{
			SanType: tlsv3.SubjectAltNameMatcher_DNS,
			Matcher: &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Exact{Exact: name}}}}}
		if ip := net.ParseIP(name); ip != nil {
			vc.MatchTypedSubjectAltNames[0].SanType = tlsv3.SubjectAltNameMatcher_IP_ADDRESS
		}
		if t.CAFile != "" {
			vc.TrustedCa = file(t.CAFile)
		} else {
			vc.SystemRootCerts = &tlsv3.CertificateValidationContext_SystemRootCerts{}
		}
		common.ValidationContextType = &tlsv3.CommonTlsContext_ValidationContext{ValidationContext: vc}
	}
	if t.CertFile != "" {
		common.TlsCertificates = []*tlsv3.TlsCertificate{{CertificateChain: file(t.CertFile), PrivateKey: file(t.KeyFile)}}
	}
	return &tlsv3.UpstreamTlsContext{CommonTlsContext: common, Sni: name}
}
