package kong

// FormatVersion is the decK file format rampart emits.
const FormatVersion = "3.0"

// File is a decK declarative file. Field names and JSON tags follow
// Kong's decK schema (kong_json_schema.json); only the fields rampart
// sets are declared.
type File struct {
	FormatVersion string     `json:"_format_version" yaml:"_format_version"`
	Consumers     []Consumer `json:"consumers,omitempty" yaml:"consumers,omitempty"`
	Services      []Service  `json:"services,omitempty" yaml:"services,omitempty"`
	// Routes are the routes of no service: the catch-all routes that
	// answer requests no policy route matches (unmatchedRoutes).
	Routes []Route `json:"routes,omitempty" yaml:"routes,omitempty"`
}

// Service is a Kong service: one upstream and its routes.
type Service struct {
	Name           string   `json:"name" yaml:"name"`
	Protocol       string   `json:"protocol" yaml:"protocol"`
	Host           string   `json:"host" yaml:"host"`
	Port           int      `json:"port" yaml:"port"`
	Path           string   `json:"path,omitempty" yaml:"path,omitempty"`
	ConnectTimeout int      `json:"connect_timeout,omitempty" yaml:"connect_timeout,omitempty"`
	ReadTimeout    int      `json:"read_timeout,omitempty" yaml:"read_timeout,omitempty"`
	WriteTimeout   int      `json:"write_timeout,omitempty" yaml:"write_timeout,omitempty"`
	TLSVerify      *bool    `json:"tls_verify,omitempty" yaml:"tls_verify,omitempty"`
	Tags           []string `json:"tags,omitempty" yaml:"tags,omitempty"`
	Routes         []Route  `json:"routes,omitempty" yaml:"routes,omitempty"`
}

// Route is a Kong route with the plugins scoped to it.
type Route struct {
	Name                    string   `json:"name" yaml:"name"`
	Hosts                   []string `json:"hosts,omitempty" yaml:"hosts,omitempty"`
	Paths                   []string `json:"paths" yaml:"paths"`
	Methods                 []string `json:"methods" yaml:"methods"`
	Protocols               []string `json:"protocols" yaml:"protocols"`
	HTTPSRedirectStatusCode int      `json:"https_redirect_status_code,omitempty" yaml:"https_redirect_status_code,omitempty"`
	// RegexPriority orders overlapping regex paths (higher first): Kong
	// ranks regex routes by it alone, not by their length (routePriority).
	RegexPriority int      `json:"regex_priority,omitempty" yaml:"regex_priority,omitempty"`
	StripPath     bool     `json:"strip_path" yaml:"strip_path"`
	PreserveHost  bool     `json:"preserve_host" yaml:"preserve_host"`
	Tags          []string `json:"tags,omitempty" yaml:"tags,omitempty"`
	Plugins       []Plugin `json:"plugins,omitempty" yaml:"plugins,omitempty"`
}

// Plugin is one plugin instance; Config is one of the *Config types.
type Plugin struct {
	Name   string `json:"name" yaml:"name"`
	Config any    `json:"config" yaml:"config"`
	// Ordering is Kong Enterprise's dynamic plugin ordering (3.0+): it
	// moves the plugin in the access phase only, ahead of the plugins it
	// names, whatever their static priorities.
	Ordering *PluginOrdering `json:"ordering,omitempty" yaml:"ordering,omitempty"`
	Tags     []string        `json:"tags,omitempty" yaml:"tags,omitempty"`
}

// PluginOrdering is a plugin's ordering (decK schema PluginOrdering):
// Before maps a phase ("access") to the plugins this one runs before.
type PluginOrdering struct {
	Before map[string][]string `json:"before,omitempty" yaml:"before,omitempty"`
}

// Consumer is a Kong consumer with its ACL groups. API keys are never
// written: Kong cannot resolve a vault reference in a key-auth credential
// (docs/targets/kong.md), so keys are provisioned from the policy's
// secret reference at deploy time; the reference's name is in Tags.
type Consumer struct {
	Username string     `json:"username" yaml:"username"`
	Tags     []string   `json:"tags,omitempty" yaml:"tags,omitempty"`
	ACLs     []ACLGroup `json:"acls,omitempty" yaml:"acls,omitempty"`
}

// ACLGroup puts a consumer in an ACL group: "provider:role" (aclGroup).
type ACLGroup struct {
	Group string `json:"group" yaml:"group"`
}

// KeyAuthConfig is the key-auth plugin's config.
type KeyAuthConfig struct {
	KeyNames        []string `json:"key_names" yaml:"key_names"`
	KeyInHeader     bool     `json:"key_in_header" yaml:"key_in_header"`
	KeyInQuery      bool     `json:"key_in_query" yaml:"key_in_query"`
	KeyInBody       bool     `json:"key_in_body" yaml:"key_in_body"`
	HideCredentials bool     `json:"hide_credentials" yaml:"hide_credentials"`
	RunOnPreflight  bool     `json:"run_on_preflight" yaml:"run_on_preflight"`
}

// ACLConfig is the acl plugin's config: exactly one of Allow and Deny.
type ACLConfig struct {
	Allow            []string `json:"allow,omitempty" yaml:"allow,omitempty"`
	Deny             []string `json:"deny,omitempty" yaml:"deny,omitempty"`
	HideGroupsHeader bool     `json:"hide_groups_header" yaml:"hide_groups_header"`
}

// RateLimitingConfig is the rate-limiting plugin's config. Window limits
// are pointers: an absent window is unset, not zero.
type RateLimitingConfig struct {
	Second            *int         `json:"second,omitempty" yaml:"second,omitempty"`
	Minute            *int         `json:"minute,omitempty" yaml:"minute,omitempty"`
	Hour              *int         `json:"hour,omitempty" yaml:"hour,omitempty"`
	LimitBy           string       `json:"limit_by" yaml:"limit_by"`
	HeaderName        string       `json:"header_name,omitempty" yaml:"header_name,omitempty"`
	Policy            string       `json:"policy" yaml:"policy"`
	FaultTolerant     bool         `json:"fault_tolerant" yaml:"fault_tolerant"`
	HideClientHeaders bool         `json:"hide_client_headers" yaml:"hide_client_headers"`
	ErrorCode         int          `json:"error_code" yaml:"error_code"`
	Redis             *RedisConfig `json:"redis,omitempty" yaml:"redis,omitempty"`
}

// RedisConfig is the rate-limiting plugin's Redis connection.
type RedisConfig struct {
	Host     string `json:"host" yaml:"host"`
	Port     int    `json:"port" yaml:"port"`
	Password string `json:"password,omitempty" yaml:"password,omitempty"`
}

// RequestSizeConfig is the request-size-limiting plugin's config.
type RequestSizeConfig struct {
	AllowedPayloadSize   int    `json:"allowed_payload_size" yaml:"allowed_payload_size"`
	SizeUnit             string `json:"size_unit" yaml:"size_unit"`
	RequireContentLength bool   `json:"require_content_length" yaml:"require_content_length"`
}

// CORSConfig is the cors plugin's config.
type CORSConfig struct {
	Origins           []string `json:"origins" yaml:"origins"`
	Methods           []string `json:"methods" yaml:"methods"`
	Headers           []string `json:"headers,omitempty" yaml:"headers,omitempty"`
	ExposedHeaders    []string `json:"exposed_headers,omitempty" yaml:"exposed_headers,omitempty"`
	Credentials       bool     `json:"credentials" yaml:"credentials"`
	MaxAge            int      `json:"max_age,omitempty" yaml:"max_age,omitempty"`
	PreflightContinue bool     `json:"preflight_continue" yaml:"preflight_continue"`
}

// ResponseTransformerConfig is the response-transformer plugin's config.
// Each header is "Name:value"; Replace and Add together set a header
// whether or not the upstream sent it.
type ResponseTransformerConfig struct {
	Replace HeaderList `json:"replace" yaml:"replace"`
	Add     HeaderList `json:"add" yaml:"add"`
}

// HeaderList lists "Name:value" headers.
type HeaderList struct {
	Headers []string `json:"headers" yaml:"headers"`
}

// RequestTerminationConfig is the request-termination plugin's config.
type RequestTerminationConfig struct {
	StatusCode int    `json:"status_code" yaml:"status_code"`
	Message    string `json:"message" yaml:"message"`
}

// FileLogConfig is the file-log plugin's config.
type FileLogConfig struct {
	Path              string            `json:"path" yaml:"path"`
	Reopen            bool              `json:"reopen" yaml:"reopen"`
	CustomFieldsByLua map[string]string `json:"custom_fields_by_lua,omitempty" yaml:"custom_fields_by_lua,omitempty"`
}

// HTTPLogConfig is the http-log plugin's config.
type HTTPLogConfig struct {
	HTTPEndpoint      string            `json:"http_endpoint" yaml:"http_endpoint"`
	Method            string            `json:"method" yaml:"method"`
	ContentType       string            `json:"content_type" yaml:"content_type"`
	CustomFieldsByLua map[string]string `json:"custom_fields_by_lua,omitempty" yaml:"custom_fields_by_lua,omitempty"`
}

// OpenIDConnectConfig is the (Enterprise) openid-connect plugin's config,
// used for JWT bearer tokens and for token introspection.
type OpenIDConnectConfig struct {
	Issuer                string   `json:"issuer" yaml:"issuer"`
	UsingPseudoIssuer     bool     `json:"using_pseudo_issuer,omitempty" yaml:"using_pseudo_issuer,omitempty"`
	AuthMethods           []string `json:"auth_methods" yaml:"auth_methods"`
	BearerTokenParamType  []string `json:"bearer_token_param_type" yaml:"bearer_token_param_type"`
	IssuersAllowed        []string `json:"issuers_allowed,omitempty" yaml:"issuers_allowed,omitempty"`
	ExtraJWKSURIs         []string `json:"extra_jwks_uris,omitempty" yaml:"extra_jwks_uris,omitempty"`
	AudienceRequired      []string `json:"audience_required,omitempty" yaml:"audience_required,omitempty"`
	ScopesClaim           []string `json:"scopes_claim,omitempty" yaml:"scopes_claim,omitempty"`
	ScopesRequired        []string `json:"scopes_required,omitempty" yaml:"scopes_required,omitempty"`
	RolesClaim            []string `json:"roles_claim,omitempty" yaml:"roles_claim,omitempty"`
	RolesRequired         []string `json:"roles_required,omitempty" yaml:"roles_required,omitempty"`
	Leeway                int      `json:"leeway" yaml:"leeway"`
	IntrospectionEndpoint string   `json:"introspection_endpoint,omitempty" yaml:"introspection_endpoint,omitempty"`
	ClientID              []string `json:"client_id,omitempty" yaml:"client_id,omitempty"`
	ClientSecret          []string `json:"client_secret,omitempty" yaml:"client_secret,omitempty"`
	CacheTTL              int      `json:"cache_ttl,omitempty" yaml:"cache_ttl,omitempty"`
	HideCredentials       bool     `json:"hide_credentials" yaml:"hide_credentials"`
	DisplayErrors         bool     `json:"display_errors" yaml:"display_errors"`
	VerifyClaims          bool     `json:"verify_claims" yaml:"verify_claims"`
}

// RequestValidatorConfig is the (Enterprise) request-validator plugin's
// config, used only for the allowed content types; the content type is
// checked only with a body schema, so BodySchema is "{}" (any JSON).
type RequestValidatorConfig struct {
	AllowedContentTypes []string `json:"allowed_content_types" yaml:"allowed_content_types"`
	// ContentTypeParameterValidation false compares media types without
	// parameters ("application/json; charset=utf-8" is application/json).
	ContentTypeParameterValidation bool   `json:"content_type_parameter_validation" yaml:"content_type_parameter_validation"`
	BodySchema                     string `json:"body_schema" yaml:"body_schema"`
	Version                        string `json:"version" yaml:"version"`
}
