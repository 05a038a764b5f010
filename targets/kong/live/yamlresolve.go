package live

import (
	"math"
	"strconv"
	"strings"
)

// This file resolves plain YAML scalars as yaml.v3 does (resolve.go) for
// the block decoder.

// hint is yaml.v3's first-byte class of a plain scalar: 0 for one that
// always reads as a string.
func hint(c byte) byte { return hints[c] }

// hints are hint's answers by byte.
var hints = func() (t [256]byte) {
	t['+'], t['-'], t['.'] = 'S', 'S', '.'
	for c := '0'; c <= '9'; c++ {
		t[c] = 'D'
	}
	for _, c := range []byte("yYnNtTfFoO~") {
		t[c] = 'M'
	}
	return t
}()

// resolvePlain resolves a plain scalar as yaml.v3 does (resolve.go) and
// norm converts it: a bool, nil, or a number as float64; isStr when it
// stays a string (the caller builds it). ok is false for a scalar
// yaml.v3 may read as a timestamp.
func resolvePlain(b []byte) (v any, isStr, ok bool) {
	h := hint(b[0])
	if h == 0 {
		return nil, true, true
	}
	switch string(b) {
	case "true", "True", "TRUE":
		return true, false, true
	case "false", "False", "FALSE":
		return false, false, true
	case "~", "null", "Null", "NULL":
		return nil, false, true
	case ".nan", ".NaN", ".NAN":
		return math.NaN(), false, true
	case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF":
		return math.Inf(1), false, true
	case "-.inf", "-.Inf", "-.INF":
		return math.Inf(-1), false, true
	}
	if f, ok := smallInt(b); ok {
		return f, false, true
	}
	s := string(b)
	if (h == 'D' || h == 'S') && strings.IndexByte(s, '.') >= 0 {
		// No integer syntax holds a '.': only a YAML-style float.
		if timestampLike(s) {
			return nil, false, false
		}
		if p := strings.ReplaceAll(s, "_", ""); yamlFloat(p) {
			if f, err := strconv.ParseFloat(p, 64); err == nil {
				return f, false, true
			}
		}
		return nil, true, true
	}
	switch h {
	case '.':
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return f, false, true
		}
	case 'D', 'S':
		if timestampLike(s) {
			return nil, false, false
		}
		p := strings.ReplaceAll(s, "_", "")
		if innerDash(p) {
			return nil, true, true
		}
		if f, ok := resolveNumber(p); ok {
			return f, false, true
		}
	}
	return nil, true, true
}

// smallInt reads a decimal integer of at most 18 digits without a sign
// other than '-' or a leading zero, which every step of yaml.v3's
// resolution reads the same way; ok is false for anything else.
func smallInt(b []byte) (float64, bool) {
	d := b
	if len(d) > 0 && d[0] == '-' {
		d = d[1:]
	}
	if len(d) == 0 || len(d) > 18 || (d[0] == '0' && len(d) > 1) {
		return 0, false
	}
	var n int64
	for _, c := range d {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if len(d) != len(b) {
		n = -n
	}
	return float64(n), true
}

// plainOK reports whether resolvePlain reads b (ok), without resolving
// it: for a scalar whose value is not built.
func plainOK(b []byte) bool {
	return !timestampLike(string(b))
}

// innerDash reports a '-' at offset 3 or later that does not follow an
// 'e' or 'E' (an id such as a UUID): resolveNumber reads no such text (a
// sign opens an integer, and follows "0b" or "0o" at offset 2, or opens
// a float's exponent), so it stays a string; this saves resolveNumber's
// failing parses, which build errors.
func innerDash(s string) bool {
	for i := 3; i < len(s); i++ {
		if s[i] == '-' && s[i-1] != 'e' && s[i-1] != 'E' {
			return true
		}
	}
	return false
}

// timestampLike reports a scalar starting "YYYY-", which yaml.v3 may
// read as a time.Time.
func timestampLike(s string) bool {
	for i := 0; i < 4; i++ {
		if i >= len(s) || s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return len(s) > 4 && s[4] == '-'
}

// resolveNumber tries, in yaml.v3's order, an integer in Go's base-0
// syntax, an unsigned one, a YAML-style float, 0b binary and 0o octal.
func resolveNumber(p string) (float64, bool) {
	if i, err := strconv.ParseInt(p, 0, 64); err == nil {
		return float64(i), true
	}
	if u, err := strconv.ParseUint(p, 0, 64); err == nil {
		return float64(u), true
	}
	if yamlFloat(p) {
		if f, err := strconv.ParseFloat(p, 64); err == nil {
			return f, true
		}
	}
	for _, b := range []struct {
		prefix string
		base   int
	}{{"0b", 2}, {"0o", 8}} {
		switch {
		case strings.HasPrefix(p, b.prefix):
			if i, err := strconv.ParseInt(p[2:], b.base, 64); err == nil {
				return float64(i), true
			}
			if u, err := strconv.ParseUint(p[2:], b.base, 64); err == nil {
				return float64(u), true
			}
		case strings.HasPrefix(p, "-"+b.prefix):
			if i, err := strconv.ParseInt("-"+p[3:], b.base, 64); err == nil {
				return float64(i), true
			}
		}
	}
	return 0, false
}

// yamlFloat matches yaml.v3's yamlStyleFloat:
// ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$
func yamlFloat(s string) bool {
	i := 0
	digits := func() int {
		n := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	} else {
		if digits() == 0 {
			return false
		}
		if i < len(s) && s[i] == '.' {
			i++
			digits()
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}
