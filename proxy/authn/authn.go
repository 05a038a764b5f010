package authn

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/rampart-policy/rampart/proxy/secrets"
)

// Principal is an authenticated caller.
type Principal struct {
	// Subject identifies the caller (JWT sub, consumer name, certificate
	// subject, introspected sub).
	Subject string
	// Provider is the name of the provider that authenticated it.
	Provider string
	// Roles and Scopes feed authorization rules.
	Roles  []string
	Scopes []string
}

// ErrNoCredentials means the request carries no credential this provider
// reads; the next provider may try.
var ErrNoCredentials = errors.New("no credentials")

// Failure is a credential that was presented and rejected. Reason is
// logged (never the credential itself) and never sent to the client.
type Failure struct {
	Provider string
	Reason   string
}

func (f *Failure) Error() string { return f.Provider + ": " + f.Reason }

// Authenticator is one configured provider.
type Authenticator interface {
	// Name is the provider's name in the config.
	Name() string
	// Authenticate returns the principal, ErrNoCredentials, a *Failure, or
	// another error (an outage: the request fails closed with 401).
	Authenticate(ctx context.Context, r *http.Request) (*Principal, error)
}

// Options are what authenticators need from their environment.
type Options struct {
	// HTTPClient fetches JWKS and calls introspection endpoints.
	HTTPClient *http.Client
	// Secrets resolves secret references (introspection client secrets,
	// API-key references).
	Secrets secrets.Resolver
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}
