package server

import (
	"encoding/json"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/rampart-policy/rampart/proxy/config"
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
	return localOnly(mux)
}

// localOnly answers only requests addressed to a loopback name, so a
// DNS-rebinding page in an operator's browser cannot read the admin API.
func localOnly(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if hh, _, err := net.SplitHostPort(host); err == nil {
			host = hh
		}
		host = strings.Trim(host, "[]")
		if ip, err := netip.ParseAddr(host); (err == nil && ip.IsLoopback()) || host == "localhost" {
			h.ServeHTTP(w, r)
			return
		}
		http.Error(w, "admin API answers loopback host names only", http.StatusMisdirectedRequest)
	})
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
// detection. The config holds secret references only; API-key hashes are
// replaced by "[redacted]" too (the digest still covers them).
func (s *Server) configz(w http.ResponseWriter, _ *http.Request) {
	st := s.state.Load()
	cfg := redactedConfig(st.cfg)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(map[string]any{"digest": st.cfg.Policy.Digest, "config": cfg})
}

// redactedConfig copies cfg with API-key hashes hidden.
func redactedConfig(cfg *config.Config) *config.Config {
	c := *cfg
	c.Providers = make([]config.Provider, len(cfg.Providers))
	for i, p := range cfg.Providers {
		if p.APIKey != nil {
			k := *p.APIKey
			k.Consumers = make([]config.Consumer, len(p.APIKey.Consumers))
			for j, cs := range p.APIKey.Consumers {
				if cs.KeyHash != "" {
					cs.KeyHash = "[redacted]"
				}
				k.Consumers[j] = cs
			}
			p.APIKey = &k
		}
		c.Providers[i] = p
	}
	return &c
}
