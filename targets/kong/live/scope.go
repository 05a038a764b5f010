package live

// scope says which keys of a mapping the decoders build. Drift compares a
// few fields of each plugin's config (specs), so a plugin's config keeps
// only those and the decoders skip the rest without building it: Kong
// exports every field of a plugin's schema, some 200 for openid-connect,
// most of them null. Everything else is built whole. decodeJSON,
// decodeBlockYAML and prune apply the same rules.
type scope uint8

const (
	// docScope is the document and its entities: a "plugins" key holds
	// plugins.
	docScope scope = iota
	// pluginsScope is a list of plugins.
	pluginsScope
	// pluginScope is one plugin: its "config" is read in configScope.
	pluginScope
	// configScope is a plugin's config: only configKeys are kept.
	configScope
	// rawScope is a value read whole.
	rawScope
)

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
// member is kept.
func (s scope) key(k string) (scope, bool) {
	switch s {
	case docScope:
		if k == "plugins" {
			return pluginsScope, true
		}
		return docScope, true
	case pluginsScope:
		return docScope, true
	case pluginScope:
		if k == "config" {
			return configScope, true
		}
		return rawScope, true
	case configScope:
		return rawScope, configKeys[k]
	}
	return rawScope, true
}

// elem returns the scope of a sequence's members.
func (s scope) elem() scope {
	switch s {
	case docScope:
		return docScope
	case pluginsScope:
		return pluginScope
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
