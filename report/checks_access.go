package report

import (
	"fmt"
	"slices"
	"strings"

	"github.com/rampart-policy/rampart/compiler/ir"
)

// providerCtl maps a provider kind to its rampart control.
var providerCtl = map[string]string{
	ir.KindAPIKey: ir.CtlAPIKey, ir.KindJWT: ir.CtlJWT, ir.KindMTLS: ir.CtlMTLSAuthn, ir.KindIntrospection: ir.CtlIntrospection,
}

// authnCtls lists the controls of the providers a route accepts.
func (e *env) authnCtls(r *ir.Route) []string {
	var out []string
	for _, name := range r.Providers {
		if pr := e.providers[name]; pr != nil {
			out = append(out, providerCtl[pr.Kind])
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// checkAuthnRequired requires authentication on every route carrying phi, pci or pii data.
func checkAuthnRequired(e *env) outcome {
	keep := func(r *ir.Route) bool { return sensitive(r.Classification) }
	return e.perRoute("authn.required", keep, func(r *ir.Route) item {
		o := routeOrigin(r, "authn")
		if r.Public || len(r.Providers) == 0 {
			return item{value: r.Classification + " route is public (no authentication)", origin: o}
		}
		return item{passed: true, value: "authenticated by " + strings.Join(r.Providers, ", "), origin: o, irctls: e.authnCtls(r)}
	})
}

// providerStrength judges one provider for person-or-entity authentication.
func providerStrength(pr *ir.Provider) (bool, string) {
	switch {
	case pr.JWT != nil:
		j := pr.JWT
		ok := j.Issuer != "" && len(j.Audiences) > 0 && len(j.Algorithms) > 0 && !slices.ContainsFunc(j.Algorithms, weakAlg)
		return ok, fmt.Sprintf("JWT issuer %s, audiences %s, algorithms %s", j.Issuer, strings.Join(j.Audiences, ", "), strings.Join(j.Algorithms, ", "))
	case pr.MTLS != nil:
		return len(pr.MTLS.Principals) > 0, fmt.Sprintf("client certificates, subject from %s, %d principals", pr.MTLS.SubjectFrom, len(pr.MTLS.Principals))
	case pr.Introspection != nil:
		return pr.Introspection.Endpoint != "", "OAuth 2 token introspection at " + pr.Introspection.Endpoint
	case pr.APIKey != nil:
		shared := slices.ContainsFunc(pr.APIKey.Consumers, func(c *ir.Consumer) bool { return c.Shared })
		return !shared, fmt.Sprintf("API key in %s %s, %d consumers, shared keys: %t", pr.APIKey.In, pr.APIKey.Name, len(pr.APIKey.Consumers), shared)
	}
	return false, "unknown provider kind " + pr.Kind
}

// weakAlg reports JWT algorithms a strict verifier refuses.
func weakAlg(a string) bool { return a == "none" || strings.HasPrefix(a, "HS") }

// checkAuthnStrong judges every provider: pinned JWT issuer, audiences and algorithms; mTLS principals; introspection; unshared API keys.
func checkAuthnStrong(e *env) outcome {
	var out outcome
	for _, pr := range e.p.Providers {
		ok, v := providerStrength(pr)
		out.items = append(out.items, item{check: "authn.strong", scope: "provider " + pr.Name, passed: ok, value: v,
			origin: pr.Origin, irctls: ctls(providerCtl[pr.Kind]), covers: e.routesUsing(pr.Name)})
	}
	return out
}

// routesUsing lists the routes a provider authenticates.
func (e *env) routesUsing(provider string) []string {
	var out []string
	for _, r := range e.routes {
		if slices.Contains(r.Providers, provider) {
			out = append(out, r.ID)
		}
	}
	return out
}

// checkUniqueIdentity requires every provider to yield a per-principal identity.
func checkUniqueIdentity(e *env) outcome {
	var out outcome
	for _, pr := range e.p.Providers {
		ok, v := true, ""
		switch {
		case pr.JWT != nil:
			ok, v = pr.JWT.SubjectClaim != "", "subject from claim "+pr.JWT.SubjectClaim
		case pr.Introspection != nil:
			ok, v = pr.Introspection.SubjectClaim != "", "subject from claim "+pr.Introspection.SubjectClaim
		case pr.MTLS != nil:
			v = "subject from certificate " + pr.MTLS.SubjectFrom
		case pr.APIKey != nil:
			var shared []string
			for _, c := range pr.APIKey.Consumers {
				if c.Shared {
					shared = append(shared, c.Name)
				}
			}
			ok, v = len(shared) == 0, "one key per consumer"
			if !ok {
				v = "shared keys: " + strings.Join(shared, ", ")
			}
		}
		out.items = append(out.items, item{check: "authn.uniqueIdentity", scope: "provider " + pr.Name, passed: ok, value: v,
			origin: pr.Origin, irctls: ctls(providerCtl[pr.Kind]), covers: e.routesUsing(pr.Name)})
	}
	return out
}

// checkTokenAge requires a maximum JWT age, at most max seconds when max > 0.
func checkTokenAge(max int) checkFunc {
	return func(e *env) outcome {
		var out outcome
		for _, pr := range e.p.Providers {
			if pr.JWT == nil {
				continue
			}
			age := pr.JWT.MaxTokenAgeSeconds
			ok := age > 0 && (max == 0 || age <= max)
			v := fmt.Sprintf("maxTokenAgeSeconds %d", age)
			if age == 0 {
				v = "no maximum token age"
			}
			if max > 0 {
				v += fmt.Sprintf(" (at most %d required)", max)
			}
			out.items = append(out.items, item{check: "authn.tokenAge", scope: "provider " + pr.Name, passed: ok, value: v,
				origin: pr.Origin, irctls: ctls(ir.CtlJWT), covers: e.routesUsing(pr.Name)})
		}
		return out
	}
}

// checkAuthFailures requires auth-failure throttling; maxAttempts and
// lockout bound it when non-zero.
func checkAuthFailures(maxAttempts, lockout int) checkFunc {
	return func(e *env) outcome {
		af := e.p.AuthFailures
		if af == nil {
			return e.policyItem("authn.failures", ir.CtlAuthFailures, false, "no authentication-failure throttling", ir.Origin{})
		}
		ok := (maxAttempts == 0 || af.MaxAttempts <= maxAttempts) && af.LockoutSeconds >= lockout
		v := fmt.Sprintf("%d failures per %d s lock the %s out for %d s", af.MaxAttempts, af.WindowSeconds, af.Key, af.LockoutSeconds)
		if maxAttempts > 0 {
			v += fmt.Sprintf(" (at most %d attempts and at least %d s required)", maxAttempts, lockout)
		}
		return e.policyItem("authn.failures", ir.CtlAuthFailures, ok, v, af.Origin)
	}
}

// checkAuthEndpointLimited requires a rate limit on every authentication endpoint.
func checkAuthEndpointLimited(e *env) outcome {
	keep := func(r *ir.Route) bool { return r.AuthEndpoint }
	return e.perRoute("authn.endpointLimited", keep, func(r *ir.Route) item {
		return item{passed: len(r.RateLimits) > 0, value: fmt.Sprintf("authentication endpoint with %d rate limits", len(r.RateLimits)),
			origin: r.Origin, irctls: ctls(ir.CtlRateLimit)}
	})
}

// checkJWTAlgorithms requires an asymmetric algorithm allow-list on every JWT provider.
func checkJWTAlgorithms(e *env) outcome {
	var out outcome
	for _, pr := range e.p.Providers {
		if pr.JWT == nil {
			continue
		}
		ok := len(pr.JWT.Algorithms) > 0 && !slices.ContainsFunc(pr.JWT.Algorithms, weakAlg)
		out.items = append(out.items, item{check: "jwt.algorithms", scope: "provider " + pr.Name, passed: ok,
			value: "algorithms " + strings.Join(pr.JWT.Algorithms, ", "), origin: pr.Origin, irctls: ctls(ir.CtlJWT), covers: e.routesUsing(pr.Name)})
	}
	return out
}

// checkJWTAudience requires audience binding and a required exp claim on every JWT provider.
func checkJWTAudience(e *env) outcome {
	var out outcome
	for _, pr := range e.p.Providers {
		if pr.JWT == nil {
			continue
		}
		ok := len(pr.JWT.Audiences) > 0 && slices.Contains(pr.JWT.RequiredClaims, "exp")
		out.items = append(out.items, item{check: "jwt.audience", scope: "provider " + pr.Name, passed: ok,
			value:  fmt.Sprintf("audiences %s; required claims %s", strings.Join(pr.JWT.Audiences, ", "), strings.Join(pr.JWT.RequiredClaims, ", ")),
			origin: pr.Origin, irctls: ctls(ir.CtlJWT), covers: e.routesUsing(pr.Name)})
	}
	return out
}

// checkAuthzRules records the default-deny rules of every authenticated
// route, and fails a route carrying phi, pci or pii data on which a rule
// allows any authenticated principal: that is authentication, not access
// limited by role or scope.
func checkAuthzRules(e *env) outcome {
	keep := func(r *ir.Route) bool { return !r.Public }
	return e.perRoute("authz.rules", keep, func(r *ir.Route) item {
		o := routeOrigin(r, ir.CtlAuthzRules)
		if len(r.Rules) == 0 {
			return item{value: "no allow rule: every request is denied", origin: o, passed: true, irctls: ctls(ir.CtlAuthzRules)}
		}
		if sensitive(r.Classification) && slices.ContainsFunc(r.Rules, func(ru ir.Rule) bool { return ru.AnyAuthenticated }) {
			return item{value: "a rule allows any authenticated principal to " + r.Classification + " data: " + describeRules(r.Rules),
				origin: o, irctls: ctls(ir.CtlAuthzRules)}
		}
		return item{passed: true, value: describeRules(r.Rules), origin: o, irctls: ctls(ir.CtlAuthzRules)}
	})
}

// describeRules summarises rules as "GET: clinician, nurse; POST: clinician".
func describeRules(rules []ir.Rule) string {
	var parts []string
	for _, ru := range rules {
		who := append(append([]string{}, ru.Roles...), ru.Scopes...)
		if ru.AnyAuthenticated {
			who = append(who, "any authenticated principal")
		}
		m := "all methods"
		if len(ru.Methods) > 0 {
			m = strings.Join(ru.Methods, ",")
		}
		parts = append(parts, m+": "+strings.Join(who, ", "))
	}
	return "default deny; allow " + strings.Join(parts, "; ")
}

// checkServiceAccountRules requires routes open to certificate or API-key clients to name roles rather than any authenticated principal.
func checkServiceAccountRules(e *env) outcome {
	keep := func(r *ir.Route) bool {
		return !r.Public && slices.ContainsFunc(r.Providers, func(n string) bool {
			pr := e.providers[n]
			return pr != nil && (pr.MTLS != nil || pr.APIKey != nil)
		})
	}
	return e.perRoute("authz.serviceAccounts", keep, func(r *ir.Route) item {
		broad := slices.ContainsFunc(r.Rules, func(ru ir.Rule) bool { return ru.AnyAuthenticated })
		v := describeRules(r.Rules)
		if broad {
			v = "a rule allows any authenticated principal: " + v
		}
		return item{passed: !broad, value: v, origin: routeOrigin(r, ir.CtlAuthzRules), irctls: ctls(ir.CtlAuthzRules)}
	})
}

// checkUndeclared requires undeclared paths to be rejected.
func checkUndeclared(e *env) outcome {
	v := "undeclared paths answered 404"
	if !e.p.RejectUndeclared {
		v = "undeclared paths are not rejected"
	}
	return e.policyItem("routing.undeclared", ir.CtlUndeclared, e.p.RejectUndeclared, v, ir.Origin{})
}

// checkMethods requires an explicit method allow-list on every route.
func checkMethods(e *env) outcome {
	return e.perRoute("routing.methods", nil, func(r *ir.Route) item {
		return item{passed: len(r.Methods) > 0, value: "methods " + strings.Join(r.Methods, ", "), origin: r.Origin, irctls: ctls(ir.CtlMethods)}
	})
}

// checkRateLimits requires a rate limit on every route.
func checkRateLimits(e *env) outcome {
	return e.perRoute("limits.rate", nil, func(r *ir.Route) item {
		if len(r.RateLimits) == 0 {
			return item{value: "no rate limit", origin: r.Origin, irctls: ctls(ir.CtlRateLimit)}
		}
		var parts []string
		var cs []string
		var o ir.Origin
		for _, rl := range r.RateLimits {
			parts = append(parts, fmt.Sprintf("%s %d/%s by %s", rl.Name, rl.Requests, rl.Per, rl.Key))
			cs = append(cs, rateCtl(rl.Key))
			if rl.Shared {
				cs = append(cs, ir.CtlRateLimitShared)
			}
			if o.File == "" || rl.Scope == "route" {
				o = rl.Origin
			}
		}
		slices.Sort(cs)
		return item{passed: true, value: strings.Join(parts, "; "), origin: o, irctls: slices.Compact(cs)}
	})
}

// rateCtl maps a rate-limit key to its rampart control.
func rateCtl(key string) string {
	switch key {
	case "subject":
		return ir.CtlRateLimitSubject
	case "apiKey":
		return ir.CtlRateLimitAPIKey
	case "header":
		return ir.CtlRateLimitHeader
	}
	return ir.CtlRateLimit
}

// checkBodyLimit requires a request body limit on every route.
func checkBodyLimit(e *env) outcome {
	return e.perRoute("limits.body", nil, func(r *ir.Route) item {
		return item{passed: r.Limits.MaxBodyBytes > 0, value: fmt.Sprintf("maxBodyBytes %d", r.Limits.MaxBodyBytes),
			origin: r.Origin, irctls: ctls(ir.CtlBodyLimit)}
	})
}

// checkHeaderLimit requires a request header size limit on every route.
func checkHeaderLimit(e *env) outcome {
	return e.perRoute("limits.header", nil, func(r *ir.Route) item {
		return item{passed: r.Limits.MaxHeaderBytes > 0, value: fmt.Sprintf("maxHeaderBytes %d", r.Limits.MaxHeaderBytes),
			origin: r.Origin, irctls: ctls(ir.CtlHeaderLimit)}
	})
}

// checkTimeouts requires header and upstream timeouts on every route.
func checkTimeouts(e *env) outcome {
	return e.perRoute("limits.timeouts", nil, func(r *ir.Route) item {
		l := r.Limits
		return item{passed: l.HeaderTimeout > 0 && l.UpstreamTimeout > 0,
			value:  fmt.Sprintf("timeouts header %d s, body %d s, idle %d s, upstream %d s", l.HeaderTimeout, l.BodyTimeout, l.IdleTimeout, l.UpstreamTimeout),
			origin: r.Origin, irctls: ctls(ir.CtlTimeouts)}
	})
}

// checkIdleTimeout requires an idle connection timeout on every route.
func checkIdleTimeout(e *env) outcome {
	return e.perRoute("limits.idle", nil, func(r *ir.Route) item {
		return item{passed: r.Limits.IdleTimeout > 0, value: fmt.Sprintf("idle timeout %d s", r.Limits.IdleTimeout),
			origin: r.Origin, irctls: ctls(ir.CtlTimeouts)}
	})
}

// checkContentTypes requires a content-type allow-list on every route that accepts a body.
func checkContentTypes(e *env) outcome {
	keep := func(r *ir.Route) bool {
		return slices.ContainsFunc(r.Methods, func(m string) bool { return m == "POST" || m == "PUT" || m == "PATCH" })
	}
	return e.perRoute("validation.contentType", keep, func(r *ir.Route) item {
		if len(r.ContentTypes) == 0 {
			return item{value: "accepts a body of any content type", origin: r.Origin, irctls: ctls(ir.CtlContentTypes)}
		}
		return item{passed: true, value: "content types " + strings.Join(r.ContentTypes, ", "), origin: r.Origin, irctls: ctls(ir.CtlContentTypes)}
	})
}
