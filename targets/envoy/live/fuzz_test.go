package live

import (
	"testing"

	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/targets/envoy/internal/anyjson"
)

// FuzzParseDump: any input parses or fails cleanly, parses the same
// every time, and two parses of it compare (a full comparison: they
// share no message) without panicking and without drift.
func FuzzParseDump(f *testing.F) {
	f.Add([]byte(`{"configs":[]}`))
	f.Add([]byte(`{"configs":[{"@type":"type.googleapis.com/envoy.admin.v3.ListenersConfigDump","static_listeners":[{"listener":{"@type":"type.googleapis.com/envoy.config.listener.v3.Listener","name":"a","filter_chains":[{"filters":[{"name":"envoy.filters.network.http_connection_manager","typed_config":{"@type":"type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager","http_filters":[{"name":"envoy.filters.http.router","typed_config":{"@type":"type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"}}],"route_config":{"virtual_hosts":[{"name":"v","domains":["*"],"routes":[{"name":"r","match":{"prefix":"/"},"direct_response":{"status":404}}]}]}}}]}]}}]}]}`))
	f.Add([]byte(`{"configs":[{"@type":"type.googleapis.com/envoy.admin.v3.BootstrapConfigDump","bootstrap":{}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := parseDump(data, &anyjson.Decoder{}, nil)
		if err != nil {
			return
		}
		again, err := parseDump(data, &anyjson.Decoder{}, nil)
		if err != nil {
			t.Fatalf("parsed once, then failed: %v", err)
		}
		c := newComparer(&ir.Policy{})
		c.compare(v, again)
		if r := c.d.Result(); r.Drifted() {
			t.Fatalf("a dump drifts from itself: %+v", r.Findings)
		}
	})
}
