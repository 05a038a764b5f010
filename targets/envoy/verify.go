package envoy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"
	"gopkg.in/yaml.v3"

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
	wantJSON, err := marshalJSON(want)
	if err != nil {
		return err
	}
	return verifyJSON(data, wantJSON)
}

// verifyJSON is Verify against want's JSON, marshalled once by the caller.
func verifyJSON(data, wantJSON []byte) error {
	got, err := Parse(data)
	if err != nil {
		return err
	}
	a, err := marshalJSON(got)
	if err != nil {
		return err
	}
	if !bytes.Equal(a, wantJSON) {
		return errors.New("the artifact does not parse back to the bootstrap it was written from")
	}
	return nil
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
	if err := protojson.Unmarshal(jsonData, &bs); err != nil {
		return nil, fmt.Errorf("not an Envoy v3 bootstrap: %w", err)
	}
	if err := bs.ValidateAll(); err != nil {
		return nil, fmt.Errorf("bootstrap: %w", err)
	}
	if err := validateAnys(bs.ProtoReflect()); err != nil {
		return nil, err
	}
	if err := loadRules(&bs); err != nil {
		return nil, err
	}
	return &bs, nil
}

// validator is what protoc-gen-validate generates.
type validator interface{ ValidateAll() error }

// validateAnys unpacks every Any below m, runs its ValidateAll, and
// recurses into it.
func validateAnys(m protoreflect.Message) error {
	var err error
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if fd.Kind() != protoreflect.MessageKind && fd.Kind() != protoreflect.GroupKind {
			return true
		}
		switch {
		case fd.IsList():
			l := v.List()
			for i := 0; i < l.Len() && err == nil; i++ {
				err = validateMessage(l.Get(i).Message())
			}
		case fd.IsMap():
			if fd.MapValue().Kind() == protoreflect.MessageKind {
				v.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool {
					err = validateMessage(mv.Message())
					return err == nil
				})
			}
		default:
			err = validateMessage(v.Message())
		}
		return err == nil
	})
	return err
}

// validateMessage validates m if it is an Any, then looks inside.
func validateMessage(m protoreflect.Message) error {
	a, ok := m.Interface().(*anypb.Any)
	if !ok {
		return validateAnys(m)
	}
	inner, err := a.UnmarshalNew()
	if err != nil {
		return fmt.Errorf("%s: %w", a.GetTypeUrl(), err)
	}
	if v, ok := inner.(validator); ok {
		if err := v.ValidateAll(); err != nil {
			return fmt.Errorf("%s: %w", a.GetTypeUrl(), err)
		}
	}
	return validateAnys(inner.ProtoReflect())
}
