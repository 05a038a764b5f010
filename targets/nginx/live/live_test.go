package live_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rampart-policy/rampart/compiler"
	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/drift"
	"github.com/rampart-policy/rampart/internal/livetest"
	"github.com/rampart-policy/rampart/targets/nginx"
	"github.com/rampart-policy/rampart/targets/nginx/live"
)

// compileExample compiles a shipped example and localises it.
func compileExample(t *testing.T, name string) *ir.Policy {
	t.Helper()
	p, diags, err := compiler.Compile(context.Background(), compiler.Input{Dir: "../../../examples/" + name}, compiler.Options{})
	if err != nil || diags.HasErrors() {
		t.Fatalf("compile: %v\n%v", err, diags)
	}
	dir := t.TempDir()
	livetest.Localise(t, p, livetest.NewCerts(t, dir), dir)
	return p
}

func build(t *testing.T, p *ir.Policy) string {
	t.Helper()
	arts, err := nginx.New().Build(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	return string(arts[0].Data)
}

// tamper applies the three weakenings of the issue to the first route
// location with a limit_req: TLS 1.0 also allowed on the first TLS server,
// that location's limit_req removed, its X-Content-Type-Options dropped.
// It returns the tampered text and the route's ID.
func tamper(t *testing.T, conf string) (string, string) {
	t.Helper()
	proto := regexp.MustCompile(`ssl_protocols [^;]*;`)
	loc := proto.FindStringIndex(conf)
	if loc == nil {
		t.Fatal("no ssl_protocols")
	}
	conf = conf[:loc[0]] + `ssl_protocols TLSv1 ` + conf[loc[0]+len("ssl_protocols "):]
	lines := strings.Split(conf, "\n")
	route := ""
	droppedLimit, droppedHeader := false, false
	var out []string
	for _, l := range lines {
		if id, ok := strings.CutPrefix(strings.TrimSpace(l), "# route "); ok && route == "" {
			route = "candidate:" + id
		}
		switch {
		case strings.HasPrefix(route, "candidate:") && !droppedLimit && strings.HasPrefix(l, "            limit_req "):
			droppedLimit, route = true, strings.TrimPrefix(route, "candidate:")
			continue
		case !strings.HasPrefix(route, "candidate:") && route != "" && !droppedHeader &&
			strings.HasPrefix(l, `            add_header "X-Content-Type-Options"`):
			droppedHeader = true
			continue
		case strings.HasPrefix(route, "candidate:") && strings.HasPrefix(strings.TrimSpace(l), "}") && strings.HasPrefix(l, "        }"):
			route = "" // location without limit_req: try the next one
		}
		out = append(out, l)
	}
	if !droppedLimit || !droppedHeader {
		t.Fatalf("tamper did not apply: limit %v header %v", droppedLimit, droppedHeader)
	}
	route, _, _ = strings.Cut(route, ",")
	return strings.Join(out, "\n"), route
}

// TestNginxDriftReal runs a real nginx on a compiled example: no drift
// when untouched; after tampering and a reload, each weakening is found
// with its control, route and direction, and nothing else is reported.
func TestNginxDriftReal(t *testing.T) {
	p := compileExample(t, "hospital-records")
	conf := build(t, p)
	addr := fmt.Sprintf("127.0.0.1:%d", p.Listeners[0].Port)
	ng := livetest.StartNginx(t, []byte(conf), addr)
	ctx := context.Background()
	r, err := drift.Run(ctx, live.New(), p, ng.Source())
	if err != nil {
		t.Fatal(err)
	}
	if r.Drifted() || len(r.Checks) < 50 {
		t.Fatalf("untouched: %d findings, %d checks: %+v", len(r.Findings), len(r.Checks), r.Findings)
	}
	bad, route := tamper(t, conf)
	ng.Reload(t, []byte(bad))
	r, err = drift.Run(ctx, live.New(), p, ng.Source())
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		control, route string
		dir            drift.Direction
		actual         string
	}{
		{ir.CtlHeaders, route, drift.Missing, ""},
		{ir.CtlRateLimit, route, drift.Missing, ""},
		{ir.CtlTLS, "", drift.Unexpected, "TLSv1"},
	}
	if len(r.Findings) != len(want) {
		t.Fatalf("want %d findings, got %d:\n%s", len(want), len(r.Findings), text(r))
	}
	for i, w := range want {
		f := r.Findings[i]
		if f.Control != w.control || f.Route != w.route || f.Direction != w.dir || f.Severity != drift.Weakening || (w.actual != "" && f.Actual != w.actual) {
			t.Errorf("finding %d: want %+v, got %+v", i, w, f)
		}
		if f.Origin.File == "" {
			t.Errorf("finding %d has no policy origin: %+v", i, f)
		}
	}
}

func text(r drift.Result) string {
	var b strings.Builder
	drift.WriteText(&b, []drift.Result{r}, false)
	return b.String()
}

// TestNginxDriftFromDisk reads a hand-written config from disk with an
// include, bare and single-quoted arguments, and finds a weakened body
// size, an unlimited one, and a lowered HSTS max-age.
func TestNginxDriftFromDisk(t *testing.T) {
	p := compileExample(t, "hospital-records")
	conf := build(t, p)
	// Move the http block's servers into an included file, unquoted.
	i := strings.Index(conf, "    server {")
	j := strings.LastIndex(conf, "}")
	servers := conf[i:j]
	main := conf[:i] + "    include conf.d/*.conf;\n" + conf[j:]
	unquoted := regexp.MustCompile(`"(\d+)"`).ReplaceAllString(servers, "$1")
	unquoted = strings.Replace(unquoted, `client_max_body_size 1048576;`, `client_max_body_size 10m;`, 1)
	dir := t.TempDir()
	write(t, dir+"/nginx.conf", main)
	write(t, dir+"/conf.d/servers.conf", unquoted)
	r, err := drift.Run(context.Background(), live.New(), p, dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Findings) != 1 || r.Findings[0].Control != ir.CtlBodyLimit || r.Findings[0].Direction != drift.Changed ||
		r.Findings[0].Severity != drift.Weakening || r.Findings[0].Actual != "10m" {
		t.Fatalf("want one body-size weakening, got:\n%s", text(r))
	}
	hsts := regexp.MustCompile(`max-age=\d+`).ReplaceAllString(unquoted, "max-age=300")
	write(t, dir+"/conf.d/servers.conf", hsts)
	r, _ = drift.Run(context.Background(), live.New(), p, dir)
	n := 0
	for _, f := range r.Findings {
		if f.Control == ir.CtlHSTS && f.Direction == drift.Changed && f.Severity == drift.Weakening && strings.Contains(f.Actual, "max-age=300") {
			n++
		}
	}
	if n == 0 {
		t.Fatalf("lowered HSTS not found:\n%s", text(r))
	}
}

func write(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}
