package goproxy_test

import (
	"context"
	"regexp"
	"testing"
	"unicode/utf8"

	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/proxy/config"
	"github.com/rampart-policy/rampart/targets/goproxy"
)

// headerName is the schema's #HeaderName.
var headerName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]{0,63}$`)

// FuzzBuild feeds arbitrary strings into every string the goproxy target
// emits and checks that the artifact verifies and that each string comes
// back exactly: nothing a policy says can change the config's structure.
func FuzzBuild(f *testing.F) {
	f.Add("api.example.com", "/orders/{id}", "default-src 'self'", "X-Tenant", "orders")
	f.Add("a\"b", "/x\",\"public\":true,\"y\":\"", "v\n\r\x00", "K-v", "\u2028")
	f.Fuzz(func(t *testing.T, host, path, value, header, name string) {
		if !headerName.MatchString(header) {
			t.Skip() // the schema's #HeaderName; lowering checks keys too
		}
		for _, s := range []string{host, path, value, header, name} {
			if !utf8.ValidString(s) {
				// CUE strings are UTF-8, so a policy cannot hold this; the
				// JSON encoder would replace the bytes, and Verify's
				// round-trip check would (rightly) fail the build.
				t.Skip()
			}
		}
		p := &ir.Policy{
			Name:      name,
			Listeners: []*ir.Listener{{Name: "l", Hosts: []string{host}, Port: 443}},
			Providers: []*ir.Provider{{Name: "p", Kind: ir.KindAPIKey, APIKey: &ir.APIKey{In: "header", Name: header,
				Consumers: []*ir.Consumer{{Name: "c", KeyHash: "sha256:" + name}}}}},
			Services: []*ir.Service{{Name: "s", Listeners: []string{"l"}, UpstreamURL: host, Routes: []*ir.Route{{
				ID: "s/r", Path: path, Methods: []string{"GET"}, Providers: []string{"p"},
				Rules:      []ir.Rule{{Roles: []string{name}}},
				RateLimits: []ir.RateLimit{{Name: "r", Key: "header", Header: header, PerHour: 3600}},
				Headers:    ir.Headers{Set: []ir.Header{{Name: header, Value: value}}},
			}}}},
		}
		arts, err := goproxy.New().Build(context.Background(), p)
		if err != nil {
			t.Fatalf("Build: %v", err)
		}
		cfg, err := config.DecodeBytes(arts[0].Data)
		if err != nil {
			t.Fatalf("artifact does not decode: %v", err)
		}
		if len(cfg.Routes) != 1 || len(cfg.Listeners) != 1 || cfg.Routes[0].Public {
			t.Fatalf("structure changed: %d routes, %d listeners", len(cfg.Routes), len(cfg.Listeners))
		}
		r := cfg.Routes[0]
		switch {
		case cfg.Listeners[0].Hosts[0] != host, r.Path != path, r.Headers[0].Value != value,
			r.Headers[0].Name != header, cfg.Policy.Name != name, r.RateLimits[0].Key != "header:"+header:
			t.Fatalf("a string did not round-trip: %+v", r)
		}
	})
}
