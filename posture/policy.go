package posture

import (
	"slices"
	"strings"

	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/drift"
)

// policy compares the policy-wide settings.
func (d *differ) policy() {
	b, h := d.base, d.head
	top := where{}
	d.set(top, "", "baselines", "baselines", baselineIDs(b), baselineIDs(h), drift.Strengthening)
	d.flag(where{origin: d.fallback}, ir.CtlUndeclared, "rejectUndeclaredRoutes", b.RejectUndeclared, h.RejectUndeclared, true,
		"undeclared routes are now rejected (404)", "undeclared routes are no longer rejected: requests no route declares reach the upstreams")
	d.authFailures()
	d.logging()
	d.waivers()
	d.targets(where{origin: d.fallback}, b.Targets, h.Targets)
	d.deploy(b.Targets.Deploy, h.Targets.Deploy)
}

// targets compares per-gateway settings; they change where enforcement
// happens, not how strict it is, so every change is neutral. Secret
// references are compared as references.
func (d *differ) targets(w where, b, h ir.TargetSettings) {
	d.text(w, "", "targets.authorizer.url", "authorizer URL", b.AuthorizerURL, h.AuthorizerURL)
	d.text(w, "", "targets.kong.edition", "Kong edition", b.KongEdition, h.KongEdition)
	d.text(w, ir.CtlRateLimitShared, "targets.goproxy.redis.address", "Redis address for shared limits", b.RedisAddress, h.RedisAddress)
	d.text(w, ir.CtlRateLimitShared, "targets.goproxy.redis.passwordRef", "Redis password reference", string(b.RedisPasswordRef), string(h.RedisPasswordRef))
}

func baselineIDs(p *ir.Policy) []string {
	var out []string
	for _, b := range p.Baselines {
		out = append(out, b.ID)
	}
	return out
}

// authFailures compares the failed-authentication throttle.
func (d *differ) authFailures() {
	b, h := d.base.AuthFailures, d.head.AuthFailures
	var w where
	if h != nil {
		w.origin = h.Origin
	}
	if !d.compare((b == nil) != (h == nil)) {
		if b == nil {
			return
		}
		ctl := ir.CtlAuthFailures
		d.number(w, ctl, "authFailures.maxAttempts", "failed-authentication limit", b.MaxAttempts, h.MaxAttempts, lowerStronger, count("attempts"))
		d.number(w, ctl, "authFailures.windowSeconds", "failed-authentication window", b.WindowSeconds, h.WindowSeconds, higherStronger, count("s"))
		d.number(w, ctl, "authFailures.lockoutSeconds", "failed-authentication lockout", b.LockoutSeconds, h.LockoutSeconds, higherStronger, count("s"))
		d.text(w, ctl, "authFailures.key", "failed-authentication key", b.Key, h.Key)
		return
	}
	if h == nil {
		d.add(w, drift.Weakening, drift.Missing, ir.CtlAuthFailures, "authFailures", "on", "",
			"failed-authentication throttling removed (was %d attempts in %d s, lockout %d s)", b.MaxAttempts, b.WindowSeconds, b.LockoutSeconds)
		return
	}
	d.add(w, drift.Strengthening, drift.Unexpected, ir.CtlAuthFailures, "authFailures", "", "on",
		"failed-authentication throttling added (%d attempts in %d s, lockout %d s)", h.MaxAttempts, h.WindowSeconds, h.LockoutSeconds)
}

// logging compares the access log, its redactions and retention.
func (d *differ) logging() {
	b, h := d.base.Logging, d.head.Logging
	w := where{origin: h.Origin}
	d.flag(w, ir.CtlAccessLog, "logging.enabled", b.Enabled, h.Enabled, true, "access logging turned on", "access logging turned off")
	d.set(w, ir.CtlAccessLog, "logging.fields", "access-log fields", b.Fields, h.Fields, drift.Strengthening)
	d.flag(w, ir.CtlAccessLog, "logging.authFailures", b.AuthFailures, h.AuthFailures, true,
		"failed authentications are now logged", "failed authentications are no longer logged")
	d.number(w, ir.CtlAccessLog, "logging.retentionDays", "log retention", b.RetentionDays, h.RetentionDays, higherStronger, count("days"))
	d.sink(w, b, h)
	d.text(w, ir.CtlAccessLog, "logging.format", "log format", b.Format, h.Format)
	d.redactions(w, b.Redact, h.Redact)
}

// sink compares where the access log goes. Lines carry identities, client
// addresses and paths: a sink that now ships them over plain http:// is a
// weakening, one that stops doing so a strengthening; any other move is
// neutral.
func (d *differ) sink(w where, b, h ir.Logging) {
	bs, hs := b.Sink+" "+b.SinkTarget, h.Sink+" "+h.SinkTarget
	if !d.compare(bs != hs) {
		return
	}
	sev := drift.Neutral
	switch bc, hc := cleartextSink(b), cleartextSink(h); {
	case hc && !bc:
		sev = drift.Weakening
	case bc && !hc:
		sev = drift.Strengthening
	}
	d.add(w, sev, drift.Changed, ir.CtlAccessLog, "logging.sink", bs, hs, "log sink changed %s → %s%s", bs, hs, cleartextNote(h))
}

// cleartextSink reports whether the log is shipped over plain HTTP.
func cleartextSink(l ir.Logging) bool {
	return l.Sink == "http" && strings.HasPrefix(strings.ToLower(l.SinkTarget), "http://")
}

func cleartextNote(l ir.Logging) string {
	if cleartextSink(l) {
		return " (access-log lines now cross the network unencrypted)"
	}
	return ""
}

// redactionStrength ranks redaction modes: dropping a value hides more
// than redacting it, which hides more than a (linkable) hash.
var redactionStrength = []string{"", "hash", "redact", "drop"}

// redactions compares redactions by kind and name.
func (d *differ) redactions(w where, b, h []ir.Redaction) {
	key := func(r ir.Redaction) string { return r.Kind + " " + r.Name }
	bm, hm := map[string]string{}, map[string]string{}
	for _, r := range b {
		bm[key(r)] = r.Mode
	}
	for _, r := range h {
		hm[key(r)] = r.Mode
	}
	for _, k := range unionKeys(bm, hm) {
		d.ordered(w, ir.CtlRedact, "logging.redact["+k+"]", "redaction of "+k+" in the access log", bm[k], hm[k], redactionStrength)
	}
}

// waivers compares waivers by control, target and route: a new waiver, or
// a later expiry, excuses a control and is a weakening.
func (d *differ) waivers() {
	key := func(w ir.Waiver) string { return w.Control + " on " + w.Target + routeSuffix(w.Route) }
	bm, hm := map[string]ir.Waiver{}, map[string]ir.Waiver{}
	for _, w := range d.base.Waivers {
		bm[key(w)] = w
	}
	for _, w := range d.head.Waivers {
		hm[key(w)] = w
	}
	for _, k := range unionKeys(bm, hm) {
		bw, inB := bm[k]
		hw, inH := hm[k]
		d.compare(!inB || !inH || bw.Expires != hw.Expires)
		at := where{route: hw.Route, origin: hw.Origin}
		switch {
		case !inH:
			at.route = bw.Route
			d.add(at, drift.Strengthening, drift.Missing, bw.Control, "waivers["+k+"]", bw.Expires, "",
				"waiver of %s removed (was approved by %s until %s)", k, bw.Approver, bw.Expires)
		case !inB:
			d.add(at, drift.Weakening, drift.Unexpected, hw.Control, "waivers["+k+"]", "", hw.Expires,
				"waiver of %s added, approved by %s until %s: %s", k, hw.Approver, hw.Expires, hw.Reason)
		case hw.Expires > bw.Expires:
			d.add(at, drift.Weakening, drift.Changed, hw.Control, "waivers["+k+"].expires", bw.Expires, hw.Expires,
				"waiver of %s extended %s → %s (approved by %s)", k, bw.Expires, hw.Expires, hw.Approver)
		case hw.Expires < bw.Expires:
			d.add(at, drift.Strengthening, drift.Changed, hw.Control, "waivers["+k+"].expires", bw.Expires, hw.Expires,
				"waiver of %s shortened %s → %s", k, bw.Expires, hw.Expires)
		}
	}
}

func routeSuffix(r string) string {
	if r == "" {
		return ""
	}
	return " for route " + r
}

// unionKeys returns the keys of both maps, sorted.
func unionKeys[V any](a, b map[string]V) []string {
	var out []string
	for k := range a {
		out = append(out, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}
