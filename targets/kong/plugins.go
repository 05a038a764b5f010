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
	caps := map[string]bool{}
	for c := range New().Capabilities(e.p) {
		caps[c] = true
	}
	out, auth := e.authPlugins(r, caps)
	if r.CORS != nil {
		out = append(out, e.corsPlugin(r))
	}
	if rl, ok := e.rateLimit(r, auth, caps, parts); ok {
		out = append(out, rl)
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
