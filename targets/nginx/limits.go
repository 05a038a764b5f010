package nginx

import (
	"fmt"
	"strings"

	"github.com/rampart-policy/rampart/compiler/ir"
)

// minPositive returns the smallest positive value pick gives over rs, or 0.
func minPositive(rs []*ir.Route, pick func(ir.Limits) int) int {
	m := 0
	for _, r := range rs {
		if v := pick(r.Limits); v > 0 && (m == 0 || v < m) {
			m = v
		}
	}
	return m
}

// serverLimits returns the limits nginx applies before it picks a
// location: the header size and header timeout. Where routes of the
// listener differ, the strictest applies to all of them (nginx reads the
// header before it knows the route).
func serverLimits(rs []*ir.Route) []Directive {
	var out []Directive
	if limit := minPositive(rs, func(l ir.Limits) int { return l.MaxHeaderBytes }); limit > 0 {
		size := (limit + 4*1024 - 1) / (4 * 1024) // 4 buffers of ceil(limit/4) KiB, after the 1k first buffer
		out = append(out, D("large_client_header_buffers", Raw("4"), Raw(fmt.Sprintf("%dk", max(size, 1)))).
			WithComment(fmt.Sprintf("header limit %d bytes", limit)))
	}
	if t := minPositive(rs, func(l ir.Limits) int { return l.HeaderTimeout }); t > 0 {
		out = append(out, D("client_header_timeout", Raw(fmt.Sprintf("%ds", t))))
	}
	return out
}

// locationLimits returns body size and timeouts; routes sharing a path
// share a location, and the strictest value applies to all of them.
func locationLimits(rs []*ir.Route) []Directive {
	var out []Directive
	if b := minPositive(rs, func(l ir.Limits) int { return l.MaxBodyBytes }); b > 0 {
		out = append(out, D("client_max_body_size", Raw(itoa(b))))
	}
	if t := minPositive(rs, func(l ir.Limits) int { return l.BodyTimeout }); t > 0 {
		out = append(out, D("client_body_timeout", Raw(fmt.Sprintf("%ds", t))))
	}
	if t := minPositive(rs, func(l ir.Limits) int { return l.IdleTimeout }); t > 0 {
		out = append(out, D("keepalive_timeout", Raw(fmt.Sprintf("%ds", t))))
	}
	if t := minPositive(rs, func(l ir.Limits) int { return l.UpstreamTimeout }); t > 0 {
		s := Raw(fmt.Sprintf("%ds", t))
		out = append(out, D("proxy_connect_timeout", Raw(fmt.Sprintf("%ds", min(t, 75)))),
			D("proxy_send_timeout", s), D("proxy_read_timeout", s))
	}
	return out
}

// contentTypes answers 415 to a request with a body whose media type the
// matched route does not accept (case-insensitive, parameters ignored),
// as the engine does. The map keys on body presence, method and type.
func (e *emitter) contentTypes(lc *loc) ([]Directive, error) {
	var entries []Directive
	for _, r := range lc.routes {
		if len(r.ContentTypes) == 0 {
			continue
		}
		alt, err := methodAlternation(r.Methods)
		if err != nil {
			return nil, err
		}
		var types []string
		for _, t := range r.ContentTypes {
			if !mediaTypeRE.MatchString(t) {
				return nil, fmt.Errorf("content type %q is not type/subtype", t)
			}
			types = append(types, quoteMeta(t))
		}
		re := `~*^1\|(` + alt + `)\|(?!(` + strings.Join(types, "|") + `)[ \t]*(;|$))`
		entries = append(entries, D("", Raw(re), Raw("1")))
	}
	if len(entries) == 0 {
		return nil, nil
	}
	entries = append(entries, D("default", Raw("")))
	name := e.addMap("$rampart_has_body|$request_method|$content_type", "ct", entries...)
	return []Directive{B("if", Raws("(", name, ")"), D("return", Raw("415")))}, nil
}
