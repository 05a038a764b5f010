package anyjson_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	adminv3 "github.com/envoyproxy/go-control-plane/envoy/admin/v3"
	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/rampart-policy/rampart/targets/envoy"
	"github.com/rampart-policy/rampart/targets/envoy/internal/anyjson"
	"github.com/rampart-policy/rampart/targets/internal/golden"
)

// same decodes data with protojson and with anyjson — a new decoder, one
// with parts (routeParts), and a fork of a decoder with parts that kept
// the recorded dump's texts (seeded) — into fresh messages like m, and
// requires the same outcome: all refuse it, or all give equal messages.
// The one difference allowed: a message of a part type whose name is a
// part placeholder's is refused by the decoders with parts.
func same(t *testing.T, data []byte, m proto.Message) {
	t.Helper()
	want := m.ProtoReflect().New().Interface()
	werr := protojson.Unmarshal(data, want)
	for _, d := range []struct {
		name string
		dec  *anyjson.Decoder
	}{{"anyjson", &anyjson.Decoder{}}, {"anyjson with parts", &anyjson.Decoder{Parts: routeParts}},
		{"a fork of a seeded decoder", seeded(t).Fork()}} {
		got := m.ProtoReflect().New().Interface()
		gerr := d.dec.Unmarshal(data, got)
		if werr == nil && d.dec.Parts != nil && namedLikePlaceholder(want.ProtoReflect()) {
			if gerr == nil {
				t.Fatalf("%s took a message named like a part placeholder\ninput: %.300q", d.name, data)
			}
			continue
		}
		switch {
		case (werr == nil) != (gerr == nil):
			t.Fatalf("protojson error %v, %s error %v\ninput: %.300q", werr, d.name, gerr, data)
		case werr == nil && !proto.Equal(want, got):
			t.Fatalf("%s decodes to another message than protojson\ninput: %.300q", d.name, data)
		}
	}
}

// routeParts are the parts the tests decode apart.
var routeParts = map[protoreflect.FullName]bool{"envoy.config.route.v3.Route": true, "envoy.config.route.v3.VirtualHost": true}

// namedLikePlaceholder reports a message of a routeParts type, anywhere
// below m (Anys unpacked), whose name starts as a part placeholder's.
func namedLikePlaceholder(m protoreflect.Message) bool {
	found := false
	if routeParts[m.Descriptor().FullName()] && strings.HasPrefix(m.Get(m.Descriptor().Fields().ByName("name")).String(), "\x00anyjson.part/") {
		return true
	}
	if a, ok := m.Interface().(*anypb.Any); ok {
		if inner, err := a.UnmarshalNew(); err == nil {
			return namedLikePlaceholder(inner.ProtoReflect())
		}
		return false
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.Kind() != protoreflect.MessageKind:
		case fd.IsList():
			for i := 0; i < v.List().Len() && !found; i++ {
				found = namedLikePlaceholder(v.List().Get(i).Message())
			}
		case fd.IsMap():
			if fd.MapValue().Kind() == protoreflect.MessageKind {
				v.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool {
					found = namedLikePlaceholder(mv.Message())
					return !found
				})
			}
		default:
			found = namedLikePlaceholder(v.Message())
		}
		return !found
	})
	return found
}

var seed struct {
	once sync.Once
	dec  *anyjson.Decoder
}

// seeded is a decoder with parts that has read the recorded dump keeping
// its texts; it is only forked, never used again.
func seeded(t testing.TB) *anyjson.Decoder {
	seed.once.Do(func() {
		d := &anyjson.Decoder{KeepText: true, Parts: routeParts}
		var cd adminv3.ConfigDump
		if err := d.Unmarshal(recordedDump(t), &cd); err != nil {
			panic(err)
		}
		seed.dec = d
	})
	return seed.dec
}

// recordedDump is the Envoy live source's recorded /config_dump.
func recordedDump(t testing.TB) []byte {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "live", "testdata", "config_dump.json.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestSameAsProtojson: the recorded config_dump and the bootstrap of every
// envoy golden fixture (JSON) decode to what protojson decodes them to.
func TestSameAsProtojson(t *testing.T) {
	dump := recordedDump(t)
	same(t, dump, &adminv3.ConfigDump{})
	paths, err := filepath.Glob("../../testdata/*.ir.yaml")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, path := range paths {
		arts, err := envoy.New().Build(context.Background(), golden.ReadIR(t, path))
		if err != nil {
			t.Fatal(err)
		}
		same(t, arts[0].Data, &bootstrapv3.Bootstrap{})
	}
}

// TestRefusesWhatProtojsonRefuses: edits of the recorded dump that
// protojson refuses — an unknown field, a duplicate, an unknown type, a
// bad value, inside an Any nested in Anys — are refused; edits it takes
// (another spelling of a field name, white space) decode the same.
func TestRefusesWhatProtojsonRefuses(t *testing.T) {
	dump := string(recordedDump(t))
	edits := map[string]func(string) string{
		"unknown field in a per-route config": func(s string) string {
			return strings.Replace(s, `"max_request_bytes":`, `"max_request_bites": 1, "max_request_bytes":`, 1)
		},
		"unknown filter type": func(s string) string {
			return strings.Replace(s, "envoy.extensions.filters.http.rbac.v3.RBACPerRoute", "envoy.extensions.filters.http.rbac.v3.Nope", 1)
		},
		"duplicate field": func(s string) string {
			return strings.Replace(s, `"stat_prefix":`, `"stat_prefix": "x", "stat_prefix":`, 1)
		},
		"duplicate @type": func(s string) string {
			return strings.Replace(s, `"@type": "type.googleapis.com/envoy.extensions.filters.http.buffer.v3.BufferPerRoute"`,
				`"@type": "type.googleapis.com/envoy.extensions.filters.http.buffer.v3.BufferPerRoute", "@type": "x"`, 1)
		},
		"bad duration":  func(s string) string { return strings.Replace(s, `"1s"`, `"1 second"`, 1) },
		"trailing data": func(s string) string { return s + "{}" },
		"JSON field names": func(s string) string {
			return strings.ReplaceAll(strings.ReplaceAll(s, `"max_request_bytes"`, `"maxRequestBytes"`), `"typed_per_filter_config"`, `"typedPerFilterConfig"`)
		},
		"both spellings of one field": func(s string) string {
			return strings.Replace(s, `"stat_prefix":`, `"statPrefix": "x", "stat_prefix":`, 1)
		},
		"no white space": func(s string) string {
			var b bytes.Buffer
			if err := jsonCompact(&b, []byte(s)); err != nil {
				panic(err)
			}
			return b.String()
		},
		"escaped key": func(s string) string { return strings.Replace(s, `"stat_prefix"`, `"stat\u005fprefix"`, 1) },
		"escaped @type": func(s string) string {
			return strings.Replace(s, `"@type": "type.googleapis.com/envoy.extensions.filters.http.buffer.v3.BufferPerRoute"`,
				`"\u0040type": "type.googleapis.com/envoy.extensions.filters.http.buffer.v3.BufferPerRoute"`, 1)
		},
		"unknown field beside an Any": func(s string) string {
			return strings.Replace(s, `"typed_config": {`, `"typed_config": {}, "x_": {`, 1)
		},
	}
	for name, edit := range edits {
		t.Run(name, func(t *testing.T) {
			data := edit(dump)
			if data == dump {
				t.Fatal("the edit changed nothing")
			}
			same(t, []byte(data), &adminv3.ConfigDump{})
		})
	}
}

// TestUnpack: every Any of the decoded dump unpacks, through the
// decoder, to the message its bytes hold; most come from the decoder.
func TestUnpack(t *testing.T) {
	var d anyjson.Decoder
	var cd adminv3.ConfigDump
	if err := d.Unmarshal(recordedDump(t), &cd); err != nil {
		t.Fatal(err)
	}
	n := 0
	var walk func(m protoreflect.Message)
	walk = func(m protoreflect.Message) {
		m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
			visit := func(mv protoreflect.Message) {
				a, ok := mv.Interface().(*anypb.Any)
				if !ok {
					walk(mv)
					return
				}
				got, err := d.Unpack(a)
				if err != nil {
					t.Fatal(err)
				}
				want, err := a.UnmarshalNew()
				if err != nil {
					t.Fatal(err)
				}
				if !proto.Equal(got, want) {
					t.Fatalf("%s: Unpack differs from UnmarshalNew", a.TypeUrl)
				}
				n++
				walk(got.ProtoReflect())
			}
			switch {
			case fd.Kind() != protoreflect.MessageKind:
			case fd.IsList():
				for i := 0; i < v.List().Len(); i++ {
					visit(v.List().Get(i).Message())
				}
			case fd.IsMap():
				if fd.MapValue().Kind() == protoreflect.MessageKind {
					v.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool { visit(mv.Message()); return true })
				}
			default:
				visit(v.Message())
			}
			return true
		})
	}
	walk(cd.ProtoReflect())
	if n < 100 {
		t.Fatalf("only %d Anys", n)
	}
}

// hcms unpacks, through d, the connection managers of the listeners
// dump's static listeners in cd.
func hcms(t *testing.T, d *anyjson.Decoder, cd *adminv3.ConfigDump) []proto.Message {
	t.Helper()
	var out []proto.Message
	for _, a := range cd.GetConfigs() {
		m, err := d.Unpack(a)
		if err != nil {
			t.Fatal(err)
		}
		ld, ok := m.(*adminv3.ListenersConfigDump)
		if !ok {
			continue
		}
		for _, sl := range ld.GetStaticListeners() {
			lm, err := d.Unpack(sl.GetListener())
			if err != nil {
				t.Fatal(err)
			}
			l := lm.(*listenerv3.Listener)
			hm, err := d.Unpack(l.GetFilterChains()[0].GetFilters()[0].GetTypedConfig())
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, hm)
		}
	}
	if len(out) == 0 {
		t.Fatal("no connection managers in the dump")
	}
	return out
}

// TestForkShares: a fork of a decoder that kept the texts of a dump
// takes the connection managers of the same dump (other white space) as
// the very messages the base decoded; a connection manager with one
// value changed deep inside is decoded afresh, as protojson decodes it.
// The base is not changed by its fork.
func TestForkShares(t *testing.T) {
	dump := recordedDump(t)
	base := &anyjson.Decoder{KeepText: true}
	var bcd adminv3.ConfigDump
	if err := base.Unmarshal(dump, &bcd); err != nil {
		t.Fatal(err)
	}
	want := hcms(t, base, &bcd)
	var compact bytes.Buffer
	if err := jsonCompact(&compact, dump); err != nil {
		t.Fatal(err)
	}
	f := base.Fork()
	var fcd adminv3.ConfigDump
	if err := f.Unmarshal(compact.Bytes(), &fcd); err != nil {
		t.Fatal(err)
	}
	for i, got := range hcms(t, f, &fcd) {
		if got != want[i] {
			t.Errorf("connection manager %d: the fork decoded it again, not sharing the base's", i)
		}
	}
	at := bytes.Index(dump, []byte("envoy.admin.v3.ListenersConfigDump"))
	tampered := string(dump[:at]) + strings.Replace(string(dump[at:]), `"max_request_bytes": 1048576`, `"max_request_bytes": 1048577`, 1)
	if at < 0 || tampered == string(dump) {
		t.Fatal("the tamper changed nothing")
	}
	same(t, []byte(tampered), &adminv3.ConfigDump{})
	f = base.Fork()
	var tcd adminv3.ConfigDump
	if err := f.Unmarshal([]byte(tampered), &tcd); err != nil {
		t.Fatal(err)
	}
	shared := 0
	for i, got := range hcms(t, f, &tcd) {
		if got == want[i] {
			shared++
		}
	}
	if shared != len(want)-1 {
		t.Errorf("%d of %d connection managers shared after one was changed, want %d", shared, len(want), len(want)-1)
	}
	for i, again := range hcms(t, base, &bcd) {
		if again != want[i] || !proto.Equal(again, want[i]) {
			t.Errorf("connection manager %d changed in the base", i)
		}
	}
}

// TestSkip: fields named in Skip are left unset, the rest decodes as
// protojson decodes it.
func TestSkip(t *testing.T) {
	dump := recordedDump(t)
	d := &anyjson.Decoder{Skip: map[protoreflect.FullName]bool{
		"envoy.config.bootstrap.v3.Bootstrap.static_resources": true,
		"envoy.admin.v3.RoutesConfigDump.static_route_configs": true,
	}}
	var got, want adminv3.ConfigDump
	if err := d.Unmarshal(dump, &got); err != nil {
		t.Fatal(err)
	}
	if err := protojson.Unmarshal(dump, &want); err != nil {
		t.Fatal(err)
	}
	cleared := 0
	for i, a := range want.GetConfigs() {
		m, err := a.UnmarshalNew()
		if err != nil {
			t.Fatal(err)
		}
		switch x := m.(type) {
		case *adminv3.BootstrapConfigDump:
			x.GetBootstrap().StaticResources = nil
			cleared++
		case *adminv3.RoutesConfigDump:
			x.StaticRouteConfigs = nil
			cleared++
		}
		g, err := d.Unpack(got.GetConfigs()[i])
		if err != nil {
			t.Fatal(err)
		}
		if !proto.Equal(g, m) {
			t.Errorf("configs[%d] (%s) differs from protojson's with the skipped fields cleared", i, a.GetTypeUrl())
		}
	}
	if cleared != 2 {
		t.Fatalf("%d skipped fields found in the dump, want 2", cleared)
	}
}

// routesOf collects the routes of the connection managers.
func routesOf(ms []proto.Message) []*routev3.Route {
	var out []*routev3.Route
	for _, m := range ms {
		for _, vh := range m.(*hcmv3.HttpConnectionManager).GetRouteConfig().GetVirtualHosts() {
			out = append(out, vh.GetRoutes()...)
		}
	}
	return out
}

// TestParts: with routes as parts, a fork reading a dump in which one
// route of one connection manager changed decodes that route afresh (as
// protojson decodes the dump) and shares every other route with the
// decoder it was forked from.
func TestParts(t *testing.T) {
	dump := recordedDump(t)
	base := &anyjson.Decoder{KeepText: true, Parts: routeParts}
	var bcd adminv3.ConfigDump
	if err := base.Unmarshal(dump, &bcd); err != nil {
		t.Fatal(err)
	}
	known := map[*routev3.Route]bool{}
	for _, r := range routesOf(hcms(t, base, &bcd)) {
		known[r] = true
	}
	at := bytes.Index(dump, []byte("envoy.admin.v3.ListenersConfigDump"))
	tampered := []byte(string(dump[:at]) + strings.Replace(string(dump[at:]), `"timeout": "30s"`, `"timeout": "31s"`, 1))
	if at < 0 || bytes.Equal(tampered, dump) {
		t.Fatal("the tamper changed nothing")
	}
	same(t, tampered, &adminv3.ConfigDump{})
	f := base.Fork()
	var cd adminv3.ConfigDump
	if err := f.Unmarshal(tampered, &cd); err != nil {
		t.Fatal(err)
	}
	routes := routesOf(hcms(t, f, &cd))
	var fresh []*routev3.Route
	for _, r := range routes {
		if !known[r] {
			fresh = append(fresh, r)
		}
	}
	if len(fresh) != 1 || fresh[0].GetRoute().GetTimeout().GetSeconds() != 31 {
		t.Fatalf("%d of %d routes decoded afresh, want the one changed", len(fresh), len(routes))
	}
}

// TestPartNameRefused: a route named like a part placeholder is refused
// by a decoder with parts (protojson takes it), not swapped for a part.
func TestPartNameRefused(t *testing.T) {
	dump := recordedDump(t)
	named := bytes.Replace(dump, []byte(`"name": "customers/create-records"`), []byte(`"name": "\u0000anyjson.part/0"`), 1)
	if bytes.Equal(named, dump) {
		t.Fatal("the edit changed nothing")
	}
	if err := protojson.Unmarshal(named, &adminv3.ConfigDump{}); err != nil {
		t.Fatalf("protojson refuses the name: %v", err)
	}
	if err := (&anyjson.Decoder{Parts: routeParts}).Unmarshal(named, &adminv3.ConfigDump{}); err == nil {
		t.Fatal("a route named like a placeholder was taken")
	}
	same(t, named, &adminv3.ConfigDump{})
}
