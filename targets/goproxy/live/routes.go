package live

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/drift"
	"github.com/rampart-policy/rampart/proxy/config"
)

// routes compares routes by ID. A route missing in live is neutral when
// no other live route matches its path (its requests get 404), and
// weakening when one does: they then get that route's controls. A route
// only live has is an undeclared route: weakening.
func (c *comparer) routes(want, got []config.Route) {
	irRoutes := map[string]*ir.Route{}
	for _, s := range c.p.Services {
		for _, r := range s.Routes {
			irRoutes[r.ID] = r
		}
	}
	gm := byName(got, func(r config.Route) string { return r.ID })
	wm := byName(want, func(r config.Route) string { return r.ID })
	for _, w := range want {
		r := irRoutes[w.ID]
		at := drift.At{Route: w.ID, Path: "routes[" + w.ID + "]"}
		if r != nil {
			at.Origin = r.Origin
		}
		g, ok := gm[w.ID]
		sev := drift.Neutral
		if other := fallsTo(w, got); other != "" {
			sev = drift.Weakening
			at.Path += " (now served by " + other + ")"
		}
		if !c.presence(withCtl(at, ir.CtlMethods, "route"), "route "+w.ID, true, ok, sev) {
			continue
		}
		at.Path = "routes[" + w.ID + "]"
		c.route(at, r, w, g)
	}
	for _, g := range got {
		if _, ok := wm[g.ID]; !ok {
			c.presence(drift.At{Control: ir.CtlUndeclared, Route: g.ID, Path: "routes[" + g.ID + "]"}, "route "+g.ID, false, true, drift.Weakening)
		}
	}
}

// fallsTo returns the ID of a live route other than w that shares a
// listener and a method with w and may match w's path — a prefix route
// above it or a pattern route of the same shape — or "" when there is
// none. It errs towards a match: that only raises the severity.
func fallsTo(w config.Route, got []config.Route) string {
	for _, g := range got {
		if g.ID == w.ID || !slices.ContainsFunc(g.Listeners, func(l string) bool { return slices.Contains(w.Listeners, l) }) ||
			!slices.ContainsFunc(g.Methods, func(m string) bool { return slices.Contains(w.Methods, m) }) {
			continue // the proxy answers 405 for a method the matching path does not declare
		}
		if g.Prefix && (g.Path == "/" || w.Path == g.Path || strings.HasPrefix(w.Path, strings.TrimSuffix(g.Path, "/")+"/")) {
			return g.ID
		}
		if samePattern(g.Path, w.Path) {
			return g.ID
		}
	}
	return ""
}

// samePattern reports whether pattern path p (with {param} segments)
// may match the requests of path q.
func samePattern(p, q string) bool {
	ps, qs := strings.Split(strings.Trim(p, "/"), "/"), strings.Split(strings.Trim(q, "/"), "/")
	if len(ps) != len(qs) {
		return false
	}
	for i := range ps {
		if ps[i] != qs[i] && !strings.HasPrefix(ps[i], "{") && !strings.HasPrefix(qs[i], "{") {
			return false
		}
	}
	return true
}

// origin returns at for control with the route's origin for it.
func origin(at drift.At, r *ir.Route, control, field string) drift.At {
	at = withCtl(at, control, field)
	if r == nil {
		return at
	}
	key := control
	if strings.HasPrefix(control, "authn.") {
		key = "authn"
	}
	if o, ok := r.Origins[key]; ok {
		at.Origin = o
	}
	return at
}

// route compares one route's controls.
func (c *comparer) route(at drift.At, r *ir.Route, w, g config.Route) {
	c.d.Set(origin(at, r, ir.CtlMethods, "methods"), "methods", w.Methods, g.Methods, drift.HigherWeakens)
	c.d.Set(origin(at, r, ir.CtlUndeclared, "listeners"), "listeners", w.Listeners, g.Listeners, drift.HigherWeakens)
	c.d.Value(origin(at, r, ir.CtlMethods, "path"), "path", fmt.Sprintf("%s prefix=%v", w.Path, w.Prefix), fmt.Sprintf("%s prefix=%v", g.Path, g.Prefix), drift.AnyWeakens)
	c.d.Value(origin(at, r, ir.CtlAuthzRules, "public"), "public (no authentication)", strconv.FormatBool(w.Public), strconv.FormatBool(g.Public), drift.AnyWeakens)
	c.d.Set(origin(at, r, ir.CtlAuthzRules, "providers"), "providers", w.Providers, g.Providers, drift.HigherWeakens)
	c.d.Value(origin(at, r, ir.CtlAuthzRules, "rules"), "authorization rules", js(w.Rules), js(g.Rules), drift.AnyWeakens)
	c.rateLimits(at, r, w.RateLimits, g.RateLimits)
	c.limits(at, r, w.Limits, g.Limits)
	c.d.Set(origin(at, r, ir.CtlContentTypes, "contentTypes"), "content types", w.ContentTypes, g.ContentTypes, drift.HigherWeakens)
	c.cors(origin(at, r, ir.CtlCORS, "cors"), w.CORS, g.CORS)
	c.headers(origin(at, r, ir.CtlHeaders, "headers"), w.Headers, g.Headers)
	c.d.Value(origin(at, r, ir.CtlHeaders, "hideServer"), "hide Server header", strconv.FormatBool(w.HideServer), strconv.FormatBool(g.HideServer), drift.AnyWeakens)
	c.d.Value(origin(at, r, ir.CtlAccessLog, "accessLog"), "route access log", strconv.FormatBool(w.AccessLog), strconv.FormatBool(g.AccessLog), drift.AnyWeakens)
}

// rateLimitControl maps a proxy limit key to its control.
func rateLimitControl(key string) string {
	switch {
	case key == "subject":
		return ir.CtlRateLimitSubject
	case key == "apiKey":
		return ir.CtlRateLimitAPIKey
	case strings.HasPrefix(key, "header:"):
		return ir.CtlRateLimitHeader
	}
	return ir.CtlRateLimit
}

// rateLimits compares limits by name: missing weakens, extra strengthens.
func (c *comparer) rateLimits(at drift.At, r *ir.Route, want, got []config.RateLimit) {
	gm := byName(got, func(l config.RateLimit) string { return l.Name })
	wm := byName(want, func(l config.RateLimit) string { return l.Name })
	for _, w := range want {
		a := withCtl(at, rateLimitControl(w.Key), "rateLimits["+w.Name+"]")
		if r != nil {
			for _, rl := range r.RateLimits {
				if rl.Name == w.Name {
					a.Origin = rl.Origin
				}
			}
		}
		g, ok := gm[w.Name]
		if !ok {
			c.d.Add(a, "rate limit "+w.Name, drift.Finding{Direction: drift.Missing, Severity: drift.Weakening, Expected: js(w),
				Message: "rate limit " + w.Name + " is missing in live"})
			continue
		}
		c.d.Number(a, "rate limit "+w.Name+" rate", milli(w.RatePerSecond), milli(g.RatePerSecond), drift.HigherWeakens, showMilli)
		c.d.Number(a, "rate limit "+w.Name+" burst", int64(w.Burst), int64(g.Burst), drift.HigherWeakens, showInt)
		c.d.Value(a, "rate limit "+w.Name+" key", fmt.Sprintf("%s shared=%v", w.Key, w.Shared), fmt.Sprintf("%s shared=%v", g.Key, g.Shared), drift.AnyWeakens)
	}
	for _, g := range got {
		if _, ok := wm[g.Name]; !ok {
			c.d.Add(withCtl(at, rateLimitControl(g.Key), "rateLimits["+g.Name+"]"), "rate limit "+g.Name, drift.Finding{Direction: drift.Unexpected,
				Severity: drift.Strengthening, Actual: js(g), Message: "live has rate limit " + g.Name + ", which the policy does not set"})
		}
	}
}

func milli(f float64) int64    { return int64(f*1000 + 0.5) }
func showMilli(n int64) string { return strconv.FormatFloat(float64(n)/1000, 'f', -1, 64) + "/s" }
func showInt(n int64) string   { return strconv.FormatInt(n, 10) }
func unlimitedIfZero(n int) int64 {
	if n == 0 {
		return -1
	}
	return int64(n)
}

// limits compares size and time limits; 0 (the proxy's default) counts
// as higher than any value the policy sets.
func (c *comparer) limits(at drift.At, r *ir.Route, w, g config.Limits) {
	for _, f := range []struct {
		ctl, name string
		w, g      int
	}{
		{ir.CtlBodyLimit, "maxBodyBytes", w.MaxBodyBytes, g.MaxBodyBytes},
		{ir.CtlHeaderLimit, "maxHeaderBytes", w.MaxHeaderBytes, g.MaxHeaderBytes},
		{ir.CtlTimeouts, "headerTimeoutSeconds", w.HeaderTimeoutSeconds, g.HeaderTimeoutSeconds},
		{ir.CtlTimeouts, "bodyTimeoutSeconds", w.BodyTimeoutSeconds, g.BodyTimeoutSeconds},
		{ir.CtlTimeouts, "idleTimeoutSeconds", w.IdleTimeoutSeconds, g.IdleTimeoutSeconds},
		{ir.CtlTimeouts, "upstreamTimeoutSeconds", w.UpstreamTimeoutSeconds, g.UpstreamTimeoutSeconds},
	} {
		show := func(n int64) string {
			if n < 0 {
				return "unset (proxy default)"
			}
			return showInt(n)
		}
		c.d.Number(origin(at, r, f.ctl, "limits."+f.name), f.name, unlimitedIfZero(f.w), unlimitedIfZero(f.g), drift.HigherWeakens, show)
	}
}

// cors compares the CORS policy: extra origins, methods or headers
// weaken; other differences are compared as values.
func (c *comparer) cors(at drift.At, w, g *config.CORS) {
	if !c.presence(at, "CORS policy", w != nil, g != nil, drift.Neutral) {
		return
	}
	c.d.Set(at, "CORS allowed origins", w.AllowOrigins, g.AllowOrigins, drift.HigherWeakens)
	c.d.Set(at, "CORS allowed methods", w.AllowMethods, g.AllowMethods, drift.HigherWeakens)
	c.d.Set(at, "CORS allowed headers", w.AllowHeaders, g.AllowHeaders, drift.HigherWeakens)
	c.d.Value(at, "CORS credentials", strconv.FormatBool(w.AllowCredentials), strconv.FormatBool(g.AllowCredentials), drift.AnyWeakens)
}

// headers compares response headers by name (case-insensitive): missing
// or changed weakens, extra is neutral.
func (c *comparer) headers(at drift.At, want, got []config.Header) {
	key := func(h config.Header) string { return strings.ToLower(h.Name) }
	wm, gm := byName(want, key), byName(got, key)
	for _, w := range want {
		c.d.Value(at, "header "+w.Name, w.Value, gm[key(w)].Value, drift.AnyWeakens)
	}
	for _, g := range got {
		if _, ok := wm[key(g)]; !ok {
			c.d.Value(at, "header "+g.Name, "", g.Value, drift.HigherWeakens)
		}
	}
}
