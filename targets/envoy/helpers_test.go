package envoy_test

import (
	"context"
	"testing"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
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
