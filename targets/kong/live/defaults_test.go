package live

import (
	"reflect"
	"testing"
)

// TestDefaultsMatchSchemas checks every default rampart fills against
// Kong's published 3.15 plugin schemas.
func TestDefaultsMatchSchemas(t *testing.T) {
	for plugin, fields := range Defaults {
		props := schemaConfig(t, plugin)
		for field, v := range fields {
			p, ok := props[field].(map[string]any)
			if !ok {
				t.Errorf("%s.%s: not in the schema", plugin, field)
				continue
			}
			if !reflect.DeepEqual(p["default"], v) {
				t.Errorf("%s.%s: rampart fills %v, the schema's default is %v", plugin, field, v, p["default"])
			}
		}
	}
}

// FuzzParseConfig: any input parses or fails cleanly, parses the same
// every time, and two parses of it compare (two separate values, so no
// comparison can short-cut on a shared pointer) without panicking and
// without drift.
func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(`{"config": "_format_version: \"3.0\"\nservices: []\n"}`))
	f.Add([]byte("_format_version: \"3.0\"\nservices:\n- name: a\n  routes:\n  - name: r\n    plugins:\n    - name: key-auth\n      config: {hide_credentials: true}\nplugins:\n- name: cors\n  route: r\n"))
	f.Add([]byte(`{"_format_version":"3.0","routes":[{"id":"1","name":"x","service":{"id":"s"}}],"acls":[{"consumer":{"id":"c"},"group":"g"}],"consumers":[{"id":"c","username":"u"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := parseConfig(data)
		if err != nil {
			return
		}
		again, err := parseConfig(data)
		if err != nil {
			t.Fatalf("parsed once, then failed: %v", err)
		}
		c := &comparer{d: newComparer(emptyPolicy).d, p: emptyPolicy, routes: nil}
		c.compare(m, again)
		if r := c.d.Result(); r.Drifted() {
			t.Fatalf("a configuration drifts from itself: %+v", r.Findings)
		}
	})
}
