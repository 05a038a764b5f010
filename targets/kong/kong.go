package kong

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/targets/internal/targetapi"
)

// Editions of Kong Gateway.
const (
	EditionOSS        = "oss"
	EditionEnterprise = "enterprise"
)

// Target is the Kong target.
type Target struct{}

// New returns the Kong target.
func New() *Target { return &Target{} }

// Name returns "kong".
func (*Target) Name() string { return "kong" }

// PhaseMechanism maps each phase of ir.PhaseOrder to the Kong mechanism
// that runs it. Kong orders plugins by priority: cors (2000) answers
// preflights before the authentication plugins (openid-connect 1050,
// key-auth 1250), acl (950) and rate-limiting (910) follow them, and
// response-transformer and the log plugins run in their own phases. By
// priority the IP (and header) rate limit would run after
// authentication, not before it as in ir.PhaseOrder; on Enterprise the
// rate-limiting plugin is moved ahead of the authn plugins with dynamic
// ordering (access phase), and on OSS that is a gap on every route that
// authenticates (ipLimitFirst).
var PhaseMechanism = map[ir.Phase]string{
	ir.PhaseTLS:          "kong.conf proxy_listen ssl, ssl_protocols, ssl_ciphers",
	ir.PhaseRouting:      "route hosts, paths (anchored regex), methods; Kong answers 404 to undeclared routes",
	ir.PhaseCORS:         "cors plugin (priority 2000) on a separate OPTIONS route",
	ir.PhaseIPRateLimit:  "rate-limiting plugin (priority 910; Enterprise: ordering before the authn plugins)",
	ir.PhaseLimits:       "request-size-limiting, kong.conf nginx_http_* limits, request-validator (Enterprise)",
	ir.PhaseAuthn:        "key-auth, openid-connect (Enterprise)",
	ir.PhaseAuthz:        "acl, openid-connect roles_required/scopes_required (Enterprise)",
	ir.PhaseSubjectLimit: "rate-limiting limit_by consumer/credential",
	ir.PhaseProxy:        "service timeouts, tls_verify",
	ir.PhaseResponse:     "response-transformer, kong.conf headers = off",
	ir.PhaseLog:          "file-log / http-log with custom_fields_by_lua",
}

// Capabilities lists the controls Kong enforces for p. Kong OSS has no
// JWKS, no audience check, no client certificates and no request
// validation, so JWT, introspection and content-type checks need
// edition "enterprise". Undeclared requests are refused only when every
// service is on every listener (listenersShared). Client certificates, auth-failure throttling and
// syslog sinks are unsupported on both editions; so are API keys given
// only as hashes (Kong compares keys, it does not hash them) and shared
// limits without an env-referenced Redis; listeners' client address
// (kong.conf trusted_ips) only when every listener takes it alike
// (sameClientAddress). The IP and header limits are
// claimed here; on OSS, Build reports them as route gaps where Kong would
// run them after authentication (ipLimitFirst).
func (*Target) Capabilities(p *ir.Policy) targetapi.Capabilities {
	native := func(m string) targetapi.Support { return targetapi.Support{Mechanism: m} }
	caps := targetapi.Capabilities{
		ir.CtlHSTS:             native("response-transformer Strict-Transport-Security"),
		ir.CtlRedirect:         native("route protocols https, https_redirect_status_code 308"),
		ir.CtlUpstreamTLS:      native("service protocol https, tls_verify"),
		ir.CtlAuthzRules:       native("acl allow / openid-connect roles_required, scopes_required"),
		ir.CtlRateLimit:        native("rate-limiting limit_by ip"),
		ir.CtlRateLimitHeader:  native("rate-limiting limit_by header"),
		ir.CtlRateLimitSubject: native("rate-limiting limit_by consumer"),
		ir.CtlRateLimitAPIKey:  native("rate-limiting limit_by credential"),
		ir.CtlBodyLimit:        native("request-size-limiting, nginx_http_client_max_body_size"),
		ir.CtlHeaderLimit:      native("nginx_http_large_client_header_buffers"),
		ir.CtlTimeouts:         native("nginx_http_client_*_timeout, service read/write/connect_timeout"),
		ir.CtlMethods:          native("route methods"),
		ir.CtlCORS:             native("cors"),
		ir.CtlHeaders:          native("response-transformer, headers = off"),
	}
	if listenersShared(p) {
		caps[ir.CtlUndeclared] = native("anchored route paths; catch-all route per listener: request-termination 404")
	}
	if sameClientAddress(p) {
		caps[ir.CtlClientAddress] = native("kong.conf trusted_ips, real_ip_header, real_ip_recursive (node-wide; proxy_listen proxy_protocol)")
	}
	if sameCertificate(p) {
		caps[ir.CtlTLS] = native("kong.conf ssl_protocols, ssl_cipher_suite custom, ssl_ciphers")
	}
	if apiKeysProvisionable(p) {
		caps[ir.CtlAPIKey] = native("key-auth hide_credentials, consumers with acl groups")
	}
	if sharedLimitsOK(p) {
		caps[ir.CtlRateLimitShared] = native("rate-limiting policy redis")
	}
	if p.Logging.Sink != "syslog" {
		caps[ir.CtlAccessLog] = native(logPlugin(p) + " per route")
		caps[ir.CtlRedact] = native(logPlugin(p) + " custom_fields_by_lua (fixed Lua; redacted values dropped)")
	}
	if p.Targets.KongEdition == EditionEnterprise {
		caps[ir.CtlJWT] = native("openid-connect (Enterprise) bearer")
		caps[ir.CtlIntrospection] = native("openid-connect (Enterprise) introspection")
		caps[ir.CtlContentTypes] = native("request-validator (Enterprise) allowed_content_types")
	}
	return caps
}

// listenersShared reports whether every service is on every listener.
// Kong matches routes by Host and path, never by the port a request came
// in on (and the client picks the Host header), so a service declared on
// some listeners only is served on all of them: a request the policy
// does not declare on a listener is not refused there.
func listenersShared(p *ir.Policy) bool {
	for _, s := range p.Services {
		for _, l := range p.Listeners {
			if !slices.Contains(s.Listeners, l.Name) {
				return false
			}
		}
	}
	return true
}

// Build writes kong.yaml and kong.conf after checking that every control
// the policy needs is enforced or waived, and verifies them.
func (t *Target) Build(ctx context.Context, p *ir.Policy) ([]targetapi.Artifact, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("kong: invalid IR: %w", err)
	}
	if err := t.unenforced(p); err != nil {
		return nil, err
	}
	e := newEmitter(p)
	file, err := e.file()
	if err != nil {
		return nil, fmt.Errorf("kong: %w", err)
	}
	if err := e.gapErrors(); err != nil {
		return nil, err
	}
	conf, err := e.buildConf()
	if err != nil {
		return nil, fmt.Errorf("kong: %w", err)
	}
	fileJSON, err := json.Marshal(file)
	if err != nil {
		return nil, fmt.Errorf("kong: %w", err)
	}
	deck, err := encodeJSON(fileJSON)
	if err != nil {
		return nil, fmt.Errorf("kong: %w", err)
	}
	confText, err := conf.Print()
	if err != nil {
		return nil, fmt.Errorf("kong: %w", err)
	}
	deck, confText = append(Header(DeckFile, p), deck...), append(Header(ConfFile, p), confText...)
	if err := verify(deck, confText, fileJSON); err != nil {
		return nil, fmt.Errorf("kong: internal error: %w", err)
	}
	return []targetapi.Artifact{{Path: ConfFile, Data: confText}, {Path: DeckFile, Data: deck}}, nil
}

// unenforced fails the build on any need Capabilities lacks that no
// waiver covers, so Build never silently drops a control even when
// called without targets.Check.
func (t *Target) unenforced(p *ir.Policy) error { return targetapi.Unenforced(t, p) }

// waived reports whether a waiver excuses control on route for Kong.
func waived(p *ir.Policy, control, route string) bool {
	return targetapi.Waived(p, control, "kong", route)
}

// gapErrors reports every route-level gap no waiver covers, one
// targets.RouteError per route and control.
func (e *emitter) gapErrors() error {
	var errs []error
	for _, g := range uniqueGaps(e.gaps) {
		if waived(e.p, g.Control, g.Route) {
			continue
		}
		errs = append(errs, &targetapi.RouteError{Route: g.Route,
			Err: fmt.Errorf("target kong cannot enforce %s: %s (add a waiver for control %q, target \"kong\", or change the policy)", g.Control, g.Detail, g.Control)})
	}
	return errors.Join(errs...)
}

// uniqueGaps drops repeated gaps (split routes report theirs once each).
func uniqueGaps(gs []Gap) []Gap {
	var out []Gap
	seen := map[Gap]bool{}
	for _, g := range gs {
		if !seen[g] {
			seen[g] = true
			out = append(out, g)
		}
	}
	return out
}

// Gaps lists the route-level gaps Build finds for p, waived or not, so
// that reports can show what a waiver leaves out on Kong. Policy-wide
// gaps are the needs Capabilities lacks (targets.Check reports those).
func Gaps(p *ir.Policy) ([]Gap, error) {
	e := newEmitter(p)
	if _, err := e.file(); err != nil {
		return nil, err
	}
	return uniqueGaps(e.gaps), nil
}
