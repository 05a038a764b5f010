package live

import (
	"strings"
	"testing"
)

func TestParseLenient(t *testing.T) {
	src := "# configuration file /etc/nginx/nginx.conf:\nhttp {\n  include conf.d/*.conf; # trailing\n  log_format main '$remote_addr \"x\"' escape=json;\n}\n" +
		"# configuration file /etc/nginx/conf.d/a.conf:\nserver { listen 443 ssl; location = /a { add_header X-A \"q\\\"uote\" always; } }\n"
	tree, err := load([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	http := find(tree, "http")
	if http == nil || len(http.block) != 2 || http.block[0].name != "server" {
		t.Fatalf("include not inlined: %+v", http)
	}
	if got := http.block[1].args[1]; got != `$remote_addr "x"` {
		t.Errorf("single-quoted argument: %q", got)
	}
	loc := http.block[0].block[1]
	if loc.name != "location" || loc.block[0].args[1] != `q"uote` {
		t.Errorf("location: %+v", loc.block[0])
	}
	for _, bad := range []string{"http {", "}", "a \"b", "a b"} {
		if _, err := parse("x", bad); err == nil {
			t.Errorf("parse(%q) accepted", bad)
		}
	}
}

func TestMethodCheckHandWritten(t *testing.T) {
	tree, err := parse("x", "if ($request_method !~ ^(GET|HEAD)$) { return 405; }")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(methodCheck(tree), ","); got != "GET,HEAD" {
		t.Errorf("methods %q", got)
	}
}

// FuzzParse checks the parser never panics and that whatever it accepts
// normalises without panicking.
func FuzzParse(f *testing.F) {
	f.Add("http { server { listen 443 ssl; location / { limit_req zone=a burst=5; } } }")
	f.Add("# configuration file /x:\nhttp { include y; }\n# configuration file /y:\nserver{}")
	f.Add("a 'b\\'c' \"d\\\\\";")
	f.Fuzz(func(t *testing.T, src string) {
		if tree, err := load([]byte(src)); err == nil {
			normalise(tree)
		}
	})
}
