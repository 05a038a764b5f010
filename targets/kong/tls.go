package kong

import (
	"fmt"
	"slices"
	"strings"

	"github.com/rampart-policy/rampart/compiler/ir"
)

// tlsVersions maps IR versions to Kong's ssl_protocols names, in order.
var tlsVersions = []struct{ ir, kong string }{
	{"1.0", "TLSv1"}, {"1.1", "TLSv1.1"}, {"1.2", "TLSv1.2"}, {"1.3", "TLSv1.3"},
}

// tlsListeners returns the policy's TLS listeners, in name order.
func tlsListeners(p *ir.Policy) []*ir.Listener {
	var out []*ir.Listener
	for _, l := range p.Listeners {
		if l.TLS != nil {
			out = append(out, l)
		}
	}
	return out
}

// sameCertificate reports whether every TLS listener serves one
// certificate: kong.conf's ssl_cert is node-wide, and Kong picks a
// certificate per SNI only from certificate entities holding the PEM
// itself, which a policy naming files cannot give.
func sameCertificate(p *ir.Policy) bool {
	ls := tlsListeners(p)
	for _, l := range ls {
		if l.TLS.CertFile != ls[0].TLS.CertFile || l.TLS.KeyFile != ls[0].TLS.KeyFile {
			return false
		}
	}
	return true
}

// primaryListener is the TLS listener whose certificate Kong serves when
// the listeners' certificates differ (a waived "tls" need): the one most
// routes are served on, then the first by name.
func primaryListener(p *ir.Policy, ls []*ir.Listener) *ir.Listener {
	count := map[string]int{}
	for _, s := range p.Services {
		for _, l := range s.Listeners {
			count[l] += len(s.Routes)
		}
	}
	best := ls[0]
	for _, l := range ls[1:] {
		if count[l.Name] > count[best.Name] {
			best = l
		}
	}
	return best
}

// commonTLS is the strictest profile every TLS listener accepts: Kong's
// TLS settings are node-wide, so a listener may get a stricter profile
// than its own, never a weaker one.
type commonTLS struct {
	min, max int // indexes into tlsVersions
	ciphers  []string
	profiles []string
}

func versionIndex(v string) int {
	return slices.IndexFunc(tlsVersions, func(t struct{ ir, kong string }) bool { return t.ir == v })
}

// strictestTLS merges the listeners' profiles.
func strictestTLS(ls []*ir.Listener) (commonTLS, error) {
	c := commonTLS{min: 0, max: len(tlsVersions) - 1}
	for i, l := range ls {
		lo, hi := versionIndex(l.TLS.MinVersion), versionIndex(l.TLS.MaxVersion)
		if lo < 0 || hi < 0 || lo > hi {
			return c, fmt.Errorf("listener %s: TLS versions %q..%q", l.Name, l.TLS.MinVersion, l.TLS.MaxVersion)
		}
		c.min, c.max = max(c.min, lo), min(c.max, hi)
		c.profiles = append(c.profiles, l.Name+": Mozilla "+l.TLS.Profile+" "+l.TLS.Guidelines)
		if i == 0 {
			c.ciphers = slices.Clone(l.TLS.Ciphers)
			continue
		}
		c.ciphers = slices.DeleteFunc(c.ciphers, func(s string) bool { return !slices.Contains(l.TLS.Ciphers, s) })
	}
	if c.min > c.max {
		return c, fmt.Errorf("the TLS listeners share no protocol version, and Kong's TLS settings are node-wide")
	}
	if c.min < versionIndex("1.3") && len(c.ciphers) == 0 {
		return c, fmt.Errorf("the TLS listeners share no TLS 1.2 cipher, and Kong's TLS settings are node-wide")
	}
	return c, nil
}

// tlsConf sets ssl_* from the listeners' resolved profiles.
func (e *emitter) tlsConf(c *Conf) error {
	ls := tlsListeners(e.p)
	if len(ls) == 0 {
		return nil
	}
	t, err := strictestTLS(ls)
	if err != nil {
		return err
	}
	cert := primaryListener(e.p, ls)
	c.set("ssl_cert", cert.TLS.CertFile, "Certificate of listener "+cert.Name+"; Kong serves one certificate node-wide.")
	c.set("ssl_cert_key", cert.TLS.KeyFile, "")
	var protos []string
	for _, v := range tlsVersions[t.min : t.max+1] {
		protos = append(protos, v.kong)
	}
	comment := "From " + strings.Join(t.profiles, "; ") + " (the strictest common settings)."
	if len(t.ciphers) == 0 {
		c.set("ssl_cipher_suite", "modern", comment+"\nTLS 1.3 only: Kong's modern suite sets no TLS 1.2 ciphers.")
	} else {
		c.set("ssl_cipher_suite", "custom", comment+"\nKong's built-in intermediate suite is Mozilla 5.7 (with DHE); rampart sets the profile's own.")
		c.set("ssl_ciphers", strings.Join(t.ciphers, ":"), "")
	}
	c.set("ssl_protocols", strings.Join(protos, " "), "")
	c.set("ssl_prefer_server_ciphers", "off", "Mozilla: server_preferred_order false.")
	if slices.ContainsFunc(t.ciphers, func(s string) bool { return strings.HasPrefix(s, "DHE-") }) {
		c.set("ssl_dhparam", "ffdhe2048", "The profile has DHE suites: RFC 7919 group.")
	}
	c.set("ssl_session_tickets", "off", "")
	return nil
}
