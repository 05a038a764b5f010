package kong_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/targets/internal/digest"
	"github.com/rampart-policy/rampart/targets/internal/golden"
	"github.com/rampart-policy/rampart/targets/kong"
)

// TestHeaderQuotesName: whatever a policy name holds (the schema forbids
// most of it, Header does not rely on that), the header stays one comment
// line without '$' (decK's template delimiters are "${{" "}}") and reads
// back the same name, and no text in the name can pass for the digest.
func TestHeaderQuotesName(t *testing.T) {
	fake := "x\"; rampart-digest: sha256:" + strings.Repeat("0", 64) + "; do not edit\n"
	for _, name := range []string{"shop", `a"b\c`, "a\nb", "a\rb", "a\u2028b\u2029c\u0085d", "a\x00b\x1b", "\ufeffbom", fake, `${{ env "DECK_X" }}`} {
		h := kong.Header(kong.DeckFile, &ir.Policy{Name: name})
		if bytes.Count(h, []byte("\n")) != 1 || bytes.ContainsAny(h[:len(h)-1], "\r\u2028\u2029\u0085$") || h[0] != '#' {
			t.Errorf("%q: header is not one comment line: %q", name, h)
		}
		m, ok := kong.ReadHeader(append(h, "\"_format_version\": \"3.0\"\n"...))
		if !ok || m.Policy != name || m.File != kong.DeckFile || m.IR != ir.Version || strings.Contains(m.Digest, strings.Repeat("0", 64)) {
			t.Errorf("%q: read back %+v %v", name, m, ok)
		}
	}
}

// TestArtifactsCarryHeader: both artifacts start with the header for the
// policy, and Verify refuses a file without it or with another policy's.
func TestArtifactsCarryHeader(t *testing.T) {
	p := golden.ReadIR(t, "testdata/oss.ir.yaml")
	deck, conf := artifact(t, p, kong.DeckFile), artifact(t, p, kong.ConfFile)
	for _, c := range []struct {
		file string
		data []byte
	}{{kong.DeckFile, deck}, {kong.ConfFile, conf}} {
		m, ok := kong.ReadHeader(c.data)
		if !ok || m.File != c.file || m.Policy != p.Name || !strings.HasPrefix(m.Digest, "sha256:") {
			t.Errorf("%s: header %+v %v", c.file, m, ok)
		}
	}
	other := *p
	other.Name = "other"
	_, rest, _ := bytes.Cut(deck, []byte("\n"))
	for name, bad := range map[string][2][]byte{
		"no deck header":      {rest, conf},
		"no conf header":      {deck, bytes.SplitN(conf, []byte("\n"), 2)[1]},
		"headers swapped":     {append(kong.Header(kong.ConfFile, p), rest...), conf},
		"another policy's":    {append(kong.Header(kong.DeckFile, &other), rest...), conf},
		"second comment line": {append(append(kong.Header(kong.DeckFile, p), "# extra\n"...), rest...), conf},
	} {
		if err := kong.Verify(bad[0], bad[1]); err == nil {
			t.Errorf("%s: Verify accepted it", name)
		}
	}
}

// FuzzHeader: for any policy name, the header is one comment line without
// '$' that reads back the same name (invalid UTF-8 included) and the
// digest.
func FuzzHeader(f *testing.F) {
	f.Add("shop")
	f.Add("a\"; rampart-digest: sha256:" + strings.Repeat("0", 64) + "; do not edit\n# x")
	f.Add("\u2028\u0085\r")
	f.Add("${{ env \"DECK_X\" }}")
	f.Fuzz(func(t *testing.T, name string) {
		h := kong.Header(kong.ConfFile, &ir.Policy{Name: name})
		if bytes.IndexAny(h[:len(h)-1], "\n\r$") >= 0 {
			t.Fatalf("%q: header is not one line: %q", name, h)
		}
		m, ok := kong.ReadHeader(append(h, "database = off\n"...))
		if !ok || m.File != kong.ConfFile || m.Policy != name || m.Digest != digest.Policy(&ir.Policy{}) {
			t.Fatalf("%q: read back %+v %v from %q", name, m, ok, h)
		}
	})
}
