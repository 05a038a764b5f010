package report

import (
	"fmt"
	"strings"

	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/drift"
)

// item is one check's verdict on one scope of the policy.
type item struct {
	check  string
	scope  string
	route  string // "service/route" for route-scoped items
	value  string
	passed bool
	origin ir.Origin
	// irctls are the rampart controls a target must enforce for the item to
	// hold at runtime; empty for facts that need no enforcement.
	irctls []string
	// covers are the routes the item speaks for, for the coverage matrix.
	covers []string
	// source is "policy" (when empty), "drift" or "probe"; at, when set,
	// replaces origin (waivers carry their position as text).
	source string
	at     string
	// waived marks a failed item a valid waiver excuses.
	waived bool
}

// outcome is what one check found. NotRun is set, and items empty, when
// the check could not run (for example it needs a probe run that was not
// supplied): the control is then not assessed rather than not applicable.
type outcome struct {
	items  []item
	notRun string
}

// checkFunc evaluates one check over the policy.
type checkFunc func(e *env) outcome

// env is what checks read: the policy and the indexes built from it.
type env struct {
	p         *ir.Policy
	runs      []drift.Result
	providers map[string]*ir.Provider
	routes    []*ir.Route
	all       []string            // every route ID
	byService map[string][]string // service → route IDs
	byListen  map[string][]string // listener → route IDs
}

// newEnv indexes p.
func newEnv(p *ir.Policy, runs []drift.Result) *env {
	e := &env{p: p, runs: runs, providers: map[string]*ir.Provider{},
		byService: map[string][]string{}, byListen: map[string][]string{}}
	for _, pr := range p.Providers {
		e.providers[pr.Name] = pr
	}
	for _, s := range p.Services {
		for _, r := range s.Routes {
			e.routes = append(e.routes, r)
			e.all = append(e.all, r.ID)
			e.byService[s.Name] = append(e.byService[s.Name], r.ID)
			for _, l := range s.Listeners {
				e.byListen[l] = append(e.byListen[l], r.ID)
			}
		}
	}
	return e
}

// sensitive reports whether a classification carries regulated data.
func sensitive(class string) bool { return class != "public" && class != "internal" }

// routeOrigin is where the route sets ctl, or the route itself.
func routeOrigin(r *ir.Route, ctl string) ir.Origin {
	if o, ok := r.Origins[ctl]; ok {
		return o
	}
	return r.Origin
}

// perRoute runs f on every route that keep accepts (all when keep is nil).
func (e *env) perRoute(check string, keep func(*ir.Route) bool, f func(*ir.Route) item) outcome {
	var out outcome
	for _, r := range e.routes {
		if keep != nil && !keep(r) {
			continue
		}
		it := f(r)
		it.check, it.scope, it.route, it.covers = check, "route "+r.ID, r.ID, []string{r.ID}
		out.items = append(out.items, it)
	}
	return out
}

// perListener runs f on every listener.
func (e *env) perListener(check string, f func(*ir.Listener) item) outcome {
	var out outcome
	for _, l := range e.p.Listeners {
		it := f(l)
		it.check, it.scope, it.covers = check, "listener "+l.Name, e.byListen[l.Name]
		out.items = append(out.items, it)
	}
	return out
}

// perService runs f on every service that keep accepts.
func (e *env) perService(check string, keep func(*ir.Service) bool, f func(*ir.Service) item) outcome {
	var out outcome
	for _, s := range e.p.Services {
		if keep != nil && !keep(s) {
			continue
		}
		it := f(s)
		it.check, it.scope, it.covers = check, "service "+s.Name, e.byService[s.Name]
		out.items = append(out.items, it)
	}
	return out
}

// policyItem is a single policy-wide item.
func (e *env) policyItem(check, irctl string, passed bool, value string, o ir.Origin) outcome {
	return outcome{items: []item{{check: check, scope: "policy", passed: passed, value: value,
		origin: o, irctls: ctls(irctl), covers: e.all}}}
}

// checks maps each check name to its function; the catalogue refers to
// checks by name.
var checks = map[string]checkFunc{
	"tls.minVersion":         checkTLSMin,
	"tls.aead":               checkAEAD,
	"tls.hsts":               checkHSTS,
	"tls.noPlaintext":        checkNoPlaintext,
	"tls.certificates":       checkCertificates,
	"tls.inventory":          checkCipherInventory,
	"tls.upstreamVerify":     checkUpstreamVerify,
	"authn.required":         checkAuthnRequired,
	"authn.strong":           checkAuthnStrong,
	"authn.uniqueIdentity":   checkUniqueIdentity,
	"authn.tokenAge":         checkTokenAge(0),
	"authn.tokenAge15m":      checkTokenAge(900),
	"authn.failures":         checkAuthFailures(0, 0),
	"authn.lockout":          checkAuthFailures(10, 1800),
	"authn.endpointLimited":  checkAuthEndpointLimited,
	"jwt.algorithms":         checkJWTAlgorithms,
	"jwt.audience":           checkJWTAudience,
	"authz.rules":            checkAuthzRules,
	"authz.serviceAccounts":  checkServiceAccountRules,
	"routing.undeclared":     checkUndeclared,
	"routing.methods":        checkMethods,
	"limits.rate":            checkRateLimits,
	"limits.body":            checkBodyLimit,
	"limits.header":          checkHeaderLimit,
	"limits.timeouts":        checkTimeouts,
	"limits.idle":            checkIdleTimeout,
	"validation.contentType": checkContentTypes,
	"headers.security":       checkSecurityHeaders,
	"headers.noStore":        checkNoStore,
	"cors.safe":              checkCORS,
	"log.enabled":            checkLogEnabled,
	"log.fields":             checkLogFields("identity", "time", "method", "route", "status", "clientIP"),
	"log.identity":           checkLogFields("identity"),
	"log.identityPCI":        checkLogIdentityPCI,
	"log.authFailures":       checkLogAuthFailures,
	"log.redactCredentials":  checkRedactCredentials,
	"log.pseudonymise":       checkPseudonymise,
	"log.central":            checkLogCentral,
	"log.retention":          checkRetention(1),
	"log.retention365":       checkRetention(365),
	"secrets.referenced":     checkSecrets,
	"records.processing":     checkRecords,
	"build.reproducible":     checkReproducible,
	"runs.testing":           checkRuns,
}

// checkTLSMin requires TLS 1.2 or later on every listener.
func checkTLSMin(e *env) outcome {
	return e.perListener("tls.minVersion", func(l *ir.Listener) item {
		if l.TLS == nil {
			return item{value: "plaintext listener (no TLS)", origin: l.Origin, irctls: []string{ir.CtlTLS}}
		}
		return item{passed: l.TLS.MinVersion >= "1.2", value: "TLS " + l.TLS.MinVersion + "–" + l.TLS.MaxVersion + " (profile " + l.TLS.Profile + ")",
			origin: l.TLS.Origin, irctls: []string{ir.CtlTLS}}
	})
}

// aead reports whether an OpenSSL TLS 1.2 suite name is an AEAD suite.
func aead(c string) bool {
	return strings.Contains(c, "GCM") || strings.Contains(c, "CHACHA20") || strings.Contains(c, "CCM")
}

// checkAEAD requires AEAD-only TLS 1.2 cipher suites on every listener.
func checkAEAD(e *env) outcome {
	return e.perListener("tls.aead", func(l *ir.Listener) item {
		if l.TLS == nil {
			return item{value: "plaintext listener (no TLS)", origin: l.Origin, irctls: []string{ir.CtlTLS}}
		}
		var weak []string
		for _, c := range l.TLS.Ciphers {
			if !aead(c) {
				weak = append(weak, c)
			}
		}
		if len(weak) > 0 {
			return item{value: "non-AEAD suites: " + strings.Join(weak, ", "), origin: l.TLS.Origin, irctls: []string{ir.CtlTLS}}
		}
		return item{passed: true, value: fmt.Sprintf("%d TLS 1.2 suites, all AEAD (TLS 1.3 suites are AEAD)", len(l.TLS.Ciphers)),
			origin: l.TLS.Origin, irctls: []string{ir.CtlTLS}}
	})
}

// checkHSTS requires HSTS with a max-age of at least a year on every listener.
func checkHSTS(e *env) outcome {
	return e.perListener("tls.hsts", func(l *ir.Listener) item {
		if l.TLS == nil || l.TLS.HSTS == nil {
			return item{value: "no Strict-Transport-Security", origin: l.Origin, irctls: []string{ir.CtlHSTS}}
		}
		h := l.TLS.HSTS
		return item{passed: h.MaxAgeSeconds >= 31536000, value: fmt.Sprintf("HSTS max-age=%d includeSubDomains=%t", h.MaxAgeSeconds, h.IncludeSubDomains),
			origin: l.TLS.Origin, irctls: []string{ir.CtlHSTS}}
	})
}

// checkNoPlaintext requires every listener to serve TLS (a redirect port only redirects).
func checkNoPlaintext(e *env) outcome {
	return e.perListener("tls.noPlaintext", func(l *ir.Listener) item {
		if l.TLS == nil {
			return item{value: fmt.Sprintf("port %d serves plaintext HTTP", l.Port), origin: l.Origin, irctls: []string{ir.CtlTLS}}
		}
		v := fmt.Sprintf("port %d TLS only", l.Port)
		if l.RedirectPort != 0 {
			v += fmt.Sprintf("; port %d only redirects to HTTPS", l.RedirectPort)
		}
		return item{passed: true, value: v, origin: l.TLS.Origin, irctls: []string{ir.CtlTLS}}
	})
}

// checkCertificates inventories each listener's certificate, key and client CA.
func checkCertificates(e *env) outcome {
	return e.perListener("tls.certificates", func(l *ir.Listener) item {
		if l.TLS == nil {
			return item{value: "no certificate (plaintext)", origin: l.Origin}
		}
		v := "certificate " + l.TLS.CertFile
		if l.TLS.ClientAuth != nil {
			v += "; client CA " + l.TLS.ClientAuth.CAFile
		}
		return item{passed: l.TLS.CertFile != "" && l.TLS.KeyFile != "", value: v, origin: l.TLS.Origin}
	})
}

// checkCipherInventory records each listener's protocols and cipher suites.
func checkCipherInventory(e *env) outcome {
	return e.perListener("tls.inventory", func(l *ir.Listener) item {
		if l.TLS == nil {
			return item{value: "plaintext listener", origin: l.Origin}
		}
		v := "protocols TLS " + l.TLS.MinVersion + "–" + l.TLS.MaxVersion + "; ciphers " + strings.Join(l.TLS.Ciphers, ":")
		if len(l.TLS.Ciphers) == 0 {
			v = "protocols TLS " + l.TLS.MinVersion + "–" + l.TLS.MaxVersion + "; TLS 1.3 suites only"
		}
		return item{passed: true, value: v, origin: l.TLS.Origin}
	})
}

// checkUpstreamVerify requires HTTPS with certificate verification to the upstreams of sensitive services (and of every service that configures upstream TLS).
func checkUpstreamVerify(e *env) outcome {
	keep := func(s *ir.Service) bool { return sensitive(s.Classification) || s.UpstreamTLS != nil }
	return e.perService("tls.upstreamVerify", keep, func(s *ir.Service) item {
		switch {
		case !strings.HasPrefix(s.UpstreamURL, "https://"):
			return item{value: "upstream " + s.UpstreamURL + " is not HTTPS", origin: s.Origin, irctls: []string{ir.CtlUpstreamTLS}}
		case s.UpstreamTLS == nil || !s.UpstreamTLS.Verify:
			return item{value: "upstream certificate verification not required by the policy (no upstream tls with verify: true)", origin: s.Origin, irctls: []string{ir.CtlUpstreamTLS}}
		}
		v := "upstream " + s.UpstreamURL + " over verified TLS"
		if s.UpstreamTLS.CertFile != "" {
			v += " with a client certificate (mTLS)"
		}
		return item{passed: true, value: v, origin: s.Origin, irctls: []string{ir.CtlUpstreamTLS}}
	})
}

// ctls is a one-control list, or nil for "".
func ctls(c string) []string {
	if c == "" {
		return nil
	}
	return []string{c}
}
