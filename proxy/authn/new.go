package authn

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rampart-policy/rampart/proxy/config"
)

// defaultHTTPTimeout bounds a JWKS fetch or an introspection call when the
// caller's client sets no timeout of its own.
const defaultHTTPTimeout = 10 * time.Second

// maxResponseBytes bounds a JWKS document or an introspection answer.
const maxResponseBytes = 1 << 20

// New builds the authenticator for provider p. Secret references are
// resolved and key files read now, so a provider that cannot work fails
// to load rather than failing every request.
func New(p config.Provider, opts Options) (Authenticator, error) {
	if p.Name == "" {
		return nil, errors.New("authentication provider has no name")
	}
	if n := kinds(p); n != 1 {
		return nil, fmt.Errorf("provider %s: want exactly one kind (apiKey, jwt, mtls, introspection), have %d", p.Name, n)
	}
	opts = opts.withDefaults()
	var (
		a   Authenticator
		err error
	)
	switch {
	case p.APIKey != nil:
		a, err = newAPIKey(p.Name, p.APIKey, opts)
	case p.JWT != nil:
		a, err = newJWT(p.Name, p.JWT, opts)
	case p.MTLS != nil:
		a, err = newMTLS(p.Name, p.MTLS, opts)
	default:
		a, err = newIntrospection(p.Name, p.Introspection, opts)
	}
	if err != nil {
		return nil, fmt.Errorf("provider %s: %w", p.Name, err)
	}
	return a, nil
}

// kinds counts the kind fields set on p.
func kinds(p config.Provider) int {
	n := 0
	for _, set := range []bool{p.APIKey != nil, p.JWT != nil, p.MTLS != nil, p.Introspection != nil} {
		if set {
			n++
		}
	}
	return n
}

// withDefaults fills the clock and HTTP client when the caller left them
// nil. The default client has a timeout; http.DefaultClient has none.
func (o Options) withDefaults() Options {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: defaultHTTPTimeout}
	}
	return o
}

// resolveSecret resolves ref through opts.Secrets and refuses an empty
// secret.
func resolveSecret(opts Options, ref string) (string, error) {
	if opts.Secrets == nil {
		return "", fmt.Errorf("secret reference %s: no secret resolver configured", ref)
	}
	v, err := opts.Secrets(ref)
	if err != nil {
		return "", err
	}
	if v == "" {
		return "", fmt.Errorf("secret reference %s: resolved to an empty value", ref)
	}
	return v, nil
}

// requireHTTPS parses raw and refuses anything but an absolute https URL
// with a host and no user info: keys and tokens must not cross the
// network in clear.
func requireHTTPS(what, raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%s %q: %w", what, raw, err)
	}
	if u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("%s %q: must be an https URL", what, raw)
	}
	if u.User != nil {
		// Credentials belong in secret references, not in the config
		// (and would show in every error that names the URL).
		return nil, fmt.Errorf("%s %s: must not carry credentials", what, u.Redacted())
	}
	return u, nil
}

// bearerToken reads "Bearer <token>" from header h of r. No header, or a
// header with another scheme (say Basic), is ErrNoCredentials: another
// provider may read it. A repeated header or an empty token is a
// *Failure.
func bearerToken(provider string, r *http.Request, h string) (string, error) {
	values := r.Header.Values(h)
	switch len(values) {
	case 0:
		return "", ErrNoCredentials
	case 1:
	default:
		return "", fail(provider, "more than one "+h+" header")
	}
	scheme, token, _ := strings.Cut(strings.TrimSpace(values[0]), " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", ErrNoCredentials
	}
	token = strings.TrimSpace(token)
	if token == "" {
		return "", fail(provider, "empty bearer token")
	}
	return token, nil
}

// fail is a *Failure of provider for reason.
func fail(provider, reason string) error {
	return &Failure{Provider: provider, Reason: reason}
}

// principal builds a Principal with copies of roles and scopes, so no
// caller can change a cached or configured slice through it.
func principal(provider, subject string, roles, scopes []string) *Principal {
	return &Principal{
		Subject:  subject,
		Provider: provider,
		Roles:    cloneStrings(roles),
		Scopes:   cloneStrings(scopes),
	}
}

// cloneStrings copies s; nil stays nil.
func cloneStrings(s []string) []string {
	if s == nil {
		return nil
	}
	return append([]string(nil), s...)
}

// headerName returns h, or "Authorization" when the config left it empty.
func headerName(h string) string {
	if h == "" {
		return "Authorization"
	}
	return http.CanonicalHeaderKey(h)
}
