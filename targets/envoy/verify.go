package envoy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"
	"gopkg.in/yaml.v3"

	"github.com/rampart-policy/rampart/targets/envoy/internal/anyjson"

	// Every type the target packs into an Any, so that parsing resolves
	// it (the imports in the emitter register most; these make sure).
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/access_loggers/file/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/access_loggers/filters/cel/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/access_loggers/stream/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/buffer/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/cors/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ext_authz/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/jwt_authn/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/local_ratelimit/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/rbac/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/listener/proxy_protocol/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/http/early_header_mutation/header_mutation/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/http/original_ip_detection/xff/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
)

// Verify parses an artifact (JSON or YAML) into a Bootstrap, which must
// be valid (see Parse) and the one want is: both marshal to the same
// JSON. (proto.Equal compares an Any's packed bytes, whose map order is
// not canonical; the JSON form unpacks them.)
func Verify(data []byte, want *bootstrapv3.Bootstrap) error {
	wantJSON, err := marshalCompact(want)
	if err != nil {
		return err
	}
	return verifyCompact(data, wantJSON)
}

// verifyCompact is Verify against want's compact JSON (marshalCompact),
// marshalled once by the caller: the artifact, parsed back, must
// marshal to exactly those bytes.
func verifyCompact(data, wantCompact []byte) error {
	got, err := Parse(data)
	if err != nil {
		return err
	}
	return sameCompact(got, wantCompact)
}

// sameCompact requires got to marshal to wantCompact.
func sameCompact(got *bootstrapv3.Bootstrap, wantCompact []byte) error {
	a, err := marshalCompact(got)
	if err != nil {
		return err
	}
	if !bytes.Equal(a, wantCompact) {
		return errors.New("the artifact does not parse back to the bootstrap it was written from")
	}
	return nil
}

// verifyBuilt is Build's check of envoy.json against the bootstrap want
// it was written from: the artifact must Parse, and to a bootstrap whose
// deterministic wire encoding is want's — the same message (Anys, packed
// deterministically by the emitter and by anyjson, included), so the
// same JSON — or, failing that, whose JSON (marshalCompact) is want's
// (equal messages whose Anys were packed differently pass). Both sides
// are marshalled here by protojson itself, so the check does not depend
// on how Build wrote the artifact (marshalShared).
func verifyBuilt(data []byte, want *bootstrapv3.Bootstrap) error {
	got, err := Parse(data)
	if err != nil {
		return err
	}
	if sameWire(got, want) {
		return nil
	}
	wantJSON, err := marshalCompact(want)
	if err != nil {
		return err
	}
	return sameCompact(got, wantJSON)
}

// sameWire reports whether a and b have the same deterministic wire
// encoding.
func sameWire(a, b *bootstrapv3.Bootstrap) bool {
	opts := proto.MarshalOptions{Deterministic: true}
	x, err := opts.Marshal(a)
	if err != nil {
		return false
	}
	y, err := opts.Marshal(b)
	return err == nil && bytes.Equal(x, y)
}

// verifyYAML verifies envoy.yaml against the compact JSON envoy.json is
// indented from, which Build verifies in full (verifyCompact). When the
// YAML is in the subset yamlSubsetJSON reads and holds exactly compact's
// document, it skips the second full pass, whose result that implies:
// yaml.v3 reads the subset as yamlSubsetJSON does (the differential
// tests TestYAMLSubset* and FuzzYAMLSubset), so Parse would turn the
// YAML into the JSON text of compact's document, keys sorted and the same
// strings and integers, and go on as it does for envoy.json: anyjson
// decodes as protojson does, which ignores the order of keys and white
// space, so the same bootstrap, the same validation and the same
// re-marshalled bytes follow. Any other YAML (outside the subset, or a
// different document) gets the full check, whose error names the cause.
func verifyYAML(yamlData, compact []byte) error {
	if sameDocument(yamlData, compact) {
		return nil
	}
	return verifyCompact(yamlData, compact)
}

// Parse reads an envoy.json or envoy.yaml into a Bootstrap, strictly:
// unknown fields and Any types the registry does not know are errors.
// The bootstrap must pass ValidateAll, and so must every message packed
// in an Any anywhere inside it (ValidateAll does not look into Anys), and
// it must keep the load-time rules ValidateAll cannot see (loadRules).
func Parse(data []byte) (*bootstrapv3.Bootstrap, error) {
	jsonData := data
	if t := bytes.TrimSpace(data); len(t) == 0 || t[0] != '{' {
		var doc any
		if err := yaml.Unmarshal(data, &doc); err != nil {
			return nil, fmt.Errorf("YAML: %w", err)
		}
		var err error
		if jsonData, err = json.Marshal(doc); err != nil {
			return nil, fmt.Errorf("YAML to JSON: %w", err)
		}
	}
	var bs bootstrapv3.Bootstrap
	if err := anyjson.Unmarshal(jsonData, &bs); err != nil {
		return nil, fmt.Errorf("not an Envoy v3 bootstrap: %w", err)
	}
	if err := bs.ValidateAll(); err != nil {
		return nil, fmt.Errorf("bootstrap: %w", err)
	}
	c := &anyCache{msgs: map[string]proto.Message{}, holdsAny: map[protoreflect.FullName]bool{}}
	if err := c.validateAnys(bs.ProtoReflect()); err != nil {
		return nil, err
	}
	if err := loadRules(&bs, c); err != nil {
		return nil, err
	}
	return &bs, nil
}

// validator is what protoc-gen-validate generates.
type validator interface{ ValidateAll() error }

// anyCache holds each distinct Any of one bootstrap unpacked once: an
// Any's type and bytes determine its message, so one that repeats (the
// same per-route configuration on many routes) is validated, and looked
// into, once.
type anyCache struct {
	msgs map[string]proto.Message
	// holdsAny memoises mayHoldAny.
	holdsAny map[protoreflect.FullName]bool
}

// mayHoldAny reports whether a message of type md can have an Any
// anywhere below it: an Any field, or a message field (list and map
// values included) of a type that may. memo keeps the answers by type. A
// type met again while its own answer is being worked out (a recursive
// type) counts as holding one, so the answer errs only towards looking.
func mayHoldAny(memo map[protoreflect.FullName]bool, md protoreflect.MessageDescriptor) bool {
	if v, ok := memo[md.FullName()]; ok {
		return v
	}
	if md.FullName() == "google.protobuf.Any" {
		memo[md.FullName()] = true
		return true
	}
	memo[md.FullName()] = true // until known: recursion looks
	fields, holds := md.Fields(), false
	for i := 0; i < fields.Len() && !holds; i++ {
		fd := fields.Get(i)
		if fd.IsMap() {
			fd = fd.MapValue()
		}
		if fd.Kind() == protoreflect.MessageKind || fd.Kind() == protoreflect.GroupKind {
			holds = mayHoldAny(memo, fd.Message())
		}
	}
	memo[md.FullName()] = holds
	return holds
}

// anyKey identifies an Any by type and bytes.
func anyKey(a *anypb.Any) string { return a.GetTypeUrl() + "\x00" + string(a.GetValue()) }

// unpack returns a's message, unpacking it the first time (first is
// then true).
func (c *anyCache) unpack(a *anypb.Any) (m proto.Message, first bool, err error) {
	k := anyKey(a)
	if m, ok := c.msgs[k]; ok {
		return m, false, nil
	}
	if m, err = a.UnmarshalNew(); err != nil {
		return nil, false, err
	}
	c.msgs[k] = m
	return m, true, nil
}

// validateAnys unpacks every Any below m, runs its ValidateAll, and
// recurses into it. It does not look below a message whose type cannot
// hold an Any (mayHoldAny).
func (c *anyCache) validateAnys(m protoreflect.Message) error {
	if !mayHoldAny(c.holdsAny, m.Descriptor()) {
		return nil
	}
	return eachAnyHolder(c.holdsAny, m, c.validateMessage)
}

// eachAnyHolder calls f on each message directly below m (in fields,
// lists and map values) of a type that may hold an Any (mayHoldAny, memo
// its answers), until f fails.
func eachAnyHolder(memo map[protoreflect.FullName]bool, m protoreflect.Message, f func(protoreflect.Message) error) error {
	var err error
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if fd.Kind() != protoreflect.MessageKind && fd.Kind() != protoreflect.GroupKind {
			return true
		}
		md := fd.Message()
		if fd.IsMap() {
			md = fd.MapValue().Message() // nil for scalar values
		}
		if md == nil || !mayHoldAny(memo, md) {
			return true
		}
		switch {
		case fd.IsList():
			l := v.List()
			for i := 0; i < l.Len() && err == nil; i++ {
				err = f(l.Get(i).Message())
			}
		case fd.IsMap():
			v.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool {
				err = f(mv.Message())
				return err == nil
			})
		default:
			err = f(v.Message())
		}
		return err == nil
	})
	return err
}

// validateMessage validates m if it is an Any not seen before, then
// looks inside.
func (c *anyCache) validateMessage(m protoreflect.Message) error {
	a, ok := m.Interface().(*anypb.Any)
	if !ok {
		return c.validateAnys(m)
	}
	inner, first, err := c.unpack(a)
	if err != nil {
		return fmt.Errorf("%s: %w", a.GetTypeUrl(), err)
	}
	if !first {
		return nil // validated, with all below it, where it was first seen
	}
	if v, ok := inner.(validator); ok {
		if err := v.ValidateAll(); err != nil {
			return fmt.Errorf("%s: %w", a.GetTypeUrl(), err)
		}
	}
	return c.validateAnys(inner.ProtoReflect())
}
