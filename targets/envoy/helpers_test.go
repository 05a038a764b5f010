package envoy_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/targets/envoy"
)

// buildBoth runs the target and returns envoy.json and envoy.yaml.
func buildBoth(t testing.TB, p *ir.Policy) (jsonData, yamlData []byte) {
	t.Helper()
	arts, err := envoy.New().Build(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if len(arts) != 2 || arts[0].Path != envoy.JSONFile || arts[1].Path != envoy.YAMLFile {
		t.Fatalf("got %d artifacts, want %s and %s", len(arts), envoy.JSONFile, envoy.YAMLFile)
	}
	return arts[0].Data, arts[1].Data
}

// parseAll parses every artifact of p on its own (never trusting Build's
// own check) and requires both to be the same bootstrap.
func parseAll(t testing.TB, p *ir.Policy) []*bootstrapv3.Bootstrap {
	t.Helper()
	j, y := buildBoth(t, p)
	var out []*bootstrapv3.Bootstrap
	for name, data := range map[string][]byte{envoy.JSONFile: j, envoy.YAMLFile: y} {
		bs, err := envoy.Parse(data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out = append(out, bs)
	}
	a, _, _ := envoy.Marshal(out[0])
	b, _, _ := envoy.Marshal(out[1])
	if string(a) != string(b) {
		t.Fatal("envoy.json and envoy.yaml hold different bootstraps")
	}
	return out
}

// visit calls fn on every message below m (m included), unpacking every
// Any, so a check sees the typed filter and per-route configurations.
func visit(t testing.TB, m proto.Message, fn func(proto.Message)) {
	t.Helper()
	if a, ok := m.(*anypb.Any); ok {
		inner, err := a.UnmarshalNew()
		if err != nil {
			t.Fatalf("unpack %s: %v", a.GetTypeUrl(), err)
		}
		visit(t, inner, fn)
		return
	}
	fn(m)
	m.ProtoReflect().Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if fd.Kind() != protoreflect.MessageKind {
			return true
		}
		switch {
		case fd.IsList():
			for i := 0; i < v.List().Len(); i++ {
				visit(t, v.List().Get(i).Message().Interface(), fn)
			}
		case fd.IsMap():
			if fd.MapValue().Kind() == protoreflect.MessageKind {
				v.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool {
					visit(t, mv.Message().Interface(), fn)
					return true
				})
			}
		default:
			visit(t, v.Message().Interface(), fn)
		}
		return true
	})
}

// collect returns every message of type T below m.
func collect[T proto.Message](t testing.TB, m proto.Message) []T {
	t.Helper()
	var out []T
	visit(t, m, func(x proto.Message) {
		if v, ok := x.(T); ok {
			out = append(out, v)
		}
	})
	return out
}

// rangeMessages calls fn on each message directly inside m (fields, list
// elements, map values), without recursing.
func rangeMessages(m proto.Message, fn func(proto.Message)) {
	m.ProtoReflect().Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if fd.Kind() != protoreflect.MessageKind {
			return true
		}
		switch {
		case fd.IsList():
			for i := 0; i < v.List().Len(); i++ {
				fn(v.List().Get(i).Message().Interface())
			}
		case fd.IsMap():
			if fd.MapValue().Kind() == protoreflect.MessageKind {
				v.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool {
					fn(mv.Message().Interface())
					return true
				})
			}
		default:
			fn(v.Message().Interface())
		}
		return true
	})
}

// collectTLSParams returns the cipher suites of every downstream TLS
// context below m.
func collectTLSParams(t testing.TB, m proto.Message) [][]string {
	var out [][]string
	for _, c := range collect[*tlsv3.DownstreamTlsContext](t, m) {
		out = append(out, c.GetCommonTlsContext().GetTlsParams().GetCipherSuites())
	}
	return out
}

// placed is a route with the virtual host and route configuration it is
// in: what Envoy resolves the route's effective configuration from.
type placed struct {
	rc *routev3.RouteConfiguration
	vh *routev3.VirtualHost
	rt *routev3.Route
}

// placedRoutes returns every route below m, in order, with where it is.
func placedRoutes(t testing.TB, m proto.Message) []placed {
	t.Helper()
	var out []placed
	for _, rc := range collect[*routev3.RouteConfiguration](t, m) {
		for _, vh := range rc.GetVirtualHosts() {
			for _, rt := range vh.GetRoutes() {
				out = append(out, placed{rc, vh, rt})
			}
		}
	}
	return out
}

// perFilter is the configuration filter uses on the route, resolved as
// Envoy resolves the filters the target hoists: the route's own, else
// the virtual host's, else the route configuration's; nil when none.
func (p placed) perFilter(filter string) *anypb.Any {
	for _, m := range []map[string]*anypb.Any{p.rt.GetTypedPerFilterConfig(), p.vh.GetTypedPerFilterConfig(), p.rc.GetTypedPerFilterConfig()} {
		if a := m[filter]; a != nil {
			return a
		}
	}
	return nil
}

// responseHeaders are the headers Envoy sets on the route's responses, by
// lower-cased name, as its levels apply them: route, then virtual host,
// then route configuration (the reverse with
// most_specific_header_mutations_wins), each removing then adding; a
// later overwrite wins. Values are as written (with "%%").
func (p placed) responseHeaders() map[string]*corev3.HeaderValueOption {
	type level struct {
		add []*corev3.HeaderValueOption
		rm  []string
	}
	levels := []level{{p.rt.GetResponseHeadersToAdd(), p.rt.GetResponseHeadersToRemove()},
		{p.vh.GetResponseHeadersToAdd(), p.vh.GetResponseHeadersToRemove()},
		{p.rc.GetResponseHeadersToAdd(), p.rc.GetResponseHeadersToRemove()}}
	if p.rc.GetMostSpecificHeaderMutationsWins() {
		slices.Reverse(levels)
	}
	out := map[string]*corev3.HeaderValueOption{}
	for _, l := range levels {
		for _, n := range l.rm {
			delete(out, strings.ToLower(n))
		}
		for _, h := range l.add {
			k := strings.ToLower(h.GetHeader().GetKey())
			if _, ok := out[k]; ok && h.GetAppendAction() == corev3.HeaderValueOption_ADD_IF_ABSENT {
				continue
			}
			out[k] = h
		}
	}
	return out
}

// removesHeader reports whether the route's responses lose an upstream
// header called name (at any level).
func (p placed) removesHeader(name string) bool {
	for _, rm := range [][]string{p.rt.GetResponseHeadersToRemove(), p.vh.GetResponseHeadersToRemove(), p.rc.GetResponseHeadersToRemove()} {
		if slices.ContainsFunc(rm, func(n string) bool { return strings.EqualFold(n, name) }) {
			return true
		}
	}
	return false
}
