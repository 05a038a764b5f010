package kong

import (
	"slices"
	"strings"

	"github.com/rampart-policy/rampart/compiler/ir"
)

// The only Lua rampart emits: fixed snippets for custom_fields_by_lua.
// No policy value is ever part of a snippet; policy names appear only as
// the (quoted) keys that say which serializer field a snippet replaces.
const (
	LuaDrop      = "return nil"
	LuaPathOnly  = "return kong.request.get_path()"
	LuaUserAgent = `return kong.request.get_header("user-agent")`
)

// LuaSnippets lists every Lua snippet rampart may emit; Verify rejects
// any other.
var LuaSnippets = []string{LuaDrop, LuaPathOnly, LuaUserAgent}

// logPlugin returns file-log or http-log for a route that logs.
func logPlugin(p *ir.Policy) string {
	if p.Logging.Sink == "http" {
		return "http-log"
	}
	return "file-log"
}

// logPlugin builds the route's log plugin with the fields the policy does
// not log, and the credentials it reads, removed.
func (e *emitter) logPlugin(r *ir.Route, auth authScheme, caps map[string]bool) (Plugin, bool) {
	lg := e.p.Logging
	if !lg.Enabled || !r.AccessLog || !caps[ir.CtlAccessLog] {
		return Plugin{}, false
	}
	fields := customFields(lg, auth)
	switch lg.Sink {
	case "http":
		return Plugin{Name: "http-log", Config: &HTTPLogConfig{HTTPEndpoint: lg.SinkTarget, Method: "POST",
			ContentType: "application/json", CustomFieldsByLua: fields}}, true
	case "stdout":
		return Plugin{Name: "file-log", Config: &FileLogConfig{Path: "/dev/stdout", CustomFieldsByLua: fields}}, true
	}
	return Plugin{Name: "file-log", Config: &FileLogConfig{Path: lg.SinkTarget, CustomFieldsByLua: fields}}, true
}

// customFields removes from Kong's log entry what the policy does not
// log. Kong's serializer writes every request and response header and
// redacts only Authorization and Proxy-Authorization, so rampart drops
// the header tables whole (an API key header, cookies and any header the
// policy redacts go with them) and logs the user agent on its own when
// the policy asks for it. Query strings go with the "query" field; when
// some parameters are redacted or carry API keys, those parameters are
// dropped and request.uri keeps only the path. Redacted values are
// dropped, never hashed: that is stricter than "redact" and "hash".
func customFields(lg ir.Logging, auth authScheme) map[string]string {
	logs := func(f string) bool { return slices.Contains(lg.Fields, f) }
	out := map[string]string{
		"request.headers":  LuaDrop,
		"response.headers": LuaDrop,
	}
	if logs("userAgent") {
		out["user_agent"] = LuaUserAgent
	}
	var hidden []string
	for _, rd := range lg.Redact {
		switch {
		case rd.Kind == "query":
			hidden = append(hidden, rd.Name)
		case rd.Kind == "field" && rd.Name == "identity":
			out["consumer"], out["authenticated_entity"] = LuaDrop, LuaDrop
		}
	}
	// key-auth's key_in_query reads every key name from the query, a
	// header provider's too (keyAuth), so all of them are hidden.
	if slices.ContainsFunc(auth.providers, func(pr *ir.Provider) bool { return pr.APIKey != nil && pr.APIKey.In == "query" }) {
		for _, pr := range auth.providers {
			if pr.APIKey != nil {
				hidden = append(hidden, pr.APIKey.Name)
			}
		}
	}
	if slices.ContainsFunc(hidden, func(q string) bool { return strings.Contains(q, ".") }) {
		hidden = nil // a dotted key would name a nested field: drop every parameter
		out["request.querystring"] = LuaDrop
		out["request.uri"], out["request.url"], out["upstream_uri"] = LuaPathOnly, LuaDrop, LuaDrop
	}
	switch {
	case !logs("query"):
		out["request.querystring"] = LuaDrop
		out["request.uri"], out["request.url"], out["upstream_uri"] = LuaPathOnly, LuaDrop, LuaDrop
	case len(hidden) > 0:
		for _, q := range hidden {
			out["request.querystring."+q] = LuaDrop
		}
		out["request.uri"], out["request.url"], out["upstream_uri"] = LuaPathOnly, LuaDrop, LuaDrop
	}
	if !logs("path") {
		out["request.uri"], out["request.url"], out["upstream_uri"] = LuaDrop, LuaDrop, LuaDrop
	}
	if !logs("clientIP") {
		out["client_ip"] = LuaDrop
	}
	if !logs("identity") {
		out["consumer"], out["authenticated_entity"] = LuaDrop, LuaDrop
	}
	return out
}
