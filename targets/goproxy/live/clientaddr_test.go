package live

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/proxy/config"
	"github.com/rampart-policy/rampart/targets/goproxy"
	"github.com/rampart-policy/rampart/targets/internal/golden"
)

// TestCompareClientAddress checks that a live proxy trusting more proxies
// than the policy, or believing a header where the policy keys on the
// peer, is reported as weakened, and trusting fewer as strengthened.
func TestCompareClientAddress(t *testing.T) {
	xff := func(r ...string) *config.ClientAddress {
		return &config.ClientAddress{From: config.FromXFF, TrustedProxies: r}
	}
	cases := []struct {
		name   string
		policy *ir.ClientAddress
		live   *config.ClientAddress
		want   []string // "path direction severity", sorted
	}{
		{"same", &ir.ClientAddress{From: ir.FromXFF, TrustedProxies: []string{"10.0.0.0/8"}}, xff("10.0.0.0/8"), nil},
		{"peer → header live", nil, xff("10.0.0.0/8"), []string{
			"listeners[public].clientAddress.from changed weakening",
			"listeners[public].clientAddress.trustedProxies unexpected weakening"}},
		{"range added live", &ir.ClientAddress{From: ir.FromXFF, TrustedProxies: []string{"10.0.0.0/8"}}, xff("10.0.0.0/8", "192.168.0.0/16"), []string{
			"listeners[public].clientAddress.trustedProxies unexpected weakening"}},
		{"range removed live", &ir.ClientAddress{From: ir.FromXFF, TrustedProxies: []string{"10.0.0.0/8", "192.168.0.0/16"}}, xff("10.0.0.0/8"), []string{
			"listeners[public].clientAddress.trustedProxies missing strengthening"}},
		{"header → PROXY protocol live", &ir.ClientAddress{From: ir.FromXFF, TrustedProxies: []string{"10.0.0.0/8"}},
			&config.ClientAddress{From: config.FromProxyProtocol, TrustedProxies: []string{"10.0.0.0/8"}}, []string{
				"listeners[public].clientAddress.from changed weakening"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := golden.ReadIR(t, "../testdata/full.ir.yaml")
			li := slices.IndexFunc(p.Listeners, func(l *ir.Listener) bool { return l.Name == "public" })
			p.Listeners[li].ClientAddress = tc.policy
			c, err := goproxy.Convert(p)
			if err != nil {
				t.Fatal(err)
			}
			c.Listeners[li].ClientAddress = tc.live
			raw, _ := json.Marshal(c)
			admin, _ := json.Marshal(map[string]any{"digest": c.Policy.Digest, "config": json.RawMessage(raw)})
			r, err := New().Compare(context.Background(), p, admin)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range r.Findings {
				if f.Control != ir.CtlClientAddress {
					t.Errorf("finding for %s: %s", f.Control, f.Message)
				}
				got = append(got, fmt.Sprintf("%s %s %s", f.Path, f.Direction, f.Severity))
			}
			slices.Sort(got)
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("findings %q, want %q", got, tc.want)
			}
		})
	}
}
