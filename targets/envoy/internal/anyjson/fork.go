package anyjson

import (
	"crypto/sha256"
	"unicode/utf8"
)

// Fork returns a decoder that starts from what d has decoded: an Any
// whose text d has seen is found, not decoded again, and shares d's
// message. d is only read, never changed, by the fork; so a decoder that
// read one document (a policy's bootstrap) can be forked by several
// goroutines at once to read others (live dumps of it), as long as no one
// decodes with d itself any more. The fork decodes d's Parts.
func (d *Decoder) Fork() *Decoder {
	n, np := len(d.decoded), len(d.parts)
	return &Decoder{base: d, Parts: d.Parts, decoded: d.decoded[:n:n], msgs: d.msgs[:n:n], parts: d.parts[:np:np]}
}

// findJSON finds an Any decoded whole by its compactKey, here or in a
// decoder this one was forked from.
func (d *Decoder) findJSON(key []byte) (int, bool) {
	for ; d != nil; d = d.base {
		if i, ok := d.byJSON[string(key)]; ok {
			return i, true
		}
	}
	return 0, false
}

// findSkel finds an Any decoded in place by its type URL and skeleton.
func (d *Decoder) findSkel(url string, skel []byte) (int, bool) {
	for ; d != nil; d = d.base {
		if i, ok := d.bySkel[url][string(skel)]; ok {
			return i, true
		}
	}
	return 0, false
}

// findValue finds a decoded Any by the first byte of its value bytes.
func (d *Decoder) findValue(p *byte) (int, bool) {
	for ; d != nil; d = d.base {
		if i, ok := d.byValue[p]; ok {
			return i, true
		}
	}
	return 0, false
}

// knownText finds the Any object at s by its whole text in a decoder
// this one was forked from (KeepText), moving s past it; false when there
// is none to look in, the type URL is not one kept, or the text is new.
func (d *Decoder) knownText(s *scanner) (int, bool, error) {
	if d.base == nil {
		return 0, false, nil
	}
	url, ok := peekType(s)
	if !ok || !d.base.keptURL(url) {
		return 0, false, nil
	}
	s.ws()
	sum, end := hashNested(s.b, s.i)
	if end < 0 {
		return 0, false, s.errSyntax()
	}
	s.i = end
	for b := d.base; b != nil; b = b.base {
		if i, ok := b.byText[sum]; ok {
			return i, true, nil
		}
	}
	return 0, false, nil
}

// keptURL reports whether d or a decoder it was forked from kept the text
// of an Any of this type.
func (d *Decoder) keptURL(url string) bool {
	for ; d != nil; d = d.base {
		if d.textURLs[url] {
			return true
		}
	}
	return false
}

// keepText remembers the Any at index i by its whole text raw.
func (d *Decoder) keepText(url string, raw []byte, i int) {
	if d.byText == nil {
		d.byText, d.textURLs = map[[sha256.Size]byte]int{}, map[string]bool{}
	}
	if sum, end := hashNested(raw, 0); end == len(raw) {
		d.byText[sum] = i
	}
	d.textURLs[url] = true
}

// peekType returns the "@type" of the object at s when it is the first
// member, without moving s.
func peekType(s *scanner) (string, bool) {
	p := &scanner{b: s.b, i: s.i}
	if !p.consume('{') {
		return "", false
	}
	if name, err := p.str(); err != nil || name != "@type" || !p.consume(':') {
		return "", false
	}
	url, err := p.str()
	return url, err == nil && utf8.ValidString(url)
}
