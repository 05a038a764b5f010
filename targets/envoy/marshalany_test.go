package envoy

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/rampart-policy/rampart/internal/drifttest"
)

// sameShared requires marshalShared(bs) to be marshalCompact(bs), or an
// error (Build then uses marshalCompact); it reports whether it wrote.
func sameShared(t *testing.T, bs *bootstrapv3.Bootstrap) bool {
	t.Helper()
	want, werr := marshalCompact(bs)
	got, err := marshalShared(bs)
	switch {
	case werr != nil && err == nil:
		t.Fatalf("protojson refuses the bootstrap (%v), marshalShared writes it", werr)
	case err != nil:
		return false
	}
	if !bytes.Equal(got, want) {
		i := 0
		for i < len(got) && i < len(want) && got[i] == want[i] {
			i++
		}
		t.Fatalf("marshalShared differs from protojson at byte %d:\n%.200s\n%.200s", i, got[max(i-100, 0):], want[max(i-100, 0):])
	}
	return true
}

// TestMarshalSharedMatches: every fixture's bootstrap and a generated
// policy's are written by marshalShared exactly as protojson writes
// them, and marshalShared does not change the bootstrap.
func TestMarshalSharedMatches(t *testing.T) {
	for _, name := range []string{"authorizer", "clientaddr", "cors", "full", "headerlimits", "mtls", "native", "plaintext"} {
		bs, _ := builtFixture(t, name)
		before := proto.Clone(bs)
		if !sameShared(t, bs) {
			t.Errorf("%s: marshalShared fails", name)
		}
		if !proto.Equal(bs, before) {
			t.Errorf("%s: marshalShared changed the bootstrap", name)
		}
	}
	bs, err := newEmitter(drifttest.Trim(drifttest.Policy(t, 60, "envoy"), 3)).bootstrap()
	if err != nil {
		t.Fatal(err)
	}
	if !sameShared(t, bs) {
		t.Error("generated policy: marshalShared fails")
	}
}

// withStrings is the full fixture's bootstrap with s in its node, in a
// Struct (spelling a placeholder if spell) and in new Anys (twice, and
// once nested in another Any).
func withStrings(t testing.TB, bs *bootstrapv3.Bootstrap, s string, spell bool) *bootstrapv3.Bootstrap {
	bs = proto.Clone(bs).(*bootstrapv3.Bootstrap)
	bs.Node.Id = s
	fields := map[string]any{s: s}
	if spell {
		fields = map[string]any{"@type": placeholderURL, "value": "\x00rampart-any:" + s}
	}
	st, err := structpb.NewStruct(fields)
	if err != nil {
		t.Fatal(err)
	}
	inner, err := anypb.New(wrapperspb.String(s))
	if err != nil {
		t.Fatal(err)
	}
	outer, err := anypb.New(&corev3.TypedExtensionConfig{Name: s, TypedConfig: inner})
	if err != nil {
		t.Fatal(err)
	}
	bs.Node.Metadata = st
	bs.Node.Extensions = nil
	bs.StatsConfig = nil
	bs.TypedDnsResolverConfig = &corev3.TypedExtensionConfig{Name: s, TypedConfig: outer}
	bs.ListenerManager = &corev3.TypedExtensionConfig{Name: s, TypedConfig: inner}
	return bs
}

// FuzzMarshalShared: with any string in its node, a Struct (spelling a
// placeholder, or not) and Anys, a bootstrap is written by marshalShared
// as protojson writes it, or refused.
func FuzzMarshalShared(f *testing.F) {
	for _, s := range []string{"x", "0", "\x00rampart-any:0", `"}`, "{\"@type\":\"" + placeholderURL + "\"}", "é\u2028"} {
		f.Add(s)
	}
	bs, _ := builtFixture(f, "full")
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return // a Struct cannot hold it
		}
		sameShared(t, withStrings(t, bs, s, true))
		// only a StringValue Any holding a placeholder's value spells one
		if !sameShared(t, withStrings(t, bs, s, false)) && !strings.HasPrefix(s, "\x00rampart-any:") {
			t.Fatalf("marshalShared refuses %q, which spells no placeholder", s)
		}
	})
}

// TestMarshalSharedRefusesSpelledPlaceholder: a Struct that spells a
// placeholder is refused, not expanded.
func TestMarshalSharedRefusesSpelledPlaceholder(t *testing.T) {
	bs, _ := builtFixture(t, "full")
	if _, err := marshalShared(withStrings(t, bs, "0", true)); !errors.Is(err, errPlaceholder) {
		t.Fatalf("error %v, want errPlaceholder", err)
	}
	if !sameShared(t, withStrings(t, bs, "0", false)) {
		t.Fatal("a bootstrap with Anys in Anys and a Struct is refused")
	}
}
