// Package conformance holds the cross-gateway conformance suite: one
// policy, compiled for nginx and for rampart's own proxy, served by a
// real nginx and by rampart serve in front of the same upstream, and one
// table of requests both must answer the same way.
package conformance
