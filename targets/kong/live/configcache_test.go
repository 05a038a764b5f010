package live

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// sameCachedYAML fails unless the block decoder reads data through a
// configCache as it reads it with every config read, and, where it reads
// it, as yaml.v3 does; it returns the cache's hits.
func sameCachedYAML(t *testing.T, name string, data []byte) int {
	t.Helper()
	plain, pok := decodeBlockCached(data, nil)
	cache := &configCache{}
	cached, cok := decodeBlockCached(data, cache)
	if pok != cok {
		t.Fatalf("%s: read %v through the cache, %v without", name, cok, pok)
	}
	if d := cmp.Diff(plain, cached, cmpopts.EquateNaNs()); d != "" {
		t.Fatalf("%s: the cache changes what is read (-without +with):\n%s", name, d)
	}
	if cok {
		sameAsYAMLv3(t, name, data)
	}
	for _, size := range []int{1, 20, 200} {
		sameInParts(t, name, data, size, false)
		// On one goroutine the parts are read in a set order: largest
		// first.
		if one, ok := decodeBlockParallel(data, 1, size); ok {
			if d := cmp.Diff(plain, one, cmpopts.EquateNaNs()); !pok || d != "" {
				t.Fatalf("%s: parts of %d on one goroutine differ (-whole +parts):\n%s", name, size, d)
			}
		}
	}
	return cache.hits
}

// yamlPlugin is a plugin entry in yaml.v3's layout (entries indented
// under their key, four spaces a level), its config at column 8.
func yamlPlugin(name string, config ...string) string {
	return "    - config:\n" + strings.Join(config, "") + "      name: " + name + "\n"
}

// TestConfigCacheYAML: configs repeated, or repeated with a difference
// around or inside them (comments, blank lines, continuation lines, an
// indentation the document cannot have, a tab, a repeated key, the end
// of the document), read as they read with every config read and as
// yaml.v3 reads them; the repeats are found in the cache.
func TestConfigCacheYAML(t *testing.T) {
	base := []string{"        allow:\n", "            - a\n", "            - b\n", "        hide_groups_header: true\n",
		"        skipped: null\n"}
	with := func(lines ...string) []string { return append(append([]string{}, base...), lines...) }
	variants := map[string][]string{
		"same":            base,
		"comment after":   with("# after\n"),
		"blank after":     with("\n", "   \n"),
		"comment inside":  {base[0], "  # inside\n", base[1], base[2], base[3], base[4]},
		"continued":       with("        message: a long\n", "          text\n"),
		"continued blank": with("        message: a long\n", "\n", "          text\n"),
		"shallower":       with("       odd: 1\n"),
		"tab":             with("        \tx: 1\n"),
		"repeated key":    with("        allow: []\n"),
		"deeper start":    {"         allow: []\n"},
		"other value":     {base[0], base[1], "            - c\n", base[3], base[4]},
	}
	for name, v := range variants {
		doc := "_format_version: \"3.0\"\nplugins:\n" + yamlPlugin("acl", base...) + yamlPlugin("acl", v...) +
			yamlPlugin("acl", base...) + yamlPlugin("acl", v...)
		hits := sameCachedYAML(t, name, []byte(doc))
		if _, ok := decodeBlockSerial([]byte(doc)); ok && hits < 2 {
			t.Errorf("%s: %d configs found in the cache, want at least 2", name, hits)
		}
		// The config last in the document, then last in its entry.
		sameCachedYAML(t, name+" at the end", []byte(doc+"    - name: acl\n      config:\n"+strings.Join(v, "")))
		sameCachedYAML(t, name+" then a key", []byte(doc+"    - name: acl\n      config:\n"+strings.Join(v, "")+"routes: []\n"))
	}
	// A text kept at the end of the data, without a newline, is not
	// taken where its last line goes on: the larger last part is read
	// first on one goroutine.
	sameCachedYAML(t, "end without a newline", []byte("plugins:\n- config:\n    a: 1\n    x: 12\n  name: y\n"+
		"- name: a-name-long-enough-for-this-part-to-be-read-first\n  config:\n    a: 1\n    x: 1"))
	sameCachedYAML(t, "end without a newline, then an entry", []byte("plugins:\n- config:\n    a: 1\n    x: 1- y: 2\n"+
		"- name: a-name-long-enough-for-this-part-to-be-read-first\n  config:\n    a: 1\n    x: 1"))
	// lyaml's layout: entries at their key's column, two spaces a level.
	lyaml := "plugins:\n- config:\n    allow:\n    - a\n    x: ~\n  name: acl\n- name: acl\n  config:\n    allow:\n    - a\n    x: ~\n" +
		"- config:\n    allow:\n    - a\n    x: ~\n  name: acl\n_format_version: '3.0'\n"
	if hits := sameCachedYAML(t, "lyaml", []byte(lyaml)); hits != 2 {
		t.Errorf("lyaml: %d configs found in the cache, want 2", hits)
	}
}

// sameCachedJSON fails unless decodeJSON reads data through a
// configCache as it reads it with every config read (the same error or
// value), and as encoding/json does; it returns the cache's hits.
func sameCachedJSON(t *testing.T, data string) int {
	t.Helper()
	plain, perr := decodeJSONCached([]byte(data), nil)
	cache := &configCache{}
	cached, cerr := decodeJSONCached([]byte(data), cache)
	if fmt.Sprint(perr) != fmt.Sprint(cerr) {
		t.Fatalf("%s: error %v through the cache, %v without", data, cerr, perr)
	}
	if d := cmp.Diff(plain, cached); d != "" {
		t.Fatalf("%s: the cache changes what is read (-without +with):\n%s", data, d)
	}
	std, serr := decodeJSONStd([]byte(data))
	if (cerr == nil) != (serr == nil) {
		t.Fatalf("%s: error %v, encoding/json error %v", data, cerr, serr)
	}
	if d := cmp.Diff(std, cached); cerr == nil && d != "" {
		t.Fatalf("%s: differs from encoding/json:\n%s", data, d)
	}
	return cache.hits
}

// TestConfigCacheJSON: configs repeated, or repeated with strings that
// hold brackets, quotes and backslashes, white space, or a broken
// document around them, read as they read with every config read and as
// encoding/json reads them; the repeats are found in the cache.
func TestConfigCacheJSON(t *testing.T) {
	for _, cfg := range []string{
		`{"allow":["a"],"x":null}`, `{ "allow" : [ "a" ] , "x" : {"y":[1,{}]} }`, `{"allow":["}"],"x":"]{\"}"}`,
		`{"allow":["a\\"],"x":"\\\"}"}`, `{"allow":["\u0061\n"],"x":1e3}`, `{}`, `{"allow":[],"allow":["b"]}`,
	} {
		entry := `{"name":"acl","config":` + cfg + `}`
		doc := `{"_format_version":"3.0","plugins":[` + entry + "," + entry + ",\n" + entry + `]}`
		if hits := sameCachedJSON(t, doc); hits != 2 {
			t.Errorf("%s: %d configs found in the cache, want 2", doc, hits)
		}
		for _, broken := range []string{
			doc[:len(doc)-1], doc + "x", strings.Replace(doc, `"name"`, `"name`, 1), doc[:len(doc)-len(entry)] + cfg[:len(cfg)-1] + "]}",
			`{"plugins":[` + entry + `,{"config":` + cfg + `x}]}`, `{"plugins":[` + entry + `,{"config":` + cfg + `]}`,
			`{"plugins":[` + entry + `,{"config":` + cfg + `,"x":1e999}]}`,
		} {
			sameCachedJSON(t, broken)
		}
	}
	long := strings.Repeat("a", maxHead)
	if hits := sameCachedJSON(t, `{"plugins":[{"config":{"a":"`+long+`","x":1}},{"config":{"a":"`+long+`","x":2}},`+
		`{"config":{"a":"`+long+`","x":1}}]}`); hits != 1 {
		t.Errorf("same head: %d configs found in the cache, want 1", hits)
	}
	if hits := sameCachedJSON(t, `{"plugins":[{"config":{"a":"\"}"}},{"config":{"a":"\"}"}}]}`); hits != 1 {
		t.Errorf("escaped quote: %d configs found in the cache, want 1", hits)
	}
}
