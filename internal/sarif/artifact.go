package sarif

import (
	"path/filepath"
	"strings"
)

// SrcRoot is the uriBaseId of every relative location: the directory
// locations are relative to (the repository root in CI).
const SrcRoot = "%SRCROOT%"

// Artifact names file relative to root with forward slashes, under the
// %SRCROOT% base. Files of rampart's embedded modules (rampart.dev/...)
// keep their name and get no base. A file outside root gets an absolute
// file:// URI and no base: SARIF allows a missing uriBaseId only with an
// absolute URI, and a relative one ("../x.cue", "/tmp/x.cue" without a
// scheme) would be resolved against the repository root by consumers
// such as GitHub code scanning, naming a different file. An empty root
// keeps a relative file as it is.
func Artifact(file, root string) ArtifactLocation {
	if strings.HasPrefix(file, "rampart.dev/") {
		return ArtifactLocation{URI: file}
	}
	rel := file
	if root != "" {
		if r, err := RelPath(root, file); err == nil {
			rel = r
		}
	}
	rel = filepath.ToSlash(rel)
	if rel == ".." || strings.HasPrefix(rel, "../") || filepath.IsAbs(filepath.FromSlash(rel)) {
		abs, err := filepath.Abs(file)
		if err != nil {
			abs = file
		}
		abs = filepath.ToSlash(abs)
		if !strings.HasPrefix(abs, "/") {
			abs = "/" + abs // a Windows drive: file:///C:/...
		}
		return ArtifactLocation{URI: "file://" + uriEscape(abs)}
	}
	return ArtifactLocation{URI: uriEscape(rel), URIBaseID: SrcRoot}
}

// RelPath returns file relative to root, both made absolute first.
func RelPath(root, file string) (string, error) {
	ar, err := filepath.Abs(root)
	if err != nil {
		return "", err
	}
	af, err := filepath.Abs(file)
	if err != nil {
		return "", err
	}
	return filepath.Rel(ar, af)
}

// uriEscape percent-encodes the characters a relative URI reference
// cannot hold literally (space, %, #, ?, and non-ASCII), keeping slashes.
func uriEscape(s string) string {
	const digits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`%#?"<>\^`+"`{|}[]", c) >= 0 {
			b.Write([]byte{'%', digits[c>>4], digits[c&15]})
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}
