package nginx

import (
	"context"
	"fmt"
	"slices"

	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/targets/internal/targetapi"
)

// ConfigFile is the artifact's name.
const ConfigFile = "nginx.conf"

// Target is the nginx target.
type Target struct{}

// New returns the nginx target.
func New() *Target { return &Target{} }

// Name returns "nginx".
func (*Target) Name() string { return "nginx" }

// PhaseMechanism maps each phase of ir.PhaseOrder to the nginx mechanism
// that runs it, in nginx's own phase order: server and location rewrite
// (routing, preflight, content type), preaccess (limit_req), access
// (auth_request), content (proxy_pass), header filter (add_header), log.
// Content-type checks run in the rewrite phase, so a wrong type is
// refused before IP rate limits count the request; the IR places them
// after. Every other phase keeps the IR's order.
var PhaseMechanism = map[ir.Phase]string{
	ir.PhaseTLS:          "listen ssl, ssl_verify_client",
	ir.PhaseRouting:      "server_name, location, if/return 405 (rewrite phase)",
	ir.PhaseCORS:         "map + if/return 204 (rewrite phase)",
	ir.PhaseIPRateLimit:  "limit_req (preaccess phase)",
	ir.PhaseLimits:       "large_client_header_buffers, client_max_body_size, map + if/return 415",
	ir.PhaseAuthn:        "auth_request to rampart's authorizer (access phase)",
	ir.PhaseAuthz:        "auth_request to rampart's authorizer (access phase)",
	ir.PhaseSubjectLimit: "auth_request to rampart's authorizer (access phase)",
	ir.PhaseProxy:        "proxy_pass, proxy_*_timeout, proxy_ssl_verify",
	ir.PhaseResponse:     "add_header ... always, proxy_hide_header",
	ir.PhaseLog:          "log_format escape=json, access_log",
}

// Capabilities lists exactly the controls Build emits for p. Controls
// open-source nginx lacks are delegated to rampart's authorizer when the
// policy names one, and missing otherwise, so targets.Check fails closed.
func (*Target) Capabilities(p *ir.Policy) targetapi.Capabilities {
	native := func(m string) targetapi.Support { return targetapi.Support{Mechanism: m} }
	caps := targetapi.Capabilities{
		ir.CtlTLS:             native("listen ssl, ssl_protocols, ssl_ciphers"),
		ir.CtlHSTS:            native("add_header Strict-Transport-Security always"),
		ir.CtlRedirect:        native("return 308 server"),
		ir.CtlUpstreamTLS:     native("proxy_ssl_verify"),
		ir.CtlRateLimit:       native("limit_req $binary_remote_addr"),
		ir.CtlRateLimitHeader: native("limit_req $http_<name>"),
		ir.CtlBodyLimit:       native("client_max_body_size"),
		ir.CtlHeaderLimit:     native("large_client_header_buffers"),
		ir.CtlTimeouts:        native("client_*_timeout, keepalive_timeout, proxy_*_timeout"),
		ir.CtlMethods:         native("if ($request_method) return 405"),
		ir.CtlContentTypes:    native("map $content_type, return 415"),
		ir.CtlUndeclared:      native("location / return 404, default_server"),
		ir.CtlCORS:            native("map $http_origin, add_header, return 204"),
		ir.CtlHeaders:         native("add_header always, server_tokens off"),
		ir.CtlClientAddress:   native("set_real_ip_from, real_ip_header, real_ip_recursive on (listen proxy_protocol)"),
	}
	if !mtlsHasSANs(p) {
		caps[ir.CtlMTLS] = native("ssl_verify_client, ssl_client_certificate")
	}
	if p.Logging.Sink != "http" {
		caps[ir.CtlAccessLog] = native("log_format escape=json, access_log")
		if fieldRedactionsOK(p) {
			caps[ir.CtlRedact] = native("log_format allowlist (no headers; query omitted when redacted; identity redacted by the authorizer)")
		}
	}
	if p.Targets.AuthorizerURL != "" {
		delegated := targetapi.Support{Mechanism: "auth_request", Delegated: true}
		for _, c := range []string{ir.CtlJWT, ir.CtlIntrospection, ir.CtlAuthzRules, ir.CtlRateLimitSubject,
			ir.CtlRateLimitAPIKey, ir.CtlRateLimitShared, ir.CtlAuthFailures} {
			caps[c] = delegated
		}
		caps[ir.CtlAPIKey] = delegated
		caps[ir.CtlMTLSAuthn] = targetapi.Support{Mechanism: "auth_request with $ssl_client_escaped_cert", Delegated: true}
	}
	return caps
}

// fieldRedactionsOK reports whether nginx can honour every field
// redaction. The identity field can be: rampart's authorizer returns it
// already redacted or hashed (and without an authorizer nginx logs no
// identity). Other logged fields nginx writes as they are.
func fieldRedactionsOK(p *ir.Policy) bool {
	for _, r := range p.Logging.Redact {
		if r.Kind != "field" {
			continue
		}
		if r.Name != "identity" && slices.Contains(p.Logging.Fields, r.Name) {
			return false
		}
	}
	return true
}

// mtlsHasSANs reports a listener that restricts client certificates by
// SAN, which nginx 1.22 has no variable for.
func mtlsHasSANs(p *ir.Policy) bool {
	for _, l := range p.Listeners {
		if l.TLS != nil && l.TLS.ClientAuth != nil && len(l.TLS.ClientAuth.SANs) > 0 {
			return true
		}
	}
	return false
}

// Build writes nginx.conf after checking that every control the policy
// needs is enforced or waived, and verifies the text re-parses to the AST.
func (t *Target) Build(ctx context.Context, p *ir.Policy) ([]targetapi.Artifact, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("nginx: invalid IR: %w", err)
	}
	if err := t.unenforced(p); err != nil {
		return nil, err
	}
	ast, err := newEmitter(p).config()
	if err != nil {
		return nil, fmt.Errorf("nginx: %w", err)
	}
	text, err := Print(ast)
	if err != nil {
		return nil, fmt.Errorf("nginx: %w", err)
	}
	if err := Verify(text, ast); err != nil {
		return nil, fmt.Errorf("nginx: internal error: %w", err)
	}
	return []targetapi.Artifact{{Path: ConfigFile, Data: text}}, nil
}

// unenforced fails the build on any control the policy needs that nginx
// does not enforce and no waiver covers: Build never writes a config
// that silently drops a control, even when called without targets.Check.
func (t *Target) unenforced(p *ir.Policy) error { return targetapi.Unenforced(t, p) }

// waived reports whether a waiver excuses control on route for nginx.
func waived(p *ir.Policy, control, route string) bool {
	return targetapi.Waived(p, control, "nginx", route)
}
