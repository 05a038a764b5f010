package authn

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"slices"
	"strings"
	"time"
)

// maxNumericDate bounds exp, nbf and iat (year 5138): larger values are
// malformed rather than "never expires".
const maxNumericDate = 1e11

// claims is a decoded JWT claims set or introspection answer; numbers are
// json.Number.
type claims map[string]any

// errMalformed marks a claim of the wrong type or range.
var errMalformed = errors.New("malformed")

// parseClaims decodes a JSON object with nothing after it.
func parseClaims(b []byte) (claims, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var c claims
	if err := dec.Decode(&c); err != nil {
		return nil, err
	}
	if c == nil {
		return nil, errors.New("claims are not a JSON object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the claims object")
	}
	return c, nil
}

// numericDate reads claim name as seconds since the epoch (RFC 7519
// NumericDate). present is false when the claim is absent; a non-number,
// negative or absurdly large value is errMalformed.
func (c claims) numericDate(name string) (t time.Time, present bool, err error) {
	v, ok := c[name]
	if !ok {
		return time.Time{}, false, nil
	}
	n, ok := v.(json.Number)
	if !ok {
		return time.Time{}, true, errMalformed
	}
	f, err := n.Float64()
	if err != nil || math.IsNaN(f) || f < 0 || f > maxNumericDate {
		return time.Time{}, true, errMalformed
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)), true, nil
}

// nonEmptyString returns claim name when it is a non-empty string.
func (c claims) nonEmptyString(name string) (string, bool) {
	s, ok := c[name].(string)
	return s, ok && s != ""
}

// stringList reads claim name as a list of strings or a space-separated
// string. An absent or null claim is an empty list; any other type, or a
// list holding a non-string, is errMalformed.
func (c claims) stringList(name string) ([]string, error) {
	switch v := c[name].(type) {
	case nil:
		return nil, nil
	case string:
		return strings.Fields(v), nil
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, errMalformed
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, errMalformed
}

// audienceMatches reports whether the aud claim (a string or a list of
// strings) holds one of want.
func (c claims) audienceMatches(want []string) bool {
	var aud []string
	switch v := c["aud"].(type) {
	case string:
		aud = []string{v}
	case []any:
		for _, e := range v {
			if s, ok := e.(string); ok {
				aud = append(aud, s)
			}
		}
	}
	for _, a := range aud {
		if slices.Contains(want, a) {
			return true
		}
	}
	return false
}

// missing returns the first of names that is absent or null, or "".
func (c claims) missing(names []string) string {
	for _, n := range names {
		if v, ok := c[n]; !ok || v == nil {
			return n
		}
	}
	return ""
}
