package live

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/drift"
	"github.com/rampart-policy/rampart/proxy/config"
)

// comparer compares two proxy configs for one policy.
type comparer struct {
	p *ir.Policy
	d *drift.Diff
}

// compare walks every section of the config.
func (c *comparer) compare(want, got *config.Config) {
	c.listeners(want.Listeners, got.Listeners)
	c.providers(want.Providers, got.Providers)
	af := drift.At{Control: ir.CtlAuthFailures, Path: "authFailures"}
	if c.p.AuthFailures != nil {
		af.Origin = c.p.AuthFailures.Origin
	}
	c.d.Value(af, "authFailures", js(want.AuthFailures), js(got.AuthFailures), drift.AnyWeakens)
	c.routes(want.Routes, got.Routes)
	c.upstreams(want.Upstreams, got.Upstreams)
	c.d.Value(drift.At{Control: ir.CtlUndeclared, Path: "rejectUndeclared"}, "rejectUndeclared",
		strconv.FormatBool(want.RejectUndeclared), strconv.FormatBool(got.RejectUndeclared), drift.AnyWeakens)
	c.accessLog(want.AccessLog, got.AccessLog)
	c.d.Value(drift.At{Control: ir.CtlRateLimitShared, Path: "redis"}, "redis", js(want.Redis), js(got.Redis), drift.AnyWeakens)
}

// js renders a value as canonical JSON text; nil is "".
func js(v any) string {
	b, _ := json.Marshal(v)
	if string(b) == "null" {
		return ""
	}
	return string(b)
}

// byName indexes a slice by a key.
func byName[T any](xs []T, key func(T) string) map[string]T {
	m := make(map[string]T, len(xs))
	for _, x := range xs {
		m[key(x)] = x
	}
	return m
}

// presence reports a section present on one side only; it returns true
// when both sides have it.
func (c *comparer) presence(at drift.At, what string, inWant, inGot bool, missing drift.Severity) bool {
	switch {
	case inWant && inGot:
		return true
	case inWant:
		c.d.Add(at, what, drift.Finding{Direction: drift.Missing, Severity: missing, Expected: what, Message: what + " is missing in live"})
	case inGot:
		c.d.Add(at, what, drift.Finding{Direction: drift.Unexpected, Severity: drift.Weakening, Actual: what,
			Message: what + " is in live but not in the policy"})
	}
	return false
}

// listeners compares listeners by name.
func (c *comparer) listeners(want, got []config.Listener) {
	key := func(l config.Listener) string { return l.Name }
	wm, gm := byName(want, key), byName(got, key)
	for _, l := range c.p.Listeners {
		at := drift.At{Control: ir.CtlTLS, Listener: l.Name, Path: "listeners[" + l.Name + "]", Origin: l.Origin}
		g, ok := gm[l.Name]
		if !c.presence(at, "listener "+l.Name, true, ok, drift.Neutral) {
			continue
		}
		w := wm[l.Name]
		c.d.Set(withCtl(at, ir.CtlUndeclared, "hosts"), "hosts", w.Hosts, g.Hosts, drift.HigherWeakens)
		c.d.Value(withCtl(at, ir.CtlRedirect, "redirectPort"), "redirectPort", itoa(w.RedirectPort), itoa(g.RedirectPort), drift.AnyWeakens)
		c.clientAddress(at, l, w.ClientAddress, g.ClientAddress)
		if l.TLS != nil {
			at.Origin = l.TLS.Origin
		}
		c.tls(at, w.TLS, g.TLS)
	}
	for _, g := range got {
		if _, ok := wm[g.Name]; !ok {
			c.presence(drift.At{Control: ir.CtlUndeclared, Listener: g.Name, Path: "listeners[" + g.Name + "]"}, "listener "+g.Name, false, true, drift.Neutral)
		}
	}
}

// tls compares a listener's TLS settings.
func (c *comparer) tls(at drift.At, w, g *config.TLS) {
	if !c.presence(withCtl(at, ir.CtlTLS, "tls"), "TLS", w != nil, g != nil, drift.Weakening) {
		return
	}
	c.d.Number(withCtl(at, ir.CtlTLS, "tls.minVersion"), "minimum TLS version", version(w.MinVersion), version(g.MinVersion), drift.LowerWeakens, showVersion)
	c.d.Number(withCtl(at, ir.CtlTLS, "tls.maxVersion"), "maximum TLS version", version(w.MaxVersion), version(g.MaxVersion), drift.AnyWeakens, showVersion)
	c.d.Set(withCtl(at, ir.CtlTLS, "tls.cipherSuites"), "cipher suites", w.CipherSuites, g.CipherSuites, drift.HigherWeakens)
	c.d.Set(withCtl(at, ir.CtlTLS, "tls.curves"), "curves", w.Curves, g.Curves, drift.HigherWeakens)
	c.d.Value(withCtl(at, ir.CtlHSTS, "tls.hsts"), "Strict-Transport-Security", w.HSTS, g.HSTS, drift.AnyWeakens)
	c.d.Value(withCtl(at, ir.CtlMTLS, "tls.clientAuth"), "client certificates", js(w.ClientAuth), js(g.ClientAuth), drift.AnyWeakens)
}

// version maps "1.2" to 12 for ordering; unknown text is 0.
func version(v string) int64 {
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return 0
	}
	return int64(math.Round(f * 10))
}

func showVersion(n int64) string { return fmt.Sprintf("TLS %d.%d", n/10, n%10) }

func itoa(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

// withCtl returns at for control with path extended by field.
func withCtl(at drift.At, control, field string) drift.At {
	at.Control = control
	at.Path += "." + field
	return at
}

// providerControl maps a provider to its control.
func providerControl(p config.Provider) string {
	switch {
	case p.APIKey != nil:
		return ir.CtlAPIKey
	case p.JWT != nil:
		return ir.CtlJWT
	case p.MTLS != nil:
		return ir.CtlMTLSAuthn
	}
	return ir.CtlIntrospection
}

// providers compares authentication providers by name, as whole values.
func (c *comparer) providers(want, got []config.Provider) {
	gm := byName(got, func(p config.Provider) string { return p.Name })
	wm := byName(want, func(p config.Provider) string { return p.Name })
	for _, pr := range c.p.Providers {
		w := wm[pr.Name]
		at := drift.At{Control: providerControl(w), Path: "providers[" + pr.Name + "]", Origin: pr.Origin}
		g, ok := gm[pr.Name]
		if c.presence(at, "provider "+pr.Name, true, ok, drift.Weakening) {
			c.d.Value(at, "provider "+pr.Name, js(w), js(g), drift.AnyWeakens)
		}
	}
	for _, g := range got {
		if _, ok := wm[g.Name]; !ok {
			c.presence(drift.At{Control: providerControl(g), Path: "providers[" + g.Name + "]"}, "provider "+g.Name, false, true, drift.Weakening)
		}
	}
}

// upstreams compares upstream TLS verification and settings.
func (c *comparer) upstreams(want, got []config.Upstream) {
	gm := byName(got, func(u config.Upstream) string { return u.Name })
	for _, w := range want {
		at := drift.At{Control: ir.CtlUpstreamTLS, Path: "upstreams[" + w.Name + "]"}
		for _, s := range c.p.Services {
			if s.Name == w.Name {
				at.Origin = s.Origin
			}
		}
		g, ok := gm[w.Name]
		if !c.presence(at, "upstream "+w.Name, true, ok, drift.Neutral) {
			continue
		}
		c.d.Value(withCtl(at, ir.CtlUpstreamTLS, "insecureSkipVerify"), "upstream certificate verification off",
			strconv.FormatBool(w.InsecureSkipVerify), strconv.FormatBool(g.InsecureSkipVerify), drift.AnyWeakens)
		w.InsecureSkipVerify, g.InsecureSkipVerify = false, false
		c.d.Value(at, "upstream "+w.Name, js(w), js(g), drift.AnyWeakens)
	}
}

// accessLog compares the access log.
func (c *comparer) accessLog(w, g config.AccessLog) {
	at := drift.At{Control: ir.CtlAccessLog, Path: "accessLog", Origin: c.p.Logging.Origin}
	c.d.Value(withCtl(at, ir.CtlAccessLog, "enabled"), "access log enabled", strconv.FormatBool(w.Enabled), strconv.FormatBool(g.Enabled), drift.AnyWeakens)
	c.d.Set(withCtl(at, ir.CtlRedact, "fields"), "logged fields", w.Fields, g.Fields, drift.HigherWeakens)
	var wr, gr []string
	for _, r := range w.Redact {
		wr = append(wr, r.Kind+":"+r.Name+"="+r.Mode)
	}
	for _, r := range g.Redact {
		gr = append(gr, r.Kind+":"+r.Name+"="+r.Mode)
	}
	c.d.Set(withCtl(at, ir.CtlRedact, "redact"), "redactions", wr, gr, drift.LowerWeakens)
	c.d.Value(withCtl(at, ir.CtlAccessLog, "authFailures"), "auth failures logged", strconv.FormatBool(w.AuthFailures), strconv.FormatBool(g.AuthFailures), drift.AnyWeakens)
	c.d.Value(withCtl(at, ir.CtlAccessLog, "sink"), "log sink", w.Sink+" "+w.SinkTarget, g.Sink+" "+g.SinkTarget, drift.AnyWeakens)
}
