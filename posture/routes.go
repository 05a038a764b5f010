package posture

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/drift"
)

// routes compares one service's routes by name.
func (d *differ) routes(bs, hs []*ir.Route, svc ir.Origin) {
	bm, hm := byName(bs, func(r *ir.Route) string { return r.Name }), byName(hs, func(r *ir.Route) string { return r.Name })
	for _, name := range unionKeys(bm, hm) {
		b, h := bm[name], hm[name]
		d.compare(b == nil || h == nil)
		switch {
		case h == nil && b.Public:
			d.add(where{route: b.ID, origin: svc}, drift.Strengthening, drift.Missing, ir.CtlAuthzRules, routePath(b), describe(b), "",
				"public route %s removed", describe(b))
		case h == nil:
			d.add(where{route: b.ID, origin: svc}, drift.Neutral, drift.Missing, "", routePath(b), describe(b), "",
				"route %s removed", describe(b))
		case b == nil:
			d.routeAdded(h)
		default:
			d.route(b, h)
		}
	}
}

// routeAdded reports a new route: a public one is a weakening to flag.
func (d *differ) routeAdded(h *ir.Route) {
	w := where{route: h.ID, origin: h.Origin}
	if h.Public {
		d.add(w, drift.Weakening, drift.Unexpected, ir.CtlAuthzRules, routePath(h), "", describe(h),
			"new public route %s: no authentication", describe(h))
		return
	}
	d.add(w, drift.Neutral, drift.Unexpected, "", routePath(h), "", describe(h),
		"new route %s, authenticated by %s", describe(h), list(h.Providers))
}

// describe names a route for messages: "POST /login".
func describe(r *ir.Route) string {
	path := r.Path
	if r.Prefix {
		path += "/**"
	}
	return strings.Join(r.Methods, ",") + " " + path
}

func routePath(r *ir.Route) string { return "services." + r.Service + ".routes." + r.Name }

// routeWhere is the scope of a route's changes, pointing at control's
// origin when lowering recorded one.
func routeWhere(r *ir.Route, control string) where {
	o, ok := r.Origins[control]
	if !ok {
		o = r.Origin
	}
	return where{route: r.ID, label: "on " + describe(r), scope: "on " + describe(r), origin: o}
}

// route compares one route present on both sides.
func (d *differ) route(b, h *ir.Route) {
	w := routeWhere(h, "")
	p := routePath(h)
	d.text(w, ir.CtlMethods, p+".path", "path", b.Path, h.Path)
	d.flag(w, ir.CtlUndeclared, p+".match", b.Prefix, h.Prefix, false,
		"route "+h.ID+" now matches every path below "+h.Path, "route "+h.ID+" now matches "+h.Path+" exactly")
	d.set(w, ir.CtlMethods, p+".methods", "allowed methods", b.Methods, h.Methods, drift.Weakening)
	d.classification(w, p+".classification", b.Classification, h.Classification)
	d.text(w, "", p+".authEndpoint", "authEndpoint", strconv.FormatBool(b.AuthEndpoint), strconv.FormatBool(h.AuthEndpoint))
	d.authn(b, h)
	d.rateLimits(b, h)
	d.limits(h, p+".limits", b.Limits, h.Limits)
	d.allowList(routeWhere(h, ir.CtlContentTypes), ir.CtlContentTypes, p+".contentTypes", "accepted content types", b.ContentTypes, h.ContentTypes)
	d.cors(routeWhere(h, ir.CtlCORS), p+".cors", b.CORS, h.CORS)
	d.headers(h, p+".headers", b.Headers, h.Headers)
	d.flag(w, ir.CtlAccessLog, p+".accessLog", b.AccessLog, h.AccessLog, true,
		"requests "+w.label+" are now logged", "requests "+w.label+" are no longer logged")
}

// authn compares whether a route authenticates, with which providers, and
// its allow rules.
func (d *differ) authn(b, h *ir.Route) {
	w := routeWhere(h, "authn")
	p := routePath(h)
	if d.compare(b.Public != h.Public) {
		if h.Public {
			d.add(w, drift.Weakening, drift.Changed, ir.CtlAuthzRules, p+".public", "authenticated", "public",
				"route %s lost authentication (now public)", describe(h))
		} else {
			d.add(w, drift.Strengthening, drift.Changed, ir.CtlAuthzRules, p+".public", "public", "authenticated",
				"route %s now requires authentication (%s)", describe(h), list(h.Providers))
		}
		return
	}
	if h.Public {
		return
	}
	added, removed := setDiff(b.Providers, h.Providers)
	d.compare(len(added)+len(removed) > 0)
	for _, pr := range added {
		d.add(w, drift.Weakening, drift.Unexpected, d.providerCtl(d.head, pr), p+".authentication", "", pr,
			"route %s now also accepts provider %s", describe(h), pr)
	}
	for _, pr := range removed {
		d.add(w, drift.Strengthening, drift.Missing, d.providerCtl(d.base, pr), p+".authentication", pr, "",
			"route %s no longer accepts provider %s", describe(h), pr)
	}
	d.rules(routeWhere(h, ir.CtlAuthzRules), h.Path, p+".allow", b.Rules, h.Rules)
}

func (d *differ) providerCtl(p *ir.Policy, name string) string {
	for _, pr := range p.Providers {
		if pr.Name == name {
			return providerControl[pr.Kind]
		}
	}
	return ""
}

// rules compares allow rules, grouped by the methods they cover (rules on
// the same methods add up, since any rule allows).
func (d *differ) rules(w where, path, p string, b, h []ir.Rule) {
	bm, hm := groupRules(b), groupRules(h)
	for _, m := range unionKeys(bm, hm) {
		br, inB := bm[m]
		hr, inH := hm[m]
		rw := w
		rw.label = "for " + m + " requests on " + path
		if m == "*" {
			rw.label = "for every method on " + path
		}
		d.compare(!inB || !inH)
		switch {
		case !inH:
			d.add(rw, drift.Strengthening, drift.Missing, ir.CtlAuthzRules, p, ruleText(br), "", "allow rule %s removed (%s)", rw.label, ruleText(br))
		case !inB:
			d.add(rw, drift.Weakening, drift.Unexpected, ir.CtlAuthzRules, p, "", ruleText(hr), "new allow rule %s (%s)", rw.label, ruleText(hr))
		default:
			d.set(rw, ir.CtlAuthzRules, p+".roles", "roles allowed", br.Roles, hr.Roles, drift.Weakening)
			d.set(rw, ir.CtlAuthzRules, p+".scopes", "scopes allowed", br.Scopes, hr.Scopes, drift.Weakening)
			d.flag(rw, ir.CtlAuthzRules, p+".anyAuthenticated", br.AnyAuthenticated, hr.AnyAuthenticated, false,
				"any authenticated caller is now allowed "+rw.label, "no longer any authenticated caller is allowed "+rw.label)
		}
	}
}

// groupRules merges rules by their methods ("*" for every method).
func groupRules(rs []ir.Rule) map[string]ir.Rule {
	out := map[string]ir.Rule{}
	for _, r := range rs {
		ms := slices.Clone(r.Methods)
		slices.Sort(ms)
		key := strings.Join(ms, ",")
		if key == "" {
			key = "*"
		}
		g := out[key]
		g.Methods = ms
		g.Roles = append(g.Roles, r.Roles...)
		g.Scopes = append(g.Scopes, r.Scopes...)
		g.AnyAuthenticated = g.AnyAuthenticated || r.AnyAuthenticated
		out[key] = g
	}
	return out
}

func ruleText(r ir.Rule) string {
	var parts []string
	if r.AnyAuthenticated {
		parts = append(parts, "any authenticated caller")
	}
	if len(r.Roles) > 0 {
		parts = append(parts, "roles "+list(r.Roles))
	}
	if len(r.Scopes) > 0 {
		parts = append(parts, "scopes "+list(r.Scopes))
	}
	return strings.Join(parts, "; ")
}

// limits compares size limits and timeouts of route r; zero means
// unlimited. Each change points at the line that sets the value in HEAD.
func (d *differ) limits(r *ir.Route, p string, b, h ir.Limits) {
	d.number(routeWhere(r, ir.CtlBodyLimit), ir.CtlBodyLimit, p+".maxBodyBytes", "body size limit", b.MaxBodyBytes, h.MaxBodyBytes, lowerStronger, count("bytes"))
	d.number(routeWhere(r, ir.CtlHeaderLimit), ir.CtlHeaderLimit, p+".maxHeaderBytes", "header size limit", b.MaxHeaderBytes, h.MaxHeaderBytes, lowerStronger, count("bytes"))
	for _, t := range []struct {
		field, what string
		b, h        int
	}{
		{"headerSeconds", "header timeout", b.HeaderTimeout, h.HeaderTimeout},
		{"bodySeconds", "body timeout", b.BodyTimeout, h.BodyTimeout},
		{"idleSeconds", "idle timeout", b.IdleTimeout, h.IdleTimeout},
		{"upstreamSeconds", "upstream timeout", b.UpstreamTimeout, h.UpstreamTimeout},
	} {
		d.number(routeWhere(r, "limits.timeouts."+t.field), ir.CtlTimeouts, p+".timeouts."+t.field, t.what, t.b, t.h, lowerStronger, count("s"))
	}
}

// headers compares route r's response security headers by name; each
// change points at the line that sets the header in HEAD.
func (d *differ) headers(r *ir.Route, p string, b, h ir.Headers) {
	bm, hm := map[string]string{}, map[string]string{}
	for _, x := range b.Set {
		bm[x.Name] = x.Value
	}
	for _, x := range h.Set {
		hm[x.Name] = x.Value
	}
	for _, name := range unionKeys(bm, hm) {
		bv, inB := bm[name]
		hv, inH := hm[name]
		d.compare(!inB || !inH || bv != hv)
		w := routeWhere(r, "headers."+name)
		switch {
		case !inH:
			d.add(w, opposite(headerAddedSeverity(name)), drift.Missing, ir.CtlHeaders, p+"."+name, bv, "", "response header %s removed %s (was %q)", name, w.label, bv)
		case !inB:
			d.add(w, headerAddedSeverity(name), drift.Unexpected, ir.CtlHeaders, p+"."+name, "", hv, "response header %s added %s (%q)", name, w.label, hv)
		case bv != hv:
			d.add(w, headerValueSeverity(name, bv, hv), drift.Changed, ir.CtlHeaders, p+"."+name, bv, hv, "response header %s %s changed %q → %q", name, w.label, bv, hv)
		}
	}
	w := routeWhere(r, "headers.hideServerTokens")
	d.flag(w, ir.CtlHeaders, p+".hideServerTokens", b.HideServerTokens, h.HideServerTokens, true,
		"server version is now hidden "+w.label, "server version is no longer hidden "+w.label)
}

// securityHeaders are response headers that restrict what a browser or
// cache may do with a response: adding one strengthens, removing one
// weakens.
var securityHeaders = []string{
	"cache-control", "content-security-policy", "cross-origin-embedder-policy", "cross-origin-opener-policy",
	"cross-origin-resource-policy", "permissions-policy", "referrer-policy", "strict-transport-security",
	"x-content-type-options", "x-frame-options", "x-permitted-cross-domain-policies",
}

// headerAddedSeverity judges a response header that HEAD adds: a security
// header strengthens; an Access-Control-* header (set through
// headers.extra) opens the response to other origins and weakens; any
// other header is neutral. Removing a header has the opposite severity.
func headerAddedSeverity(name string) drift.Severity {
	lower := strings.ToLower(name)
	switch {
	case slices.Contains(securityHeaders, lower):
		return drift.Strengthening
	case strings.HasPrefix(lower, "access-control-"):
		return drift.Weakening
	}
	return drift.Neutral
}

// headerScales rank the values of the security headers whose values have
// an order, from weakest to strongest: SAMEORIGIN lets the site frame
// itself, DENY does not; a referrer policy is stronger the less of the URL
// it sends, and to fewer places.
var headerScales = map[string][]string{
	"x-frame-options": {"SAMEORIGIN", "DENY"},
	"referrer-policy": {"strict-origin-when-cross-origin", "strict-origin", "same-origin", "no-referrer"},
}

// headerValueSeverity judges a changed response-header value: losing
// Cache-Control no-store lets browsers and proxies keep the response (a
// weakening), gaining it is a strengthening; ordered headers move on their
// scale; any other change (a new Content-Security-Policy, say) is neutral.
func headerValueSeverity(name, b, h string) drift.Severity {
	lower := strings.ToLower(name)
	if lower == "cache-control" {
		switch bs, hs := noStore(b), noStore(h); {
		case bs && !hs:
			return drift.Weakening
		case !bs && hs:
			return drift.Strengthening
		}
		return drift.Neutral
	}
	scale, ok := headerScales[lower]
	if !ok {
		return drift.Neutral
	}
	bi, hi := slices.Index(scale, b), slices.Index(scale, h)
	switch {
	case bi < 0 || hi < 0:
		return drift.Neutral
	case hi > bi:
		return drift.Strengthening
	case hi < bi:
		return drift.Weakening
	}
	return drift.Neutral
}

// noStore reports whether a Cache-Control value carries the no-store
// directive.
func noStore(v string) bool {
	for _, d := range strings.Split(v, ",") {
		d, _, _ = strings.Cut(d, "=")
		if strings.EqualFold(strings.TrimSpace(d), "no-store") {
			return true
		}
	}
	return false
}

// cors compares cross-origin policies: allowing more is a weakening.
func (d *differ) cors(w where, p string, b, h *ir.CORS) {
	if !d.compare((b == nil) != (h == nil)) {
		if b == nil {
			return
		}
		d.set(w, ir.CtlCORS, p+".allowOrigins", "CORS origins", b.AllowOrigins, h.AllowOrigins, drift.Weakening)
		d.flag(w, ir.CtlCORS, p+".allowCredentials", b.AllowCredentials, h.AllowCredentials, false,
			"CORS now allows credentials "+w.label, "CORS no longer allows credentials "+w.label)
		d.set(w, ir.CtlCORS, p+".allowMethods", "CORS methods", b.AllowMethods, h.AllowMethods, drift.Weakening)
		d.set(w, ir.CtlCORS, p+".allowHeaders", "CORS request headers", b.AllowHeaders, h.AllowHeaders, drift.Weakening)
		d.set(w, ir.CtlCORS, p+".exposeHeaders", "CORS exposed headers", b.ExposeHeaders, h.ExposeHeaders, drift.Weakening)
		d.text(w, ir.CtlCORS, p+".maxAgeSeconds", "CORS preflight max-age", strconv.Itoa(b.MaxAgeSeconds), strconv.Itoa(h.MaxAgeSeconds))
		return
	}
	if h == nil {
		d.add(w, drift.Strengthening, drift.Missing, ir.CtlCORS, p, list(b.AllowOrigins), "", "cross-origin requests %s no longer allowed (were from %s)", w.label, list(b.AllowOrigins))
		return
	}
	d.add(w, drift.Weakening, drift.Unexpected, ir.CtlCORS, p, "", list(h.AllowOrigins), "cross-origin requests %s now allowed from %s%s", w.label, list(h.AllowOrigins), credNote(h))
}

func credNote(c *ir.CORS) string {
	if c.AllowCredentials {
		return " with credentials"
	}
	return ""
}

// rateLimits compares rate limits by name.
func (d *differ) rateLimits(b, h *ir.Route) {
	bm, hm := byName(b.RateLimits, func(r ir.RateLimit) string { return r.Name }), byName(h.RateLimits, func(r ir.RateLimit) string { return r.Name })
	label := "on " + describe(h)
	for _, name := range unionKeys(bm, hm) {
		br, inB := bm[name]
		hr, inH := hm[name]
		p := routePath(h) + ".rateLimits." + name
		w := where{route: h.ID, label: label, scope: label, origin: hr.Origin}
		if !inH {
			w.origin = h.Origin
		}
		d.compare(!inB || !inH)
		switch {
		case !inH:
			d.add(w, drift.Weakening, drift.Missing, rateLimitControl(br), p, rate(br), "", "rate limit %s %s removed (was %s)", name, label, rate(br))
		case !inB:
			d.add(w, drift.Strengthening, drift.Unexpected, rateLimitControl(hr), p, "", rate(hr), "rate limit %s %s added (%s)", name, label, rate(hr))
		default:
			d.rateLimit(w, p, br, hr)
		}
	}
}

// rateLimit compares one rate limit present on both sides.
func (d *differ) rateLimit(w where, p string, b, h ir.RateLimit) {
	ctl := rateLimitControl(h)
	if d.compare(b.PerHour != h.PerHour || b.Requests != h.Requests || b.Per != h.Per) {
		sev, verb := drift.Neutral, "changed"
		switch {
		case h.PerHour > b.PerHour:
			sev, verb = drift.Weakening, "raised"
		case h.PerHour < b.PerHour:
			sev, verb = drift.Strengthening, "lowered"
		}
		d.add(w, sev, drift.Changed, ctl, p, rate(b), rate(h), "rate limit %s %s %s %s → %s", h.Name, w.label, verb, rate(b), rate(h))
	}
	d.number(where{route: w.route, label: "of rate limit " + h.Name + " " + w.label, scope: w.scope, origin: w.origin}, ctl, p+".burst", "burst", b.Burst, h.Burst, lowerStrongerZero, literal("requests"))
	d.rateLimitKey(w, ctl, p+".key", h.Name, b, h)
	d.flag(w, ir.CtlRateLimitShared, p+".shared", b.Shared, h.Shared, true,
		"rate limit "+h.Name+" "+w.label+" is now shared by every gateway instance",
		"rate limit "+h.Name+" "+w.label+" is no longer shared: each gateway instance counts separately")
}

// rateLimitKey compares what a bucket is kept per. A request header is
// whatever the client sends: keyed by one, a client evades the limit by
// sending a new value each time, so moving to a header key weakens the
// limit and moving off one strengthens it; other moves are neutral.
func (d *differ) rateLimitKey(w where, ctl, p, name string, b, h ir.RateLimit) {
	bk, hk := keyText(b), keyText(h)
	if !d.compare(bk != hk) {
		return
	}
	sev := drift.Neutral
	switch {
	case h.Key == "header" && b.Key != "header":
		sev = drift.Weakening
	case b.Key == "header" && h.Key != "header":
		sev = drift.Strengthening
	}
	d.add(w, sev, drift.Changed, ctl, p, bk, hk, "key of rate limit %s %s changed %s → %s", name, w.label, bk, hk)
}

func rate(r ir.RateLimit) string { return fmt.Sprintf("%d/%s", r.Requests, r.Per) }

func keyText(r ir.RateLimit) string {
	if r.Key == "header" {
		return "header " + r.Header
	}
	return r.Key
}

func rateLimitControl(r ir.RateLimit) string {
	return map[string]string{"ip": ir.CtlRateLimit, "subject": ir.CtlRateLimitSubject, "apiKey": ir.CtlRateLimitAPIKey, "header": ir.CtlRateLimitHeader}[r.Key]
}
