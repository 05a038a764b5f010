package live

import (
	"fmt"
	"testing"
)

// TestResolveDashes holds the block decoder to yaml.v3 on plain scalars
// with a '-' past their start (innerDash): ids, and the signs yaml.v3
// reads after "0b", "0o" (also past an underscore) and in an exponent.
func TestResolveDashes(t *testing.T) {
	for _, s := range []string{
		"60306e71-66d3-6936-4748-6ba561f38b27", "1234567e-01", "1234567E-1", "12-3", "0b-101", "0o-17", "0b_-1", "0o_-7",
		"0b__-1", "-0b-1", "-0o-7", "0x-1", "0x1e-5", "1e-5", "12e-3", "1_000-1", "+0b-1", "0b1-0", "0b-1_0", "1e-", "1-e5",
		"100-", "1e-1-1", "0_b-1", "2e5-3", "1_e-5", "1e_-5",
	} {
		sameAsYAMLv3(t, s, fmt.Appendf(nil, "a: %s\n", s))
	}
}
