package live

// Defaults are Kong Gateway 3.x's schema defaults for the plugin fields
// rampart compares, by plugin and field. A field absent or null on either
// side reads as its default, so a decK file that leaves a field out and
// an Admin API export that spells every field compare equal. Fields whose
// schema has no default (null) are not listed: absent stays absent. The
// tests check every entry against the published plugin schemas
// (../shared/reference/kong/plugins-3.15).
var Defaults = map[string]map[string]any{
	"key-auth": {
		"key_names": []any{"apikey"}, "hide_credentials": true, "key_in_header": true,
		"key_in_query": true, "key_in_body": false, "run_on_preflight": true,
	},
	"acl": {"hide_groups_header": false, "always_use_authenticated_groups": false, "include_consumer_groups": false},
	"rate-limiting": {
		"limit_by": "consumer", "policy": "local", "fault_tolerant": true, "hide_client_headers": false,
		"error_code": float64(429), "sync_rate": float64(-1),
	},
	"request-size-limiting": {"allowed_payload_size": float64(128), "size_unit": "megabytes", "require_content_length": false},
	"cors": {
		"methods":     []any{"CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "TRACE"},
		"credentials": false, "preflight_continue": false, "private_network": false,
	},
	"request-termination": {"status_code": float64(503)},
	"file-log":            {"reopen": false},
	"http-log":            {"method": "POST", "content_type": "application/json"},
	"openid-connect": {
		"auth_methods": []any{"authorization_code", "bearer", "client_credentials", "introspection", "kong_oauth2",
			"password", "refresh_token", "session", "userinfo"},
		"bearer_token_param_type": []any{"body", "header", "query"}, "roles_claim": []any{"roles"},
		"scopes_claim": []any{"scope"}, "leeway": float64(0), "hide_credentials": true, "display_errors": false,
		"verify_claims": true, "cache_ttl": float64(3600),
	},
	"request-validator": {
		"allowed_content_types": []any{"application/json"}, "content_type_parameter_validation": true, "version": "kong",
	},
}

// schemaFiles names each plugin's schema file in Kong's published plugin
// schemas, for the tests.
var schemaFiles = map[string]string{
	"key-auth": "KeyAuth.json", "acl": "ACL.json", "rate-limiting": "RateLimiting.json",
	"request-size-limiting": "RequestSizeLimiting.json", "cors": "Cors.json",
	"request-termination": "RequestTermination.json", "file-log": "FileLog.json", "http-log": "HttpLog.json",
	"openid-connect": "OpenidConnect.json", "request-validator": "RequestValidator.json",
	"response-transformer": "ResponseTransformer.json",
}

// withDefaults returns cfg with the plugin's defaults filled where a
// field is absent or null; nulls are dropped. cfg is not changed.
func withDefaults(plugin string, cfg map[string]any) map[string]any {
	out := make(map[string]any, len(cfg))
	for k, v := range cfg {
		if v != nil {
			out[k] = v
		}
	}
	for k, v := range Defaults[plugin] {
		if _, ok := out[k]; !ok {
			out[k] = v
		}
	}
	return out
}

// sizeUnits are request-size-limiting's units in bytes.
var sizeUnits = map[string]float64{"bytes": 1, "kilobytes": 1 << 10, "megabytes": 1 << 20}

// canon rewrites fields that say one thing in more than one way:
// request-size-limiting's allowed_payload_size becomes bytes.
func canon(plugin string, cfg map[string]any) map[string]any {
	if plugin == "request-size-limiting" {
		n, _ := cfg["allowed_payload_size"].(float64)
		if u, ok := sizeUnits[str(cfg, "size_unit")]; ok {
			cfg["allowed_payload_size"] = n * u
			delete(cfg, "size_unit")
		}
	}
	return cfg
}
