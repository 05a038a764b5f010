package live

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"

	adminv3 "github.com/envoyproxy/go-control-plane/envoy/admin/v3"
	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/internal/drifttest"
	"github.com/rampart-policy/rampart/targets/envoy"
)

// This file builds what Envoy's admin /config_dump answers for a static
// bootstrap, with go-control-plane's admin/v3 types as Envoy's own
// config_dump.proto defines them: a BootstrapConfigDump, a
// ClustersConfigDump and a ListenersConfigDump with the static resources
// (each with last_updated), a ScopedRoutesConfigDump (empty), a
// RoutesConfigDump holding the listeners' inline route configurations as
// static route configs, and a SecretsConfigDump (empty: rampart's
// certificates are files, not SDS). Envoy is not run here.

// recordTime is the fixed last_updated of the recorded dump.
var recordTime = &timestamppb.Timestamp{Seconds: 1767225600}

// testRoutes and perService size the generated policy the tests use.
const testRoutes, perService = 81, 5

var (
	policyOnce sync.Once
	policy     *ir.Policy
	wantOnce   sync.Once
	wantSide   *Want
)

// testWant builds the policy's side once per test binary: the envoy
// build is the slow part of a comparison.
func testWant(t testing.TB) *Want {
	t.Helper()
	wantOnce.Do(func() {
		w, err := Expected(context.Background(), testPolicy(t))
		if err != nil {
			t.Fatal(err)
		}
		wantSide = w
	})
	if wantSide == nil {
		t.Fatal("no expected side")
	}
	return wantSide
}

// testPolicy compiles the generated policy once per test binary.
func testPolicy(t testing.TB) *ir.Policy {
	t.Helper()
	policyOnce.Do(func() { policy = drifttest.Trim(drifttest.Policy(t, testRoutes, "envoy"), perService) })
	if policy == nil {
		t.Fatal("the generated policy did not compile")
	}
	return policy
}

// bootstrap builds the policy's bootstrap.
func bootstrap(t testing.TB, p *ir.Policy) *bootstrapv3.Bootstrap {
	t.Helper()
	arts, err := envoy.New().Build(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	var bs bootstrapv3.Bootstrap
	for _, a := range arts {
		if a.Path == envoy.JSONFile {
			if err := protojson.Unmarshal(a.Data, &bs); err != nil {
				t.Fatal(err)
			}
		}
	}
	return &bs
}

func pack(t testing.TB, m proto.Message) *anypb.Any {
	t.Helper()
	a, err := anypb.New(m)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// configDump is /config_dump's answer for a static bootstrap.
func configDump(t testing.TB, bs *bootstrapv3.Bootstrap) *adminv3.ConfigDump {
	t.Helper()
	cl := &adminv3.ClustersConfigDump{}
	for _, c := range bs.GetStaticResources().GetClusters() {
		cl.StaticClusters = append(cl.StaticClusters, &adminv3.ClustersConfigDump_StaticCluster{Cluster: pack(t, c), LastUpdated: recordTime})
	}
	ls := &adminv3.ListenersConfigDump{}
	rs := &adminv3.RoutesConfigDump{}
	for _, l := range bs.GetStaticResources().GetListeners() {
		ls.StaticListeners = append(ls.StaticListeners, &adminv3.ListenersConfigDump_StaticListener{Listener: pack(t, l), LastUpdated: recordTime})
		hcm := &hcmv3.HttpConnectionManager{}
		if err := l.GetFilterChains()[0].GetFilters()[0].GetTypedConfig().UnmarshalTo(hcm); err != nil {
			t.Fatal(err)
		}
		rs.StaticRouteConfigs = append(rs.StaticRouteConfigs, &adminv3.RoutesConfigDump_StaticRouteConfig{
			RouteConfig: pack(t, hcm.GetRouteConfig()), LastUpdated: recordTime})
	}
	return &adminv3.ConfigDump{Configs: []*anypb.Any{
		pack(t, &adminv3.BootstrapConfigDump{Bootstrap: bs, LastUpdated: recordTime}),
		pack(t, cl), pack(t, ls), pack(t, &adminv3.ScopedRoutesConfigDump{}), pack(t, rs), pack(t, &adminv3.SecretsConfigDump{}),
	}}
}

// dumpJSON prints a dump as Envoy does (indented JSON), with stable
// whitespace.
func dumpJSON(t testing.TB, cd *adminv3.ConfigDump) []byte {
	t.Helper()
	b, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(cd)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", " "); err != nil {
		t.Fatal(err)
	}
	return append(out.Bytes(), '\n')
}

// recorded reads the recorded dump; RAMPART_UPDATE=1 records it first.
func recorded(t *testing.T) []byte {
	t.Helper()
	path := filepath.Join("testdata", "config_dump.json.gz")
	if os.Getenv("RAMPART_UPDATE") == "1" {
		drifttest.WriteGzip(t, path, dumpJSON(t, configDump(t, bootstrap(t, testPolicy(t)))))
	}
	return drifttest.ReadGzip(t, path)
}

// decodeDump parses a dump for tampering.
func decodeDump(t *testing.T, data []byte) *adminv3.ConfigDump {
	t.Helper()
	var cd adminv3.ConfigDump
	if err := protojson.Unmarshal(data, &cd); err != nil {
		t.Fatal(err)
	}
	return &cd
}

// TestRecordedIsCurrent checks the recorded dump is what the current
// build records to (RAMPART_UPDATE=1 refreshes it).
func TestRecordedIsCurrent(t *testing.T) {
	got := dumpJSON(t, decodeDump(t, recorded(t)))
	if want := dumpJSON(t, configDump(t, bootstrap(t, testPolicy(t)))); !bytes.Equal(want, got) {
		t.Fatal("testdata/config_dump.json is stale: RAMPART_UPDATE=1 go test ./targets/envoy/live/")
	}
}

// editListeners applies edit to every static listener's connection
// manager in the dump's listeners dump (what Envoy serves), repacking.
func editListeners(t *testing.T, cd *adminv3.ConfigDump, edit func(l *listenerv3.Listener, hcm *hcmv3.HttpConnectionManager) bool) {
	t.Helper()
	for i, a := range cd.Configs {
		ld := &adminv3.ListenersConfigDump{}
		if a.MessageIs(ld) {
			if err := a.UnmarshalTo(ld); err != nil {
				t.Fatal(err)
			}
			for _, sl := range ld.StaticListeners {
				l := &listenerv3.Listener{}
				sl.Listener.UnmarshalTo(l)
				f := l.GetFilterChains()[0].GetFilters()[0]
				hcm := &hcmv3.HttpConnectionManager{}
				f.GetTypedConfig().UnmarshalTo(hcm)
				if !edit(l, hcm) {
					continue
				}
				f.ConfigType = &listenerv3.Filter_TypedConfig{TypedConfig: pack(t, hcm)}
				sl.Listener = pack(t, l)
			}
			cd.Configs[i] = pack(t, ld)
		}
	}
}
