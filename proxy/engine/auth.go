package engine

import (
	"context"
	"errors"
	"net/http"
	"slices"

	"github.com/rampart-policy/rampart/proxy/authn"
	"github.com/rampart-policy/rampart/proxy/config"
)

// authenticate tries the route's providers in order; the first that
// authenticates wins. A presented but rejected credential, or a provider
// outage, is a 401: never open.
func (e *Engine) authenticate(ctx context.Context, req Request, d *Decision) bool {
	if d.Route.Public {
		return true
	}
	now := e.deps.Now()
	throttleKey := "authfail|" + req.ClientIP
	if e.deps.Throttle != nil {
		if blocked, retry := e.deps.Throttle.Blocked(throttleKey, now); blocked {
			d.Status, d.Reason, d.RetryAfter = http.StatusTooManyRequests, ReasonAuthThrottled, retry
			d.Detail = "too many failed authentications from this client"
			return false
		}
	}
	var failure string
	for _, name := range d.Route.Providers {
		p, err := e.deps.Providers[name].Authenticate(ctx, req.HTTP)
		if err == nil && p != nil {
			d.Principal = p
			return true
		}
		if errors.Is(err, authn.ErrNoCredentials) {
			continue
		}
		if failure == "" {
			failure = failureReason(name, err)
		}
	}
	if failure == "" {
		failure = "no credentials"
	} else if e.deps.Throttle != nil {
		e.deps.Throttle.Fail(throttleKey, now)
	}
	d.Status, d.Reason, d.Detail = http.StatusUnauthorized, ReasonUnauthenticated, failure
	return false
}

// failureReason words an authentication error for the log.
func failureReason(provider string, err error) string {
	if err == nil {
		return provider + ": provider returned no principal"
	}
	var f *authn.Failure
	if errors.As(err, &f) {
		return f.Error()
	}
	return provider + ": provider unavailable: " + err.Error()
}

// authorize applies the route's rules: default deny.
func (e *Engine) authorize(_ context.Context, req Request, d *Decision) bool {
	if d.Route.Public {
		return true
	}
	for _, rule := range d.Route.Rules {
		if ruleAllows(rule, req.Method, d.Principal) {
			return true
		}
	}
	d.Status, d.Reason = http.StatusForbidden, ReasonForbidden
	d.Detail = "no allow rule matches " + req.Method + " for " + d.Principal.Subject
	return false
}

// ruleAllows reports whether rule allows method for principal p.
func ruleAllows(rule config.Rule, method string, p *authn.Principal) bool {
	if len(rule.Methods) > 0 && !slices.Contains(rule.Methods, method) {
		return false
	}
	if rule.AnyAuthenticated {
		return true
	}
	for _, r := range rule.Roles {
		if slices.Contains(p.Roles, r) {
			return true
		}
	}
	for _, s := range rule.Scopes {
		if slices.Contains(p.Scopes, s) {
			return true
		}
	}
	return false
}
