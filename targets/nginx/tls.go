package nginx

import (
	"fmt"
	"sort"
	"strings"

	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/targets/internal/dn"
)

// protocols maps IR versions to nginx's names.
var protocols = []struct{ ir, nginx string }{
	{"1.0", "TLSv1"}, {"1.1", "TLSv1.1"}, {"1.2", "TLSv1.2"}, {"1.3", "TLSv1.3"},
}

// curves nginx 1.22 with OpenSSL 3.0 accepts in ssl_ecdh_curve.
var curves = map[string]bool{"X25519": true, "X448": true, "prime256v1": true, "secp384r1": true, "secp521r1": true}

// unsupportedCurves are groups OpenSSL 3.0 lacks; they are dropped (the
// rest of the profile's curves stay), with a comment in the config.
var unsupportedCurves = map[string]bool{"X25519MLKEM768": true, "SecP256r1MLKEM768": true, "SecP384r1MLKEM1024": true}

// tlsDirectives returns a TLS listener's ssl_* directives, HSTS aside
// (headers.go emits it in every block that adds headers).
func tlsDirectives(l *ir.Listener) ([]Directive, error) {
	t := l.TLS
	if t == nil {
		return nil, nil
	}
	protos, err := protocolArgs(t.MinVersion, t.MaxVersion)
	if err != nil {
		return nil, err
	}
	out := []Directive{
		D("ssl_certificate", Lit(t.CertFile)),
		D("ssl_certificate_key", Lit(t.KeyFile)),
		D("ssl_protocols", protos...),
	}
	ciphers, err := cipherDirective(t)
	if err != nil {
		return nil, err
	}
	out = append(out, ciphers...)
	curve, err := curveDirective(t.Curves)
	if err != nil {
		return nil, err
	}
	out = append(out, curve,
		D("ssl_prefer_server_ciphers", Raw("off")).WithComment("Mozilla "+t.Profile+" "+t.Guidelines+": server_preferred_order false"),
		D("ssl_session_timeout", Raw("1d")),
		D("ssl_session_cache", Raw("shared:rampart_tls:10m")),
		D("ssl_session_tickets", Raw("off")))
	if ca := t.ClientAuth; ca != nil {
		mtls, err := clientAuth(ca)
		if err != nil {
			return nil, err
		}
		out = append(out, mtls...)
	}
	return out, nil
}

// protocolArgs lists the protocols from min to max.
func protocolArgs(min, max string) ([]Arg, error) {
	var out []Arg
	in := false
	for _, p := range protocols {
		in = in || p.ir == min
		if in {
			out = append(out, Raw(p.nginx))
		}
		if p.ir == max {
			break
		}
	}
	if len(out) == 0 || !in {
		return nil, fmt.Errorf("TLS versions %q to %q are not a range of 1.0 to 1.3", min, max)
	}
	return out, nil
}

// cipherDirective returns ssl_ciphers; a TLS 1.3-only profile has no
// TLS 1.2 suites, and OpenSSL's TLS 1.3 suites are all AEAD.
func cipherDirective(t *ir.TLS) ([]Directive, error) {
	for _, c := range t.Ciphers {
		if !cipherRE.MatchString(c) {
			return nil, fmt.Errorf("cipher %q is not an OpenSSL suite name", c)
		}
	}
	if len(t.Ciphers) == 0 {
		if t.MinVersion != "1.3" {
			return nil, fmt.Errorf("TLS %s allows TLS 1.2 but the profile lists no ciphers", t.MinVersion)
		}
		return nil, nil
	}
	return []Directive{D("ssl_ciphers", Raw(strings.Join(t.Ciphers, ":")))}, nil
}

// curveDirective returns ssl_ecdh_curve without the groups OpenSSL 3.0
// lacks; an unknown curve is an error.
func curveDirective(cs []string) (Directive, error) {
	var keep, dropped []string
	for _, c := range cs {
		switch {
		case curves[c]:
			keep = append(keep, c)
		case unsupportedCurves[c]:
			dropped = append(dropped, c)
		default:
			return Directive{}, fmt.Errorf("curve %q is not one nginx 1.22/OpenSSL 3.0 supports", c)
		}
	}
	if len(keep) == 0 {
		return Directive{}, fmt.Errorf("no curve of %v is supported by nginx 1.22/OpenSSL 3.0", cs)
	}
	d := D("ssl_ecdh_curve", Raw(strings.Join(keep, ":")))
	if len(dropped) > 0 {
		d.Comment = "dropped " + strings.Join(dropped, ", ") + ": not supported by OpenSSL 3.0"
	}
	return d, nil
}

// clientAuth returns mTLS directives. Subjects are checked against the
// certificate's CN in the location (see subjectCheck).
func clientAuth(ca *ir.ClientAuth) ([]Directive, error) {
	if len(ca.SANs) > 0 {
		return nil, fmt.Errorf("client-certificate SAN restrictions: nginx has no SAN variable")
	}
	mode := "optional"
	if ca.Required {
		mode = "on"
	}
	return []Directive{
		D("ssl_verify_client", Raw(mode)),
		D("ssl_client_certificate", Lit(ca.CAFile)),
		D("ssl_verify_depth", Raw("3")),
	}, nil
}

// subjectCheck refuses, with 403, a verified client certificate whose
// subject CN is not one of the listener's subjects. Without a
// certificate (optional mTLS) there is nothing to check.
func (e *emitter) subjectCheck(l *ir.Listener) []Directive {
	if l.TLS == nil || l.TLS.ClientAuth == nil || len(l.TLS.ClientAuth.Subjects) == 0 {
		return nil
	}
	var alts []string
	for _, s := range l.TLS.ClientAuth.Subjects {
		alts = append(alts, escapeDN(s))
	}
	v := e.addMap("$ssl_client_verify|$ssl_client_s_dn", "dn",
		D("", Raw(`~^SUCCESS\|(.*[^\\],)?CN=(`+strings.Join(alts, "|")+`)(,|$)`), Raw("")),
		D("", Raw(`~^SUCCESS\|`), Raw("1")),
		D("default", Raw("")))
	return []Directive{B("if", Raws("(", v, ")"), D("return", Raw("403"))).
		WithComment("a client certificate's subject must be one of the listener's subjects")}
}

// escapeDN regex-escapes a subject as $ssl_client_s_dn prints it
// (RFC 2253, see dn.Escape).
func escapeDN(s string) string {
	return quoteMeta(dn.Escape(s))
}

// hstsValue renders the Strict-Transport-Security value.
func hstsValue(h *ir.HSTS) string {
	v := fmt.Sprintf("max-age=%d", h.MaxAgeSeconds)
	if h.IncludeSubDomains {
		v += "; includeSubDomains"
	}
	if h.Preload {
		v += "; preload"
	}
	return v
}

// redirectServer answers plaintext requests for the listener's hosts
// with 308 to HTTPS.
func redirectServer(l *ir.Listener) (Directive, error) {
	if l.TLS == nil {
		return Directive{}, fmt.Errorf("redirect port without TLS")
	}
	listen, err := listenAddr(l.Address, l.RedirectPort)
	if err != nil {
		return Directive{}, err
	}
	names, err := serverNames(l.Hosts)
	if err != nil {
		return Directive{}, err
	}
	target := "https://$host$request_uri"
	if l.Port != 443 {
		target = fmt.Sprintf("https://$host:%d$request_uri", l.Port)
	}
	listenArgs := Raws(listen)
	if len(l.Hosts) == 0 {
		listenArgs = append(listenArgs, Raw("default_server"))
	}
	listenArgs = append(listenArgs, proxyProtocolArg(l)...)
	return B("server", nil,
		D("listen", listenArgs...),
		D("server_name", names...),
		D("return", Raw("308"), Raw(target)),
	).WithComment("listener " + l.Name + ": plaintext redirect to HTTPS"), nil
}

// defaults collects one default server per listen address, so requests
// for hosts no listener names get 404 (TLS: the handshake is refused).
type defaults struct {
	byAddr map[string]*ir.Listener // listen address → first TLS-or-not listener
	ssl    map[string]bool
	any    map[string]bool // a listener without hosts is the default itself
}

func newDefaults() *defaults {
	return &defaults{byAddr: map[string]*ir.Listener{}, ssl: map[string]bool{}, any: map[string]bool{}}
}

// add records a listener's addresses (its own and its redirect port).
func (d *defaults) add(l *ir.Listener) error {
	addr, err := listenAddr(l.Address, l.Port)
	if err != nil {
		return err
	}
	if prev, ok := d.byAddr[addr]; ok && (prev.TLS == nil) != (l.TLS == nil) {
		return fmt.Errorf("shares %s with listener %s, one with TLS and one without", addr, prev.Name)
	}
	if prev, ok := d.byAddr[addr]; ok && len(proxyProtocolArg(prev)) != len(proxyProtocolArg(l)) {
		return fmt.Errorf("shares %s with listener %s, one with the PROXY protocol and one without", addr, prev.Name)
	}
	if _, ok := d.byAddr[addr]; !ok {
		d.byAddr[addr], d.ssl[addr] = l, l.TLS != nil
	}
	d.any[addr] = d.any[addr] || len(l.Hosts) == 0
	if l.RedirectPort != 0 {
		r, err := listenAddr(l.Address, l.RedirectPort)
		if err != nil {
			return err
		}
		if prev, ok := d.byAddr[r]; ok && len(proxyProtocolArg(prev)) != len(proxyProtocolArg(l)) {
			return fmt.Errorf("shares %s with listener %s, one with the PROXY protocol and one without", r, prev.Name)
		}
		if _, ok := d.byAddr[r]; !ok {
			d.byAddr[r] = &ir.Listener{Name: l.Name + "-redirect", ClientAddress: l.ClientAddress}
		}
		d.any[r] = d.any[r] || len(l.Hosts) == 0
	}
	return nil
}

// servers returns the default servers, sorted by address.
func (d *defaults) servers() []Directive {
	var addrs []string
	for a := range d.byAddr {
		if !d.any[a] {
			addrs = append(addrs, a)
		}
	}
	sort.Strings(addrs)
	var out []Directive
	for _, a := range addrs {
		listen := append(Raws(a, "default_server"), proxyProtocolArg(d.byAddr[a])...)
		body := []Directive{}
		if d.ssl[a] {
			listen = append(listen, Raw("ssl"))
			protos, _ := protocolArgs(d.byAddr[a].TLS.MinVersion, d.byAddr[a].TLS.MaxVersion)
			body = append(body, D("ssl_reject_handshake", Raw("on")), D("ssl_protocols", protos...))
		}
		body = append([]Directive{D("listen", listen...), D("server_name", Raw(""))}, body...)
		body = append(body, D("return", Raw("404")))
		out = append(out, B("server", nil, body...).WithComment("unknown hosts on "+a))
	}
	return out
}
