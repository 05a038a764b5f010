package probe_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rampart-policy/rampart/compiler"
	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/drift"
	"github.com/rampart-policy/rampart/internal/cli"
	"github.com/rampart-policy/rampart/internal/livetest"
	"github.com/rampart-policy/rampart/probe"
	"github.com/rampart-policy/rampart/targets/goproxy"
	"github.com/rampart-policy/rampart/targets/nginx"
)

// gateway is a compiled, localised example with rampart's proxy running
// as the authorizer (and serving the policy on its own ports).
type gateway struct {
	p        *ir.Policy
	dir      string
	proxyURL string // the proxy's public listener
	conf     string // the proxy's config file
	admin    string // the proxy's admin address
}

// startGateway compiles hospital-records, localises it and runs `rampart
// serve --config … --authorizer …` in-process until the test ends.
func startGateway(t *testing.T) *gateway {
	t.Helper()
	p, diags, err := compiler.Compile(context.Background(), compiler.Input{Dir: "../examples/hospital-records"}, compiler.Options{})
	if err != nil || diags.HasErrors() {
		t.Fatalf("compile: %v %v", err, diags)
	}
	dir := t.TempDir()
	livetest.Localise(t, p, livetest.NewCerts(t, dir, "records.hospital.example", "lab-gw.hospital.example"), dir)
	addAuditor(t, p)
	authz := fmt.Sprintf("127.0.0.1:%d", livetest.FreePort(t))
	p.Targets.AuthorizerURL = "http://" + authz
	g := &gateway{p: p, dir: dir, conf: filepath.Join(dir, "rampart-proxy.json")}
	cfg, err := goproxy.Convert(p)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := json.MarshalIndent(cfg, "", "  ")
	os.WriteFile(g.conf, data, 0o644)
	g.admin = fmt.Sprintf("127.0.0.1:%d", livetest.FreePort(t))
	args := []string{"serve", "--config", g.conf, "--authorizer", authz, "--admin", g.admin}
	for _, l := range p.Listeners {
		addr := fmt.Sprintf("127.0.0.1:%d", livetest.FreePort(t))
		args = append(args, "--listen", l.Name+"="+addr)
		if l.Name == "public" {
			g.proxyURL = "https://" + addr
		}
		if l.RedirectPort != 0 {
			args = append(args, "--listen", fmt.Sprintf("%s-redirect=127.0.0.1:%d", l.Name, livetest.FreePort(t)))
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb syncBuf
	done := make(chan int)
	go func() { done <- cli.Run(ctx, args, strings.NewReader(""), &out, &errb) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Error("serve did not stop")
		}
	})
	livetest.WaitListening(t, authz)
	return g
}

// auditorKey is the API key of a consumer the test adds, whose role no
// route allows.
const auditorKey = "probe-auditor-key"

// addAuditor adds the auditor consumer to the policy's API-key provider.
func addAuditor(t *testing.T, p *ir.Policy) {
	t.Helper()
	sum := sha256.Sum256([]byte(auditorKey))
	for _, pv := range p.Providers {
		if pv.APIKey != nil {
			pv.APIKey.Consumers = append(pv.APIKey.Consumers, &ir.Consumer{Name: "auditor",
				KeyHash: "sha256:" + hex.EncodeToString(sum[:]), Roles: []string{"auditor"}})
			return
		}
	}
	t.Fatal("example has no API-key provider")
}

func public(p *ir.Policy) *ir.Listener {
	for _, l := range p.Listeners {
		if l.Name == "public" {
			return l
		}
	}
	return nil
}

func run(t *testing.T, p *ir.Policy, url string) drift.Result {
	t.Helper()
	r, err := probe.Run(context.Background(), p, probe.Options{URL: url, Listener: "public", Timeout: time.Minute, APIKey: auditorKey})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func text(r drift.Result) string {
	var b strings.Builder
	drift.WriteText(&b, []drift.Result{r}, false)
	return b.String()
}

// TestProbeNginx probes a real nginx (with rampart's authorizer) built
// from the example: every check passes; then a deliberately weakened
// config (TLS 1.1 and a weak suite allowed, auth_request and a limit_req
// removed, a body limit raised, a header dropped) must be caught.
func TestProbeNginx(t *testing.T) {
	g := startGateway(t)
	arts, err := nginx.New().Build(context.Background(), g.p)
	if err != nil {
		t.Fatal(err)
	}
	conf := string(arts[0].Data)
	url := fmt.Sprintf("https://127.0.0.1:%d", public(g.p).Port)
	ng := livetest.StartNginx(t, []byte(conf), strings.TrimPrefix(url, "https://"))
	r := run(t, g.p, url)
	if r.Drifted() || len(r.Checks) < 20 {
		t.Fatalf("untouched: %d checks\n%s", len(r.Checks), text(r))
	}
	ng.Reload(t, []byte(weakenNginx(t, conf)))
	r = run(t, g.p, url)
	want := []struct{ control, route, actual string }{
		{ir.CtlTLS, "", "1.1"},                              // TLS 1.1 accepted
		{ir.CtlTLS, "", "ECDHE-ECDSA-AES128-SHA"},           // CBC suite accepted
		{ir.CtlRateLimit, "identity/token", ""},             // limit_req removed
		{ir.CtlHeaders, "patient-records/patient", ""},      // X-Frame-Options dropped
		{ir.CtlBodyLimit, "patient-records/encounters", ""}, // body limit raised
		{ir.CtlAPIKey, "billing/claims", "502"},             // auth_request removed: proxied unauthenticated
		{ir.CtlAuthzRules, "billing/claims", "502"},         // … and to a wrong role
	}
	for _, w := range want {
		if !has(r, w.control, w.route, w.actual) {
			t.Errorf("weakening of %s on %q not caught", w.control, w.route)
		}
	}
	if len(r.Findings) != len(want) {
		t.Errorf("want exactly %d findings, got %d", len(want), len(r.Findings))
	}
	if t.Failed() {
		t.Log(text(r))
	}
}

// TestProbeProxy probes rampart's own proxy serving the example: every
// check passes; then its config file is weakened behind its back (a CBC
// suite, a route's rules opened to any authenticated caller, a rate limit and a header removed, a public
// route's body limit raised) and, once reloaded, each weakening must be caught.
func TestProbeProxy(t *testing.T) {
	g := startGateway(t)
	livetest.WaitListening(t, strings.TrimPrefix(g.proxyURL, "https://"))
	r := run(t, g.p, g.proxyURL)
	if r.Drifted() || len(r.Checks) < 20 {
		t.Fatalf("untouched: %d checks\n%s", len(r.Checks), text(r))
	}
	weakenProxy(t, g.conf)
	waitServed(t, g.admin, `"anyAuthenticated": true`) // serve polls its config file every 2 s
	r = run(t, g.p, g.proxyURL)
	want := []struct{ control, route, actual string }{
		{ir.CtlTLS, "", "ECDHE-ECDSA-AES128-SHA"},
		{ir.CtlRateLimit, "identity/token", ""},
		{ir.CtlHeaders, "patient-records/patient", ""},
		{ir.CtlBodyLimit, "identity/token", ""},
		{ir.CtlAuthzRules, "billing/claims", ""},
	}
	for _, w := range want {
		if !has(r, w.control, w.route, w.actual) {
			t.Errorf("weakening of %s on %q not caught", w.control, w.route)
		}
	}
	if len(r.Findings) != len(want) {
		t.Errorf("want exactly %d findings, got %d", len(want), len(r.Findings))
	}
	if t.Failed() {
		t.Log(text(r))
		for _, c := range r.Checks {
			t.Logf("%s %s %s %v", c.Control, c.Route, c.Name, c.Passed)
		}
	}
}

// weakenProxy edits the proxy's config file in place.
func weakenProxy(t *testing.T, path string) {
	t.Helper()
	data, _ := os.ReadFile(path)
	var c map[string]any
	if err := json.Unmarshal(data, &c); err != nil {
		t.Fatal(err)
	}
	for _, l := range c["listeners"].([]any) {
		l := l.(map[string]any)
		if l["name"] == "public" {
			tl := l["tls"].(map[string]any)
			tl["cipherSuites"] = append(tl["cipherSuites"].([]any), "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA")
		}
	}
	for _, r := range c["routes"].([]any) {
		r := r.(map[string]any)
		switch r["id"] {
		case "billing/claims":
			r["rules"] = []any{map[string]any{"anyAuthenticated": true}}
		case "identity/token":
			r["rateLimits"] = []any{}
			r["limits"].(map[string]any)["maxBodyBytes"] = 100 << 20
		case "patient-records/patient":
			var keep []any
			for _, h := range r["headers"].([]any) {
				if h.(map[string]any)["name"] != "X-Frame-Options" {
					keep = append(keep, h)
				}
			}
			r["headers"] = keep
		}
	}
	out, _ := json.MarshalIndent(c, "", "  ")
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

func has(r drift.Result, control, route, actual string) bool {
	for _, f := range r.Findings {
		if f.Control == control && f.Route == route && (actual == "" || f.Actual == actual) && f.Severity == drift.Weakening {
			return true
		}
	}
	return false
}

// weakenNginx applies the weakenings to the generated config: TLS 1.1
// and a CBC suite allowed, and per route location one weakening.
func weakenNginx(t *testing.T, conf string) string {
	t.Helper()
	conf = regexp.MustCompile(`ssl_protocols "TLSv1.2"`).ReplaceAllString(conf, `ssl_protocols "TLSv1.1" "TLSv1.2"`)
	conf = regexp.MustCompile(`ssl_ciphers "([^"]*)"`).ReplaceAllString(conf, `ssl_ciphers "$1:ECDHE-ECDSA-AES128-SHA:@SECLEVEL=0"`)
	edits := map[string]func(line string) (string, bool){
		"billing/claims":             drop(`            auth_request "`),
		"identity/token":             drop(`            limit_req `),
		"patient-records/patient":    drop(`            add_header "X-Frame-Options"`),
		"patient-records/encounters": replace(`client_max_body_size "`, `client_max_body_size "100m"; #`),
	}
	var out []string
	route, n := "", 0
	for _, line := range strings.Split(conf, "\n") {
		if id, ok := strings.CutPrefix(strings.TrimSpace(line), "# route "); ok {
			route = id
		}
		if line == "        }" {
			route = ""
		}
		if e := edits[route]; e != nil {
			var changed bool
			if line, changed = e(line); changed {
				n++
				if line == "" {
					continue
				}
			}
		}
		out = append(out, line)
	}
	if n < len(edits) {
		t.Fatalf("only %d edits applied", n)
	}
	return strings.Join(out, "\n")
}

func drop(prefix string) func(string) (string, bool) {
	return func(l string) (string, bool) {
		if strings.HasPrefix(l, prefix) {
			return "", true
		}
		return l, false
	}
}

func replace(old, new string) func(string) (string, bool) {
	return func(l string) (string, bool) {
		if strings.Contains(l, old) {
			return strings.Replace(l, old, new, 1), true
		}
		return l, false
	}
}

type syncBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (w *syncBuf) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

// waitServed waits until the proxy's admin /config shows want.
func waitServed(t *testing.T, admin, want string) {
	t.Helper()
	for i := 0; ; i++ {
		if resp, err := http.Get("http://" + admin + "/config"); err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if strings.Contains(string(b), want) {
				return
			}
		}
		if i == 200 {
			t.Fatalf("the proxy never served a config with %s", want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
