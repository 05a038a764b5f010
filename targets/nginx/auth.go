package nginx

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/rampart-policy/rampart/compiler/ir"
)

// denyStatuses are the authorizer's denials other than 401 and 403,
// which it sends to nginx as 403 with X-Rampart-Status (auth_request
// passes only 401 and 403 on). The deny location answers them as is.
var denyStatuses = []string{"400", "404", "405", "413", "415", "429", "431", "503"}

// needsAuthorizer reports whether a location is sent to the authorizer:
// a non-public route (authentication, rules), a limit keyed by subject or
// API key (the engine applies those after authentication), or a shared
// limit (the authorizer keeps it across instances; nginx's own limit_req
// zone is per instance and also applies).
func needsAuthorizer(rs []*ir.Route) bool {
	for _, r := range rs {
		if !r.Public {
			return true
		}
		for _, rl := range r.RateLimits {
			if rl.Key == "subject" || rl.Key == "apiKey" || rl.Shared {
				return true
			}
		}
	}
	return false
}

// auth returns the location's auth_request directives and its deny
// named location, or nothing when the location needs no authorizer or the
// policy names none (Build has then checked that a waiver covers it).
func (e *emitter) auth(lc *loc, hdrs []header) (body, named []Directive, err error) {
	if e.p.Targets.AuthorizerURL == "" || !needsAuthorizer(lc.routes) {
		return nil, nil, nil
	}
	deny := fmt.Sprintf("@rampart_deny%d", e.next())
	body = []Directive{
		D("auth_request", Raw(authzPath)),
		D("auth_request_set", Raws("$rampart_subject", "$upstream_http_x_rampart_subject")...),
		D("auth_request_set", Raws("$rampart_roles", "$upstream_http_x_rampart_roles")...),
		D("auth_request_set", Raws("$rampart_log_identity", "$upstream_http_x_rampart_log_identity")...),
		D("auth_request_set", Raws("$rampart_authz_status", "$upstream_http_x_rampart_status")...),
		D("auth_request_set", Raws("$rampart_retry_after", "$upstream_http_retry_after")...),
		D("error_page", Raw("403"), Raw("="), Raw(deny)),
	}
	return body, []Directive{denyLocation(deny, hdrs)}, nil
}

// denyLocation maps the authorizer's 403 + X-Rampart-Status back to the
// real status, keeping the location's security headers.
func denyLocation(name string, hdrs []header) Directive {
	body := addHeaders(hdrs)
	for _, s := range denyStatuses {
		branch := []Directive{}
		if s == "429" {
			branch = append(addHeaders(hdrs), D("add_header", Lit("Retry-After"), Raw("$rampart_retry_after"), Raw("always")))
		}
		branch = append(branch, D("return", Raw(s)))
		body = append(body, B("if", Raws("(", "$rampart_authz_status", "=", s, ")"), branch...))
	}
	body = append(body, D("return", Raw("403")))
	return B("location", Raws(name), body...).WithComment("authorizer denials other than 401 and 403")
}

// authzLocation is the internal subrequest location that asks rampart's
// authorizer. Client-sent X-Original-*, X-Rampart-* are overwritten, and
// the body is not sent.
func (e *emitter) authzLocation(l *ir.Listener) (Directive, error) {
	target, err := authorizerTarget(e.p.Targets.AuthorizerURL, l.Name, len(e.p.Listeners) > 1)
	if err != nil {
		return Directive{}, err
	}
	body := []Directive{
		D("internal"),
		D("proxy_pass_request_body", Raw("off")),
		D("proxy_set_header", Raws("Content-Length", "")...),
		D("proxy_set_header", Raws("X-Original-URI", "$request_uri")...),
		D("proxy_set_header", Raws("X-Original-Method", "$request_method")...),
		D("proxy_set_header", Raws("X-Rampart-Client-IP", "$remote_addr")...),
		D("proxy_set_header", Raws("X-Forwarded-For", "$remote_addr")...),
	}
	if l.TLS != nil && l.TLS.ClientAuth != nil {
		// the verified client certificate, for mTLS providers; the
		// authorizer checks its chain again against the listener's CA
		body = append(body, D("proxy_set_header", Raws("X-Rampart-Client-Cert", "$ssl_client_escaped_cert")...))
	}
	if u, _ := url.Parse(target); u.Scheme == "https" {
		if !hostRE.MatchString(u.Hostname()) && !isIP(u.Hostname()) {
			return Directive{}, fmt.Errorf("authorizer URL %q: bad host", target)
		}
		// nginx does not verify proxied TLS unless told to.
		body = append(body, upstreamTLS(&ir.UpstreamTLS{Verify: true}, u.Hostname())...)
	}
	body = append(body, D("proxy_pass", Lit(target)))
	return B("location", Args(Raw("="), Raw(authzPath)), body...).
		WithComment("rampart authorizer: authentication, rules, subject and shared limits"), nil
}

// authorizerTarget returns <authorizer>/authorize[/listener/NAME].
func authorizerTarget(raw, listener string, several bool) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("authorizer URL %q: want http(s)://host[:port][/path]", raw)
	}
	out := strings.TrimSuffix(raw, "/") + "/authorize"
	if several {
		if !serviceRE.MatchString(listener) {
			return "", fmt.Errorf("listener name %q cannot be used in the authorizer path", listener)
		}
		out += "/listener/" + listener
	}
	return out, nil
}
