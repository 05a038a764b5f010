package kong

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/rampart-policy/rampart/compiler/ir"
)

// plugins returns the plugins of one of the parts Kong routes a route
// in, sorted by name (Kong orders them by priority, not by position).
func (e *emitter) plugins(s *ir.Service, r *ir.Route, parts int) ([]Plugin, error) {
	caps := e.caps()
	out, auth := e.authPlugins(r, caps)
	if r.CORS != nil {
		out = append(out, e.corsPlugin(r))
	}
	if rl, ok := e.rateLimit(r, auth, caps, parts); ok {
		out = append(out, e.ipLimitFirst(r, rl, out))
	}
	if r.Limits.MaxBodyBytes > 0 {
		out = append(out, Plugin{Name: "request-size-limiting", Config: &RequestSizeConfig{
			AllowedPayloadSize: r.Limits.MaxBodyBytes, SizeUnit: "bytes"}})
	}
	if len(r.ContentTypes) > 0 && caps[ir.CtlContentTypes] && containsAll(bodyMethods, r.Methods) {
		out = append(out, Plugin{Name: "request-validator", Config: &RequestValidatorConfig{
			AllowedContentTypes: slices.Clone(r.ContentTypes), BodySchema: "{}", Version: "draft4"}})
	}
	headers, err := e.responseHeaders(s, r)
	if err != nil {
		return nil, err
	}
	if len(headers) > 0 {
		out = append(out, Plugin{Name: "response-transformer", Config: &ResponseTransformerConfig{
			Replace: HeaderList{Headers: headers}, Add: HeaderList{Headers: headers}}})
	}
	if lg, ok := e.logPlugin(r, auth, caps); ok {
		out = append(out, lg)
	}
	slices.SortStableFunc(out, func(a, b Plugin) int { return strings.Compare(a.Name, b.Name) })
	for i := 1; i < len(out); i++ {
		if out[i].Name == out[i-1].Name {
			return nil, fmt.Errorf("two %s plugins on one route", out[i].Name)
		}
	}
	return out, nil
}

// caps is the set of controls Capabilities claims for the policy.
func (e *emitter) caps() map[string]bool {
	caps := map[string]bool{}
	for c := range New().Capabilities(e.p) {
		caps[c] = true
	}
	return caps
}

// authnPlugins are the plugins that refuse a request as unauthenticated
// or unauthorized and that Kong runs before rate-limiting (priority 910)
// by static priority: key-auth 1250, openid-connect 1050, acl 950.
var authnPlugins = []string{"acl", "key-auth", "openid-connect"}

// ipLimitFirst makes a client-IP (or header-keyed) rate limit run before the route's
// authentication, as ir.PhaseOrder requires (PhaseIPRateLimit before
// PhaseAuthn; header limits are in PhaseIPRateLimit too): otherwise requests refused with 401/403 are never counted
// and key guessing is unthrottled. Kong Enterprise (3.0+) moves the
// plugin with dynamic ordering (access phase: before the authn plugins);
// Kong OSS cannot reorder plugins, so that is a gap on the route, and a
// waiver keeps the limit where Kong runs it (after authentication).
func (e *emitter) ipLimitFirst(r *ir.Route, rl Plugin, others []Plugin) Plugin {
	c, ok := rl.Config.(*RateLimitingConfig)
	if !ok || (c.LimitBy != "ip" && c.LimitBy != "header") {
		return rl
	}
	var before []string
	for _, p := range others {
		if slices.Contains(authnPlugins, p.Name) {
			before = append(before, p.Name)
		}
	}
	if len(before) == 0 {
		return rl
	}
	slices.Sort(before)
	if e.p.Targets.KongEdition != EditionEnterprise {
		e.gap(r, rateLimitControl[c.LimitBy], "Kong OSS runs rate-limiting (priority 910) after "+strings.Join(before, ", ")+
			", so requests they refuse are never counted (dynamic plugin ordering needs edition \"enterprise\")")
		return rl
	}
	rl.Ordering = &PluginOrdering{Before: map[string][]string{"access": before}}
	return rl
}

// noExtraHeaders is config.headers for a policy that allows no request
// header beyond the CORS-safelisted ones: Kong's cors plugin echoes
// Access-Control-Request-Headers (allowing every header) when the list
// is empty, so it lists a safelisted header instead.
var noExtraHeaders = []string{"Accept"}

// corsPlugin answers preflights itself (preflight_continue false).
func (e *emitter) corsPlugin(r *ir.Route) Plugin {
	c := r.CORS
	cfg := &CORSConfig{Methods: slices.Clone(c.AllowMethods), Headers: slices.Clone(c.AllowHeaders),
		ExposedHeaders: slices.Clone(c.ExposeHeaders), Credentials: c.AllowCredentials, MaxAge: c.MaxAgeSeconds}
	if len(cfg.Headers) == 0 {
		cfg.Headers = slices.Clone(noExtraHeaders)
	}
	for _, o := range c.AllowOrigins {
		cfg.Origins = append(cfg.Origins, corsOrigin(o))
	}
	return Plugin{Name: "cors", Config: cfg}
}

// plainOrigin is what Kong's cors plugin compares literally; any other
// entry it treats as a regex (anchored at the end only).
var plainOrigin = regexp.MustCompile(`^[A-Za-z0-9.:/-]+$`)

// corsOrigin is Kong's entry for a policy origin: a plain origin as it
// is, "*" as it is, and a wildcard origin as an anchored regex in which
// only "*" is special and matches one DNS label.
func corsOrigin(o string) string {
	if o == "*" || plainOrigin.MatchString(o) {
		return o
	}
	parts := strings.Split(o, "*")
	for i, p := range parts {
		parts[i] = regexp.QuoteMeta(p)
	}
	return "^" + strings.Join(parts, "[A-Za-z0-9-]+") + "$"
}

// headerNameRE is the schema's #HeaderName.
var headerNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]{0,63}$`)

// responseHeaders lists "Name:value" for the route's security headers
// and, on TLS listeners, Strict-Transport-Security.
func (e *emitter) responseHeaders(s *ir.Service, r *ir.Route) ([]string, error) {
	var out []string
	for _, h := range r.Headers.Set {
		if !headerNameRE.MatchString(h.Name) {
			return nil, fmt.Errorf("header name %q", h.Name)
		}
		if strings.ContainsAny(h.Value, "\r\n\x00") {
			return nil, fmt.Errorf("header %s: value has a control character", h.Name)
		}
		out = append(out, h.Name+":"+h.Value)
	}
	if v := e.hsts(s); v != "" {
		out = append(out, "Strict-Transport-Security:"+v)
	}
	return out, nil
}

// hsts is the Strict-Transport-Security value of the service's first
// TLS listener with HSTS.
func (e *emitter) hsts(s *ir.Service) string {
	for _, name := range s.Listeners {
		l := e.listeners[name]
		if l == nil || l.TLS == nil || l.TLS.HSTS == nil {
			continue
		}
		h := l.TLS.HSTS
		v := "max-age=" + strconv.Itoa(h.MaxAgeSeconds)
		if h.IncludeSubDomains {
			v += "; includeSubDomains"
		}
		if h.Preload {
			v += "; preload"
		}
		return v
	}
	return ""
}
