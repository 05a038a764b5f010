// Package anyjson reads protobuf JSON as protojson.Unmarshal does, but
// decodes each distinct google.protobuf.Any once.
//
// protojson reads an Any twice (once to find its "@type", once to decode
// it), and an Any inside an Any once more per level; an Envoy
// configuration repeats the same per-route configuration on thousands of
// routes, and a /config_dump holds each listener and route table two or
// three times. Unmarshal replaces every Any in the document (found by the
// message descriptors, never by the shape of the JSON) with a small
// placeholder, decodes the rest with protojson, and fills the placeholders
// with the Anys, each decoded once per distinct JSON text (whitespace
// aside) the same way, level by level. Everything still goes through
// protojson, so what it refuses (unknown fields and types, duplicate
// fields, bad values) is refused here, and what it accepts decodes to the
// same message: the differential tests and FuzzUnmarshal compare the two.
//
// Three options serve a reader that compares a document with one read
// before (drift: a live /config_dump with the policy's bootstrap). Fork
// starts a decoder from another's Anys; with KeepText the first also
// remembers each Any by the SHA-256 of its compact text, so a fork takes
// an Any with the same text whole, without reading inside it. Parts
// names message types decoded apart and shared like Anys (Envoy routes:
// a route table that differs from the policy's in one route costs that
// route). Skip names fields read past, not decoded (a dump's second and
// third copies of the configuration).
package anyjson

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/emptypb"
)

// Unmarshal reads the JSON document data into m, as
// protojson.Unmarshal(data, m) does. Equal Anys in the result share their
// value bytes: callers must not change them in place.
func Unmarshal(data []byte, m proto.Message) error {
	d := &Decoder{}
	return d.Unmarshal(data, m)
}

// Decoder reads documents as Unmarshal does, keeping the Anys it decoded
// (by their compact JSON) for the documents it reads next.
type Decoder struct {
	// Skip names fields (by full name, as
	// "envoy.admin.v3.RoutesConfigDump.static_route_configs") whose
	// values are read past, not decoded: the message read leaves them
	// unset, and what protojson would refuse inside them goes unseen
	// (the JSON must still be well-formed). For a caller that reads the
	// rest of a large document and knows it does not need them.
	Skip map[protoreflect.FullName]bool
	// KeepText makes the decoder remember each Any it decodes in place by
	// its whole text too (white space between tokens aside), for forks:
	// a fork meets an Any with a text remembered in a decoder it was
	// forked from, it takes the message without reading inside the Any.
	// It costs a copy of every distinct Any's text.
	KeepText bool
	// Parts names message types (each with a string field "name", as
	// envoy.config.route.v3.Route) decoded on their own wherever they
	// occur, each distinct text (white space aside) once, as an Any is:
	// the messages holding them share one message per distinct part, and
	// a fork finds the parts of the decoders it was forked from by their
	// text. So a document that repeats a large message, or differs from
	// one read before in a few of many, costs a decoding of what is new.
	Parts map[protoreflect.FullName]bool
	// byPart finds a part by its type and text; parts are the decoded
	// parts by index.
	byPart map[partKey]int
	parts  []proto.Message
	// byText finds an Any by the SHA-256 of its whole text (KeepText;
	// compactKey's, as hashNested computes it); textURLs are the type URLs
	// of the Anys in byText (only those are worth a look).
	byText   map[[sha256.Size]byte]int
	textURLs map[string]bool
	// base, when set, is the decoder this one was forked from: what it
	// decoded is found here too, and it is never changed (Fork).
	base *Decoder
	// byJSON finds an Any decoded whole by its compactKey; bySkel one
	// decoded in place by its type URL, then its skeleton.
	byJSON  map[string]int
	bySkel  map[string]map[string]int
	free    []*bytes.Buffer
	decoded []*anypb.Any
	// msgs are the decoded Anys' messages, by index and by the first
	// byte of the value bytes every copy shares (Unpack).
	msgs    []proto.Message
	byValue map[*byte]int
	// compact is scratch space for an Any's compactKey.
	compact []byte
}

// Unmarshal reads data into m; see the package function.
func (d *Decoder) Unmarshal(data []byte, m proto.Message) error {
	if d.byJSON == nil {
		d.byJSON, d.bySkel = map[string]int{}, map[string]map[string]int{}
	}
	if err := d.checkParts(); err != nil {
		return err
	}
	s := &scanner{b: data}
	s.ws()
	if s.i >= len(data) || data[s.i] != '{' || isWellKnown(m.ProtoReflect().Descriptor().FullName()) {
		return protojson.Unmarshal(data, m)
	}
	return d.decode(s, m, false, protojson.UnmarshalOptions{Resolver: placeholders{}})
}

// decode reads the object at s into m: its skeleton (every Any a
// placeholder) through protojson with opts, then the placeholders filled.
// anyContent leaves out "@type" (the object is an Any's content). Bytes after
// the object are kept, for protojson to refuse.
func (d *Decoder) decode(s *scanner, m proto.Message, anyContent bool, opts protojson.UnmarshalOptions) error {
	var skel bytes.Buffer
	n := 0
	var typeSeen *bool
	if anyContent {
		typeSeen = new(bool)
	}
	if err := d.object(&skel, s, m.ProtoReflect().Descriptor(), typeSeen, &n); err != nil {
		return err
	}
	skel.Write(s.b[s.i:])
	if err := opts.Unmarshal(skel.Bytes(), m); err != nil {
		return err
	}
	filled, err := d.fill(m.ProtoReflect())
	if err != nil {
		return err
	}
	if filled != n {
		return fmt.Errorf("anyjson: %d placeholders placed, %d found after decoding", n, filled)
	}
	return nil
}

// placeholderURL starts the type URL of a placeholder; the index of the
// decoded Any follows.
const placeholderURL = "anyjson.placeholder/"

// placeholders resolves placeholder type URLs to google.protobuf.Empty
// (which protojson decodes from an Any without a "value") and everything
// else through the global registry.
type placeholders struct{}

func (placeholders) FindMessageByName(n protoreflect.FullName) (protoreflect.MessageType, error) {
	return protoregistry.GlobalTypes.FindMessageByName(n)
}

func (placeholders) FindMessageByURL(url string) (protoreflect.MessageType, error) {
	if strings.HasPrefix(url, placeholderURL) {
		return (&emptypb.Empty{}).ProtoReflect().Type(), nil
	}
	return protoregistry.GlobalTypes.FindMessageByURL(url)
}

func (placeholders) FindExtensionByName(n protoreflect.FullName) (protoreflect.ExtensionType, error) {
	return protoregistry.GlobalTypes.FindExtensionByName(n)
}

func (placeholders) FindExtensionByNumber(m protoreflect.FullName, n protoreflect.FieldNumber) (protoreflect.ExtensionType, error) {
	return protoregistry.GlobalTypes.FindExtensionByNumber(m, n)
}

// object copies the JSON object at s, of message md, to out, each Any in
// it replaced by a placeholder (n counts them). With typeSeen set (the
// object is an Any's content), the first "@type" member is left out and
// another is an error, as in protojson.
func (d *Decoder) object(out *bytes.Buffer, s *scanner, md protoreflect.MessageDescriptor, typeSeen *bool, n *int) error {
	if !s.consume('{') {
		return s.errSyntax()
	}
	out.WriteByte('{')
	if s.consume('}') {
		out.WriteByte('}')
		return nil
	}
	return d.members(out, s, md, typeSeen, true, n)
}

// members copies an object's members from the next one to the closing
// brace; first says none has been written yet.
func (d *Decoder) members(out *bytes.Buffer, s *scanner, md protoreflect.MessageDescriptor, typeSeen *bool, first bool, n *int) error {
	for {
		s.ws()
		ks := s.i
		name, err := s.str()
		if err != nil {
			return err
		}
		ke := s.i
		if !s.consume(':') {
			return s.errSyntax()
		}
		if typeSeen != nil && name == "@type" {
			if *typeSeen {
				return errors.New(`anyjson: duplicate "@type" field`)
			}
			*typeSeen = true
			if _, err := s.skip(); err != nil {
				return err
			}
		} else if fd := fieldByName(md, name); fd != nil && d.Skip[fd.FullName()] {
			if _, err := s.skip(); err != nil {
				return err
			}
		} else {
			if !first {
				out.WriteByte(',')
			}
			first = false
			out.Write(s.b[ks:ke])
			out.WriteByte(':')
			if err := d.field(out, s, fd, n); err != nil {
				return err
			}
		}
		if s.consume(',') {
			continue
		}
		if s.consume('}') {
			out.WriteByte('}')
			return nil
		}
		return s.errSyntax()
	}
}

// fieldByName finds a field as protojson does: by JSON name, else by
// proto name; nil for extensions ("[name]") and unknown names, whose
// values are copied as they are.
func fieldByName(md protoreflect.MessageDescriptor, name string) protoreflect.FieldDescriptor {
	if strings.HasPrefix(name, "[") && strings.HasSuffix(name, "]") {
		return nil
	}
	fds := md.Fields()
	if fd := fds.ByJSONName(name); fd != nil {
		return fd
	}
	return fds.ByTextName(name)
}

// field copies one field's value, descending into message values.
func (d *Decoder) field(out *bytes.Buffer, s *scanner, fd protoreflect.FieldDescriptor, n *int) error {
	switch {
	case fd == nil || (fd.Kind() != protoreflect.MessageKind && fd.Kind() != protoreflect.GroupKind):
		return s.copyValue(out)
	case fd.IsMap():
		if fd.MapValue().Kind() != protoreflect.MessageKind {
			return s.copyValue(out)
		}
		return d.mapValues(out, s, fd.MapValue().Message(), n)
	case fd.IsList():
		return d.list(out, s, fd.Message(), n)
	}
	return d.value(out, s, fd.Message(), n)
}

// value copies one message value: an Any becomes a placeholder, a
// well-known type with a JSON form of its own (which holds no Any) and
// anything not an object (null, or what protojson will refuse) are copied.
func (d *Decoder) value(out *bytes.Buffer, s *scanner, md protoreflect.MessageDescriptor, n *int) error {
	s.ws()
	if s.i >= len(s.b) || s.b[s.i] != '{' {
		return s.copyValue(out)
	}
	switch name := md.FullName(); {
	case name == anyName:
		return d.anyValue(out, s, n)
	case isWellKnown(name):
		return s.copyValue(out)
	case d.Parts[name]:
		return d.partValue(out, s, md, n)
	}
	return d.object(out, s, md, nil, n)
}

// list copies a list of messages.
func (d *Decoder) list(out *bytes.Buffer, s *scanner, md protoreflect.MessageDescriptor, n *int) error {
	s.ws()
	if s.i >= len(s.b) || s.b[s.i] != '[' {
		return s.copyValue(out)
	}
	s.i++
	out.WriteByte('[')
	if s.consume(']') {
		out.WriteByte(']')
		return nil
	}
	for {
		if err := d.value(out, s, md, n); err != nil {
			return err
		}
		if s.consume(',') {
			out.WriteByte(',')
			continue
		}
		if s.consume(']') {
			out.WriteByte(']')
			return nil
		}
		return s.errSyntax()
	}
}

// mapValues copies a map with message values.
func (d *Decoder) mapValues(out *bytes.Buffer, s *scanner, md protoreflect.MessageDescriptor, n *int) error {
	s.ws()
	if s.i >= len(s.b) || s.b[s.i] != '{' {
		return s.copyValue(out)
	}
	s.i++
	out.WriteByte('{')
	if s.consume('}') {
		out.WriteByte('}')
		return nil
	}
	for {
		s.ws()
		ks := s.i
		if _, err := s.str(); err != nil {
			return err
		}
		out.Write(s.b[ks:s.i])
		if !s.consume(':') {
			return s.errSyntax()
		}
		out.WriteByte(':')
		if err := d.value(out, s, md, n); err != nil {
			return err
		}
		if s.consume(',') {
			out.WriteByte(',')
			continue
		}
		if s.consume('}') {
			out.WriteByte('}')
			return nil
		}
		return s.errSyntax()
	}
}

// anyName is google.protobuf.Any's full name.
const anyName = "google.protobuf.Any"

// anyValue replaces the Any object at s by a placeholder for its decoded
// value.
func (d *Decoder) anyValue(out *bytes.Buffer, s *scanner, n *int) error {
	start := s.i
	i, ok, err := d.knownText(s)
	if err != nil {
		return err
	}
	if !ok {
		s.i = start
		i, ok, err = d.inPlaceAny(s)
	}
	if err != nil {
		return err
	}
	if !ok {
		s.i = start
		raw, err := s.skip()
		if err != nil {
			return err
		}
		if i, err = d.decodeAny(raw); err != nil {
			return err
		}
	}
	*n++
	out.WriteString(`{"@type":"` + placeholderURL)
	out.WriteString(strconv.Itoa(i))
	out.WriteString(`"}`)
	return nil
}

// inPlaceAny decodes the Any object at s in the same pass as the text
// around it, when its "@type" comes first (as Envoy and protojson write
// it) and names a registered message without a JSON form of its own:
// the content's skeleton (compact, inner Anys as placeholders numbered by
// their distinct text) identifies the Any, and only a skeleton not seen
// before is decoded. false, with s moved, leaves the Any to decodeAny.
func (d *Decoder) inPlaceAny(s *scanner) (int, bool, error) {
	s.ws()
	start := s.i
	if !s.consume('{') {
		return 0, false, nil
	}
	s.ws()
	if name, err := s.str(); err != nil || name != "@type" || !s.consume(':') {
		return 0, false, nil
	}
	s.ws()
	url, err := s.str()
	if err != nil || !utf8.ValidString(url) {
		return 0, false, nil // protojson says what is wrong
	}
	mt, err := protoregistry.GlobalTypes.FindMessageByURL(url)
	if err != nil || isWellKnown(mt.Descriptor().FullName()) {
		return 0, false, nil
	}
	skel := d.buffer()
	defer d.release(skel)
	skel.WriteByte('{')
	n := 0
	switch {
	case s.consume('}'):
		skel.WriteByte('}')
	case s.consume(','):
		typeSeen := true
		if err := d.members(skel, s, mt.Descriptor(), &typeSeen, true, &n); err != nil {
			return 0, false, err
		}
	default:
		return 0, false, s.errSyntax()
	}
	if i, ok := d.findSkel(url, skel.Bytes()); ok {
		return i, true, nil
	}
	byURL := d.bySkel[url]
	em := mt.New().Interface()
	opts := protojson.UnmarshalOptions{Resolver: placeholders{}, AllowPartial: true}
	if err := opts.Unmarshal(skel.Bytes(), em); err != nil {
		return 0, false, err
	}
	if filled, err := d.fill(em.ProtoReflect()); err != nil || filled != n {
		return 0, false, fmt.Errorf("anyjson: %d placeholders placed, %d found after decoding (%v)", n, filled, err)
	}
	b, err := proto.MarshalOptions{AllowPartial: true, Deterministic: true}.Marshal(em)
	if err != nil {
		return 0, false, fmt.Errorf("error in marshaling Any.value field: %w", err)
	}
	i := d.add(&anypb.Any{TypeUrl: url, Value: b}, em)
	if d.KeepText {
		d.keepText(url, s.b[start:s.i], i)
	}
	if byURL == nil {
		byURL = map[string]int{}
		d.bySkel[url] = byURL
	}
	byURL[skel.String()] = i
	return i, true, nil
}

// buffer returns an empty scratch buffer; release gives it back.
func (d *Decoder) buffer() *bytes.Buffer {
	if k := len(d.free); k > 0 {
		b := d.free[k-1]
		d.free = d.free[:k-1]
		b.Reset()
		return b
	}
	return &bytes.Buffer{}
}

func (d *Decoder) release(b *bytes.Buffer) { d.free = append(d.free, b) }

// add records a decoded Any and its message, returning its index.
func (d *Decoder) add(a *anypb.Any, m proto.Message) int {
	d.decoded = append(d.decoded, a)
	d.msgs = append(d.msgs, m)
	i := len(d.decoded) - 1
	if len(a.Value) > 0 && m != nil {
		if d.byValue == nil {
			d.byValue = map[*byte]int{}
		}
		d.byValue[unsafe.SliceData(a.Value)] = i
	}
	return i
}

// decodeAny decodes an Any's JSON object, or finds it decoded: the same
// text but for white space between tokens (compactKey) is the same Any.
func (d *Decoder) decodeAny(raw []byte) (int, error) {
	d.compact = compactKey(d.compact[:0], raw)
	if i, ok := d.findJSON(d.compact); ok {
		return i, nil
	}
	key := string(d.compact)
	a, m, err := d.newAny(raw)
	if err != nil {
		return 0, err
	}
	i := d.add(a, m)
	d.byJSON[key] = i
	return i, nil
}

// Unpack returns the message in a: for an Any this decoder filled in, the
// message it decoded (shared by every copy: callers must not change it),
// else a.UnmarshalNew().
func (d *Decoder) Unpack(a *anypb.Any) (proto.Message, error) {
	if a == nil {
		return nil, errors.New("anyjson: no Any to unpack")
	}
	if len(a.Value) > 0 {
		if i, ok := d.findValue(unsafe.SliceData(a.Value)); ok && d.msgs[i] != nil &&
			len(d.decoded[i].Value) == len(a.Value) && d.decoded[i].TypeUrl == a.TypeUrl {
			return d.msgs[i], nil
		}
	}
	return a.UnmarshalNew()
}

// newAny decodes an Any's JSON object as protojson does: the "@type"
// resolved in the global registry, the rest decoded into that message
// (skeleton and placeholders again) and marshalled deterministically.
// Anything unusual (no "@type", an empty object, a well-known type with
// a "value") is left to protojson whole.
func (d *Decoder) newAny(raw []byte) (*anypb.Any, proto.Message, error) {
	url, ok := typeURL(raw)
	ok = ok && utf8.ValidString(url) // else protojson says what is wrong
	var mt protoreflect.MessageType
	if ok {
		var err error
		if mt, err = protoregistry.GlobalTypes.FindMessageByURL(url); err != nil || isWellKnown(mt.Descriptor().FullName()) {
			ok = false
		}
	}
	if !ok {
		a := &anypb.Any{}
		if err := protojson.Unmarshal(raw, a); err != nil {
			return nil, nil, err
		}
		return a, nil, nil
	}
	em := mt.New().Interface()
	if err := d.decode(&scanner{b: raw}, em, true, protojson.UnmarshalOptions{Resolver: placeholders{}, AllowPartial: true}); err != nil {
		return nil, nil, err
	}
	b, err := proto.MarshalOptions{AllowPartial: true, Deterministic: true}.Marshal(em)
	if err != nil {
		return nil, nil, fmt.Errorf("error in marshaling Any.value field: %w", err)
	}
	return &anypb.Any{TypeUrl: url, Value: b}, em, nil
}

// typeURL returns the object's one "@type" member when it is a string;
// false otherwise (none, several, not a string, bad JSON: protojson says
// what is wrong).
func typeURL(raw []byte) (string, bool) {
	s := &scanner{b: raw}
	if !s.consume('{') || s.consume('}') {
		return "", false
	}
	url, found := "", false
	for {
		s.ws()
		name, err := s.str()
		if err != nil || !s.consume(':') {
			return "", false
		}
		s.ws()
		if name == "@type" {
			if found {
				return "", false
			}
			if url, err = s.str(); err != nil {
				return "", false
			}
			found = true
		} else if _, err := s.skip(); err != nil {
			return "", false
		}
		if s.consume(',') {
			continue
		}
		return url, found && s.consume('}')
	}
}

// fill replaces every placeholder below m, Any or part, with what it
// stands for, and counts them. It does not walk into the parts it puts
// in (they were filled when decoded, and may be shared).
func (d *Decoder) fill(m protoreflect.Message) (int, error) {
	n := 0
	var err error
	var walk func(m protoreflect.Message)
	// visit fills a placeholder Any, returns the part a placeholder
	// stands for (nil otherwise), or walks into m.
	visit := func(m protoreflect.Message) protoreflect.Message {
		a, ok := m.Interface().(*anypb.Any)
		if !ok {
			p, ok, perr := d.partFor(m)
			switch {
			case perr != nil:
				err = perr
			case ok:
				n++
				return p
			default:
				walk(m)
			}
			return nil
		}
		rest, ok := strings.CutPrefix(a.GetTypeUrl(), placeholderURL)
		if !ok {
			return nil
		}
		i, perr := strconv.Atoi(rest)
		if perr != nil || i < 0 || i >= len(d.decoded) {
			err = fmt.Errorf("anyjson: bad placeholder %q", a.GetTypeUrl())
			return nil
		}
		a.TypeUrl, a.Value = d.decoded[i].GetTypeUrl(), d.decoded[i].GetValue()
		n++
		return nil
	}
	walk = func(m protoreflect.Message) {
		var set []protoreflect.FieldDescriptor
		var parts []protoreflect.Message
		m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
			switch {
			case fd.Kind() != protoreflect.MessageKind && fd.Kind() != protoreflect.GroupKind:
			case fd.IsList():
				for i, l := 0, v.List(); i < l.Len(); i++ {
					if p := visit(l.Get(i).Message()); p != nil {
						l.Set(i, protoreflect.ValueOfMessage(p))
					}
				}
			case fd.IsMap():
				if fd.MapValue().Kind() == protoreflect.MessageKind {
					mp := v.Map()
					mp.Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
						if p := visit(mv.Message()); p != nil {
							mp.Set(k, protoreflect.ValueOfMessage(p))
						}
						return true
					})
				}
			default:
				if p := visit(v.Message()); p != nil {
					set, parts = append(set, fd), append(parts, p)
				}
			}
			return err == nil
		})
		for i, fd := range set {
			m.Set(fd, protoreflect.ValueOfMessage(parts[i]))
		}
	}
	walk(m)
	return n, err
}

// isWellKnown reports a google.protobuf type with a JSON form of its own
// (protojson's wellKnownTypeUnmarshaler), Any included.
func isWellKnown(name protoreflect.FullName) bool {
	if name.Parent() != "google.protobuf" {
		return false
	}
	switch name.Name() {
	case "Any", "Timestamp", "Duration", "BoolValue", "Int32Value", "Int64Value", "UInt32Value", "UInt64Value",
		"FloatValue", "DoubleValue", "StringValue", "BytesValue", "Struct", "ListValue", "Value", "FieldMask", "Empty":
		return true
	}
	return false
}

// errSyntax is returned for JSON the scanner cannot follow; protojson
// would refuse it too.
var errSyntax = errors.New("anyjson: JSON syntax error")
