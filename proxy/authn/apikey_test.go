package authn

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/rampart-policy/rampart/proxy/config"
)

func keyHash(key string) string {
	h := sha256.Sum256([]byte(key))
	return "sha256:" + hex.EncodeToString(h[:])
}

func testSecrets(m map[string]string) func(string) (string, error) {
	return func(ref string) (string, error) {
		if v, ok := m[ref]; ok {
			return v, nil
		}
		return "", errors.New("no secret " + ref)
	}
}

func newTestAPIKey(t *testing.T, in, name string) Authenticator {
	t.Helper()
	a, err := New(config.Provider{Name: "keys", APIKey: &config.APIKey{In: in, Name: name, Consumers: []config.Consumer{
		{Name: "billing", KeyHash: keyHash("billing-key-0123456789"), Roles: []string{"billing"}},
		{Name: "reports", KeyRef: "env:REPORTS_KEY", Roles: []string{"reader", "reports"}},
	}}}, Options{Secrets: testSecrets(map[string]string{"env:REPORTS_KEY": "reports-key-abcdef"})})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestAPIKeyHeader(t *testing.T) {
	a := newTestAPIKey(t, "header", "X-API-Key")
	tests := []struct {
		name, key, subject, reason string
		roles                      []string
		noCreds                    bool
	}{
		{name: "hash consumer", key: "billing-key-0123456789", subject: "billing", roles: []string{"billing"}},
		{name: "keyRef consumer", key: "reports-key-abcdef", subject: "reports", roles: []string{"reader", "reports"}},
		{name: "wrong key", key: "billing-key-0123456788", reason: "unknown API key"},
		{name: "hash as key", key: keyHash("billing-key-0123456789"), reason: "unknown API key"},
		{name: "missing", noCreds: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			if tc.key != "" {
				r.Header.Set("X-API-Key", tc.key)
			}
			p, err := a.Authenticate(context.Background(), r)
			switch {
			case tc.noCreds:
				if !errors.Is(err, ErrNoCredentials) || p != nil {
					t.Fatalf("got %v, %v; want ErrNoCredentials", p, err)
				}
			case tc.reason != "":
				if got := failureReason(err); got != tc.reason || p != nil {
					t.Fatalf("got %v, %v; want failure %q", p, err, tc.reason)
				}
			default:
				p = mustAuth(t, a, r)
				if p.Subject != tc.subject || p.Provider != "keys" || !slices.Equal(p.Roles, tc.roles) {
					t.Fatalf("principal %+v", p)
				}
			}
		})
	}
}

func TestAPIKeyQuery(t *testing.T) {
	a := newTestAPIKey(t, "query", "api_key")
	p := mustAuth(t, a, httptest.NewRequest(http.MethodGet, "/x?api_key=reports-key-abcdef", nil))
	if p.Subject != "reports" {
		t.Fatalf("subject %q", p.Subject)
	}
	// The header is not read when the key is configured in the query.
	r := httptest.NewRequest(http.MethodGet, "/x", nil)
	r.Header.Set("api_key", "reports-key-abcdef")
	if _, err := a.Authenticate(context.Background(), r); !errors.Is(err, ErrNoCredentials) {
		t.Fatalf("header with query config: %v", err)
	}
	_, err := a.Authenticate(context.Background(), httptest.NewRequest(http.MethodGet, "/x?api_key=nope", nil))
	if failureReason(err) != "unknown API key" {
		t.Fatalf("wrong query key: %v", err)
	}
	_, err = a.Authenticate(context.Background(), httptest.NewRequest(http.MethodGet, "/x?api_key=nope&api_key=reports-key-abcdef", nil))
	if failureReason(err) != "more than one API key" {
		t.Fatalf("repeated query key: %v", err)
	}
}

func TestAPIKeyPrincipalIsACopy(t *testing.T) {
	a := newTestAPIKey(t, "header", "X-API-Key")
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("X-API-Key", "billing-key-0123456789")
	mustAuth(t, a, r).Roles[0] = "admin"
	if p := mustAuth(t, a, r); p.Roles[0] != "billing" {
		t.Fatalf("configured roles changed through a principal: %v", p.Roles)
	}
}

func TestAPIKeyNewErrors(t *testing.T) {
	good := config.Consumer{Name: "a", KeyHash: keyHash("k")}
	tests := []struct {
		name string
		c    config.APIKey
		want string
	}{
		{"bad in", config.APIKey{In: "cookie", Name: "k", Consumers: []config.Consumer{good}}, "want header or query"},
		{"no name", config.APIKey{In: "header", Consumers: []config.Consumer{good}}, "no header or query"},
		{"unresolvable ref", config.APIKey{In: "header", Name: "k", Consumers: []config.Consumer{{Name: "b", KeyRef: "env:MISSING"}}}, "no secret env:MISSING"},
		{"bad hash", config.APIKey{In: "header", Name: "k", Consumers: []config.Consumer{{Name: "b", KeyHash: "sha256:abc"}}}, "64 lower-case hex"},
		{"upper hex", config.APIKey{In: "header", Name: "k", Consumers: []config.Consumer{{Name: "b", KeyHash: strings.ToUpper(keyHash("k"))}}}, "sha256"},
		{"both", config.APIKey{In: "header", Name: "k", Consumers: []config.Consumer{{Name: "b", KeyHash: keyHash("k"), KeyRef: "env:X"}}}, "both"},
		{"neither", config.APIKey{In: "header", Name: "k", Consumers: []config.Consumer{{Name: "b"}}}, "neither"},
		{"duplicate key", config.APIKey{In: "header", Name: "k", Consumers: []config.Consumer{good, {Name: "b", KeyHash: keyHash("k")}}}, "same key"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.c
			_, err := New(config.Provider{Name: "keys", APIKey: &c}, Options{Secrets: testSecrets(nil)})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New: %v; want %q", err, tc.want)
			}
		})
	}
}

func TestAPIKeyMatchScansAll(t *testing.T) {
	a := &apiKey{consumers: []keyConsumer{{hash: sha256.Sum256([]byte("a"))}, {hash: sha256.Sum256([]byte("b"))}, {hash: sha256.Sum256([]byte("c"))}}}
	for i, k := range []string{"a", "b", "c"} {
		if got := a.match(sha256.Sum256([]byte(k))); got != i {
			t.Errorf("match(%s) = %d, want %d", k, got, i)
		}
	}
	if got := a.match(sha256.Sum256([]byte("d"))); got != -1 {
		t.Errorf("match(d) = %d", got)
	}
}

func TestNewProviderShape(t *testing.T) {
	if _, err := New(config.Provider{Name: "x"}, Options{}); err == nil {
		t.Error("provider with no kind accepted")
	}
	two := config.Provider{Name: "x", APIKey: &config.APIKey{In: "header", Name: "k"}, MTLS: &config.MTLS{SubjectFrom: "cn"}}
	if _, err := New(two, Options{}); err == nil {
		t.Error("provider with two kinds accepted")
	}
	if _, err := New(config.Provider{APIKey: &config.APIKey{In: "header", Name: "k"}}, Options{}); err == nil {
		t.Error("provider with no name accepted")
	}
}
