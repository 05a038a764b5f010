package posture

import (
	"bytes"
	"strings"
	"testing"

	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/drift"
)

// policyWithLogin is a minimal IR policy: one TLS listener and a public
// login route with an IP rate limit of perMinute requests a minute.
func policyWithLogin(perMinute int, waivers ...ir.Waiver) *ir.Policy {
	at := func(line int) ir.Origin { return ir.Origin{File: "p/policy.cue", Line: line, Col: 3} }
	return &ir.Policy{
		Name:      "shop",
		Sources:   []ir.Source{{File: "policy.cue"}},
		Listeners: []*ir.Listener{{Name: "api", Port: 443, TLS: &ir.TLS{MinVersion: "1.2", MaxVersion: "1.3", Origin: at(2)}, Origin: at(1)}},
		Services: []*ir.Service{{Name: "auth", UpstreamURL: "https://id.internal", Origin: at(5), Routes: []*ir.Route{{
			Name: "login", ID: "auth/login", Service: "auth", Path: "/login", Methods: []string{"POST"}, Public: true,
			RateLimits: []ir.RateLimit{{Name: "per-ip", Requests: perMinute, Per: "minute", PerHour: perMinute * 60, Key: "ip", Origin: at(9)}},
			Origin:     at(7),
		}}}},
		Waivers: waivers,
	}
}

func TestAcceptWaivers(t *testing.T) {
	waiver := func(target, route, expires string) ir.Waiver {
		return ir.Waiver{Control: ir.CtlRateLimit, Target: target, Route: route, Reason: "launch", Approver: "ciso@x.example", Expires: expires, Origin: ir.Origin{File: "p/policy.cue", Line: 20}}
	}
	for _, c := range []struct {
		name     string
		w        []ir.Waiver
		allowAll bool
		accepted bool
	}{
		{"no waiver", nil, false, false},
		{"every target, this route", []ir.Waiver{waiver("*", "auth/login", "2027-01-01")}, false, true},
		{"every target, every route", []ir.Waiver{waiver("*", "", "2027-01-01")}, false, true},
		{"expires today", []ir.Waiver{waiver("*", "", "2026-11-26")}, false, true},
		{"expired", []ir.Waiver{waiver("*", "", "2026-11-25")}, false, false},
		{"one target", []ir.Waiver{waiver("nginx", "auth/login", "2027-01-01")}, false, false},
		{"other route", []ir.Waiver{waiver("*", "auth/other", "2027-01-01")}, false, false},
		{"other control", []ir.Waiver{{Control: ir.CtlCORS, Target: "*", Expires: "2027-01-01"}}, false, false},
		{"allow all", nil, true, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			base, head := policyWithLogin(10, c.w...), policyWithLogin(100, c.w...)
			r := Compare(base, head)
			r.Accept(head, "2026-11-26", c.allowAll)
			var limit *Change
			for i := range r.Changes {
				if r.Changes[i].Control == ir.CtlRateLimit {
					limit = &r.Changes[i]
				}
			}
			if limit == nil || !limit.Weakening() || limit.Message != "rate limit per-ip on POST /login raised 10/minute → 100/minute" {
				t.Fatalf("changes = %+v", r.Changes)
			}
			if got := limit.AcceptedBy != ""; got != c.accepted {
				t.Errorf("accepted = %v (%q), want %v", got, limit.AcceptedBy, c.accepted)
			}
			if got := len(r.Unaccepted()) == 0; got != c.accepted {
				t.Errorf("Unaccepted() = %v", r.Unaccepted())
			}
		})
	}
}

func TestCompareIdentical(t *testing.T) {
	r := Compare(policyWithLogin(10), policyWithLogin(10))
	if len(r.Changes) != 0 || r.Compared == 0 || r.Unchanged != r.Compared {
		t.Errorf("identical policies: %d changes, %d compared, %d unchanged", len(r.Changes), r.Compared, r.Unchanged)
	}
}

func TestMarkdownEscapes(t *testing.T) {
	base, head := policyWithLogin(10), policyWithLogin(10)
	head.Services[0].Routes[0].Headers.Set = []ir.Header{{Name: "X-Note", Value: "a|b <script>alert(1)</script> `x` *y*"}}
	r := Compare(base, head)
	var buf bytes.Buffer
	if err := r.WriteMarkdown(&buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.Contains(out, "<script>") || strings.Contains(out, "a|b") {
		t.Errorf("markup from the policy reached the comment:\n%s", out)
	}
	rows := 0
	for _, l := range strings.Split(out, "\n") {
		if !isChangeRow(l) {
			continue
		}
		rows++
		if unescapedPipes(l) != 4 {
			t.Errorf("row %q has %d cell separators, want 4", l, unescapedPipes(l))
		}
	}
	if rows != 1 {
		t.Errorf("%d change rows, want 1:\n%s", rows, out)
	}
}

// unescapedPipes counts | not preceded by a backslash.
func unescapedPipes(s string) int {
	n := 0
	for i := range len(s) {
		if s[i] == '|' && (i == 0 || s[i-1] != '\\') {
			n++
		}
	}
	return n
}

// FuzzMarkdownRow: whatever a header value holds, a change is one table
// row with exactly four cell separators and no raw HTML tag.
func FuzzMarkdownRow(f *testing.F) {
	for _, s := range []string{"nosniff", "a|b", "<img src=x>", "\\|", "`|`", "x\ny", "&lt;"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		base, head := policyWithLogin(10), policyWithLogin(10)
		head.Services[0].Routes[0].Headers.Set = []ir.Header{{Name: "X-Note", Value: v}}
		var buf bytes.Buffer
		Compare(base, head).WriteMarkdown(&buf)
		rows := 0
		for _, l := range strings.Split(buf.String(), "\n") {
			if isChangeRow(l) {
				rows++
				if unescapedPipes(l) != 4 {
					t.Fatalf("row %q has %d cell separators", l, unescapedPipes(l))
				}
			}
			if strings.ContainsAny(l, "<>") && !strings.HasPrefix(l, "> ") {
				t.Fatalf("raw angle bracket in %q", l)
			}
		}
		if rows != 1 {
			t.Fatalf("%d rows for one change:\n%s", rows, buf.String())
		}
	})
}

func TestSeverityOfNumbers(t *testing.T) {
	for _, c := range []struct {
		s    strength
		b, h int
		want drift.Severity
	}{
		{lowerStronger, 100, 10, drift.Strengthening},
		{lowerStronger, 10, 100, drift.Weakening},
		{lowerStronger, 10, 0, drift.Weakening}, // unset is unlimited
		{lowerStronger, 0, 10, drift.Strengthening},
		{higherStronger, 400, 30, drift.Weakening},
		{higherStronger, 30, 0, drift.Weakening}, // unset is off
		{lowerStrongerZero, 10, 0, drift.Strengthening},
		{lowerStrongerZero, 0, 10, drift.Weakening},
	} {
		if got := severityOf(c.s.rank(c.b), c.s.rank(c.h)); got != c.want {
			t.Errorf("strength %d: %d → %d = %s, want %s", c.s, c.b, c.h, got, c.want)
		}
	}
}

// TestHeaderDirections: a header value or presence change is judged by
// what it lets a browser or cache do, not reported as neutral (or, for an
// added Access-Control-* header, as a strengthening).
func TestHeaderDirections(t *testing.T) {
	for _, c := range []struct {
		name       string
		base, head []ir.Header
		want       drift.Severity
	}{
		{"no-store dropped", hs("Cache-Control", "no-store"), hs("Cache-Control", "public, max-age=86400"), drift.Weakening},
		{"no-store added", hs("Cache-Control", "private"), hs("Cache-Control", "private, no-store"), drift.Strengthening},
		{"no-store kept", hs("Cache-Control", "no-store"), hs("Cache-Control", "no-store, max-age=0"), drift.Neutral},
		{"frame DENY to SAMEORIGIN", hs("X-Frame-Options", "DENY"), hs("X-Frame-Options", "SAMEORIGIN"), drift.Weakening},
		{"frame SAMEORIGIN to DENY", hs("X-Frame-Options", "SAMEORIGIN"), hs("X-Frame-Options", "DENY"), drift.Strengthening},
		{"referrer widened", hs("Referrer-Policy", "no-referrer"), hs("Referrer-Policy", "strict-origin-when-cross-origin"), drift.Weakening},
		{"referrer narrowed", hs("Referrer-Policy", "strict-origin"), hs("Referrer-Policy", "no-referrer"), drift.Strengthening},
		{"CSP changed", hs("Content-Security-Policy", "default-src 'none'"), hs("Content-Security-Policy", "default-src 'self'"), drift.Neutral},
		{"ACAO added", nil, hs("Access-Control-Allow-Origin", "*"), drift.Weakening},
		{"ACAC added", nil, hs("Access-Control-Allow-Credentials", "true"), drift.Weakening},
		{"ACAO removed", hs("Access-Control-Allow-Origin", "*"), nil, drift.Strengthening},
		{"CSP added", nil, hs("Content-Security-Policy", "default-src 'none'"), drift.Strengthening},
		{"CSP removed", hs("Content-Security-Policy", "default-src 'none'"), nil, drift.Weakening},
		{"other header added", nil, hs("X-Api-Version", "2"), drift.Neutral},
	} {
		t.Run(c.name, func(t *testing.T) {
			base, head := policyWithLogin(10), policyWithLogin(10)
			base.Services[0].Routes[0].Headers.Set = c.base
			head.Services[0].Routes[0].Headers.Set = c.head
			r := Compare(base, head)
			if len(r.Changes) != 1 {
				t.Fatalf("want one change, got %+v", r.Changes)
			}
			if got := r.Changes[0]; got.Severity != c.want || got.Control != ir.CtlHeaders || got.Origin.Line != 7 {
				t.Errorf("got %s (control %q, at %s:%d): %s; want %s at p/policy.cue:7", got.Severity, got.Control, got.Origin.File, got.Origin.Line, got.Message, c.want)
			}
		})
	}
}

// hs is a one-header set.
func hs(name, value string) []ir.Header { return []ir.Header{{Name: name, Value: value}} }

// isChangeRow reports whether l is a change row of the Markdown table
// (not its header or separator), whatever the change's verdict.
func isChangeRow(l string) bool {
	return strings.HasPrefix(l, "| ") && !strings.HasPrefix(l, "| | ")
}

// TestRateLimitKeyDirection: keying a bucket by a client-chosen header
// lets a client evade it, so moving to a header key is a weakening.
func TestRateLimitKeyDirection(t *testing.T) {
	withKey := func(key, header string) *ir.Policy {
		p := policyWithLogin(10)
		p.Services[0].Routes[0].RateLimits[0].Key = key
		p.Services[0].Routes[0].RateLimits[0].Header = header
		return p
	}
	for _, c := range []struct {
		name       string
		base, head *ir.Policy
		want       drift.Severity
	}{
		{"ip to header", withKey("ip", ""), withKey("header", "X-Forwarded-For"), drift.Weakening},
		{"header to ip", withKey("header", "X-Client"), withKey("ip", ""), drift.Strengthening},
		{"ip to subject", withKey("ip", ""), withKey("subject", ""), drift.Neutral},
		{"header renamed", withKey("header", "X-A"), withKey("header", "X-B"), drift.Neutral},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := Compare(c.base, c.head)
			if len(r.Changes) != 1 || r.Changes[0].Severity != c.want || r.Changes[0].Origin.Line != 9 {
				t.Errorf("changes = %+v, want one %s at line 9", r.Changes, c.want)
			}
		})
	}
}

// TestLogSinkCleartext: shipping the access log over plain http:// is a
// weakening; any other sink move is neutral.
func TestLogSinkCleartext(t *testing.T) {
	withSink := func(sink, target string) *ir.Policy {
		p := policyWithLogin(10)
		p.Logging = ir.Logging{Enabled: true, Sink: sink, SinkTarget: target, Origin: ir.Origin{File: "p/policy.cue", Line: 30}}
		return p
	}
	for _, c := range []struct {
		name       string
		base, head *ir.Policy
		want       drift.Severity
	}{
		{"file to http", withSink("file", "/var/log/a.log"), withSink("http", "http://logs.example/in"), drift.Weakening},
		{"https to http", withSink("http", "https://logs.example/in"), withSink("http", "http://logs.example/in"), drift.Weakening},
		{"http to https", withSink("http", "http://logs.example/in"), withSink("http", "https://logs.example/in"), drift.Strengthening},
		{"file to https", withSink("file", "/var/log/a.log"), withSink("http", "https://logs.example/in"), drift.Neutral},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := Compare(c.base, c.head)
			if len(r.Changes) != 1 || r.Changes[0].Severity != c.want || r.Changes[0].Origin.Line != 30 {
				t.Errorf("changes = %+v, want one %s at line 30", r.Changes, c.want)
			}
		})
	}
}

// TestSettingOrigins: a limit, timeout, content type or header set in
// defaults is reported at the line that sets it (the route's Origins),
// not at the route, so a PR annotation lands on the changed line.
func TestSettingOrigins(t *testing.T) {
	at := func(line int) ir.Origin { return ir.Origin{File: "p/policy.cue", Line: line, Col: 5} }
	base, head := policyWithLogin(10), policyWithLogin(10)
	base.Services[0].Routes[0].Limits = ir.Limits{MaxBodyBytes: 1024, IdleTimeout: 60}
	base.Services[0].Routes[0].ContentTypes = []string{"application/json"}
	base.Services[0].Routes[0].Headers.Set = hs("Cache-Control", "no-store")
	r := head.Services[0].Routes[0]
	r.Limits = ir.Limits{MaxBodyBytes: 4096, IdleTimeout: 600}
	r.ContentTypes = []string{"application/json", "text/plain"}
	r.Headers.Set = hs("Cache-Control", "private")
	r.Origins = map[string]ir.Origin{ir.CtlBodyLimit: at(40), "limits.timeouts.idleSeconds": at(41),
		ir.CtlContentTypes: at(42), "headers.Cache-Control": at(43)}
	want := map[string]int{ir.CtlBodyLimit: 40, ir.CtlTimeouts: 41, ir.CtlContentTypes: 42, ir.CtlHeaders: 43}
	rep := Compare(base, head)
	if len(rep.Changes) != len(want) {
		t.Fatalf("changes = %+v, want %d", rep.Changes, len(want))
	}
	for _, c := range rep.Changes {
		if c.Origin.Line != want[c.Control] || !c.Weakening() {
			t.Errorf("%s: %s at line %d (%s), want a weakening at line %d", c.Control, c.Message, c.Origin.Line, c.Severity, want[c.Control])
		}
	}
}

// TestServiceOnWeakerListener: serving a service also on a TLS listener
// with a lower minimum version, or without the client certificates its
// listeners required, is a weakening (and the reverse a strengthening).
func TestServiceOnWeakerListener(t *testing.T) {
	with := func(min string, mtls bool, listeners ...string) *ir.Policy {
		p := policyWithLogin(10)
		api := p.Listeners[0]
		if mtls {
			api.TLS.ClientAuth = &ir.ClientAuth{Required: true, CAFile: "/ca.pem"}
		}
		p.Listeners = append(p.Listeners, &ir.Listener{Name: "legacy", Port: 8443,
			TLS: &ir.TLS{MinVersion: min, MaxVersion: "1.3", Origin: ir.Origin{File: "p/policy.cue", Line: 3}}, Origin: ir.Origin{File: "p/policy.cue", Line: 3}})
		p.Services[0].Listeners = listeners
		return p
	}
	for _, c := range []struct {
		name       string
		base, head *ir.Policy
		want       drift.Severity
	}{
		{"TLS 1.0 listener added", with("1.0", false, "api"), with("1.0", false, "api", "legacy"), drift.Weakening},
		{"TLS 1.0 listener dropped", with("1.0", false, "api", "legacy"), with("1.0", false, "api"), drift.Strengthening},
		{"listener without mTLS added", with("1.2", true, "api"), with("1.2", true, "api", "legacy"), drift.Weakening},
		{"equal listener added", with("1.2", false, "api"), with("1.2", false, "api", "legacy"), drift.Neutral},
		{"stronger listener added", with("1.3", false, "api"), with("1.3", false, "api", "legacy"), drift.Neutral},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := Compare(c.base, c.head)
			if len(r.Changes) != 1 || r.Changes[0].Severity != c.want || r.Changes[0].Control != ir.CtlTLS || r.Changes[0].Origin.Line != 5 {
				t.Errorf("changes = %+v, want one %s on control tls at the service (line 5)", r.Changes, c.want)
			}
		})
	}
}
