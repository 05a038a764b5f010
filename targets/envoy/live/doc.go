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
// configurations by name). Both sides are reduced to one view of
// listeners (TLS context, connection manager, HTTP filters in order with
// their configs unpacked, virtual hosts and routes with their per-filter
// configs) and clusters; version_info, last_updated and secrets (which
// Envoy redacts) are never compared. Messages are compared with
// proto.Equal after unpacking, and shown as compact protojson only when
// they differ.
package live
