package lower

import (
	"fmt"
	"net"
	"net/netip"
	"regexp"

	"cuelang.org/go/cue"
	"slices"
	"strings"

	"github.com/rampart-policy/rampart/compiler/diag"
	"github.com/rampart-policy/rampart/compiler/ir"
)

// check runs the checks CUE cannot express. Each adds diagnostics with a
// stable code; `rampart explain CODE` describes them.
func (l *lowerer) check(p *ir.Policy) {
	providers := map[string]*ir.Provider{}
	for _, pr := range p.Providers {
		providers[pr.Name] = pr
		l.checkProvider(pr)
	}
	listeners := map[string]*ir.Listener{}
	for _, li := range p.Listeners {
		listeners[li.Name] = li
		if li.TLS != nil && li.TLS.MaxVersion < li.TLS.MinVersion {
			o := l.origin("listeners", li.Name, "tls", "maxVersion")
			l.diags.Errorf(pos(o), diag.CodeConflict, o.Path,
				"listener %s: maxVersion %s is below minVersion %s, so no TLS version can be negotiated", li.Name, li.TLS.MaxVersion, li.TLS.MinVersion)
		}
		if t := li.TLS; t != nil && t.MinVersion <= "1.2" && t.MaxVersion >= "1.2" && len(t.Ciphers) == 0 {
			o := l.origin("listeners", li.Name, "tls")
			l.diags.Errorf(pos(o), diag.CodeTLSNoCiphers, o.Path,
				"listener %s allows TLS %s but lists no TLS 1.2 cipher suites: list ciphers, or set minVersion \"1.3\"", li.Name, t.MinVersion)
		}
		if li.TLS != nil && li.TLS.MinVersion < "1.2" {
			o := l.origin("listeners", li.Name, "tls", "minVersion")
			l.diags.Warnf(pos(o), diag.CodeWeakTLS, o.Path,
				"listener %s accepts TLS %s: versions below 1.2 are deprecated (RFC 8996)", li.Name, li.TLS.MinVersion)
		}
	}
	if rd := p.Targets.RedisPasswordRef; rd != "" && !rd.Valid() {
		l.literalSecret(l.origin("targets", "goproxy", "redis", "passwordRef"), "targets.goproxy.redis.passwordRef")
	}
	seen := map[string]string{}
	for _, s := range p.Services {
		l.checkService(p, s, listeners)
		for _, r := range s.Routes {
			l.checkRoute(p, s, r, providers, listeners)
			l.checkDuplicate(s, r, seen)
		}
	}
	l.checkWaivers(p)
	l.checkDeployWaivers(p)
	l.checkAuthorizer(p)
}

// checkAuthorizer requires the authorizer on loopback: rampart serve
// --authorizer trusts its caller's headers and listens on loopback only.
func (l *lowerer) checkAuthorizer(p *ir.Policy) {
	u := p.Targets.AuthorizerURL
	if u == "" {
		return
	}
	host := strings.TrimPrefix(strings.TrimPrefix(u, "http://"), "https://")
	host, _, _ = strings.Cut(host, "/")
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if ip, err := netip.ParseAddr(host); (err != nil && host != "localhost") || (err == nil && !ip.IsLoopback()) {
		o := l.origin("targets", "authorizer", "url")
		l.diags.Errorf(pos(o), diag.CodeAuthorizerRemote, o.Path,
			"targets.authorizer.url %q is not a loopback address: run rampart serve --authorizer beside each gateway (it trusts its caller's headers, so it only listens on loopback)", u)
	}
}

// checkProvider checks one authentication provider.
func (l *lowerer) checkProvider(pr *ir.Provider) {
	at := pos(pr.Origin)
	switch {
	case pr.JWT != nil:
		j := pr.JWT
		if len(j.Audiences) == 0 {
			o := l.origin("authentication", pr.Name, "audiences")
			if o.File == "" || isEmbedded(o.File) {
				o = pr.Origin
			}
			l.diags.Errorf(pos(o), diag.CodeJWTNoAudience, o.Path,
				"JWT provider %s accepts tokens for any audience: set audiences, or a token minted for another API is accepted here", pr.Name)
		}
		if (j.JWKSURI == "") == (j.LocalJWKS == "") {
			l.diags.Errorf(at, diag.CodeJWTKeySource, pr.Origin.Path,
				"JWT provider %s needs exactly one key source: jwksURI or localJWKS", pr.Name)
		}
		l.requireHTTPS(pr, "jwksURI", j.JWKSURI)
		l.requireHTTPS(pr, "issuer", j.Issuer)
	case pr.Introspection != nil:
		l.requireHTTPS(pr, "endpoint", pr.Introspection.Endpoint)
		if !pr.Introspection.ClientSecret.Valid() {
			l.literalSecret(l.origin("authentication", pr.Name, "clientSecret"), pr.Origin.Path+".clientSecret")
		}
	case pr.APIKey != nil:
		for _, c := range pr.APIKey.Consumers {
			co := l.origin("authentication", pr.Name, "consumers", c.Name)
			if (c.KeyHash == "") == (c.KeyRef == "") {
				l.diags.Errorf(pos(co), diag.CodeConsumerKey, co.Path,
					"API-key consumer %s needs exactly one of keyHash (\"sha256:<hex>\") and keyRef", c.Name)
			}
			if c.KeyRef != "" && !c.KeyRef.Valid() {
				l.literalSecret(l.origin("authentication", pr.Name, "consumers", c.Name, "keyRef"), co.Path+".keyRef")
			}
		}
	}
}

// requireHTTPS reports a credential-bearing URL that is not HTTPS.
func (l *lowerer) requireHTTPS(pr *ir.Provider, field, url string) {
	if url != "" && !strings.HasPrefix(url, "https://") {
		o := l.origin("authentication", pr.Name, field)
		l.diags.Errorf(pos(o), diag.CodeInsecureURL, o.Path,
			"provider %s: %s %q is not HTTPS: keys, tokens and client secrets must not cross the network in clear", pr.Name, field, url)
	}
}

// literalSecret reports a secret field holding something other than a reference.
func (l *lowerer) literalSecret(o ir.Origin, path string) {
	l.diags.Errorf(pos(o), diag.CodeLiteralSecret, path,
		"%s looks like a literal secret: give a reference (\"env:NAME\", \"file:/path\" or \"vault:mount/path#key\"), never the secret itself", path)
}

// checkService checks a service's references and upstream TLS.
func (l *lowerer) checkService(p *ir.Policy, s *ir.Service, listeners map[string]*ir.Listener) {
	for _, name := range s.Listeners {
		if listeners[name] == nil {
			o := l.origin("services", s.Name, "listeners")
			l.diags.Errorf(pos(o), diag.CodeUnknownReference, o.Path, "service %s names listener %q, which the policy does not declare", s.Name, name)
		}
	}
	if s.UpstreamTLS != nil && strings.HasPrefix(s.UpstreamURL, "http://") {
		o := l.origin("services", s.Name, "upstream", "url")
		l.diags.Errorf(pos(o), diag.CodeUpstreamScheme, o.Path,
			"service %s sets upstream.tls but its URL %q is plain http: the hop is not encrypted; use https://", s.Name, s.UpstreamURL)
	}
	if s.UpstreamTLS != nil && !s.UpstreamTLS.Verify {
		o := l.origin("services", s.Name, "upstream", "tls", "verify")
		l.diags.Warnf(pos(o), diag.CodeUpstreamTLSOff, o.Path, "service %s does not verify its upstream's certificate: traffic can be intercepted", s.Name)
	}
}

// checkRoute checks one route's effective controls.
func (l *lowerer) checkRoute(p *ir.Policy, s *ir.Service, r *ir.Route, providers map[string]*ir.Provider, listeners map[string]*ir.Listener) {
	at := pos(r.Origin)
	if r.Prefix && strings.Contains(r.Path, "{") {
		o := l.origin("services", s.Name, "routes", r.Name, "path")
		l.diags.Errorf(pos(o), diag.CodePrefixParam, o.Path,
			"route %s matches by prefix but its path %q holds a {param}: gateways order such routes differently; declare the paths below it as routes of their own", r.ID, r.Path)
	}
	if sensitivity[r.Classification] < sensitivity[s.Classification] && sensitivity[s.Classification] >= sensitivity["pii"] {
		o := l.origin("services", s.Name, "routes", r.Name, "classification")
		l.diags.Warnf(pos(o), diag.CodeClassificationLowered, o.Path,
			"route %s is classified %s inside %s service %s: baselines apply %s rules to it; check that it really carries no %s data",
			r.ID, r.Classification, s.Classification, s.Name, r.Classification, s.Classification)
	}
	sensitive := r.Classification == "phi" || r.Classification == "pci"
	if r.Public && sensitive {
		l.diags.Errorf(at, diag.CodeSensitiveUnauthed, r.Origin.Path,
			"route %s carries %s data but is public: %s routes must authenticate", r.ID, r.Classification, r.Classification)
	}
	if !r.Public && len(r.Providers) == 0 {
		l.diags.Errorf(at, diag.CodeNoProviders, r.Origin.Path,
			"route %s is not public but no authentication providers apply: set authentication on the route, its service or defaults, or mark it public", r.ID)
	}
	if !r.Public && len(r.Rules) == 0 {
		l.diags.Warnf(at, diag.CodeDenyAll, r.Origin.Path,
			"route %s has no allow rules, so it denies every request (default deny); add allow rules or anyAuthenticated", r.ID)
	}
	if r.AuthEndpoint && len(r.RateLimits) == 0 {
		l.diags.Errorf(at, diag.CodeAuthEndpointNoRateLimit, r.Origin.Path,
			"route %s is an authentication endpoint without a rate limit: it invites credential stuffing and brute force", r.ID)
	}
	if c := r.CORS; c != nil && c.AllowCredentials && slices.Contains(c.AllowOrigins, "*") {
		o := r.Origins[ir.CtlCORS]
		l.diags.Errorf(pos(o), diag.CodeCORSWildcardCredentials, o.Path,
			"route %s allows credentials from any origin (\"*\"): name the trusted origins instead", r.ID)
	}
	mtlsListeners := true
	plaintext := []string{}
	for _, ln := range s.Listeners {
		li := listeners[ln]
		if li == nil {
			continue
		}
		if li.TLS == nil {
			plaintext = append(plaintext, ln)
		}
		if li.TLS == nil || li.TLS.ClientAuth == nil {
			mtlsListeners = false
		}
	}
	if len(plaintext) > 0 {
		if !r.Public {
			l.diags.Errorf(at, diag.CodeCredentialsPlaintext, r.Origin.Path,
				"route %s takes credentials but is served on plaintext listener %s: credentials would cross the network in clear", r.ID, strings.Join(plaintext, ", "))
		}
		if slices.ContainsFunc(r.Headers.Set, func(h ir.Header) bool { return strings.EqualFold(h.Name, "Strict-Transport-Security") }) {
			o := l.extraHeaderOrigin(s.Name, r.Name, "Strict-Transport-Security")
			l.diags.Errorf(pos(o), diag.CodeHSTSPlaintext, o.Path,
				"route %s sends Strict-Transport-Security on plaintext listener %s: browsers ignore HSTS over HTTP; set hsts on a TLS listener instead", r.ID, strings.Join(plaintext, ", "))
		}
	}
	for _, name := range r.Providers {
		pr := providers[name]
		if pr == nil {
			o := r.Origins["authn"]
			l.diags.Errorf(pos(o), diag.CodeUnknownReference, o.Path, "route %s names authentication provider %q, which the policy does not declare", r.ID, name)
			continue
		}
		if pr.MTLS != nil && !mtlsListeners {
			l.diags.Errorf(at, diag.CodeMTLSWithoutClientAuth, r.Origin.Path,
				"route %s uses mTLS provider %s, but not every listener of service %s verifies client certificates (tls.clientAuth)", r.ID, name, s.Name)
		}
		logged := r.AccessLog || (p.Logging.Enabled && p.Logging.AuthFailures)
		if pr.APIKey != nil && pr.APIKey.In == "query" && logged && slices.Contains(p.Logging.Fields, "query") && !redacted(p.Logging, "query", pr.APIKey.Name) {
			l.diags.Errorf(at, diag.CodeAPIKeyInLoggedQuery, r.Origin.Path,
				"route %s reads API key %q from the query string and the access log records query strings unredacted: keys would be written to logs", r.ID, pr.APIKey.Name)
		}
	}
}

// checkDuplicate reports two routes that match the same path and method.
func (l *lowerer) checkDuplicate(s *ir.Service, r *ir.Route, seen map[string]string) {
	for _, ln := range s.Listeners {
		for _, m := range r.Methods {
			key := fmt.Sprintf("%s %s %s %t", ln, m, reParam.ReplaceAllString(r.Path, "{}"), r.Prefix)
			if other, ok := seen[key]; ok {
				l.diags.Errorf(pos(r.Origin), diag.CodeDuplicateRoute, r.Origin.Path,
					"route %s matches %s %s on listener %s, as route %s already does", r.ID, m, r.Path, ln, other)
				return
			}
			seen[key] = r.ID
		}
	}
}

// checkWaivers rejects expired waivers and waivers for unknown routes.
func (l *lowerer) checkWaivers(p *ir.Policy) {
	routes := map[string]bool{}
	for _, s := range p.Services {
		for _, r := range s.Routes {
			routes[r.ID] = true
		}
	}
	for i, w := range p.Waivers {
		field := func(name string) ir.Origin {
			return l.originPath(cue.MakePath(cue.Str("waivers"), cue.Index(i), cue.Str(name)))
		}
		if w.Expires < l.today {
			o := field("expires")
			l.diags.Errorf(pos(o), diag.CodeWaiverExpired, o.Path,
				"waiver for %s on %s expired on %s (approved by %s): renew it with a new date or enforce the control", w.Control, w.Target, w.Expires, w.Approver)
		}
		if w.Route != "" && !routes[w.Route] {
			o := field("route")
			l.diags.Errorf(pos(o), diag.CodeUnknownReference, o.Path, "waiver names route %q, which the policy does not declare", w.Route)
		}
	}
}

// extraHeaderOrigin finds where a route's extra header was set: on the
// route, its service or the defaults.
func (l *lowerer) extraHeaderOrigin(svc, route, name string) ir.Origin {
	s := l.raw.Services[svc]
	levels := []struct {
		extra map[string]string
		path  []string
	}{
		{s.Routes[route].Headers.Extra, []string{"services", svc, "routes", route, "headers", "extra"}},
		{s.Headers.Extra, []string{"services", svc, "headers", "extra"}},
		{l.raw.Defaults.Headers.Extra, []string{"defaults", "headers", "extra"}},
	}
	for _, lv := range levels {
		for k := range lv.extra {
			if strings.EqualFold(k, name) {
				return l.origin(append(lv.path, k)...)
			}
		}
	}
	return l.origin("services", svc, "routes", route)
}

// reParam matches a path placeholder; two paths that differ only in
// placeholder names match the same requests.
var reParam = regexp.MustCompile(`\{[^}]*\}`)

// sensitivity ranks classifications; higher is more sensitive.
var sensitivity = map[string]int{"public": 0, "internal": 1, "pii": 2, "pci": 3, "phi": 3}
