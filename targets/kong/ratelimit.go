package kong

import (
	"fmt"
	"strings"

	"github.com/rampart-policy/rampart/compiler/ir"
)

// rateLimitControl maps rate-limit keys to their control IDs.
var rateLimitControl = map[string]string{
	"ip": ir.CtlRateLimit, "subject": ir.CtlRateLimitSubject, "apiKey": ir.CtlRateLimitAPIKey, "header": ir.CtlRateLimitHeader,
}

// sharedLimitsOK reports whether shared limits can use Redis: the
// policy's Redis (targets.goproxy.redis) with no password or an env
// reference Kong's env vault resolves.
func sharedLimitsOK(p *ir.Policy) bool {
	if p.Targets.RedisAddress == "" {
		return false
	}
	if _, _, err := hostPort(p.Targets.RedisAddress); err != nil {
		return false
	}
	_, ok := vaultRef(p.Targets.RedisPasswordRef)
	return ok || p.Targets.RedisPasswordRef == ""
}

// rlKey identifies the limits one rate-limiting plugin can carry.
type rlKey struct {
	key, header string
}

// keyOrder is the order in which a route's limit keys claim its one
// rate-limiting plugin: the client-IP limit, the baseline, first.
var keyOrder = []string{"ip", "header", "apiKey", "subject"}

// rateLimit builds the route's rate-limiting plugin. Kong allows one per
// route, so it carries the limits of one key (the first in keyOrder the
// route has); the others are gaps. Limits per window are merged (the
// smallest wins) and a shorter window is capped at a longer window's
// limit, which is the same limit and satisfies Kong's ordering check. If
// any merged limit is shared, all are counted in Redis (stricter for the
// local ones). Kong counts fixed windows and has no burst.
//
// Kong keys its counters by the plugin's route id, so a route built as
// parts Kong routes (split by methods) counts each part on its own: each
// part gets 1/parts of every limit, rounded down, so that together they
// never allow more than the policy; a limit smaller than parts is a gap.
func (e *emitter) rateLimit(r *ir.Route, auth authScheme, caps map[string]bool, parts int) (Plugin, bool) {
	var chosen *rlKey
	for _, k := range keyOrder {
		for _, rl := range r.RateLimits {
			if rl.Key == k && chosen == nil && caps[rateLimitControl[rl.Key]] {
				chosen = &rlKey{rl.Key, strings.ToLower(rl.Header)}
			}
		}
	}
	if chosen == nil {
		return Plugin{}, false
	}
	windows := map[string]int{}
	shared := false
	for _, rl := range r.RateLimits {
		if !caps[rateLimitControl[rl.Key]] {
			continue
		}
		if (rlKey{rl.Key, strings.ToLower(rl.Header)}) != *chosen {
			e.gap(r, rateLimitControl[rl.Key], "rate limit "+rl.Name+": Kong runs one rate-limiting plugin per route, already keyed by "+chosen.key)
			continue
		}
		shared = shared || rl.Shared
		if cur, ok := windows[rl.Per]; !ok || rl.Requests < cur {
			windows[rl.Per] = rl.Requests
		}
	}
	if parts > 1 {
		for _, w := range []string{"second", "minute", "hour"} {
			n, ok := windows[w]
			if !ok {
				continue
			}
			if windows[w] = n / parts; windows[w] < 1 {
				windows[w] = 1
				e.gap(r, rateLimitControl[chosen.key], fmt.Sprintf("%d requests per %s cannot be shared by the %d Kong routes the route's methods need (Kong counts per route)", n, w, parts))
			}
		}
	}
	c := &RateLimitingConfig{Policy: "local", ErrorCode: 429}
	if !e.limitBy(r, c, *chosen, auth) {
		return Plugin{}, false
	}
	e.setWindows(c, windows)
	if shared && caps[ir.CtlRateLimitShared] {
		host, port, _ := hostPort(e.p.Targets.RedisAddress)
		c.Policy = "redis"
		c.Redis = &RedisConfig{Host: host, Port: port}
		c.Redis.Password, _ = vaultRef(e.p.Targets.RedisPasswordRef)
	}
	return Plugin{Name: "rate-limiting", Config: c}, true
}

// limitBy sets what the limit counts by. A subject limit needs Kong
// consumers (API keys); with tokens Kong maps no consumer and would fall
// back to the client IP, so that is a gap.
func (e *emitter) limitBy(r *ir.Route, c *RateLimitingConfig, k rlKey, auth authScheme) bool {
	switch k.key {
	case "ip":
		c.LimitBy = "ip"
	case "header":
		c.LimitBy, c.HeaderName = "header", k.header
	case "apiKey", "subject":
		if auth.kind != ir.KindAPIKey {
			e.gap(r, rateLimitControl[k.key], "Kong keys "+k.key+" limits by consumer, which only API keys provide here")
			return false
		}
		c.LimitBy = map[string]string{"apiKey": "credential", "subject": "consumer"}[k.key]
	default:
		return false
	}
	return true
}

// setWindows sets the per-window limits, capping each window at every
// longer window's limit.
func (e *emitter) setWindows(c *RateLimitingConfig, windows map[string]int) {
	order := []string{"second", "minute", "hour"}
	for i, w := range order {
		n, ok := windows[w]
		if !ok {
			continue
		}
		for _, longer := range order[i+1:] {
			if m, ok := windows[longer]; ok && m < n {
				n = m
			}
		}
		v := n
		switch w {
		case "second":
			c.Second = &v
		case "minute":
			c.Minute = &v
		case "hour":
			c.Hour = &v
		}
	}
}
