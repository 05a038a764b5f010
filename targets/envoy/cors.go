package envoy

import (
	"regexp"
	"strconv"
	"strings"

	corsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/cors/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/rampart-policy/rampart/compiler/ir"
)

// corsPolicy is the route's CORS policy for the cors filter, enabled at
// 100 %: origins exactly (a "*" label matches one DNS label), methods,
// headers, credentials and max age as the policy says. The filter
// answers preflights itself, before ext_authz. It is the filter's own
// per-route type (extensions.filters.http.cors.v3.CorsPolicy): Envoy
// cannot unpack the route.v3.CorsPolicy into it and refuses the route.
func corsPolicy(c *ir.CORS) *corsv3.CorsPolicy {
	cp := &corsv3.CorsPolicy{
		AllowMethods:     strings.Join(c.AllowMethods, ","),
		AllowHeaders:     strings.Join(c.AllowHeaders, ","),
		ExposeHeaders:    strings.Join(c.ExposeHeaders, ","),
		AllowCredentials: wrapperspb.Bool(c.AllowCredentials),
		FilterEnabled:    percent100("cors_enabled"),
	}
	if c.MaxAgeSeconds > 0 {
		cp.MaxAge = strconv.Itoa(c.MaxAgeSeconds)
	}
	for _, o := range c.AllowOrigins {
		cp.AllowOriginStringMatch = append(cp.AllowOriginStringMatch, OriginMatcher(o))
	}
	return cp
}

// OriginMatcher matches one allowed origin: exactly, or, with "*", by a
// regular expression in which "*" stands for one DNS label (or any
// origin, for "*" alone).
func OriginMatcher(o string) *matcherv3.StringMatcher {
	if !strings.Contains(o, "*") {
		return &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Exact{Exact: o}}
	}
	re := ".*"
	if o != "*" {
		re = "^" + strings.ReplaceAll(regexp.QuoteMeta(o), `\*`, `[A-Za-z0-9-]+`) + "$"
	}
	return &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_SafeRegex{SafeRegex: &matcherv3.RegexMatcher{Regex: re}}}
}
