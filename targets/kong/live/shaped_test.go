package live

import (
	"context"
	"strings"
	"testing"

	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/drift"
	"github.com/rampart-policy/rampart/internal/drifttest"
	"github.com/rampart-policy/rampart/targets/kong"
)

// shapedIR is FuzzDriftShaped's one-route policy with the fuzzer's host,
// path, header name and value, role and per-minute rate limit in place:
// key-auth with an ACL on the role, a header-keyed rate limit, a
// response header, a body limit and an access log.
func shapedIR(host, path, hname, hvalue, role string, count uint16) *ir.Policy {
	return &ir.Policy{
		Name: "fuzz",
		Listeners: []*ir.Listener{{Name: "web", Address: "0.0.0.0", Port: 8443, Hosts: []string{host},
			TLS: &ir.TLS{Profile: "modern", MinVersion: "1.3", MaxVersion: "1.3", CertFile: "/c.pem", KeyFile: "/k.pem"}}},
		Providers: []*ir.Provider{{Name: "keys", Kind: ir.KindAPIKey, APIKey: &ir.APIKey{In: "header", Name: "X-Key",
			Consumers: []*ir.Consumer{{Name: "acme", KeyRef: "env:FUZZ_KEY", Roles: []string{role}}}}}},
		Services: []*ir.Service{{Name: "s", UpstreamURL: "http://127.0.0.1:9000", Listeners: []string{"web"}, Routes: []*ir.Route{{
			Name: "r", ID: "s/r", Service: "s", Path: path, Methods: []string{"GET"}, Providers: []string{"keys"},
			Rules:      []ir.Rule{{Roles: []string{role}}},
			RateLimits: []ir.RateLimit{{Name: "h", Requests: int(count), Per: "minute", Key: "header", Header: hname}},
			Headers:    ir.Headers{Set: []ir.Header{{Name: hname, Value: hvalue}}},
			Limits:     ir.Limits{MaxBodyBytes: 1024},
			AccessLog:  true,
		}}}},
		Logging: ir.Logging{Enabled: true, Fields: []string{"path", "status"}, Sink: "file", SinkTarget: "/var/log/kong.log"},
		Targets: ir.TargetSettings{KongEdition: "enterprise"},
	}
}

// shapedTampers are the changes FuzzDriftShaped makes to the live side,
// each one drift must find: a rate raised by one and the fuzzed header
// hname dropped, made here on the fuzzer's own values, and tampers by
// name.
func shapedTampers(hname string) []tamper {
	return []tamper{
		{"rate raised by one", func(t *testing.T, d doc) want {
			p, _, id := d.pluginOn(t, "rate-limiting", func(c map[string]any) bool { return c["minute"] != nil })
			cfg := p["config"].(map[string]any)
			cfg["minute"] = cfg["minute"].(float64) + 1
			return want{"", id, drift.Changed, drift.Weakening, ".config.minute"}
		}},
		{"fuzzed header dropped", func(t *testing.T, d doc) want {
			p, _, id := d.pluginOn(t, "response-transformer", nil)
			hs := p["config"].(map[string]any)["add"].(map[string]any)
			if n := len(hs["headers"].([]any)); n != 1 {
				t.Fatalf("response-transformer adds %d headers, want the fuzzed one alone", n)
			}
			hs["headers"] = []any{}
			ctl := ir.CtlHeaders
			if strings.EqualFold(hname, "strict-transport-security") {
				ctl = ir.CtlHSTS
			}
			return want{ctl, id, drift.Missing, drift.Weakening, ""}
		}},
		namedTamper("acl group added"),
		namedTamper("plugin disabled"),
		namedTamper("plugin removed"),
		namedTamper("log plugin removed"),
	}
}

// namedTamper is the tamper of that name in tampers.
func namedTamper(name string) tamper {
	for _, tc := range tampers {
		if tc.name == name {
			return tc
		}
	}
	panic("no tamper " + name)
}

// shapedCase is one FuzzDriftShaped input. It reports whether the input
// reached the comparisons (false when the IR or the target refuses it).
func shapedCase(t *testing.T, host, seg, hname, hvalue, role string, count uint16, pick uint8) bool {
	t.Helper()
	host, path, hname, hvalue, role := drifttest.Shaped(host, seg, hname, hvalue, role)
	p := shapedIR(host, path, hname, hvalue, role, count)
	if p.Validate() != nil {
		return false
	}
	ctx := context.Background()
	arts, err := kong.New().Build(ctx, p)
	if err != nil {
		return false
	}
	w, err := Expected(ctx, p)
	if err != nil {
		t.Fatalf("Build succeeds, Expected fails: %v", err)
	}
	var file []byte
	for _, a := range arts {
		if a.Path == kong.DeckFile {
			file = a.Data
		}
	}
	answer := configAnswer(t, record(t, file))
	for name, live := range map[string][]byte{"kong.yaml": file, "GET /config": answer} {
		r, err := w.Compare(live)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if r.Drifted() || len(r.Checks) == 0 {
			t.Fatalf("%s: the policy's own configuration: %d checks, findings %+v", name, len(r.Checks), r.Findings)
		}
	}
	ts := shapedTampers(hname)
	tc := ts[int(pick)%len(ts)]
	d := liveDoc(t, answer)
	want := tc.do(t, d)
	r, err := w.Compare(d.answer(t))
	if err != nil {
		t.Fatalf("%s: %v", tc.name, err)
	}
	checkFindings(t, r, want)
	return true
}

// FuzzDriftShaped puts the fuzzer's strings (a host, a path segment
// under "/", a header name and value, a role) and rate into a small
// policy (shapedIR). Whatever builds compares with no drift and no error
// against its own kong.yaml and against GET /config's answer for it, and
// one tamper (shapedTampers(hname)[pick]) of that answer is found, with the
// right control, route and direction and nothing else.
func FuzzDriftShaped(f *testing.F) {
	f.Add("api.example.com", "/orders/{id}", "X-Tenant", "default-src 'self'", "admin", uint16(60), uint8(0))
	f.Add("a.example", "/x\n\"plugins\": []", "X-A", "v\"\n- x", "r\"}", uint16(1), uint8(1))
	f.Add("h.example", "/$(id)", "X-B", `return os.execute("id")`, "g: [x]", uint16(65535), uint8(2))
	f.Add("*.example.com", "/a", "X-C", "{vault://env/X}", "everyone", uint16(7), uint8(3))
	f.Add("b.example", "/static", "X-D", "  spaced  ", "a.b", uint16(100), uint8(4))
	f.Add("c.example", "/c", "X-E", "~", "null", uint16(2), uint8(5))
	f.Fuzz(func(t *testing.T, host, seg, hname, hvalue, role string, count uint16, pick uint8) {
		shapedCase(t, host, seg, hname, hvalue, role, count, pick)
	})
}

// TestDriftShapedReaches keeps FuzzDriftShaped meaningful: its first
// seed, with each tamper, must build and reach the comparisons, or every
// fuzz input could end at a refusal and check nothing.
func TestDriftShapedReaches(t *testing.T) {
	for i := range shapedTampers("") {
		if !shapedCase(t, "api.example.com", "/orders/{id}", "X-Tenant", "default-src 'self'", "admin", 60, uint8(i)) {
			t.Fatalf("FuzzDriftShaped's base input (tamper %d) does not reach the comparisons", i)
		}
	}
}
