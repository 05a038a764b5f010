package authn

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/rampart-policy/rampart/proxy/config"
)

// apiKey authenticates a key sent in a header or query parameter against
// the SHA-256 hashes of the consumers' keys.
type apiKey struct {
	name      string
	in        string
	param     string
	consumers []keyConsumer
}

// keyConsumer is one consumer with the SHA-256 of its key.
type keyConsumer struct {
	name  string
	hash  [sha256.Size]byte
	roles []string
}

// newAPIKey checks c and hashes every consumer's key, resolving keyRef
// consumers through opts.Secrets.
func newAPIKey(name string, c *config.APIKey, opts Options) (*apiKey, error) {
	if c.In != "header" && c.In != "query" {
		return nil, fmt.Errorf("apiKey: in is %q, want header or query", c.In)
	}
	if c.Name == "" {
		return nil, errors.New("apiKey: no header or query parameter name")
	}
	a := &apiKey{name: name, in: c.In, param: c.Name}
	seen := map[[sha256.Size]byte]string{}
	for _, cc := range c.Consumers {
		kc, err := consumerHash(cc, opts)
		if err != nil {
			return nil, fmt.Errorf("apiKey consumer %s: %w", cc.Name, err)
		}
		if other, dup := seen[kc.hash]; dup {
			return nil, fmt.Errorf("apiKey consumers %s and %s have the same key", other, cc.Name)
		}
		seen[kc.hash] = cc.Name
		a.consumers = append(a.consumers, kc)
	}
	return a, nil
}

// consumerHash returns c with the SHA-256 of its key, from keyHash or by
// resolving and hashing keyRef.
func consumerHash(c config.Consumer, opts Options) (keyConsumer, error) {
	kc := keyConsumer{name: c.Name, roles: c.Roles}
	if c.Name == "" {
		return kc, errors.New("consumer has no name")
	}
	switch {
	case c.KeyHash != "" && c.KeyRef != "":
		return kc, errors.New("both keyHash and keyRef are set")
	case c.KeyHash != "":
		h, err := parseKeyHash(c.KeyHash)
		kc.hash = h
		return kc, err
	case c.KeyRef != "":
		key, err := resolveSecret(opts, c.KeyRef)
		kc.hash = sha256.Sum256([]byte(key))
		return kc, err
	}
	return kc, errors.New("neither keyHash nor keyRef is set")
}

// parseKeyHash decodes "sha256:<64 hex digits>".
func parseKeyHash(s string) ([sha256.Size]byte, error) {
	var h [sha256.Size]byte
	hexDigits, ok := strings.CutPrefix(s, "sha256:")
	if !ok || len(hexDigits) != 2*sha256.Size || strings.ToLower(hexDigits) != hexDigits {
		return h, errors.New(`keyHash: want "sha256:" and 64 lower-case hex digits`)
	}
	if _, err := hex.Decode(h[:], []byte(hexDigits)); err != nil {
		return h, fmt.Errorf("keyHash: %w", err)
	}
	return h, nil
}

// Name is the provider's name.
func (a *apiKey) Name() string { return a.name }

// Authenticate finds the consumer whose key hash matches the presented
// key, comparing against every consumer in constant time.
func (a *apiKey) Authenticate(_ context.Context, r *http.Request) (*Principal, error) {
	key, err := a.presented(r)
	if err != nil {
		return nil, err
	}
	i := a.match(sha256.Sum256([]byte(key)))
	if i < 0 {
		return nil, fail(a.name, "unknown API key")
	}
	c := a.consumers[i]
	return principal(a.name, c.name, c.roles, nil), nil
}

// presented returns the key the request carries. An absent or empty key
// is ErrNoCredentials; a repeated one is a *Failure, since which copy
// counts would depend on who reads it.
func (a *apiKey) presented(r *http.Request) (string, error) {
	var values []string
	if a.in == "header" {
		values = r.Header.Values(a.param)
	} else if r.URL != nil {
		values = r.URL.Query()[a.param]
	}
	switch {
	case len(values) > 1:
		return "", fail(a.name, "more than one API key")
	case len(values) == 0 || values[0] == "":
		return "", ErrNoCredentials
	}
	return values[0], nil
}

// match returns the index of the consumer whose hash equals h, or -1. It
// compares h with every consumer, whatever matched, so timing does not
// tell which consumer (or whether any) matched.
func (a *apiKey) match(h [sha256.Size]byte) int {
	found := -1
	for i := range a.consumers {
		eq := subtle.ConstantTimeCompare(h[:], a.consumers[i].hash[:])
		found = subtle.ConstantTimeSelect(eq, i, found)
	}
	return found
}
