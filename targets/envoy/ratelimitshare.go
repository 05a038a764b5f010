package envoy

import (
	"errors"
	"fmt"
	"slices"

	"github.com/rampart-policy/rampart/compiler/diag"
	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/targets/internal/targetapi"
)

// periodsPerHour is how many of each rate-limit period an hour holds.
var periodsPerHour = map[string]int{"second": 3600, "minute": 60, "hour": 1}

// forwardParts is how many Envoy routes forward r's requests, each
// keeping token buckets of its own (local_ratelimit keeps them in the
// route's per-filter configuration, and Envoy has no way to share one
// between routes): one per listener r's service is on (each listener has
// its own route table), twice that with content types (the listed-type
// route and the no-body route; the 415 route forwards nothing). The
// preflight, 405 and 404 routes forward nothing either.
func forwardParts(p *ir.Policy, s *ir.Service, r *ir.Route) int {
	n := 0
	for _, l := range p.Listeners {
		if slices.Contains(s.Listeners, l.Name) {
			n++
		}
	}
	if len(r.ContentTypes) > 0 {
		n *= 2
	}
	return max(n, 1)
}

// shareLimit is the part of rl one of parts Envoy routes may allow, so
// that together they allow no more than rl: the requests per period
// divided by parts, rounded down, and the bucket (burst+1 tokens) divided
// likewise, rounded down. A bucket smaller than parts cannot be divided:
// each part keeps one token (burst 0), so together they may let parts
// requests through at once where the policy lets burst+1. ok is false
// when fewer than one request per period is left to each part: the part
// then keeps one, and the route is a gap (splitGaps) unless waived.
func shareLimit(rl ir.RateLimit, parts int) (share ir.RateLimit, ok bool) {
	if parts <= 1 {
		return rl, true
	}
	per := periodsPerHour[rl.Per]
	if per == 0 || rl.Requests*per != rl.PerHour {
		// not as the schema normalises it: share the hourly rate
		rl.Requests, rl.Per, per = rl.PerHour, "hour", 1
	}
	n := rl.Requests / parts
	rl.Requests = max(n, 1)
	rl.PerHour = rl.Requests * per
	rl.Burst = max((rl.Burst+1)/parts, 1) - 1
	return rl, n >= 1
}

// splitGap is a native rate limit too small to share among the Envoy
// routes that forward its route.
type splitGap struct {
	route   *ir.Route
	control string
	detail  string
}

// splitGaps lists, in policy order, every IP or header limit that leaves
// fewer than one request per period to each of the Envoy routes that
// forward its route.
func splitGaps(p *ir.Policy) []splitGap {
	var out []splitGap
	for _, s := range p.Services {
		for _, r := range s.Routes {
			parts := forwardParts(p, s, r)
			for _, rl := range nativeLimits(r) {
				if _, ok := shareLimit(rl, parts); ok {
					continue
				}
				ctl := ir.CtlRateLimit
				if rl.Key == "header" {
					ctl = ir.CtlRateLimitHeader
				}
				out = append(out, splitGap{route: r, control: ctl, detail: fmt.Sprintf(
					"rate limit %s: %d requests per %s cannot be shared by the %d Envoy routes that forward the route, each with token buckets of its own",
					rl.Name, rl.Requests, rl.Per, parts)})
			}
		}
	}
	return out
}

// splitErrors fails the build on every split gap no waiver covers, one
// targets.RouteError per route and limit, so Build fails closed even
// when called without targets.Check.
func splitErrors(p *ir.Policy) error {
	var errs []error
	for _, g := range splitGaps(p) {
		if waived(p, g.control, g.route.ID) {
			continue
		}
		errs = append(errs, &targetapi.RouteError{Route: g.route.ID,
			Err: fmt.Errorf("target envoy cannot enforce %s: %s (add a waiver for control %q, target \"envoy\", or change the policy)", g.control, g.detail, g.control)})
	}
	return errors.Join(errs...)
}

// splitDiags reports every split gap as targets.Check reports a control
// the target lacks: an error (RMP400) at the route, or a warning
// (RMP401) at the waiver covering it, under which each forwarding route
// keeps one request per period.
func splitDiags(p *ir.Policy) diag.List {
	var out diag.List
	for _, g := range splitGaps(p) {
		o := g.route.Origin
		d := diag.Diagnostic{Pos: diag.Pos{File: o.File, Line: o.Line, Col: o.Col}, Path: o.Path, Severity: diag.Error,
			Code: diag.CodeUnsupported, Control: g.control,
			Message: fmt.Sprintf("target envoy cannot enforce %s on route %s (%s): remove the control for this target, choose another target, or add a waiver (control %q, target \"envoy\")",
				g.control, g.route.ID, g.detail, g.control)}
		for _, w := range p.Waivers {
			if w.Covers(g.control, "envoy", g.route.ID) {
				d = diag.Diagnostic{Pos: diag.Pos{File: w.Origin.File, Line: w.Origin.Line, Col: w.Origin.Col}, Severity: diag.Warning,
					Code: diag.CodeWaived, Message: fmt.Sprintf("target envoy does not enforce %s on route %s (%s); waived until %s by %s: %s",
						g.control, g.route.ID, g.detail, w.Expires, w.Approver, w.Reason)}
				break
			}
		}
		out.Add(d)
	}
	return out
}
