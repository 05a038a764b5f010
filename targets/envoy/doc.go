// Package envoy compiles the IR into a static Envoy v3 bootstrap
// (envoy.yaml and the same document as envoy.json) built from Envoy's own
// API types (go-control-plane). Every typed_config is packed with anypb,
// marshalled with protojson and normalised so the same IR gives the same
// bytes; Verify re-parses both artifacts into a Bootstrap, resolving every
// Any, and runs the generated ValidateAll() on the bootstrap and on every
// message packed inside it.
//
// Envoy enforces natively what its filters can: TLS and mTLS on the
// listener, routing, methods and content types (route matches and direct
// responses), CORS, IP- and header-keyed token buckets (local_ratelimit),
// body and header limits, timeouts, security headers, JWT verification
// (jwt_authn) and JWT-claim rules (rbac), and the JSON access log. What it
// cannot do — API keys, OAuth2 introspection, mTLS principals,
// auth-failure throttling, subject-, key- and shared limits, identity
// redaction in the log, JWT token-age checks — goes to rampart's
// authorizer over ext_authz (failure_mode_allow false); without an
// authorizer those controls are missing from Capabilities and the build
// fails closed.
//
// Envoy does not run on the machines rampart is tested on: the proof here
// is Envoy's API (protos and ValidateAll), not a running Envoy.
package envoy
