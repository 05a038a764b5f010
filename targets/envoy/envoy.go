package envoy

import (
	"context"
	"errors"
	"fmt"
	"sync"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"

	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/targets/internal/targetapi"
)

// Artifact names.
const (
	YAMLFile = "envoy.yaml"
	JSONFile = "envoy.json"
)

// Target is the Envoy target.
type Target struct{}

// New returns the Envoy target.
func New() *Target { return &Target{} }

// Name returns "envoy".
func (*Target) Name() string { return "envoy" }

// Capabilities lists exactly the controls Build emits for p. Controls
// Envoy has no filter for are delegated to rampart's authorizer when the
// policy names one and missing otherwise, so targets.Check fails closed.
func (*Target) Capabilities(p *ir.Policy) targetapi.Capabilities {
	native := func(m string) targetapi.Support { return targetapi.Support{Mechanism: m} }
	caps := targetapi.Capabilities{
		ir.CtlTLS:             native("DownstreamTlsContext"),
		ir.CtlMTLS:            native("require_client_certificate, validation_context, rbac on x-forwarded-client-cert subject"),
		ir.CtlHSTS:            native("response_headers_to_add Strict-Transport-Security"),
		ir.CtlRedirect:        native("plaintext listener, https_redirect"),
		ir.CtlUpstreamTLS:     native("UpstreamTlsContext"),
		ir.CtlRateLimit:       native("local_ratelimit, masked_remote_address descriptor (IPv6 per /64)"),
		ir.CtlRateLimitHeader: native("local_ratelimit, request_headers descriptor; requests without the header share one bucket"),
		ir.CtlBodyLimit:       native("buffer max_request_bytes"),
		ir.CtlHeaderLimit:     native("max_request_headers_kb"),
		ir.CtlTimeouts:        native("request_headers_timeout, idle_timeout, route timeout"),
		ir.CtlMethods:         native(":method route match, direct_response 405"),
		ir.CtlContentTypes:    native("content-type route match, direct_response 415; the listener serves HTTP/1.1 only"),
		ir.CtlUndeclared:      native("virtual host domains, direct_response 404"),
		ir.CtlCORS:            native("cors"),
		ir.CtlHeaders:         native("response_headers_to_add, response_headers_to_remove server"),
		ir.CtlClientAddress:   native("original_ip_detection xff_trusted_cidrs; listener filter proxy_protocol with direct_source_prefix_ranges"),
	}
	if sink := accessLogSink(p); sink != "" {
		caps[ir.CtlAccessLog] = native(sink)
		if redactionsOK(p) {
			caps[ir.CtlRedact] = native("JSON log without headers; query omitted when a key is redacted; identity redacted by the authorizer")
		}
	} else if waived(p, ir.CtlAccessLog, "") {
		// no access log is written, so nothing in it needs hiding
		caps[ir.CtlRedact] = native("no access log written (logging.access waived for envoy)")
	}
	if nativeJWT(p) {
		caps[ir.CtlJWT] = native("jwt_authn")
	}
	if nativeRules(p) {
		caps[ir.CtlAuthzRules] = native("rbac on jwt_authn payload metadata")
	}
	if p.Targets.AuthorizerURL != "" {
		delegated := targetapi.Support{Mechanism: "ext_authz to rampart's authorizer", Delegated: true}
		for _, c := range []string{ir.CtlAPIKey, ir.CtlIntrospection, ir.CtlMTLSAuthn, ir.CtlRateLimitSubject,
			ir.CtlRateLimitAPIKey, ir.CtlRateLimitShared, ir.CtlAuthFailures} {
			caps[c] = delegated
		}
		if _, ok := caps[ir.CtlJWT]; !ok {
			caps[ir.CtlJWT] = targetapi.Support{Mechanism: "ext_authz to rampart's authorizer, then jwt_authn", Delegated: true}
		}
		if _, ok := caps[ir.CtlAuthzRules]; !ok {
			caps[ir.CtlAuthzRules] = delegated
		}
	}
	return caps
}

// Build writes envoy.yaml and envoy.json after checking that every
// control the policy needs is enforced or waived (including rate limits
// too small to share among a route's forwarding routes: splitGaps), and
// verifies both:
// each re-parses into a Bootstrap equal to the one built, and the
// bootstrap and every message packed in it pass ValidateAll.
func (t *Target) Build(ctx context.Context, p *ir.Policy) ([]targetapi.Artifact, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("envoy: invalid IR: %w", err)
	}
	if err := t.unenforced(p); err != nil {
		return nil, err
	}
	if err := splitErrors(p); err != nil {
		return nil, err
	}
	bs, err := newEmitter(p).bootstrap()
	if err != nil {
		return nil, fmt.Errorf("envoy: %w", err)
	}
	compact, err := marshalShared(bs)
	if err != nil {
		compact, err = marshalCompact(bs) // protojson's own way, and its error
	}
	if err != nil {
		return nil, fmt.Errorf("envoy: %w", err)
	}
	return encodeVerified(bs, compact)
}

// encodeVerified writes both artifacts from the bootstrap's compact JSON
// and verifies each against bs and compact, envoy.json on one goroutine and envoy.yaml on the
// other (each artifact is a function of compact alone, so the bytes do
// not depend on the scheduling); envoy.json's error is reported first.
func encodeVerified(bs *bootstrapv3.Bootstrap, compact []byte) ([]targetapi.Artifact, error) {
	var (
		jsonData []byte
		jsonErr  error
		wg       sync.WaitGroup
	)
	wg.Go(func() {
		if jsonData, jsonErr = indentJSON(compact); jsonErr == nil {
			jsonErr = verifyBuilt(jsonData, bs)
		}
	})
	yamlData, yamlErr := toYAML(compact)
	if yamlErr == nil {
		yamlErr = verifyYAML(yamlData, compact)
	}
	wg.Wait()
	if jsonErr != nil || yamlErr != nil {
		return nil, fmt.Errorf("envoy: internal error: %w", errors.Join(wrapPath(JSONFile, jsonErr), wrapPath(YAMLFile, yamlErr)))
	}
	return []targetapi.Artifact{{Path: JSONFile, Data: jsonData}, {Path: YAMLFile, Data: yamlData}}, nil
}

// wrapPath prefixes a non-nil err with the artifact's name.
func wrapPath(path string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", path, err)
}

// unenforced fails the build on any control the policy needs that Envoy
// does not enforce and no waiver covers: Build never writes a bootstrap
// that silently drops a control, even when called without targets.Check.
func (t *Target) unenforced(p *ir.Policy) error { return targetapi.Unenforced(t, p) }

// waived reports whether a waiver excuses control on route for Envoy.
func waived(p *ir.Policy, control, route string) bool {
	return targetapi.Waived(p, control, "envoy", route)
}
