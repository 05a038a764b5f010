package live

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/drift"
)

// location compares one expected location with its live counterpart.
func (c *comparer) location(server drift.At, wl, gl *location) {
	r := c.route(wl)
	at := drift.At{Listener: server.Listener, Path: server.Path + " " + wl.key, Origin: server.Origin}
	if r != nil {
		at.Route, at.Origin = r.ID, r.Origin
	}
	if gl == nil {
		ctl := ir.CtlMethods
		if r == nil {
			ctl = ir.CtlUndeclared
		}
		c.d.Add(withCtl(at, ctl), "location block", drift.Finding{Direction: drift.Missing, Severity: drift.Weakening,
			Expected: wl.key, Message: "live lacks the location " + wl.key + "; requests fall through to another location"})
		return
	}
	c.d.Value(with(at, ir.CtlUndeclared, "internal"), "internal (not reachable from clients)", wl.internal, gl.internal, drift.AnyWeakens)
	c.number(with(at, ir.CtlBodyLimit, "client_max_body_size"), "client_max_body_size", wl.settings, gl.settings, size)
	for _, t := range []string{"client_body_timeout", "keepalive_timeout", "proxy_connect_timeout", "proxy_read_timeout", "proxy_send_timeout"} {
		c.number(with(at, ir.CtlTimeouts, t), t, wl.settings, gl.settings, seconds)
	}
	c.upstream(at, wl.settings, gl.settings)
	c.d.Value(c.authAt(at, r), "auth_request", wl.settings["auth_request"], gl.settings["auth_request"], drift.AnyWeakens)
	sat := c.authAt(at, r)
	sat.Path = at.Path + ".satisfy"
	c.d.Value(sat, "satisfy", wl.settings["satisfy"], gl.settings["satisfy"], drift.AnyWeakens)
	c.d.Value(c.originAt(with(at, ir.CtlAccessLog, "access_log"), r, c.p.Logging.Origin), "access_log", wl.settings["access_log"], gl.settings["access_log"], drift.AnyWeakens)
	switch ma := with(at, ir.CtlMethods, "if($request_method)"); {
	case wl.methods != nil && gl.methods == nil:
		c.d.Add(ma, "allowed methods", drift.Finding{Direction: drift.Missing, Severity: drift.Weakening, Expected: strings.Join(wl.methods, " "),
			Message: "live has no method check that refuses other methods with a 4xx (policy allows only " + strings.Join(wl.methods, " ") + ")"})
	case wl.methods != nil || gl.methods != nil:
		c.d.Set(ma, "allowed methods", wl.methods, gl.methods, drift.HigherWeakens)
	}
	c.ifs(at, wl.ifs, gl.ifs)
	c.headers(at, r, wl, gl)
	c.proxyHeaders(at, r, wl, gl)
	c.limits(at, r, wl.limits, gl.limits)
	if len(wl.limits) > 0 || len(gl.limits) > 0 {
		c.d.Value(c.originAt(with(at, ir.CtlRateLimit, "limit_req_dry_run"), r, ir.Origin{}), "limit_req_dry_run",
			wl.settings["limit_req_dry_run"], gl.settings["limit_req_dry_run"], drift.AnyWeakens)
	}
}

// upstream compares how the location reaches its upstream: the target
// (an https upstream turned http, or the authorizer's address changed),
// certificate verification, and the TLS versions and ciphers offered.
func (c *comparer) upstream(at drift.At, w, g map[string]string) {
	for _, name := range []string{"proxy_pass", "proxy_ssl_verify", "proxy_ssl_trusted_certificate"} {
		c.d.Value(with(at, ir.CtlUpstreamTLS, name), name, w[name], g[name], drift.AnyWeakens)
	}
	if strings.HasPrefix(w["proxy_pass"], "https://") {
		c.d.Set(with(at, ir.CtlUpstreamTLS, "proxy_ssl_protocols"), "proxy_ssl_protocols", split(w["proxy_ssl_protocols"], " "), split(g["proxy_ssl_protocols"], " "), drift.HigherWeakens)
		c.d.Set(with(at, ir.CtlUpstreamTLS, "proxy_ssl_ciphers"), "proxy_ssl_ciphers", split(w["proxy_ssl_ciphers"], ":"), split(g["proxy_ssl_ciphers"], ":"), drift.HigherWeakens)
	}
}

// route returns the first route a generated location's comment names.
func (c *comparer) route(l *location) *ir.Route {
	ids, ok := strings.CutPrefix(l.comment, "route ")
	if !ok {
		return nil
	}
	id, _, _ := strings.Cut(ids, ", ")
	for _, s := range c.p.Services {
		for _, r := range s.Routes {
			if r.ID == id {
				return r
			}
		}
	}
	return nil
}

// withCtl returns at for control.
func withCtl(at drift.At, control string) drift.At {
	at.Control = control
	return at
}

// originAt prefers the route's origin for the control, else fallback
// when it is set, else at's.
func (c *comparer) originAt(at drift.At, r *ir.Route, fallback ir.Origin) drift.At {
	if r != nil {
		if o, ok := r.Origins[at.Control]; ok {
			at.Origin = o
			return at
		}
	}
	if fallback.File != "" {
		at.Origin = fallback
	}
	return at
}

// authAt places the auth_request comparison under the route's first
// provider's control, or authz.rules.
func (c *comparer) authAt(at drift.At, r *ir.Route) drift.At {
	at = with(at, ir.CtlAuthzRules, "auth_request")
	if r == nil {
		return at
	}
	for _, name := range r.Providers {
		for _, pr := range c.p.Providers {
			if pr.Name == name {
				at.Control = map[string]string{ir.KindAPIKey: ir.CtlAPIKey, ir.KindJWT: ir.CtlJWT,
					ir.KindMTLS: ir.CtlMTLSAuthn, ir.KindIntrospection: ir.CtlIntrospection}[pr.Kind]
				if o, ok := r.Origins["authn"]; ok {
					at.Origin = o
				}
				return at
			}
		}
	}
	return c.originAt(at, r, ir.Origin{})
}

// headerControl maps a response header to the control that sets it.
func headerControl(name string) string {
	switch {
	case name == "strict-transport-security":
		return ir.CtlHSTS
	case strings.HasPrefix(name, "access-control-"):
		return ir.CtlCORS
	}
	return ir.CtlHeaders
}

// headers compares the effective add_header set: a missing or changed
// header weakens, and so does one that lost "always" (nginx then adds it
// to 2xx/3xx responses only); an extra one is neutral, except an
// Access-Control-* header, which widens CORS.
func (c *comparer) headers(at drift.At, r *ir.Route, wl, gl *location) {
	want, got := wl.headers, gl.headers
	for _, name := range sortedKeys(want) {
		a := c.originAt(with(at, headerControl(name), "add_header["+name+"]"), r, ir.Origin{})
		c.d.Value(a, "add_header "+name, want[name], got[name], drift.AnyWeakens)
		if _, ok := got[name]; ok && wl.always[name] {
			var fs []drift.Finding
			if !gl.always[name] {
				fs = append(fs, drift.Finding{Direction: drift.Changed, Severity: drift.Weakening, Expected: "always", Actual: "(2xx/3xx only)",
					Message: "add_header " + name + " lost \"always\": live adds it to 2xx/3xx responses only"})
			}
			c.d.Add(a, "add_header "+name+" always", fs...)
		}
	}
	for _, name := range sortedKeys(got) {
		if _, ok := want[name]; !ok {
			rule := drift.HigherWeakens
			if headerControl(name) == ir.CtlCORS {
				rule = drift.AnyWeakens
			}
			a := c.originAt(with(at, headerControl(name), "add_header["+name+"]"), r, ir.Origin{})
			c.d.Value(a, "add_header "+name, "", got[name], rule)
		}
	}
}

// proxyHeaderControl maps a request header set for the upstream to the
// control it carries: rampart's identity headers are what the upstream
// trusts for authorization.
func proxyHeaderControl(name string) string {
	if strings.HasPrefix(name, "x-rampart-") {
		return ir.CtlAuthzRules
	}
	return ir.CtlHeaders
}

// shownHeader is a proxy_set_header value as findings show it: a header
// that may carry a credential (a live config can hold a literal token) is
// shown as a fingerprint, so a change is still seen but the value never
// reaches drift output or CI logs. nginx variables ($…) are shown as is.
func shownHeader(name, v string) string {
	n := strings.ToLower(name)
	secret := n == "cookie"
	for _, w := range []string{"auth", "key", "token", "secret", "password", "session"} {
		secret = secret || strings.Contains(n, w)
	}
	if v == "" || !secret || (strings.HasPrefix(v, "$") && !strings.ContainsAny(v, " \t")) {
		return v
	}
	return drift.Fingerprint(v)
}

// proxyHeaders compares the effective proxy_set_header fields (a field
// missing or changed weakens: a client could then send its own value,
// e.g. X-Rampart-Roles; an extra one is neutral) and the proxy_hide_header
// set (a header no longer hidden weakens: the upstream's own CORS or
// security headers reach the client).
func (c *comparer) proxyHeaders(at drift.At, r *ir.Route, wl, gl *location) {
	for _, name := range sortedKeys(wl.proxyHeaders) {
		a := c.originAt(with(at, proxyHeaderControl(name), "proxy_set_header["+name+"]"), r, ir.Origin{})
		c.d.Value(a, "proxy_set_header "+name, shownHeader(name, wl.proxyHeaders[name]), shownHeader(name, gl.proxyHeaders[name]), drift.AnyWeakens)
	}
	for _, name := range sortedKeys(gl.proxyHeaders) {
		if _, ok := wl.proxyHeaders[name]; !ok {
			a := c.originAt(with(at, proxyHeaderControl(name), "proxy_set_header["+name+"]"), r, ir.Origin{})
			c.d.Value(a, "proxy_set_header "+name, "", shownHeader(name, gl.proxyHeaders[name]), drift.HigherWeakens)
		}
	}
	byCtl := func(names []string) map[string][]string {
		m := map[string][]string{}
		for _, n := range names {
			m[headerControl(n)] = append(m[headerControl(n)], n)
		}
		return m
	}
	w, g := byCtl(wl.hidden), byCtl(gl.hidden)
	for _, ctl := range []string{ir.CtlCORS, ir.CtlHSTS, ir.CtlHeaders} {
		if len(w[ctl]) > 0 || len(g[ctl]) > 0 {
			a := c.originAt(with(at, ctl, "proxy_hide_header"), r, ir.Origin{})
			c.d.Set(a, "proxy_hide_header", w[ctl], g[ctl], drift.LowerWeakens)
		}
	}
}

// limits compares limit_req: a live limit pairs with the policy's limit
// of the same zone first (so removing one of several limits on a key names
// the one removed), then by key variable in rate order. A missing limit or
// a higher rate or burst weakens; an extra limit strengthens.
func (c *comparer) limits(at drift.At, r *ir.Route, want, got []limitReq) {
	pairs, missing, extra := pairLimits(sortLimits(want), sortLimits(got))
	for _, w := range missing {
		a := c.limitOrigin(c.originAt(with(at, limitControl(w.key), "limit_req["+w.key+"]"), r, ir.Origin{}), r, w)
		c.d.Add(a, "limit_req "+w.key, drift.Finding{Direction: drift.Missing, Severity: drift.Weakening, Expected: showLimit(w),
			Message: fmt.Sprintf("limit_req keyed on %s (%s) is missing in live", w.key, showLimit(w))})
	}
	for _, pr := range pairs {
		w, g := pr[0], pr[1]
		a := c.limitOrigin(c.originAt(with(at, limitControl(w.key), "limit_req["+w.key+"]"), r, ir.Origin{}), r, w)
		c.d.Number(a, "limit_req rate", w.rate, g.rate, drift.HigherWeakens, func(n int64) string { return strconv.FormatInt(n, 10) + "/hour" })
		c.d.Number(a, "limit_req burst", w.burst, g.burst, drift.HigherWeakens, func(n int64) string { return strconv.FormatInt(n, 10) })
	}
	for _, g := range extra {
		c.d.Add(with(at, limitControl(g.key), "limit_req["+g.key+"]"), "limit_req "+g.key, drift.Finding{Direction: drift.Unexpected, Severity: drift.Strengthening,
			Actual: showLimit(g), Message: fmt.Sprintf("live has a limit_req keyed on %s (%s) the policy does not set", g.key, showLimit(g))})
	}
}

// pairLimits pairs wanted and live limits: same key and zone first, then
// same key in the given (rate) order. Inputs are sorted; so are outputs.
func pairLimits(want, got []limitReq) (pairs [][2]limitReq, missing, extra []limitReq) {
	used := make([]bool, len(got))
	paired := make([]int, len(want))
	find := func(w limitReq, sameZone bool) int {
		for j, g := range got {
			if !used[j] && g.key == w.key && (!sameZone || g.zone == w.zone) {
				return j
			}
		}
		return -1
	}
	for i, w := range want {
		paired[i] = find(w, true)
		if paired[i] >= 0 {
			used[paired[i]] = true
		}
	}
	for i, w := range want {
		if paired[i] < 0 {
			if paired[i] = find(w, false); paired[i] >= 0 {
				used[paired[i]] = true
			}
		}
	}
	for i, w := range want {
		if paired[i] < 0 {
			missing = append(missing, w)
		} else {
			pairs = append(pairs, [2]limitReq{w, got[paired[i]]})
		}
	}
	for j, g := range got {
		if !used[j] {
			extra = append(extra, g)
		}
	}
	return pairs, missing, extra
}

// sortLimits orders limits by key, rate and burst.
func sortLimits(ls []limitReq) []limitReq {
	out := slices.Clone(ls)
	slices.SortFunc(out, func(a, b limitReq) int {
		return cmp.Or(cmp.Compare(a.key, b.key), cmp.Compare(a.rate, b.rate), cmp.Compare(a.burst, b.burst))
	})
	return out
}

// limitOrigin uses the origin of the route's rate limit with the same
// rate per hour, when there is one.
func (c *comparer) limitOrigin(at drift.At, r *ir.Route, w limitReq) drift.At {
	if r == nil {
		return at
	}
	for _, rl := range r.RateLimits {
		if int64(rl.PerHour) == w.rate && rl.Origin.File != "" {
			at.Origin = rl.Origin
			return at
		}
	}
	return at
}

// limitControl maps a limit key to its control.
func limitControl(key string) string {
	if strings.HasPrefix(key, "$rampart_hk") || strings.HasPrefix(key, "$http_") {
		return ir.CtlRateLimitHeader
	}
	return ir.CtlRateLimit
}

func showLimit(l limitReq) string {
	return fmt.Sprintf("zone %s, %d/hour, burst %d", l.zone, l.rate, l.burst)
}
