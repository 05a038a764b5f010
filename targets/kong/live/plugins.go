package live

import (
	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/drift"
)

// kind says how a plugin field is compared.
type kind int

const (
	scalar  kind = iota // a string, bool or number compared as text
	number              // a number compared by size
	set                 // a list compared as a set
	headers             // "Name:value" lists compared per header name
	kv                  // a mapping compared as a set of "key=value"
)

// field is one compared plugin field.
type field struct {
	Name string
	Kind kind
	Rule drift.Rule
	// Control overrides the plugin's control for this field.
	Control string
	// Keys limits a kv field to these keys; such a field is compared
	// only when the policy sets it (rate-limiting's redis record, which
	// Kong fills with defaults whatever the policy).
	Keys []string
}

// pluginSpec says which control a plugin enforces and which of its fields
// are compared.
type pluginSpec struct {
	Control string
	Fields  []field
}

// specs lists every plugin rampart emits. Plugins not listed (added live)
// are reported by presence only.
var specs = map[string]pluginSpec{
	"key-auth": {ir.CtlAPIKey, []field{
		{Name: "hide_credentials", Rule: drift.AnyWeakens}, {Name: "key_in_query", Rule: drift.AnyWeakens},
		{Name: "key_in_header", Rule: drift.AnyWeakens}, {Name: "key_in_body", Rule: drift.AnyWeakens},
		{Name: "run_on_preflight", Rule: drift.AnyWeakens}, {Name: "key_names", Kind: set, Rule: drift.HigherWeakens},
		{Name: "anonymous", Rule: drift.AnyWeakens},
	}},
	"acl": {ir.CtlAuthzRules, []field{
		{Name: "allow", Kind: set, Rule: drift.HigherWeakens}, {Name: "deny", Kind: set, Rule: drift.LowerWeakens},
		{Name: "hide_groups_header", Rule: drift.AnyWeakens}, {Name: "always_use_authenticated_groups", Rule: drift.AnyWeakens},
	}},
	"rate-limiting": {ir.CtlRateLimit, []field{
		{Name: "second", Kind: number, Rule: drift.HigherWeakens}, {Name: "minute", Kind: number, Rule: drift.HigherWeakens},
		{Name: "hour", Kind: number, Rule: drift.HigherWeakens}, {Name: "day", Kind: number, Rule: drift.HigherWeakens},
		{Name: "month", Kind: number, Rule: drift.HigherWeakens}, {Name: "year", Kind: number, Rule: drift.HigherWeakens},
		{Name: "limit_by", Rule: drift.AnyWeakens}, {Name: "header_name", Rule: drift.AnyWeakens},
		{Name: "policy", Rule: drift.AnyWeakens, Control: ir.CtlRateLimitShared},
		{Name: "fault_tolerant", Rule: drift.AnyWeakens}, {Name: "error_code", Rule: drift.AnyWeakens},
		{Name: "redis", Kind: kv, Rule: drift.AnyWeakens, Control: ir.CtlRateLimitShared, Keys: []string{"host", "port"}},
	}},
	"request-size-limiting": {ir.CtlBodyLimit, []field{
		{Name: "allowed_payload_size", Kind: number, Rule: drift.HigherWeakens},
		{Name: "require_content_length", Rule: drift.AnyWeakens},
	}},
	"request-validator": {ir.CtlContentTypes, []field{
		{Name: "allowed_content_types", Kind: set, Rule: drift.HigherWeakens},
		{Name: "content_type_parameter_validation", Rule: drift.AnyWeakens}, {Name: "body_schema", Rule: drift.AnyWeakens},
	}},
	"cors": {ir.CtlCORS, []field{
		{Name: "origins", Kind: set, Rule: drift.HigherWeakens}, {Name: "methods", Kind: set, Rule: drift.HigherWeakens},
		{Name: "headers", Kind: set, Rule: drift.HigherWeakens}, {Name: "exposed_headers", Kind: set, Rule: drift.HigherWeakens},
		{Name: "credentials", Rule: drift.AnyWeakens}, {Name: "max_age", Kind: number, Rule: drift.HigherWeakens},
		{Name: "preflight_continue", Rule: drift.AnyWeakens}, {Name: "private_network", Rule: drift.AnyWeakens},
	}},
	"response-transformer": {ir.CtlHeaders, []field{
		{Name: "add", Kind: headers, Rule: drift.LowerWeakens}, {Name: "replace", Kind: headers, Rule: drift.LowerWeakens},
		{Name: "remove", Kind: headers, Rule: drift.AnyWeakens},
	}},
	"request-termination": {ir.CtlMethods, []field{
		{Name: "status_code", Rule: drift.AnyWeakens}, {Name: "message", Rule: drift.AnyWeakens},
	}},
	"file-log": {ir.CtlAccessLog, []field{
		{Name: "path", Rule: drift.AnyWeakens}, {Name: "custom_fields_by_lua", Kind: kv, Rule: drift.AnyWeakens, Control: ir.CtlRedact},
	}},
	"http-log": {ir.CtlAccessLog, []field{
		{Name: "http_endpoint", Rule: drift.AnyWeakens}, {Name: "method", Rule: drift.AnyWeakens},
		{Name: "content_type", Rule: drift.AnyWeakens},
		{Name: "custom_fields_by_lua", Kind: kv, Rule: drift.AnyWeakens, Control: ir.CtlRedact},
	}},
	"openid-connect": {ir.CtlJWT, []field{
		{Name: "issuer", Rule: drift.AnyWeakens}, {Name: "auth_methods", Kind: set, Rule: drift.HigherWeakens},
		{Name: "bearer_token_param_type", Kind: set, Rule: drift.HigherWeakens},
		{Name: "issuers_allowed", Kind: set, Rule: drift.HigherWeakens}, {Name: "extra_jwks_uris", Kind: set, Rule: drift.HigherWeakens},
		{Name: "audience_required", Kind: set, Rule: drift.AnyWeakens},
		{Name: "scopes_required", Kind: set, Rule: drift.AnyWeakens, Control: ir.CtlAuthzRules},
		{Name: "roles_required", Kind: set, Rule: drift.AnyWeakens, Control: ir.CtlAuthzRules},
		{Name: "roles_claim", Kind: set, Rule: drift.AnyWeakens}, {Name: "scopes_claim", Kind: set, Rule: drift.AnyWeakens},
		{Name: "leeway", Kind: number, Rule: drift.HigherWeakens}, {Name: "introspection_endpoint", Rule: drift.AnyWeakens},
		{Name: "hide_credentials", Rule: drift.AnyWeakens}, {Name: "verify_claims", Rule: drift.AnyWeakens},
		{Name: "cache_ttl", Kind: number, Rule: drift.HigherWeakens},
	}},
}

// fieldText is the check name and path suffix of a compared plugin
// field, built once rather than for every route.
type fieldText struct{ name, path string }

// fieldTexts are specs' fields' texts, by plugin, in Fields order.
var fieldTexts = func() map[string][]fieldText {
	out := map[string][]fieldText{}
	for name, s := range specs {
		for _, f := range s.Fields {
			out[name] = append(out[name], fieldText{name: "plugin " + name + " " + f.Name, path: ".config." + f.Name})
		}
	}
	return out
}()

// rateLimitControls maps rate-limiting's limit_by to its control.
var rateLimitControls = map[string]string{
	"ip": ir.CtlRateLimit, "header": ir.CtlRateLimitHeader, "consumer": ir.CtlRateLimitSubject, "credential": ir.CtlRateLimitAPIKey,
}

// pluginControl is the control an instance enforces, from the policy's
// side when it has one.
func pluginControl(name string, cfg map[string]any) string {
	switch name {
	case "rate-limiting":
		if c, ok := rateLimitControls[str(cfg, "limit_by")]; ok {
			return c
		}
	case "openid-connect":
		if str(cfg, "introspection_endpoint") != "" {
			return ir.CtlIntrospection
		}
	}
	if s, ok := specs[name]; ok {
		return s.Control
	}
	return ir.CtlUndeclared
}

// authenticates reports whether a plugin authenticates requests.
func authenticates(name string) bool {
	switch name {
	case "key-auth", "openid-connect", "jwt", "basic-auth", "hmac-auth", "oauth2", "ldap-auth", "mtls-auth", "oauth2-introspection":
		return true
	}
	return false
}
