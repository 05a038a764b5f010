package server

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/rampart-policy/rampart/proxy/config"
)

// FuzzRequest sends arbitrary paths and header values through the whole
// pipeline: nothing panics, and whatever reaches the upstream is a clean,
// declared path with the client's X-Rampart-* headers removed.
func FuzzRequest(f *testing.F) {
	f.Add("/healthz", "x", "X-Rampart-Subject")
	f.Add("/orders/../admin", "\xff", "Transfer-Encoding")
	f.Add("/orders%2f..", "a\r\nb", "X-API-Key")
	var mu sync.Mutex
	var seenPath, seenSpoof string
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seenPath, seenSpoof = r.URL.EscapedPath(), r.Header.Get("X-Rampart-Subject")
		mu.Unlock()
	}))
	defer up.Close()
	s, err := New(Options{Load: func() (*config.Config, error) { return testConfig(up.URL), nil }, AdminAddr: "off", AccessLog: discard{}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, rawPath, value, header string) {
		u, err := url.ParseRequestURI(rawPath)
		if err != nil {
			return
		}
		r := httptest.NewRequest("GET", "http://api.example.com/", nil)
		r.URL, r.RequestURI = u, u.RequestURI()
		if hk := http.CanonicalHeaderKey(header); header != "" && !strings.ContainsAny(header, " :\r\n") {
			r.Header.Set(hk, value)
		}
		mu.Lock()
		seenPath, seenSpoof = "", ""
		mu.Unlock()
		w := httptest.NewRecorder()
		s.handle("web", w, r)
		mu.Lock()
		defer mu.Unlock()
		if seenPath == "" {
			return
		}
		p, _ := url.PathUnescape(seenPath)
		if w.Code != 200 || !utf8.ValidString(p) || hasDotSegment(p) || strings.Contains(strings.ToLower(seenPath), "%2f") ||
			(p != "/healthz" && p != "/healthz/") {
			t.Fatalf("forwarded %q (status %d)", seenPath, w.Code)
		}
		if seenSpoof != "" {
			t.Fatalf("client-supplied X-Rampart-Subject %q reached the upstream", seenSpoof)
		}
	})
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
