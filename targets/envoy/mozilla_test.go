package envoy_test

import (
	"context"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/rampart-policy/rampart/internal/reference"
	"github.com/rampart-policy/rampart/targets/envoy"
	"github.com/rampart-policy/rampart/targets/internal/golden"
)

// mozillaCiphers reads a published guideline's OpenSSL cipher list for a
// profile.
func mozillaCiphers(t *testing.T, version, profile string) []string {
	data, err := os.ReadFile(reference.Path(t, "mozilla-tls", version+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Configurations map[string]struct {
			Ciphers struct {
				OpenSSL []string `json:"openssl"`
			} `json:"ciphers"`
		} `json:"configurations"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Configurations[profile].Ciphers.OpenSSL
}

// TestMozillaDHE: with Mozilla's published 5.7 intermediate suites (three
// DHE), Envoy gets every ECDHE suite and no DHE one, and Check warns; 6.0
// intermediate has no DHE, so nothing is left out.
func TestMozillaDHE(t *testing.T) {
	for _, c := range []struct {
		version string
		dhe     int
	}{{"5.7", 3}, {"6.0", 0}} {
		t.Run(c.version, func(t *testing.T) {
			ciphers := mozillaCiphers(t, c.version, "intermediate")
			if len(ciphers) == 0 {
				t.Fatal("no ciphers in the reference data")
			}
			p := golden.ReadIR(t, "testdata/native.ir.yaml")
			p.Listeners[0].TLS.Guidelines, p.Listeners[0].TLS.Ciphers = c.version, ciphers
			var want []string
			for _, s := range ciphers {
				if !strings.HasPrefix(s, "DHE-") {
					want = append(want, s)
				}
			}
			if got := len(ciphers) - len(want); got != c.dhe {
				t.Fatalf("reference %s intermediate has %d DHE suites, want %d", c.version, got, c.dhe)
			}
			if got := envoy.DroppedCiphers(p)["api"]; len(got) != c.dhe {
				t.Errorf("DroppedCiphers = %v, want %d", got, c.dhe)
			}
			if _, err := envoy.New().Build(context.Background(), p); err != nil {
				t.Fatal(err)
			}
			for _, bs := range parseAll(t, p) {
				ctx := bs.StaticResources.Listeners[0]
				found := false
				for _, tp := range collectTLSParams(t, ctx) {
					found = true
					if !slices.Equal(tp, want) {
						t.Errorf("Envoy suites %v, want %v", tp, want)
					}
				}
				if !found {
					t.Error("no TLS parameters on the listener")
				}
			}
		})
	}
}
