package live

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFetchGlobSkipsDotFiles: like glob(3), which nginx's include uses,
// a wildcard does not match a leading '.': a left-over conf.d/.old.conf
// is not part of the live config (checked against nginx -T, which lists
// only a.conf for this layout).
func TestFetchGlobSkipsDotFiles(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "conf.d"), 0o755)
	os.WriteFile(filepath.Join(dir, "nginx.conf"), []byte("events {}\nhttp { include conf.d/*.conf; include conf.d/.explicit.conf; }\n"), 0o644)
	for _, f := range []string{"a.conf", ".old.conf", ".explicit.conf"} {
		os.WriteFile(filepath.Join(dir, "conf.d", f), []byte("server { listen 80; }\n"), 0o644)
	}
	out, err := fetch(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	if !strings.Contains(s, "conf.d/a.conf:") || strings.Contains(s, ".old.conf") || !strings.Contains(s, ".explicit.conf:") {
		t.Errorf("included files:\n%s", s)
	}
}

// TestLoadRefusesFakeFileHeader: a comment in a config that mimics
// nginx -T's "# configuration file PATH:" line would cut the rest of the
// file off into a file nothing includes, hiding it from the comparison;
// such output is refused instead.
func TestLoadRefusesFakeFileHeader(t *testing.T) {
	src := "# configuration file /etc/nginx/nginx.conf:\nhttp { include conf.d/*.conf; }\n" +
		"# configuration file /etc/nginx/conf.d/a.conf:\nserver { listen 443 ssl; server_name a; }\n" +
		"# configuration file /ghost:\nserver { listen 443 ssl default_server; server_name evil; }\n"
	tree, err := load([]byte(src))
	if err == nil {
		c, _ := normalise(tree)
		t.Fatalf("accepted; servers seen: %d", len(c.servers))
	}
	if !strings.Contains(err.Error(), "/ghost") {
		t.Errorf("error does not name the file: %v", err)
	}
}

// TestLoadRefusesConflictingFileHeader: a mimicked header naming a file
// nginx -T prints anyway would have its text replaced by the real
// file's; two different texts under one name are refused.
func TestLoadRefusesConflictingFileHeader(t *testing.T) {
	src := "# configuration file /etc/nginx/nginx.conf:\nhttp { include conf.d/*.conf; }\n" +
		"# configuration file /etc/nginx/conf.d/a.conf:\nserver { listen 443 ssl; server_name a; }\n" +
		"# configuration file /etc/nginx/conf.d/b.conf:\nserver { listen 443 ssl default_server; server_name evil; }\n" +
		"# configuration file /etc/nginx/conf.d/b.conf:\n\n"
	if _, err := load([]byte(src)); err == nil || !strings.Contains(err.Error(), "b.conf") {
		t.Errorf("err = %v", err)
	}
	same := "# configuration file /etc/nginx/nginx.conf:\nhttp { include conf.d/*.conf; include conf.d/*.conf; }\n" +
		"# configuration file /etc/nginx/conf.d/a.conf:\nserver { listen 80; }\n" +
		"# configuration file /etc/nginx/conf.d/a.conf:\nserver { listen 80; }\n"
	if _, err := load([]byte(same)); err != nil {
		t.Errorf("a file printed twice (older nginx): %v", err)
	}
}
