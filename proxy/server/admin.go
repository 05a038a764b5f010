package server

import (
	"encoding/json"
	"net/http"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// adminHandler serves /healthz, /readyz, /metrics and /config. It listens
// on loopback by default: it tells what the policy is.
func (s *Server) adminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.metrics.registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /config", s.configz)
	return mux
}

// readyz is 200 when serving with every dependency healthy; 503 while
// starting, draining, or while shared limits fall back to local buckets.
func (s *Server) readyz(w http.ResponseWriter, _ *http.Request) {
	switch {
	case !s.ready.Load():
		http.Error(w, "not serving", http.StatusServiceUnavailable)
	case s.degraded():
		http.Error(w, "redis unavailable: shared rate limits are enforced per instance", http.StatusServiceUnavailable)
	default:
		w.Write([]byte("ready\n"))
	}
}

// configz returns the effective config and its policy digest, for drift
// detection. The config holds secret references only, never secrets.
func (s *Server) configz(w http.ResponseWriter, _ *http.Request) {
	st := s.state.Load()
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(map[string]any{"digest": st.cfg.Policy.Digest, "config": st.cfg})
}
