package envoy

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// marshalShared is marshalCompact(bs), written with each distinct Any
// marshalled once: protojson unpacks and marshals every Any where it
// occurs, and a bootstrap repeats the same per-route configurations on
// thousands of routes. Every Any (in a copy of bs, and in each Any's
// unpacked message, level by level) is replaced by a placeholder Any (a
// StringValue holding "\x00rampart-any:N"); the document and each
// distinct Any are marshalled by protojson and compacted; then each
// placeholder's object is replaced by Any N's JSON. protojson writes an
// Any in a document as it writes it alone, so the result is
// marshalCompact's bytes (TestMarshalSharedMatches, FuzzMarshalShared).
// A document whose JSON holds a placeholder's text that is not one (a
// Struct can spell it) is an error, as is an Any protojson cannot
// marshal; Build then uses marshalCompact. Build relies on the result
// only through verifyBuilt, which parses the artifact and requires the
// bootstrap built (wire encoding, else marshalCompact's JSON of both).
func marshalShared(bs *bootstrapv3.Bootstrap) ([]byte, error) {
	s := &anySharer{index: map[string]int{}, holdsAny: map[protoreflect.FullName]bool{}}
	doc := proto.Clone(bs)
	if err := s.replaceAnys(doc.ProtoReflect()); err != nil {
		return nil, err
	}
	root, err := s.fragment(doc)
	if err != nil {
		return nil, err
	}
	return s.expand(make([]byte, 0, s.size(root)), root)
}

// errPlaceholder is a document that spells a placeholder it does not
// hold.
var errPlaceholder = errors.New("the bootstrap's JSON spells a placeholder")

// fragment is m's compact JSON, whose placeholders must be exactly the
// s.replaced Anys replaceAnys replaced in it.
func (s *anySharer) fragment(m proto.Message) ([]byte, error) {
	frag, err := compactJSON(m)
	if err != nil {
		return nil, err
	}
	if bytes.Count(frag, []byte(placeholderPrefix)) != s.replaced {
		return nil, errPlaceholder
	}
	return frag, nil
}

// anySharer holds the JSON of each distinct Any met so far.
type anySharer struct {
	// index finds an Any's number by anyKey; frags are the Anys' JSON
	// (with placeholders for the Anys inside them), by number.
	index map[string]int
	frags [][]byte
	// sizes memoises the expanded length of each fragment (size).
	sizes []int
	// holdsAny memoises mayHoldAny.
	holdsAny map[protoreflect.FullName]bool
	// replaced counts the placeholders put in the message being
	// replaced (not in the Anys below them).
	replaced int
}

// placeholderURL is the type of the placeholder Anys.
const placeholderURL = "type.googleapis.com/google.protobuf.StringValue"

// placeholderPrefix starts a placeholder's compact JSON; its number and
// placeholderEnd follow. Inside a JSON string a '"' is escaped, so the
// text only occurs as an object, and after replaceAnys every Any object
// is a placeholder.
const (
	placeholderPrefix = `{"@type":"` + placeholderURL + `","value":"\u0000rampart-any:`
	placeholderEnd    = `"}`
)

// replaceAnys replaces every Any below m by its placeholder.
func (s *anySharer) replaceAnys(m protoreflect.Message) error {
	var err error
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if fd.Kind() != protoreflect.MessageKind && fd.Kind() != protoreflect.GroupKind {
			return true
		}
		md := fd.Message()
		if fd.IsMap() {
			md = fd.MapValue().Message() // nil for scalar values
		}
		if md == nil || !mayHoldAny(s.holdsAny, md) {
			return true
		}
		switch {
		case fd.IsList():
			l := v.List()
			for i := 0; i < l.Len() && err == nil; i++ {
				err = s.replaceIn(l.Get(i).Message())
			}
		case fd.IsMap():
			v.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool {
				err = s.replaceIn(mv.Message())
				return err == nil
			})
		default:
			err = s.replaceIn(v.Message())
		}
		return err == nil
	})
	return err
}

// replaceIn replaces m by its placeholder if it is an Any, else the Anys
// below it.
func (s *anySharer) replaceIn(m protoreflect.Message) error {
	a, ok := m.Interface().(*anypb.Any)
	if !ok {
		return s.replaceAnys(m)
	}
	n, err := s.number(a)
	if err != nil {
		return err
	}
	value, err := proto.Marshal(wrapperspb.String("\x00rampart-any:" + strconv.Itoa(n)))
	if err != nil {
		return err
	}
	a.TypeUrl, a.Value = placeholderURL, value
	s.replaced++
	return nil
}

// number is a's number, its JSON (with placeholders for the Anys in it)
// written the first time.
func (s *anySharer) number(a *anypb.Any) (int, error) {
	k := anyKey(a)
	if n, ok := s.index[k]; ok {
		return n, nil
	}
	inner, err := a.UnmarshalNew()
	if err != nil {
		return 0, fmt.Errorf("%s: %w", a.GetTypeUrl(), err)
	}
	outer := s.replaced
	s.replaced = 0
	if err := s.replaceAnys(inner.ProtoReflect()); err != nil {
		return 0, err
	}
	value, err := proto.Marshal(inner)
	if err != nil {
		return 0, err
	}
	frag, err := s.fragment(&anypb.Any{TypeUrl: a.GetTypeUrl(), Value: value})
	if err != nil {
		return 0, err
	}
	s.replaced = outer
	n := len(s.frags)
	s.frags, s.sizes = append(s.frags, frag), append(s.sizes, -1)
	s.index[k] = n
	return n, nil
}

// placeholders calls fn with the text before each placeholder in b and
// the placeholder's number, then with the rest (number -1).
func placeholders(b []byte, fn func(text []byte, n int) error) error {
	for {
		i := bytes.Index(b, []byte(placeholderPrefix))
		if i < 0 {
			return fn(b, -1)
		}
		rest := b[i+len(placeholderPrefix):]
		j := bytes.Index(rest, []byte(placeholderEnd))
		if j < 0 {
			return errJSON
		}
		n, err := strconv.Atoi(string(rest[:j]))
		if err != nil {
			return errJSON
		}
		if err := fn(b[:i], n); err != nil {
			return err
		}
		b = rest[j+len(placeholderEnd):]
	}
}

// expand appends b to dst with each placeholder replaced by its Any's
// JSON, expanded.
func (s *anySharer) expand(dst, b []byte) ([]byte, error) {
	err := placeholders(b, func(text []byte, n int) error {
		dst = append(dst, text...)
		if n < 0 {
			return nil
		}
		if n >= len(s.frags) {
			return errJSON
		}
		var err error
		dst, err = s.expand(dst, s.frags[n])
		return err
	})
	return dst, err
}

// size is the length of b expanded (an estimate, 0, when b is not
// well-formed; expand then reports the error).
func (s *anySharer) size(b []byte) int {
	total := 0
	err := placeholders(b, func(text []byte, n int) error {
		total += len(text)
		if n < 0 {
			return nil
		}
		if n >= len(s.frags) {
			return errJSON
		}
		if s.sizes[n] < 0 {
			s.sizes[n] = s.size(s.frags[n])
		}
		total += s.sizes[n]
		return nil
	})
	if err != nil {
		return 0
	}
	return total
}
