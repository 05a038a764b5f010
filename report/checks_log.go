package report

import (
	"fmt"
	"slices"
	"strings"

	"github.com/rampart-policy/rampart/compiler/ir"
)

// header returns a response header's value on r, or "".
func header(r *ir.Route, name string) string {
	for _, h := range r.Headers.Set {
		if strings.EqualFold(h.Name, name) {
			return h.Value
		}
	}
	return ""
}

// checkSecurityHeaders requires X-Content-Type-Options and hidden server tokens on every route.
func checkSecurityHeaders(e *env) outcome {
	return e.perRoute("headers.security", nil, func(r *ir.Route) item {
		var names []string
		for _, h := range r.Headers.Set {
			names = append(names, h.Name)
		}
		ok := r.Headers.HideServerTokens && header(r, "X-Content-Type-Options") != ""
		v := "headers " + strings.Join(names, ", ") + fmt.Sprintf("; server tokens hidden: %t", r.Headers.HideServerTokens)
		return item{passed: ok, value: v, origin: r.Origin, irctls: ctls(ir.CtlHeaders)}
	})
}

// checkNoStore requires Cache-Control: no-store on every route carrying sensitive data.
func checkNoStore(e *env) outcome {
	keep := func(r *ir.Route) bool { return sensitive(r.Classification) }
	return e.perRoute("headers.noStore", keep, func(r *ir.Route) item {
		cc := header(r, "Cache-Control")
		if cc == "" {
			cc = "(not set)"
		}
		return item{passed: strings.Contains(cc, "no-store"), value: "Cache-Control: " + cc, origin: r.Origin, irctls: ctls(ir.CtlHeaders)}
	})
}

// checkCORS refuses credentials shared with any origin on routes with
// CORS, and Access-Control-* response headers set by hand (headers.extra):
// they open the route to other origins outside the CORS policy, where
// neither vet nor this check can judge them.
func checkCORS(e *env) outcome {
	keep := func(r *ir.Route) bool { return r.CORS != nil || len(manualCORS(r)) > 0 }
	return e.perRoute("cors.safe", keep, func(r *ir.Route) item {
		if hand := manualCORS(r); len(hand) > 0 {
			return item{value: "Access-Control headers set through headers.extra: " + strings.Join(hand, "; "),
				origin: r.Origin, irctls: ctls(ir.CtlHeaders)}
		}
		c := r.CORS
		ok := !(c.AllowCredentials && slices.Contains(c.AllowOrigins, "*"))
		return item{passed: ok, value: fmt.Sprintf("origins %s, credentials %t", strings.Join(c.AllowOrigins, ", "), c.AllowCredentials),
			origin: routeOrigin(r, ir.CtlCORS), irctls: ctls(ir.CtlCORS)}
	})
}

// manualCORS lists the route's response headers that are CORS headers
// ("Access-Control-Allow-Origin: *"), which only headers.extra can set.
func manualCORS(r *ir.Route) []string {
	var out []string
	for _, h := range r.Headers.Set {
		if strings.HasPrefix(strings.ToLower(h.Name), "access-control-") {
			out = append(out, h.Name+": "+h.Value)
		}
	}
	return out
}

// checkLogEnabled requires the access log on, and on for every sensitive route.
func checkLogEnabled(e *env) outcome {
	lg := e.p.Logging
	out := e.policyItem("log.enabled", ir.CtlAccessLog, lg.Enabled, fmt.Sprintf("access log enabled: %t, sink %s", lg.Enabled, lg.Sink), lg.Origin)
	keep := func(r *ir.Route) bool { return sensitive(r.Classification) }
	routes := e.perRoute("log.enabled", keep, func(r *ir.Route) item {
		return item{passed: r.AccessLog && lg.Enabled, value: fmt.Sprintf("%s route logged: %t", r.Classification, r.AccessLog && lg.Enabled),
			origin: routeOrigin(r, ir.CtlAccessLog), irctls: ctls(ir.CtlAccessLog)}
	})
	out.items = append(out.items, routes.items...)
	return out
}

// checkLogFields requires the access log to record each of fields.
func checkLogFields(fields ...string) checkFunc {
	return func(e *env) outcome {
		lg := e.p.Logging
		var missing []string
		for _, f := range fields {
			if !slices.Contains(lg.Fields, f) {
				missing = append(missing, f)
			}
		}
		v := "logged fields " + strings.Join(lg.Fields, ", ")
		if len(missing) > 0 {
			v = "missing " + strings.Join(missing, ", ") + "; " + v
		}
		if !lg.Enabled {
			v = "access log disabled; " + v
		}
		return e.policyItem("log.fields", ir.CtlAccessLog, lg.Enabled && len(missing) == 0, v, lg.Origin)
	}
}

// checkLogIdentityPCI requires every pci route to be logged with the identity.
func checkLogIdentityPCI(e *env) outcome {
	lg := e.p.Logging
	keep := func(r *ir.Route) bool { return r.Classification == "pci" }
	return e.perRoute("log.identityPCI", keep, func(r *ir.Route) item {
		ok := lg.Enabled && r.AccessLog && slices.Contains(lg.Fields, "identity")
		return item{passed: ok, value: fmt.Sprintf("pci route logged with identity: %t", ok), origin: routeOrigin(r, ir.CtlAccessLog),
			irctls: ctls(ir.CtlAccessLog)}
	})
}

// checkLogAuthFailures requires authentication failures in the access log.
func checkLogAuthFailures(e *env) outcome {
	lg := e.p.Logging
	return e.policyItem("log.authFailures", ir.CtlAccessLog, lg.Enabled && lg.AuthFailures,
		fmt.Sprintf("authentication failures logged: %t", lg.Enabled && lg.AuthFailures), lg.Origin)
}

// redactedAs returns the mode a log redaction hides kind/name with, or "".
func redactedAs(lg ir.Logging, kind, name string) string {
	for _, r := range lg.Redact {
		if r.Kind == kind && strings.EqualFold(r.Name, name) {
			return r.Mode
		}
	}
	return ""
}

// checkRedactCredentials requires credentials to be redacted in the access
// log: the standard credential headers, and every header the policy's
// providers read a key or token from (X-API-Key, a custom bearer header),
// plus API-key query parameters when the log records query strings.
func checkRedactCredentials(e *env) outcome {
	lg := e.p.Logging
	var missing []string
	for _, c := range credentialLocations(e.p) {
		if redactedAs(lg, c[0], c[1]) == "" {
			missing = append(missing, c[0]+" "+c[1])
		}
	}
	v := "credential headers redacted in the access log"
	if len(missing) > 0 {
		v = "not redacted: " + strings.Join(missing, ", ")
	}
	return e.policyItem("log.redactCredentials", ir.CtlRedact, len(missing) == 0, v, lg.Origin)
}

// credentialLocations lists, as (kind, name), what carries a credential
// on the policy's requests: Authorization, Proxy-Authorization and Cookie,
// each provider's key or token header, and API-key query parameters when
// query strings are logged. Header names are lower-case; the list is
// sorted and has no duplicates.
func credentialLocations(p *ir.Policy) [][2]string {
	out := [][2]string{{"header", "authorization"}, {"header", "cookie"}, {"header", "proxy-authorization"}}
	add := func(kind, name string) {
		if kind == "header" {
			name = strings.ToLower(name)
		}
		if name != "" && !slices.Contains(out, [2]string{kind, name}) {
			out = append(out, [2]string{kind, name})
		}
	}
	for _, pr := range p.Providers {
		switch {
		case pr.APIKey != nil && pr.APIKey.In == "query":
			if slices.Contains(p.Logging.Fields, "query") {
				add("query", pr.APIKey.Name)
			}
		case pr.APIKey != nil:
			add("header", pr.APIKey.Name)
		case pr.JWT != nil:
			add("header", pr.JWT.Header)
		case pr.Introspection != nil:
			add("header", pr.Introspection.Header)
		}
	}
	slices.SortFunc(out, func(a, b [2]string) int { return strings.Compare(a[0]+" "+a[1], b[0]+" "+b[1]) })
	return out
}

// checkPseudonymise requires the logged identity to be hashed, redacted or not logged.
func checkPseudonymise(e *env) outcome {
	lg := e.p.Logging
	switch mode := redactedAs(lg, "field", "identity"); {
	case !slices.Contains(lg.Fields, "identity"):
		return e.policyItem("log.pseudonymise", "", true, "identity is not logged", lg.Origin)
	case mode == "hash":
		return e.policyItem("log.pseudonymise", ir.CtlRedact, true, "identity logged as a keyed hash (pseudonymised)", lg.Origin)
	case mode != "":
		return e.policyItem("log.pseudonymise", ir.CtlRedact, true, "identity logged "+mode, lg.Origin)
	}
	return e.policyItem("log.pseudonymise", ir.CtlRedact, false, "identity logged in clear", lg.Origin)
}

// checkLogCentral requires the access log to be shipped off-host (syslog or HTTP).
func checkLogCentral(e *env) outcome {
	lg := e.p.Logging
	ok := lg.Enabled && (lg.Sink == "syslog" || lg.Sink == "http")
	v := "sink " + lg.Sink
	if lg.SinkTarget != "" {
		v += " " + lg.SinkTarget
	}
	if !ok {
		v += " (not shipped off-host)"
	}
	return e.policyItem("log.central", ir.CtlAccessLog, ok, v, lg.Origin)
}

// checkRetention requires a declared retention of at least days.
func checkRetention(days int) checkFunc {
	return func(e *env) outcome {
		lg := e.p.Logging
		v := fmt.Sprintf("retention %d days declared", lg.RetentionDays)
		if days > 1 {
			v += fmt.Sprintf(" (at least %d required)", days)
		}
		return e.policyItem("log.retention", "", lg.RetentionDays >= days, v, lg.Origin)
	}
}

// checkSecrets requires every secret the policy names to be a reference or a hash.
func checkSecrets(e *env) outcome {
	var out outcome
	add := func(scope string, ref ir.SecretRef, o ir.Origin) {
		ok := strings.HasPrefix(string(ref), "env:") || strings.HasPrefix(string(ref), "file:") || strings.HasPrefix(string(ref), "vault:")
		v := "secret by reference " + refKind(ref)
		if !ok {
			v = "secret is not a reference"
		}
		out.items = append(out.items, item{check: "secrets.referenced", scope: scope, passed: ok, value: v, origin: o, covers: e.all})
	}
	for _, pr := range e.p.Providers {
		if pr.APIKey != nil {
			for _, c := range pr.APIKey.Consumers {
				if c.KeyRef != "" {
					add("consumer "+c.Name, c.KeyRef, pr.Origin)
					continue
				}
				out.items = append(out.items, item{check: "secrets.referenced", scope: "consumer " + c.Name, passed: strings.HasPrefix(c.KeyHash, "sha256:"),
					value: "key stored as a SHA-256 hash only", origin: pr.Origin, covers: e.routesUsing(pr.Name)})
			}
		}
		if pr.Introspection != nil {
			add("provider "+pr.Name, pr.Introspection.ClientSecret, pr.Origin)
		}
	}
	if e.p.Targets.RedisPasswordRef != "" {
		add("redis password", e.p.Targets.RedisPasswordRef, ir.Origin{})
	}
	return out
}

// refKind names a reference's scheme without revealing its value.
func refKind(ref ir.SecretRef) string {
	kind, _, _ := strings.Cut(string(ref), ":")
	return "(" + kind + ")"
}

// checkRecords requires purpose and data categories on every service carrying personal data.
func checkRecords(e *env) outcome {
	keep := func(s *ir.Service) bool { return sensitive(s.Classification) }
	return e.perService("records.processing", keep, func(s *ir.Service) item {
		ok := s.Purpose != "" && len(s.DataCategories) > 0
		v := fmt.Sprintf("purpose %q; data categories %s", s.Purpose, strings.Join(s.DataCategories, ", "))
		return item{passed: ok, value: v, origin: s.Origin}
	})
}

// checkReproducible records the policy files' digests: the compile is reproducible from them.
func checkReproducible(e *env) outcome {
	ok := len(e.p.Sources) > 0
	v := fmt.Sprintf("%d policy files with SHA-256 digests; targets compile deterministically (artifact digests below)", len(e.p.Sources))
	return e.policyItem("build.reproducible", "", ok, v, ir.Origin{})
}

// checkRuns turns supplied drift and probe runs into evidence of regular testing; without any the check does not run.
func checkRuns(e *env) outcome {
	if len(e.runs) == 0 {
		return outcome{notRun: "no drift or probe results supplied (--drift, --probe)"}
	}
	var out outcome
	for _, r := range e.runs {
		passed := 0
		for _, c := range r.Checks {
			if c.Passed {
				passed++
			}
		}
		ok := len(r.Checks) > 0 && len(r.Findings) == 0
		v := fmt.Sprintf("%s run against %s: %d of %d checks passed, %d findings", r.Kind, r.Source, passed, len(r.Checks), len(r.Findings))
		out.items = append(out.items, item{check: "runs.testing", scope: r.Kind + " " + r.Target, passed: ok, value: v, covers: e.all})
	}
	return out
}
