package envoy

import (
	"fmt"
	"slices"
	"strings"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/rampart-policy/rampart/compiler/ir"
)

// tlsSocket is the transport socket name for TLS.
const tlsSocket = "envoy.transport_sockets.tls"

// tlsVersions maps the IR's versions to Envoy's.
var tlsVersions = map[string]tlsv3.TlsParameters_TlsProtocol{
	"1.0": tlsv3.TlsParameters_TLSv1_0, "1.1": tlsv3.TlsParameters_TLSv1_1,
	"1.2": tlsv3.TlsParameters_TLSv1_2, "1.3": tlsv3.TlsParameters_TLSv1_3,
}

// curveNames maps OpenSSL group names to BoringSSL's, which Envoy uses.
var curveNames = map[string]string{
	"X25519MLKEM768": "X25519MLKEM768", "X25519": "X25519",
	"prime256v1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521",
	"P-256": "P-256", "P-384": "P-384", "P-521": "P-521",
}

// isDHE reports a finite-field Diffie-Hellman suite, which BoringSSL (and
// so Envoy) does not implement.
func isDHE(suite string) bool {
	return strings.HasPrefix(suite, "DHE-") || strings.HasPrefix(suite, "EDH-")
}

// boringSSLSuites are the TLS 1.2 suite names Envoy's BoringSSL accepts
// in cipher_suites; Envoy refuses to load a listener naming another.
var boringSSLSuites = map[string]bool{
	"ECDHE-ECDSA-AES128-GCM-SHA256": true, "ECDHE-RSA-AES128-GCM-SHA256": true,
	"ECDHE-ECDSA-AES256-GCM-SHA384": true, "ECDHE-RSA-AES256-GCM-SHA384": true,
	"ECDHE-ECDSA-CHACHA20-POLY1305": true, "ECDHE-RSA-CHACHA20-POLY1305": true,
	"ECDHE-ECDSA-AES128-SHA": true, "ECDHE-RSA-AES128-SHA": true,
	"ECDHE-ECDSA-AES256-SHA": true, "ECDHE-RSA-AES256-SHA": true,
	"AES128-GCM-SHA256": true, "AES256-GCM-SHA384": true, "AES128-SHA": true, "AES256-SHA": true,
}

// unsupported reports a suite Envoy cannot use: DHE, or a name BoringSSL
// does not know.
func unsupported(suite string) bool { return isDHE(suite) || !boringSSLSuites[suite] }

// Ciphers returns the TLS 1.2 suites Envoy is given for t: a Mozilla
// profile's DHE suites (and any BoringSSL does not know) are dropped
// (DroppedCiphers reports them); a custom profile that pins one is an
// error, since Envoy cannot honour it.
func Ciphers(t *ir.TLS) ([]string, error) {
	var out []string
	for _, c := range t.Ciphers {
		if !unsupported(c) {
			out = append(out, c)
			continue
		}
		if t.Profile == "custom" {
			what := "is not a suite Envoy (BoringSSL) implements"
			if isDHE(c) {
				what = "is DHE, which Envoy (BoringSSL) does not implement"
			}
			return nil, fmt.Errorf("cipher suite %s %s: remove it from the policy's ciphers", c, what)
		}
	}
	return out, nil
}

// DroppedCiphers lists, per listener, the suites of a Mozilla profile
// that Envoy leaves out (DHE, or unknown to BoringSSL), for a warning.
func DroppedCiphers(p *ir.Policy) map[string][]string {
	out := map[string][]string{}
	for _, l := range p.Listeners {
		if l.TLS == nil || l.TLS.Profile == "custom" {
			continue
		}
		for _, c := range l.TLS.Ciphers {
			if unsupported(c) {
				out[l.Name] = append(out[l.Name], c)
			}
		}
	}
	return out
}

// downstreamTLS is a listener's TLS context: explicit minimum and maximum
// versions, the profile's suites and curves, certificates by file, ALPN
// as its codec accepts (alpn), and for mTLS a validation context and require_client_certificate.
func (e *emitter) downstreamTLS(l *ir.Listener) (*corev3.TransportSocket, error) {
	t := l.TLS
	params, err := tlsParams(t)
	if err != nil {
		return nil, fmt.Errorf("listener %s: %w", l.Name, err)
	}
	ctx := &tlsv3.DownstreamTlsContext{
		CommonTlsContext: &tlsv3.CommonTlsContext{
			TlsParams:       params,
			TlsCertificates: []*tlsv3.TlsCertificate{{CertificateChain: file(t.CertFile), PrivateKey: file(t.KeyFile)}},
			AlpnProtocols:   e.alpn(l),
		},
	}
	if ca := t.ClientAuth; ca != nil {
		ctx.RequireClientCertificate = wrapperspb.Bool(ca.Required)
		vc := &tlsv3.CertificateValidationContext{TrustedCa: file(ca.CAFile)}
		for _, san := range ca.SANs {
			vc.MatchTypedSubjectAltNames = append(vc.MatchTypedSubjectAltNames, sanMatchers(san)...)
		}
		ctx.CommonTlsContext.ValidationContextType = &tlsv3.CommonTlsContext_ValidationContext{ValidationContext: vc}
	}
	return &corev3.TransportSocket{Name: tlsSocket, ConfigType: &corev3.TransportSocket_TypedConfig{TypedConfig: e.pack(ctx)}}, nil
}

// tlsParams pins versions, suites and curves.
func tlsParams(t *ir.TLS) (*tlsv3.TlsParameters, error) {
	lo, ok1 := tlsVersions[t.MinVersion]
	hi, ok2 := tlsVersions[t.MaxVersion]
	if !ok1 || !ok2 || lo > hi {
		return nil, fmt.Errorf("TLS versions %q to %q", t.MinVersion, t.MaxVersion)
	}
	ciphers, err := Ciphers(t)
	if err != nil {
		return nil, err
	}
	if lo <= tlsv3.TlsParameters_TLSv1_2 && len(ciphers) == 0 {
		return nil, fmt.Errorf("TLS %s allows TLS 1.2 but no cipher suite Envoy implements is left", t.MinVersion)
	}
	var curves []string
	for _, c := range t.Curves {
		n, ok := curveNames[c]
		if !ok {
			return nil, fmt.Errorf("curve %q: Envoy (BoringSSL) has no such group", c)
		}
		if !slices.Contains(curves, n) {
			curves = append(curves, n)
		}
	}
	if lo == tlsv3.TlsParameters_TLSv1_3 {
		ciphers = nil // suites configure TLS 1.2 and below only
	}
	return &tlsv3.TlsParameters{TlsMinimumProtocolVersion: lo, TlsMaximumProtocolVersion: hi,
		CipherSuites: ciphers, EcdhCurves: curves}, nil
}

// sanMatchers matches a client certificate SAN exactly, as a DNS name,
// URI or email, whichever it is.
func sanMatchers(san string) []*tlsv3.SubjectAltNameMatcher {
	exact := &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Exact{Exact: san}}
	kinds := []tlsv3.SubjectAltNameMatcher_SanType{tlsv3.SubjectAltNameMatcher_DNS}
	switch {
	case strings.Contains(san, "://") || strings.HasPrefix(san, "spiffe:"):
		kinds = []tlsv3.SubjectAltNameMatcher_SanType{tlsv3.SubjectAltNameMatcher_URI}
	case strings.Contains(san, "@"):
		kinds = []tlsv3.SubjectAltNameMatcher_SanType{tlsv3.SubjectAltNameMatcher_EMAIL}
	}
	var out []*tlsv3.SubjectAltNameMatcher
	for _, k := range kinds {
		out = append(out, &tlsv3.SubjectAltNameMatcher{SanType: k, Matcher: exact})
	}
	return out
}

// file is a data source that names a file.
func file(path string) *corev3.DataSource {
	return &corev3.DataSource{Specifier: &corev3.DataSource_Filename{Filename: path}}
}
