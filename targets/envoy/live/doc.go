// Package live reads what an Envoy runs — the admin interface's
// /config_dump, a saved dump, or a bootstrap file as deployed (envoy.json,
// envoy.yaml: what the Terraform source finds) — and compares it with the
// static v3 bootstrap the envoy target compiles from a policy, per
// control (drift.Live). The bootstrap's node metadata carries rampart's
// marker (policy, digest, IR version): Digest and PolicyName read it, and
// Compare reports a live bootstrap built from another policy or another
// version of this one as a neutral finding.
//
// The dump is parsed into go-control-plane's admin/v3 ConfigDump, every
// Any resolved (bootstrap, listeners, clusters, routes and secrets
// dumps; static and active dynamic listeners and clusters; RDS route
// configurations by name), as protojson parses it — an unknown field or
// type is an error — but with each distinct Any decoded once
// (targets/envoy/internal/anyjson): a dump holds every listener and route
// table two or three times, and each route table the same per-route
// configs many times. The live dump is read with a fork of the decoder
// that read the policy's envoy.json: a connection manager (or route)
// whose text is the policy's is the policy's message, taken whole; the
// dump's repeated copies are skipped unless the rest lacks them. A route
// table, or a route, that is the policy's own message takes the policy's
// reduction and its comparison with itself, recorded once (recordSelf),
// instead of being reduced and compared again — the same checks, made
// once (TestShortcutsChangeNothing compares the results with the long
// way's). Both sides are reduced to one view of listeners
// (TLS context, connection manager, HTTP filters in order with their
// configs unpacked, virtual hosts and routes with their effective
// per-filter configs and response headers: a route's own, else its
// virtual host's, else the route configuration's, as Envoy resolves them)
// and clusters; version_info, last_updated and secrets (which Envoy
// redacts) are never compared. Messages are compared with proto.Equal
// after unpacking (each pair of shared messages once), and shown as
// compact protojson only when they differ.
package live
