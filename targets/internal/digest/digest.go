// Package digest computes the policy digest rampart writes into every
// artifact, so drift detection can tell which policy produced it.
package digest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/rampart-policy/rampart/compiler/ir"
)

// Policy returns "sha256:<hex>" over the IR version and the policy's
// sources (names relative to the policy directory, and their hashes), so
// it is the same wherever the policy is compiled from.
func Policy(p *ir.Policy) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n", ir.Version)
	for _, s := range p.Sources {
		fmt.Fprintf(h, "%s %s\n", s.SHA256, s.File)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}
