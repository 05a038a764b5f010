package lower

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"cuelang.org/go/cue"

	"github.com/rampart-policy/rampart/compiler/diag"
	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/compiler/load"
)

// Options tune lowering.
type Options struct {
	// Today is the date waivers are checked against; zero means now.
	Today time.Time
}

// lowerer holds one lowering's state.
type lowerer struct {
	res   *load.Result
	raw   *rawPolicy
	diags diag.List
	today string
}

// Lower resolves a loaded policy into the IR and runs rampart's checks.
// It returns the IR even when diagnostics contain errors, so callers can
// show as much as possible; callers must not emit artifacts from it then.
func Lower(res *load.Result, opts Options) (*ir.Policy, diag.List, error) {
	data, err := res.Value.MarshalJSON()
	if err != nil {
		return nil, nil, fmt.Errorf("encoding policy: %w", err)
	}
	raw := &rawPolicy{}
	if err := json.Unmarshal(data, raw); err != nil {
		return nil, nil, fmt.Errorf("decoding policy: %w", err)
	}
	today := opts.Today
	if today.IsZero() {
		today = time.Now()
	}
	l := &lowerer{res: res, raw: raw, today: today.UTC().Format("2006-01-02")}
	l.checkKeys()
	if l.diags.HasErrors() {
		return nil, l.diags.Sort(), nil
	}
	p := l.policy()
	l.check(p)
	return p, l.diags.Sort(), nil
}

// policy builds the IR from the raw policy.
func (l *lowerer) policy() *ir.Policy {
	r := l.raw
	p := &ir.Policy{
		Name:             r.Metadata.Name,
		Owner:            r.Metadata.Owner,
		Purpose:          r.Metadata.Purpose,
		Contact:          r.Metadata.Contact,
		RejectUndeclared: r.RejectUndeclaredRoutes,
		Baselines:        []ir.Baseline{},
		Sources:          []ir.Source{},
		Waivers:          []ir.Waiver{},
	}
	for _, id := range sortedKeys(r.Baselines) {
		b := r.Baselines[id]
		p.Baselines = append(p.Baselines, ir.Baseline{ID: id, Title: b.Title, Version: b.Version})
	}
	for _, f := range sortedKeys(l.res.Sources) {
		sum := sha256.Sum256(l.res.Sources[f])
		p.Sources = append(p.Sources, ir.Source{File: f, SHA256: hex.EncodeToString(sum[:])})
	}
	for _, name := range sortedKeys(r.Listeners) {
		p.Listeners = append(p.Listeners, l.listener(name, r.Listeners[name]))
	}
	for _, name := range sortedKeys(r.Authentication) {
		p.Providers = append(p.Providers, l.provider(name, r.Authentication[name]))
	}
	if af := r.AuthFailures; af != nil {
		p.AuthFailures = &ir.AuthFailures{MaxAttempts: af.MaxAttempts, WindowSeconds: af.WindowSeconds,
			LockoutSeconds: af.LockoutSeconds, Key: af.Key, Origin: l.origin("authFailures")}
	}
	for _, name := range sortedKeys(r.Services) {
		p.Services = append(p.Services, l.service(name, r.Services[name]))
	}
	p.Logging = l.logging(p.Providers)
	for i, w := range r.Waivers {
		p.Waivers = append(p.Waivers, ir.Waiver{Control: w.Control, Target: w.Target, Route: w.Route,
			Reason: w.Reason, Approver: w.Approver, Expires: w.Expires, Origin: l.originPath(cue.MakePath(cue.Str("waivers"), cue.Index(i)))})
	}
	p.Targets = ir.TargetSettings{KongEdition: r.Targets.Kong.Edition, Deploy: l.deploy()}
	if a := r.Targets.Authorizer; a != nil {
		p.Targets.AuthorizerURL = a.URL
	}
	if rd := r.Targets.Goproxy.Redis; rd != nil {
		p.Targets.RedisAddress = rd.Address
		p.Targets.RedisPasswordRef = ir.SecretRef(rd.PasswordRef)
	}
	return p
}

// listener lowers one listener.
func (l *lowerer) listener(name string, r rawListener) *ir.Listener {
	out := &ir.Listener{Name: name, Address: r.Address, Port: r.Port, Hosts: r.Hosts,
		Origin: l.origin("listeners", name)}
	if r.RedirectHTTP != nil {
		out.RedirectPort = r.RedirectHTTP.Port
	}
	out.ClientAddress = l.clientAddress(name, r.ClientAddress)
	if t := r.TLS; t != nil {
		out.TLS = &ir.TLS{Profile: t.Profile, Guidelines: t.Guidelines, MinVersion: t.MinVersion,
			MaxVersion: t.MaxVersion, Ciphers: nonNil(t.Ciphers), Curves: t.Curves,
			CertFile: t.Certificate.Cert, KeyFile: t.Certificate.Key, Origin: l.origin("listeners", name, "tls")}
		if h := t.HSTS; h != nil {
			out.TLS.HSTS = &ir.HSTS{MaxAgeSeconds: h.MaxAgeSeconds, IncludeSubDomains: h.IncludeSubDomains, Preload: h.Preload}
		}
		if c := t.ClientAuth; c != nil {
			out.TLS.ClientAuth = &ir.ClientAuth{Required: c.Mode == "required", CAFile: c.CA, Subjects: c.Subjects, SANs: c.SANs}
		}
	}
	return out
}

// provider lowers one authentication provider.
func (l *lowerer) provider(name string, r rawProvider) *ir.Provider {
	out := &ir.Provider{Name: name, Kind: r.Kind, Origin: l.origin("authentication", name)}
	switch r.Kind {
	case ir.KindAPIKey:
		k := &ir.APIKey{In: r.In, Name: r.Header, Consumers: []*ir.Consumer{}}
		if r.In == "query" {
			k.Name = r.Query
		}
		for _, cn := range sortedKeys(r.Consumers) {
			c := r.Consumers[cn]
			k.Consumers = append(k.Consumers, &ir.Consumer{Name: cn, KeyHash: c.KeyHash, KeyRef: ir.SecretRef(c.KeyRef), Roles: nonNil(c.Roles), Shared: c.Shared})
		}
		out.APIKey = k
	case ir.KindJWT:
		out.JWT = &ir.JWT{Issuer: r.Issuer, Audiences: nonNil(r.Audiences), JWKSURI: r.JWKSURI, LocalJWKS: r.LocalJWKS,
			Algorithms: r.Algorithms, RequiredClaims: nonNil(r.RequiredClaims), MaxTokenAgeSeconds: r.MaxTokenAgeSeconds,
			ClockSkewSeconds: r.ClockSkewSeconds, SubjectClaim: r.SubjectClaim, RolesClaim: r.RolesClaim,
			ScopesClaim: r.ScopesClaim, Header: r.Header}
	case ir.KindMTLS:
		m := &ir.MTLS{SubjectFrom: r.SubjectFrom, Principals: []*ir.Principal{}}
		for _, s := range sortedKeys(r.Principals) {
			m.Principals = append(m.Principals, &ir.Principal{Subject: s, Roles: nonNil(r.Principals[s].Roles)})
		}
		out.MTLS = m
	case ir.KindIntrospection:
		out.Introspection = &ir.Introspection{Endpoint: r.Endpoint, ClientID: r.ClientID,
			ClientSecret: ir.SecretRef(r.ClientSecret), CacheSeconds: r.CacheSeconds,
			SubjectClaim: r.SubjectClaim, ScopesClaim: r.ScopesClaim, Header: r.Header}
	}
	return out
}

// sortedKeys returns a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// nonNil turns a nil slice into an empty one, so the IR prints [] not null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
