package ir

// Service is an upstream API and its routes.
type Service struct {
	Name           string       `json:"name" yaml:"name"`
	UpstreamURL    string       `json:"upstreamURL" yaml:"upstreamURL"`
	UpstreamTLS    *UpstreamTLS `json:"upstreamTLS,omitempty" yaml:"upstreamTLS,omitempty"`
	Listeners      []string     `json:"listeners" yaml:"listeners"`
	Classification string       `json:"classification" yaml:"classification"`
	Owner          string       `json:"owner,omitempty" yaml:"owner,omitempty"`
	Purpose        string       `json:"purpose,omitempty" yaml:"purpose,omitempty"`
	DataCategories []string     `json:"dataCategories,omitempty" yaml:"dataCategories,omitempty"`
	// Routes are sorted by name.
	Routes []*Route `json:"routes" yaml:"routes"`
	Origin Origin   `json:"origin" yaml:"origin"`
}

// UpstreamTLS is how the gateway connects to an upstream over TLS.
type UpstreamTLS struct {
	Verify     bool   `json:"verify" yaml:"verify"`
	CAFile     string `json:"caFile,omitempty" yaml:"caFile,omitempty"`
	ServerName string `json:"serverName,omitempty" yaml:"serverName,omitempty"`
	CertFile   string `json:"certFile,omitempty" yaml:"certFile,omitempty"`
	KeyFile    string `json:"keyFile,omitempty" yaml:"keyFile,omitempty"`
}

// Route is one declared path with its effective controls.
type Route struct {
	// Name is the route's name within its service; ID is "service/route".
	Name    string `json:"name" yaml:"name"`
	ID      string `json:"id" yaml:"id"`
	Service string `json:"service" yaml:"service"`
	Path    string `json:"path" yaml:"path"`
	// Prefix also matches everything below Path.
	Prefix         bool     `json:"prefix" yaml:"prefix"`
	Methods        []string `json:"methods" yaml:"methods"`
	Classification string   `json:"classification" yaml:"classification"`
	// Public routes need no authentication.
	Public       bool `json:"public" yaml:"public"`
	AuthEndpoint bool `json:"authEndpoint" yaml:"authEndpoint"`
	// Providers are the providers that may authenticate a request; empty
	// iff Public.
	Providers []string `json:"providers" yaml:"providers"`
	// Rules are the authorization rules; a request no rule allows is denied.
	Rules        []Rule      `json:"rules" yaml:"rules"`
	RateLimits   []RateLimit `json:"rateLimits" yaml:"rateLimits"`
	Limits       Limits      `json:"limits" yaml:"limits"`
	ContentTypes []string    `json:"contentTypes,omitempty" yaml:"contentTypes,omitempty"`
	CORS         *CORS       `json:"cors,omitempty" yaml:"cors,omitempty"`
	Headers      Headers     `json:"headers" yaml:"headers"`
	AccessLog    bool        `json:"accessLog" yaml:"accessLog"`
	Origin       Origin      `json:"origin" yaml:"origin"`
	// Origins records where each effective control was set, by control
	// ("authn", "cors", "authz.rules", "limits.body", …), and where the
	// values set field by field come from: "limits.timeouts.<field>",
	// "headers.<Header-Name>", "headers.hideServerTokens".
	Origins map[string]Origin `json:"origins,omitempty" yaml:"origins,omitempty"`
}

// RateLimit is a token bucket.
type RateLimit struct {
	// Name is unique within the route; Scope is the level that set it:
	// "policy", "service" or "route".
	Name     string `json:"name" yaml:"name"`
	Scope    string `json:"scope" yaml:"scope"`
	Requests int    `json:"requests" yaml:"requests"`
	// Per is "second", "minute" or "hour".
	Per     string `json:"per" yaml:"per"`
	PerHour int    `json:"perHour" yaml:"perHour"`
	Burst   int    `json:"burst" yaml:"burst"`
	// Key is "ip", "subject", "apiKey" or "header" (Header names it).
	Key    string `json:"key" yaml:"key"`
	Header string `json:"header,omitempty" yaml:"header,omitempty"`
	Shared bool   `json:"shared" yaml:"shared"`
	Origin Origin `json:"origin" yaml:"origin"`
}

// Limits bound request size and time; zero means unset (the target's
// default applies and reports say so).
type Limits struct {
	MaxBodyBytes    int `json:"maxBodyBytes,omitempty" yaml:"maxBodyBytes,omitempty"`
	MaxHeaderBytes  int `json:"maxHeaderBytes,omitempty" yaml:"maxHeaderBytes,omitempty"`
	HeaderTimeout   int `json:"headerTimeoutSeconds,omitempty" yaml:"headerTimeoutSeconds,omitempty"`
	BodyTimeout     int `json:"bodyTimeoutSeconds,omitempty" yaml:"bodyTimeoutSeconds,omitempty"`
	IdleTimeout     int `json:"idleTimeoutSeconds,omitempty" yaml:"idleTimeoutSeconds,omitempty"`
	UpstreamTimeout int `json:"upstreamTimeoutSeconds,omitempty" yaml:"upstreamTimeoutSeconds,omitempty"`
}

// CORS is a cross-origin policy.
type CORS struct {
	AllowOrigins     []string `json:"allowOrigins" yaml:"allowOrigins"`
	AllowMethods     []string `json:"allowMethods" yaml:"allowMethods"`
	AllowHeaders     []string `json:"allowHeaders" yaml:"allowHeaders"`
	ExposeHeaders    []string `json:"exposeHeaders" yaml:"exposeHeaders"`
	AllowCredentials bool     `json:"allowCredentials" yaml:"allowCredentials"`
	MaxAgeSeconds    int      `json:"maxAgeSeconds" yaml:"maxAgeSeconds"`
}

// Headers are the response headers every response on the route carries,
// in the order targets emit them, plus server-token hiding.
type Headers struct {
	Set              []Header `json:"set" yaml:"set"`
	HideServerTokens bool     `json:"hideServerTokens" yaml:"hideServerTokens"`
}

// Header is one response header.
type Header struct {
	Name  string `json:"name" yaml:"name"`
	Value string `json:"value" yaml:"value"`
}
