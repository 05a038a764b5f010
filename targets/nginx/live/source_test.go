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
