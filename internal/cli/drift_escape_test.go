package cli

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestDriftErrorEscapesLiveText: an error carrying text from the live
// side (here a hostile admin endpoint's error body) is printed without
// its terminal control sequences, and bounded in length.
func TestDriftErrorEscapesLiveText(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		w.Write([]byte("\x1b[2J\x1b[31mall good" + strings.Repeat("A", 100000)))
	}))
	defer srv.Close()
	code, _, stderr := runDriftCLI("--target", "goproxy", "--live", srv.URL, "../../examples/hospital-records")
	if code != ExitDriftError {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if strings.ContainsRune(stderr, '\x1b') || len(stderr) > 4000 {
		t.Errorf("stderr holds control characters or the whole body (%d bytes): %.300q", len(stderr), stderr)
	}
}
