package accesslog

import (
	"bytes"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rampart-policy/rampart/proxy/config"
)

var secrets = []string{"HEADER-SECRET", "COOKIE-SECRET", "UNLISTED-SECRET", "QUERY-SECRET", "alice@example.com"}

// TestSecretsNeverWritten checks, for every mode, that no redacted value
// and no unlisted header reaches the writer in any form.
func TestSecretsNeverWritten(t *testing.T) {
	for _, m := range []string{"drop", "redact", "hash"} {
		t.Run(m, func(t *testing.T) {
			cfg := config.AccessLog{Enabled: true, Fields: allFields, AuthFailures: true, Redact: []config.Redaction{
				// Names in another case than the request's: matching ignores case.
				{Kind: "header", Name: "AUTHORIZATION", Mode: m},
				{Kind: "header", Name: "cookie", Mode: m},
				{Kind: "query", Name: "API_KEY", Mode: m},
				{Kind: "field", Name: "Email", Mode: m},
			}}
			e := entry()
			e.Query.Add("Api_Key", "QUERY-SECRET")
			e.RequestHeaders["authorization"] = []string{"HEADER-SECRET"} // not canonical
			got, out := logOne(t, cfg, testKey, e)
			for _, s := range secrets {
				if bytes.Contains(out, []byte(s)) {
					t.Errorf("secret %q written: %s", s, out)
				}
			}
			if _, ok := got["headers"]; ok && m == "drop" {
				t.Errorf("headers written in mode drop: %s", out)
			}
		})
	}
}

func TestHeaderModes(t *testing.T) {
	rs, err := newRules([]config.Redaction{
		{Kind: "header", Name: "authorization", Mode: "redact"},
		{Kind: "header", Name: "x-api-key", Mode: "hash"},
		{Kind: "header", Name: "cookie", Mode: "drop"},
	}, testKey, true)
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{
		"Authorization": {"Bearer a"},
		"X-Api-Key":     {"k1", "k2"},
		"x-api-key":     {"k3"},
		"Cookie":        {"c"},
		"Accept":        {"*/*"},
	}
	got := rs.headerValues(h)
	want := map[string][]string{"authorization": {"[redacted]"}, "x-api-key": {rs.hash("k1"), rs.hash("k2"), rs.hash("k3")}}
	slices.Sort(got["x-api-key"]) // two spellings of one name: map order
	slices.Sort(want["x-api-key"])
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("headers (-want +got):\n%s", d)
	}
}

func TestQueryModes(t *testing.T) {
	rs, err := newRules([]config.Redaction{
		{Kind: "query", Name: "token", Mode: "drop"},
		{Kind: "query", Name: "api_key", Mode: "redact"},
		{Kind: "query", Name: "email", Mode: "hash"},
	}, testKey, true)
	if err != nil {
		t.Fatal(err)
	}
	q := url.Values{"token": {"t"}, "API_KEY": {"k", ""}, "email": {"e"}, "page": {"2"}}
	want := map[string][]string{"API_KEY": {"[redacted]", ""}, "email": {rs.hash("e")}, "page": {"2"}}
	if d := cmp.Diff(want, rs.queryValues(q)); d != "" {
		t.Errorf("query (-want +got):\n%s", d)
	}
}

func TestFieldModes(t *testing.T) {
	cfg := config.AccessLog{Enabled: true, Fields: []string{"identity", "clientIP"}, Redact: []config.Redaction{
		{Kind: "field", Name: "identity", Mode: "hash"},
		{Kind: "field", Name: "clientIP", Mode: "redact"},
		{Kind: "field", Name: "tenant", Mode: "drop"},
	}}
	got, _ := logOne(t, cfg, testKey, entry())
	rs, _ := newRules(cfg.Redact, testKey, true)
	want := map[string]any{"identity": rs.hash("alice"), "clientIP": "[redacted]",
		"fields": map[string]any{"email": "alice@example.com"}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("line (-want +got):\n%s", d)
	}

	cfg.Redact = []config.Redaction{{Kind: "field", Name: "identity", Mode: "drop"}}
	got, _ = logOne(t, cfg, testKey, entry())
	if _, ok := got["identity"]; ok {
		t.Errorf("identity written in mode drop: %v", got)
	}
}

// TestStrictestModeWins: a value named twice gets the stricter mode.
func TestStrictestModeWins(t *testing.T) {
	rs, err := newRules([]config.Redaction{
		{Kind: "query", Name: "a", Mode: "drop"}, {Kind: "query", Name: "A", Mode: "hash"},
		{Kind: "query", Name: "b", Mode: "hash"}, {Kind: "query", Name: "b", Mode: "redact"},
	}, testKey, true)
	if err != nil {
		t.Fatal(err)
	}
	if rs.query["a"].mode != modeDrop || rs.query["b"].mode != modeRedact {
		t.Errorf("modes = %v", rs.query)
	}
}

var hashRE = regexp.MustCompile(`^hmac-sha256:[0-9a-f]{32}$`)

func TestHashStableAndKeyed(t *testing.T) {
	a, _ := newRules(nil, testKey, true)
	b, _ := newRules(nil, testKey, true)
	other, _ := newRules(nil, []byte("another key, 16+ bytes"), true)
	h := a.hash("alice")
	if !hashRE.MatchString(h) {
		t.Fatalf("hash %q: want hmac-sha256:<32 hex digits>", h)
	}
	if b.hash("alice") != h {
		t.Error("same key, same value: hashes differ")
	}
	if other.hash("alice") == h {
		t.Error("different keys: hashes equal")
	}
	if a.hash("bob") == h {
		t.Error("different values: hashes equal")
	}
}

// TestHashKeyCopied: changing the caller's key slice later changes nothing.
func TestHashKeyCopied(t *testing.T) {
	key := bytes.Clone(testKey)
	rs, _ := newRules(nil, key, true)
	h := rs.hash("alice")
	key[0] ^= 0xff
	if rs.hash("alice") != h {
		t.Error("hash changed with the caller's key slice")
	}
}
