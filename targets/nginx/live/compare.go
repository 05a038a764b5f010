package live

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/drift"
	"github.com/rampart-policy/rampart/targets/nginx"
)

// Live is the nginx live source.
type Live struct{}

// New returns the nginx live source.
func New() *Live { return &Live{} }

// Target returns "nginx".
func (*Live) Target() string { return "nginx" }

// Fetch reads a config file, a directory holding nginx.conf, or
// "cmd:nginx -T" (any command printing `nginx -T` output).
func (*Live) Fetch(ctx context.Context, source string) ([]byte, error) { return fetch(ctx, source) }

// Compare builds the policy's nginx.conf, normalises it and the live
// config the same way, and compares them per server and location.
func (*Live) Compare(ctx context.Context, p *ir.Policy, live []byte) (drift.Result, error) {
	arts, err := nginx.New().Build(ctx, p)
	if err != nil {
		return drift.Result{}, err
	}
	want, err := model(arts[0].Data)
	if err != nil {
		return drift.Result{}, fmt.Errorf("nginx: expected config: %w", err)
	}
	got, err := model(live)
	if err != nil {
		return drift.Result{}, fmt.Errorf("nginx live config: %w", err)
	}
	c := &comparer{p: p, d: drift.NewDiff("nginx")}
	c.compare(want, got)
	return c.d.Result(), nil
}

// model parses and normalises `nginx -T`-form text.
func model(data []byte) (*config, error) {
	tree, err := load(data)
	if err != nil {
		return nil, err
	}
	return normalise(tree)
}

// comparer compares two normalised configs for one policy.
type comparer struct {
	p *ir.Policy
	d *drift.Diff
}

// compare walks servers in key order, then log formats.
func (c *comparer) compare(want, got *config) {
	for _, k := range sortedKeys(want.servers) {
		ws, gs := want.servers[k], got.servers[k]
		if gs == nil {
			c.missingServer(ws)
			continue
		}
		c.server(ws, gs)
	}
	for _, k := range sortedKeys(got.servers) {
		if want.servers[k] == nil {
			c.d.Add(drift.At{Control: ir.CtlUndeclared, Path: "server[" + k + "]"}, "server block",
				drift.Finding{Direction: drift.Unexpected, Severity: drift.Weakening, Actual: k,
					Message: "live serves a server block the policy does not declare: " + k})
		}
	}
	for _, v := range sortedKeys(want.maps) {
		c.d.Value(drift.At{Control: varControl(v), Path: "http.map[" + v + "]"}, "map "+v, want.maps[v], got.maps[v], drift.AnyWeakens)
	}
	for _, v := range sortedKeys(got.maps) {
		if _, ok := want.maps[v]; !ok {
			c.d.Value(drift.At{Control: varControl(v), Path: "http.map[" + v + "]"}, "map "+v, "", got.maps[v], drift.HigherWeakens)
		}
	}
	// Where proxy_pass sends traffic is the upstream block's servers.
	for _, u := range sortedKeys(want.upstreams) {
		at := drift.At{Control: ir.CtlUpstreamTLS, Path: "http.upstream[" + u + "]"}
		for _, s := range c.p.Services {
			if u == "rampart_up_"+s.Name {
				at.Origin = s.Origin
			}
		}
		c.d.Value(at, "upstream "+u, want.upstreams[u], got.upstreams[u], drift.AnyWeakens)
	}
	for _, name := range sortedKeys(want.logFormats) {
		c.d.Value(drift.At{Control: ir.CtlAccessLog, Path: "http.log_format[" + name + "]", Origin: c.p.Logging.Origin},
			"log_format "+name, want.logFormats[name], got.logFormats[name], drift.AnyWeakens)
	}
}

// missingServer reports an expected server block live lacks.
func (c *comparer) missingServer(ws *server) {
	ctl, l := ir.CtlUndeclared, c.listener(ws)
	at := drift.At{Control: ctl, Path: "server[" + ws.key + "]"}
	if l != nil && ws.ssl && l.TLS != nil {
		at.Control, at.Listener, at.Origin = ir.CtlTLS, l.Name, l.TLS.Origin
	}
	c.d.Add(at, "server block", drift.Finding{Direction: drift.Missing, Severity: drift.Weakening, Expected: ws.key,
		Message: "live lacks a server block the policy compiles to: " + ws.key})
}

// listener finds the policy's listener a server block serves, by port.
func (c *comparer) listener(s *server) *ir.Listener {
	for _, l := range c.p.Listeners {
		if l.Port == s.port && (l.TLS != nil) == s.ssl {
			return l
		}
	}
	return nil
}

// server compares server-level settings, then every location.
func (c *comparer) server(ws, gs *server) {
	at := drift.At{Path: "server[" + ws.key + "]"}
	if l := c.listener(ws); l != nil {
		at.Listener, at.Origin = l.Name, l.Origin
		if l.TLS != nil {
			at.Origin = l.TLS.Origin
		}
	}
	if ws.ssl || gs.ssl {
		for _, s := range []struct{ name, ctl, sep string }{
			{"ssl_protocols", ir.CtlTLS, " "}, {"ssl_ciphers", ir.CtlTLS, ":"}, {"ssl_ecdh_curve", ir.CtlTLS, ":"},
		} {
			c.d.Set(with(at, s.ctl, s.name), s.name, split(ws.settings[s.name], s.sep), split(gs.settings[s.name], s.sep), drift.HigherWeakens)
		}
		c.d.Set(with(at, ir.CtlTLS, "ssl_conf_command"), "ssl_conf_command", split(ws.settings["ssl_conf_command"], ";"), split(gs.settings["ssl_conf_command"], ";"), drift.AnyWeakens)
		c.d.Value(with(at, ir.CtlTLS, "ssl_session_tickets"), "ssl_session_tickets", ws.settings["ssl_session_tickets"], gs.settings["ssl_session_tickets"], drift.AnyWeakens)
		c.d.Value(with(at, ir.CtlMTLS, "ssl_verify_client"), "ssl_verify_client", ws.settings["ssl_verify_client"], gs.settings["ssl_verify_client"], drift.AnyWeakens)
		// The CA bundle decides which client certificates pass; a deeper
		// chain accepts more intermediates.
		if ws.settings["ssl_verify_client"] != "off" || gs.settings["ssl_verify_client"] != "off" {
			c.d.Value(with(at, ir.CtlMTLS, "ssl_client_certificate"), "ssl_client_certificate", ws.settings["ssl_client_certificate"], gs.settings["ssl_client_certificate"], drift.AnyWeakens)
			c.number(with(at, ir.CtlMTLS, "ssl_verify_depth"), "ssl_verify_depth", ws.settings, gs.settings, count)
		}
	}
	c.d.Value(with(at, ir.CtlHeaders, "server_tokens"), "server_tokens", ws.settings["server_tokens"], gs.settings["server_tokens"], drift.AnyWeakens)
	c.number(with(at, ir.CtlTimeouts, "client_header_timeout"), "client_header_timeout", ws.settings, gs.settings, seconds)
	c.number(with(at, ir.CtlHeaderLimit, "large_client_header_buffers"), "large_client_header_buffers", ws.settings, gs.settings, buffers)
	c.ifs(at, ws.ifs, gs.ifs)
	c.realIP(at, ws.settings, gs.settings)
	for _, k := range sortedKeys(ws.locs) {
		c.location(at, ws.locs[k], gs.locs[k])
		if wl, gl := ws.locs[k], gs.locs[k]; gl != nil && (realIPOverridden(wl.settings, ws.settings) || realIPOverridden(gl.settings, gs.settings)) {
			c.realIP(drift.At{Listener: at.Listener, Path: at.Path + " " + k}, wl.settings, gl.settings)
		}
	}
	for _, k := range sortedKeys(gs.locs) {
		if ws.locs[k] == nil {
			c.d.Add(drift.At{Control: ir.CtlUndeclared, Listener: at.Listener, Path: at.Path + " " + k}, "location block",
				drift.Finding{Direction: drift.Unexpected, Severity: drift.Weakening, Actual: k,
					Message: "live serves a location the policy does not declare: " + k})
		}
	}
}

// with returns at for control, its path extended by a directive name.
func with(at drift.At, control, directive string) drift.At {
	at.Control = control
	at.Path += "." + directive
	return at
}

// number compares a numeric setting, parsed by conv (-1 = unlimited,
// -2 = unreadable, shown as the raw text).
func (c *comparer) number(at drift.At, name string, want, got map[string]string, conv func(string) int64) {
	w, g := want[name], got[name]
	if w == g {
		c.d.Add(at, name)
		return
	}
	wn, gn := conv(w), conv(g)
	if wn == -2 || gn == -2 {
		c.d.Value(at, name, w, g, drift.AnyWeakens)
		return
	}
	c.d.Number(at, name, wn, gn, drift.HigherWeakens, func(n int64) string {
		if n == wn {
			return w
		}
		return g
	})
}

// split splits a setting into set members.
func split(s, sep string) []string {
	var out []string
	for _, f := range strings.Split(s, sep) {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// size parses an nginx size ("1m", "8k", "1048576"); 0 is unlimited.
func size(s string) int64 {
	mult := int64(1)
	switch {
	case strings.HasSuffix(s, "k") || strings.HasSuffix(s, "K"):
		mult, s = 1024, s[:len(s)-1]
	case strings.HasSuffix(s, "m") || strings.HasSuffix(s, "M"):
		mult, s = 1<<20, s[:len(s)-1]
	case strings.HasSuffix(s, "g") || strings.HasSuffix(s, "G"):
		mult, s = 1<<30, s[:len(s)-1]
	}
	n, err := strconv.ParseInt(s, 10, 64)
	switch {
	case err != nil:
		return -2
	case n == 0:
		return -1
	}
	return n * mult
}

// seconds parses an nginx time ("10s", "1m", "75"); the first of
// several values (keepalive_timeout's header timeout is ignored).
func seconds(s string) int64 {
	s, _, _ = strings.Cut(s, " ")
	units := map[byte]int64{'s': 1, 'm': 60, 'h': 3600, 'd': 86400}
	mult := int64(1)
	if len(s) > 0 {
		if u, ok := units[s[len(s)-1]]; ok {
			mult, s = u, s[:len(s)-1]
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return -2
	}
	return n * mult
}

// count parses a plain number.
func count(s string) int64 {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return -2
	}
	return n
}

// buffers parses "NUMBER SIZE" as their product.
func buffers(s string) int64 {
	num, sz, ok := strings.Cut(s, " ")
	n, err := strconv.ParseInt(num, 10, 64)
	if !ok || err != nil || size(sz) < 0 {
		return -2
	}
	return n * size(sz)
}

// sortedKeys returns a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// digestRE finds the digest the nginx target writes in its first comment.
var digestRE = regexp.MustCompile(`# generated by rampart from policy .*` + regexp.QuoteMeta(nginx.DigestMarker) + ` (sha256:[0-9a-f]{64})`)

// Digest reports whether content is a rampart nginx.conf and returns the
// policy digest it records (drift/terraform.Marked).
func (*Live) Digest(content []byte) (string, bool) {
	m := digestRE.FindSubmatch(content)
	if m == nil {
		return "", false
	}
	return string(m[1]), true
}

// nameRE finds the policy name (a Go-quoted string) in the first comment.
var nameRE = regexp.MustCompile(`# generated by rampart from policy ("(?:[^"\\]|\\.)*")`)

// PolicyName returns the policy name a rampart nginx.conf records
// (drift/terraform.Named).
func (*Live) PolicyName(content []byte) (string, bool) {
	m := nameRE.FindSubmatch(content)
	if m == nil {
		return "", false
	}
	name, err := strconv.Unquote(string(m[1]))
	return name, err == nil
}

// varPrefixes map the emitter's variables to the controls they carry,
// longest prefix first.
var varPrefixes = []struct{ prefix, control string }{
	{"$rampart_authz_status", ir.CtlAuthzRules},
	{"$rampart_has_body", ir.CtlContentTypes},
	{"$rampart_log", ir.CtlRedact},
	{"$rampart_cors", ir.CtlCORS},
	{"$rampart_pre", ir.CtlCORS},
	{"$rampart_ct", ir.CtlContentTypes},
	{"$rampart_rk", ir.CtlRateLimit},
	{"$rampart_hk", ir.CtlRateLimitHeader},
	{"$rampart_dn", ir.CtlMTLS},
	{"$rampart_m", ir.CtlHeaders},
	{"$request_uri", ir.CtlUndeclared},
}

// varControl returns the control a variable (or an if condition
// starting with one) belongs to; validation.undeclared otherwise.
func varControl(v string) string {
	for _, p := range varPrefixes {
		if strings.HasPrefix(v, p.prefix) {
			return p.control
		}
	}
	return ir.CtlUndeclared
}

// ifs compares a block's if checks, grouped by control: a check live
// lacks weakens, an extra one that refuses (returns 4xx) strengthens;
// an if that does anything else (another status, a proxy_pass, a
// rewrite) is no check, and any difference in those weakens.
func (c *comparer) ifs(at drift.At, want, got []string) {
	wr, wo := partitionIfs(want)
	gr, gotOther := partitionIfs(got)
	c.ifSets(at, "if checks", wr, gr, drift.LowerWeakens)
	c.ifSets(at, "if blocks that do not refuse", wo, gotOther, drift.AnyWeakens)
}

// partitionIfs splits if summaries into those that return a 4xx status
// and the others.
func partitionIfs(ifs []string) (refuse, other []string) {
	for _, s := range ifs {
		_, ret, _ := strings.Cut(s, "→ return ")
		if code, _, _ := strings.Cut(ret, " "); len(code) == 3 && code[0] == '4' {
			refuse = append(refuse, s)
		} else {
			other = append(other, s)
		}
	}
	return refuse, other
}

// ifSets compares two lists of if summaries grouped by control.
func (c *comparer) ifSets(at drift.At, name string, want, got []string, rule drift.Rule) {
	if len(want) == 0 && len(got) == 0 {
		return
	}
	byCtl := func(list []string) map[string][]string {
		m := map[string][]string{}
		for _, s := range list {
			cond := strings.TrimPrefix(s, "if (")
			m[varControl(cond)] = append(m[varControl(cond)], s)
		}
		return m
	}
	w, g := byCtl(want), byCtl(got)
	ctls := sortedKeys(w)
	for _, k := range sortedKeys(g) {
		if _, ok := w[k]; !ok {
			ctls = append(ctls, k)
		}
	}
	for _, ctl := range ctls {
		c.d.Set(with(at, ctl, "if"), name, w[ctl], g[ctl], rule)
	}
}
