package live

import "testing"

// mapKey is scope.key read from entityKeys and configKeys directly.
func mapKey(s scope, k string) (scope, bool) {
	switch s {
	case docScope:
		if cs, ok := entityKeys[s][k]; ok {
			return cs, true
		}
		return rawScope, true
	case serviceScope, routeScope, consumerScope, aclScope, pluginScope:
		cs, ok := entityKeys[s][k]
		return cs, ok
	case configScope:
		return rawScope, configKeys[k]
	}
	return rawScope, true
}

// TestKeyTables: keyScope, by text and by bytes, answers as entityKeys
// and configKeys do, for every key they list, in every scope, and for
// keys they do not list; keyIn names a key only by its own text.
func TestKeyTables(t *testing.T) {
	keys := []string{"", "x", "config ", "Config", "name\x00", "tags2", "a-very-long-key-that-no-scope-lists-at-all"}
	for _, ks := range entityKeys {
		for k := range ks {
			keys = append(keys, k, k[:len(k)-1], k+"s")
		}
	}
	for k := range configKeys {
		keys = append(keys, k, k[1:])
	}
	for s := docScope; s <= pluginsScope; s++ {
		for _, k := range keys {
			ws, wok := mapKey(s, k)
			gs, gok := keyScope(s, k)
			bs, bok, name := keyIn(s, []byte(k))
			if gs != ws || gok != wok || bs != ws || bok != wok {
				t.Errorf("scope %d key %q: keyScope (%d, %v), bytes (%d, %v); the tables (%d, %v)", s, k, gs, gok, bs, bok, ws, wok)
			}
			if name != "" && name != k {
				t.Errorf("scope %d key %q: keyIn names it %q", s, k, name)
			}
		}
	}
}
