package envoy_test

import (
	"context"
	"strings"
	"testing"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"

	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/targets/envoy"
)

// small is a one-route policy with the fuzzer's strings in its host,
// path, a response header, a CORS origin and a header-keyed limit.
func small(host, path, name, value, origin string) *ir.Policy {
	return &ir.Policy{
		Name: "fuzz",
		Listeners: []*ir.Listener{{Name: "web", Address: "0.0.0.0", Port: 8443, Hosts: []string{host},
			TLS: &ir.TLS{Profile: "modern", MinVersion: "1.3", MaxVersion: "1.3", Curves: []string{"X25519"},
				CertFile: "/c.pem", KeyFile: "/k.pem", HSTS: &ir.HSTS{MaxAgeSeconds: 60}}}},
		Services: []*ir.Service{{Name: "s", UpstreamURL: "http://127.0.0.1:9000", Listeners: []string{"web"},
			Routes: []*ir.Route{{Name: "r", ID: "s/r", Service: "s", Path: path, Methods: []string{"GET"}, Public: true,
				Headers:    ir.Headers{Set: []ir.Header{{Name: name, Value: value}}},
				CORS:       &ir.CORS{AllowOrigins: []string{origin}, AllowMethods: []string{"GET"}, MaxAgeSeconds: 60},
				RateLimits: []ir.RateLimit{{Name: "h", Key: "header", Header: name, PerHour: 3600, Requests: 1, Per: "second"}},
			}}}},
		Logging: ir.Logging{Enabled: true, Format: "json", Fields: []string{"path", "status"}, Sink: "file", SinkTarget: "/var/log/a.log"},
	}
}

// FuzzBuild feeds arbitrary strings into a host, a path, a header name
// and value and a CORS origin: Build either fails or writes a bootstrap
// that parses and validates (Build checks; the test parses again), in
// which the header value, read back as Envoy reads it, is the policy's
// value exactly (no '%' command sneaks in) and no route was added.
func FuzzBuild(f *testing.F) {
	f.Add("api.example.com", "/orders/{id}", "X-Tenant", "default-src 'self'", "https://app.example")
	f.Add("*.example.com", "/a", "X-A", "%REQ(authorization)%", "https://*.example.com")
	f.Add("a.example", "/static", "X-B", "\"\\\r\nx-injected: 1", "*")
	f.Add("a;b", "/$host", "X C", "%%%", "https://x$y")
	f.Fuzz(func(t *testing.T, host, path, name, value, origin string) {
		p := small(host, path, name, value, origin)
		arts, err := envoy.New().Build(context.Background(), p)
		if err != nil {
			return
		}
		for _, a := range arts {
			bs, err := envoy.Parse(a.Data)
			if err != nil {
				t.Fatalf("%s does not parse: %v", a.Path, err)
			}
			checkHeader(t, bs, name, value)
		}
	})
}

// checkHeader finds the header on the route s/r and compares its value,
// unescaped as Envoy does ("%%" is "%"), with want.
func checkHeader(t *testing.T, bs *bootstrapv3.Bootstrap, name, want string) {
	t.Helper()
	found := false
	for _, r := range collect[*routev3.Route](t, bs) {
		if strings.HasPrefix(r.Name, "s/r#") || r.Name == "web#404" || r.Name == "web#undeclared-host" {
			continue
		}
		if r.Name != "s/r" {
			t.Fatalf("unexpected route %q", r.Name)
		}
		for _, h := range r.ResponseHeadersToAdd {
			if h.GetHeader().GetKey() == name {
				found = true
				if got := unescape(h.GetHeader().GetValue()); got != want {
					t.Fatalf("header value %q reads back as %q", want, got)
				}
			}
		}
	}
	if !found {
		t.Fatalf("header %q missing", name)
	}
}

// unescape reads a header value as Envoy's formatter does for text with
// no command: "%%" is "%"; a lone '%' would start a command, which the
// escaping must never leave.
func unescape(v string) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] == '%' {
			if i+1 < len(v) && v[i+1] == '%' {
				b.WriteByte('%')
				i++
				continue
			}
			return "<command at " + v[i:] + ">"
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

// TestHeaderValues: a '%' in a policy header value stays literal (Envoy
// would otherwise run it as a command and could echo a credential), and a
// value with a line break does not build.
func TestHeaderValues(t *testing.T) {
	p := small("api.example.com", "/a", "X-A", "a %REQ(authorization)% b", "https://app.example")
	for _, bs := range parseAll(t, p) {
		checkHeader(t, bs, "X-A", "a %REQ(authorization)% b")
	}
	for _, v := range []string{"true", "123", "null", "~", "no", "0x1F", "1e3", ": x", "- y", "#z"} {
		for _, bs := range parseAll(t, small("api.example.com", "/a", "X-A", v, "https://app.example")) {
			checkHeader(t, bs, "X-A", v)
		}
	}
	p = small("api.example.com", "/a", "X-A", "v\r\nx-injected: 1", "https://app.example")
	if _, err := envoy.New().Build(context.Background(), p); err == nil {
		t.Error("a header value with CR LF built")
	}
}

// checkCSP requires every forwarding route to carry the policy's CSP.
func checkCSP(t *testing.T, bs *bootstrapv3.Bootstrap, want string) {
	t.Helper()
	n := 0
	for _, r := range collect[*routev3.Route](t, bs) {
		if _, fwd := r.Action.(*routev3.Route_Route); !fwd {
			continue
		}
		for _, h := range r.ResponseHeadersToAdd {
			if h.GetHeader().GetKey() == "Content-Security-Policy" {
				n++
				if got := unescape(h.GetHeader().GetValue()); got != want {
					t.Fatalf("CSP %q reads back as %q", want, got)
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("no route carries the CSP")
	}
}
