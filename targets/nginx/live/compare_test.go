package live

import (
	"context"
	"strings"
	"testing"

	"github.com/rampart-policy/rampart/compiler"
	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/drift"
	"github.com/rampart-policy/rampart/targets/internal/golden"
	"github.com/rampart-policy/rampart/targets/nginx"
)

// TestCompareEachWeakening edits the nginx fixture's config one
// directive at a time (the first occurrence) and checks every location
// that carries the edit is reported with the right control, direction
// and severity, and nothing under another control. (An edited check
// shows as the policy's check missing, weakening, and the live one
// unexpected, strengthening.)
func TestCompareEachWeakening(t *testing.T) {
	p := golden.ReadIR(t, "../testdata/full.ir.yaml")
	arts, err := nginx.New().Build(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	conf := string(arts[0].Data)
	cases := []struct {
		name, old, new string
		control        string
		dir            drift.Direction
		sev            drift.Severity
	}{
		{"body size raised", `client_max_body_size "1048576";`, `client_max_body_size 8m;`, ir.CtlBodyLimit, drift.Changed, drift.Weakening},
		{"body size unlimited", `client_max_body_size "1048576";`, `client_max_body_size 0;`, ir.CtlBodyLimit, drift.Changed, drift.Weakening},
		{"body size lowered", `client_max_body_size "1048576";`, `client_max_body_size 1k;`, ir.CtlBodyLimit, drift.Changed, drift.Strengthening},
		{"auth_request removed", `            auth_request "/_rampart_authz";`, ``, "authn.", drift.Missing, drift.Weakening},
		{"burst raised", `"burst=20" "nodelay";`, `burst=2000 nodelay;`, ir.CtlRateLimit, drift.Changed, drift.Weakening},
		{"upstream verification off", `proxy_ssl_verify "on";`, `proxy_ssl_verify off;`, ir.CtlUpstreamTLS, drift.Changed, drift.Weakening},
		{"server tokens on", `server_tokens "off";`, `server_tokens on;`, ir.CtlHeaders, drift.Changed, drift.Weakening},
		{"access log off", `access_log "/var/log/rampart/access.log" "rampart";`, `access_log off;`, ir.CtlAccessLog, drift.Changed, drift.Weakening},
		{"method allowed", `"!~" "^(POST)$"`, `!~ ^(POST|DELETE)$`, ir.CtlMethods, drift.Unexpected, drift.Weakening},
		{"undeclared location", `        # undeclared routes`, "        location /debug { return 200; }\n        # undeclared routes", ir.CtlUndeclared, drift.Unexpected, drift.Weakening},
		{"CORS origin added", `"~^(https://clinic\\.example)$"`, `"~^(https://clinic\\.example|https://evil\\.example)$"`, ir.CtlCORS, drift.Changed, drift.Weakening},
		{"content-type check disabled", `if "(" "$rampart_ct16" ")" {`, `if ($rampart_ct16_disabled) {`, ir.CtlContentTypes, drift.Missing, drift.Weakening},
		{"HSTS shortened", `max-age=63072000`, `max-age=60`, ir.CtlHSTS, drift.Changed, drift.Weakening},
		// Review: each of these was not reported before its fix.
		{"method check no longer refuses", `                return "405";`, `                set $rampart_x "1";`, ir.CtlMethods, drift.Missing, drift.Weakening},
		{"satisfy any bypasses auth_request", `            auth_request "/_rampart_authz";`, "            auth_request \"/_rampart_authz\";\n            satisfy any;\n            allow all;", "authn.", drift.Changed, drift.Weakening},
		{"always dropped", "\n            add_header \"Strict-Transport-Security\" \"max-age=63072000; includeSubDomains\" \"always\";", "\n            add_header Strict-Transport-Security \"max-age=63072000; includeSubDomains\";", ir.CtlHSTS, drift.Changed, drift.Weakening},
		{"CORS wildcard added", "\n            add_header \"Strict-Transport-Security\"", "\n            add_header Access-Control-Allow-Origin * always;\n            add_header \"Strict-Transport-Security\"", ir.CtlCORS, drift.Unexpected, drift.Weakening},
		{"identity header passed through", `            proxy_set_header "X-Rampart-Roles" "$rampart_roles";`, ``, ir.CtlAuthzRules, drift.Missing, drift.Weakening},
		{"client CA replaced", `ssl_client_certificate "/etc/rampart/tls/partners-ca.pem";`, `ssl_client_certificate /etc/ssl/certs/ca-certificates.crt;`, ir.CtlMTLS, drift.Changed, drift.Weakening},
		{"client chain depth raised", `ssl_verify_depth "3";`, `ssl_verify_depth 9;`, ir.CtlMTLS, drift.Changed, drift.Weakening},
		{"limit_req dry run", `            limit_req "zone=rampart_rl2" "burst=20" "nodelay";`, "            limit_req \"zone=rampart_rl2\" \"burst=20\" \"nodelay\";\n            limit_req_dry_run on;", ir.CtlRateLimit, drift.Changed, drift.Weakening},
		{"ssl_conf_command re-enables TLS 1.0", `        ssl_protocols "TLSv1.3";`, "        ssl_protocols \"TLSv1.3\";\n        ssl_conf_command MinProtocol TLSv1;", ir.CtlTLS, drift.Unexpected, drift.Weakening},
		{"if that reroutes instead of refusing", `            set "$rampart_route" "lab/results";`, "            set \"$rampart_route\" \"lab/results\";\n            if ($arg_debug) { proxy_pass http://127.0.0.1:9000; }", ir.CtlUndeclared, drift.Unexpected, drift.Weakening},
		{"authorizer location made public", `            internal;`, ``, ir.CtlUndeclared, drift.Changed, drift.Weakening},
		{"upstream server swapped", `server "lab.internal:8443";`, `server "10.9.9.9:8443";`, ir.CtlUpstreamTLS, drift.Changed, drift.Weakening},
		{"upstream CORS header let through", `            proxy_hide_header "Access-Control-Allow-Origin";`, ``, ir.CtlCORS, drift.Missing, drift.Weakening},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(conf, tc.old) {
				t.Fatalf("fixture lacks %q", tc.old)
			}
			r, err := New().Compare(context.Background(), p, []byte(strings.Replace(conf, tc.old, tc.new, 1)))
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, f := range r.Findings {
				if !strings.HasPrefix(f.Control, tc.control) || (f.Severity == drift.Weakening && f.Direction != tc.dir) {
					t.Errorf("got %s %s %s: %s", f.Control, f.Direction, f.Severity, f.Message)
				}
				found = found || (f.Direction == tc.dir && f.Severity == tc.sev)
			}
			if !found {
				t.Errorf("no %s %s finding: %+v", tc.dir, tc.sev, r.Findings)
			}
		})
	}
	r, err := New().Compare(context.Background(), p, arts[0].Data)
	if err != nil || r.Drifted() {
		t.Fatalf("untouched: %v %+v", err, r.Findings)
	}
}

// TestCompareSecondServerSameHost: a second server block for a policy
// host and port is a weakening whichever comes first: after the
// policy's, it is an unexpected server; before it, nginx serves it
// instead (the later one is ignored as conflicting) and the policy's
// controls are reported missing from it.
func TestCompareSecondServerSameHost(t *testing.T) {
	p := golden.ReadIR(t, "../testdata/full.ir.yaml")
	arts, err := nginx.New().Build(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	conf := string(arts[0].Data)
	const extra = `    server { listen 0.0.0.0:8443 ssl; server_name partners.clinic.example; location / { proxy_pass http://127.0.0.1:9; } }` + "\n"
	end := strings.LastIndex(conf, "}")
	start := strings.Index(conf, "    server {")
	for name, live := range map[string]string{"after": conf[:end] + extra + conf[end:], "before": conf[:start] + extra + conf[start:]} {
		r, err := New().Compare(context.Background(), p, []byte(live))
		if err != nil {
			t.Fatal(err)
		}
		weak := 0
		for _, f := range r.Findings {
			if f.Severity == drift.Weakening {
				weak++
			}
		}
		if weak == 0 {
			t.Errorf("%s: no weakening: %+v", name, r.Findings)
		}
	}
}

// TestCompareRemovedOneOfTwoLimits: with two limits on the client IP in
// one location, removing the stricter one is reported as that limit
// missing, at its own policy line, not as the other limit changed.
func TestCompareRemovedOneOfTwoLimits(t *testing.T) {
	p, diags, err := compiler.Compile(context.Background(), compiler.Input{Dir: "../../../examples/payments-api"}, compiler.Options{})
	if err != nil || diags.HasErrors() {
		t.Fatalf("compile: %v %v", err, diags)
	}
	arts, err := nginx.New().Build(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	conf := string(arts[0].Data)
	line := `            limit_req "zone=rampart_rl6" "burst=5" "nodelay";` + "\n"
	if !strings.Contains(conf, line) {
		t.Fatalf("example lacks %q", line)
	}
	r, err := New().Compare(context.Background(), p, []byte(strings.Replace(conf, line, "", 1)))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Findings) != 1 {
		t.Fatalf("want one finding, got %d: %+v", len(r.Findings), r.Findings)
	}
	f := r.Findings[0]
	if f.Direction != drift.Missing || f.Severity != drift.Weakening || !strings.Contains(f.Expected, "rampart_rl6") ||
		f.Route != "oauth/token" || !strings.Contains(f.Origin.Path, "token-per-ip") {
		t.Errorf("got %s %s %q at %s (%s); want the token-per-ip limit (zone rampart_rl6) missing", f.Direction, f.Severity, f.Expected, f.Origin.Path, f.Route)
	}
}

// TestCompareLiveCredentialNotPrinted: a literal token added live in a
// proxy_set_header is found, but its value never appears in a finding.
func TestCompareLiveCredentialNotPrinted(t *testing.T) {
	p := golden.ReadIR(t, "../testdata/full.ir.yaml")
	arts, err := nginx.New().Build(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	conf := string(arts[0].Data)
	old := `            proxy_set_header "X-Rampart-Roles" "$rampart_roles";`
	if !strings.Contains(conf, old) {
		t.Fatalf("fixture lacks %q", old)
	}
	live := strings.Replace(conf, old, old+"\n            proxy_set_header Authorization \"Bearer s3cr3t-t0ken\";", 1)
	r, err := New().Compare(context.Background(), p, []byte(live))
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, f := range r.Findings {
		if strings.Contains(f.Actual+f.Expected+f.Message, "s3cr3t") {
			t.Errorf("a finding prints the live credential: %+v", f)
		}
		found = found || strings.Contains(f.Path, "proxy_set_header[authorization]") || strings.Contains(strings.ToLower(f.Path), "authorization")
	}
	if !found {
		t.Errorf("the added header was not reported: %+v", r.Findings)
	}
}
