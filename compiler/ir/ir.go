package ir

// Version is the IR's own version, recorded in artifacts.
const Version = "rampart.dev/ir/v1alpha1"

// Origin is where a value was set: the user's file:line:col, its CUE
// path, and the baseline that required it, if any.
type Origin struct {
	File     string `json:"file,omitempty" yaml:"file,omitempty"`
	Line     int    `json:"line,omitempty" yaml:"line,omitempty"`
	Col      int    `json:"col,omitempty" yaml:"col,omitempty"`
	Path     string `json:"path,omitempty" yaml:"path,omitempty"`
	Baseline string `json:"baseline,omitempty" yaml:"baseline,omitempty"`
}

// Policy is a compiled policy.
type Policy struct {
	// Name, Owner, Purpose and Contact are the policy's metadata.
	Name    string `json:"name" yaml:"name"`
	Owner   string `json:"owner" yaml:"owner"`
	Purpose string `json:"purpose,omitempty" yaml:"purpose,omitempty"`
	Contact string `json:"contact,omitempty" yaml:"contact,omitempty"`
	// Baselines are the baselines the policy unifies with, sorted by ID.
	Baselines []Baseline `json:"baselines" yaml:"baselines"`
	// Sources are the policy's files with their SHA-256, sorted by name.
	Sources []Source `json:"sources" yaml:"sources"`
	// Listeners are sorted by name.
	Listeners []*Listener `json:"listeners" yaml:"listeners"`
	// Providers are the authentication providers, sorted by name.
	Providers []*Provider `json:"providers" yaml:"providers"`
	// AuthFailures throttles repeated authentication failures; nil if off.
	AuthFailures *AuthFailures `json:"authFailures,omitempty" yaml:"authFailures,omitempty"`
	// Services are sorted by name; each holds its routes.
	Services []*Service `json:"services" yaml:"services"`
	// RejectUndeclared answers 404 to requests no route declares.
	RejectUndeclared bool `json:"rejectUndeclaredRoutes" yaml:"rejectUndeclaredRoutes"`
	// Logging is the access log.
	Logging Logging `json:"logging" yaml:"logging"`
	// Waivers excuse controls per target; sorted.
	Waivers []Waiver `json:"waivers" yaml:"waivers"`
	// Targets holds per-gateway settings.
	Targets TargetSettings `json:"targets" yaml:"targets"`
}

// Baseline is a baseline the policy unifies with.
type Baseline struct {
	ID      string `json:"id" yaml:"id"`
	Title   string `json:"title" yaml:"title"`
	Version string `json:"version" yaml:"version"`
}

// Source is one of the policy's files.
type Source struct {
	File   string `json:"file" yaml:"file"`
	SHA256 string `json:"sha256" yaml:"sha256"`
}

// Listener is an address the gateway serves.
type Listener struct {
	Name    string   `json:"name" yaml:"name"`
	Address string   `json:"address" yaml:"address"`
	Port    int      `json:"port" yaml:"port"`
	Hosts   []string `json:"hosts" yaml:"hosts"`
	// TLS is nil for a plaintext listener.
	TLS *TLS `json:"tls,omitempty" yaml:"tls,omitempty"`
	// RedirectPort, if non-zero, is a plaintext port redirecting to HTTPS.
	RedirectPort int `json:"redirectPort,omitempty" yaml:"redirectPort,omitempty"`
	// ClientAddress is nil when the client address is the TCP peer (no
	// header is believed); see ClientAddress.
	ClientAddress *ClientAddress `json:"clientAddress,omitempty" yaml:"clientAddress,omitempty"`
	Origin        Origin         `json:"origin" yaml:"origin"`
}

// TLS is a listener's resolved TLS configuration.
type TLS struct {
	// Profile is "modern", "intermediate" or "custom"; Guidelines the
	// Mozilla guideline version it was resolved from.
	Profile    string `json:"profile" yaml:"profile"`
	Guidelines string `json:"guidelines" yaml:"guidelines"`
	// MinVersion and MaxVersion are "1.0" to "1.3".
	MinVersion string `json:"minVersion" yaml:"minVersion"`
	MaxVersion string `json:"maxVersion" yaml:"maxVersion"`
	// Ciphers are TLS 1.2 suites by OpenSSL name, in preference order.
	Ciphers []string `json:"ciphers" yaml:"ciphers"`
	// Curves are key-exchange groups, in preference order.
	Curves   []string `json:"curves" yaml:"curves"`
	CertFile string   `json:"certFile" yaml:"certFile"`
	KeyFile  string   `json:"keyFile" yaml:"keyFile"`
	// HSTS is nil when no Strict-Transport-Security header is sent.
	HSTS *HSTS `json:"hsts,omitempty" yaml:"hsts,omitempty"`
	// ClientAuth is nil without mTLS.
	ClientAuth *ClientAuth `json:"clientAuth,omitempty" yaml:"clientAuth,omitempty"`
	Origin     Origin      `json:"origin" yaml:"origin"`
}

// HSTS is the Strict-Transport-Security policy.
type HSTS struct {
	MaxAgeSeconds     int  `json:"maxAgeSeconds" yaml:"maxAgeSeconds"`
	IncludeSubDomains bool `json:"includeSubDomains" yaml:"includeSubDomains"`
	Preload           bool `json:"preload" yaml:"preload"`
}

// ClientAuth is client-certificate verification.
type ClientAuth struct {
	Required bool     `json:"required" yaml:"required"`
	CAFile   string   `json:"caFile" yaml:"caFile"`
	Subjects []string `json:"subjects,omitempty" yaml:"subjects,omitempty"`
	SANs     []string `json:"sans,omitempty" yaml:"sans,omitempty"`
}

// TargetSettings are per-gateway settings.
type TargetSettings struct {
	// Deploy is the targets the policy is deployed to; nil when the policy
	// does not say, which means every target.
	Deploy *Deploy `json:"deploy,omitempty" yaml:"deploy,omitempty"`
	// AuthorizerURL is rampart's authorizer that nginx and Envoy delegate
	// to; empty if none.
	AuthorizerURL string `json:"authorizerURL,omitempty" yaml:"authorizerURL,omitempty"`
	// KongEdition is "oss" or "enterprise".
	KongEdition string `json:"kongEdition" yaml:"kongEdition"`
	// RedisAddress backs shared limits in rampart's proxy.
	RedisAddress     string    `json:"redisAddress,omitempty" yaml:"redisAddress,omitempty"`
	RedisPasswordRef SecretRef `json:"redisPasswordRef,omitempty" yaml:"redisPasswordRef,omitempty"`
}

// Waiver excuses one control on a target.
type Waiver struct {
	Control  string `json:"control" yaml:"control"`
	Target   string `json:"target" yaml:"target"`
	Route    string `json:"route,omitempty" yaml:"route,omitempty"`
	Reason   string `json:"reason" yaml:"reason"`
	Approver string `json:"approver" yaml:"approver"`
	Expires  string `json:"expires" yaml:"expires"`
	Origin   Origin `json:"origin" yaml:"origin"`
}

// Covers reports whether the waiver excuses control on target for route
// ("service/route").
func (w Waiver) Covers(control, target, route string) bool {
	return w.Control == control && (w.Target == "*" || w.Target == target) && (w.Route == "" || w.Route == route)
}
