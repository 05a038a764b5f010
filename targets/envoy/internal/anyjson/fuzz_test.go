package anyjson_test

import (
	"bytes"
	"encoding/json"
	"testing"

	adminv3 "github.com/envoyproxy/go-control-plane/envoy/admin/v3"

	// the types the dumps name
	_ "github.com/rampart-policy/rampart/targets/envoy"
)

func jsonCompact(b *bytes.Buffer, data []byte) error { return json.Compact(b, data) }

// FuzzUnmarshal: any input decodes as protojson decodes it — both refuse
// it, or both give equal messages.
func FuzzUnmarshal(f *testing.F) {
	f.Add([]byte(`{"configs":[]}`))
	f.Add([]byte(`{"configs":[{}]}`))
	f.Add([]byte(`{"configs":[{"@type":"type.googleapis.com/envoy.admin.v3.BootstrapConfigDump","bootstrap":{"node":{"id":"x"}}}]}`))
	f.Add([]byte(`{"configs":[{"@type":"type.googleapis.com/envoy.admin.v3.ListenersConfigDump","static_listeners":[{"listener":{"@type":"type.googleapis.com/envoy.config.listener.v3.Listener","name":"a","filter_chains":[{"filters":[{"name":"h","typed_config":{"@type":"type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager","stat_prefix":"s","route_config":{"virtual_hosts":[{"name":"v","domains":["*"],"typed_per_filter_config":{"r":{"@type":"type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBACPerRoute","rbac":{}}},"routes":[{"name":"r","match":{"prefix":"/"},"direct_response":{"status":404},"typed_per_filter_config":{"b":{"@type":"type.googleapis.com/envoy.extensions.filters.http.buffer.v3.BufferPerRoute","disabled":true}}}]}]}}}]}]}}]}]}`))
	f.Add([]byte(`{"configs":[{"@type":"type.googleapis.com/google.protobuf.Duration","value":"1s"}]}`))
	f.Add([]byte(`{"configs":[{"@type":"type.googleapis.com/envoy.admin.v3.BootstrapConfigDump","@type":"x"}]}`))
	f.Add([]byte(`{"configs":[{"@type":"type.googleapis.com/envoy.admin.v3.BootstrapConfigDump","last_updated":"2026-01-01T00:00:00Z","bootstrap":{"static_resources":{"listeners":[{"name":"\u0061"}]}}}]} `))
	f.Fuzz(func(t *testing.T, data []byte) {
		same(t, data, &adminv3.ConfigDump{})
	})
}
