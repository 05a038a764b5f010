package nginx

import (
	"fmt"

	"github.com/rampart-policy/rampart/compiler/ir"
)

// systemCAs is Debian's CA bundle, used to verify HTTPS upstreams that
// name no CA file (nginx does not read the system store by itself).
const systemCAs = "/etc/ssl/certs/ca-certificates.crt"

// scrubbed are request headers a client could use to pose as rampart or
// as another client; they are cleared before proxying, as rampart's
// proxy does.
var scrubbed = []string{"X-Rampart-Client-IP", "X-Rampart-Client-Cert", "X-Rampart-Status", "True-Client-IP", "X-Client-IP",
	"CF-Connecting-IP", "Forwarded", "X-Cluster-Client-IP"}

// upstreams returns one upstream block per service.
func (e *emitter) upstreams() ([]Directive, error) {
	var out []Directive
	for _, s := range e.p.Services {
		if !serviceRE.MatchString(s.Name) {
			return nil, fmt.Errorf("service name %q", s.Name)
		}
		_, hostport, _, err := upstreamURL(s.UpstreamURL)
		if err != nil {
			return nil, fmt.Errorf("service %s: %w", s.Name, err)
		}
		out = append(out, B("upstream", Raws(upstreamPfx+s.Name),
			D("server", Lit(hostport)),
			D("keepalive", Raw("16"))))
	}
	return out, nil
}

// proxy returns the location's upstream directives: headers for the
// upstream (identity from the authorizer, or cleared), hidden upstream
// headers, TLS verification, and proxy_pass.
func (e *emitter) proxy(lc *loc, hdrs []header, authorized bool) ([]Directive, error) {
	scheme, hostport, host, err := upstreamURL(lc.svc.UpstreamURL)
	if err != nil {
		return nil, err
	}
	subject, roles := "", ""
	if authorized {
		subject, roles = "$rampart_subject", "$rampart_roles"
	}
	set := func(n, v string) Directive { return D("proxy_set_header", Raw(n), Raw(v)) }
	out := []Directive{
		D("proxy_http_version", Raw("1.1")),
		set("Connection", ""),
		D("proxy_set_header", Raw("Host"), Lit(hostport)),
		set("X-Forwarded-For", "$remote_addr"),
		set("X-Forwarded-Host", "$host"),
		set("X-Forwarded-Proto", "$scheme"),
		set("X-Real-IP", "$remote_addr"),
		set("X-Rampart-Subject", subject),
		set("X-Rampart-Roles", roles),
		set("X-Rampart-Route", varRoute),
	}
	for _, h := range scrubbed {
		out = append(out, set(h, ""))
	}
	hide := false
	for _, r := range lc.routes {
		hide = hide || r.Headers.HideServerTokens
	}
	out = append(out, hideUpstream(hdrs, hide)...)
	if scheme == "https" {
		out = append(out, upstreamTLS(lc.svc.UpstreamTLS, host)...)
	}
	return append(out, D("proxy_pass", Raw(scheme+"://"+upstreamPfx+lc.svc.Name))), nil
}

// upstreamTLS verifies an HTTPS upstream's certificate against the
// service's CA (else the system bundle) and name, unless the policy
// turns verification off.
func upstreamTLS(t *ir.UpstreamTLS, host string) []Directive {
	if t == nil {
		t = &ir.UpstreamTLS{Verify: true}
	}
	name := host
	if t.ServerName != "" {
		name = t.ServerName
	}
	out := []Directive{D("proxy_ssl_server_name", Raw("on")), D("proxy_ssl_name", Lit(name)),
		D("proxy_ssl_protocols", Raws("TLSv1.2", "TLSv1.3")...)}
	if !t.Verify {
		out = append(out, D("proxy_ssl_verify", Raw("off")).WithComment("the policy turns upstream verification off"))
	} else {
		ca := systemCAs
		if t.CAFile != "" {
			ca = t.CAFile
		}
		out = append(out, D("proxy_ssl_verify", Raw("on")), D("proxy_ssl_verify_depth", Raw("4")),
			D("proxy_ssl_trusted_certificate", Lit(ca)))
	}
	if t.CertFile != "" {
		out = append(out, D("proxy_ssl_certificate", Lit(t.CertFile)), D("proxy_ssl_certificate_key", Lit(t.KeyFile)))
	}
	return out
}
