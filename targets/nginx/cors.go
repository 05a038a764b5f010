package nginx

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/targets/internal/targetapi"
)

// corsPlan is a location's CORS: the response headers (variables that
// are empty for origins not allowed) and the preflight condition.
type corsPlan struct {
	headers   []header
	preflight func(all []header) []Directive
}

// cors builds the origin maps for a location whose routes have CORS; all
// routes sharing a path must share one CORS policy.
func (e *emitter) cors(lc *loc) (corsPlan, error) {
	var c *ir.CORS
	var methods []string
	for _, r := range lc.routes {
		if r.CORS == nil {
			continue
		}
		if c != nil && !reflect.DeepEqual(c, r.CORS) {
			return corsPlan{}, &targetapi.RouteError{Route: r.ID,
				Err: fmt.Errorf("shares path %s with routes of another CORS policy; nginx applies CORS per location, so give routes on one path one CORS policy", lc.path)}
		}
		c = r.CORS
		methods = append(methods, r.Methods...)
	}
	if c == nil {
		return corsPlan{preflight: func([]header) []Directive { return nil }}, nil
	}
	origin, err := e.originMap(c)
	if err != nil {
		return corsPlan{}, err
	}
	hs := []header{{"Vary", Lit("Origin")}, {"Access-Control-Allow-Origin", Raw(origin)}}
	if c.AllowCredentials {
		hs = append(hs, header{"Access-Control-Allow-Credentials", Raw(e.ifAllowed(origin, "true"))})
	}
	if len(c.ExposeHeaders) > 0 {
		if err := checkNames(c.ExposeHeaders); err != nil {
			return corsPlan{}, err
		}
		hs = append(hs, header{"Access-Control-Expose-Headers", Raw(e.ifAllowed(origin, strings.Join(c.ExposeHeaders, ", ")))})
	}
	pre, err := e.preflight(c, methods, origin)
	if err != nil {
		return corsPlan{}, err
	}
	return corsPlan{headers: hs, preflight: pre}, nil
}

// originMap maps $http_origin to the Access-Control-Allow-Origin value:
// the origin itself (or "*" for a credential-less wildcard policy) when
// allowed, empty otherwise, matching exact origins and
// "scheme://*.example.com" (one label), as rampart's proxy does.
func (e *emitter) originMap(c *ir.CORS) (string, error) {
	value, star := "$http_origin", false
	var alts []string
	for _, o := range c.AllowOrigins {
		if o == "*" {
			star = true
			continue
		}
		if err := checkText(o); err != nil || strings.ContainsAny(o, "${}; ") {
			return "", fmt.Errorf("origin %q", o)
		}
		if scheme, rest, ok := strings.Cut(o, "://*."); ok {
			alts = append(alts, quoteMeta(scheme)+`://[^.]+\.`+quoteMeta(rest))
		} else {
			alts = append(alts, quoteMeta(o))
		}
	}
	if star && !c.AllowCredentials {
		value = "*"
	}
	entries := []Directive{D("", Raws("", "")...)}
	if len(alts) > 0 {
		entries = append(entries, D("", Raw("~^("+strings.Join(alts, "|")+")$"), Raw(value)))
	}
	def := ""
	if star {
		def = value
	}
	entries = append(entries, D("default", Raw(def)))
	return e.addMap("$http_origin", "cors", entries...), nil
}

// ifAllowed returns a variable holding value when the origin map allowed
// the request's origin, else empty.
func (e *emitter) ifAllowed(origin, value string) string {
	return e.addMap(origin, "cors", D("", Raws("", "")...), D("default", Lit(value)))
}

// preflight answers OPTIONS with Origin and an Access-Control-Request-Method
// the routes declare with 204 and the CORS headers, before the method
// check, as the engine does (disallowed origins get no CORS headers).
func (e *emitter) preflight(c *ir.CORS, methods []string, origin string) (func([]header) []Directive, error) {
	alt, err := methodAlternation(methods)
	if err != nil {
		return nil, err
	}
	if _, err := methodAlternation(c.AllowMethods); err != nil {
		return nil, err
	}
	if err := checkNames(c.AllowHeaders); err != nil {
		return nil, err
	}
	v := e.addMap("$request_method $http_access_control_request_method $http_origin", "pre",
		D("", Raw("~^OPTIONS ("+alt+") ."), Raw("1")), D("default", Raw("")))
	extra := []header{
		{"Access-Control-Allow-Methods", Raw(e.ifAllowed(origin, strings.Join(c.AllowMethods, ", ")))},
		{"Access-Control-Max-Age", Raw(e.ifAllowed(origin, itoa(c.MaxAgeSeconds)))},
	}
	if len(c.AllowHeaders) > 0 {
		extra = append(extra, header{"Access-Control-Allow-Headers", Raw(e.ifAllowed(origin, strings.Join(c.AllowHeaders, ", ")))})
	}
	return func(all []header) []Directive {
		body := append(addHeaders(all), addHeaders(extra)...)
		return []Directive{B("if", Raws("(", v, ")"), append(body, D("return", Raw("204")))...).WithComment("CORS preflight")}
	}, nil
}

// checkNames checks header names listed in CORS headers.
func checkNames(ns []string) error {
	for _, n := range ns {
		if _, err := headerName(n); err != nil {
			return err
		}
	}
	return nil
}
