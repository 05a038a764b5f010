package ir

import "slices"

// Control IDs, shared by waivers, capabilities and reports. They match the
// schema's #ControlID.
const (
	CtlTLS              = "tls"
	CtlMTLS             = "tls.mtls"
	CtlHSTS             = "tls.hsts"
	CtlRedirect         = "tls.redirect"
	CtlUpstreamTLS      = "tls.upstream"
	CtlAPIKey           = "authn.apiKey"
	CtlJWT              = "authn.jwt"
	CtlMTLSAuthn        = "authn.mtls"
	CtlIntrospection    = "authn.introspection"
	CtlAuthzRules       = "authz.rules"
	CtlRateLimit        = "ratelimit"
	CtlRateLimitSubject = "ratelimit.subject"
	CtlRateLimitAPIKey  = "ratelimit.apiKey"
	CtlRateLimitHeader  = "ratelimit.header"
	CtlRateLimitShared  = "ratelimit.shared"
	CtlAuthFailures     = "authFailures"
	CtlBodyLimit        = "limits.body"
	CtlHeaderLimit      = "limits.header"
	CtlTimeouts         = "limits.timeouts"
	CtlMethods          = "validation.methods"
	CtlContentTypes     = "validation.contentTypes"
	CtlUndeclared       = "validation.undeclared"
	CtlCORS             = "cors"
	CtlHeaders          = "headers"
	CtlAccessLog        = "logging.access"
	CtlRedact           = "logging.redact"
	// CtlClientAddress is taking the client address from trusted proxies'
	// X-Forwarded-For or PROXY protocol header (a listener's clientAddress).
	CtlClientAddress = "clientAddress"
)

// Phase is a step of request processing. Security controls run in one
// order on every target; each target maps phases to its own mechanisms.
type Phase string

// Phases in the order they run.
const (
	PhaseTLS          Phase = "tls"          // handshake, client certificates
	PhaseRouting      Phase = "routing"      // undeclared routes, methods
	PhaseCORS         Phase = "cors"         // preflight answered before auth
	PhaseIPRateLimit  Phase = "ipRateLimit"  // limits keyed by client IP or header
	PhaseLimits       Phase = "limits"       // header and body size, content type
	PhaseAuthn        Phase = "authn"        // providers, auth-failure throttle
	PhaseAuthz        Phase = "authz"        // rules
	PhaseSubjectLimit Phase = "subjectLimit" // limits keyed by subject or API key
	PhaseProxy        Phase = "proxy"        // upstream, timeouts
	PhaseResponse     Phase = "response"     // security headers, CORS headers
	PhaseLog          Phase = "log"          // access log with redaction
)

// PhaseOrder is the one table of control order.
var PhaseOrder = []Phase{
	PhaseTLS, PhaseRouting, PhaseCORS, PhaseIPRateLimit, PhaseLimits,
	PhaseAuthn, PhaseAuthz, PhaseSubjectLimit, PhaseProxy, PhaseResponse, PhaseLog,
}

// ControlPhase maps each control to the phase it runs in.
var ControlPhase = map[string]Phase{
	CtlTLS: PhaseTLS, CtlMTLS: PhaseTLS, CtlHSTS: PhaseResponse, CtlRedirect: PhaseTLS,
	CtlUpstreamTLS: PhaseProxy, CtlAPIKey: PhaseAuthn, CtlJWT: PhaseAuthn, CtlMTLSAuthn: PhaseAuthn,
	CtlIntrospection: PhaseAuthn, CtlAuthzRules: PhaseAuthz, CtlRateLimit: PhaseIPRateLimit,
	CtlRateLimitSubject: PhaseSubjectLimit, CtlRateLimitAPIKey: PhaseSubjectLimit,
	CtlRateLimitHeader: PhaseIPRateLimit, CtlRateLimitShared: PhaseIPRateLimit,
	CtlAuthFailures: PhaseAuthn, CtlBodyLimit: PhaseLimits, CtlHeaderLimit: PhaseLimits,
	CtlTimeouts: PhaseProxy, CtlMethods: PhaseRouting, CtlContentTypes: PhaseLimits,
	CtlUndeclared: PhaseRouting, CtlCORS: PhaseCORS, CtlHeaders: PhaseResponse,
	CtlAccessLog: PhaseLog, CtlRedact: PhaseLog,
	// the client address is settled when the connection and its headers
	// are read, before anything keys on it
	CtlClientAddress: PhaseTLS,
}

// Need is one control a policy asks of a target, and where.
type Need struct {
	Control string
	// Route is "service/route", or empty for a policy- or listener-wide need.
	Route string
	// Detail narrows the need in words, for messages.
	Detail string
	// Origin is where the policy asks for the control.
	Origin Origin
}

// Needs lists every control the policy requires, sorted by control and
// route, so capability checks can fail closed on anything a target lacks.
func (p *Policy) Needs() []Need {
	var out []Need
	add := func(ctl, detail string, o Origin) { out = append(out, Need{Control: ctl, Detail: detail, Origin: o}) }
	for _, l := range p.Listeners {
		if l.ClientAddress != nil {
			add(CtlClientAddress, "listener "+l.Name, l.ClientAddress.Origin)
		}
		if l.TLS == nil {
			continue
		}
		add(CtlTLS, "listener "+l.Name, l.TLS.Origin)
		if l.TLS.HSTS != nil {
			add(CtlHSTS, "listener "+l.Name, l.TLS.Origin)
		}
		if l.TLS.ClientAuth != nil {
			add(CtlMTLS, "listener "+l.Name, l.TLS.Origin)
		}
		if l.RedirectPort != 0 {
			add(CtlRedirect, "listener "+l.Name, l.Origin)
		}
	}
	if p.AuthFailures != nil {
		add(CtlAuthFailures, "", p.AuthFailures.Origin)
	}
	if p.RejectUndeclared {
		add(CtlUndeclared, "", Origin{})
	}
	if p.Logging.Enabled {
		add(CtlAccessLog, "", p.Logging.Origin)
		if len(p.Logging.Redact) > 0 {
			add(CtlRedact, "", p.Logging.Origin)
		}
	}
	providers := map[string]*Provider{}
	for _, pr := range p.Providers {
		providers[pr.Name] = pr
	}
	for _, s := range p.Services {
		if s.UpstreamTLS != nil {
			add(CtlUpstreamTLS, "service "+s.Name, s.Origin)
		}
		for _, r := range s.Routes {
			out = append(out, r.needs(providers)...)
		}
	}
	slices.SortStableFunc(out, func(a, b Need) int {
		if a.Control != b.Control {
			return compareStrings(a.Control, b.Control)
		}
		return compareStrings(a.Route, b.Route)
	})
	return slices.CompactFunc(out, func(a, b Need) bool {
		return a.Control == b.Control && a.Route == b.Route && a.Detail == b.Detail
	})
}

func (r *Route) needs(providers map[string]*Provider) []Need {
	var out []Need
	add := func(ctl, detail string) {
		out = append(out, Need{Control: ctl, Route: r.ID, Detail: detail, Origin: r.Origin})
	}
	add(CtlMethods, "")
	for _, name := range r.Providers {
		if pr := providers[name]; pr != nil {
			add(providerControl[pr.Kind], "provider "+name)
		}
	}
	if !r.Public {
		add(CtlAuthzRules, "")
	}
	for _, rl := range r.RateLimits {
		add(rateLimitControl[rl.Key], "rate limit "+rl.Name)
		if rl.Shared {
			add(CtlRateLimitShared, "rate limit "+rl.Name)
		}
	}
	if r.Limits.MaxBodyBytes > 0 {
		add(CtlBodyLimit, "")
	}
	if r.Limits.MaxHeaderBytes > 0 {
		add(CtlHeaderLimit, "")
	}
	if r.Limits != (Limits{MaxBodyBytes: r.Limits.MaxBodyBytes, MaxHeaderBytes: r.Limits.MaxHeaderBytes}) {
		add(CtlTimeouts, "")
	}
	if len(r.ContentTypes) > 0 {
		add(CtlContentTypes, "")
	}
	if r.CORS != nil {
		add(CtlCORS, "")
	}
	if len(r.Headers.Set) > 0 || r.Headers.HideServerTokens {
		add(CtlHeaders, "")
	}
	return out
}

var providerControl = map[string]string{
	KindAPIKey: CtlAPIKey, KindJWT: CtlJWT, KindMTLS: CtlMTLSAuthn, KindIntrospection: CtlIntrospection,
}

var rateLimitControl = map[string]string{
	"ip": CtlRateLimit, "subject": CtlRateLimitSubject, "apiKey": CtlRateLimitAPIKey, "header": CtlRateLimitHeader,
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
