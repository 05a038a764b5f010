// Package live reads what a Kong gateway runs — the Admin API's GET
// /config (DB-less mode), the entity endpoints (/services, /routes,
// /plugins, /consumers, /acls, following `next` pagination) in DB mode,
// or a saved decK file — and compares it with what the kong target
// compiles from a policy, per control (drift.Live).
//
// Both sides are normalised the same way: the flat export of /config and
// the entity endpoints and the nested decK form become one model of
// services, routes with their effective plugins (route over service over
// global) and consumers with their ACL groups; server fields (id,
// created_at, updated_at, ws_id) are never read; Kong's schema defaults
// are filled for every compared plugin field (Defaults, checked against
// Kong's published plugin schemas in the tests); order is ignored where
// Kong ignores it. kong.conf (TLS, nginx limits) is not visible through
// these endpoints and is not compared.
package live
