package anyjson

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"strconv"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// partPrefix starts the name of a part's placeholder; the index of the
// decoded part follows. The NUL keeps it apart from names people write;
// a real message named so anyway is counted as a placeholder too, and the
// count then disagrees: an error, never a silent swap.
const partPrefix = "\x00anyjson.part/"

// partKey identifies a part: its type and the SHA-256 of its compact
// text (hashNested).
type partKey struct {
	name protoreflect.FullName
	sum  [sha256.Size]byte
}

// checkParts refuses Parts types a placeholder cannot stand for: each
// must be registered and have a string field "name".
func (d *Decoder) checkParts() error {
	for name := range d.Parts {
		mt, err := protoregistry.GlobalTypes.FindMessageByName(name)
		if err != nil {
			return fmt.Errorf("anyjson: part type %s: %w", name, err)
		}
		if fd := mt.Descriptor().Fields().ByName("name"); fd == nil || fd.Kind() != protoreflect.StringKind || fd.IsList() {
			return fmt.Errorf("anyjson: part type %s has no string field \"name\"", name)
		}
	}
	return nil
}

// partValue replaces the object at s, a message of a Parts type, by a
// placeholder for the part: found by its text here or in a decoder this
// one was forked from, else decoded on its own (its Anys and parts as
// placeholders again) and remembered.
func (d *Decoder) partValue(out *bytes.Buffer, s *scanner, md protoreflect.MessageDescriptor, n *int) error {
	start := s.i
	sum, end := hashNested(s.b, start)
	if end < 0 {
		return s.errSyntax()
	}
	key := partKey{md.FullName(), sum}
	i, ok := d.findPart(key)
	if !ok {
		mt, err := protoregistry.GlobalTypes.FindMessageByName(md.FullName())
		if err != nil {
			return err
		}
		m := mt.New().Interface()
		if err := d.decode(&scanner{b: s.b[start:end]}, m, false, protojson.UnmarshalOptions{Resolver: placeholders{}}); err != nil {
			return err
		}
		if strings.HasPrefix(partName(m.ProtoReflect()), partPrefix) {
			return fmt.Errorf("anyjson: a %s is named like a placeholder", md.FullName())
		}
		i = d.addPart(key, m)
	}
	s.i = end
	*n++
	out.WriteString(`{"name":"\u0000` + partPrefix[1:])
	out.WriteString(strconv.Itoa(i))
	out.WriteString(`"}`)
	return nil
}

// findPart finds a decoded part by its key.
func (d *Decoder) findPart(k partKey) (int, bool) {
	for ; d != nil; d = d.base {
		if i, ok := d.byPart[k]; ok {
			return i, true
		}
	}
	return 0, false
}

// addPart records a decoded part, returning its index.
func (d *Decoder) addPart(k partKey, m proto.Message) int {
	if d.byPart == nil {
		d.byPart = map[partKey]int{}
	}
	d.parts = append(d.parts, m)
	i := len(d.parts) - 1
	d.byPart[k] = i
	return i
}

// partFor returns the part the placeholder m stands for; false when m is
// not a placeholder.
func (d *Decoder) partFor(m protoreflect.Message) (protoreflect.Message, bool, error) {
	if !d.Parts[m.Descriptor().FullName()] {
		return nil, false, nil
	}
	name := partName(m)
	rest, ok := strings.CutPrefix(name, partPrefix)
	if !ok {
		return nil, false, nil
	}
	i, err := strconv.Atoi(rest)
	if err != nil || i < 0 || i >= len(d.parts) {
		return nil, false, fmt.Errorf("anyjson: bad part placeholder %q", name)
	}
	return d.parts[i].ProtoReflect(), true, nil
}

// partName is the name of m, a message of a Parts type.
func partName(m protoreflect.Message) string {
	return m.Get(m.Descriptor().Fields().ByName("name")).String()
}
