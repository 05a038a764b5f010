package posture

import (
	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/drift"
)

// providerControl maps a provider kind to its control ID.
var providerControl = map[string]string{
	ir.KindAPIKey: ir.CtlAPIKey, ir.KindJWT: ir.CtlJWT, ir.KindMTLS: ir.CtlMTLSAuthn, ir.KindIntrospection: ir.CtlIntrospection,
}

// providers compares authentication providers by name. Added and removed
// providers matter through the routes that use them, which routes()
// reports; here only their settings are compared.
func (d *differ) providers() {
	bm, hm := byName(d.base.Providers, func(p *ir.Provider) string { return p.Name }),
		byName(d.head.Providers, func(p *ir.Provider) string { return p.Name })
	for _, name := range unionKeys(bm, hm) {
		b, h := bm[name], hm[name]
		if b == nil || h == nil {
			continue
		}
		w := where{label: "of provider " + name, origin: h.Origin}
		p := "authentication." + name
		ctl := providerControl[h.Kind]
		if !d.compare(b.Kind != h.Kind) {
			d.jwt(w, ctl, p, b.JWT, h.JWT)
			d.apiKey(w, ctl, p, b.APIKey, h.APIKey)
			d.mtlsProvider(w, ctl, p, b.MTLS, h.MTLS)
			d.introspection(w, ctl, p, b.Introspection, h.Introspection)
			continue
		}
		d.add(w, drift.Neutral, drift.Changed, ctl, p+".kind", b.Kind, h.Kind, "provider %s changed kind %s → %s", name, b.Kind, h.Kind)
	}
}

// jwt compares JWT verification settings.
func (d *differ) jwt(w where, ctl, p string, b, h *ir.JWT) {
	if b == nil || h == nil {
		return
	}
	d.text(w, ctl, p+".issuer", "issuer", b.Issuer, h.Issuer)
	d.set(w, ctl, p+".audiences", "accepted audiences", b.Audiences, h.Audiences, drift.Weakening)
	d.set(w, ctl, p+".algorithms", "accepted algorithms", b.Algorithms, h.Algorithms, drift.Weakening)
	d.set(w, ctl, p+".requiredClaims", "required claims", b.RequiredClaims, h.RequiredClaims, drift.Strengthening)
	d.number(w, ctl, p+".maxTokenAgeSeconds", "maximum token age", b.MaxTokenAgeSeconds, h.MaxTokenAgeSeconds, lowerStronger, count("s"))
	d.number(w, ctl, p+".clockSkewSeconds", "allowed clock skew", b.ClockSkewSeconds, h.ClockSkewSeconds, lowerStrongerZero, literal("s"))
	d.text(w, ctl, p+".keys", "key source", b.JWKSURI+b.LocalJWKS, h.JWKSURI+h.LocalJWKS)
	d.text(w, ctl, p+".header", "token header", b.Header, h.Header)
	d.text(w, ctl, p+".rolesClaim", "roles claim", b.RolesClaim, h.RolesClaim)
	d.text(w, ctl, p+".scopesClaim", "scopes claim", b.ScopesClaim, h.ScopesClaim)
	d.text(w, ctl, p+".subjectClaim", "subject claim", b.SubjectClaim, h.SubjectClaim)
}

// apiKey compares API-key settings and consumers.
func (d *differ) apiKey(w where, ctl, p string, b, h *ir.APIKey) {
	if b == nil || h == nil {
		return
	}
	d.ordered(w, ctl, p+".in", "key location", b.In, h.In, []string{"query", "header"})
	d.text(w, ctl, p+".name", "key name", b.Name, h.Name)
	bc, hc := byName(b.Consumers, func(c *ir.Consumer) string { return c.Name }), byName(h.Consumers, func(c *ir.Consumer) string { return c.Name })
	d.set(w, ctl, p+".consumers", "consumers", keys(bc), keys(hc), drift.Neutral)
	for _, name := range unionKeys(bc, hc) {
		if bc[name] == nil || hc[name] == nil {
			continue
		}
		cw := where{label: "of consumer " + name, origin: w.origin}
		d.set(cw, ctl, p+".consumers."+name+".roles", "roles", bc[name].Roles, hc[name].Roles, drift.Weakening)
		d.flag(cw, ctl, p+".consumers."+name+".shared", bc[name].Shared, hc[name].Shared, false,
			"consumer "+name+"'s key is now shared by several systems", "consumer "+name+"'s key is no longer shared")
		d.text(cw, ctl, p+".consumers."+name+".key", "key", string(bc[name].KeyRef)+bc[name].KeyHash, string(hc[name].KeyRef)+hc[name].KeyHash)
	}
}

// mtlsProvider compares certificate-subject mappings.
func (d *differ) mtlsProvider(w where, ctl, p string, b, h *ir.MTLS) {
	if b == nil || h == nil {
		return
	}
	d.text(w, ctl, p+".subjectFrom", "subject source", b.SubjectFrom, h.SubjectFrom)
	bp, hp := byName(b.Principals, func(x *ir.Principal) string { return x.Subject }), byName(h.Principals, func(x *ir.Principal) string { return x.Subject })
	d.set(w, ctl, p+".principals", "principals", keys(bp), keys(hp), drift.Neutral)
	for _, s := range unionKeys(bp, hp) {
		if bp[s] != nil && hp[s] != nil {
			d.set(where{label: "of principal " + s, origin: w.origin}, ctl, p+".principals."+s+".roles", "roles", bp[s].Roles, hp[s].Roles, drift.Weakening)
		}
	}
}

// introspection compares token-introspection settings.
func (d *differ) introspection(w where, ctl, p string, b, h *ir.Introspection) {
	if b == nil || h == nil {
		return
	}
	d.text(w, ctl, p+".endpoint", "introspection endpoint", b.Endpoint, h.Endpoint)
	d.number(w, ctl, p+".cacheSeconds", "introspection cache lifetime", b.CacheSeconds, h.CacheSeconds, lowerStrongerZero, literal("s"))
	d.text(w, ctl, p+".clientID", "client ID", b.ClientID, h.ClientID)
	d.text(w, ctl, p+".clientSecret", "client secret reference", string(b.ClientSecret), string(h.ClientSecret))
}

// keys returns a map's keys, sorted.
func keys[V any](m map[string]V) []string { return unionKeys(m, nil) }
