package live

// scope says which keys of a mapping the decoders build. Drift compares
// a few fields of each entity and of each plugin's config (specs), so
// only those are built; the rest is skipped without building it: Kong
// exports every field of a plugin's schema (some 200 for openid-connect,
// most of them null) and a score of fields per route. decodeJSON,
// decodeBlockYAML and prune apply the same rules.
type scope uint8

const (
	// docScope is the document: its entity lists are read in their
	// scopes, any other member whole.
	docScope scope = iota
	serviceScope
	routeScope
	consumerScope
	aclScope
	pluginScope
	// configScope is a plugin's config: only configKeys are kept.
	configScope
	// rawScope is a value read whole.
	rawScope
	servicesScope
	routesScope
	consumersScope
	aclsScope
	pluginsScope
)

// entityKeys are the fields the builder and the comparer read, by
// entity scope; a key naming a nested list maps to the list's scope.
var entityKeys = map[scope]map[string]scope{
	docScope: {"services": servicesScope, "routes": routesScope, "consumers": consumersScope, "acls": aclsScope,
		"plugins": pluginsScope},
	serviceScope: {"routes": routesScope, "plugins": pluginsScope, "name": rawScope, "id": rawScope, "enabled": rawScope,
		"protocol": rawScope, "host": rawScope, "port": rawScope, "path": rawScope, "tls_verify": rawScope,
		"connect_timeout": rawScope, "read_timeout": rawScope, "write_timeout": rawScope},
	routeScope: {"plugins": pluginsScope, "name": rawScope, "id": rawScope, "service": rawScope, "tags": rawScope,
		"methods": rawScope, "paths": rawScope, "hosts": rawScope, "protocols": rawScope, "https_redirect_status_code": rawScope},
	consumerScope: {"acls": aclsScope, "username": rawScope, "id": rawScope},
	aclScope:      {"consumer": rawScope, "group": rawScope},
	pluginScope: {"config": configScope, "name": rawScope, "route": rawScope, "service": rawScope, "consumer": rawScope,
		"consumer_group": rawScope, "enabled": rawScope},
}

// listElems are the list scopes' member scopes.
var listElems = map[scope]scope{servicesScope: serviceScope, routesScope: routeScope, consumersScope: consumerScope,
	aclsScope: aclScope, pluginsScope: pluginScope}

// configKeys are the plugin config fields drift reads: the compared
// fields (specs) and size_unit, which canon folds into
// allowed_payload_size.
var configKeys = func() map[string]bool {
	out := map[string]bool{"size_unit": true}
	for _, s := range specs {
		for _, f := range s.Fields {
			out[f.Name] = true
		}
	}
	return out
}()

// key returns the scope of a mapping's member named k, and whether the
// member is kept. The document keeps every member (its other members
// read whole); an entity only the fields read.
func (s scope) key(k string) (scope, bool) { return keyScope(s, k) }

// keyScope is scope.key for a key as text or bytes (the decoders'
// keys, looked up without a copy).
func keyScope[K string | []byte](s scope, k K) (scope, bool) {
	cs, keep, _ := keyIn(s, k)
	return cs, keep
}

// keyIn is keyScope that also returns the key's text when a table of s
// lists it (the decoders use it rather than copy or intern the key), ""
// otherwise.
func keyIn[K string | []byte](s scope, k K) (cs scope, keep bool, name string) {
	switch s {
	case docScope:
		if e, ok := find(keyTables[s], k); ok {
			return e.s, true, e.name
		}
		return rawScope, true, ""
	case serviceScope, routeScope, consumerScope, aclScope, pluginScope:
		e, ok := find(keyTables[s], k)
		return e.s, ok, e.name
	case configScope:
		e, ok := find(keyTables[s], k)
		return rawScope, ok, e.name
	}
	return rawScope, true, ""
}

// keyTable is a scope's kept keys by length, looked up without hashing
// (the decoders look up every key they read).
type keyTable [][]keyEntry

// keyEntry is a kept key and the scope of its value.
type keyEntry struct {
	name string
	s    scope
}

// find returns k's entry in t, and whether k is in t; the zero entry
// (whose scope is the zero scope, as a lookup in entityKeys gives) when
// it is not.
func find[K string | []byte](t keyTable, k K) (keyEntry, bool) {
	if len(k) < len(t) {
		for _, e := range t[len(k)] {
			if e.name == string(k) {
				return e, true
			}
		}
	}
	return keyEntry{}, false
}

// keyTables are entityKeys and configKeys as keyTables, by scope.
var keyTables = func() (t [pluginsScope + 1]keyTable) {
	add := func(s scope, k string, cs scope) {
		for len(t[s]) <= len(k) {
			t[s] = append(t[s], nil)
		}
		t[s][len(k)] = append(t[s][len(k)], keyEntry{k, cs})
	}
	for s, keys := range entityKeys {
		for k, cs := range keys {
			add(s, k, cs)
		}
	}
	for k := range configKeys {
		add(configScope, k, rawScope)
	}
	return t
}()

// elem returns the scope of a sequence's members.
func (s scope) elem() scope {
	if e, ok := listElems[s]; ok {
		return e
	}
	return rawScope
}

// prune applies scope s to a generic value in place: members a scope does
// not keep are deleted. It gives a fully decoded document the shape the
// scoped decoders build.
func prune(v any, s scope) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			cs, keep := s.key(k)
			if !keep {
				delete(x, k)
				continue
			}
			x[k] = prune(e, cs)
		}
	case []any:
		for i, e := range x {
			x[i] = prune(e, s.elem())
		}
	}
	return v
}
