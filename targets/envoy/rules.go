package envoy

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	jwtv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/jwt_authn/v3"
	localrlv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/local_ratelimit/v3"
	rbacv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/rbac/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"
)

// loadRules checks what Envoy refuses (or silently ignores) when it
// loads a configuration but the protos' ValidateAll does not: documented
// in the API's comments, so a bootstrap that passes ValidateAll is not
// taken for one Envoy would run as meant.
//
//   - a per-route local_ratelimit needs a token bucket, every bucket a
//     fill interval of at least 50 ms, and filter_enabled/filter_enforced
//     must be set (0 % by default: nothing is limited);
//   - an RBACPerRoute without rbac rules turns RBAC off on the route;
//   - a jwt_authn requirement name must be in the requirement map;
//   - every cluster a route, JWKS fetch or HTTP service names must exist;
//   - a typed_per_filter_config entry must hold the per-route type of the
//     filter it names (Envoy unpacks it into that type and refuses any
//     other, e.g. a route.v3.CorsPolicy for the cors filter).
func loadRules(bs *bootstrapv3.Bootstrap, c *anyCache) error {
	clusters := map[string]bool{}
	for _, c := range bs.GetStaticResources().GetClusters() {
		clusters[c.Name] = true
	}
	var errs []error
	var reqs []string
	inMap := map[string]bool{}
	c.each(bs, func(m proto.Message, perRoute bool) {
		switch v := m.(type) {
		case *localrlv3.LocalRateLimit:
			errs = append(errs, rateLimitRules(v, perRoute)...)
		case *rbacv3.RBACPerRoute:
			if v.GetRbac().GetRules() == nil {
				errs = append(errs, errors.New("an RBACPerRoute without rbac rules turns RBAC off on its route"))
			}
		case *jwtv3.JwtAuthentication:
			for k := range v.RequirementMap {
				inMap[k] = true
			}
		case *jwtv3.PerRouteConfig:
			if n := v.GetRequirementName(); n != "" {
				reqs = append(reqs, n)
			}
		case *routev3.Route:
			errs = append(errs, perFilterTypes(v.Name, v.TypedPerFilterConfig)...)
		case *routev3.VirtualHost:
			errs = append(errs, perFilterTypes(v.Name, v.TypedPerFilterConfig)...)
		case *routev3.RouteAction:
			if c := v.GetCluster(); !clusters[c] {
				errs = append(errs, fmt.Errorf("route to unknown cluster %q", c))
			}
		case *corev3.HttpUri:
			if c := v.GetCluster(); !clusters[c] {
				errs = append(errs, fmt.Errorf("%s through unknown cluster %q", v.Uri, c))
			}
		}
	})
	for _, n := range reqs {
		if !inMap[n] {
			errs = append(errs, fmt.Errorf("jwt_authn requirement %q is not in the requirement map", n))
		}
	}
	return errors.Join(errs...)
}

// rateLimitRules checks one local_ratelimit configuration.
func rateLimitRules(v *localrlv3.LocalRateLimit, perRoute bool) []error {
	var errs []error
	if perRoute && v.TokenBucket == nil {
		errs = append(errs, errors.New("a per-route local_ratelimit without a token bucket is rejected"))
	}
	if !full(v.GetFilterEnabled().GetDefaultValue()) || !full(v.GetFilterEnforced().GetDefaultValue()) {
		errs = append(errs, errors.New("local_ratelimit without filter_enabled and filter_enforced at 100 % limits nothing"))
	}
	buckets := []*typev3.TokenBucket{v.TokenBucket}
	for _, d := range v.Descriptors {
		buckets = append(buckets, d.TokenBucket)
	}
	for _, b := range buckets {
		if b != nil && b.GetFillInterval().AsDuration() < 50*time.Millisecond {
			errs = append(errs, fmt.Errorf("token bucket fill interval %v is below 50 ms", b.GetFillInterval().AsDuration()))
		}
	}
	return errs
}

// perRouteTypes is the per-route configuration type of each HTTP filter
// the target configures per route (each filter factory's route config
// proto).
var perRouteTypes = map[string]protoreflect.FullName{
	filterCORS:      "envoy.extensions.filters.http.cors.v3.CorsPolicy",
	filterRateLimit: "envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit",
	filterBuffer:    "envoy.extensions.filters.http.buffer.v3.BufferPerRoute",
	filterExtAuthz:  "envoy.extensions.filters.http.ext_authz.v3.ExtAuthzPerRoute",
	filterJWT:       "envoy.extensions.filters.http.jwt_authn.v3.PerRouteConfig",
	filterRBAC:      "envoy.extensions.filters.http.rbac.v3.RBACPerRoute",
}

// perFilterTypes checks that each per-filter configuration of a route or
// virtual host is the named filter's per-route type, sorted by filter.
func perFilterTypes(where string, cfg map[string]*anypb.Any) []error {
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(cfg)) {
		want, ok := perRouteTypes[name]
		got := cfg[name].MessageName()
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("%s: per-route configuration for filter %s, which takes none here", where, name))
		case got != want:
			errs = append(errs, fmt.Errorf("%s: filter %s takes %s per route, not %s", where, name, want, got))
		}
	}
	return errs
}

// full reports a fraction of exactly 100 %.
func full(f *typev3.FractionalPercent) bool {
	return f != nil && f.Numerator == 100 && f.Denominator == typev3.FractionalPercent_HUNDRED
}

// each calls fn on every message below m, unpacking Anys (through the
// cache: Parse has unpacked every one); perRoute is true inside a
// route's typed_per_filter_config. An Any that repeats with the same
// perRoute is visited once: what fn sees below it is the same.
func (c *anyCache) each(m proto.Message, fn func(m proto.Message, perRoute bool)) {
	visited := map[string]bool{}
	var walk func(m protoreflect.Message, perRoute bool)
	walk = func(rm protoreflect.Message, perRoute bool) {
		if a, ok := rm.Interface().(*anypb.Any); ok {
			k := fmt.Sprint(perRoute) + anyKey(a)
			if visited[k] {
				return
			}
			visited[k] = true
			inner, _, err := c.unpack(a)
			if err != nil {
				return // Parse has already refused unknown types
			}
			rm = inner.ProtoReflect()
		}
		fn(rm.Interface(), perRoute)
		rm.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
			if fd.Kind() != protoreflect.MessageKind {
				return true
			}
			pr := perRoute || fd.Name() == "typed_per_filter_config"
			switch {
			case fd.IsList():
				for i := 0; i < v.List().Len(); i++ {
					walk(v.List().Get(i).Message(), pr)
				}
			case fd.IsMap():
				if fd.MapValue().Kind() == protoreflect.MessageKind {
					v.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool {
						walk(mv.Message(), pr)
						return true
					})
				}
			default:
				walk(v.Message(), pr)
			}
			return true
		})
	}
	walk(m.ProtoReflect(), false)
}
