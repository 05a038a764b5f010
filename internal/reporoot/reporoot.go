// Package reporoot finds the repository's root from a test's working
// directory, for test helpers that read files beside or inside it.
package reporoot

import (
	"os"
	"path/filepath"
)

// Find walks up from the working directory to the directory holding
// go.mod.
func Find() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", os.ErrNotExist
		}
		dir = parent
	}
}
