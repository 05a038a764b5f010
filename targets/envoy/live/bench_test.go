package live

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/rampart-policy/rampart/internal/drifttest"
)

// BenchmarkDriftEnvoy5000 times drift over a 5,000-route policy's full
// /config_dump (Want.Compare: parsing the dump, reducing it, the typed
// diff), untouched and with one route's timeout changed (found as
// drift). Building the policy's side (the envoy target's Build and
// reading its envoy.json, Expected) is timed once in setup and logged.
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
	for _, in := range []struct {
		name    string
		data    []byte
		drifted bool
	}{{"untouched", dump, false}, {"one-route-changed", oneRouteChanged(b, dump), true}} {
		b.Run(in.name, func(b *testing.B) {
			b.SetBytes(int64(len(in.data)))
			for range b.N {
				r, err := w.Compare(in.data)
				if err != nil || r.Drifted() != in.drifted {
					b.Fatalf("err %v, drifted %v", err, r.Drifted())
				}
			}
		})
	}
}

// oneRouteChanged raises the first 30 s route timeout in the dump's
// listeners dump (what Envoy serves) to 31 s.
func oneRouteChanged(b *testing.B, dump []byte) []byte {
	at := bytes.Index(dump, []byte("envoy.admin.v3.ListenersConfigDump"))
	k := bytes.Index(dump[max(at, 0):], []byte(`"timeout": "30s"`))
	if at < 0 || k < 0 {
		b.Fatal("no route timeout to change in the listeners dump")
	}
	out := append([]byte{}, dump[:at+k]...)
	out = append(out, `"timeout": "31s"`...)
	return append(out, dump[at+k+len(`"timeout": "30s"`):]...)
}
