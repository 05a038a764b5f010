package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/netip"
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
		switch {
		case l.Shared:
			store = e.deps.Shared
		case strings.HasPrefix(l.Key, "header:"):
			store = e.deps.Keyed
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

// limitKey is the value a limit is kept per, hashed so that bucket keys
// have a fixed size whatever the client sends. Without an authenticated
// principal (a public route), subject and API-key limits fall back to the
// client IP; a missing header counts as one shared "-" bucket; IPv6
// clients are kept per /64, the block one subscriber usually holds.
func limitKey(l config.RateLimit, req Request, d *Decision) string {
	var v string
	switch {
	case strings.HasPrefix(l.Key, "header:"):
		if req.HTTP != nil {
			v = req.HTTP.Header.Get(strings.TrimPrefix(l.Key, "header:"))
		}
		if v == "" {
			v = "-"
		}
		v = "h:" + v
	case (l.Key == "subject" || l.Key == "apiKey") && d.Principal != nil:
		v = "s:" + d.Principal.Provider + ":" + d.Principal.Subject
	default:
		v = "ip:" + ipBlock(req.ClientIP)
	}
	sum := sha256.Sum256([]byte(v))
	return hex.EncodeToString(sum[:16])
}

// ipBlock returns an IPv4 address as is and an IPv6 address's /64.
func ipBlock(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil || a.Is4() || a.Is4In6() {
		return ip
	}
	p, _ := a.Prefix(64)
	return p.String()
}

// knownKey reports whether a rate-limit key is one the engine applies.
func knownKey(k string) bool {
	switch k {
	case "ip", "subject", "apiKey":
		return true
	}
	name, ok := strings.CutPrefix(k, "header:")
	return ok && name != "" && !strings.ContainsAny(name, " :\r\n")
}
