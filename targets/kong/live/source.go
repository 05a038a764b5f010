package live

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/tools/txtar"

	"github.com/rampart-policy/rampart/targets/kong"
)

// bundleComment opens what Fetch returns for a directory holding both
// kong.conf and a declarative configuration: a txtar archive of the two.
const bundleComment = "rampart kong live files\n"

// declNames are the declarative configuration's names in a directory, in
// the order looked for.
var declNames = []string{kong.DeckFile, "kong.yml", "kong.json"}

// readSource reads a file, or a directory's kong.conf and declarative
// configuration (either may be absent, not both).
func readSource(path string) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return os.ReadFile(path)
	}
	conf, err := readOptional(filepath.Join(path, kong.ConfFile))
	if err != nil {
		return nil, err
	}
	var decl []byte
	for _, n := range declNames {
		if decl, err = readOptional(filepath.Join(path, n)); err != nil || decl != nil {
			break
		}
	}
	switch {
	case err != nil:
		return nil, err
	case conf == nil && decl == nil:
		return nil, fmt.Errorf("%s holds neither %s nor a declarative configuration (%v)", path, kong.ConfFile, declNames)
	case decl == nil:
		return conf, nil
	case conf == nil:
		return decl, nil
	}
	return bundle(conf, decl)
}

// bundle puts kong.conf and the declarative configuration in one txtar
// archive, refusing files the archive would not give back unchanged (a
// line that reads as a txtar file marker).
func bundle(conf, decl []byte) ([]byte, error) {
	data := txtar.Format(&txtar.Archive{Comment: []byte(bundleComment), Files: []txtar.File{
		{Name: kong.ConfFile, Data: conf}, {Name: kong.DeckFile, Data: decl}}})
	c, d, err := splitLive(data)
	if err != nil || !bytes.Equal(bytes.TrimSuffix(c, []byte("\n")), bytes.TrimSuffix(conf, []byte("\n"))) ||
		!bytes.Equal(bytes.TrimSuffix(d, []byte("\n")), bytes.TrimSuffix(decl, []byte("\n"))) {
		return nil, fmt.Errorf("kong.conf and the declarative configuration cannot be read together (a line reads as a txtar file marker)")
	}
	return data, nil
}

// readOptional reads a file; nil when it does not exist.
func readOptional(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err == nil && data == nil {
		data = []byte{}
	}
	return data, err
}

// splitLive tells what Compare was given: a kong.conf (conf), a
// declarative configuration (decl), or both in Fetch's bundle.
func splitLive(data []byte) (conf, decl []byte, err error) {
	if !bytes.HasPrefix(data, []byte(bundleComment)) {
		if isKongConf(data) {
			return data, nil, nil
		}
		return nil, data, nil
	}
	a := txtar.Parse(data)
	for _, f := range a.Files {
		switch f.Name {
		case kong.ConfFile:
			conf = f.Data
		case kong.DeckFile:
			decl = f.Data
		default:
			return nil, nil, fmt.Errorf("kong live files: unexpected %s", f.Name)
		}
	}
	if conf == nil || decl == nil {
		return nil, nil, fmt.Errorf("kong live files: want %s and %s", kong.ConfFile, kong.DeckFile)
	}
	return conf, decl, nil
}
