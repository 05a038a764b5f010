package drift

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestGetAndErrorBody: Get reads at most the limit and sends Accept; an
// error body is quoted trimmed and cut to 512 bytes.
func TestGetAndErrorBody(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
		w.Write([]byte(" " + r.Header.Get("Accept") + strings.Repeat("x", 4096)))
	}))
	defer srv.Close()
	status, body, err := Get(context.Background(), nil, srv.URL, "application/json", 1000)
	if err != nil || status != http.StatusBadGateway || len(body) != 1000 {
		t.Fatalf("Get: status %d, %d bytes, %v; want 502, 1000 bytes", status, len(body), err)
	}
	msg := ErrorBody(body)
	if !strings.HasPrefix(msg, "application/json") || len(msg) != maxErrorBody+len("…") {
		t.Errorf("ErrorBody gave %d bytes starting %.20q", len(msg), msg)
	}
}
