package live

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/targets/internal/golden"
	"github.com/rampart-policy/rampart/targets/nginx"
)

// TestCompareRealIP edits the realip settings of the clientaddr fixture's
// config (and of the plaintext fixture's, which keys on the peer) and
// checks each edit is reported under clientAddress with the right
// direction and severity, and nothing else.
func TestCompareRealIP(t *testing.T) {
	build := func(fixture string) (*ir.Policy, string) {
		p := golden.ReadIR(t, "../testdata/"+fixture+".ir.yaml")
		arts, err := nginx.New().Build(context.Background(), p)
		if err != nil {
			t.Fatal(err)
		}
		return p, string(arts[0].Data)
	}
	const web = `        set_real_ip_from "10.0.0.0/8";` + "\n" + `        set_real_ip_from "192.168.0.0/16";`
	cases := []struct {
		name, fixture, old, new string
		want                    []string // "directive direction severity", sorted
	}{
		{"trusted range widened", "clientaddr", web, "        set_real_ip_from 0.0.0.0/0;\n" + `        set_real_ip_from "192.168.0.0/16";`,
			[]string{"set_real_ip_from missing strengthening", "set_real_ip_from unexpected weakening"}},
		{"trusted range added", "clientaddr", web, web + "\n        set_real_ip_from 172.16.0.0/12;",
			[]string{"set_real_ip_from unexpected weakening"}},
		{"trusted range removed", "clientaddr", web, `        set_real_ip_from "10.0.0.0/8";`,
			[]string{"set_real_ip_from missing strengthening"}},
		{"header switched", "clientaddr", `real_ip_header "X-Forwarded-For";`, `real_ip_header X-Real-IP;`,
			[]string{"real_ip_header changed weakening"}},
		{"recursion off", "clientaddr", `real_ip_recursive "on";`, `real_ip_recursive off;`,
			[]string{"real_ip_recursive changed weakening"}},
		{"PROXY protocol dropped", "clientaddr", `listen "127.0.0.1:8081" "proxy_protocol";`, `listen "127.0.0.1:8081";`,
			[]string{"listen proxy_protocol changed weakening"}},
		{"peer → header live", "plaintext", `        server_name "";` + "\n", "        server_name \"\";\n        set_real_ip_from 10.0.0.0/8;\n        real_ip_header X-Forwarded-For;\n",
			[]string{"real_ip_header changed weakening", "set_real_ip_from unexpected weakening"}},
		{"trust at http level", "plaintext", `    server_tokens "off";`, "    server_tokens \"off\";\n    set_real_ip_from 10.0.0.0/8;",
			[]string{"set_real_ip_from unexpected weakening"}},
		{"location trusts more", "clientaddr", `        location "=" "/" {`, "        location \"=\" \"/\" {\n            set_real_ip_from 172.16.0.0/12;",
			// a location's own list replaces the server's
			[]string{"set_real_ip_from missing strengthening", "set_real_ip_from unexpected weakening"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, conf := build(tc.fixture)
			if !strings.Contains(conf, tc.old) {
				t.Fatalf("fixture lacks %q", tc.old)
			}
			r, err := New().Compare(context.Background(), p, []byte(strings.Replace(conf, tc.old, tc.new, 1)))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range r.Findings {
				if f.Control != ir.CtlClientAddress {
					t.Errorf("finding under %s: %s", f.Control, f.Message)
					continue
				}
				got = append(got, fmt.Sprintf("%s %s %s", f.Path[strings.LastIndexByte(f.Path, '.')+1:], f.Direction, f.Severity))
			}
			slices.Sort(got)
			got = slices.Compact(got)
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("findings %q, want %q\n%+v", got, tc.want, r.Findings)
			}
		})
	}
	for _, fixture := range []string{"clientaddr", "plaintext"} {
		p, conf := build(fixture)
		if r, err := New().Compare(context.Background(), p, []byte(conf)); err != nil || r.Drifted() {
			t.Errorf("%s untouched: %v %+v", fixture, err, r.Findings)
		}
	}
}
