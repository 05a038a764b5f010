package authn

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwk"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Unix(1_800_000_000, 0)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// testKey is a private key with the kid and alg it is published under.
type testKey struct {
	kid  string
	alg  string
	priv crypto.Signer
}

func newRSAKey(t testing.TB, kid, alg string) testKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return testKey{kid: kid, alg: alg, priv: k}
}

func newECKey(t testing.TB, kid string) testKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return testKey{kid: kid, alg: "ES256", priv: k}
}

func newEdKey(t testing.TB, kid string) testKey {
	t.Helper()
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return testKey{kid: kid, alg: "EdDSA", priv: k}
}

// jwksJSON is the public JWKS of keys, each with its kid, alg and use.
func jwksJSON(t testing.TB, keys ...testKey) []byte {
	t.Helper()
	set := jwk.NewSet()
	for _, k := range keys {
		jk, err := jwk.Import(k.priv.Public())
		if err != nil {
			t.Fatal(err)
		}
		for name, v := range map[string]any{"kid": k.kid, "alg": k.alg, "use": "sig"} {
			if v == "" {
				continue
			}
			if err := jk.Set(name, v); err != nil {
				t.Fatal(err)
			}
		}
		if err := set.AddKey(jk); err != nil {
			t.Fatal(err)
		}
	}
	b, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// b64 is unpadded base64url.
func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// compact builds a compact JWS from header and claims, signed by sign
// over the signing input. It uses only the standard library, so the
// verifier under test is checked against an independent signer.
func compact(t testing.TB, header, claims any, sign func(input []byte) []byte) string {
	t.Helper()
	h, err := json.Marshal(header)
	if err != nil {
		t.Fatal(err)
	}
	c, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	input := b64(h) + "." + b64(c)
	return input + "." + b64(sign([]byte(input)))
}

// signed is a token for claims signed by k under k.alg and k.kid.
func signed(t testing.TB, k testKey, claims any) string {
	t.Helper()
	return compact(t, map[string]string{"alg": k.alg, "kid": k.kid, "typ": "JWT"}, claims,
		func(in []byte) []byte { return stdlibSign(t, k.alg, k.priv, in) })
}

// stdlibSign signs input for alg with crypto/* directly.
func stdlibSign(t testing.TB, alg string, priv crypto.Signer, input []byte) []byte {
	t.Helper()
	var (
		sig []byte
		err error
	)
	switch alg {
	case "RS256":
		d := sha256.Sum256(input)
		sig, err = rsa.SignPKCS1v15(rand.Reader, priv.(*rsa.PrivateKey), crypto.SHA256, d[:])
	case "PS256":
		d := sha256.Sum256(input)
		sig, err = rsa.SignPSS(rand.Reader, priv.(*rsa.PrivateKey), crypto.SHA256, d[:],
			&rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
	case "PS512":
		d := sha512.Sum512(input)
		sig, err = rsa.SignPSS(rand.Reader, priv.(*rsa.PrivateKey), crypto.SHA512, d[:],
			&rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
	case "ES256":
		sig = es256(t, priv.(*ecdsa.PrivateKey), input)
	case "EdDSA":
		sig = ed25519.Sign(priv.(ed25519.PrivateKey), input)
	default:
		t.Fatalf("stdlibSign: no %s", alg)
	}
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

// es256 is the JWS (r || s, 32 bytes each) ECDSA P-256 signature.
func es256(t testing.TB, k *ecdsa.PrivateKey, input []byte) []byte {
	t.Helper()
	d := sha256.Sum256(input)
	r, s, err := ecdsa.Sign(rand.Reader, k, d[:])
	if err != nil {
		t.Fatal(err)
	}
	out := make([]byte, 64)
	r.FillBytes(out[:32])
	s.FillBytes(out[32:])
	return out
}

// jwksServer is an HTTPS server publishing a JWKS that tests can swap
// or break, counting fetches.
type jwksServer struct {
	*httptest.Server
	mu     sync.Mutex
	body   []byte
	status int
	hits   atomic.Int64
}

func newJWKSServer(t testing.TB, body []byte) *jwksServer {
	t.Helper()
	s := &jwksServer{body: body, status: http.StatusOK}
	s.Server = httptest.NewTLSServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *jwksServer) serve(w http.ResponseWriter, _ *http.Request) {
	s.hits.Add(1)
	s.mu.Lock()
	body, status := s.body, s.status
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/jwk-set+json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func (s *jwksServer) set(body []byte, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.body, s.status = body, status
}

// bearerRequest is a GET carrying token in the Authorization header.
func bearerRequest(token string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "https://api.example/x", nil)
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	return r
}

// failureReason returns the reason of a *Failure, or "" for any other
// result.
func failureReason(err error) string {
	var f *Failure
	if errors.As(err, &f) {
		return f.Reason
	}
	return ""
}

// isOutage reports whether err is neither nil, ErrNoCredentials nor a
// *Failure: the provider is unavailable and the request fails closed.
func isOutage(err error) bool {
	var f *Failure
	return err != nil && !errors.Is(err, ErrNoCredentials) && !errors.As(err, &f)
}

// mustAuth authenticates r with a, failing the test on any error.
func mustAuth(t testing.TB, a Authenticator, r *http.Request) *Principal {
	t.Helper()
	p, err := a.Authenticate(context.Background(), r)
	if err != nil {
		t.Fatalf("Authenticate: %v", err)
	}
	if p == nil {
		t.Fatal("Authenticate: nil principal and nil error")
	}
	return p
}
