package engine

import (
	"context"
	"net/http"
	"strings"

	"github.com/rampart-policy/rampart/proxy/config"
	"github.com/rampart-policy/rampart/proxy/ratelimit"
)

// clientLimits applies limits keyed by client IP or a request header;
// they run before authentication, so floods are cheap to refuse.
func (e *Engine) clientLimits(ctx context.Context, req Request, d *Decision) bool {
	return e.limits(ctx, req, d, func(l config.RateLimit) bool {
		return l.Key == "ip" || strings.HasPrefix(l.Key, "header:")
	})
}

// subjectLimits applies limits keyed by the authenticated subject or API
// key, after authorization.
func (e *Engine) subjectLimits(ctx context.Context, req Request, d *Decision) bool {
	return e.limits(ctx, req, d, func(l config.RateLimit) bool {
		return l.Key == "subject" || l.Key == "apiKey"
	})
}

// limits takes a token from every selected limit of the route.
func (e *Engine) limits(ctx context.Context, req Request, d *Decision, selected func(config.RateLimit) bool) bool {
	for _, l := range d.Route.RateLimits {
		if !selected(l) {
			continue
		}
		store := e.deps.Local
		if l.Shared {
			store = e.deps.Shared
		}
		key := d.Route.ID + "|" + l.Name + "|" + limitKey(l, req, d)
		res, err := store.Take(ctx, key, ratelimit.Limit{RatePerSecond: l.RatePerSecond, Burst: l.Burst}, e.deps.Now())
		if err != nil {
			d.Status, d.Reason, d.Detail = http.StatusServiceUnavailable, ReasonUnavailable, err.Error()
			return false
		}
		if !res.Allowed {
			d.Status, d.Reason, d.RetryAfter = http.StatusTooManyRequests, ReasonRateLimited, res.RetryAfter
			d.Detail = "rate limit " + l.Name
			return false
		}
	}
	return true
}

// limitKey is the value a limit is kept per. Without an authenticated
// principal (a public route), subject and API-key limits fall back to the
// client IP; a missing header counts as one shared "-" bucket.
func limitKey(l config.RateLimit, req Request, d *Decision) string {
	switch {
	case strings.HasPrefix(l.Key, "header:"):
		v := ""
		if req.HTTP != nil {
			v = req.HTTP.Header.Get(strings.TrimPrefix(l.Key, "header:"))
		}
		if v == "" {
			v = "-"
		}
		return "h:" + v
	case (l.Key == "subject" || l.Key == "apiKey") && d.Principal != nil:
		return "s:" + d.Principal.Provider + ":" + d.Principal.Subject
	}
	return "ip:" + req.ClientIP
}
