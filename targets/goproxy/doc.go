// Package goproxy compiles the IR into rampart-proxy.json, the versioned
// config of rampart's own reverse proxy (package proxy/config). The proxy
// is the reference enforcement of every control, so this target claims
// every capability; it verifies its output by strict decoding.
package goproxy
