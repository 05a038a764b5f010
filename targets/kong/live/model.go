package live

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"unsafe"

	"gopkg.in/yaml.v3"
)

// model is a normalised Kong configuration: what drift compares.
type model struct {
	services  map[string]*service
	routes    map[string]*route
	consumers map[string][]string // username → sorted ACL groups
}

// service is a Kong service without server fields.
type service struct {
	Name string
	// Fields are the service's own fields (protocol, host, port, path,
	// tls_verify, timeouts), normalised.
	Fields map[string]any
	// Plugins are the plugins scoped to the service, by name.
	Plugins map[string]plugin
}

// route is a Kong route with its effective plugins.
type route struct {
	// Name is the route's name, or "id:<id>" for an unnamed route.
	Name, Service string
	Fields        map[string]any
	Tags          []string
	// Plugins are the plugins scoped to the route, by name; effective
	// resolves them with the service's and the global ones.
	Plugins map[string]plugin
}

// plugin is one plugin instance.
type plugin struct {
	Name    string
	Enabled bool
	// Scope is "route", "service" or "global": where the instance is set.
	Scope  string
	Config map[string]any
}

// effective returns a route's plugins as Kong runs them: a route-scoped
// instance wins over a service-scoped one, which wins over a global one.
func (m *model) effective(r *route, global map[string]plugin) map[string]plugin {
	out := map[string]plugin{}
	for n, p := range global {
		out[n] = p
	}
	if s := m.services[r.Service]; s != nil {
		for n, p := range s.Plugins {
			out[n] = p
		}
	}
	for n, p := range r.Plugins {
		out[n] = p
	}
	return out
}

// parsed is a model with its global plugins.
type parsed struct {
	model
	global map[string]plugin
}

// routeDefaults are Kong's defaults for the route fields compared
// (decK schema and Kong's routes schema).
var routeDefaults = map[string]any{"https_redirect_status_code": float64(426), "strip_path": true, "preserve_host": false}

// serverFields are fields Kong sets itself; they are never compared.
var serverFields = []string{"id", "created_at", "updated_at", "ws_id"}

// parseConfig reads a Kong configuration in any of the forms Kong
// produces: a decK file (nested: services[].routes[].plugins[],
// consumers[].acls[]), the flat export of GET /config (routes, plugins
// and acls at the top level, foreign keys as ids), the same as JSON as
// Fetch assembles it from the entity endpoints (foreign keys as
// {"id": …}), or the Admin API's {"config": "<text>"} answer.
func parseConfig(data []byte) (*parsed, error) {
	top, err := decodeTop(data)
	if err != nil {
		return nil, err
	}
	return buildModel(top)
}

// buildModel normalises a decoded configuration.
func buildModel(top map[string]any) (*parsed, error) {
	if _, ok := top["_format_version"]; !ok {
		return nil, fmt.Errorf("not a Kong declarative configuration: no _format_version")
	}
	b := newBuilder()
	if err := b.build(top); err != nil {
		return nil, err
	}
	for u := range b.p.consumers {
		sort.Strings(b.p.consumers[u])
		b.p.consumers[u] = slices.Compact(b.p.consumers[u])
	}
	return b.p, nil
}

// decodeTop decodes a configuration, unwrapping the Admin API's
// {"config": "<text>"}.
func decodeTop(data []byte) (map[string]any, error) {
	if top, ok := decodeConfigAnswer(data); ok {
		return top, nil
	}
	text, ok := adminConfigText(data)
	if !ok {
		top, err := decodeDoc(data)
		if err != nil {
			return nil, err
		}
		s, isText := top["config"].(string)
		if !isText || len(top) != 1 {
			return top, nil
		}
		text = []byte(s)
	}
	top, err := decodeDoc(text)
	if err != nil {
		return nil, fmt.Errorf("the Admin API's config text: %w", err)
	}
	return top, nil
}

// decodeDoc decodes one YAML or JSON document into generic values with
// every number as float64, keeping what the scopes keep. YAML in the
// block style Kong and yaml.v3 write is read by decodeBlockYAML; any
// other YAML by yaml.v3.
func decodeDoc(data []byte) (map[string]any, error) {
	if t := bytes.TrimLeft(data, " \t\r\n"); len(t) > 0 && t[0] == '{' {
		return decodeJSON(data)
	}
	if m, ok := decodeBlockYAML(data); ok {
		return m, nil
	}
	return decodeYAML(data)
}

// decodeYAML decodes a YAML document with yaml.v3, then norm and prune.
func decodeYAML(data []byte) (map[string]any, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	var extra any
	if dec.Decode(&extra) == nil {
		return nil, fmt.Errorf("more than one YAML document")
	}
	m, ok := norm(v).(map[string]any)
	if !ok {
		return nil, fmt.Errorf("want a mapping at the top level, got %T", v)
	}
	prune(m, docScope)
	return m, nil
}

// norm converts decoded YAML to the JSON data model: numbers float64,
// mappings with string keys.
func norm(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = norm(e)
		}
		return x
	case map[any]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[fmt.Sprint(k)] = norm(e)
		}
		return out
	case []any:
		for i, e := range x {
			x[i] = norm(e)
		}
		return x
	case int:
		return float64(x)
	case int64:
		return float64(x)
	case uint64:
		return float64(x)
	case json.Number:
		f, _ := x.Float64()
		return f
	}
	return v
}

// builder resolves foreign keys while reading a configuration.
type builder struct {
	p                                *parsed
	svcByID, routeByID, consumerByID map[string]string
	pending                          []pendingPlugin
	// configs are the plugins' normalised configs, by plugin name and
	// decoded config (pluginConfig).
	configs map[configKey]map[string]any
}

// newBuilder returns a builder of an empty configuration.
func newBuilder() *builder {
	return &builder{p: &parsed{model: model{services: map[string]*service{}, routes: map[string]*route{},
		consumers: map[string][]string{}}, global: map[string]plugin{}},
		svcByID: map[string]string{}, routeByID: map[string]string{}, consumerByID: map[string]string{},
		configs: map[configKey]map[string]any{}}
}

// pendingPlugin is a top-level plugin resolved once every entity is read.
type pendingPlugin struct {
	raw map[string]any
	at  loc
}

// loc is where an entity is in the document, as "services[2].routes[0]":
// its list and index, under its parent's loc. It is written out only
// for an error message (String).
type loc struct {
	up   *loc
	list string
	i    int
}

// String writes l out.
func (l *loc) String() string {
	s := l.list + "[" + strconv.Itoa(l.i) + "]"
	if l.up != nil {
		return l.up.String() + "." + s
	}
	return s
}

// build reads every entity of a top-level document.
func (b *builder) build(top map[string]any) error {
	for i, s := range list(top["services"]) {
		if err := b.service(s, &loc{list: "services", i: i}); err != nil {
			return err
		}
	}
	for i, r := range list(top["routes"]) {
		if err := b.route(r, "", &loc{list: "routes", i: i}); err != nil {
			return err
		}
	}
	for i, c := range list(top["consumers"]) {
		if err := b.consumer(c, &loc{list: "consumers", i: i}); err != nil {
			return err
		}
	}
	for i, a := range list(top["acls"]) {
		if err := b.acl(a, "", &loc{list: "acls", i: i}); err != nil {
			return err
		}
	}
	for i, p := range list(top["plugins"]) {
		b.pending = append(b.pending, pendingPlugin{p, loc{list: "plugins", i: i}})
	}
	for _, pp := range b.pending {
		if err := b.topPlugin(pp.raw, &pp.at); err != nil {
			return err
		}
	}
	return nil
}

// list returns a generic list of mappings; other members are dropped.
func list(v any) []map[string]any {
	xs, _ := v.([]any)
	out := make([]map[string]any, 0, len(xs))
	for _, x := range xs {
		if m, ok := x.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// fields copies an entity's own scalar and list fields, leaving out
// server fields, nested entities and foreign keys.
func fields(raw map[string]any, skip ...string) map[string]any {
	out := map[string]any{}
	for k, v := range raw {
		if v == nil || slices.Contains(serverFields, k) || slices.Contains(skip, k) {
			continue
		}
		out[k] = v
	}
	return out
}

// str returns a string field, "" when absent.
func str(raw map[string]any, k string) string {
	s, _ := raw[k].(string)
	return s
}

// ref resolves a foreign key: an id string, {"id": …} or {"name": …}.
func ref(v any, byID map[string]string) (string, bool) {
	switch x := v.(type) {
	case string:
		if n, ok := byID[x]; ok {
			return n, true
		}
		return x, true
	case map[string]any:
		if id, ok := x["id"].(string); ok {
			n, ok := byID[id]
			return n, ok
		}
		if n, ok := x["name"].(string); ok {
			return n, true
		}
		if n, ok := x["username"].(string); ok {
			return n, true
		}
	}
	return "", false
}

// service reads a service and its nested routes and plugins.
func (b *builder) service(raw map[string]any, at *loc) error {
	name := str(raw, "name")
	if name == "" {
		name = "id:" + str(raw, "id")
	}
	if _, dup := b.p.services[name]; dup {
		return fmt.Errorf("%s: service %q twice", at.String(), name)
	}
	b.svcByID[str(raw, "id")] = name
	b.p.services[name] = &service{Name: name, Fields: fields(raw, "name", "routes", "plugins", "tags", "enabled"),
		Plugins: map[string]plugin{}}
	if en, ok := raw["enabled"].(bool); ok && !en {
		b.p.services[name].Fields["enabled"] = false
	}
	for i, r := range list(raw["routes"]) {
		if err := b.route(r, name, &loc{up: at, list: "routes", i: i}); err != nil {
			return err
		}
	}
	for i, p := range list(raw["plugins"]) {
		if err := b.addPlugin(b.p.services[name].Plugins, p, "service", &loc{up: at, list: "plugins", i: i}); err != nil {
			return err
		}
	}
	return nil
}

// route reads a route and its nested plugins; svc is the enclosing
// service in a nested file.
func (b *builder) route(raw map[string]any, svc string, at *loc) error {
	name := str(raw, "name")
	if name == "" {
		name = "id:" + str(raw, "id")
	}
	if svc == "" {
		if s, ok := ref(raw["service"], b.svcByID); ok {
			svc = s
		}
	}
	if _, dup := b.p.routes[name]; dup {
		return fmt.Errorf("%s: route %q twice", at.String(), name)
	}
	b.routeByID[str(raw, "id")] = name
	r := &route{Name: name, Service: svc, Fields: fields(raw, "name", "service", "plugins", "tags"), Plugins: map[string]plugin{}}
	for k, v := range routeDefaults {
		if _, ok := r.Fields[k]; !ok {
			r.Fields[k] = v
		}
	}
	tags, _ := raw["tags"].([]any)
	for _, t := range tags {
		if s, ok := t.(string); ok {
			r.Tags = append(r.Tags, s)
		}
	}
	b.p.routes[name] = r
	for i, p := range list(raw["plugins"]) {
		if err := b.addPlugin(r.Plugins, p, "route", &loc{up: at, list: "plugins", i: i}); err != nil {
			return err
		}
	}
	return nil
}

// consumer reads a consumer and its nested ACL groups.
func (b *builder) consumer(raw map[string]any, at *loc) error {
	u := str(raw, "username")
	if u == "" {
		u = "id:" + str(raw, "id")
	}
	b.consumerByID[str(raw, "id")] = u
	if _, ok := b.p.consumers[u]; !ok {
		b.p.consumers[u] = []string{}
	}
	for i, a := range list(raw["acls"]) {
		if err := b.acl(a, u, &loc{up: at, list: "acls", i: i}); err != nil {
			return err
		}
	}
	return nil
}

// acl reads an ACL group membership.
func (b *builder) acl(raw map[string]any, user string, at *loc) error {
	if user == "" {
		u, ok := ref(raw["consumer"], b.consumerByID)
		if !ok {
			return fmt.Errorf("%s: ACL group of an unknown consumer", at.String())
		}
		user = u
	}
	b.p.consumers[user] = append(b.p.consumers[user], str(raw, "group"))
	return nil
}

// topPlugin places a top-level plugin by its route, service or consumer.
func (b *builder) topPlugin(raw map[string]any, at *loc) error {
	if raw["consumer"] != nil || raw["consumer_group"] != nil {
		// rampart scopes no plugin to a consumer: such an instance
		// applies only to that consumer's requests; it is reported
		// by name under the global scope so it is not lost.
		return b.addPlugin(b.p.global, raw, "consumer", at)
	}
	if raw["route"] != nil {
		n, ok := ref(raw["route"], b.routeByID)
		r := b.p.routes[n]
		if !ok || r == nil {
			return fmt.Errorf("%s: plugin %s on an unknown route", at.String(), str(raw, "name"))
		}
		return b.addPlugin(r.Plugins, raw, "route", at)
	}
	if raw["service"] != nil {
		n, ok := ref(raw["service"], b.svcByID)
		s := b.p.services[n]
		if !ok || s == nil {
			return fmt.Errorf("%s: plugin %s on an unknown service", at.String(), str(raw, "name"))
		}
		return b.addPlugin(s.Plugins, raw, "service", at)
	}
	return b.addPlugin(b.p.global, raw, "global", at)
}

// addPlugin records a plugin instance in into; Kong allows one instance
// of a plugin per scope.
func (b *builder) addPlugin(into map[string]plugin, raw map[string]any, scope string, at *loc) error {
	name := str(raw, "name")
	if name == "" {
		return fmt.Errorf("%s: plugin without a name", at.String())
	}
	key := name
	if scope == "consumer" {
		key = "consumer-scoped " + name
	}
	if _, dup := into[key]; dup {
		return fmt.Errorf("%s: plugin %s twice in one scope", at.String(), name)
	}
	cfg, _ := raw["config"].(map[string]any)
	enabled := true
	if e, ok := raw["enabled"].(bool); ok {
		enabled = e
	}
	into[key] = plugin{Name: name, Enabled: enabled, Scope: scope, Config: b.pluginConfig(name, cfg)}
	return nil
}

// configKey names a decoded config of a plugin: by the plugin's name
// and the config's map (its identity, not its content).
type configKey struct {
	name string
	cfg  unsafe.Pointer
}

// pluginConfig returns canon(name, withDefaults(name, cfg)), once for
// each plugin name and decoded config: the decoders give the plugins
// that repeat a config text one shared value (configCache), and what
// pluginConfig returns is only read, so they share one normalised
// config too, which lets the comparer compare each pair of them once
// (pairChecks).
func (b *builder) pluginConfig(name string, cfg map[string]any) map[string]any {
	k := configKey{name, reflect.ValueOf(cfg).UnsafePointer()}
	if c, ok := b.configs[k]; ok {
		return c
	}
	c := canon(name, withDefaults(name, cfg))
	b.configs[k] = c
	return c
}
