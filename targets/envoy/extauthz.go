package envoy

import (
	"fmt"
	"strings"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	extauthzv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ext_authz/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/rampart-policy/rampart/compiler/ir"
)

// authorizerCluster is the cluster of rampart's authorizer.
const authorizerCluster = "rampart_authorizer"

// logIdentityHeader is the authorizer's answer header holding the
// identity as the access log may record it (redacted or hashed).
const logIdentityHeader = "x-rampart-log-identity"

// needsAuthorizer reports whether a route is sent to rampart's
// authorizer: a non-public route (authentication, rules, the auth-failure
// throttle), or a limit keyed by subject or API key, or a shared limit.
// Without an authorizer, nothing is.
func (e *emitter) needsAuthorizer(r *ir.Route) bool {
	if e.p.Targets.AuthorizerURL == "" {
		return false
	}
	if !r.Public {
		return true
	}
	for _, rl := range r.RateLimits {
		if rl.Key == "subject" || rl.Key == "apiKey" || rl.Shared {
			return true
		}
	}
	return false
}

// extAuthz asks rampart's authorizer over HTTP (the Envoy mode of its
// /authorize endpoint: the original method and path arrive as the check
// request's own, after the path prefix), never letting a request through
// when the authorizer fails (failure_mode_allow false, 503). The check
// carries the credentials the policy's providers read, the client
// address and, on an mTLS listener, the verified client certificate; an
// allowed answer passes subject, roles and route to the upstream and the
// log identity to the access log (dynamic metadata, which clients cannot
// set); a denial goes to the client as the authorizer sent it.
func (e *emitter) extAuthz(l *ir.Listener) (*extauthzv3.ExtAuthz, error) {
	u, err := parseUpstream(e.p.Targets.AuthorizerURL)
	if err != nil {
		return nil, fmt.Errorf("authorizer URL: %w", err)
	}
	if err := e.addCluster(e.cluster(authorizerCluster, u, &ir.UpstreamTLS{Verify: true})); err != nil {
		return nil, err
	}
	prefix := strings.TrimSuffix(u.path, "/") + "/authorize"
	if len(e.p.Listeners) > 1 {
		prefix += "/listener/" + l.Name
	}
	add := []*corev3.HeaderValue{{Key: "x-rampart-client-ip", Value: "%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%"}}
	if l.TLS != nil && l.TLS.ClientAuth != nil {
		// URL-encoded PEM, as the authorizer reads it; it verifies the
		// chain again against the listener's CA
		add = append(add, &corev3.HeaderValue{Key: "x-rampart-client-cert", Value: "%DOWNSTREAM_PEER_CERT%"})
	}
	return &extauthzv3.ExtAuthz{
		Services: &extauthzv3.ExtAuthz_HttpService{HttpService: &extauthzv3.HttpService{
			ServerUri: &corev3.HttpUri{Uri: e.p.Targets.AuthorizerURL,
				HttpUpstreamType: &corev3.HttpUri_Cluster{Cluster: authorizerCluster}, Timeout: durationpb.New(2e9)},
			PathPrefix:           prefix,
			AuthorizationRequest: &extauthzv3.AuthorizationRequest{HeadersToAdd: add},
			AuthorizationResponse: &extauthzv3.AuthorizationResponse{
				AllowedUpstreamHeaders:     exactList("x-rampart-subject", "x-rampart-roles", "x-rampart-route"),
				DynamicMetadataFromHeaders: exactList(logIdentityHeader),
			},
		}},
		AllowedHeaders:         exactList(e.credentialHeaders()...),
		FailureModeAllow:       false,
		StatusOnError:          &typev3.HttpStatus{Code: typev3.StatusCode_ServiceUnavailable},
		TransportApiVersion:    corev3.ApiVersion_V3,
		ClearRouteCache:        false,
		IncludePeerCertificate: false,
	}, nil
}

// credentialHeaders are the request headers the authorizer needs besides
// those ext_authz always sends (Host, Method, Path, Content-Length,
// Authorization): every provider's credential header, Content-Type and
// the headers rate limits are keyed by. Query-parameter credentials
// travel in the path.
func (e *emitter) credentialHeaders() []string {
	seen := map[string]bool{}
	var out []string
	add := func(h string) {
		h = strings.ToLower(h)
		if h != "" && !seen[h] {
			seen[h] = true
			out = append(out, h)
		}
	}
	add("authorization")
	add("content-type")
	for _, pr := range e.p.Providers {
		switch {
		case pr.APIKey != nil && pr.APIKey.In == "header":
			add(pr.APIKey.Name)
		case pr.JWT != nil:
			add(pr.JWT.Header)
		case pr.Introspection != nil:
			add(pr.Introspection.Header)
		}
	}
	for _, s := range e.p.Services {
		for _, r := range s.Routes {
			for _, rl := range r.RateLimits {
				if rl.Key == "header" {
					add(rl.Header)
				}
			}
		}
	}
	return out
}

// exactList matches header names exactly.
func exactList(names ...string) *matcherv3.ListStringMatcher {
	var ps []*matcherv3.StringMatcher
	for _, n := range names {
		ps = append(ps, &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Exact{Exact: n}, IgnoreCase: true})
	}
	return &matcherv3.ListStringMatcher{Patterns: ps}
}
