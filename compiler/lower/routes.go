package lower

import (
	"slices"
	"strings"

	"github.com/rampart-policy/rampart/compiler/ir"
)

// service lowers one service and resolves each route's effective controls.
func (l *lowerer) service(name string, s rawService) *ir.Service {
	out := &ir.Service{Name: name, UpstreamURL: s.Upstream.URL, Listeners: s.Listeners,
		Classification: s.Classification, Owner: s.Owner, Purpose: s.Purpose,
		DataCategories: s.DataCategories, Routes: []*ir.Route{}, Origin: l.origin("services", name)}
	if t := s.Upstream.TLS; t != nil {
		out.UpstreamTLS = &ir.UpstreamTLS{Verify: t.Verify, CAFile: t.CA, ServerName: t.ServerName}
		if c := t.ClientCertificate; c != nil {
			out.UpstreamTLS.CertFile, out.UpstreamTLS.KeyFile = c.Cert, c.Key
		}
	} else if strings.HasPrefix(s.Upstream.URL, "https://") {
		// An https upstream without a tls block is verified against the
		// system roots: the effective control is explicit in the IR, so
		// every target must enforce it (Kong, for one, does not verify
		// upstreams unless told to).
		out.UpstreamTLS = &ir.UpstreamTLS{Verify: true}
	}
	for _, rn := range sortedKeys(s.Routes) {
		out.Routes = append(out.Routes, l.route(name, &s, rn, s.Routes[rn]))
	}
	return out
}

// level is one level of inheritance with the CUE path prefix it lives at.
type level struct {
	scope string
	c     *rawControls
	path  []string
}

// route resolves a route: the nearest level that sets a control wins;
// rate limits and extra headers merge by name, nearer levels replacing.
func (l *lowerer) route(svc string, s *rawService, name string, r rawRoute) *ir.Route {
	levels := []level{
		{"route", &r.rawControls, []string{"services", svc, "routes", name}},
		{"service", &s.rawControls, []string{"services", svc}},
		{"policy", &l.raw.Defaults, []string{"defaults"}},
	}
	out := &ir.Route{Name: name, ID: svc + "/" + name, Service: svc, Path: r.Path, Prefix: r.Match == "prefix",
		Methods: r.Methods, Classification: r.Classification, Public: r.Public, AuthEndpoint: r.AuthEndpoint,
		Providers: []string{}, Rules: []ir.Rule{}, RateLimits: []ir.RateLimit{},
		Origin: l.origin(levels[0].path...), Origins: map[string]ir.Origin{}}
	if lv, ok := nearest(levels, func(c *rawControls) bool { return c.Authentication != nil }); ok && !r.Public {
		out.Providers = slices.Clone(*lv.c.Authentication)
		out.Origins["authn"] = l.origin(append(lv.path, "authentication")...)
	}
	if lv, ok := nearest(levels, func(c *rawControls) bool { return c.Allow != nil }); ok && !r.Public {
		for _, rr := range *lv.c.Allow {
			out.Rules = append(out.Rules, ir.Rule{Methods: rr.Methods, Roles: rr.Roles, Scopes: rr.Scopes, AnyAuthenticated: rr.AnyAuthenticated})
		}
		out.Origins[ir.CtlAuthzRules] = l.origin(append(lv.path, "allow")...)
	}
	out.RateLimits = l.rateLimits(levels)
	out.Limits = resolveLimits(levels)
	if lv, ok := nearest(levels, func(c *rawControls) bool { return c.ContentTypes != nil }); ok {
		out.ContentTypes = *lv.c.ContentTypes
	}
	if lv, ok := nearest(levels, func(c *rawControls) bool { return c.CORS != nil }); ok {
		c := lv.c.CORS
		out.CORS = &ir.CORS{AllowOrigins: c.AllowOrigins, AllowMethods: nonNil(c.AllowMethods), AllowHeaders: nonNil(c.AllowHeaders),
			ExposeHeaders: nonNil(c.ExposeHeaders), AllowCredentials: c.AllowCredentials, MaxAgeSeconds: c.MaxAgeSeconds}
		out.Origins[ir.CtlCORS] = l.origin(append(lv.path, "cors")...)
	}
	out.Headers = resolveHeaders(levels)
	l.settingOrigins(out, levels)
	out.AccessLog = l.raw.Logging.Enabled
	if lv, ok := nearest(levels, func(c *rawControls) bool { return c.AccessLog != nil }); ok {
		out.AccessLog = l.raw.Logging.Enabled && *lv.c.AccessLog
	}
	return out
}

// settingOrigins records where the route's limits, content types and
// response headers are set, field by field (each comes from the nearest
// level that sets it), so that messages about them (rampart diff) point at
// the line that sets the value rather than at the route. Keys are the
// control for the size limits and content types, "limits.timeouts.<field>"
// for timeouts, "headers.<Header-Name>" and "headers.hideServerTokens".
func (l *lowerer) settingOrigins(out *ir.Route, levels []level) {
	set := func(key string, has func(*rawControls) bool, fields ...string) {
		if lv, ok := nearest(levels, has); ok {
			out.Origins[key] = l.origin(append(slices.Clone(lv.path), fields...)...)
		}
	}
	set(ir.CtlBodyLimit, func(c *rawControls) bool { return c.Limits.MaxBodyBytes != nil }, "limits", "maxBodyBytes")
	set(ir.CtlHeaderLimit, func(c *rawControls) bool { return c.Limits.MaxHeaderBytes != nil }, "limits", "maxHeaderBytes")
	set("limits.timeouts.headerSeconds", func(c *rawControls) bool { return c.Limits.Timeouts.HeaderSeconds != nil }, "limits", "timeouts", "headerSeconds")
	set("limits.timeouts.bodySeconds", func(c *rawControls) bool { return c.Limits.Timeouts.BodySeconds != nil }, "limits", "timeouts", "bodySeconds")
	set("limits.timeouts.idleSeconds", func(c *rawControls) bool { return c.Limits.Timeouts.IdleSeconds != nil }, "limits", "timeouts", "idleSeconds")
	set("limits.timeouts.upstreamSeconds", func(c *rawControls) bool { return c.Limits.Timeouts.UpstreamSeconds != nil }, "limits", "timeouts", "upstreamSeconds")
	set(ir.CtlContentTypes, func(c *rawControls) bool { return c.ContentTypes != nil }, "contentTypes")
	set("headers.Content-Security-Policy", func(c *rawControls) bool { return c.Headers.ContentSecurityPolicy != nil }, "headers", "contentSecurityPolicy")
	set("headers.X-Content-Type-Options", func(c *rawControls) bool { return c.Headers.ContentTypeOptions != nil }, "headers", "contentTypeOptions")
	set("headers.X-Frame-Options", func(c *rawControls) bool { return c.Headers.FrameOptions != nil }, "headers", "frameOptions")
	set("headers.Referrer-Policy", func(c *rawControls) bool { return c.Headers.ReferrerPolicy != nil }, "headers", "referrerPolicy")
	set("headers.Cache-Control", func(c *rawControls) bool { return c.Headers.CacheControl != nil }, "headers", "cacheControl")
	set("headers.hideServerTokens", func(c *rawControls) bool { return c.Headers.HideServerTokens != nil }, "headers", "hideServerTokens")
	for _, lv := range levels {
		for _, k := range sortedKeys(lv.c.Headers.Extra) {
			key := "headers." + canonicalHeader(k)
			if _, seen := out.Origins[key]; !seen && !slices.Contains(standardHeaders, canonicalHeader(k)) {
				out.Origins[key] = l.origin(append(slices.Clone(lv.path), "headers", "extra", k)...)
			}
		}
	}
}

// nearest returns the first level whose controls satisfy set.
func nearest(levels []level, set func(*rawControls) bool) (level, bool) {
	for _, lv := range levels {
		if set(lv.c) {
			return lv, true
		}
	}
	return level{}, false
}

// rateLimits merges rate limits by name, nearer levels replacing farther.
func (l *lowerer) rateLimits(levels []level) []ir.RateLimit {
	byName := map[string]ir.RateLimit{}
	for i := len(levels) - 1; i >= 0; i-- {
		lv := levels[i]
		for _, n := range sortedKeys(lv.c.RateLimits) {
			rl := lv.c.RateLimits[n]
			byName[n] = ir.RateLimit{Name: n, Scope: lv.scope, Requests: rl.Requests, Per: rl.Per, PerHour: rl.PerHour,
				Burst: rl.Burst, Key: rl.Key, Header: rl.Header, Shared: rl.Shared,
				Origin: l.origin(append(lv.path, "rateLimits", n)...)}
		}
	}
	out := []ir.RateLimit{}
	for _, n := range sortedKeys(byName) {
		out = append(out, byName[n])
	}
	return out
}

// resolveLimits takes each limit from the nearest level that sets it.
func resolveLimits(levels []level) ir.Limits {
	pick := func(get func(*rawControls) *int) int {
		for _, lv := range levels {
			if v := get(lv.c); v != nil {
				return *v
			}
		}
		return 0
	}
	return ir.Limits{
		MaxBodyBytes:    pick(func(c *rawControls) *int { return c.Limits.MaxBodyBytes }),
		MaxHeaderBytes:  pick(func(c *rawControls) *int { return c.Limits.MaxHeaderBytes }),
		HeaderTimeout:   pick(func(c *rawControls) *int { return c.Limits.Timeouts.HeaderSeconds }),
		BodyTimeout:     pick(func(c *rawControls) *int { return c.Limits.Timeouts.BodySeconds }),
		IdleTimeout:     pick(func(c *rawControls) *int { return c.Limits.Timeouts.IdleSeconds }),
		UpstreamTimeout: pick(func(c *rawControls) *int { return c.Limits.Timeouts.UpstreamSeconds }),
	}
}

// resolveHeaders builds the full effective header set: each standard
// header from the nearest level that sets it or its secure default, then
// extra headers merged by name and sorted.
func resolveHeaders(levels []level) ir.Headers {
	pick := func(get func(*rawControls) *string, def string) string {
		for _, lv := range levels {
			if v := get(lv.c); v != nil {
				return *v
			}
		}
		return def
	}
	var set []ir.Header
	add := func(name, value string) {
		if value != "" {
			set = append(set, ir.Header{Name: name, Value: value})
		}
	}
	add("Content-Security-Policy", pick(func(c *rawControls) *string { return c.Headers.ContentSecurityPolicy }, ""))
	add("X-Content-Type-Options", pick(func(c *rawControls) *string { return c.Headers.ContentTypeOptions }, "nosniff"))
	add("X-Frame-Options", pick(func(c *rawControls) *string { return c.Headers.FrameOptions }, "DENY"))
	add("Referrer-Policy", pick(func(c *rawControls) *string { return c.Headers.ReferrerPolicy }, "no-referrer"))
	add("Cache-Control", pick(func(c *rawControls) *string { return c.Headers.CacheControl }, ""))
	extra := map[string]string{}
	for i := len(levels) - 1; i >= 0; i-- {
		for k, v := range levels[i].c.Headers.Extra {
			extra[canonicalHeader(k)] = v
		}
	}
	for _, k := range sortedKeys(extra) {
		if !slices.Contains(standardHeaders, k) {
			add(k, extra[k])
		}
	}
	hide := true
	for _, lv := range levels {
		if v := lv.c.Headers.HideServerTokens; v != nil {
			hide = *v
			break
		}
	}
	return ir.Headers{Set: set, HideServerTokens: hide}
}

// standardHeaders are set from their own fields; headers.extra may not
// name them (RMP224), so baselines can check one place.
var standardHeaders = []string{"Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy", "Cache-Control"}

// canonicalHeader capitalises each dash-separated word, as Go's
// http.CanonicalHeaderKey does, so header sets compare stably.
func canonicalHeader(s string) string {
	parts := strings.Split(strings.ToLower(s), "-")
	for i, p := range parts {
		if p != "" {
			parts[i] = strings.ToUpper(p[:1]) + p[1:]
		}
	}
	return strings.Join(parts, "-")
}
