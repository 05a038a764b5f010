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

// TestParseNginxEscapes: words unescape as nginx's ngx_conf_read_token
// does, quoted or bare: \" \' \\ lose the backslash, \t \r \n become the
// control characters, any other \x stays; "${" does not open a block
// inside a bare word.
func TestParseNginxEscapes(t *testing.T) {
	src := `a "q\'s" 'd\"q' b\"c d\\e "t\tx" f\qg ${host}z "h\\\\";`
	tree, err := parse("x", src)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{`q's`, `d"q`, `b"c`, `d\e`, "t\tx", `f\qg`, `${host}z`, `h\\`}
	if got := tree[0].args; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("args\n got %q\nwant %q", got, want)
	}
	// An escaped '$' starts no variable: its '{' opens a block.
	tree, err = parse("x", `a x\${ b; }`)
	if err != nil || len(tree) != 1 || len(tree[0].block) != 1 || tree[0].args[0] != `x\$` {
		t.Errorf("escaped $: %v %+v", err, tree)
	}
}
