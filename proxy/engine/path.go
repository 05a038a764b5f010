package engine

import (
	"strings"
	"unicode/utf8"
)

// BadPath says why a request path must not be decided, or "" when it is
// in normal form: absolute, valid UTF-8, no dot or empty segments, no
// ';' path parameters, no backslashes or control characters, and no
// percent-encoded slash, backslash or dot in the raw form. Gateways and
// upstreams resolve such paths differently from rampart's router, so they
// are refused rather than interpreted (path is the decoded path, raw the
// path as sent; raw may be "").
func BadPath(path, raw string) string {
	lowRaw := strings.ToLower(raw)
	switch {
	case !strings.HasPrefix(path, "/"):
		return "path is not absolute"
	case !utf8.ValidString(path):
		return "path is not valid UTF-8"
	case strings.ContainsAny(path, "\\;\x00\r\n\t"):
		return "path holds a backslash, ';' or a control character"
	case strings.Contains(lowRaw, "%2f"), strings.Contains(lowRaw, "%5c"), strings.Contains(lowRaw, "%2e"), strings.Contains(lowRaw, "%3b"):
		return "path holds an encoded slash, backslash, dot or ';'"
	case strings.Contains(path, "//"):
		return "path holds an empty segment"
	}
	for _, s := range strings.Split(path, "/") {
		if s == "." || s == ".." {
			return "path holds a dot segment"
		}
	}
	return ""
}
