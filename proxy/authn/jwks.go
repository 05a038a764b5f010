package authn

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// JWKS cache timing. Keys are refreshed once older than jwksMaxAge; while
// the endpoint is down the cached keys serve until they are older than
// jwksHardLimit, then every token fails (closed). An unknown kid triggers
// a refetch, at most once per jwksRefetchInterval, so rotation works and a
// flood of made-up kids cannot hammer the issuer.
const (
	jwksMaxAge          = 10 * time.Minute
	jwksHardLimit       = time.Hour
	jwksRefetchInterval = 30 * time.Second
)

// remoteKeys is a JWKS fetched over HTTPS and cached.
type remoteKeys struct {
	uri    string
	client *http.Client
	now    func() time.Time

	mu        sync.Mutex
	keys      []verifyKey
	fetchedAt time.Time     // last successful fetch
	lastTry   time.Time     // last fetch started
	lastErr   error         // last fetch's error, nil after a success
	inflight  chan struct{} // closed when the running fetch ends; nil if none
}

// newRemoteKeys caches the JWKS at uri, fetched with client. Nothing is
// fetched until the first token arrives.
func newRemoteKeys(uri string, client *http.Client, now func() time.Time) *remoteKeys {
	return &remoteKeys{uri: uri, client: client, now: now}
}

// lookup returns the cached keys with ID kid. Fresh keys are returned at
// once; stale ones (older than jwksMaxAge) too, while a refresh runs in
// the background. An unknown kid, or no usable keys, waits for a refetch
// (unless one ran within jwksRefetchInterval). No usable keys after that
// is an error: the provider is unavailable, and fails closed.
func (s *remoteKeys) lookup(ctx context.Context, kid string) ([]verifyKey, error) {
	keys, fresh, usable := s.state()
	if m := byKid(keys, kid); usable && len(m) > 0 {
		if !fresh {
			s.start()
		}
		return m, nil
	}
	if err := s.refresh(ctx); err != nil {
		return nil, err
	}
	keys, _, usable = s.state()
	if !usable {
		return nil, s.unavailable()
	}
	return byKid(keys, kid), nil
}

// state returns the cached keys, whether they are fresh, and whether they
// are still usable (younger than the hard limit).
func (s *remoteKeys) state() (keys []verifyKey, fresh, usable bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.keys == nil {
		return nil, false, false
	}
	age := s.now().Sub(s.fetchedAt)
	return s.keys, age < jwksMaxAge, age < jwksHardLimit
}

// refresh starts a fetch if one is allowed and waits for the running
// fetch, if any, or for ctx.
func (s *remoteKeys) refresh(ctx context.Context) error {
	done := s.start()
	if done == nil {
		return nil
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("waiting for JWKS: %w", ctx.Err())
	}
}

// start returns the running fetch's channel, or starts a fetch unless one
// started less than jwksRefetchInterval ago (then it returns nil).
func (s *remoteKeys) start() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inflight != nil {
		return s.inflight
	}
	now := s.now()
	if !s.lastTry.IsZero() && now.Sub(s.lastTry) < jwksRefetchInterval {
		return nil
	}
	s.lastTry = now
	s.inflight = make(chan struct{})
	go s.fetchAndStore(s.inflight)
	return s.inflight
}

// fetchAndStore fetches the JWKS, keeps it if the fetch succeeded, and
// closes done. It does not use a request's context: a client that goes
// away must not cancel the fetch other requests are waiting for.
func (s *remoteKeys) fetchAndStore(done chan struct{}) {
	ctx, cancel := context.WithTimeout(context.Background(), defaultHTTPTimeout)
	defer cancel()
	keys, err := s.fetch(ctx)
	s.mu.Lock()
	if err == nil {
		s.keys, s.fetchedAt = keys, s.now()
	}
	s.lastErr = err
	s.inflight = nil
	s.mu.Unlock()
	close(done)
}

// unavailable is the error when no usable keys are cached.
func (s *remoteKeys) unavailable() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lastErr != nil {
		return fmt.Errorf("JWKS unavailable and no usable cached keys: %w", s.lastErr)
	}
	return errors.New("JWKS unavailable and no usable cached keys")
}

// fetch GETs and parses the JWKS.
func (s *remoteKeys) fetch(ctx context.Context) ([]verifyKey, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.uri, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/jwk-set+json, application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: status %d", s.uri, resp.StatusCode)
	}
	body, err := readLimited(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", s.uri, err)
	}
	return parseJWKS(body)
}

// readLimited reads r up to maxResponseBytes; a longer body is an error.
func readLimited(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxResponseBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxResponseBytes {
		return nil, fmt.Errorf("response larger than %d bytes", maxResponseBytes)
	}
	return b, nil
}

// httpsOnly returns a copy of c that follows redirects only to https
// URLs, so a redirect cannot downgrade a key fetch to clear text.
func httpsOnly(c *http.Client) *http.Client {
	cc := *c
	cc.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if req.URL.Scheme != "https" {
			return fmt.Errorf("refusing redirect to %s: not https", req.URL.Redacted())
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
	return &cc
}

// noRedirects returns a copy of c that never follows a redirect: the
// redirect answer itself is returned, and treated as a failure.
func noRedirects(c *http.Client) *http.Client {
	cc := *c
	cc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &cc
}
