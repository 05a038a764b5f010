package live

import (
	"context"
	"testing"
	"time"

	"github.com/rampart-policy/rampart/internal/drifttest"
)

// BenchmarkDriftKong5000 times drift over a 5,000-route policy's Kong
// configuration as GET /config answers it: parsing and normalising the
// live side and the typed diff (Want.Compare). Building the policy's side
// (the kong target's Build, once per comparison) is timed once in setup
// and logged.
func BenchmarkDriftKong5000(b *testing.B) {
	p := drifttest.Policy(b, 5000, "kong")
	start := time.Now()
	w, err := Expected(context.Background(), p)
	if err != nil {
		b.Fatal(err)
	}
	build := time.Since(start)
	answer := configAnswer(b, record(b, deck(b, p)))
	b.Logf("kong: %d routes in the policy, %d Kong routes, /config answer %d bytes; building the policy's side took %s",
		5000, len(w.want.routes), len(answer), build)
	b.SetBytes(int64(len(answer)))
	b.ResetTimer()
	for range b.N {
		r, err := w.Compare(answer)
		if err != nil || r.Drifted() {
			b.Fatalf("err %v, drifted %v", err, r.Drifted())
		}
	}
}
