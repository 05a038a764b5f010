package kong_test

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"unicode/utf8"

	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/internal/reference"
	"github.com/rampart-policy/rampart/targets/kong"
)

// schemaRuns bounds how many fuzz inputs are validated against Kong's
// published schemas per process (compiling them takes a while).
var schemaRuns atomic.Int32

// FuzzBuild feeds arbitrary strings into every policy string Kong's
// artifacts carry: host, path, header name and value, CORS origin,
// rate-limit header, role, consumer and redacted query name. Build either
// fails or writes files that verify (Build checks itself), in which each
// string comes back intact where it belongs (a role as the ACL group
// "provider:role"), the only Lua is rampart's
// fixed snippets, and (for a bounded sample) Kong's schemas pass.
func FuzzBuild(f *testing.F) {
	f.Add("api.example.com", "/orders/{id}", "X-Tenant", "default-src 'self'", "https://*.example.com", "admin", "acme", "token")
	f.Add("a\"b", "/x\n\"plugins\": []", "X-A", "v\"\n- x", "*", "r\"}", "c.d", "a.b")
	f.Add("h", "/$(id)", "X-B", `return os.execute("id")`, "https://x$y", "g: [x]", "{vault://env/X}", "]]--")
	f.Fuzz(func(t *testing.T, host, path, hname, hvalue, origin, role, consumer, query string) {
		for _, s := range []string{host, path, hname, hvalue, origin, role, consumer, query} {
			if !utf8.ValidString(s) {
				t.Skip() // CUE strings are UTF-8: a policy cannot hold this
			}
		}
		p := fuzzIR(host, path, hname, hvalue, origin, role, consumer, query)
		arts, err := kong.New().Build(context.Background(), p)
		if err != nil {
			return
		}
		deck := arts[1].Data
		f, err := kong.Decode(deck)
		if err != nil {
			t.Fatalf("Build wrote a file that does not decode: %v", err)
		}
		r := f.Services[0].Routes[0]
		if !slices.Contains(r.Hosts, host) {
			t.Fatalf("host %q came back as %q", host, r.Hosts)
		}
		rt := plugin[*kong.ResponseTransformerConfig](t, f, r.Name, "response-transformer")
		if !slices.Contains(rt.Add.Headers, hname+":"+hvalue) {
			t.Fatalf("header %q: %q came back as %q", hname, hvalue, rt.Add.Headers)
		}
		if acl := plugin[*kong.ACLConfig](t, f, r.Name, "acl"); !slices.Equal(acl.Allow, []string{"keys:" + role}) {
			t.Fatalf("role %q came back as %q", role, acl.Allow)
		}
		for k, v := range plugin[*kong.FileLogConfig](t, f, r.Name, "file-log").CustomFieldsByLua {
			if !slices.Contains(kong.LuaSnippets, v) {
				t.Fatalf("custom field %q has Lua %q", k, v)
			}
		}
		if !bytes.Equal(deckRender(t, deck), deck) {
			t.Fatal("decK's template rendering changes kong.yaml")
		}
		if strings.Contains(string(deck), "{vault://") && !strings.Contains(consumer+role+hvalue+origin+host+path, "{vault://") {
			t.Fatal("a vault reference appeared from nowhere")
		}
		if schemaRuns.Add(1) <= 10 {
			if err := kong.ValidateSchemas(deck, reference.Path(t, "kong")); err != nil {
				t.Fatalf("Kong's schemas refuse it: %v", err)
			}
		}
	})
}

// TestFuzzIRBuilds keeps FuzzBuild meaningful: its policy with the first
// seed's strings must build, or every fuzz input would end at Build's
// error and check nothing (as happened when Kong OSS began to fail
// closed on header limits before authentication).
func TestFuzzIRBuilds(t *testing.T) {
	p := fuzzIR("api.example.com", "/orders/{id}", "X-Tenant", "default-src 'self'", "https://*.example.com", "admin", "acme", "token")
	if _, err := kong.New().Build(context.Background(), p); err != nil {
		t.Fatalf("FuzzBuild's policy does not build: %v", err)
	}
}

// fuzzIR is a one-route policy with the fuzzer's strings in place.
func fuzzIR(host, path, hname, hvalue, origin, role, consumer, query string) *ir.Policy {
	return &ir.Policy{
		Name: "fuzz",
		Listeners: []*ir.Listener{{Name: "web", Address: "0.0.0.0", Port: 8443, Hosts: []string{host},
			TLS: &ir.TLS{Profile: "modern", MinVersion: "1.3", MaxVersion: "1.3", CertFile: "/c.pem", KeyFile: "/k.pem"}}},
		Providers: []*ir.Provider{{Name: "keys", Kind: ir.KindAPIKey, APIKey: &ir.APIKey{In: "header", Name: "X-Key",
			Consumers: []*ir.Consumer{{Name: consumer, KeyRef: "env:FUZZ_KEY", Roles: []string{role}}}}}},
		Services: []*ir.Service{{Name: "s", UpstreamURL: "http://127.0.0.1:9000", Listeners: []string{"web"}, Routes: []*ir.Route{{
			Name: "r", ID: "s/r", Service: "s", Path: path, Methods: []string{"GET"}, Providers: []string{"keys"},
			Rules:      []ir.Rule{{Roles: []string{role}}},
			RateLimits: []ir.RateLimit{{Name: "h", Requests: 10, Per: "second", Key: "header", Header: hname}},
			CORS:       &ir.CORS{AllowOrigins: []string{origin}, AllowMethods: []string{"GET"}, MaxAgeSeconds: 60},
			Headers:    ir.Headers{Set: []ir.Header{{Name: hname, Value: hvalue}}},
			Limits:     ir.Limits{MaxBodyBytes: 1024},
			AccessLog:  true,
		}}}},
		Logging: ir.Logging{Enabled: true, Fields: []string{"path", "query"}, Sink: "file", SinkTarget: "/var/log/kong.log",
			Redact: []ir.Redaction{{Kind: "query", Name: query, Mode: "drop"}, {Kind: "header", Name: strings.ToLower(hname), Mode: "redact"}}},
		Targets: ir.TargetSettings{KongEdition: "enterprise"},
	}
}
