package cli

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/rampart-policy/rampart/compiler/diag"
)

// maxArchiveBytes bounds what diff --git extracts from git archive.
const maxArchiveBytes = 64 << 20

// gitCheckout writes the policy directory path as it was at rev into a
// temporary directory, with git archive: the working tree, index and
// HEAD are not touched. It returns the directory that corresponds to path
// and a cleanup that removes the temporary copy.
func gitCheckout(ctx context.Context, rev, path string) (string, func(), error) {
	fail := func(err error) (string, func(), error) {
		return "", func() {}, fmt.Errorf("diff --git %s: %w (%s; see rampart explain %s)", rev, err, diag.CodeDiffGit, diag.CodeDiffGit)
	}
	if rev == "" || strings.HasPrefix(rev, "-") {
		return fail(errors.New("REV must be a revision, not an option"))
	}
	top, err := git(ctx, path, "rev-parse", "--show-toplevel")
	if err != nil {
		return fail(err)
	}
	prefix, err := git(ctx, path, "rev-parse", "--show-prefix")
	if err != nil {
		return fail(err)
	}
	if _, err := git(ctx, top, "rev-parse", "--verify", "--quiet", rev+"^{commit}"); err != nil {
		return fail(fmt.Errorf("no commit named %q", rev))
	}
	spec := prefix
	if spec == "" {
		spec = "."
	}
	tmp, err := os.MkdirTemp("", "rampart-diff-")
	if err != nil {
		return fail(err)
	}
	cleanup := func() { os.RemoveAll(tmp) }
	cmd := exec.CommandContext(ctx, "git", "-C", top, "archive", "--format=tar", rev, "--", spec)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		cleanup()
		return fail(fmt.Errorf("git archive: %s", strings.TrimSpace(stderr.String())))
	}
	if err := untar(&out, tmp); err != nil {
		cleanup()
		return fail(err)
	}
	return filepath.Join(tmp, filepath.FromSlash(prefix)), cleanup, nil
}

// git runs git -C dir args and returns its trimmed output.
func git(ctx context.Context, dir string, args ...string) (string, error) {
	var out, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...)
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return "", fmt.Errorf("git %s: %s", args[0], msg)
	}
	return strings.TrimSpace(out.String()), nil
}

// untar extracts regular files and directories under dst, refusing names
// that would escape it; links and other entries are skipped.
func untar(r io.Reader, dst string) error {
	tr := tar.NewReader(io.LimitReader(r, maxArchiveBytes))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading git archive: %w", err)
		}
		name := filepath.FromSlash(strings.TrimSuffix(h.Name, "/"))
		if h.Typeflag == tar.TypeXGlobalHeader || name == "" || name == "." {
			continue
		}
		if !filepath.IsLocal(name) {
			return fmt.Errorf("git archive holds an unsafe path %q", h.Name)
		}
		p := filepath.Join(dst, name)
		switch h.Typeflag {
		case tar.TypeDir:
			err = os.MkdirAll(p, 0o755)
		case tar.TypeReg:
			err = writeFile(p, tr)
		}
		if err != nil {
			return err
		}
	}
}

func writeFile(p string, r io.Reader) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
