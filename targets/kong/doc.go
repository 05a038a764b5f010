// Package kong is the Kong Gateway target: it compiles the IR into a decK
// declarative file (kong.yaml, _format_version "3.0", for DB-less Kong)
// and the node settings a decK file cannot carry (kong.conf).
//
// Both artifacts are built from typed Go structs and printed by a
// deterministic encoder that double-quotes every string (encode.go);
// nothing is rendered from a text template. Controls Kong cannot enforce
// are left out of Capabilities (targets.Check fails closed), or, where
// only one route is affected, recorded as gaps that fail the build with a
// targets.RouteError unless a waiver covers them (plan.go). Build checks
// its own output (verify.go): the entity rules Kong enforces in code and a
// strict round trip. The tests also validate every artifact against
// Kong's published decK and plugin JSON Schemas in
// ../shared/reference/kong, which live outside the repository. Kong itself
// is not run.
package kong
