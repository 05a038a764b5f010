package live

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/drift"
	"github.com/rampart-policy/rampart/targets/kong"
)

// comparer compares two normalised Kong configurations for one policy.
// A comparer is used by one goroutine; allRoutes gives each of its
// goroutines a comparer of its own (part).
type comparer struct {
	p      *ir.Policy
	d      *drift.Diff
	routes map[string]*ir.Route // policy route by Kong route tag
	names  nameCache
	// pairs are the checks of plugin instance pairs whose fields all
	// passed (pairChecks).
	pairs map[pairKey][]drift.Check
}

func newComparer(p *ir.Policy) *comparer {
	c := &comparer{p: p, d: drift.NewDiff("kong"), routes: map[string]*ir.Route{}}
	for _, s := range p.Services {
		for _, r := range s.Routes {
			c.routes[kong.RouteTag(r.ID)] = r
		}
	}
	return c
}

// compare walks services, routes and consumers.
func (c *comparer) compare(want, got *parsed) {
	c.services(want, got)
	c.allRoutes(want, got)
	c.consumers(want, got)
}

// policyRoute is the policy route a Kong route was built from, by tag.
func (c *comparer) policyRoute(r *route) *ir.Route {
	for _, t := range r.Tags {
		if pr, ok := c.routes[t]; ok {
			return pr
		}
	}
	return nil
}

// services compares each service's upstream fields.
func (c *comparer) services(want, got *parsed) {
	for _, name := range sortedKeys(want.services) {
		w := want.services[name]
		at := drift.At{Control: ir.CtlUpstreamTLS, Path: "services[" + name + "]"}
		for _, s := range c.p.Services {
			if s.Name == name {
				at.Origin = s.Origin
			}
		}
		g, ok := got.services[name]
		if !ok {
			c.d.Add(at, "service "+name, drift.Finding{Direction: drift.Missing, Severity: drift.Neutral, Expected: name,
				Message: "service " + name + " is missing in live (its routes cannot be reached)"})
			continue
		}
		c.d.Value(at, "service "+name+" tls_verify", tlsVerify(w.Fields), tlsVerify(g.Fields), drift.AnyWeakens)
		for _, f := range []string{"protocol", "host", "port", "path", "enabled"} {
			c.d.Value(withPath(at, f), "service "+name+" "+f, text(w.Fields[f]), text(g.Fields[f]), drift.AnyWeakens)
		}
		for _, f := range []string{"connect_timeout", "read_timeout", "write_timeout"} {
			c.d.Number(drift.At{Control: ir.CtlTimeouts, Path: at.Path + "." + f, Origin: at.Origin}, "service "+name+" "+f,
				num(w.Fields[f], 60000), num(g.Fields[f], 60000), drift.HigherWeakens, ms)
		}
	}
	for _, name := range sortedKeys(got.services) {
		if _, ok := want.services[name]; !ok {
			c.d.Add(drift.At{Control: ir.CtlUndeclared, Path: "services[" + name + "]"}, "service "+name,
				drift.Finding{Direction: drift.Unexpected, Severity: drift.Neutral, Actual: name,
					Message: "service " + name + " is in live but not in the policy (its routes are compared below)"})
		}
	}
}

// tlsVerify is a service's tls_verify: null means nginx's default, off.
func tlsVerify(f map[string]any) string {
	if b, ok := f["tls_verify"].(bool); ok && b {
		return "true"
	}
	return "false"
}

// allRoutes compares every route of either side. The policy's routes,
// in order, are cut into runs compared on GOMAXPROCS goroutines, each
// into a drift.Diff of its own, appended in order.
func (c *comparer) allRoutes(want, got *parsed) {
	c.allRoutesIn(want, got, min(4*runtime.GOMAXPROCS(0), len(want.routes)/routesPerRun+1))
}

// allRoutesIn is allRoutes with the policy's routes cut into runs runs.
func (c *comparer) allRoutesIn(want, got *parsed, runs int) {
	names := sortedKeys(want.routes)
	workers := runtime.GOMAXPROCS(0)
	runs = max(1, min(runs, len(names)))
	parts := make([]*comparer, runs)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(workers, runs) {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= runs {
					return
				}
				parts[i] = c.part()
				parts[i].routeRun(want, got, names[i*len(names)/runs:(i+1)*len(names)/runs])
			}
		})
	}
	wg.Wait()
	diffs := make([]*drift.Diff, runs)
	for i, p := range parts {
		diffs[i] = p.d
	}
	c.d.Append(diffs...)
	for _, name := range keysNotIn(got.routes, want.routes) {
		c.unexpectedRoute(got, got.routes[name])
	}
}

// keysNotIn returns, in order, the keys of m that other lacks.
func keysNotIn[V, W any](m map[string]V, other map[string]W) []string {
	var out []string
	for k := range m {
		if _, ok := other[k]; !ok {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// part returns a comparer for the same policy recording into a
// drift.Diff of its own.
func (c *comparer) part() *comparer {
	return &comparer{p: c.p, d: drift.NewDiff("kong"), routes: c.routes}
}

// routesPerRun is the fewest routes worth a goroutine.
const routesPerRun = 256

// routeRun compares the policy's routes named names with their live
// counterparts.
func (c *comparer) routeRun(want, got *parsed, names []string) {
	for i, name := range names {
		if i == 1 {
			c.d.Grow(len(names) * c.d.Len())
		}
		w := want.routes[name]
		at := drift.At{Control: ir.CtlUndeclared, Path: "routes[" + name + "]"}
		if pr := c.policyRoute(w); pr != nil {
			at.Route, at.Origin = pr.ID, pr.Origin
		}
		g, ok := got.routes[name]
		if !ok {
			c.d.Add(at, "route "+name, drift.Finding{Direction: drift.Missing, Severity: drift.Neutral, Expected: name,
				Message: "route " + name + " is missing in live (Kong answers 404 to its requests)"})
			continue
		}
		c.route(at, w, g, want.effective(w, want.global), got.effective(g, got.global))
	}
}

// route compares one route's matching fields and effective plugins.
func (c *comparer) route(at drift.At, w, g *route, wp, gp map[string]plugin) {
	c.list(withControl(at, ir.CtlMethods), pathSuffix{".methods"}, "methods", w.Fields["methods"], g.Fields["methods"], drift.HigherWeakens)
	c.list(at, pathSuffix{".paths"}, "paths", w.Fields["paths"], g.Fields["paths"], drift.HigherWeakens)
	c.list(at, pathSuffix{".hosts"}, "hosts", w.Fields["hosts"], g.Fields["hosts"], drift.HigherWeakens)
	c.value(at, pathSuffix{".service"}, "service", w.Service, g.Service, drift.AnyWeakens)
	c.list(withControl(at, ir.CtlRedirect), pathSuffix{".protocols"}, "protocols", w.Fields["protocols"], g.Fields["protocols"], drift.HigherWeakens)
	c.scalar(withControl(at, ir.CtlRedirect), pathSuffix{".https_redirect_status_code"}, "https_redirect_status_code",
		w.Fields["https_redirect_status_code"], g.Fields["https_redirect_status_code"], drift.AnyWeakens)
	c.plugins(at, wp, gp)
}

// unexpectedRoute reports a route only live has: weakening when no
// enabled plugin authenticates its requests.
func (c *comparer) unexpectedRoute(got *parsed, g *route) {
	sev, how := drift.Weakening, "unauthenticated"
	for _, p := range got.effective(g, got.global) {
		if p.Enabled && authenticates(p.Name) {
			sev, how = drift.Neutral, "authenticated by "+p.Name
		}
	}
	at := drift.At{Control: ir.CtlUndeclared, Path: "routes[" + g.Name + "]"}
	c.d.Add(at, "route "+g.Name, drift.Finding{Direction: drift.Unexpected, Severity: sev, Actual: g.Name + " " + strings.Join(strs(g.Fields["paths"]), " "),
		Message: fmt.Sprintf("route %s (service %s, paths %s) is in live but not in the policy (%s)", g.Name, g.Service, join(strs(g.Fields["paths"])), how)})
}

// plugins compares two sets of plugins by name.
func (c *comparer) plugins(at drift.At, want, got map[string]plugin) {
	for _, name := range sortedKeys(want) {
		w := want[name]
		txt := c.names.plugin(name)
		// pat's path is completed only where a finding needs it: a
		// passed check records no path (drift.Diff.Add).
		pat := withControl(at, pluginControl(w.Name, w.Config))
		g, ok := got[name]
		switch {
		case !ok:
			c.d.Add(withSuffix(pat, pathSuffix{txt.path}), txt.what, drift.Finding{Direction: drift.Missing, Severity: drift.Weakening, Expected: name,
				Message: txt.what + " is missing in live"})
			continue
		case !g.Enabled && w.Enabled:
			c.d.Add(withSuffix(pat, pathSuffix{txt.path, ".enabled"}), txt.enabled, drift.Finding{Direction: drift.Changed, Severity: drift.Weakening,
				Expected: "true", Actual: "false", Message: txt.what + " is disabled in live (enabled: false)"})
		default:
			c.d.Add(pat, txt.enabled)
		}
		c.pairFields(pat, txt, name == w.Name, w, g)
	}
	for _, name := range keysNotIn(got, want) {
		g := got[name]
		sev, why := unexpectedPluginSeverity(g.Name)
		txt := c.names.plugin(name)
		c.d.Add(withSuffix(withControl(at, pluginControl(g.Name, g.Config)), pathSuffix{txt.path}), txt.what,
			drift.Finding{Direction: drift.Unexpected, Severity: sev, Actual: name,
				Message: fmt.Sprintf("plugin %s (%s scope) is in live but not in the policy%s", name, g.Scope, why)})
	}
}

// pluginFields compares the fields of two instances of one plugin; pt
// names the instance and its path, plain when it is "plugin <its
// name>". at's path is the route's: the instance's is added where a
// finding needs it.
func (c *comparer) pluginFields(at drift.At, pt pluginText, plain bool, w, g plugin) {
	for i, f := range specs[w.Name].Fields {
		txt := fieldTexts[w.Name][i]
		fat := at
		if f.Control != "" {
			fat.Control = f.Control
		}
		name := txt.name
		if !plain {
			name = pt.what + " " + f.Name
		}
		sfx := pathSuffix{pt.path, txt.path}
		wv, gv := w.Config[f.Name], g.Config[f.Name]
		switch f.Kind {
		case number:
			wn, gn := num(wv, -1), num(gv, -1)
			if wn == gn {
				c.d.Add(fat, name)
				continue
			}
			c.d.Number(withSuffix(fat, sfx), name, wn, gn, f.Rule, showNum)
		case set:
			c.list(fat, sfx, name, wv, gv, f.Rule)
		case kv:
			if f.Keys != nil {
				if wv == nil {
					continue
				}
				wv, gv = only(wv, f.Keys), only(gv, f.Keys)
			}
			if sameMapping(wv, gv) {
				c.d.Add(fat, name)
				continue
			}
			c.set(fat, sfx, name, pairs(wv), pairs(gv), f.Rule)
		case headers:
			c.headers(fat, sfx, name, wv, gv, f.Rule)
		default:
			c.scalar(fat, sfx, name, wv, gv, f.Rule)
		}
	}
}

// set compares two sets as drift.Diff.Set does, completing at's path
// with suffix only when they differ.
func (c *comparer) set(at drift.At, suffix pathSuffix, name string, want, got []string, rule drift.Rule) {
	if sameSet(want, got) {
		c.d.Add(at, name)
		return
	}
	c.d.Set(withSuffix(at, suffix), name, want, got, rule)
}

// sameSet reports whether two lists hold the same members, ignoring order
// and repeats.
func sameSet(a, b []string) bool {
	if slices.Equal(a, b) {
		return true
	}
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}

// pathSuffix is the end of a path, in parts joined only where a finding
// needs it.
type pathSuffix [2]string

// withSuffix returns at with suffix added to its path.
func withSuffix(at drift.At, suffix pathSuffix) drift.At {
	at.Path += suffix[0] + suffix[1]
	return at
}

// headers compares response-transformer "Name:value" lists by header
// name; Strict-Transport-Security is the HSTS control. suffix completes
// at's path where a finding needs it.
func (c *comparer) headers(at drift.At, suffix pathSuffix, name string, w, g any, rule drift.Rule) {
	if c.sameHeaders(at, name, w, g) {
		return
	}
	at = withSuffix(at, suffix)
	wm, gm := headerMap(w), headerMap(g)
	for _, h := range sortedKeys(wm) {
		hat := withPath(at, h)
		if h == "strict-transport-security" {
			hat.Control = ir.CtlHSTS
		}
		if _, ok := gm[h]; !ok && wm[h] == "" {
			// an empty value reads like a missing header to Value
			c.d.Add(hat, name+" "+h, drift.Finding{Direction: drift.Missing, Severity: drift.Weakening, Expected: wm[h],
				Message: fmt.Sprintf("%s %s is missing in live (policy expects it set, empty)", name, h)})
			continue
		}
		c.d.Value(hat, name+" "+h, wm[h], gm[h], drift.AnyWeakens)
	}
	for _, h := range sortedKeys(gm) {
		if _, ok := wm[h]; !ok {
			sev := drift.Neutral
			if rule == drift.AnyWeakens {
				sev = drift.Weakening
			}
			c.d.Add(withPath(at, h), name+" "+h, drift.Finding{Direction: drift.Unexpected, Severity: sev, Actual: gm[h],
				Message: fmt.Sprintf("%s %s is set in live (%q) but not by the policy", name, h, gm[h])})
		}
	}
}

// headerMap reads {"headers": ["Name:value", …]} into lower-cased names.
func headerMap(v any) map[string]string {
	m, _ := v.(map[string]any)
	out := map[string]string{}
	for _, h := range strs(m["headers"]) {
		n, val, _ := strings.Cut(h, ":")
		out[strings.ToLower(strings.TrimSpace(n))] = strings.TrimSpace(val)
	}
	return out
}

// consumers compares consumers and their ACL groups.
func (c *comparer) consumers(want, got *parsed) {
	for _, u := range sortedKeys(want.consumers) {
		at := drift.At{Control: ir.CtlAuthzRules, Path: "consumers[" + u + "].acls"}
		g, ok := got.consumers[u]
		if !ok {
			c.d.Add(at, "consumer "+u, drift.Finding{Direction: drift.Missing, Severity: drift.Neutral, Expected: u,
				Message: "consumer " + u + " is missing in live (it cannot authenticate)"})
			continue
		}
		c.d.Set(at, "consumer "+u+" ACL groups", want.consumers[u], g, drift.HigherWeakens)
	}
	for _, u := range sortedKeys(got.consumers) {
		if _, ok := want.consumers[u]; !ok {
			c.d.Add(drift.At{Control: ir.CtlAPIKey, Path: "consumers[" + u + "]"}, "consumer "+u,
				drift.Finding{Direction: drift.Unexpected, Severity: drift.Weakening, Actual: u + " " + join(got.consumers[u]),
					Message: fmt.Sprintf("consumer %s (groups %s) is in live but not in the policy", u, join(got.consumers[u]))})
		}
	}
}

// sortedKeys returns a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// text renders a scalar; nil is "".
func text(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case float64:
		return showNum(int64(x))
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	}
	return fmt.Sprint(v)
}

// num reads a number; absent is def.
func num(v any, def int64) int64 {
	f, ok := v.(float64)
	if !ok || math.IsNaN(f) {
		return def
	}
	return int64(f)
}

func showNum(n int64) string {
	if n < 0 {
		return "unset"
	}
	return strconv.FormatInt(n, 10)
}

func ms(n int64) string { return strconv.FormatInt(n, 10) + "ms" }

// strs reads a list of scalars as text.
func strs(v any) []string {
	xs, _ := v.([]any)
	out := make([]string, 0, len(xs))
	for _, x := range xs {
		out = append(out, text(x))
	}
	return out
}

// pairs reads a mapping as sorted "key=value" members.
func pairs(v any) []string {
	m, _ := v.(map[string]any)
	var out []string
	for _, k := range sortedKeys(m) {
		out = append(out, k+"="+text(m[k]))
	}
	return out
}

func join(ss []string) string {
	if len(ss) == 0 {
		return "(none)"
	}
	return strings.Join(slices.Sorted(slices.Values(ss)), " ")
}

// withControl returns at for control.
func withControl(at drift.At, control string) drift.At {
	at.Control = control
	return at
}

// withPath returns at with its path extended by field.
func withPath(at drift.At, field string) drift.At {
	at.Path += "." + field
	return at
}

// only keeps the listed keys of a mapping.
func only(v any, keys []string) map[string]any {
	m, _ := v.(map[string]any)
	out := map[string]any{}
	for _, k := range keys {
		if x, ok := m[k]; ok && x != nil {
			out[k] = x
		}
	}
	return out
}

// observers are plugins that only observe traffic: added live, they are
// reported but do not weaken the policy.
var observers = map[string]bool{"prometheus": true, "correlation-id": true, "zipkin": true,
	"opentelemetry": true, "statsd": true, "datadog": true}

// unexpectedPluginSeverity rates a plugin the policy does not set. One
// rampart emits adds a control of a kind the policy knows (an extra
// limit, an extra authentication) and is neutral, as is an observer; any
// other plugin — pre-function runs arbitrary Lua, request-transformer
// rewrites what the upstream sees — can undo a control rampart cannot
// see, so it is a weakening (fail closed).
func unexpectedPluginSeverity(name string) (drift.Severity, string) {
	if _, known := specs[name]; known || observers[name] {
		return drift.Neutral, ""
	}
	return drift.Weakening, " (rampart cannot tell that the policy's controls still hold with it)"
}
