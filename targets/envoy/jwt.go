package envoy

import (
	"fmt"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	jwtv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/jwt_authn/v3"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/rampart-policy/rampart/compiler/ir"
)

// jwtMetadata is the dynamic-metadata namespace jwt_authn writes each
// verified payload to, under the provider's name.
const jwtMetadata = filterJWT

// nativeJWT reports whether jwt_authn alone enforces every JWT provider:
// it has no token-age or required-claim check, which the authorizer does.
func nativeJWT(p *ir.Policy) bool {
	for _, pr := range p.Providers {
		if pr.JWT != nil && (pr.JWT.MaxTokenAgeSeconds > 0 || len(pr.JWT.RequiredClaims) > 0) {
			return false
		}
	}
	return true
}

// jwtProviders are the route's JWT providers, which jwt_authn verifies.
func (e *emitter) jwtProviders(r *ir.Route) []*ir.Provider {
	var out []*ir.Provider
	for _, name := range r.Providers {
		if pr := e.providers[name]; pr != nil && pr.JWT != nil {
			out = append(out, pr)
		}
	}
	return out
}

// jwtAuthn configures a provider per JWT provider the listener's routes
// use, and one requirement per such route, named by route ID.
func (e *emitter) jwtAuthn(l *ir.Listener) (*jwtv3.JwtAuthentication, error) {
	cfg := &jwtv3.JwtAuthentication{Providers: map[string]*jwtv3.JwtProvider{}, RequirementMap: map[string]*jwtv3.JwtRequirement{}}
	for _, s := range e.servicesOn(l.Name) {
		for _, r := range s.Routes {
			jps := e.jwtProviders(r)
			if len(jps) == 0 {
				continue
			}
			for _, pr := range jps {
				jp, err := e.jwtProvider(pr)
				if err != nil {
					return nil, err
				}
				cfg.Providers[pr.Name] = jp
			}
			cfg.RequirementMap[r.ID] = jwtRequirement(jps, len(jps) < len(r.Providers))
		}
	}
	return cfg, nil
}

// jwtProvider verifies one provider's tokens: issuer, audiences, keys
// from its JWKS (fetched through a cluster of its own, or a local file),
// only from the header the policy names (never the access_token query
// parameter Envoy reads by default), expiry required, the token not
// forwarded upstream, the payload and header kept in metadata for rbac
// (which checks the header's alg: jwt_authn has no algorithm list).
func (e *emitter) jwtProvider(pr *ir.Provider) (*jwtv3.JwtProvider, error) {
	j := pr.JWT
	header := j.Header
	if header == "" {
		header = "Authorization"
	}
	jp := &jwtv3.JwtProvider{
		Issuer:            j.Issuer,
		Audiences:         append([]string(nil), j.Audiences...),
		RequireExpiration: true,
		Forward:           false,
		FromHeaders:       []*jwtv3.JwtHeader{{Name: header, ValuePrefix: "Bearer "}},
		PayloadInMetadata: pr.Name,
		HeaderInMetadata:  headerKey(pr.Name),
		// 0 is proto3's "unset", which jwt_authn reads as 60 s: a policy's
		// 0 becomes 1 s, the least Envoy can express
		ClockSkewSeconds: uint32(max(j.ClockSkewSeconds, 1)),
	}
	if j.LocalJWKS != "" {
		jp.JwksSourceSpecifier = &jwtv3.JwtProvider_LocalJwks{LocalJwks: file(j.LocalJWKS)}
		return jp, nil
	}
	u, err := parseUpstream(j.JWKSURI)
	if err != nil || u.scheme != "https" {
		return nil, fmt.Errorf("provider %s: JWKS URI %q: want https://host[:port]/path", pr.Name, j.JWKSURI)
	}
	name := "jwks_" + pr.Name
	if err := e.addCluster(e.cluster(name, u, &ir.UpstreamTLS{Verify: true})); err != nil {
		return nil, err
	}
	jp.JwksSourceSpecifier = &jwtv3.JwtProvider_RemoteJwks{RemoteJwks: &jwtv3.RemoteJwks{
		HttpUri: &corev3.HttpUri{Uri: j.JWKSURI, HttpUpstreamType: &corev3.HttpUri_Cluster{Cluster: name},
			Timeout: durationpb.New(5e9)},
		CacheDuration: durationpb.New(300e9),
		AsyncFetch:    &jwtv3.JwksAsyncFetch{},
	}}
	return jp, nil
}

// headerKey is where jwt_authn writes a provider's verified JWT header,
// whose alg rbac checks against the policy's algorithms.
func headerKey(provider string) string { return provider + ".header" }

// jwtRequirement requires a valid token from one of the providers. On a
// route that also accepts other credentials (allowMissing), a request
// without a token passes on to the authorizer, which decides; a token
// that is present must still verify.
func jwtRequirement(jps []*ir.Provider, allowMissing bool) *jwtv3.JwtRequirement {
	var any []*jwtv3.JwtRequirement
	for _, pr := range jps {
		any = append(any, &jwtv3.JwtRequirement{RequiresType: &jwtv3.JwtRequirement_ProviderName{ProviderName: pr.Name}})
	}
	if allowMissing {
		any = append(any, &jwtv3.JwtRequirement{RequiresType: &jwtv3.JwtRequirement_AllowMissing{AllowMissing: &emptypb.Empty{}}})
	}
	if len(any) == 1 {
		return any[0]
	}
	return &jwtv3.JwtRequirement{RequiresType: &jwtv3.JwtRequirement_RequiresAny{RequiresAny: &jwtv3.JwtRequirementOrList{Requirements: any}}}
}

// jwtPerRoute names the route's requirement, or turns jwt_authn off on a
// route with no JWT provider.
func (e *emitter) jwtPerRoute(r *ir.Route) *jwtv3.PerRouteConfig {
	if len(e.jwtProviders(r)) == 0 {
		return &jwtv3.PerRouteConfig{RequirementSpecifier: &jwtv3.PerRouteConfig_Disabled{Disabled: true}}
	}
	return &jwtv3.PerRouteConfig{RequirementSpecifier: &jwtv3.PerRouteConfig_RequirementName{RequirementName: r.ID}}
}
