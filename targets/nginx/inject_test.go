package nginx_test

import (
	"context"
	"strings"
	"testing"

	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/targets/nginx"
)

// small is a one-route plaintext policy whose strings tests replace.
func small(host, path, name, value string) *ir.Policy {
	return &ir.Policy{
		Name:      "p",
		Listeners: []*ir.Listener{{Name: "l", Port: 8080, Hosts: []string{host}}},
		Services: []*ir.Service{{Name: "s", UpstreamURL: "http://127.0.0.1:9000", Listeners: []string{"l"}, Routes: []*ir.Route{{
			ID: "s/r", Name: "r", Service: "s", Path: path, Methods: []string{"GET"}, Public: true,
			Headers: ir.Headers{Set: []ir.Header{{Name: name, Value: value}}},
		}}}},
		Logging: ir.Logging{Enabled: true, Sink: "stdout", Fields: []string{"path", "status"}},
	}
}

// addHeaderValues returns the value argument of every add_header named
// name in the parsed config.
func addHeaderValues(t *testing.T, conf []byte, name string) []string {
	t.Helper()
	ds, err := nginx.Parse(conf)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	var walk func([]nginx.Directive)
	walk = func(ds []nginx.Directive) {
		for _, d := range ds {
			if d.Name == "add_header" && len(d.Args) == 3 && d.Args[0].Text() == name {
				out = append(out, d.Args[1].Text())
			}
			walk(d.Block)
		}
	}
	walk(ds)
	return out
}

// TestPolicyStringsCannotAddDirectives: a header value that would end a
// directive or quote out stays one argument (re-parsed and accepted by
// nginx -t); one that names a variable, holds a brace or a control
// character fails the build.
func TestPolicyStringsCannotAddDirectives(t *testing.T) {
	for _, v := range []string{`x; return 200 "owned"`, `"; return 200; #`, `"quoted" \ back\slash`, `default-src 'self'; frame-ancestors 'none'`} {
		arts, err := nginx.New().Build(context.Background(), small("a.example", "/r", "X-Test", v))
		if err != nil {
			t.Fatalf("Build(%q): %v", v, err)
		}
		got := addHeaderValues(t, arts[0].Data, "X-Test")
		if len(got) == 0 || got[0] != v {
			t.Errorf("value %q re-parsed as %q", v, got)
		}
		dir := t.TempDir()
		nginxCheck(t, dir, arts[0].Data)
	}
	for _, v := range []string{"$host", "${host}", "a } server { listen 1", "a\nb", "x\x00"} {
		if _, err := nginx.New().Build(context.Background(), small("a.example", "/r", "X-Test", v)); err == nil {
			t.Errorf("Build accepted header value %q", v)
		}
	}
}

// TestStructuralStringsValidated: hosts, paths and header names that are
// not plain names fail the build rather than reach the config.
func TestStructuralStringsValidated(t *testing.T) {
	cases := []struct{ host, path, name string }{
		{"a.example;", "/r", "X-Test"},
		{"~.*", "/r", "X-Test"},
		{"a.example", "/r;x", "X-Test"},
		{"a.example", "/r}", "X-Test"},
		{"a.example", "/r/$x", "X-Test"},
		{"a.example", "/_rampart_authz", "X-Test"},
		{"a.example", "/a/../b", "X-Test"},
		{"a.example", "/r", "X-Test: v"},
		{"a.example", "/r", "X\"T"},
	}
	for _, c := range cases {
		if _, err := nginx.New().Build(context.Background(), small(c.host, c.path, c.name, "v")); err == nil {
			t.Errorf("Build accepted %+v", c)
		}
	}
}

// TestPrinterRefusesVariablesInLiterals proves the printer's own check.
func TestPrinterRefusesVariablesInLiterals(t *testing.T) {
	for _, s := range []string{"$x", "a{", "}", "\t"} {
		if _, err := nginx.Print([]nginx.Directive{nginx.D("add_header", nginx.Lit("X"), nginx.Lit(s))}); err == nil {
			t.Errorf("Print accepted literal %q", s)
		}
	}
	out, err := nginx.Print([]nginx.Directive{nginx.D("proxy_set_header", nginx.Raw("X"), nginx.Raw("$remote_addr"))})
	if err != nil || !strings.Contains(string(out), `"$remote_addr"`) {
		t.Fatalf("Print(Raw) = %q, %v", out, err)
	}
}

// TestVerifyRejectsTampering proves the self-check can fail.
func TestVerifyRejectsTampering(t *testing.T) {
	ast := []nginx.Directive{nginx.B("http", nil, nginx.D("server_tokens", nginx.Raw("off")))}
	text, err := nginx.Print(ast)
	if err != nil {
		t.Fatal(err)
	}
	if err := nginx.Verify(text, ast); err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(string(text), `"off";`, `"off"; autoindex "on";`, 1)
	if err := nginx.Verify([]byte(bad), ast); err == nil {
		t.Fatal("Verify accepted an extra directive")
	}
}
