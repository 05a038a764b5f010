package authn

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rampart-policy/rampart/proxy/config"
)

// introspectionCacheSize bounds the introspection cache.
const introspectionCacheSize = 10000

// introspection validates opaque bearer tokens at an OAuth2 token
// introspection endpoint (RFC 7662) and caches active answers.
type introspection struct {
	name         string
	header       string
	endpoint     string
	clientID     string
	clientSecret string
	cacheTTL     time.Duration
	subjectClaim string
	scopesClaim  string
	client       *http.Client
	now          func() time.Time
	cache        *tokenCache
}

// newIntrospection checks c and resolves the client secret now.
func newIntrospection(name string, c *config.Introspection, opts Options) (*introspection, error) {
	if _, err := requireHTTPS("introspection endpoint", c.Endpoint); err != nil {
		return nil, err
	}
	if c.ClientID == "" || c.ClientSecret == "" {
		return nil, errors.New("introspection: clientID and clientSecretRef are required")
	}
	if c.CacheSeconds < 0 {
		return nil, errors.New("introspection: cacheSeconds must not be negative")
	}
	secret, err := resolveSecret(opts, c.ClientSecret)
	if err != nil {
		return nil, fmt.Errorf("introspection client secret: %w", err)
	}
	return &introspection{
		name: name, header: headerName(c.Header), endpoint: c.Endpoint,
		clientID: c.ClientID, clientSecret: secret,
		cacheTTL:     time.Duration(c.CacheSeconds) * time.Second,
		subjectClaim: orDefault(c.SubjectClaim, "sub"), scopesClaim: orDefault(c.ScopesClaim, "scope"),
		client: noRedirects(opts.HTTPClient), now: opts.Now,
		cache: newTokenCache(introspectionCacheSize),
	}, nil
}

// Name is the provider's name.
func (i *introspection) Name() string { return i.name }

// Authenticate introspects the bearer token, or reuses a cached active
// answer. The cache is keyed by the token's SHA-256, never the token.
func (i *introspection) Authenticate(ctx context.Context, r *http.Request) (*Principal, error) {
	token, err := bearerToken(i.name, r, i.header)
	if err != nil {
		return nil, err
	}
	if len(token) > maxTokenBytes {
		return nil, fail(i.name, "token too large")
	}
	key := sha256.Sum256([]byte(token))
	if p := i.cache.get(key, i.now()); p != nil {
		return p, nil
	}
	c, err := i.introspect(ctx, token)
	if err != nil {
		return nil, err
	}
	now := i.now()
	p, until, reason := i.evaluate(c, now)
	if reason != "" {
		return nil, fail(i.name, reason)
	}
	if until.After(now) {
		i.cache.put(key, p, until)
	}
	return principal(p.Provider, p.Subject, p.Roles, p.Scopes), nil
}

// introspect POSTs the token to the endpoint with HTTP Basic client
// authentication. Anything but a 200 with a JSON object is an error
// (the provider is unavailable), never an answer.
func (i *introspection) introspect(ctx context.Context, token string) (claims, error) {
	ctx, cancel := context.WithTimeout(ctx, defaultHTTPTimeout)
	defer cancel()
	form := url.Values{"token": {token}, "token_type_hint": {"access_token"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, i.endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	// RFC 6749 §2.3.1: client ID and secret are form-encoded, then Basic.
	req.SetBasicAuth(url.QueryEscape(i.clientID), url.QueryEscape(i.clientSecret))
	resp, err := i.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("introspection: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("introspection endpoint %s: status %d", i.endpoint, resp.StatusCode)
	}
	body, err := readLimited(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("introspection endpoint %s: %w", i.endpoint, err)
	}
	c, err := parseClaims(body)
	if err != nil {
		return nil, fmt.Errorf("introspection endpoint %s: malformed answer: %w", i.endpoint, err)
	}
	return c, nil
}

// evaluate turns an introspection answer into a principal and the time
// until which it may be cached, or a reason to reject the token.
func (i *introspection) evaluate(c claims, now time.Time) (*Principal, time.Time, string) {
	if active, _ := c["active"].(bool); !active {
		return nil, time.Time{}, "token inactive"
	}
	until := now.Add(i.cacheTTL)
	exp, ok, err := c.numericDate("exp")
	switch {
	case err != nil:
		return nil, time.Time{}, "malformed exp"
	case ok && !now.Before(exp):
		return nil, time.Time{}, "token expired"
	case ok && exp.Before(until):
		until = exp
	}
	nbf, ok, err := c.numericDate("nbf")
	switch {
	case err != nil:
		return nil, time.Time{}, "malformed nbf"
	case ok && now.Before(nbf):
		return nil, time.Time{}, "token not yet valid"
	}
	sub, ok := c.nonEmptyString(i.subjectClaim)
	if !ok {
		return nil, time.Time{}, "missing subject"
	}
	scopes, err := c.stringList(i.scopesClaim)
	if err != nil {
		return nil, time.Time{}, "malformed scopes claim"
	}
	return principal(i.name, sub, nil, scopes), until, ""
}
