// Package server runs rampart's proxy: one HTTP(S) server per listener in
// the config, each request decided by proxy/engine and then forwarded
// upstream with limits enforced while streaming; an admin server with
// health, readiness, Prometheus metrics and the effective config; the
// authorizer endpoint for nginx auth_request and Envoy ext_authz; and hot
// reload, where a bad new config is refused and the old one keeps serving.
package server
