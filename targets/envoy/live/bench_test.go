package live

import (
	"context"
	"testing"
	"time"

	"github.com/rampart-policy/rampart/internal/drifttest"
)

// BenchmarkDriftEnvoy5000 times drift over a 5,000-route policy's full
// /config_dump: parsing the dump (every Any resolved), reducing it and
// the typed diff (Want.Compare). Building the policy's side (the envoy
// target's Build) is timed once in setup and logged.
func BenchmarkDriftEnvoy5000(b *testing.B) {
	p := drifttest.Policy(b, 5000, "envoy")
	start := time.Now()
	w, err := Expected(context.Background(), p)
	if err != nil {
		b.Fatal(err)
	}
	build := time.Since(start)
	dump := dumpJSON(b, configDump(b, bootstrap(b, p)))
	routes := 0
	for _, l := range w.want.listeners {
		for _, v := range l.vhosts {
			routes += len(v.routes)
		}
	}
	b.Logf("envoy: %d routes in the policy, %d Envoy routes, config_dump %d bytes; building the policy's side took %s",
		5000, routes, len(dump), build)
	b.SetBytes(int64(len(dump)))
	b.ResetTimer()
	for range b.N {
		r, err := w.Compare(dump)
		if err != nil || r.Drifted() {
			b.Fatalf("err %v, drifted %v", err, r.Drifted())
		}
	}
}
