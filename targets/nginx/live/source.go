package live

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// fileHeader starts each file in `nginx -T` output.
const fileHeader = "# configuration file "

// maxFiles bounds include expansion (and include loops).
const maxFiles = 1000

// fetch reads source: "cmd:COMMAND ARGS…" runs the command (no shell) and
// returns its standard output, which must be `nginx -T`'s; a directory
// reads DIR/nginx.conf; a file reads it. Files are returned in `nginx -T`
// form, every included file after a "# configuration file PATH:" line.
func fetch(ctx context.Context, source string) ([]byte, error) {
	if cmdline, ok := strings.CutPrefix(source, "cmd:"); ok {
		return runCmd(ctx, cmdline)
	}
	path := source
	if st, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("nginx live source: %w", err)
	} else if st.IsDir() {
		path = filepath.Join(path, "nginx.conf")
	}
	var out bytes.Buffer
	seen := map[string]bool{}
	if err := addFile(&out, path, filepath.Dir(path), seen); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// runCmd runs a command line split on spaces, as `nginx -T` needs no
// quoting; the command's standard error is reported on failure.
func runCmd(ctx context.Context, cmdline string) ([]byte, error) {
	words := strings.Fields(cmdline)
	if len(words) == 0 {
		return nil, fmt.Errorf("nginx live source: empty command after cmd:")
	}
	cmd := exec.CommandContext(ctx, words[0], words[1:]...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("nginx live source: %s: %w: %s", cmdline, err, strings.TrimSpace(stderr.String()))
	}
	if !bytes.Contains(out, []byte(fileHeader)) {
		return nil, fmt.Errorf("nginx live source: %s printed no configuration (want nginx -T output)", cmdline)
	}
	return out, nil
}

// addFile appends path and, recursively, every file it includes.
func addFile(out *bytes.Buffer, path, base string, seen map[string]bool) error {
	if seen[path] {
		return nil
	}
	if len(seen) >= maxFiles {
		return fmt.Errorf("nginx live source: more than %d files included", maxFiles)
	}
	seen[path] = true
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("nginx live source: %w", err)
	}
	fmt.Fprintf(out, "%s%s:\n%s\n", fileHeader, path, data)
	nodes, err := parse(path, string(data))
	if err != nil {
		return fmt.Errorf("nginx live source: %w", err)
	}
	for _, pattern := range includes(nodes) {
		matches, err := filepath.Glob(resolve(base, pattern))
		if err != nil {
			return fmt.Errorf("nginx live source: include %q: %w", pattern, err)
		}
		matches = slices.DeleteFunc(matches, func(m string) bool { return hiddenByGlob(resolve(base, pattern), m) })
		sort.Strings(matches)
		for _, m := range matches {
			if err := addFile(out, m, base, seen); err != nil {
				return err
			}
		}
	}
	return nil
}

// hiddenByGlob reports whether glob(3), which nginx's include uses
// (without GLOB_PERIOD), would not match path: a path component starting
// with '.' matches only a pattern component that starts with '.' too.
// filepath.Glob matches it with a wildcard.
func hiddenByGlob(pattern, path string) bool {
	ps := strings.Split(filepath.ToSlash(pattern), "/")
	ms := strings.Split(filepath.ToSlash(path), "/")
	if len(ps) != len(ms) {
		return false
	}
	for i := range ms {
		if strings.HasPrefix(ms[i], ".") && !strings.HasPrefix(ps[i], ".") {
			return true
		}
	}
	return false
}

// includes lists every include directive's pattern, at any depth.
func includes(nodes []*node) []string {
	var out []string
	for _, n := range nodes {
		if n.name == "include" && len(n.args) == 1 {
			out = append(out, n.args[0])
		}
		out = append(out, includes(n.block)...)
	}
	return out
}

// resolve makes a relative include pattern relative to base, the main
// config file's directory, as nginx does with its default prefix.
func resolve(base, pattern string) string {
	if filepath.IsAbs(pattern) {
		return pattern
	}
	return filepath.Join(base, pattern)
}

// splitFiles splits `nginx -T` output into files, in order; text without
// a file header is one file named "nginx.conf". A name printed twice
// with different text is an error: a comment mimicking a header.
func splitFiles(data string) (names []string, files map[string]string, err error) {
	files = map[string]string{}
	if !strings.HasPrefix(data, fileHeader) && !strings.Contains(data, "\n"+fileHeader) {
		return []string{"nginx.conf"}, map[string]string{"nginx.conf": data}, nil
	}
	var cur string
	var b strings.Builder
	flush := func() {
		if cur != "" {
			if prev, ok := files[cur]; ok && prev != b.String() && err == nil {
				err = fmt.Errorf("%q is printed twice with different text (a comment mimicking nginx -T's header?)", cur)
			}
			files[cur] = b.String()
			names = append(names, cur)
		}
		b.Reset()
	}
	for _, line := range strings.SplitAfter(data, "\n") {
		if rest, ok := strings.CutPrefix(line, fileHeader); ok {
			flush()
			cur = strings.TrimSuffix(strings.TrimSpace(rest), ":")
			continue
		}
		if cur != "" {
			b.WriteString(line)
		}
	}
	flush()
	return names, files, err
}

// load parses `nginx -T`-form text into one tree with includes inlined.
func load(data []byte) ([]*node, error) {
	names, files, err := splitFiles(string(data))
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("no configuration")
	}
	main := names[0]
	l := &loader{files: files, names: names, base: filepath.Dir(main), used: map[string]bool{}}
	tree, err := l.file(main, 0)
	if err != nil {
		return nil, err
	}
	// nginx -T prints only files it read, each after its header; a file
	// nothing includes is a header line inside a file (a comment that
	// mimics one), which would hide the rest of that file.
	for _, n := range names {
		if !l.used[n] {
			return nil, fmt.Errorf("%q follows a configuration file header but no include names it (a comment mimicking nginx -T's header?)", n)
		}
	}
	return tree, nil
}

type loader struct {
	files map[string]string
	names []string
	base  string
	used  map[string]bool
}

// file parses one file and inlines its includes.
func (l *loader) file(name string, depth int) ([]*node, error) {
	if depth > 16 {
		return nil, fmt.Errorf("include nesting deeper than 16 at %s", name)
	}
	l.used[name] = true
	nodes, err := parse(name, l.files[name])
	if err != nil {
		return nil, err
	}
	return l.inline(nodes, depth)
}

// inline replaces include directives by the matching files' directives.
func (l *loader) inline(nodes []*node, depth int) ([]*node, error) {
	var out []*node
	for _, n := range nodes {
		if n.block != nil {
			body, err := l.inline(n.block, depth)
			if err != nil {
				return nil, err
			}
			if body == nil {
				body = []*node{}
			}
			n.block = body
		}
		if n.name != "include" || len(n.args) != 1 {
			out = append(out, n)
			continue
		}
		pattern := resolve(l.base, n.args[0])
		for _, name := range l.names {
			if ok, _ := filepath.Match(pattern, name); ok {
				inc, err := l.file(name, depth+1)
				if err != nil {
					return nil, err
				}
				out = append(out, inc...)
			}
		}
	}
	return out, nil
}
