package accesslog

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/rampart-policy/rampart/proxy/config"
)

// mode is how a value is hidden. The order is strictness: when the config
// names one value twice, the stricter mode wins.
type mode uint8

const (
	modeHash mode = iota + 1
	modeRedact
	modeDrop
)

// redactedValue replaces a value in mode "redact".
const redactedValue = "[redacted]"

// hashPrefix starts a value in mode "hash".
const hashPrefix = "hmac-sha256:"

// minHashKey is the shortest key a hash redaction accepts: a short key
// would let anyone who reads the log brute-force the pseudonyms.
const minHashKey = 16

var modes = map[string]mode{"hash": modeHash, "redact": modeRedact, "drop": modeDrop}

// rule is one redaction: its mode and the folded name it is logged under.
type rule struct {
	mode mode
	name string
}

// rules are the redactions by kind, keyed by folded name (and, for
// headers, by canonical header name too, so that most lookups are one map
// access).
type rules struct {
	header, query, field map[string]rule
	hashKey              []byte
	macs                 sync.Pool // of hash.Hash: HMAC-SHA256 keyed by hashKey
}

// newRules checks and indexes the config's redactions. The hash key is
// checked only if checkKey is set and a redaction hashes.
func newRules(rs []config.Redaction, hashKey []byte, checkKey bool) (*rules, error) {
	out := &rules{header: map[string]rule{}, query: map[string]rule{}, field: map[string]rule{},
		hashKey: bytes.Clone(hashKey)}
	out.macs.New = func() any { return hmac.New(sha256.New, out.hashKey) }
	hashing := false
	for _, r := range rs {
		m, ok := modes[r.Mode]
		if !ok {
			return nil, fmt.Errorf("access log: redaction %s %q: unknown mode %q (want drop, redact or hash)", r.Kind, r.Name, r.Mode)
		}
		var byName map[string]rule
		switch r.Kind {
		case "header":
			byName = out.header
		case "query":
			byName = out.query
		case "field":
			byName = out.field
		default:
			return nil, fmt.Errorf("access log: redaction %q: unknown kind %q (want header, query or field)", r.Name, r.Kind)
		}
		if r.Name == "" {
			return nil, fmt.Errorf("access log: %s redaction without a name", r.Kind)
		}
		name := fold(r.Name)
		byName[name] = rule{mode: max(byName[name].mode, m), name: name}
		hashing = hashing || m == modeHash
	}
	if checkKey && hashing && len(hashKey) < minHashKey {
		return nil, fmt.Errorf("access log: hash redaction needs a key of at least %d bytes, have %d", minHashKey, len(hashKey))
	}
	for name, r := range out.header {
		out.header[textproto.CanonicalMIMEHeaderKey(name)] = r
	}
	return out, nil
}

// lookup returns the rule for name, matched case-insensitively.
func lookup(byName map[string]rule, name string) (rule, bool) {
	if len(byName) == 0 {
		return rule{}, false
	}
	if r, ok := byName[name]; ok {
		return r, true
	}
	var buf [64]byte
	if b, ok := foldASCII(buf[:0], name); ok {
		r, ok := byName[string(b)] // no allocation: the compiler sees the conversion
		return r, ok
	}
	r, ok := byName[fold(name)]
	return r, ok
}

// fold maps a name to its case-insensitive key. Beyond ASCII it folds
// through upper case as well, so that "ı", "I" and "i" (or "ſ" and "s")
// are one name: when in doubt a value is hidden.
func fold(name string) string {
	if b, ok := foldASCII(nil, name); ok {
		return string(b)
	}
	return strings.ToLower(strings.ToUpper(name))
}

// foldASCII appends name in lower case to b; ok is false if name is not
// ASCII.
func foldASCII(b []byte, name string) ([]byte, bool) {
	for i := range len(name) {
		c := name[i]
		if c >= utf8.RuneSelf {
			return nil, false
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	return b, true
}

// hide applies m to a value; keep is false in mode "drop". An empty value
// stays empty: that it is empty reveals nothing.
func (rs *rules) hide(m mode, v string) (out string, keep bool) {
	switch {
	case m == modeDrop:
		return "", false
	case v == "":
		return "", true
	case m == modeRedact:
		return redactedValue, true
	case m == modeHash:
		return rs.hash(v), true
	}
	return v, true
}

// hash is the keyed pseudonym of v: the first 16 bytes of HMAC-SHA256.
func (rs *rules) hash(v string) string {
	mac := rs.macs.Get().(hash.Hash)
	io.WriteString(mac, v)
	var sum [sha256.Size]byte
	mac.Sum(sum[:0])
	mac.Reset()
	rs.macs.Put(mac)
	var out [len(hashPrefix) + 32]byte
	copy(out[:], hashPrefix)
	hex.Encode(out[len(hashPrefix):], sum[:16])
	return string(out[:])
}

// fieldValue applies the field redaction named name, if any.
func (rs *rules) fieldValue(name, v string) (string, bool) {
	r, ok := lookup(rs.field, name)
	if !ok {
		return v, true
	}
	return rs.hide(r.mode, v)
}

// hideAll applies m to every value of a multi-valued parameter.
func (rs *rules) hideAll(m mode, vs []string) []string {
	out := make([]string, 0, len(vs))
	for _, v := range vs {
		if h, keep := rs.hide(m, v); keep {
			out = append(out, h)
		}
	}
	return out
}

// queryValues applies the query redactions; parameters without one are
// kept as they are. q itself is returned if no redaction applies.
func (rs *rules) queryValues(q url.Values) map[string][]string {
	if q == nil {
		return noQuery
	}
	if !anyRule(rs.query, q) {
		return q
	}
	out := make(map[string][]string, len(q))
	for k, vs := range q {
		r, ok := lookup(rs.query, k)
		switch {
		case !ok:
			out[k] = vs
		case r.mode != modeDrop:
			out[k] = rs.hideAll(r.mode, vs)
		}
	}
	return out
}

// noQuery is logged for a request without a query: {}, not null. It is
// never written to.
var noQuery = map[string][]string{}

// anyRule reports whether a rule names a key of m.
func anyRule[V any](byName map[string]rule, m map[string]V) bool {
	if len(byName) == 0 {
		return false
	}
	for k := range m {
		if _, ok := lookup(byName, k); ok {
			return true
		}
	}
	return false
}

// headerValues returns the headers a redaction in mode redact or hash
// names, hidden, keyed by lower-cased name. Every other header is left
// out: a header redaction is also the only way a header is logged.
func (rs *rules) headerValues(h http.Header) map[string][]string {
	var out map[string][]string
	for k, vs := range h {
		r, ok := lookup(rs.header, k)
		if !ok || r.mode == modeDrop {
			continue
		}
		if out == nil {
			out = map[string][]string{}
		}
		out[r.name] = append(out[r.name], rs.hideAll(r.mode, vs)...)
	}
	return out
}

// fieldValues applies the field redactions to the entry's extra fields;
// fs itself is returned if no redaction applies.
func (rs *rules) fieldValues(fs map[string]string) map[string]string {
	if !anyRule(rs.field, fs) {
		return fs
	}
	out := make(map[string]string, len(fs))
	for k, v := range fs {
		if h, keep := rs.fieldValue(k, v); keep {
			out[k] = h
		}
	}
	return out
}
