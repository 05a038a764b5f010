package config

// APIVersion is the config format version this package reads.
const APIVersion = "rampart.dev/proxy/v1alpha1"

// Config is a compiled policy for rampart's proxy.
type Config struct {
	APIVersion string `json:"apiVersion"`
	// Policy names the policy and the digest of its sources.
	Policy PolicyInfo `json:"policy"`
	// Listeners are sorted by name.
	Listeners []Listener `json:"listeners"`
	// Providers are authentication providers, sorted by name.
	Providers []Provider `json:"providers"`
	// AuthFailures throttles repeated authentication failures; nil if off.
	AuthFailures *AuthFailures `json:"authFailures,omitempty"`
	// Routes are every declared route, sorted by ID.
	Routes []Route `json:"routes"`
	// Upstreams are the services' upstreams, sorted by name.
	Upstreams []Upstream `json:"upstreams"`
	// RejectUndeclared answers 404 to requests no route declares.
	RejectUndeclared bool `json:"rejectUndeclared"`
	// AccessLog is the access log.
	AccessLog AccessLog `json:"accessLog"`
	// Redis backs shared rate limits; nil without shared limits.
	Redis *Redis `json:"redis,omitempty"`
}

// PolicyInfo identifies the compiled policy.
type PolicyInfo struct {
	Name      string   `json:"name"`
	Digest    string   `json:"digest"`
	Baselines []string `json:"baselines"`
}

// Listener is an address to serve.
type Listener struct {
	Name         string   `json:"name"`
	Address      string   `json:"address"`
	Port         int      `json:"port"`
	Hosts        []string `json:"hosts"`
	TLS          *TLS     `json:"tls,omitempty"`
	RedirectPort int      `json:"redirectPort,omitempty"`
	// ClientAddress is nil when the client address is the TCP peer.
	ClientAddress *ClientAddress `json:"clientAddress,omitempty"`
}

// TLS is a listener's TLS configuration. Versions are "1.2"/"1.3";
// cipher suites use IANA names for crypto/tls.
type TLS struct {
	MinVersion   string      `json:"minVersion"`
	MaxVersion   string      `json:"maxVersion"`
	CipherSuites []string    `json:"cipherSuites"`
	Curves       []string    `json:"curves"`
	CertFile     string      `json:"certFile"`
	KeyFile      string      `json:"keyFile"`
	HSTS         string      `json:"hsts,omitempty"`
	ClientAuth   *ClientAuth `json:"clientAuth,omitempty"`
}

// ClientAuth verifies client certificates.
type ClientAuth struct {
	Required bool     `json:"required"`
	CAFile   string   `json:"caFile"`
	Subjects []string `json:"subjects,omitempty"`
	SANs     []string `json:"sans,omitempty"`
}

// Provider is an authentication provider; exactly one kind field is set.
type Provider struct {
	Name          string         `json:"name"`
	APIKey        *APIKey        `json:"apiKey,omitempty"`
	JWT           *JWT           `json:"jwt,omitempty"`
	MTLS          *MTLS          `json:"mtls,omitempty"`
	Introspection *Introspection `json:"introspection,omitempty"`
}

// APIKey reads a key from a header or query parameter.
type APIKey struct {
	In        string     `json:"in"`
	Name      string     `json:"name"`
	Consumers []Consumer `json:"consumers"`
}

// Consumer is one key holder: a SHA-256 hash or a secret reference.
type Consumer struct {
	Name    string   `json:"name"`
	KeyHash string   `json:"keyHash,omitempty"`
	KeyRef  string   `json:"keyRef,omitempty"`
	Roles   []string `json:"roles"`
}

// JWT verifies bearer tokens.
type JWT struct {
	Issuer             string   `json:"issuer"`
	Audiences          []string `json:"audiences"`
	JWKSURI            string   `json:"jwksURI,omitempty"`
	LocalJWKS          string   `json:"localJWKS,omitempty"`
	Algorithms         []string `json:"algorithms"`
	RequiredClaims     []string `json:"requiredClaims"`
	MaxTokenAgeSeconds int      `json:"maxTokenAgeSeconds,omitempty"`
	ClockSkewSeconds   int      `json:"clockSkewSeconds"`
	SubjectClaim       string   `json:"subjectClaim"`
	RolesClaim         string   `json:"rolesClaim,omitempty"`
	ScopesClaim        string   `json:"scopesClaim"`
	Header             string   `json:"header"`
}

// MTLS maps verified client-certificate subjects to roles.
type MTLS struct {
	SubjectFrom string      `json:"subjectFrom"`
	Principals  []Principal `json:"principals"`
}

// Principal is one certificate subject and its roles.
type Principal struct {
	Subject string   `json:"subject"`
	Roles   []string `json:"roles"`
}

// Introspection validates opaque tokens (RFC 7662).
type Introspection struct {
	Endpoint     string `json:"endpoint"`
	ClientID     string `json:"clientID"`
	ClientSecret string `json:"clientSecretRef"`
	CacheSeconds int    `json:"cacheSeconds"`
	SubjectClaim string `json:"subjectClaim"`
	ScopesClaim  string `json:"scopesClaim"`
	Header       string `json:"header"`
}

// AuthFailures throttles repeated failed authentication.
type AuthFailures struct {
	MaxAttempts    int    `json:"maxAttempts"`
	WindowSeconds  int    `json:"windowSeconds"`
	LockoutSeconds int    `json:"lockoutSeconds"`
	Key            string `json:"key"`
}

// Upstream is where a service's requests go.
type Upstream struct {
	Name string `json:"name"`
	URL  string `json:"url"`
	// InsecureSkipVerify turns off upstream certificate verification. It
	// is off unless set, so a config that omits it verifies.
	InsecureSkipVerify bool   `json:"insecureSkipVerify,omitempty"`
	CAFile             string `json:"caFile,omitempty"`
	ServerName         string `json:"serverName,omitempty"`
	CertFile           string `json:"certFile,omitempty"`
	KeyFile            string `json:"keyFile,omitempty"`
}

// Route is one declared route with its effective controls.
type Route struct {
	ID             string      `json:"id"`
	Listeners      []string    `json:"listeners"`
	Upstream       string      `json:"upstream"`
	Path           string      `json:"path"`
	Prefix         bool        `json:"prefix"`
	Methods        []string    `json:"methods"`
	Classification string      `json:"classification"`
	Public         bool        `json:"public"`
	Providers      []string    `json:"providers"`
	Rules          []Rule      `json:"rules"`
	RateLimits     []RateLimit `json:"rateLimits"`
	Limits         Limits      `json:"limits"`
	ContentTypes   []string    `json:"contentTypes,omitempty"`
	CORS           *CORS       `json:"cors,omitempty"`
	Headers        []Header    `json:"headers"`
	HideServer     bool        `json:"hideServer"`
	AccessLog      bool        `json:"accessLog"`
}

// Rule allows matching methods to principals with a role or scope.
type Rule struct {
	Methods          []string `json:"methods,omitempty"`
	Roles            []string `json:"roles,omitempty"`
	Scopes           []string `json:"scopes,omitempty"`
	AnyAuthenticated bool     `json:"anyAuthenticated,omitempty"`
}

// RateLimit is a token bucket; Key is "ip", "subject", "apiKey" or
// "header:<Name>".
type RateLimit struct {
	Name          string  `json:"name"`
	RatePerSecond float64 `json:"ratePerSecond"`
	Burst         int     `json:"burst"`
	Key           string  `json:"key"`
	Shared        bool    `json:"shared"`
}

// Limits bound requests; zero means the proxy's default.
type Limits struct {
	MaxBodyBytes           int `json:"maxBodyBytes,omitempty"`
	MaxHeaderBytes         int `json:"maxHeaderBytes,omitempty"`
	HeaderTimeoutSeconds   int `json:"headerTimeoutSeconds,omitempty"`
	BodyTimeoutSeconds     int `json:"bodyTimeoutSeconds,omitempty"`
	IdleTimeoutSeconds     int `json:"idleTimeoutSeconds,omitempty"`
	UpstreamTimeoutSeconds int `json:"upstreamTimeoutSeconds,omitempty"`
}

// CORS is a cross-origin policy.
type CORS struct {
	AllowOrigins     []string `json:"allowOrigins"`
	AllowMethods     []string `json:"allowMethods"`
	AllowHeaders     []string `json:"allowHeaders"`
	ExposeHeaders    []string `json:"exposeHeaders"`
	AllowCredentials bool     `json:"allowCredentials"`
	MaxAgeSeconds    int      `json:"maxAgeSeconds"`
}

// Header is one response header.
type Header struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// AccessLog is the JSON access log.
type AccessLog struct {
	Enabled       bool        `json:"enabled"`
	Fields        []string    `json:"fields"`
	Redact        []Redaction `json:"redact"`
	AuthFailures  bool        `json:"authFailures"`
	Sink          string      `json:"sink"`
	SinkTarget    string      `json:"sinkTarget,omitempty"`
	RetentionDays int         `json:"retentionDays,omitempty"`
}

// Redaction hides a header, query parameter or field: drop, redact or hash.
type Redaction struct {
	Kind string `json:"kind"`
	Name string `json:"name"`
	Mode string `json:"mode"`
}

// Redis is the shared rate-limit store.
type Redis struct {
	Address     string `json:"address"`
	PasswordRef string `json:"passwordRef,omitempty"`
}
