package ir

// SecretRef refers to a secret ("env:NAME", "file:/path",
// "vault:mount/path#key"). It never holds the secret itself, and it
// prints as the reference only.
type SecretRef string

// Provider kinds.
const (
	KindAPIKey        = "apiKey"
	KindJWT           = "jwt"
	KindMTLS          = "mtls"
	KindIntrospection = "oauth2Introspection"
)

// Provider is an authentication provider; exactly one of the kind fields
// is set, matching Kind.
type Provider struct {
	Name          string         `json:"name" yaml:"name"`
	Kind          string         `json:"kind" yaml:"kind"`
	APIKey        *APIKey        `json:"apiKey,omitempty" yaml:"apiKey,omitempty"`
	JWT           *JWT           `json:"jwt,omitempty" yaml:"jwt,omitempty"`
	MTLS          *MTLS          `json:"mtls,omitempty" yaml:"mtls,omitempty"`
	Introspection *Introspection `json:"introspection,omitempty" yaml:"introspection,omitempty"`
	Origin        Origin         `json:"origin" yaml:"origin"`
}

// APIKey reads a key from a header or a query parameter.
type APIKey struct {
	// In is "header" or "query"; Name is the header or parameter.
	In        string      `json:"in" yaml:"in"`
	Name      string      `json:"name" yaml:"name"`
	Consumers []*Consumer `json:"consumers" yaml:"consumers"`
}

// Consumer is one API-key holder. Exactly one of KeyHash and KeyRef is set.
type Consumer struct {
	Name string `json:"name" yaml:"name"`
	// KeyHash is "sha256:<hex>".
	KeyHash string    `json:"keyHash,omitempty" yaml:"keyHash,omitempty"`
	KeyRef  SecretRef `json:"keyRef,omitempty" yaml:"keyRef,omitempty"`
	Roles   []string  `json:"roles" yaml:"roles"`
	Shared  bool      `json:"shared" yaml:"shared"`
}

// JWT verifies bearer tokens.
type JWT struct {
	Issuer    string   `json:"issuer" yaml:"issuer"`
	Audiences []string `json:"audiences" yaml:"audiences"`
	// Exactly one of JWKSURI and LocalJWKS is set.
	JWKSURI            string   `json:"jwksURI,omitempty" yaml:"jwksURI,omitempty"`
	LocalJWKS          string   `json:"localJWKS,omitempty" yaml:"localJWKS,omitempty"`
	Algorithms         []string `json:"algorithms" yaml:"algorithms"`
	RequiredClaims     []string `json:"requiredClaims" yaml:"requiredClaims"`
	MaxTokenAgeSeconds int      `json:"maxTokenAgeSeconds,omitempty" yaml:"maxTokenAgeSeconds,omitempty"`
	ClockSkewSeconds   int      `json:"clockSkewSeconds" yaml:"clockSkewSeconds"`
	SubjectClaim       string   `json:"subjectClaim" yaml:"subjectClaim"`
	RolesClaim         string   `json:"rolesClaim,omitempty" yaml:"rolesClaim,omitempty"`
	ScopesClaim        string   `json:"scopesClaim" yaml:"scopesClaim"`
	Header             string   `json:"header" yaml:"header"`
}

// MTLS authenticates by verified client certificate.
type MTLS struct {
	// SubjectFrom is "cn", "san-dns" or "san-uri".
	SubjectFrom string       `json:"subjectFrom" yaml:"subjectFrom"`
	Principals  []*Principal `json:"principals" yaml:"principals"`
}

// Principal maps a certificate subject to roles.
type Principal struct {
	Subject string   `json:"subject" yaml:"subject"`
	Roles   []string `json:"roles" yaml:"roles"`
}

// Introspection validates opaque tokens (RFC 7662).
type Introspection struct {
	Endpoint     string    `json:"endpoint" yaml:"endpoint"`
	ClientID     string    `json:"clientID" yaml:"clientID"`
	ClientSecret SecretRef `json:"clientSecret" yaml:"clientSecret"`
	CacheSeconds int       `json:"cacheSeconds" yaml:"cacheSeconds"`
	SubjectClaim string    `json:"subjectClaim" yaml:"subjectClaim"`
	ScopesClaim  string    `json:"scopesClaim" yaml:"scopesClaim"`
	Header       string    `json:"header" yaml:"header"`
}

// AuthFailures throttles clients after repeated failed authentication.
type AuthFailures struct {
	MaxAttempts    int    `json:"maxAttempts" yaml:"maxAttempts"`
	WindowSeconds  int    `json:"windowSeconds" yaml:"windowSeconds"`
	LockoutSeconds int    `json:"lockoutSeconds" yaml:"lockoutSeconds"`
	Key            string `json:"key" yaml:"key"`
	Origin         Origin `json:"origin" yaml:"origin"`
}

// Rule allows matching methods to principals holding a role or scope.
type Rule struct {
	// Methods empty means every method the route allows.
	Methods          []string `json:"methods,omitempty" yaml:"methods,omitempty"`
	Roles            []string `json:"roles,omitempty" yaml:"roles,omitempty"`
	Scopes           []string `json:"scopes,omitempty" yaml:"scopes,omitempty"`
	AnyAuthenticated bool     `json:"anyAuthenticated,omitempty" yaml:"anyAuthenticated,omitempty"`
}
