package anyjson_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	adminv3 "github.com/envoyproxy/go-control-plane/envoy/admin/v3"
	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/rampart-policy/rampart/targets/envoy"
	"github.com/rampart-policy/rampart/targets/envoy/internal/anyjson"
	"github.com/rampart-policy/rampart/targets/internal/golden"
)

// same decodes data both ways into fresh messages like m and requires
// the same outcome: both refuse it, or both give equal messages.
func same(t *testing.T, data []byte, m proto.Message) {
	t.Helper()
	want, got := m.ProtoReflect().New().Interface(), m.ProtoReflect().New().Interface()
	werr := protojson.Unmarshal(data, want)
	gerr := anyjson.Unmarshal(data, got)
	switch {
	case (werr == nil) != (gerr == nil):
		t.Fatalf("protojson error %v, anyjson error %v\ninput: %.300q", werr, gerr, data)
	case werr == nil && !proto.Equal(want, got):
		t.Fatalf("anyjson decodes to another message than protojson\ninput: %.300q", data)
	}
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
			return strings.Replace(s, `"maxRequestBytes":`, `"maxRequestBites": 1, "maxRequestBytes":`, 1)
		},
		"unknown filter type": func(s string) string {
			return strings.Replace(s, "envoy.extensions.filters.http.rbac.v3.RBACPerRoute", "envoy.extensions.filters.http.rbac.v3.Nope", 1)
		},
		"duplicate field": func(s string) string {
			return strings.Replace(s, `"statPrefix":`, `"statPrefix": "x", "statPrefix":`, 1)
		},
		"duplicate @type": func(s string) string {
			return strings.Replace(s, `"@type": "type.googleapis.com/envoy.extensions.filters.http.buffer.v3.BufferPerRoute"`,
				`"@type": "type.googleapis.com/envoy.extensions.filters.http.buffer.v3.BufferPerRoute", "@type": "x"`, 1)
		},
		"bad duration":  func(s string) string { return strings.Replace(s, `"1s"`, `"1 second"`, 1) },
		"trailing data": func(s string) string { return s + "{}" },
		"proto field names": func(s string) string {
			return strings.ReplaceAll(strings.ReplaceAll(s, `"maxRequestBytes"`, `"max_request_bytes"`), `"typedPerFilterConfig"`, `"typed_per_filter_config"`)
		},
		"no white space": func(s string) string {
			var b bytes.Buffer
			if err := jsonCompact(&b, []byte(s)); err != nil {
				panic(err)
			}
			return b.String()
		},
		"escaped key": func(s string) string { return strings.Replace(s, `"statPrefix"`, `"stat\u0050refix"`, 1) },
		"escaped @type": func(s string) string {
			return strings.Replace(s, `"@type": "type.googleapis.com/envoy.extensions.filters.http.buffer.v3.BufferPerRoute"`,
				`"\u0040type": "type.googleapis.com/envoy.extensions.filters.http.buffer.v3.BufferPerRoute"`, 1)
		},
		"unknown field beside an Any": func(s string) string {
			return strings.Replace(s, `"typedConfig": {`, `"typedConfig": {}, "x_": {`, 1)
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
