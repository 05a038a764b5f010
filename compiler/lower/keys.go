package lower

import (
	"regexp"
	"slices"

	"github.com/rampart-policy/rampart/compiler/diag"
)

// Key patterns, the same as the schema's #Name, #HeaderName, #QueryKey,
// #ClaimName and #Text. CUE applies a pattern constraint only to the keys
// that match it, and a definition embedded at a package's top level lets
// the package declare keys of its own; so map keys are checked here too,
// where a bad key cannot slip through to a target.
var (
	reName       = regexp.MustCompile(`^[a-z][a-z0-9-]{0,62}$`)
	reHeaderName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]{0,63}$`)
	reQueryKey   = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)
	reClaimName  = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_:.-]{0,63}$`)
	reText       = regexp.MustCompile(`^[^\x00-\x1f\x7f]{1,512}$`)
)

// checkKeys validates every map key in the policy.
func (l *lowerer) checkKeys() {
	r := l.raw
	l.keys(reName, "a name (lower-case letters, digits and dashes, starting with a letter)", keysOf(r.Listeners), "listeners")
	l.keys(reName, "a name", keysOf(r.Authentication), "authentication")
	for pn, p := range r.Authentication {
		l.keys(reName, "a name", keysOf(p.Consumers), "authentication", pn, "consumers")
		l.keys(reText, "a certificate subject without control characters", keysOf(p.Principals), "authentication", pn, "principals")
	}
	l.keys(reName, "a name", keysOf(r.Services), "services")
	l.controlKeys(&r.Defaults, "defaults")
	for sn, s := range r.Services {
		l.controlKeys(&s.rawControls, "services", sn)
		l.keys(reName, "a name", keysOf(s.Routes), "services", sn, "routes")
		for rn, rt := range s.Routes {
			l.controlKeys(&rt.rawControls, "services", sn, "routes", rn)
		}
	}
	l.keys(reHeaderName, "an HTTP header name", keysOf(r.Logging.Redact.Headers), "logging", "redact", "headers")
	l.keys(reQueryKey, "a query parameter name", keysOf(r.Logging.Redact.Query), "logging", "redact", "query")
	l.keys(reClaimName, "a field name", keysOf(r.Logging.Redact.Fields), "logging", "redact", "fields")
}

// controlKeys validates the keys of one level's controls.
func (l *lowerer) controlKeys(c *rawControls, path ...string) {
	l.keys(reName, "a name", keysOf(c.RateLimits), append(path, "rateLimits")...)
	l.keys(reHeaderName, "an HTTP header name", keysOf(c.Headers.Extra), append(path, "headers", "extra")...)
	for _, k := range keysOf(c.Headers.Extra) {
		if slices.Contains(standardHeaders, canonicalHeader(k)) {
			o := l.origin(append(append([]string{}, path...), "headers", "extra", k)...)
			l.diags.Errorf(pos(o), diag.CodeShadowedHeader, o.Path,
				"headers.extra sets %s, which rampart sets from its own field: use headers.%s instead", k, standardField[canonicalHeader(k)])
		}
	}
}

// standardField names the field that sets each standard header.
var standardField = map[string]string{
	"Content-Security-Policy": "contentSecurityPolicy", "X-Content-Type-Options": "contentTypeOptions",
	"X-Frame-Options": "frameOptions", "Referrer-Policy": "referrerPolicy", "Cache-Control": "cacheControl",
}

// keys reports each key that does not match re, at the key's position.
func (l *lowerer) keys(re *regexp.Regexp, want string, keys []string, path ...string) {
	for _, k := range keys {
		if re.MatchString(k) {
			continue
		}
		o := l.origin(append(append([]string{}, path...), k)...)
		l.diags.Errorf(pos(o), diag.CodeConflict, o.Path, "%q is not allowed as a key here: want %s", k, want)
	}
}

func keysOf[V any](m map[string]V) []string { return sortedKeys(m) }
