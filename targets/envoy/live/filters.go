package live

import (
	"fmt"
	"strings"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	rlv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/common/ratelimit/v3"
	bufferv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/buffer/v3"
	extauthzv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ext_authz/v3"
	jwtv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/jwt_authn/v3"
	localrlv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/local_ratelimit/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/drift"
)

// filters compares the HTTP filter chain: each filter present, their
// order, and each filter's listener-wide config.
func (c *comparer) filters(at drift.At, w, g *lview) {
	var common, live []string
	for _, f := range w.filters {
		fat := withCtl(at, filterControl(f), "["+f+"]")
		if !contains(g.filters, f) {
			c.d.Add(fat, "filter "+f, drift.Finding{Direction: drift.Missing, Severity: drift.Weakening, Expected: f,
				Message: "HTTP filter " + f + " is missing in live (policy order: " + strings.Join(w.filters, " > ") + ")"})
			continue
		}
		common = append(common, f)
		c.filterConfig(fat, f, w.configs[f], g.configs[f])
	}
	for _, f := range g.filters {
		if contains(w.filters, f) {
			live = append(live, f)
			continue
		}
		c.d.Add(withCtl(at, filterControl(f), "["+f+"]"), "filter "+f, drift.Finding{Direction: drift.Unexpected, Severity: drift.Neutral, Actual: f,
			Message: "HTTP filter " + f + " is in live but not in the policy"})
	}
	for i := range common {
		if common[i] != live[i] {
			c.d.Add(withCtl(at, filterControl(live[i]), "order"), "filter order", drift.Finding{Direction: drift.Changed, Severity: drift.Weakening,
				Expected: strings.Join(common, " > "), Actual: strings.Join(live, " > "),
				Message: fmt.Sprintf("HTTP filter order changed: policy runs %s, live runs %s", strings.Join(common, " > "), strings.Join(live, " > "))})
			return
		}
	}
	c.d.Add(withCtl(at, ir.CtlUndeclared, "order"), "filter order")
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// filterConfig compares a filter's listener-wide config, the security
// fields one by one, the rest whole.
func (c *comparer) filterConfig(at drift.At, name string, w, g proto.Message) {
	switch wc := w.(type) {
	case *extauthzv3.ExtAuthz:
		gc, ok := g.(*extauthzv3.ExtAuthz)
		if !ok {
			break
		}
		c.d.Value(withPath(at, "failure_mode_allow"), "ext_authz failure_mode_allow",
			fmt.Sprint(wc.GetFailureModeAllow()), fmt.Sprint(gc.GetFailureModeAllow()), drift.AnyWeakens)
		wc, gc = proto.Clone(wc).(*extauthzv3.ExtAuthz), proto.Clone(gc).(*extauthzv3.ExtAuthz)
		wc.FailureModeAllow, gc.FailureModeAllow = false, false
		c.msg(at, "ext_authz config", wc, gc)
		return
	case *localrlv3.LocalRateLimit:
		gc, ok := g.(*localrlv3.LocalRateLimit)
		if !ok {
			break
		}
		c.localLimit(at, "local_ratelimit", wc, gc)
		return
	case *jwtv3.JwtAuthentication:
		gc, ok := g.(*jwtv3.JwtAuthentication)
		if !ok {
			break
		}
		c.jwt(at, wc, gc)
		return
	case *bufferv3.Buffer:
		gc, ok := g.(*bufferv3.Buffer)
		if !ok {
			break
		}
		c.d.Number(withPath(at, "max_request_bytes"), "buffer max_request_bytes", int64(wc.GetMaxRequestBytes().GetValue()),
			int64(gc.GetMaxRequestBytes().GetValue()), drift.HigherWeakens, bytesN)
		return
	}
	c.msg(at, name+" config", w, g)
}

func bytesN(n int64) string { return fmt.Sprintf("%d bytes", n) }

// jwt compares jwt_authn's providers and requirements by name.
func (c *comparer) jwt(at drift.At, w, g *jwtv3.JwtAuthentication) {
	for _, n := range sortedKeys(w.GetProviders()) {
		c.msg(withPath(at, "providers["+n+"]"), "jwt provider "+n, w.GetProviders()[n], g.GetProviders()[n])
	}
	for _, n := range sortedKeys(g.GetProviders()) {
		if _, ok := w.GetProviders()[n]; !ok {
			c.msg(withPath(at, "providers["+n+"]"), "jwt provider "+n, nil, g.GetProviders()[n])
		}
	}
	for _, n := range sortedKeys(w.GetRequirementMap()) {
		c.msg(withPath(at, "requirement_map["+n+"]"), "jwt requirement "+n, w.GetRequirementMap()[n], g.GetRequirementMap()[n])
	}
	for _, n := range sortedKeys(g.GetRequirementMap()) {
		if _, ok := w.GetRequirementMap()[n]; !ok {
			c.msg(withPath(at, "requirement_map["+n+"]"), "jwt requirement "+n, nil, g.GetRequirementMap()[n])
		}
	}
	w, g = proto.Clone(w).(*jwtv3.JwtAuthentication), proto.Clone(g).(*jwtv3.JwtAuthentication)
	w.Providers, g.Providers, w.RequirementMap, g.RequirementMap = nil, nil, nil, nil
	c.msg(at, "jwt_authn config", w, g)
}

// localLimit compares a local_ratelimit config: enabled and enforced
// percentages, the token bucket, then the rest whole.
func (c *comparer) localLimit(at drift.At, name string, w, g *localrlv3.LocalRateLimit) {
	c.d.Number(withPath(at, "filter_enabled"), name+" filter_enabled", percent(w.GetFilterEnabled()), percent(g.GetFilterEnabled()), drift.LowerWeakens, showPercent)
	c.d.Number(withPath(at, "filter_enforced"), name+" filter_enforced", percent(w.GetFilterEnforced()), percent(g.GetFilterEnforced()), drift.LowerWeakens, showPercent)
	wb, gb := w.GetTokenBucket(), g.GetTokenBucket()
	if wb != nil || gb != nil {
		c.d.Number(withPath(at, "token_bucket.max_tokens"), name+" max_tokens (burst)", bucketN(wb != nil, int64(wb.GetMaxTokens())),
			bucketN(gb != nil, int64(gb.GetMaxTokens())), drift.HigherWeakens, showCount)
		c.d.Number(withPath(at, "token_bucket.tokens_per_fill"), name+" tokens_per_fill", bucketN(wb != nil, int64(orU32(wb.GetTokensPerFill().GetValue(), 1))),
			bucketN(gb != nil, int64(orU32(gb.GetTokensPerFill().GetValue(), 1))), drift.HigherWeakens, showCount)
		c.d.Number(withPath(at, "token_bucket.fill_interval"), name+" fill_interval", dur(wb.GetFillInterval()), dur(gb.GetFillInterval()), drift.LowerWeakens, showDur)
	}
	c.descriptors(withPath(at, "descriptors"), name, w.GetDescriptors(), g.GetDescriptors())
	if c.same(w, g) {
		c.d.Add(at, name+" settings")
		return
	}
	w, g = proto.Clone(w).(*localrlv3.LocalRateLimit), proto.Clone(g).(*localrlv3.LocalRateLimit)
	w.FilterEnabled, g.FilterEnabled, w.FilterEnforced, g.FilterEnforced, w.TokenBucket, g.TokenBucket = nil, nil, nil, nil, nil, nil
	w.Descriptors, g.Descriptors = nil, nil
	c.msg(at, name+" settings", w, g)
}

// descriptors compares local_ratelimit descriptors by their entries, each
// one's token bucket by number: a higher budget weakens.
func (c *comparer) descriptors(at drift.At, name string, w, g []*rlv3.LocalRateLimitDescriptor) {
	key := func(d *rlv3.LocalRateLimitDescriptor) string {
		var parts []string
		for _, e := range d.GetEntries() {
			parts = append(parts, e.GetKey()+"="+e.GetValue())
		}
		return strings.Join(parts, ",")
	}
	gm := map[string]*rlv3.LocalRateLimitDescriptor{}
	for _, d := range g {
		gm[key(d)] = d
	}
	wm := map[string]bool{}
	for _, d := range w {
		k := key(d)
		wm[k] = true
		dat := withPath(at, "["+k+"]")
		gd, ok := gm[k]
		if !ok {
			c.d.Add(dat, name+" descriptor "+k, drift.Finding{Direction: drift.Missing, Severity: drift.Weakening, Expected: canon(d),
				Message: name + " descriptor " + k + " is missing in live (its limit is not applied)"})
			continue
		}
		wb, gb := d.GetTokenBucket(), gd.GetTokenBucket()
		c.d.Number(withPath(dat, "max_tokens"), name+" "+k+" max_tokens", int64(wb.GetMaxTokens()), int64(gb.GetMaxTokens()), drift.HigherWeakens, showCount)
		c.d.Number(withPath(dat, "tokens_per_fill"), name+" "+k+" tokens_per_fill", int64(orU32(wb.GetTokensPerFill().GetValue(), 1)),
			int64(orU32(gb.GetTokensPerFill().GetValue(), 1)), drift.HigherWeakens, showCount)
		c.d.Number(withPath(dat, "fill_interval"), name+" "+k+" fill_interval", dur(wb.GetFillInterval()), dur(gb.GetFillInterval()), drift.LowerWeakens, showDur)
	}
	for _, d := range g {
		if k := key(d); !wm[k] {
			c.d.Add(withPath(at, "["+k+"]"), name+" descriptor "+k, drift.Finding{Direction: drift.Unexpected, Severity: drift.Strengthening,
				Actual: canon(d), Message: name + " descriptor " + k + " is in live but not in the policy (an extra limit)"})
		}
	}
}

// bucketN is a bucket's count, or unlimited (-1) without a bucket.
func bucketN(has bool, n int64) int64 {
	if !has {
		return -1
	}
	return n
}

func showCount(n int64) string {
	if n < 0 {
		return "no bucket"
	}
	return fmt.Sprint(n)
}

// percent is a runtime fractional percent per million; unset is 0 % (the
// local_ratelimit default: the filter does nothing).
func percent(p *corev3.RuntimeFractionalPercent) int64 {
	d := p.GetDefaultValue()
	if d == nil {
		return 0
	}
	n := int64(d.GetNumerator())
	switch d.GetDenominator() {
	case typev3.FractionalPercent_HUNDRED:
		return n * 10000
	case typev3.FractionalPercent_TEN_THOUSAND:
		return n * 100
	}
	return n
}

func showPercent(n int64) string { return fmt.Sprintf("%g %%", float64(n)/10000) }

func orU32(v, def uint32) uint32 {
	if v == 0 {
		return def
	}
	return v
}

// dur is a duration in milliseconds; unset is -1 (no limit).
func dur(d *durationpb.Duration) int64 {
	if d == nil {
		return -1
	}
	return d.AsDuration().Milliseconds()
}

func showDur(n int64) string {
	if n < 0 {
		return "unset"
	}
	return (time.Duration(n) * time.Millisecond).String()
}

// perFilter compares a route's effective per-filter configs by filter.
// A live config the route inherits (from its virtual host or the route
// configuration) is named so: a change there drifts every route that
// inherits it, and each is reported.
func (c *comparer) perFilter(at drift.At, w, g *rview) {
	for _, f := range sortedKeys(w.perFilter) {
		fat := withCtl(at, filterControl(f), "["+f+"]")
		if f == fExtAuthz {
			fat.Control = c.authControl(c.routeOf(w.route.GetName()))
		}
		gm, ok := g.perFilter[f]
		if !ok {
			c.d.Add(fat, "per-route "+f, drift.Finding{Direction: drift.Missing, Severity: drift.Weakening, Expected: canon(w.perFilter[f]),
				Message: "the route's " + f + " config is missing in live (the listener-wide config applies)"})
			continue
		}
		name := "per-route " + f + inherited(g.from[f])
		wl, wok := w.perFilter[f].(*localrlv3.LocalRateLimit)
		gl, gok := gm.(*localrlv3.LocalRateLimit)
		if wok && gok {
			c.localLimit(fat, "local_ratelimit"+inherited(g.from[f]), wl, gl)
			continue
		}
		c.msg(fat, name, w.perFilter[f], gm)
	}
	for _, f := range sortedKeys(g.perFilter) {
		if _, ok := w.perFilter[f]; !ok {
			c.d.Add(withCtl(at, filterControl(f), "["+f+"]"), "per-route "+f, drift.Finding{Direction: drift.Unexpected, Severity: drift.Weakening,
				Actual: canon(g.perFilter[f]), Message: "the route has a " + f + " config" + inherited(g.from[f]) +
					" in live the policy does not (it overrides the listener's)"})
		}
	}
}

// inherited names the level a live config comes from, for messages.
func inherited(level string) string {
	if level == "" {
		return ""
	}
	return " (inherited from the " + level + ")"
}

// mergedFilters are the filters that merge a route's per-filter config
// with the less specific ones field by field (cors: an empty field on
// the route falls through to the virtual host's), so a config on a
// virtual host or the route configuration changes routes that have their
// own: such configs are compared where they are set.
var mergedFilters = []string{fCORS}

// mergedFilters compares a virtual host's or route configuration's own
// configs of the mergedFilters.
func (c *comparer) mergedFilters(at drift.At, w, g map[string]proto.Message) {
	for _, f := range mergedFilters {
		if w[f] == nil && g[f] == nil {
			continue
		}
		fat := withCtl(at, filterControl(f), "["+f+"]")
		if w[f] == nil {
			c.d.Add(fat, f+" config", drift.Finding{Direction: drift.Unexpected, Severity: drift.Weakening, Actual: canon(g[f]),
				Message: f + " config in live the policy does not set here; the filter merges it into every route below"})
			continue
		}
		c.msg(fat, f+" config", w[f], g[f])
	}
}

// clusters compares the services' clusters and their upstream TLS.
func (c *comparer) clusters(want, got *view) {
	for _, n := range sortedKeys(want.clusters) {
		at := drift.At{Control: ir.CtlUpstreamTLS, Path: "clusters[" + n + "]"}
		w := want.clusters[n]
		g, ok := got.clusters[n]
		if !ok {
			c.d.Add(at, "cluster "+n, drift.Finding{Direction: drift.Missing, Severity: drift.Neutral, Expected: n,
				Message: "cluster " + n + " is missing in live"})
			continue
		}
		wt, werr := upstreamTLS(w.GetTransportSocket())
		gt, gerr := upstreamTLS(g.GetTransportSocket())
		if werr != nil || gerr != nil {
			c.d.Value(withPath(at, "transport_socket"), "upstream TLS", canon(w.GetTransportSocket()), canon(g.GetTransportSocket()), drift.AnyWeakens)
			continue
		}
		c.msg(withPath(at, "transport_socket"), "upstream TLS", wt, gt)
		c.msg(withCtl(at, ir.CtlUndeclared, "load_assignment"), "upstream endpoints", w.GetLoadAssignment(), g.GetLoadAssignment())
	}
}

// upstreamTLS unpacks a cluster's TLS context; nil without one.
func upstreamTLS(ts *corev3.TransportSocket) (proto.Message, error) {
	if ts == nil {
		return nil, nil
	}
	u := &tlsv3.UpstreamTlsContext{}
	if err := ts.GetTypedConfig().UnmarshalTo(u); err != nil {
		return nil, err
	}
	return u, nil
}
