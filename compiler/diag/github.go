package diag

import (
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/rampart-policy/rampart/internal/sarif"
)

// PrintGitHub writes diagnostics as GitHub Actions workflow commands
// ("::error file=F,line=L,col=C,title=T::message"), which annotate the
// pull request's lines. Files are made relative to root (the repository
// root in CI) when root is not empty. Values are escaped as the Actions
// toolkit does, so nothing in a message can end the command early or
// inject another one.
func PrintGitHub(w io.Writer, l List, root string) error {
	for _, d := range l {
		if _, err := io.WriteString(w, githubCommand(d, root)+"\n"); err != nil {
			return err
		}
	}
	return nil
}

// githubCommand formats one diagnostic as a workflow command.
func githubCommand(d Diagnostic, root string) string {
	var props []string
	if d.Pos.IsValid() {
		file := d.Pos.File
		if root != "" && !strings.HasPrefix(file, "rampart.dev/") {
			if r, err := sarif.RelPath(root, file); err == nil && !strings.HasPrefix(r, "..") {
				file = r
			}
		}
		props = append(props, "file="+EscapeGitHubProperty(filepath.ToSlash(file)))
		if d.Pos.Line > 0 {
			props = append(props, "line="+strconv.Itoa(d.Pos.Line))
		}
		if d.Pos.Col > 0 {
			props = append(props, "col="+strconv.Itoa(d.Pos.Col))
		}
	}
	title := d.Code
	if e, ok := Explain(d.Code); ok {
		title += ": " + e.Title
	}
	props = append(props, "title="+EscapeGitHubProperty(title))
	return fmt.Sprintf("::%s %s::%s", githubLevel(d.Severity), strings.Join(props, ","), EscapeGitHubData(d.Message))
}

func githubLevel(s Severity) string {
	switch s {
	case Error:
		return "error"
	case Warning:
		return "warning"
	}
	return "notice"
}

// EscapeGitHubData escapes a workflow command's message: % as %25, CR as
// %0D and LF as %0A (actions/toolkit escapeData).
func EscapeGitHubData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// EscapeGitHubProperty escapes a workflow command's property value: the
// data escapes plus : as %3A and , as %2C (actions/toolkit escapeProperty).
func EscapeGitHubProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}
