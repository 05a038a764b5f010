package diag_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/rampart-policy/rampart/compiler/diag"
)

func TestGitHubEscaping(t *testing.T) {
	for _, c := range []struct{ in, data, prop string }{
		{"plain", "plain", "plain"},
		{"100%", "100%25", "100%25"},
		{"a\r\nb", "a%0D%0Ab", "a%0D%0Ab"},
		{"k: v, w", "k: v, w", "k%3A v%2C w"},
		{"%0A", "%250A", "%250A"},
		{"::error::x", "::error::x", "%3A%3Aerror%3A%3Ax"},
	} {
		if got := diag.EscapeGitHubData(c.in); got != c.data {
			t.Errorf("EscapeGitHubData(%q) = %q, want %q", c.in, got, c.data)
		}
		if got := diag.EscapeGitHubProperty(c.in); got != c.prop {
			t.Errorf("EscapeGitHubProperty(%q) = %q, want %q", c.in, got, c.prop)
		}
	}
}

func TestGitHubCommands(t *testing.T) {
	l := diag.List{
		{Pos: diag.Pos{File: "a,b/p:x.cue", Line: 4, Col: 2}, Severity: diag.Error, Code: diag.CodeCORSWildcardCredentials,
			Message: "line one\nline two, 50%"},
		{Pos: diag.Pos{File: "p.cue", Line: 9}, Severity: diag.Warning, Code: diag.CodeUpstreamTLSOff, Message: "w"},
		{Severity: diag.Info, Code: "RMP999", Message: "no position"},
	}
	var buf bytes.Buffer
	if err := diag.PrintGitHub(&buf, l, ""); err != nil {
		t.Fatal(err)
	}
	want := "::error file=a%2Cb/p%3Ax.cue,line=4,col=2,title=RMP201%3A CORS allows credentials from any origin::line one%0Aline two, 50%25\n" +
		"::warning file=p.cue,line=9,title=RMP218%3A upstream certificate not verified::w\n" +
		"::notice title=RMP999::no position\n"
	if buf.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", buf.String(), want)
	}
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if strings.Count(line, "::") != 2 {
			t.Errorf("command %q does not have exactly two :: separators", line)
		}
	}
}

// FuzzGitHubCommand: whatever a message or file name holds, a diagnostic
// is one workflow command line with the command's own two "::"
// separators only, so it can neither end early nor inject a command.
func FuzzGitHubCommand(f *testing.F) {
	for _, s := range []string{"plain", "a::b", "x\n::error::y", "50%", "k: v, w", "\r\n%0A"} {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, file, msg string) {
		var buf bytes.Buffer
		l := diag.List{{Pos: diag.Pos{File: file, Line: 1, Col: 1}, Severity: diag.Error, Code: "RMP700", Message: msg}}
		if err := diag.PrintGitHub(&buf, l, ""); err != nil {
			t.Fatal(err)
		}
		out := strings.TrimSuffix(buf.String(), "\n")
		if strings.ContainsAny(out, "\r\n") {
			t.Fatalf("command spans lines: %q", out)
		}
		head, data, ok := strings.Cut(strings.TrimPrefix(out, "::"), "::")
		if !ok || strings.Contains(data, "\n") {
			t.Fatalf("malformed command %q", out)
		}
		commas := 3 // file, line, col, title
		if file == "" {
			commas = 0 // title only
		}
		if strings.Contains(head, "::") || strings.Count(head, ",") != commas {
			t.Fatalf("properties %q: a value leaked a separator", head)
		}
		if got := strings.NewReplacer("%0D", "\r", "%0A", "\n", "%25", "%").Replace(data); got != msg && !strings.Contains(msg, "%") {
			t.Fatalf("message round trip: %q → %q", msg, got)
		}
	})
}
