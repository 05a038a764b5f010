package envoy_test

import (
	"strings"
	"testing"

	filev3 "github.com/envoyproxy/go-control-plane/envoy/extensions/access_loggers/file/v3"
	celv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/access_loggers/filters/cel/v3"
	jwtv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/jwt_authn/v3"

	"github.com/rampart-policy/rampart/targets/internal/golden"
)

// TestLogPathWithoutQuery: the "path" field is the path alone, as
// rampart's proxy logs it (proxy/accesslog: the query is cut off, and is
// its own field). Envoy's %REQ(:PATH)% carries the query string, which
// would write query parameters to a log whose policy does not ask for
// the query field at all.
func TestLogPathWithoutQuery(t *testing.T) {
	p := golden.ReadIR(t, "testdata/mtls.ir.yaml") // fields: clientIP, method, path, status; no redaction
	logs := collect[*filev3.FileAccessLog](t, parseAll(t, p)[0])
	if len(logs) == 0 {
		t.Fatal("no file access log")
	}
	for _, l := range logs {
		f := l.GetLogFormat().GetJsonFormat().GetFields()
		if got := f["path"].GetStringValue(); got != "%REQ_WITHOUT_QUERY(:PATH)%" {
			t.Errorf("path is logged as %q, want %%REQ_WITHOUT_QUERY(:PATH)%%", got)
		}
		if _, ok := f["query"]; ok {
			t.Error("query logged though the policy does not ask for it")
		}
	}
}

// TestJWTClockSkewExplicit: jwt_authn reads clock_skew_seconds 0 (unset
// in proto3) as its default of 60 seconds ("If not specified, default is
// 60 seconds", JwtProvider.clock_skew_seconds), so a policy's 0 must not
// be emitted as 0: the skew is always explicit and never above the
// policy's (1 s, the least Envoy can express, for 0).
func TestJWTClockSkewExplicit(t *testing.T) {
	p := golden.ReadIR(t, "testdata/native.ir.yaml")
	want := map[string]uint32{}
	for _, pr := range p.Providers {
		if pr.JWT != nil {
			want[pr.Name] = uint32(max(pr.JWT.ClockSkewSeconds, 1))
		}
	}
	n := 0
	for _, ja := range collect[*jwtv3.JwtAuthentication](t, parseAll(t, p)[0]) {
		for name, jp := range ja.GetProviders() {
			n++
			if got := jp.GetClockSkewSeconds(); got == 0 || got > want[name] {
				t.Errorf("provider %s: clock_skew_seconds %d (Envoy reads 0 as 60), want %d", name, got, want[name])
			}
		}
	}
	if n == 0 {
		t.Fatal("no jwt_authn provider")
	}
}

// TestUnroutedRequestsLogged: requests the connection manager rejects
// before routing (400 escaped slashes, 431, 408) have no route, so
// Envoy's xds.route_name is absent (extensions/filters/common/expr/
// context.cc, XDSWrapper: no value without info_.route()) and a
// comparison with it is an error, which the CEL access-log filter counts
// as "do not log". Every route-name filter must first let requests
// without a route through.
func TestUnroutedRequestsLogged(t *testing.T) {
	n := 0
	for _, name := range []string{"full", "native", "plaintext"} {
		p := golden.ReadIR(t, "testdata/"+name+".ir.yaml")
		for _, f := range collect[*celv3.ExpressionFilter](t, parseAll(t, p)[0]) {
			n++
			if !strings.HasPrefix(f.GetExpression(), "!has(xds.route_name) || ") {
				t.Errorf("%s: log filter %q drops requests rejected before routing (no route name)", name, f.GetExpression())
			}
		}
	}
	if n == 0 {
		t.Fatal("no CEL log filter in the fixtures")
	}
}
