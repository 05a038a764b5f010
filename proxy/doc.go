// Package proxy is rampart's own reverse proxy runtime (`rampart serve`).
// It reads the goproxy target's versioned config (package proxy/config)
// and imports nothing from compiler/ or targets/.
package proxy
