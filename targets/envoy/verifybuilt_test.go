package envoy

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/rampart-policy/rampart/targets/internal/golden"
)

// builtFixture builds a golden fixture's bootstrap and compact JSON.
func builtFixture(t testing.TB, name string) (*bootstrapv3.Bootstrap, []byte) {
	t.Helper()
	bs, err := newEmitter(golden.ReadIR(t, filepath.Join("testdata", name+".ir.yaml"))).bootstrap()
	if err != nil {
		t.Fatal(err)
	}
	compact, err := marshalCompact(bs)
	if err != nil {
		t.Fatal(err)
	}
	return bs, compact
}

// TestVerifyBuiltWire: for every fixture, envoy.json parses back to a
// bootstrap with the built one's wire encoding, so Build's JSON check
// takes the fast path.
func TestVerifyBuiltWire(t *testing.T) {
	for _, name := range []string{"authorizer", "clientaddr", "cors", "full", "headerlimits", "mtls", "native", "plaintext"} {
		bs, compact := builtFixture(t, name)
		data, err := indentJSON(compact)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Parse(data)
		if err != nil {
			t.Fatal(err)
		}
		if !sameWire(got, bs) {
			t.Errorf("%s: envoy.json parses to another wire encoding than the built bootstrap's", name)
		}
		if err := verifyBuilt(data, bs); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestVerifyBuiltRefuses: an envoy.json that is a valid bootstrap, but
// not the built one, fails; one that is the built bootstrap with an Any
// packed into other bytes (an unknown field, which JSON does not show)
// passes through the JSON comparison.
func TestVerifyBuiltRefuses(t *testing.T) {
	bs, compact := builtFixture(t, "full")
	data, err := indentJSON(compact)
	if err != nil {
		t.Fatal(err)
	}
	other := bytes.Replace(data, []byte(`"stat_prefix": "`), []byte(`"stat_prefix": "x`), 1)
	if bytes.Equal(other, data) {
		t.Fatal("not tampered")
	}
	if _, err := Parse(other); err != nil {
		t.Fatalf("the tampered bootstrap should still parse: %v", err)
	}
	if err := verifyBuilt(other, bs); err == nil || !strings.Contains(err.Error(), "does not parse back") {
		t.Fatalf("a different bootstrap passes: %v", err)
	}

	repacked := proto.Clone(bs).(*bootstrapv3.Bootstrap)
	a := repacked.GetStaticResources().GetListeners()[0].GetFilterChains()[0].GetFilters()[0].GetTypedConfig()
	if a == nil {
		t.Fatal("no typed_config to repack")
	}
	a.Value = protowire.AppendVarint(protowire.AppendTag(bytes.Clone(a.Value), 9999, protowire.VarintType), 1)
	if _, err := anypb.UnmarshalNew(a, proto.UnmarshalOptions{}); err != nil {
		t.Fatal(err)
	}
	if sameWire(repacked, bs) {
		t.Fatal("the repacked bootstrap has the same wire encoding")
	}
	if err := verifyBuilt(data, repacked); err != nil {
		t.Fatalf("the same bootstrap, packed otherwise, fails: %v", err)
	}
}

// TestParseValidatesInsideAnys: a packed configuration that fails its
// ValidateAll deep inside Anys (a local_ratelimit without a stat_prefix,
// inside the connection manager) is refused: pruning the walk by type
// (mayHoldAny) does not skip it.
func TestParseValidatesInsideAnys(t *testing.T) {
	_, compact := builtFixture(t, "full")
	bad := bytes.Replace(compact, []byte(`"stat_prefix":"rampart_ratelimit"`), []byte(`"stat_prefix":""`), 1)
	if bytes.Equal(bad, compact) {
		t.Fatal("no local_ratelimit to break")
	}
	if _, err := Parse(bad); err == nil || !strings.Contains(err.Error(), "StatPrefix") {
		t.Fatalf("Parse error %v, want local_ratelimit's StatPrefix", err)
	}
}

// TestMayHoldAny: types with an Any below them are looked into, types
// without are not, recursive types are looked into.
func TestMayHoldAny(t *testing.T) {
	memo := map[protoreflect.FullName]bool{}
	for m, want := range map[proto.Message]bool{
		&bootstrapv3.Bootstrap{}: true, &routev3.Route{}: true, &anypb.Any{}: true, &structpb.Struct{}: true,
		&durationpb.Duration{}: false, &matcherv3.RegexMatcher{}: false, &corev3.HeaderValue{}: false,
	} {
		if got := mayHoldAny(memo, m.ProtoReflect().Descriptor()); got != want {
			t.Errorf("%T: mayHoldAny %v, want %v", m, got, want)
		}
	}
}
