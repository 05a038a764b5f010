package server

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics are the proxy's Prometheus collectors, in a registry of their
// own (no global state).
type metrics struct {
	registry   *prometheus.Registry
	requests   *prometheus.CounterVec
	denials    *prometheus.CounterVec
	rateLimit  *prometheus.CounterVec
	upstream   *prometheus.HistogramVec
	reloads    *prometheus.CounterVec
	redisDown  prometheus.GaugeFunc
	authFailed *prometheus.CounterVec
}

// newMetrics builds the collectors; degraded reports whether shared limits
// currently fall back to local buckets.
func newMetrics(degraded func() bool) *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rampart_requests_total", Help: "Requests by route and status code.",
		}, []string{"route", "code"}),
		denials: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rampart_denials_total", Help: "Requests refused by rampart, by reason.",
		}, []string{"reason"}),
		rateLimit: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rampart_ratelimit_hits_total", Help: "Requests refused by a rate limit, by route.",
		}, []string{"route"}),
		upstream: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "rampart_upstream_latency_seconds", Help: "Time to the upstream's response headers.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 15),
		}, []string{"upstream"}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rampart_config_reloads_total", Help: "Config reloads by result.",
		}, []string{"result"}),
		redisDown: prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "rampart_ratelimit_redis_degraded", Help: "1 while shared limits fall back to local buckets.",
		}, func() float64 {
			if degraded() {
				return 1
			}
			return 0
		}),
		authFailed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rampart_auth_failures_total", Help: "Failed authentications by route.",
		}, []string{"route"}),
	}
	m.registry.MustRegister(m.requests, m.denials, m.rateLimit, m.upstream, m.reloads, m.redisDown, m.authFailed,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}
