package goproxy

import (
	"crypto/tls"
	"fmt"
	"strings"

	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/proxy/config"
)

// ianaCiphers maps the schema's OpenSSL cipher names to the IANA names
// Go's crypto/tls uses. DHE suites have no crypto/tls implementation.
var ianaCiphers = map[string]string{
	"ECDHE-ECDSA-AES128-GCM-SHA256": "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
	"ECDHE-RSA-AES128-GCM-SHA256":   "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
	"ECDHE-ECDSA-AES256-GCM-SHA384": "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
	"ECDHE-RSA-AES256-GCM-SHA384":   "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
	"ECDHE-ECDSA-CHACHA20-POLY1305": "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
	"ECDHE-RSA-CHACHA20-POLY1305":   "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
	"ECDHE-ECDSA-AES128-SHA256":     "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
	"ECDHE-RSA-AES128-SHA256":       "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
	"AES128-GCM-SHA256":             "TLS_RSA_WITH_AES_128_GCM_SHA256",
	"AES256-GCM-SHA384":             "TLS_RSA_WITH_AES_256_GCM_SHA384",
}

// listener converts a listener; a TLS 1.2 cipher Go cannot offer is an
// error (fail closed), except DHE suites inherited from a Mozilla 5.7
// profile, which are dropped: Go never negotiates DHE, so the profile's
// ECDHE suites remain and nothing weaker is offered.
func listener(l *ir.Listener) (config.Listener, error) {
	out := config.Listener{Name: l.Name, Address: l.Address, Port: l.Port, Hosts: l.Hosts, RedirectPort: l.RedirectPort}
	if c := l.ClientAddress; c != nil {
		out.ClientAddress = &config.ClientAddress{From: c.From, TrustedProxies: c.TrustedProxies}
	}
	t := l.TLS
	if t == nil {
		return out, nil
	}
	if t.MinVersion < "1.2" {
		return out, fmt.Errorf("goproxy: listener %s accepts TLS %s: rampart's proxy never offers TLS below 1.2", l.Name, t.MinVersion)
	}
	ct := &config.TLS{MinVersion: t.MinVersion, MaxVersion: t.MaxVersion, CipherSuites: []string{}, Curves: t.Curves,
		CertFile: t.CertFile, KeyFile: t.KeyFile}
	for _, c := range t.Ciphers {
		iana, ok := ianaCiphers[c]
		switch {
		case ok && !secureInGo(iana):
			return out, fmt.Errorf("goproxy: listener %s pins cipher %s, which Go's crypto/tls classes as insecure", l.Name, c)
		case ok:
			ct.CipherSuites = append(ct.CipherSuites, iana)
		case strings.HasPrefix(c, "DHE-") && t.Profile != "custom":
			// see above
		default:
			return out, fmt.Errorf("goproxy: listener %s pins cipher %s, which Go's crypto/tls does not implement", l.Name, c)
		}
	}
	if h := t.HSTS; h != nil {
		ct.HSTS = hstsValue(h)
	}
	if ca := t.ClientAuth; ca != nil {
		ct.ClientAuth = &config.ClientAuth{Required: ca.Required, CAFile: ca.CAFile, Subjects: ca.Subjects, SANs: ca.SANs}
	}
	out.TLS = ct
	return out, nil
}

// secureInGo reports whether crypto/tls lists the suite as secure.
func secureInGo(iana string) bool {
	for _, cs := range tls.CipherSuites() {
		if cs.Name == iana {
			return true
		}
	}
	return false
}

// hstsValue renders the Strict-Transport-Security header value.
func hstsValue(h *ir.HSTS) string {
	v := fmt.Sprintf("max-age=%d", h.MaxAgeSeconds)
	if h.IncludeSubDomains {
		v += "; includeSubDomains"
	}
	if h.Preload {
		v += "; preload"
	}
	return v
}

// provider converts an authentication provider.
func provider(p *ir.Provider) config.Provider {
	out := config.Provider{Name: p.Name}
	switch {
	case p.APIKey != nil:
		k := &config.APIKey{In: p.APIKey.In, Name: p.APIKey.Name, Consumers: []config.Consumer{}}
		for _, c := range p.APIKey.Consumers {
			k.Consumers = append(k.Consumers, config.Consumer{Name: c.Name, KeyHash: c.KeyHash, KeyRef: string(c.KeyRef), Roles: c.Roles})
		}
		out.APIKey = k
	case p.JWT != nil:
		j := p.JWT
		out.JWT = &config.JWT{Issuer: j.Issuer, Audiences: j.Audiences, JWKSURI: j.JWKSURI, LocalJWKS: j.LocalJWKS,
			Algorithms: j.Algorithms, RequiredClaims: j.RequiredClaims, MaxTokenAgeSeconds: j.MaxTokenAgeSeconds,
			ClockSkewSeconds: j.ClockSkewSeconds, SubjectClaim: j.SubjectClaim, RolesClaim: j.RolesClaim,
			ScopesClaim: j.ScopesClaim, Header: j.Header}
	case p.MTLS != nil:
		m := &config.MTLS{SubjectFrom: p.MTLS.SubjectFrom, Principals: []config.Principal{}}
		for _, pr := range p.MTLS.Principals {
			m.Principals = append(m.Principals, config.Principal{Subject: pr.Subject, Roles: pr.Roles})
		}
		out.MTLS = m
	case p.Introspection != nil:
		i := p.Introspection
		out.Introspection = &config.Introspection{Endpoint: i.Endpoint, ClientID: i.ClientID, ClientSecret: string(i.ClientSecret),
			CacheSeconds: i.CacheSeconds, SubjectClaim: i.SubjectClaim, ScopesClaim: i.ScopesClaim, Header: i.Header}
	}
	return out
}

// upstream converts a service's upstream.
func upstream(s *ir.Service) config.Upstream {
	u := config.Upstream{Name: s.Name, URL: s.UpstreamURL}
	if t := s.UpstreamTLS; t != nil {
		u.InsecureSkipVerify, u.CAFile, u.ServerName, u.CertFile, u.KeyFile = !t.Verify, t.CAFile, t.ServerName, t.CertFile, t.KeyFile
	}
	return u
}

// route converts a route with its effective controls.
func route(s *ir.Service, r *ir.Route) config.Route {
	out := config.Route{ID: r.ID, Listeners: s.Listeners, Upstream: s.Name, Path: r.Path, Prefix: r.Prefix,
		Methods: r.Methods, Classification: r.Classification, Public: r.Public, Providers: r.Providers,
		Rules: []config.Rule{}, RateLimits: []config.RateLimit{}, ContentTypes: r.ContentTypes,
		Headers: []config.Header{}, HideServer: r.Headers.HideServerTokens, AccessLog: r.AccessLog,
		Limits: config.Limits{MaxBodyBytes: r.Limits.MaxBodyBytes, MaxHeaderBytes: r.Limits.MaxHeaderBytes,
			HeaderTimeoutSeconds: r.Limits.HeaderTimeout, BodyTimeoutSeconds: r.Limits.BodyTimeout,
			IdleTimeoutSeconds: r.Limits.IdleTimeout, UpstreamTimeoutSeconds: r.Limits.UpstreamTimeout}}
	for _, ru := range r.Rules {
		out.Rules = append(out.Rules, config.Rule{Methods: ru.Methods, Roles: ru.Roles, Scopes: ru.Scopes, AnyAuthenticated: ru.AnyAuthenticated})
	}
	for _, rl := range r.RateLimits {
		key := rl.Key
		if key == "header" {
			key = "header:" + rl.Header
		}
		out.RateLimits = append(out.RateLimits, config.RateLimit{Name: rl.Name, RatePerSecond: float64(rl.PerHour) / 3600,
			Burst: rl.Burst, Key: key, Shared: rl.Shared})
	}
	if c := r.CORS; c != nil {
		out.CORS = &config.CORS{AllowOrigins: c.AllowOrigins, AllowMethods: c.AllowMethods, AllowHeaders: c.AllowHeaders,
			ExposeHeaders: c.ExposeHeaders, AllowCredentials: c.AllowCredentials, MaxAgeSeconds: c.MaxAgeSeconds}
	}
	for _, h := range r.Headers.Set {
		out.Headers = append(out.Headers, config.Header{Name: h.Name, Value: h.Value})
	}
	return out
}

// accessLog converts the access log settings.
func accessLog(l ir.Logging) config.AccessLog {
	out := config.AccessLog{Enabled: l.Enabled, Fields: l.Fields, Redact: []config.Redaction{}, AuthFailures: l.AuthFailures,
		Sink: l.Sink, SinkTarget: l.SinkTarget, RetentionDays: l.RetentionDays}
	for _, r := range l.Redact {
		out.Redact = append(out.Redact, config.Redaction{Kind: r.Kind, Name: r.Name, Mode: r.Mode})
	}
	return out
}
