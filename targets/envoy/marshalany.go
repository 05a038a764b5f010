package envoy

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"

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
// distinct Any are then marshalled by protojson and compacted, on as many
// goroutines as there are processors (largest first; each piece is a
// function of its message alone, so the bytes do not depend on the
// scheduling); then each placeholder's object is replaced by Any N's
// JSON. protojson writes an Any in a document as it writes it alone, so
// the result is marshalCompact's bytes (TestMarshalSharedMatches,
// FuzzMarshalShared). A document whose JSON holds a placeholder's text
// that is not one (a Struct can spell it) is an error, as is an Any
// protojson cannot marshal; Build then uses marshalCompact. Build relies
// on the result only through verifyBuilt, which parses the artifact and
// requires the bootstrap built (wire encoding, else marshalCompact's JSON
// of both).
func marshalShared(bs *bootstrapv3.Bootstrap) ([]byte, error) {
	s := &anySharer{index: map[string]int{}, holdsAny: map[protoreflect.FullName]bool{}}
	doc := proto.Clone(bs)
	if err := s.replaceAnys(doc.ProtoReflect()); err != nil {
		return nil, err
	}
	root := len(s.pieces)
	s.pieces = append(s.pieces, piece{msg: doc, placeholders: s.replaced, size: proto.Size(doc), expanded: -1})
	if err := s.marshalPieces(); err != nil {
		return nil, err
	}
	return s.expand(make([]byte, 0, s.expandedSize(root)), root)
}

// errPlaceholder is a document that spells a placeholder it does not
// hold.
var errPlaceholder = errors.New("the bootstrap's JSON spells a placeholder")

// anySharer replaces the Anys of a document and holds what it needs to
// write them back.
type anySharer struct {
	// index finds an Any's number by anyKey; pieces are the Anys, by
	// number (and, last, the document).
	index  map[string]int
	pieces []piece
	// holdsAny memoises mayHoldAny.
	holdsAny map[protoreflect.FullName]bool
	// replaced counts the placeholders put in the message being
	// replaced (not in the Anys below them).
	replaced int
}

// piece is an Any (or the document) with its own Anys replaced.
type piece struct {
	msg proto.Message
	// placeholders is how many placeholders msg holds; size its wire
	// size, to marshal the largest first.
	placeholders, size int
	// json is msg's compact JSON; expanded its length with every
	// placeholder expanded (-1 until known).
	json     []byte
	expanded int
	// stand is the wire value of this Any's placeholder.
	stand []byte
}

// marshalPieces writes every piece's JSON, largest first, on up to
// GOMAXPROCS goroutines, and checks that its placeholders are the ones
// put in it.
func (s *anySharer) marshalPieces() error {
	order := make([]int, len(s.pieces))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return s.pieces[b].size - s.pieces[a].size })
	errs := make([]error, len(s.pieces))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(order)) {
		wg.Go(func() {
			for k := int(next.Add(1)) - 1; k < len(order); k = int(next.Add(1)) - 1 {
				p := &s.pieces[order[k]]
				p.json, errs[order[k]] = compactJSON(p.msg)
				if errs[order[k]] == nil && bytes.Count(p.json, []byte(placeholderPrefix)) != p.placeholders {
					errs[order[k]] = errPlaceholder
				}
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
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
	return eachAnyHolder(s.holdsAny, m, s.replaceIn)
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
	a.TypeUrl, a.Value = placeholderURL, s.pieces[n].stand
	s.replaced++
	return nil
}

// number is a's number; the first time, a is unpacked, its own Anys
// replaced, and it is re-packed as the piece to marshal.
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
	n := len(s.pieces)
	stand, err := proto.Marshal(wrapperspb.String("\x00rampart-any:" + strconv.Itoa(n)))
	if err != nil {
		return 0, err
	}
	s.pieces = append(s.pieces, piece{msg: &anypb.Any{TypeUrl: a.GetTypeUrl(), Value: value},
		placeholders: s.replaced, size: len(value), expanded: -1, stand: stand})
	s.replaced = outer
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

// expand appends piece n's JSON to dst with each placeholder replaced by
// its Any's JSON, expanded. A piece holds only Anys numbered before it
// (number numbers the Anys inside an Any first), so expanding ends.
func (s *anySharer) expand(dst []byte, n int) ([]byte, error) {
	err := placeholders(s.pieces[n].json, func(text []byte, m int) error {
		dst = append(dst, text...)
		if m < 0 {
			return nil
		}
		if m >= n {
			return errJSON
		}
		var err error
		dst, err = s.expand(dst, m)
		return err
	})
	return dst, err
}

// expandedSize is the length of piece n's JSON expanded (an estimate, 0,
// when it is not well-formed; expand then reports the error).
func (s *anySharer) expandedSize(n int) int {
	if s.pieces[n].expanded >= 0 {
		return s.pieces[n].expanded
	}
	total := 0
	err := placeholders(s.pieces[n].json, func(text []byte, m int) error {
		total += len(text)
		if m < 0 {
			return nil
		}
		if m >= n {
			return errJSON
		}
		total += s.expandedSize(m)
		return nil
	})
	if err != nil {
		total = 0
	}
	s.pieces[n].expanded = total
	return total
}
