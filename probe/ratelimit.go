package probe

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/drift"
)

// maxRateRequests bounds the rate-limit probe: a limit whose budget needs
// more requests is not probed.
const maxRateRequests = 300

// rateLimit probes the IP-keyed limit with the smallest budget: it sends
// at most burst+1, plus what the rate refills in two seconds, plus three
// requests, and stops at the first 429.
func (pr *prober) rateLimit(ctx context.Context, routes []*ir.Route) error {
	r, rl, budget := smallestBudget(routes)
	if r == nil || budget > maxRateRequests {
		return nil
	}
	at := drift.At{Control: ir.CtlRateLimit, Route: r.ID, Listener: pr.l.Name, Path: r.Methods[0] + " " + concretePath(r), Origin: rl.Origin}
	for i := 1; i <= budget; i++ {
		code, _, err := pr.do(ctx, r.Methods[0], concretePath(r), nil, nil)
		if err != nil {
			return pr.failed(ctx, at, "rate limit answered 429 within budget", err)
		}
		if code == http.StatusTooManyRequests {
			pr.d.Add(at, "rate limit answered 429 within budget")
			return nil
		}
	}
	pr.d.Add(at, "rate limit answered 429 within budget", drift.Finding{Direction: drift.Missing, Severity: drift.Weakening,
		Expected: "429 within " + strconv.Itoa(budget) + " requests", Actual: "no 429 after " + strconv.Itoa(budget) + " requests",
		Message: fmt.Sprintf("rate limit %s (%d/%s, burst %d) did not answer 429 within %d requests", rl.Name, rl.Requests, rl.Per, rl.Burst, budget)})
	return nil
}

// smallestBudget finds the IP-keyed limit needing the fewest requests.
func smallestBudget(routes []*ir.Route) (*ir.Route, ir.RateLimit, int) {
	var best *ir.Route
	var bestRL ir.RateLimit
	bestN := 0
	for _, r := range routes {
		for _, rl := range r.RateLimits {
			if rl.Key != "ip" {
				continue
			}
			n := rl.Burst + 1 + (2*rl.PerHour+3599)/3600 + 3
			if best == nil || n < bestN {
				best, bestRL, bestN = r, rl, n
			}
		}
	}
	return best, bestRL, bestN
}
