package kong_test

import (
	"context"
	"strings"
	"testing"

	"github.com/rampart-policy/rampart/compiler/diag"
	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/targets"
	"github.com/rampart-policy/rampart/targets/internal/golden"
	"github.com/rampart-policy/rampart/targets/kong"
)

// confLines returns kong.conf's settings (comments left out).
func confLines(t *testing.T, p *ir.Policy) string {
	t.Helper()
	var out []string
	for _, l := range strings.Split(string(artifact(t, p, kong.ConfFile)), "\n") {
		if !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestClientAddressNodeWide: listeners that share a client address source
// become kong.conf's node-wide trusted_ips, real_ip_header and
// real_ip_recursive (and proxy_listen … proxy_protocol); listeners that
// differ fail closed with RMP400 naming the control and the listener,
// and under a waiver Kong keys every listener on the peer.
func TestClientAddressNodeWide(t *testing.T) {
	xff := &ir.ClientAddress{From: ir.FromXFF, TrustedProxies: []string{"10.0.0.0/8", "2001:db8::/32"}}
	p := golden.ReadIR(t, "testdata/oss.ir.yaml")
	for _, l := range p.Listeners {
		l.ClientAddress = xff
	}
	conf := confLines(t, p)
	for _, want := range []string{"trusted_ips = 10.0.0.0/8,2001:db8::/32", "real_ip_header = X-Forwarded-For", "real_ip_recursive = on",
		"proxy_listen = 0.0.0.0:443 ssl, 0.0.0.0:80\n"} {
		if !strings.Contains(conf, want) {
			t.Errorf("kong.conf lacks %q:\n%s", want, conf)
		}
	}
	for _, l := range p.Listeners {
		l.ClientAddress = &ir.ClientAddress{From: ir.FromProxyProtocol, TrustedProxies: []string{"10.0.0.0/8"}}
	}
	conf = confLines(t, p)
	for _, want := range []string{"real_ip_header = proxy_protocol", "proxy_listen = 0.0.0.0:443 ssl proxy_protocol, 0.0.0.0:80 proxy_protocol"} {
		if !strings.Contains(conf, want) {
			t.Errorf("kong.conf lacks %q:\n%s", want, conf)
		}
	}

	// a second listener, internal, keys on the peer; public believes
	// X-Forwarded-For
	p.Listeners = append(p.Listeners, &ir.Listener{Name: "internal", Address: "0.0.0.0", Port: 8080, Hosts: p.Listeners[0].Hosts})
	for _, s := range p.Services {
		s.Listeners = append(s.Listeners, "internal")
	}
	p.Listeners[0].ClientAddress = xff
	var got []string
	for _, d := range targets.Check(kong.New(), p) {
		if d.Code == diag.CodeUnsupported && strings.Contains(d.Message, "clientAddress") {
			got = append(got, d.Message)
		}
	}
	if len(got) != 1 || !strings.Contains(got[0], "listener public") {
		t.Fatalf("RMP400 diagnostics for differing listeners: %q, want one naming clientAddress and listener public", got)
	}
	if _, err := kong.New().Build(context.Background(), p); err == nil || !strings.Contains(err.Error(), "clientAddress") {
		t.Fatalf("build with differing listeners: %v, want a clientAddress error", err)
	}
	p.Waivers = append(p.Waivers, ir.Waiver{Control: ir.CtlClientAddress, Target: "kong", Reason: "one Kong node per listener later",
		Approver: "security@shop.example", Expires: "2099-01-01"})
	if conf := confLines(t, p); strings.Contains(conf, "trusted_ips") || strings.Contains(conf, "real_ip") || strings.Contains(conf, "proxy_protocol") {
		t.Errorf("waived: kong.conf still believes a header:\n%s", conf)
	}
}
