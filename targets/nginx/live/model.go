package live

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// config is a normalised nginx configuration: its servers by key, with
// every location's effective settings after inheritance and defaults.
type config struct {
	servers    map[string]*server
	logFormats map[string]string
	// maps are http-level map blocks by the variable they set: their
	// source and entries, in order (regex entries match first-first).
	maps map[string]string
	// upstreams are the upstream blocks by name: their servers and
	// settings, in order.
	upstreams map[string]string
}

// server is one server block.
type server struct {
	key      string // "listen … | server_name …"
	port     int
	ssl      bool
	settings map[string]string // effective server-level settings
	ifs      []string          // "if (cond) → return N" checks
	locs     map[string]*location
}

// location is one location block with its effective settings.
type location struct {
	key      string // "location = /items"
	comment  string
	settings map[string]string
	headers  map[string]string // lower-case name → value
	// always lists the headers added with "always" (on every status,
	// not only 2xx/3xx).
	always map[string]bool
	// proxyHeaders are the effective proxy_set_header fields (lower-case
	// name → value, `""` for a field cleared so the client's is not
	// passed); hidden are the proxy_hide_header fields, lower-case.
	proxyHeaders map[string]string
	hidden       []string
	limits       []limitReq
	// internal is "on" for a location only internal requests reach
	// (the authorizer's), "off" otherwise; not inherited.
	internal string
	methods  []string // allowed by the method check; nil when absent
	ifs      []string // other "if (cond) → return N" checks
}

// limitReq is a limit_req resolved through its zone.
type limitReq struct {
	key   string // the zone's key variable
	rate  int64  // requests per hour
	burst int64
	zone  string
}

// scope holds what a block inherits from its parents.
type scope struct {
	settings     map[string]string
	headers      map[string]string
	always       map[string]bool
	proxyHeaders map[string]string
	hidden       []string
	limits       []*node
}

// inherited are simple settings nginx inherits from http to server to
// location, with nginx 1.22's defaults for when none is set.
var inherited = map[string]string{
	"ssl_protocols":                 "TLSv1 TLSv1.1 TLSv1.2 TLSv1.3",
	"ssl_ciphers":                   "HIGH:!aNULL:!MD5",
	"ssl_ecdh_curve":                "auto",
	"ssl_verify_client":             "off",
	"ssl_client_certificate":        "",
	"ssl_verify_depth":              "1",
	"server_tokens":                 "on",
	"client_max_body_size":          "1m",
	"large_client_header_buffers":   "4 8k",
	"client_header_timeout":         "60s",
	"client_body_timeout":           "60s",
	"keepalive_timeout":             "75s",
	"proxy_read_timeout":            "60s",
	"proxy_send_timeout":            "60s",
	"proxy_connect_timeout":         "60s",
	"proxy_ssl_verify":              "off",
	"proxy_ssl_protocols":           "TLSv1 TLSv1.1 TLSv1.2 TLSv1.3",
	"proxy_ssl_ciphers":             "DEFAULT",
	"proxy_ssl_trusted_certificate": "",
	"proxy_pass":                    "",
	"ssl_session_tickets":           "on",
	// limit_req_dry_run on counts requests over the limit but lets them
	// through; ssl_conf_command (several, all-or-nothing) can override
	// ssl_protocols and ssl_ciphers from under them.
	"limit_req_dry_run": "off",
	"ssl_conf_command":  "",
	"auth_request":      "", // absent: reported missing
	// satisfy any lets an allow rule stand in for auth_request.
	"satisfy":    "all",
	"access_log": "logs/access.log combined",
	// the realip module: which peers' header is believed (none by
	// default), which header, and whether trusted hops are skipped
	"set_real_ip_from":  "",
	"real_ip_header":    "X-Real-IP",
	"real_ip_recursive": "off",
}

// normalise builds the model from a parsed tree.
func normalise(tree []*node) (*config, error) {
	c := &config{servers: map[string]*server{}, logFormats: map[string]string{}, maps: map[string]string{}, upstreams: map[string]string{}}
	http := find(tree, "http")
	if http == nil {
		return nil, fmt.Errorf("no http block")
	}
	sc := newScope()
	zones := map[string]limitReq{}
	for _, n := range http.block {
		switch n.name {
		case "log_format":
			if len(n.args) > 0 {
				c.logFormats[n.args[0]] = strings.Join(n.args[1:], " ")
			}
		case "limit_req_zone":
			z := parseZone(n)
			zones[z.zone] = z
		case "map":
			if len(n.args) == 2 {
				c.maps[n.args[1]] = mapText(n)
			}
		case "upstream":
			if len(n.args) == 1 && n.block != nil {
				c.upstreams[n.args[0]] = strings.TrimPrefix(mapText(&node{args: []string{""}, block: n.block}), "; ")
			}
		}
	}
	sc = sc.enter(http.block)
	for _, n := range http.block {
		if n.name != "server" {
			continue
		}
		s, err := newServer(n, sc, zones)
		if err != nil {
			return nil, err
		}
		if _, dup := c.servers[s.key]; dup {
			s.key += fmt.Sprintf(" (%s:%d)", n.file, n.line)
		}
		c.servers[s.key] = s
	}
	return c, nil
}

func newScope() scope {
	s := scope{settings: map[string]string{}, headers: map[string]string{}}
	for k, v := range inherited {
		s.settings[k] = v
	}
	return s
}

// enter returns the scope inside a block: its own settings override,
// and add_header / limit_req replace the inherited set when present.
func (s scope) enter(block []*node) scope {
	out := scope{settings: map[string]string{}, headers: s.headers, always: s.always, limits: s.limits,
		proxyHeaders: s.proxyHeaders, hidden: s.hidden}
	for k, v := range s.settings {
		out.settings[k] = v
	}
	var hdrs, proxyHdrs map[string]string
	var always map[string]bool
	var hidden []string
	var limits []*node
	logs := []string{}
	var confCmds, realFrom []string
	for _, n := range block {
		switch {
		case n.name == "add_header" && len(n.args) >= 2:
			if hdrs == nil {
				hdrs = map[string]string{}
			}
			if always == nil {
				always = map[string]bool{}
			}
			hdrs[strings.ToLower(n.args[0])] = n.args[1]
			always[strings.ToLower(n.args[0])] = len(n.args) > 2 && n.args[2] == "always"
		case n.name == "proxy_set_header" && len(n.args) == 2:
			if proxyHdrs == nil {
				proxyHdrs = map[string]string{}
			}
			v := n.args[1]
			if v == "" {
				v = `""`
			}
			proxyHdrs[strings.ToLower(n.args[0])] = v
		case n.name == "proxy_hide_header" && len(n.args) == 1:
			hidden = append(hidden, strings.ToLower(n.args[0]))
		case n.name == "limit_req":
			limits = append(limits, n)
		case n.name == "access_log":
			logs = append(logs, strings.Join(n.args, " "))
		case n.name == "ssl_conf_command":
			confCmds = append(confCmds, strings.Join(n.args, " "))
		case n.name == "set_real_ip_from" && len(n.args) == 1:
			realFrom = append(realFrom, n.args[0])
		case n.block == nil:
			if _, ok := inherited[n.name]; ok {
				out.settings[n.name] = strings.Join(n.args, " ")
			}
		}
	}
	if hdrs != nil {
		out.headers, out.always = hdrs, always
	}
	if proxyHdrs != nil {
		out.proxyHeaders = proxyHdrs
	}
	if hidden != nil {
		out.hidden = hidden
	}
	if limits != nil {
		out.limits = limits
	}
	if len(confCmds) > 0 {
		out.settings["ssl_conf_command"] = strings.Join(confCmds, "; ")
	}
	if len(realFrom) > 0 {
		// a level's own set_real_ip_from list replaces the inherited one
		slices.Sort(realFrom)
		out.settings["set_real_ip_from"] = strings.Join(slices.Compact(realFrom), " ")
	}
	if len(logs) > 0 {
		slices.Sort(logs)
		out.settings["access_log"] = strings.Join(logs, "; ")
	}
	return out
}

// newServer normalises one server block.
func newServer(n *node, parent scope, zones map[string]limitReq) (*server, error) {
	sc := parent.enter(n.block)
	s := &server{settings: sc.settings, locs: map[string]*location{}, ifs: ifChecks(n.block)}
	s.settings[listenProxyProtocol] = "off"
	var listens, names []string
	for _, d := range n.block {
		switch d.name {
		case "listen":
			// proxy_protocol is compared as a setting (realip.go), not
			// as part of the server's identity
			args := slices.DeleteFunc(slices.Clone(d.args), func(a string) bool { return a == "proxy_protocol" })
			if len(args) != len(d.args) {
				s.settings[listenProxyProtocol] = "on"
			}
			listens = append(listens, strings.Join(args, " "))
			s.port, s.ssl = listenPort(d.args), s.ssl || slices.Contains(d.args, "ssl")
		case "server_name":
			names = append(names, d.args...)
		}
	}
	slices.Sort(listens)
	slices.Sort(names)
	s.key = "listen " + strings.Join(listens, ", ") + " | server_name " + strings.Join(names, " ")
	if err := s.addLocations(n.block, sc, zones, ""); err != nil {
		return nil, err
	}
	return s, nil
}

// addLocations adds every location at this level and nested ones.
func (s *server) addLocations(block []*node, sc scope, zones map[string]limitReq, prefix string) error {
	for _, d := range block {
		if d.name != "location" || d.block == nil {
			continue
		}
		key := prefix + "location " + strings.Join(d.args, " ")
		inner := sc.enter(d.block)
		l := &location{key: key, comment: d.comment, settings: inner.settings, headers: inner.headers, always: inner.always,
			proxyHeaders: inner.proxyHeaders, hidden: inner.hidden, methods: methodCheck(d.block), ifs: ifChecks(d.block)}
		l.internal = "off"
		if find(d.block, "internal") != nil {
			l.internal = "on"
		}
		for _, lr := range inner.limits {
			l.limits = append(l.limits, resolveLimit(lr, zones))
		}
		s.locs[key] = l
		if err := s.addLocations(d.block, inner, zones, key+" > "); err != nil {
			return err
		}
	}
	return nil
}

// listenPort reads the port of a listen directive (default 80).
func listenPort(args []string) int {
	if len(args) == 0 {
		return 80
	}
	a := args[0]
	if i := strings.LastIndexByte(a, ':'); i >= 0 {
		a = a[i+1:]
	}
	if p, err := strconv.Atoi(a); err == nil {
		return p
	}
	return 80
}

// find returns the first directive named name.
func find(nodes []*node, name string) *node {
	for _, n := range nodes {
		if n.name == name {
			return n
		}
	}
	return nil
}

// parseZone reads limit_req_zone KEY zone=NAME:SIZE rate=R.
func parseZone(n *node) limitReq {
	z := limitReq{}
	for i, a := range n.args {
		switch {
		case i == 0:
			z.key = a
		case strings.HasPrefix(a, "zone="):
			z.zone, _, _ = strings.Cut(strings.TrimPrefix(a, "zone="), ":")
		case strings.HasPrefix(a, "rate="):
			z.rate = parseRate(strings.TrimPrefix(a, "rate="))
		}
	}
	return z
}

// parseRate reads "10r/s" or "5r/m" as requests per hour (-1 if bad).
func parseRate(s string) int64 {
	num, unit, ok := strings.Cut(s, "r/")
	n, err := strconv.ParseInt(num, 10, 64)
	if !ok || err != nil {
		return -1
	}
	switch unit {
	case "s":
		return n * 3600
	case "m":
		return n * 60
	}
	return -1
}

// resolveLimit reads limit_req zone=NAME [burst=N] through the zones.
func resolveLimit(n *node, zones map[string]limitReq) limitReq {
	var lr limitReq
	for _, a := range n.args {
		switch {
		case strings.HasPrefix(a, "zone="):
			lr = zones[strings.TrimPrefix(a, "zone=")]
			lr.zone = strings.TrimPrefix(a, "zone=")
		case strings.HasPrefix(a, "burst="):
			lr.burst, _ = strconv.ParseInt(strings.TrimPrefix(a, "burst="), 10, 64)
		}
	}
	if lr.key == "" {
		lr.key, lr.rate = "(undefined zone "+lr.zone+")", -1
	}
	return lr
}

// methodCheck reads the allowed methods from the emitter's
// `if ($request_method !~ ^(GET|POST)$) { … return 405; }`; nil when the
// block has no such check, or when the check no longer refuses the
// request (its block returns no 4xx status).
func methodCheck(block []*node) []string {
	for _, d := range block {
		args := ifArgs(d.args)
		if d.name != "if" || d.block == nil || !slices.Contains(args, "$request_method") || !refuses(d.block) {
			continue
		}
		for i, a := range args {
			if a == "!~" && i+1 < len(args) {
				re := strings.TrimSuffix(strings.TrimPrefix(args[i+1], "^("), ")$")
				return strings.Split(re, "|")
			}
		}
	}
	return nil
}

// refuses reports whether an if block ends the request with a 4xx
// status: a `return 4xx` directly in it.
func refuses(block []*node) bool {
	r := find(block, "return")
	return r != nil && len(r.args) > 0 && len(r.args[0]) == 3 && r.args[0][0] == '4'
}

// ifArgs returns an if's condition words without its parentheses,
// whether written as separate words or attached ("($request_method").
func ifArgs(args []string) []string {
	var out []string
	for i, a := range args {
		if i == 0 {
			a = strings.TrimPrefix(a, "(")
		}
		if i == len(args)-1 {
			a = strings.TrimSuffix(a, ")")
		}
		if a != "" {
			out = append(out, a)
		}
	}
	return out
}

// mapText renders a map block's source and entries.
func mapText(n *node) string {
	var b strings.Builder
	b.WriteString(n.args[0])
	for _, e := range n.block {
		fmt.Fprintf(&b, "; %s", strings.Join(append([]string{e.name}, e.args...), " "))
	}
	return b.String()
}

// ifChecks lists a block's if checks other than the method check, as
// "if (COND) → return CODE".
func ifChecks(block []*node) []string {
	var out []string
	for _, d := range block {
		if d.name != "if" || d.block == nil {
			continue
		}
		args := ifArgs(d.args)
		if len(args) > 1 && args[0] == "$request_method" && args[1] == "!~" {
			continue
		}
		ret := "(no return)"
		if r := find(d.block, "return"); r != nil {
			ret = "return " + strings.Join(r.args, " ")
		}
		out = append(out, "if ("+strings.Join(args, " ")+") → "+ret)
	}
	return out
}
