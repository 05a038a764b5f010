package nginx

import (
	"fmt"

	"github.com/rampart-policy/rampart/compiler/ir"
)

// zoneSize is each limit_req zone's shared memory (about 160k IPv4
// clients).
const zoneSize = "10m"

// rateLimits returns limit_req for the location's IP- and header-keyed
// limits, adding one limit_req_zone per (route, limit), as the engine
// keeps one bucket per route and limit. Subject- and API-key-keyed limits
// are enforced by rampart's authorizer through auth_request (auth.go):
// limit_req runs before auth_request, so nginx cannot key on the
// authenticated subject.
func (e *emitter) rateLimits(lc *loc) ([]Directive, error) {
	var out []Directive
	for _, r := range lc.routes {
		for _, rl := range r.RateLimits {
			if rl.Key != "ip" && rl.Key != "header" {
				continue
			}
			d, err := e.rateLimit(lc, r, rl)
			if err != nil {
				return nil, fmt.Errorf("rate limit %s: %w", rl.Name, err)
			}
			out = append(out, d)
		}
	}
	return out, nil
}

// rateLimit emits one zone and returns its limit_req.
func (e *emitter) rateLimit(lc *loc, r *ir.Route, rl ir.RateLimit) (Directive, error) {
	key := "$binary_remote_addr"
	if rl.Key == "header" {
		k, err := e.headerKey(rl.Header)
		if err != nil {
			return Directive{}, err
		}
		key = k
	}
	if len(lc.routes) > 1 {
		k, err := e.methodScoped(r, key)
		if err != nil {
			return Directive{}, err
		}
		key = k
	}
	rate, note, err := nginxRate(rl.PerHour)
	if err != nil {
		return Directive{}, err
	}
	zone := fmt.Sprintf("rampart_rl%d", e.next())
	comment := fmt.Sprintf("route %s, limit %s: %d/%s burst %d", r.ID, rl.Name, rl.Requests, rl.Per, rl.Burst) + note
	if rl.Shared && e.p.Targets.AuthorizerURL != "" {
		comment += "; per instance here, shared across instances by the authorizer"
	} else if rl.Shared {
		comment += "; per instance only (ratelimit.shared is waived)"
	}
	e.zones = append(e.zones, D("limit_req_zone", Raw(key), Raw("zone="+zone+":"+zoneSize), Raw("rate="+rate)).WithComment(comment))
	args := Raws("zone=" + zone)
	if rl.Burst > 0 {
		args = append(args, Raw(fmt.Sprintf("burst=%d", rl.Burst)), Raw("nodelay"))
	}
	return D("limit_req", args...), nil
}

// nginxRate expresses a rate per hour in r/s or r/m; a rate between
// whole requests per minute is rounded down (stricter, never looser).
func nginxRate(perHour int) (rate, note string, err error) {
	switch {
	case perHour <= 0:
		return "", "", fmt.Errorf("rate %d/hour is not positive", perHour)
	case perHour%3600 == 0:
		return fmt.Sprintf("%dr/s", perHour/3600), "", nil
	case perHour%60 == 0:
		return fmt.Sprintf("%dr/m", perHour/60), "", nil
	case perHour < 60:
		return "", "", fmt.Errorf("rate %d/hour is below nginx's finest rate, 1r/m", perHour)
	}
	return fmt.Sprintf("%dr/m", perHour/60), fmt.Sprintf(" (rounded down from %d/hour)", perHour), nil
}

// headerKey returns a variable holding the header's value, or "-" when
// the request lacks it: the engine counts header-less requests in one
// bucket, while nginx would not limit an empty key at all.
func (e *emitter) headerKey(h string) (string, error) {
	if v, ok := e.hkeys[h]; ok {
		return v, nil
	}
	src, err := headerVar(h)
	if err != nil {
		return "", err
	}
	v := e.addMap(src, "hk", D("", Raws("", "-")...), D("default", Raw(src)))
	e.hkeys[h] = v
	return v, nil
}

// methodScoped returns a variable that is key for the route's methods and
// empty (not limited) otherwise, for locations shared by several routes.
func (e *emitter) methodScoped(r *ir.Route, key string) (string, error) {
	alt, err := methodAlternation(r.Methods)
	if err != nil {
		return "", err
	}
	return e.addMap("$request_method", "rk", D("", Raw("~^("+alt+")$"), Raw(key)), D("default", Raw(""))), nil
}
