// Package ir is rampart's intermediate representation: one resolved,
// typed policy that every target reads and none writes. Baselines,
// defaults and inheritance are applied once, in lowering; each route
// carries its effective controls, and values carry their origin so later
// messages can point at the policy. The package uses only the standard
// library.
package ir
