package envoy_test

import (
	"context"
	"runtime"
	"strings"
	"sync"
	"testing"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	bufferv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/buffer/v3"
	extauthzv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ext_authz/v3"
	jwtv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/jwt_authn/v3"
	localrlv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/local_ratelimit/v3"
	rbacv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/rbac/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/rampart-policy/rampart/compiler/diag"
	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/targets"
	"github.com/rampart-policy/rampart/targets/envoy"
	"github.com/rampart-policy/rampart/targets/internal/golden"
)

// recorder is a testing.TB that records failures instead of failing.
type recorder struct {
	testing.TB
	msgs []string
}

func (r *recorder) Errorf(f string, a ...any) { r.msgs = append(r.msgs, f) }
func (r *recorder) Fatalf(f string, a ...any) { r.msgs = append(r.msgs, f); runtime.Goexit() }
func (r *recorder) Error(a ...any)            { r.msgs = append(r.msgs, "error") }
func (r *recorder) Fatal(a ...any)            { r.msgs = append(r.msgs, "fatal"); runtime.Goexit() }
func (r *recorder) Helper()                   {}

// fails runs a fact check on a bootstrap and returns what it reported.
func fails(t *testing.T, fact func(testing.TB, *ir.Policy, *bootstrapv3.Bootstrap), p *ir.Policy, bs *bootstrapv3.Bootstrap) []string {
	rec := &recorder{TB: t}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); fact(rec, p, bs) }()
	wg.Wait()
	return rec.msgs
}

// tamper rewrites every message of type T inside bs (Anys included).
func tamper[T proto.Message](t *testing.T, bs *bootstrapv3.Bootstrap, fn func(T)) {
	t.Helper()
	// Anys hold bytes: unpack, change, repack each one, depth first.
	var fix func(m proto.Message)
	fix = func(m proto.Message) {
		if v, ok := m.(T); ok {
			fn(v)
		}
		rangeMessages(m, func(sub proto.Message) {
			if a, ok := sub.(*anypb.Any); ok {
				inner, err := a.UnmarshalNew()
				if err != nil {
					t.Fatal(err)
				}
				fix(inner)
				if err := a.MarshalFrom(inner); err != nil {
					t.Fatal(err)
				}
				return
			}
			fix(sub)
		})
	}
	fix(bs)
}

// TestFactsCanFail: each fact check reports a bootstrap broken the way it
// guards against, so the facts tests are not vacuous.
func TestFactsCanFail(t *testing.T) {
	p := golden.ReadIR(t, "testdata/full.ir.yaml")
	native := golden.ReadIR(t, "testdata/native.ir.yaml")
	fresh := func(p *ir.Policy) *bootstrapv3.Bootstrap { return parseAll(t, p)[0] }
	cases := []struct {
		name    string
		p       *ir.Policy
		fact    func(testing.TB, *ir.Policy, *bootstrapv3.Bootstrap)
		breakIt func(*bootstrapv3.Bootstrap)
	}{
		{"failure_mode_allow", p, factExtAuthz, func(bs *bootstrapv3.Bootstrap) {
			tamper(t, bs, func(e *extauthzv3.ExtAuthz) { e.FailureModeAllow = true })
		}},
		{"rbac-less RBACPerRoute", p, func(t testing.TB, _ *ir.Policy, bs *bootstrapv3.Bootstrap) { factRBAC(t, bs) }, func(bs *bootstrapv3.Bootstrap) {
			tamper(t, bs, func(r *rbacv3.RBACPerRoute) { r.Rbac = nil })
		}},
		{"local_ratelimit at 0 %", p, factRateLimit, func(bs *bootstrapv3.Bootstrap) {
			tamper(t, bs, func(r *localrlv3.LocalRateLimit) { r.FilterEnforced = nil })
		}},
		{"TLS version left to Envoy", p, factTLS, func(bs *bootstrapv3.Bootstrap) {
			tamper(t, bs, func(tp *tlsv3.TlsParameters) { tp.TlsMaximumProtocolVersion = tlsv3.TlsParameters_TLS_AUTO })
		}},
		{"DHE suite", native, factTLS, func(bs *bootstrapv3.Bootstrap) {
			tamper(t, bs, func(tp *tlsv3.TlsParameters) { tp.CipherSuites = append(tp.CipherSuites, "DHE-RSA-AES128-GCM-SHA256") })
		}},
		{"access_token query parameter", native, factJWT, func(bs *bootstrapv3.Bootstrap) {
			tamper(t, bs, func(jp *jwtv3.JwtProvider) { jp.FromParams = []string{"access_token"} })
		}},
		{"body limit raised", p, factLimitsHeaders, func(bs *bootstrapv3.Bootstrap) {
			tamper(t, bs, func(b *bufferv3.BufferPerRoute) {
				if b.GetBuffer() != nil {
					b.GetBuffer().MaxRequestBytes = wrapperspb.UInt32(1 << 30)
				}
			})
		}},
		// the target hoists what the routes of a virtual host repeat onto
		// it: the facts hold for each route's effective configuration, so
		// a tamper on the virtual host's must fail them
		{"virtual host rbac removed", p, func(t testing.TB, _ *ir.Policy, bs *bootstrapv3.Bootstrap) { factRBAC(t, bs) }, func(bs *bootstrapv3.Bootstrap) {
			tamper(t, bs, func(vh *routev3.VirtualHost) { delete(vh.TypedPerFilterConfig, "envoy.filters.http.rbac") })
		}},
		{"virtual host body limit raised", p, factLimitsHeaders, func(bs *bootstrapv3.Bootstrap) {
			tamper(t, bs, func(vh *routev3.VirtualHost) {
				a := vh.TypedPerFilterConfig["envoy.filters.http.buffer"]
				if a == nil {
					return
				}
				b := &bufferv3.BufferPerRoute{Override: &bufferv3.BufferPerRoute_Buffer{Buffer: &bufferv3.Buffer{MaxRequestBytes: wrapperspb.UInt32(1 << 30)}}}
				if err := a.MarshalFrom(b); err != nil {
					t.Fatal(err)
				}
			})
		}},
		{"virtual host header dropped", p, factLimitsHeaders, func(bs *bootstrapv3.Bootstrap) {
			tamper(t, bs, func(vh *routev3.VirtualHost) {
				if len(vh.ResponseHeadersToAdd) > 0 {
					vh.ResponseHeadersToAdd = vh.ResponseHeadersToAdd[1:]
				}
			})
		}},
		{"virtual host header dropped (early replies)", p, factLocalReplyHeaders, func(bs *bootstrapv3.Bootstrap) {
			tamper(t, bs, func(vh *routev3.VirtualHost) {
				if len(vh.ResponseHeadersToAdd) > 0 {
					vh.ResponseHeadersToAdd = vh.ResponseHeadersToAdd[1:]
				}
			})
		}},
		// the public listener's routes check content types: HTTP/2 on it
		// would let a body through the #no-body route unchecked
		{"codec AUTO on a content-type listener", p, factContentTypesHTTP1, func(bs *bootstrapv3.Bootstrap) {
			tamper(t, bs, func(m *hcmv3.HttpConnectionManager) { m.CodecType = hcmv3.HttpConnectionManager_AUTO })
		}},
		{"ALPN h2 on a content-type listener", p, factContentTypesHTTP1, func(bs *bootstrapv3.Bootstrap) {
			tamper(t, bs, func(c *tlsv3.DownstreamTlsContext) { c.CommonTlsContext.AlpnProtocols = []string{"h2", "http/1.1"} })
		}},
		{"filters out of order", p, factFilterOrder, func(bs *bootstrapv3.Bootstrap) {
			tamper(t, bs, func(m *hcmv3.HttpConnectionManager) {
				if f := m.HttpFilters; len(f) > 2 {
					f[0], f[len(f)-2] = f[len(f)-2], f[0]
				}
			})
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			bs := fresh(c.p)
			if msgs := fails(t, c.fact, c.p, bs); len(msgs) > 0 {
				t.Fatalf("the check fails on an untouched bootstrap: %v", msgs)
			}
			c.breakIt(bs)
			if msgs := fails(t, c.fact, c.p, bs); len(msgs) == 0 {
				t.Fatal("the check passes a broken bootstrap")
			}
		})
	}
}

// TestFailsClosed: a control Envoy cannot enforce, with no authorizer or
// sink to reach it, is an error naming the control and route, in Check
// and in Build.
func TestFailsClosed(t *testing.T) {
	cases := []struct {
		name string
		edit func(*ir.Policy)
		want string
	}{
		{"apiKey without authorizer", func(p *ir.Policy) { p.Targets.AuthorizerURL = "" }, "authn.apiKey on route web/invoices"},
		{"introspection without authorizer", func(p *ir.Policy) { p.Targets.AuthorizerURL = "" }, "authn.introspection on route web/invoices"},
		{"auth failures without authorizer", func(p *ir.Policy) { p.Targets.AuthorizerURL = "" }, "authFailures on the policy"},
		{"subject limit without authorizer", func(p *ir.Policy) { p.Targets.AuthorizerURL = "" }, "ratelimit.subject on route records/write"},
		{"token age without authorizer", func(p *ir.Policy) { p.Targets.AuthorizerURL = "" }, "authn.jwt on route records/read"},
		{"syslog sink", func(p *ir.Policy) { p.Logging.Sink, p.Logging.SinkTarget = "syslog", "logs:514" }, "logging.access on the policy"},
		{"shared limit without authorizer", func(p *ir.Policy) {
			p.Targets.AuthorizerURL = ""
			p.Services[2].Routes[0].RateLimits[0].Shared = true
		}, "ratelimit.shared on route web/health"},
		{"redacted logged field", func(p *ir.Policy) { p.Logging.Fields = append(p.Logging.Fields, "email") }, "logging.redact on the policy"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := golden.ReadIR(t, "testdata/full.ir.yaml")
			c.edit(p)
			var msgs []string
			for _, d := range targets.Check(envoy.New(), p) {
				msgs = append(msgs, d.Message)
			}
			if all := strings.Join(msgs, "\n"); !strings.Contains(all, "target envoy cannot enforce "+c.want) {
				t.Errorf("Check does not report %q:\n%s", c.want, all)
			}
			_, err := envoy.New().Build(context.Background(), p)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Build error %v, want one naming %q", err, c.want)
			}
		})
	}
}

// TestPinnedDHEFails: a custom profile that pins a DHE suite does not
// compile for Envoy; a Mozilla profile's DHE suites are dropped and
// reported.
func TestPinnedDHEFails(t *testing.T) {
	p := golden.ReadIR(t, "testdata/native.ir.yaml")
	if got := envoy.DroppedCiphers(p)["api"]; len(got) != 1 || got[0] != "DHE-RSA-AES128-GCM-SHA256" {
		t.Errorf("DroppedCiphers = %v, want the profile's DHE suite", got)
	}
	var warned bool
	for _, d := range targets.Check(envoy.New(), p) {
		if d.Code == diag.CodeEnvoyDHEDropped && strings.Contains(d.Message, "DHE-RSA-AES128-GCM-SHA256") && d.Severity == diag.Warning {
			warned = true
		}
	}
	if !warned {
		t.Error("targets.Check does not warn (RMP410) about the dropped DHE suite")
	}
	p.Listeners[0].TLS.Profile = "custom"
	_, err := envoy.New().Build(context.Background(), p)
	if err == nil || !strings.Contains(err.Error(), "DHE-RSA-AES128-GCM-SHA256") {
		t.Fatalf("Build error %v, want one naming the pinned DHE suite", err)
	}
	p.Listeners[0].TLS.Ciphers = []string{"ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-SHA256"}
	if _, err := envoy.New().Build(context.Background(), p); err == nil || !strings.Contains(err.Error(), "ECDHE-RSA-AES128-SHA256") {
		t.Fatalf("Build error %v, want one naming the suite BoringSSL lacks", err)
	}
}

// TestWaiverAllowsBuild: a waived control builds, and is left out.
func TestWaiverAllowsBuild(t *testing.T) {
	p := golden.ReadIR(t, "testdata/full.ir.yaml")
	p.Logging.Sink = "syslog"
	p.Waivers = append(p.Waivers, ir.Waiver{Control: ir.CtlAccessLog, Target: "envoy", Reason: "no syslog logger", Approver: "a@example.com", Expires: "2027-01-01"})
	if d := targets.Check(envoy.New(), p); d.HasErrors() {
		t.Fatalf("waived policy fails Check: %v", d)
	}
	for _, bs := range parseAll(t, p) {
		if msgs := fails(t, factAccessLog, p, bs); len(msgs) > 0 {
			t.Errorf("access log facts: %v", msgs)
		}
	}
}

// TestParseKeepsLoadRules: Parse refuses bootstraps that pass ValidateAll
// but that Envoy would reject or run without the control.
func TestParseKeepsLoadRules(t *testing.T) {
	p := golden.ReadIR(t, "testdata/native.ir.yaml")
	cases := map[string]func(bs *bootstrapv3.Bootstrap){
		"per-route bucket missing": func(bs *bootstrapv3.Bootstrap) {
			tamper(t, bs, func(r *localrlv3.LocalRateLimit) { r.TokenBucket = nil })
		},
		"rate limit not enforced": func(bs *bootstrapv3.Bootstrap) {
			tamper(t, bs, func(r *localrlv3.LocalRateLimit) { r.FilterEnforced = nil })
		},
		"rbac-less RBACPerRoute": func(bs *bootstrapv3.Bootstrap) {
			tamper(t, bs, func(r *rbacv3.RBACPerRoute) { r.Rbac = nil })
		},
		"unknown jwt requirement": func(bs *bootstrapv3.Bootstrap) {
			tamper(t, bs, func(r *jwtv3.PerRouteConfig) {
				if r.GetRequirementName() != "" {
					r.RequirementSpecifier = &jwtv3.PerRouteConfig_RequirementName{RequirementName: "nope"}
				}
			})
		},
	}
	for name, breakIt := range cases {
		t.Run(name, func(t *testing.T) {
			bs := parseAll(t, p)[0]
			breakIt(bs)
			data, _, err := envoy.Marshal(bs)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := envoy.Parse(data); err == nil {
				t.Fatal("Parse accepted the broken bootstrap")
			}
		})
	}
}

// TestParseChecksEveryCopy: Parse checks each distinct packed
// configuration once, so a copy of a repeated one that differs (one
// route's local_ratelimit without its bucket) is still checked.
func TestParseChecksEveryCopy(t *testing.T) {
	p := golden.ReadIR(t, "testdata/full.ir.yaml")
	for _, last := range []bool{false, true} {
		bs := parseAll(t, p)[0]
		n := 0
		tamper(t, bs, func(r *localrlv3.LocalRateLimit) {
			if r.TokenBucket != nil {
				n++
			}
		})
		if n < 3 {
			t.Fatalf("%d per-route limits, want several", n)
		}
		i, target := 0, 1
		if last {
			target = n
		}
		tamper(t, bs, func(r *localrlv3.LocalRateLimit) {
			if r.TokenBucket != nil {
				if i++; i == target {
					r.TokenBucket = nil
				}
			}
		})
		data, _, err := envoy.Marshal(bs)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := envoy.Parse(data); err == nil || !strings.Contains(err.Error(), "token bucket") {
			t.Fatalf("copy %d of %d without a bucket: Parse error %v", target, n, err)
		}
	}
}
