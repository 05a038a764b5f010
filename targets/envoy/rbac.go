package envoy

import (
	"fmt"
	"regexp"
	"strings"

	rbacconfigv3 "github.com/envoyproxy/go-control-plane/envoy/config/rbac/v3"
	rbacv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/rbac/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"

	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/targets/internal/dn"
)

// nativeRules reports whether rbac can enforce every route's rules: each
// non-public route is authenticated by JWT providers only, and each claim
// a rule reads (roles, scopes) is named by every one of them.
func nativeRules(p *ir.Policy) bool {
	byName := map[string]*ir.Provider{}
	for _, pr := range p.Providers {
		byName[pr.Name] = pr
	}
	for _, s := range p.Services {
		for _, r := range s.Routes {
			if !r.Public && !rulesExpressible(r, byName) {
				return false
			}
		}
	}
	return true
}

// rulesExpressible reports whether rbac can check r's rules from the JWT
// payloads alone.
func rulesExpressible(r *ir.Route, byName map[string]*ir.Provider) bool {
	for _, name := range r.Providers {
		pr := byName[name]
		if pr == nil || pr.JWT == nil {
			return false
		}
		for _, rule := range r.Rules {
			if (len(rule.Roles) > 0 && pr.JWT.RolesClaim == "") || (len(rule.Scopes) > 0 && pr.JWT.ScopesClaim == "") {
				return false
			}
		}
	}
	return true
}

// routeRBAC is the route's RBACPerRoute, always with rbac rules (an
// RBACPerRoute without them turns RBAC off on the route):
//
//   - public route: allow any request (from a permitted client
//     certificate, on a listener that restricts subjects);
//   - rules rbac can check: one ALLOW policy per rule;
//   - rules delegated to the authorizer: allow what ext_authz let through;
//   - otherwise (no authorizer, no waiver reached here): deny everything.
func (e *emitter) routeRBAC(l *ir.Listener, r *ir.Route) *rbacv3.RBACPerRoute {
	subject := subjectPrincipal(l)
	switch {
	case r.Public:
		return allowWith("public", subject)
	case rulesExpressible(r, e.providers):
		return e.rulePolicies(r, subject)
	case e.needsAuthorizer(r):
		return allowWith("authorizer", subject)
	case waived(e.p, ir.CtlAuthzRules, r.ID):
		return allowWith("waived", subject)
	}
	return &rbacv3.RBACPerRoute{Rbac: &rbacv3.RBAC{Rules: &rbacconfigv3.RBAC{Action: rbacconfigv3.RBAC_ALLOW}}}
}

// rulePolicies is one ALLOW policy per rule: the rule's methods, and a
// verified token from one of the route's providers, signed with one of
// its algorithms, holding one of the rule's roles or scopes (any token,
// for anyAuthenticated).
func (e *emitter) rulePolicies(r *ir.Route, subject *rbacconfigv3.Principal) *rbacv3.RBACPerRoute {
	pols := map[string]*rbacconfigv3.Policy{}
	for i, rule := range r.Rules {
		var perProvider []*rbacconfigv3.Principal
		for _, name := range r.Providers {
			perProvider = append(perProvider, e.rulePrincipal(e.providers[name], rule))
		}
		princ := orIDs(perProvider)
		if subject != nil {
			princ = andIDs([]*rbacconfigv3.Principal{subject, princ})
		}
		pols[ruleName(i)] = &rbacconfigv3.Policy{Permissions: []*rbacconfigv3.Permission{methodsPermission(rule.Methods)},
			Principals: []*rbacconfigv3.Principal{princ}}
	}
	return &rbacv3.RBACPerRoute{Rbac: &rbacv3.RBAC{Rules: &rbacconfigv3.RBAC{Action: rbacconfigv3.RBAC_ALLOW, Policies: pols}}}
}

// rulePrincipal matches a token from pr that satisfies rule.
func (e *emitter) rulePrincipal(pr *ir.Provider, rule ir.Rule) *rbacconfigv3.Principal {
	j := pr.JWT
	var alts []*rbacconfigv3.Principal
	if rule.AnyAuthenticated || (len(rule.Roles) == 0 && len(rule.Scopes) == 0) {
		alts = append(alts, claimPresent(pr.Name, "iss"))
	}
	for _, role := range rule.Roles {
		alts = append(alts, claimHolds(pr.Name, j.RolesClaim, role))
	}
	for _, sc := range rule.Scopes {
		alts = append(alts, claimHolds(pr.Name, j.ScopesClaim, sc))
	}
	return andIDs([]*rbacconfigv3.Principal{algPrincipal(pr), orIDs(alts)})
}

// algPrincipal requires the verified token's alg to be one of the
// provider's algorithms.
func algPrincipal(pr *ir.Provider) *rbacconfigv3.Principal {
	var alts []*rbacconfigv3.Principal
	for _, a := range pr.JWT.Algorithms {
		alts = append(alts, metadataPrincipal(headerKey(pr.Name), "alg", &matcherv3.ValueMatcher{MatchPattern: &matcherv3.ValueMatcher_StringMatch{
			StringMatch: &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Exact{Exact: a}}}}))
	}
	if len(alts) == 0 {
		// no algorithm allowed: nothing matches
		return &rbacconfigv3.Principal{Identifier: &rbacconfigv3.Principal_NotId{NotId: &rbacconfigv3.Principal{
			Identifier: &rbacconfigv3.Principal_Any{Any: true}}}}
	}
	return orIDs(alts)
}

// claimHolds matches a payload claim that is a list holding v or a
// space-separated string holding v (how rampart reads roles and scopes).
// Envoy matches a safe_regex against the whole value (RE2 FullMatch), so
// the expression spells out the members around v.
func claimHolds(provider, claim, v string) *rbacconfigv3.Principal {
	inList := &matcherv3.ValueMatcher{MatchPattern: &matcherv3.ValueMatcher_ListMatch{ListMatch: &matcherv3.ListMatcher{
		MatchPattern: &matcherv3.ListMatcher_OneOf{OneOf: &matcherv3.ValueMatcher{MatchPattern: &matcherv3.ValueMatcher_StringMatch{
			StringMatch: &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Exact{Exact: v}}}}}}}}
	inString := &matcherv3.ValueMatcher{MatchPattern: &matcherv3.ValueMatcher_StringMatch{StringMatch: &matcherv3.StringMatcher{
		MatchPattern: &matcherv3.StringMatcher_SafeRegex{SafeRegex: &matcherv3.RegexMatcher{
			Regex: `(?s)(.*\s)?` + regexp.QuoteMeta(v) + `(\s.*)?`}}}}}
	return orIDs([]*rbacconfigv3.Principal{metadataPrincipal(provider, claim, inList), metadataPrincipal(provider, claim, inString)})
}

// claimPresent matches a verified payload from provider (it has claim).
func claimPresent(provider, claim string) *rbacconfigv3.Principal {
	return metadataPrincipal(provider, claim, &matcherv3.ValueMatcher{MatchPattern: &matcherv3.ValueMatcher_PresentMatch{PresentMatch: true}})
}

// metadataPrincipal matches claim in provider's jwt_authn metadata.
func metadataPrincipal(provider, claim string, v *matcherv3.ValueMatcher) *rbacconfigv3.Principal {
	return &rbacconfigv3.Principal{Identifier: &rbacconfigv3.Principal_Metadata{Metadata: &matcherv3.MetadataMatcher{
		Filter: jwtMetadata,
		Path: []*matcherv3.MetadataMatcher_PathSegment{
			{Segment: &matcherv3.MetadataMatcher_PathSegment_Key{Key: provider}},
			{Segment: &matcherv3.MetadataMatcher_PathSegment_Key{Key: claim}},
		},
		Value: v,
	}}}
}

// subjectPrincipal matches a client certificate whose subject CN is one
// of the listener's subjects, from the x-forwarded-client-cert header the
// connection manager sets from the verified certificate (client values
// are replaced); nil when the listener restricts no subjects. Where a
// certificate is optional, a request without one has no subject to
// check (the header is absent), as on the other targets.
func subjectPrincipal(l *ir.Listener) *rbacconfigv3.Principal {
	if l.TLS == nil || l.TLS.ClientAuth == nil || len(l.TLS.ClientAuth.Subjects) == 0 {
		return nil
	}
	var alts []string
	for _, s := range l.TLS.ClientAuth.Subjects {
		alts = append(alts, regexp.QuoteMeta(dn.Escape(s)))
	}
	// the whole header value must match (RE2 FullMatch): Envoy sets
	// Hash=...;Subject="..." (By=... first when its own certificate has a
	// URI SAN)
	re := `(?s)(.*[;,])?Subject="(.*[^\\],)?CN=(` + strings.Join(alts, "|") + `)(,.*)?"([;,].*)?`
	match := &rbacconfigv3.Principal{Identifier: &rbacconfigv3.Principal_Header{Header: regexHeader(xfcc, re)}}
	if l.TLS.ClientAuth.Required {
		return match
	}
	return orIDs([]*rbacconfigv3.Principal{{Identifier: &rbacconfigv3.Principal_Header{Header: absent(xfcc)}}, match})
}

// xfcc is the header Envoy sets from the verified client certificate.
const xfcc = "x-forwarded-client-cert"

// methodsPermission allows the rule's methods, or any (the route's own
// method match already limits them).
func methodsPermission(methods []string) *rbacconfigv3.Permission {
	if len(methods) == 0 {
		return &rbacconfigv3.Permission{Rule: &rbacconfigv3.Permission_Any{Any: true}}
	}
	return &rbacconfigv3.Permission{Rule: &rbacconfigv3.Permission_Header{Header: methodMatcher(methods)}}
}

// allowWith allows any request, or only one from a permitted subject.
func allowWith(name string, subject *rbacconfigv3.Principal) *rbacv3.RBACPerRoute {
	if subject == nil {
		return allowAll(name)
	}
	return &rbacv3.RBACPerRoute{Rbac: &rbacv3.RBAC{Rules: &rbacconfigv3.RBAC{Action: rbacconfigv3.RBAC_ALLOW,
		Policies: map[string]*rbacconfigv3.Policy{name: {
			Permissions: []*rbacconfigv3.Permission{{Rule: &rbacconfigv3.Permission_Any{Any: true}}},
			Principals:  []*rbacconfigv3.Principal{subject}}}}}}
}

// allowAll is an RBACPerRoute with rules that allow every request.
func allowAll(name string) *rbacv3.RBACPerRoute {
	return &rbacv3.RBACPerRoute{Rbac: &rbacv3.RBAC{Rules: &rbacconfigv3.RBAC{Action: rbacconfigv3.RBAC_ALLOW,
		Policies: map[string]*rbacconfigv3.Policy{name: {
			Permissions: []*rbacconfigv3.Permission{{Rule: &rbacconfigv3.Permission_Any{Any: true}}},
			Principals:  []*rbacconfigv3.Principal{{Identifier: &rbacconfigv3.Principal_Any{Any: true}}}}}}}}
}

// orIDs matches any of ps (ps itself when there is one).
func orIDs(ps []*rbacconfigv3.Principal) *rbacconfigv3.Principal {
	if len(ps) == 1 {
		return ps[0]
	}
	return &rbacconfigv3.Principal{Identifier: &rbacconfigv3.Principal_OrIds{OrIds: &rbacconfigv3.Principal_Set{Ids: ps}}}
}

// andIDs matches all of ps.
func andIDs(ps []*rbacconfigv3.Principal) *rbacconfigv3.Principal {
	return &rbacconfigv3.Principal{Identifier: &rbacconfigv3.Principal_AndIds{AndIds: &rbacconfigv3.Principal_Set{Ids: ps}}}
}

// ruleName names the i-th rule's policy; policies are a map, so names
// sort in rule order.
func ruleName(i int) string { return fmt.Sprintf("rule-%04d", i) }
