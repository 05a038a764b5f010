package drift

import (
	"crypto/sha256"
	"encoding/hex"
)

// Fingerprint is how findings show a value that may be a secret (a
// credential header, a private key a live config holds inline): a short
// hash, so a change is still seen but the value never reaches drift
// output or CI logs. Equal values give equal fingerprints.
func Fingerprint(v string) string {
	sum := sha256.Sum256([]byte(v))
	return "[redacted sha256:" + hex.EncodeToString(sum[:6]) + "]"
}
