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
// Kong ignores it. kong.conf (TLS, listeners, nginx limits), which these
// endpoints do not show, is compared when the source is a kong.conf file
// or a directory holding one (conf.go), against Kong's defaults where a
// setting is absent.
//
// Kong's answers are large (Kong exports every field of every plugin's
// schema), so the decoders build only what drift compares (scope.go):
// JSON through jsonReader, and GET /config's YAML through blockReader, a
// reader of the block layout Kong's lyaml and yaml.v3 write that hands
// anything else to yaml.v3 and is held to it by a differential test and a
// fuzz target. A large answer's YAML is read in parts on every core,
// straight from the JSON string that carries it (blockesc.go). Both
// decoders read each distinct plugin config text once (configCache: a
// configuration repeats a few hundred configs over tens of thousands of
// plugins); plugins that share a config share its normalised value, and
// the comparer compares each pair of shared configs once (pairFields).
package live
