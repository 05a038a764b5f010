package nginx

import (
	"fmt"

	"github.com/rampart-policy/rampart/compiler/ir"
)

// header is one response header to add; value is a literal or a variable.
type header struct {
	name  string
	value Arg
}

// defaultHeaders secure responses that match no route, as rampart's
// proxy does.
var defaultHeaders = []ir.Header{
	{Name: "X-Content-Type-Options", Value: "nosniff"},
	{Name: "X-Frame-Options", Value: "DENY"},
	{Name: "Referrer-Policy", Value: "no-referrer"},
	{Name: "Cache-Control", Value: "no-store"},
}

// corsHeaderNames are the CORS response headers the gateway owns; the
// upstream's versions are hidden.
var corsHeaderNames = []string{
	"Access-Control-Allow-Origin", "Access-Control-Allow-Credentials", "Access-Control-Expose-Headers",
	"Access-Control-Allow-Methods", "Access-Control-Allow-Headers", "Access-Control-Max-Age",
}

// routeHeaders returns the location's security headers: each header all
// its routes set alike is a literal; one that differs by route becomes a
// map on $request_method (an empty value sends no header). HSTS follows
// on TLS listeners.
func (e *emitter) routeHeaders(l *ir.Listener, rs []*ir.Route) ([]header, error) {
	var names []string
	values := map[string][]string{} // name → value per route ("" = unset)
	for i, r := range rs {
		for _, h := range r.Headers.Set {
			if _, ok := values[h.Name]; !ok {
				names = append(names, h.Name)
				values[h.Name] = make([]string, len(rs))
			}
			values[h.Name][i] = h.Value
		}
	}
	var out []header
	for _, n := range names {
		if _, err := headerName(n); err != nil {
			return nil, err
		}
		v, err := e.perRoute(rs, values[n])
		if err != nil {
			return nil, fmt.Errorf("header %s: %w", n, err)
		}
		out = append(out, header{n, v})
	}
	return append(out, hsts(l)...), nil
}

// perRoute returns a literal when every route has the same value, else a
// variable mapped from the request method.
func (e *emitter) perRoute(rs []*ir.Route, vals []string) (Arg, error) {
	same := true
	for _, v := range vals {
		same = same && v == vals[0]
	}
	if same {
		return Lit(vals[0]), nil
	}
	var entries []Directive
	for i, r := range rs {
		alt, err := methodAlternation(r.Methods)
		if err != nil {
			return Arg{}, err
		}
		entries = append(entries, D("", Raw("~^("+alt+")$"), Lit(vals[i])))
	}
	entries = append(entries, D("default", Raw("")))
	return Raw(e.addMap("$request_method", "m", entries...)), nil
}

// defaultHeaderSet is the header set for blocks outside any route.
func defaultHeaderSet(l *ir.Listener) []header {
	var out []header
	for _, h := range defaultHeaders {
		out = append(out, header{h.Name, Lit(h.Value)})
	}
	return append(out, hsts(l)...)
}

// hsts returns the listener's Strict-Transport-Security header, if any.
func hsts(l *ir.Listener) []header {
	if l.TLS == nil || l.TLS.HSTS == nil {
		return nil
	}
	return []header{{"Strict-Transport-Security", Raw(hstsValue(l.TLS.HSTS))}}
}

// addHeaders returns add_header ... always for each header. nginx drops
// every inherited add_header in a block that has its own, so every block
// that adds any header gets the whole set.
func addHeaders(hs []header) []Directive {
	var out []Directive
	for _, h := range hs {
		out = append(out, D("add_header", Lit(h.name), h.value, Raw("always")))
	}
	return out
}

// hideUpstream hides the upstream's versions of the headers the gateway
// sets, so they can neither weaken nor duplicate them. Vary is added to,
// never hidden.
func hideUpstream(hs []header, hideServer bool) []Directive {
	names := []string{}
	for _, h := range hs {
		if h.name != "Vary" {
			names = append(names, h.name)
		}
	}
	names = append(names, "Strict-Transport-Security")
	names = append(names, corsHeaderNames...)
	if hideServer {
		names = append(names, "X-Powered-By")
	}
	var out []Directive
	seen := map[string]bool{}
	for _, n := range names {
		if !seen[n] {
			seen[n] = true
			out = append(out, D("proxy_hide_header", Lit(n)))
		}
	}
	return out
}
