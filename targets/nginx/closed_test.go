package nginx_test

import (
	"context"
	"strings"
	"testing"

	"github.com/rampart-policy/rampart/compiler/diag"
	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/targets"
	"github.com/rampart-policy/rampart/targets/nginx"
)

// TestFailsClosedWithoutAuthorizer: JWT, rules, subject limits, API keys
// and the auth-failure throttle need rampart's authorizer on OSS nginx;
// without one, targets.Check names each control and route, and Build
// refuses too.
func TestFailsClosedWithoutAuthorizer(t *testing.T) {
	p := readIR(t, "testdata/authorizer.ir.yaml")
	p.Targets.AuthorizerURL = ""
	diags := targets.Check(nginx.New(), p)
	var msgs []string
	for _, d := range diags {
		if d.Severity == diag.Error {
			msgs = append(msgs, d.Message)
		}
	}
	all := strings.Join(msgs, "\n")
	for _, want := range []string{
		"target nginx cannot enforce authn.jwt on route orders/list",
		"target nginx cannot enforce authn.jwt on route orders/create",
		"target nginx cannot enforce authz.rules on route orders/list",
		"target nginx cannot enforce ratelimit.subject on route orders/list",
		"target nginx cannot enforce ratelimit.apiKey on route orders/list",
		"target nginx cannot enforce authn.apiKey on route orders/list",
		"target nginx cannot enforce authFailures on the policy",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("diagnostics lack %q:\n%s", want, all)
		}
	}
	_, err := nginx.New().Build(context.Background(), p)
	if err == nil || !strings.Contains(err.Error(), "authn.jwt on route orders/list") {
		t.Fatalf("Build = %v, want an error naming authn.jwt on orders/list", err)
	}
}

// TestDelegatedCapabilities: with an authorizer the same policy passes
// the check, and every non-public location asks the authorizer.
func TestDelegatedCapabilities(t *testing.T) {
	p := readIR(t, "testdata/authorizer.ir.yaml")
	if diags := targets.Check(nginx.New(), p); diags.HasErrors() {
		t.Fatalf("unexpected errors: %v", diags)
	}
	caps := nginx.New().Capabilities(p)
	for _, c := range []string{ir.CtlJWT, ir.CtlAuthzRules, ir.CtlRateLimitSubject, ir.CtlAPIKey} {
		if !caps[c].Delegated {
			t.Errorf("%s not delegated: %+v", c, caps[c])
		}
	}
	conf := string(build(t, p))
	if n := strings.Count(conf, `auth_request "/_rampart_authz";`); n < 3 {
		t.Errorf("auth_request in %d locations, want every location of both routes (3)", n)
	}
	if !strings.Contains(conf, `proxy_pass "http://127.0.0.1:9181/authorize";`) {
		t.Error("single-listener policy should use /authorize without a listener segment")
	}
}

// TestNeverClaimed: controls nginx cannot enforce at all stay out of the
// capabilities whatever the policy says.
func TestNeverClaimed(t *testing.T) {
	p := readIR(t, "testdata/full.ir.yaml")
	p.Targets.AuthorizerURL = ""
	caps := nginx.New().Capabilities(p)
	for _, c := range []string{ir.CtlMTLSAuthn, ir.CtlAPIKey, ir.CtlJWT} {
		if _, ok := caps[c]; ok {
			t.Errorf("nginx claims %s without an authorizer", c)
		}
	}
	p.Listeners[0].TLS.ClientAuth.SANs = []string{"lab.example"}
	if _, ok := nginx.New().Capabilities(p)[ir.CtlMTLS]; ok {
		t.Error("nginx claims SAN-restricted mTLS")
	}
	p.Logging.Sink = "http"
	if _, ok := nginx.New().Capabilities(p)[ir.CtlAccessLog]; ok {
		t.Error("nginx claims an HTTP log sink")
	}
}

// TestMTLSAuthnFailsClosed: without an authorizer (and without the
// fixture's waiver), the mTLS provider on lab/results is an error naming
// control and route; with one, nginx passes the verified certificate.
func TestMTLSAuthnFailsClosed(t *testing.T) {
	p := readIR(t, "testdata/full.ir.yaml")
	if conf := string(build(t, p)); !strings.Contains(conf, `"X-Rampart-Client-Cert" "$ssl_client_escaped_cert"`) {
		t.Error("the authorizer subrequest does not carry the verified client certificate")
	}
	p.Waivers = p.Waivers[1:]
	p.Targets.AuthorizerURL = ""
	_, err := nginx.New().Build(context.Background(), p)
	if err == nil || !strings.Contains(err.Error(), "authn.mtls on route lab/results") {
		t.Fatalf("Build = %v", err)
	}
}

// TestFieldRedactionFailsClosed: nginx logs fields as they are, so a
// redaction of a logged field other than identity is not claimed; the
// identity field is logged as rampart's authorizer redacted it.
func TestFieldRedactionFailsClosed(t *testing.T) {
	p := readIR(t, "testdata/full.ir.yaml")
	p.Logging.Fields = append(p.Logging.Fields, "clientIP", "identity")
	p.Logging.Redact = append(p.Logging.Redact, ir.Redaction{Kind: "field", Name: "identity", Mode: "hash"})
	if _, ok := nginx.New().Capabilities(p)[ir.CtlRedact]; !ok {
		t.Fatal("identity redaction through the authorizer not claimed")
	}
	if conf := string(build(t, p)); !strings.Contains(conf, "$rampart_log_identity") || strings.Contains(conf, `"identity":"$rampart_subject"`) {
		t.Error("the log does not take the authorizer's redacted identity")
	}
	p.Logging.Redact = append(p.Logging.Redact, ir.Redaction{Kind: "field", Name: "clientIP", Mode: "hash"})
	if _, ok := nginx.New().Capabilities(p)[ir.CtlRedact]; ok {
		t.Fatal("nginx claims to hash the client IP it logs as is")
	}
}
