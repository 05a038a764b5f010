package authn

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/lestrrat-go/jwx/v3/jwk"
)

// minRSABits is the smallest RSA modulus accepted as a signing key.
const minRSABits = 2048

// verifyKey is one public signature key from a JWKS.
type verifyKey struct {
	// kid is the key's "kid", or "".
	kid string
	// alg is the key's "alg", or "" when the JWKS does not pin one.
	alg string
	// pub is *rsa.PublicKey, *ecdsa.PublicKey or ed25519.PublicKey.
	pub any
}

// keySource finds the keys that may have signed a token with key ID kid
// ("" means any key).
type keySource interface {
	lookup(ctx context.Context, kid string) ([]verifyKey, error)
}

// staticKeys is a JWKS read once from a local file.
type staticKeys []verifyKey

// lookup returns the keys with ID kid.
func (s staticKeys) lookup(_ context.Context, kid string) ([]verifyKey, error) {
	return byKid(s, kid), nil
}

// loadLocalJWKS reads and parses the JWKS file at path.
func loadLocalJWKS(path string) (staticKeys, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("localJWKS: %w", err)
	}
	keys, err := parseJWKS(b)
	if err != nil {
		return nil, fmt.Errorf("localJWKS %s: %w", path, err)
	}
	return keys, nil
}

// parseJWKS parses a JWKS document and keeps its public signature keys.
// Keys jwx cannot parse (a key type newer than it, say), symmetric keys,
// encryption keys, small RSA keys and unknown curves are dropped: one
// such key must not take every token down with it, and dropping a key
// only ever rejects more. A set with no key left is an error.
func parseJWKS(b []byte) ([]verifyKey, error) {
	set, err := jwk.Parse(b, jwk.WithIgnoreParseError(true))
	if err != nil {
		return nil, fmt.Errorf("parsing JWKS: %w", err)
	}
	var keys []verifyKey
	for i := range set.Len() {
		k, _ := set.Key(i)
		if vk, ok := toVerifyKey(k); ok {
			keys = append(keys, vk)
		}
	}
	if len(keys) == 0 {
		return nil, errors.New("JWKS has no usable public signature key")
	}
	return keys, nil
}

// toVerifyKey converts k to a public verification key, or reports false
// when k is not one rampart will verify with.
func toVerifyKey(k jwk.Key) (verifyKey, bool) {
	if use, ok := k.KeyUsage(); ok && use != "sig" {
		return verifyKey{}, false
	}
	if ops, ok := k.KeyOps(); ok && !slices.Contains(ops, jwk.KeyOpVerify) {
		return verifyKey{}, false
	}
	pk, err := k.PublicKey()
	if err != nil {
		return verifyKey{}, false
	}
	var raw any
	if err := jwk.Export(pk, &raw); err != nil || !usablePublicKey(raw) {
		return verifyKey{}, false
	}
	vk := verifyKey{pub: raw}
	vk.kid, _ = k.KeyID()
	if a, ok := k.Algorithm(); ok {
		vk.alg = a.String()
	}
	return vk, true
}

// usablePublicKey reports whether raw is an asymmetric public key of a
// type and size rampart verifies with.
func usablePublicKey(raw any) bool {
	switch k := raw.(type) {
	case *rsa.PublicKey:
		return k.N != nil && k.N.BitLen() >= minRSABits
	case *ecdsa.PublicKey:
		return k.Curve == elliptic.P256() || k.Curve == elliptic.P384() || k.Curve == elliptic.P521()
	case ed25519.PublicKey:
		return len(k) == ed25519.PublicKeySize
	}
	return false
}

// byKid returns the keys whose ID is kid; kid "" matches every key.
func byKid(keys []verifyKey, kid string) []verifyKey {
	if kid == "" {
		return keys
	}
	var out []verifyKey
	for _, k := range keys {
		if k.kid == kid {
			out = append(out, k)
		}
	}
	return out
}

// supportedAlgorithm reports whether alg is an asymmetric JWS algorithm
// rampart verifies. "none" and HMAC (HS*) never are.
func supportedAlgorithm(alg string) bool {
	switch alg {
	case "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA":
		return true
	}
	return false
}

// keyFits reports whether k may verify a signature made with alg: the
// key's type must be the algorithm's family (RSA for RS*/PS*, ECDSA on
// the algorithm's own curve for ES*, Ed25519 for EdDSA), and a key that
// pins an "alg" only verifies that algorithm.
func keyFits(alg string, k verifyKey) bool {
	if k.alg != "" && k.alg != alg {
		return false
	}
	switch pub := k.pub.(type) {
	case *rsa.PublicKey:
		return strings.HasPrefix(alg, "RS") || strings.HasPrefix(alg, "PS")
	case *ecdsa.PublicKey:
		return pub.Curve == curveFor(alg)
	case ed25519.PublicKey:
		return alg == "EdDSA"
	}
	return false
}

// curveFor is the curve an ES* algorithm signs on, or nil.
func curveFor(alg string) elliptic.Curve {
	switch alg {
	case "ES256":
		return elliptic.P256()
	case "ES384":
		return elliptic.P384()
	case "ES512":
		return elliptic.P521()
	}
	return nil
}
