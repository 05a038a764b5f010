package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"slices"

	"github.com/rampart-policy/rampart/proxy/config"
)

// versions maps the config's TLS versions to crypto/tls. TLS 1.0 and 1.1
// are not served: a config asking for them fails to load.
var versions = map[string]uint16{"1.2": tls.VersionTLS12, "1.3": tls.VersionTLS13}

// curves maps the config's key-exchange group names (Mozilla's, OpenSSL's
// for the NIST curves) to crypto/tls, as Mozilla's Go template does.
var curves = map[string]tls.CurveID{
	"X25519MLKEM768": tls.X25519MLKEM768,
	"X25519":         tls.X25519,
	"prime256v1":     tls.CurveP256,
	"secp384r1":      tls.CurveP384,
	"secp521r1":      tls.CurveP521,
}

// ServerConfig builds a listener's TLS configuration. The certificate is
// served by the returned Reloader, which re-reads its files on Reload or
// Watch. Anything the proxy cannot enforce exactly as configured (an
// unknown or insecure cipher suite, an unknown curve, a version below
// 1.2, TLS 1.2 without cipher suites) is an error, never a fallback to
// crypto/tls defaults.
//
// crypto/tls ignores the order of cipher suites and curves and applies
// its own preference, which Mozilla's profiles allow ("server_preferred_order":
// false). TLS 1.3 cipher suites are not configurable in crypto/tls; their
// names are accepted and change nothing.
func ServerConfig(t *config.TLS) (*tls.Config, *Reloader, error) {
	if t == nil {
		return nil, nil, errors.New("tls: no TLS configuration")
	}
	c := &tls.Config{}
	var err error
	if c.MinVersion, err = version("minVersion", t.MinVersion); err != nil {
		return nil, nil, err
	}
	if c.MaxVersion, err = version("maxVersion", t.MaxVersion); err != nil {
		return nil, nil, err
	}
	if c.MinVersion > c.MaxVersion {
		return nil, nil, fmt.Errorf("tls: minVersion %s is above maxVersion %s", t.MinVersion, t.MaxVersion)
	}
	if c.CipherSuites, err = cipherSuites(t.CipherSuites); err != nil {
		return nil, nil, err
	}
	if c.MinVersion <= tls.VersionTLS12 && len(c.CipherSuites) == 0 {
		return nil, nil, errors.New("tls: TLS 1.2 is enabled but no TLS 1.2 cipher suite is configured")
	}
	if c.CurvePreferences, err = curvePreferences(t.Curves); err != nil {
		return nil, nil, err
	}
	if t.ClientAuth != nil {
		if err := clientAuth(c, t.ClientAuth); err != nil {
			return nil, nil, err
		}
	}
	r, err := NewReloader(t.CertFile, t.KeyFile)
	if err != nil {
		return nil, nil, err
	}
	c.GetCertificate = r.GetCertificate
	return c, r, nil
}

// version maps "1.2" or "1.3".
func version(field, v string) (uint16, error) {
	if n, ok := versions[v]; ok {
		return n, nil
	}
	return 0, fmt.Errorf("tls: %s %q: rampart's proxy serves TLS 1.2 and 1.3 only", field, v)
}

// cipherSuites maps IANA names to the TLS 1.0–1.2 suites crypto/tls
// implements; TLS 1.3 suites are accepted and left out (always on).
func cipherSuites(names []string) ([]uint16, error) {
	secure := map[string]*tls.CipherSuite{}
	for _, s := range tls.CipherSuites() {
		secure[s.Name] = s
	}
	insecure := map[string]bool{}
	for _, s := range tls.InsecureCipherSuites() {
		insecure[s.Name] = true
	}
	var out []uint16
	for _, name := range names {
		s, ok := secure[name]
		switch {
		case insecure[name]:
			return nil, fmt.Errorf("tls: cipher suite %s is insecure", name)
		case !ok:
			return nil, fmt.Errorf("tls: unknown cipher suite %q (want an IANA name crypto/tls implements)", name)
		case slices.Contains(s.SupportedVersions, tls.VersionTLS12):
			out = append(out, s.ID)
		}
	}
	return out, nil
}

// curvePreferences maps key-exchange group names.
func curvePreferences(names []string) ([]tls.CurveID, error) {
	if len(names) == 0 {
		return nil, errors.New("tls: no curves configured")
	}
	out := make([]tls.CurveID, 0, len(names))
	for _, name := range names {
		id, ok := curves[name]
		if !ok {
			return nil, fmt.Errorf("tls: unknown curve %q", name)
		}
		out = append(out, id)
	}
	return out, nil
}

// certPool reads a PEM bundle; a file without a certificate is an error.
func certPool(file string) (*x509.CertPool, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("tls: reading CA bundle: %w", err)
	}
	p := x509.NewCertPool()
	if !p.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("tls: CA bundle %s holds no PEM certificate", file)
	}
	return p, nil
}
