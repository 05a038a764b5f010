package kong

import (
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/rampart-policy/rampart/compiler/ir"
)

// providerControl maps provider kinds to their control IDs.
var providerControl = map[string]string{
	ir.KindAPIKey: ir.CtlAPIKey, ir.KindJWT: ir.CtlJWT, ir.KindMTLS: ir.CtlMTLSAuthn, ir.KindIntrospection: ir.CtlIntrospection,
}

// envName is an environment variable name Kong's env vault can resolve
// unchanged (it upper-cases the reference and maps "-" to "_").
var envName = regexp.MustCompile(`^[A-Z][A-Z0-9_]{0,127}$`)

// vaultRef turns an "env:NAME" secret reference into Kong's
// "{vault://env/NAME}"; other references have no Kong OSS vault.
func vaultRef(s ir.SecretRef) (string, bool) {
	name, ok := strings.CutPrefix(string(s), "env:")
	if !ok || !envName.MatchString(name) {
		return "", false
	}
	return "{vault://env/" + name + "}", true
}

// apiKeysProvisionable reports whether every API-key consumer has a key
// reference a deployment can provision into Kong: Kong compares keys as
// given, so a consumer known only by a hash can never authenticate.
func apiKeysProvisionable(p *ir.Policy) bool {
	for _, pr := range p.Providers {
		if pr.APIKey == nil {
			continue
		}
		for _, c := range pr.APIKey.Consumers {
			if _, ok := vaultRef(c.KeyRef); !ok {
				return false
			}
		}
	}
	return true
}

// authScheme is the authentication a route gets on Kong: one kind of
// provider (Kong runs every authentication plugin on a route, so two
// kinds would both be required).
type authScheme struct {
	kind      string
	providers []*ir.Provider
}

// authScheme picks the route's providers Kong can run together: those of
// the first kind the target supports; every other provider is a gap.
func (e *emitter) authScheme(r *ir.Route, caps map[string]bool) authScheme {
	var a authScheme
	for _, name := range r.Providers {
		pr := e.providers[name]
		ctl := providerControl[pr.Kind]
		switch {
		case !caps[ctl]:
			// Not enforced at all: targets.Check and Build's own need
			// check report it, or a waiver covers it.
		case a.kind == "" || (a.kind == pr.Kind && pr.Kind == ir.KindAPIKey):
			a.kind = pr.Kind
			a.providers = append(a.providers, pr)
		default:
			e.gap(r, ctl, "provider "+name+": Kong runs every authentication plugin on a route, so it cannot accept either of "+
				strings.Join(r.Providers, " or "))
		}
	}
	return a
}

// authPlugins returns the route's authentication and authorization
// plugins. A non-public route left without an authentication plugin (its
// providers waived) is closed with request-termination, never opened.
func (e *emitter) authPlugins(r *ir.Route, caps map[string]bool) ([]Plugin, authScheme) {
	if r.Public {
		return nil, authScheme{}
	}
	a := e.authScheme(r, caps)
	roles, scopes, any := e.rules(r)
	var out []Plugin
	switch a.kind {
	case ir.KindAPIKey:
		out = append(out, keyAuth(a.providers))
		switch {
		case any:
			out = append(out, aclAllow(a.providers, []string{anyRole}))
		case len(roles) > 0:
			out = append(out, aclAllow(a.providers, roles))
		default:
			e.gap(r, ir.CtlAuthzRules, "only scope rules, and API-key principals carry no scopes: every request is refused")
			out = append(out, terminate(403, "Forbidden"))
		}
	case ir.KindJWT, ir.KindIntrospection:
		if len(a.providers) > 1 {
			e.gap(r, providerControl[a.kind], "Kong runs one openid-connect plugin per route; only provider "+a.providers[0].Name+" is used")
		}
		oidc := openIDConnect(a.providers[0])
		e.oidcGaps(r, a.providers[0])
		if !any {
			oidc.RolesRequired, oidc.ScopesRequired = roles, scopes
			if len(roles) > 0 && len(scopes) > 0 {
				e.gap(r, ir.CtlAuthzRules, "openid-connect requires both the roles and the scopes, not either")
			}
		}
		out = append(out, Plugin{Name: "openid-connect", Config: oidc})
	default:
		out = append(out, terminate(401, "Unauthorized"))
	}
	return out, a
}

// anyRole is the ACL group role every consumer of a provider has; it is
// not a policy role name (those are lower-case letters, digits and "-").
const anyRole = "*"

// aclGroup is the ACL group for a provider's consumers with role. Kong's
// key-auth accepts the key of every consumer in the file on every route,
// whatever provider the route names, so groups carry the provider and
// acl admits a route's own providers' consumers only. Provider names
// have no ":", so "provider:role" cannot collide.
func aclGroup(provider, role string) string { return provider + ":" + role }

// aclAllow is the acl plugin admitting the providers' consumers that
// have one of roles (anyRole: every consumer of the providers).
func aclAllow(prs []*ir.Provider, roles []string) Plugin {
	var allow []string
	for _, pr := range prs {
		for _, role := range roles {
			allow = append(allow, aclGroup(pr.Name, role))
		}
	}
	slices.Sort(allow)
	return Plugin{Name: "acl", Config: &ACLConfig{Allow: slices.Compact(allow), HideGroupsHeader: true}}
}

// rules flattens the route's rules: the roles and scopes any rule
// allows, and whether any authenticated principal is allowed. A rule
// limited to some of the route's methods cannot be scoped in Kong: it is
// dropped (which only removes access) and reported as a gap.
func (e *emitter) rules(r *ir.Route) (roles, scopes []string, any bool) {
	for _, rule := range r.Rules {
		if len(rule.Methods) > 0 && !containsAll(rule.Methods, r.Methods) {
			e.gap(r, ir.CtlAuthzRules, "a rule for methods "+strings.Join(rule.Methods, ",")+" only; Kong's acl applies to the whole route")
			continue
		}
		any = any || rule.AnyAuthenticated
		roles = append(roles, rule.Roles...)
		scopes = append(scopes, rule.Scopes...)
	}
	slices.Sort(roles)
	slices.Sort(scopes)
	return slices.Compact(roles), slices.Compact(scopes), any
}

func containsAll(have, want []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

// keyAuth is key-auth for the route's API-key providers: credentials are
// hidden from the upstream, and keys are read from the query string only
// if a provider reads them there.
func keyAuth(prs []*ir.Provider) Plugin {
	c := &KeyAuthConfig{HideCredentials: true, RunOnPreflight: true}
	for _, pr := range prs {
		c.KeyNames = append(c.KeyNames, pr.APIKey.Name)
		if pr.APIKey.In == "query" {
			c.KeyInQuery = true
		} else {
			c.KeyInHeader = true
		}
	}
	slices.Sort(c.KeyNames)
	c.KeyNames = slices.Compact(c.KeyNames)
	return Plugin{Name: "key-auth", Config: c}
}

// openIDConnect configures the Enterprise openid-connect plugin for a
// JWT or introspection provider: bearer tokens from headers only.
func openIDConnect(pr *ir.Provider) *OpenIDConnectConfig {
	c := &OpenIDConnectConfig{BearerTokenParamType: []string{"header"}, HideCredentials: true, VerifyClaims: true}
	if j := pr.JWT; j != nil {
		c.Issuer = j.Issuer
		c.AuthMethods = []string{"bearer"}
		c.IssuersAllowed = []string{j.Issuer}
		c.ExtraJWKSURIs = nonEmpty(j.JWKSURI)
		c.AudienceRequired = slices.Clone(j.Audiences)
		c.ScopesClaim = nonEmpty(j.ScopesClaim)
		c.RolesClaim = nonEmpty(j.RolesClaim)
		c.Leeway = j.ClockSkewSeconds
		return c
	}
	in := pr.Introspection
	u, _ := url.Parse(in.Endpoint)
	c.Issuer = u.Scheme + "://" + u.Host
	c.UsingPseudoIssuer = true
	c.AuthMethods = []string{"introspection"}
	c.IntrospectionEndpoint = in.Endpoint
	c.ClientID = []string{in.ClientID}
	if ref, ok := vaultRef(in.ClientSecret); ok {
		c.ClientSecret = []string{ref}
	}
	c.ScopesClaim = nonEmpty(in.ScopesClaim)
	c.CacheTTL = in.CacheSeconds
	return c
}

// oidcGaps records what openid-connect cannot check for a provider; the
// plugin still runs, so a waiver accepts exactly these missing checks.
func (e *emitter) oidcGaps(r *ir.Route, pr *ir.Provider) {
	ctl := providerControl[pr.Kind]
	header := ""
	if j := pr.JWT; j != nil {
		header = j.Header
		if len(j.RequiredClaims) > 0 {
			e.gap(r, ctl, "provider "+pr.Name+": openid-connect cannot require claims "+strings.Join(j.RequiredClaims, ", ")+" to be present")
		}
		if j.MaxTokenAgeSeconds > 0 {
			e.gap(r, ctl, "provider "+pr.Name+": openid-connect has no token-age limit (its max_age checks auth_time)")
		}
	}
	if in := pr.Introspection; in != nil {
		header = in.Header
		if _, ok := vaultRef(in.ClientSecret); !ok {
			e.gap(r, ctl, "provider "+pr.Name+": Kong reads the client secret only through its env vault (env:NAME)")
		}
	}
	if header != "" && !strings.EqualFold(header, "Authorization") {
		e.gap(r, ctl, "provider "+pr.Name+": openid-connect reads bearer tokens from Authorization, not "+header)
	}
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

func terminate(status int, msg string) Plugin {
	return Plugin{Name: "request-termination", Config: &RequestTerminationConfig{StatusCode: status, Message: msg}}
}

// consumers lists the API-key consumers of providers some route uses,
// with their provider and roles as ACL groups (aclGroup). Keys are not written (see Consumer).
func (e *emitter) consumers() []Consumer {
	used := map[string]bool{}
	for _, r := range e.routes() {
		for _, name := range r.Providers {
			used[name] = true
		}
	}
	var out []Consumer
	for _, pr := range e.p.Providers {
		if pr.APIKey == nil || !used[pr.Name] {
			continue
		}
		for _, c := range pr.APIKey.Consumers {
			con := Consumer{Username: pr.Name + "." + c.Name, Tags: []string{"rampart", "rampart-provider:" + pr.Name}}
			if _, ok := vaultRef(c.KeyRef); ok {
				con.Tags = append(con.Tags, "rampart-key-ref:"+string(c.KeyRef))
			}
			groups := []string{aclGroup(pr.Name, anyRole)}
			for _, role := range c.Roles {
				groups = append(groups, aclGroup(pr.Name, role))
			}
			slices.Sort(groups)
			for _, g := range slices.Compact(groups) {
				con.ACLs = append(con.ACLs, ACLGroup{Group: g})
			}
			out = append(out, con)
		}
	}
	slices.SortFunc(out, func(a, b Consumer) int { return strings.Compare(a.Username, b.Username) })
	return out
}
