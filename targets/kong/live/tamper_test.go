package live

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/drift"
)

// want is the finding a tamper must produce: every finding must match it.
type want struct {
	control, route string
	dir            drift.Direction
	sev            drift.Severity
	// path, when set, ends every finding's path.
	path string
}

// tamper changes a decoded live configuration and says what drift must
// find.
type tamper struct {
	name string
	do   func(t *testing.T, d doc) want
}

// setConfig returns a tamper setting one config field of the first
// instance of plugin.
func setConfig(name, plugin, field string, v any, control string, dir drift.Direction, where func(map[string]any) bool) tamper {
	return tamper{name, func(t *testing.T, d doc) want {
		p, _, id := d.pluginOn(t, plugin, where)
		p["config"].(map[string]any)[field] = v
		return want{control, id, dir, drift.Weakening, ".config." + field}
	}}
}

var tampers = []tamper{
	setConfig("key-auth hide_credentials off", "key-auth", "hide_credentials", false, ir.CtlAPIKey, drift.Changed, nil),
	setConfig("key-auth key_in_query on", "key-auth", "key_in_query", true, ir.CtlAPIKey, drift.Changed,
		func(c map[string]any) bool { return c["key_in_query"] == false }),
	setConfig("rate raised", "rate-limiting", "minute", float64(1e6), "", drift.Changed,
		func(c map[string]any) bool { return c["minute"] != nil }),
	setConfig("rate-limiting fault_tolerant on", "rate-limiting", "fault_tolerant", true, "", drift.Changed,
		func(c map[string]any) bool { return c["fault_tolerant"] == false }),
	setConfig("body limit raised", "request-size-limiting", "allowed_payload_size", float64(1<<30), ir.CtlBodyLimit, drift.Changed, nil),
	setConfig("openid-connect query tokens", "openid-connect", "bearer_token_param_type", []any{"header", "query"}, ir.CtlJWT, drift.Unexpected,
		func(c map[string]any) bool { return c["introspection_endpoint"] == nil }),
	{"cors any origin", func(t *testing.T, d doc) want {
		p, _, id := d.pluginOn(t, "cors", nil)
		cfg := p["config"].(map[string]any)
		cfg["origins"] = append(cfg["origins"].([]any), "*")
		return want{ir.CtlCORS, id, drift.Unexpected, drift.Weakening, ""}
	}},
	{"acl group added", func(t *testing.T, d doc) want {
		p, _, id := d.pluginOn(t, "acl", func(c map[string]any) bool { return c["allow"] != nil })
		cfg := p["config"].(map[string]any)
		cfg["allow"] = append(cfg["allow"].([]any), "everyone")
		return want{ir.CtlAuthzRules, id, drift.Unexpected, drift.Weakening, ""}
	}},
	{"plugin disabled", func(t *testing.T, d doc) want {
		p, _, id := d.pluginOn(t, "key-auth", nil)
		p["enabled"] = false
		return want{ir.CtlAPIKey, id, drift.Changed, drift.Weakening, ""}
	}},
	{"plugin removed", func(t *testing.T, d doc) want {
		p, _, id := d.pluginOn(t, "request-size-limiting", nil)
		d.remove("plugins", p)
		return want{ir.CtlBodyLimit, id, drift.Missing, drift.Weakening, ""}
	}},
	{"log plugin removed", func(t *testing.T, d doc) want {
		p, _, id := d.pluginOn(t, "file-log", nil)
		d.remove("plugins", p)
		return want{ir.CtlAccessLog, id, drift.Missing, drift.Weakening, ""}
	}},
	{"log custom field changed", func(t *testing.T, d doc) want {
		p, _, id := d.pluginOn(t, "file-log", nil)
		fields := p["config"].(map[string]any)["custom_fields_by_lua"].(map[string]any)
		for k := range fields {
			if strings.HasPrefix(k, "request.headers") {
				delete(fields, k)
			}
		}
		return want{ir.CtlRedact, id, drift.Missing, drift.Weakening, ""}
	}},
	{"header dropped", func(t *testing.T, d doc) want {
		p, _, id := d.pluginOn(t, "response-transformer", nil)
		cfg := p["config"].(map[string]any)
		for _, part := range []string{"add", "replace"} {
			hs := cfg[part].(map[string]any)
			var kept []any
			for _, h := range hs["headers"].([]any) {
				if !strings.HasPrefix(strings.ToLower(h.(string)), "x-frame-options:") {
					kept = append(kept, h)
				}
			}
			hs["headers"] = kept
		}
		return want{ir.CtlHeaders, id, drift.Missing, drift.Weakening, ""}
	}},
	{"upstream tls_verify off", func(t *testing.T, d doc) want {
		for _, s := range list(d["services"]) {
			if s["tls_verify"] == true {
				s["tls_verify"] = false
				return want{ir.CtlUpstreamTLS, "", drift.Changed, drift.Weakening, ""}
			}
		}
		t.Fatal("no service verifies its upstream")
		return want{}
	}},
	{"code plugin added", func(t *testing.T, d doc) want {
		// pre-function runs arbitrary Lua before every other plugin.
		p, _, id := d.pluginOn(t, "key-auth", nil)
		d["plugins"] = append(d["plugins"].([]any), map[string]any{"id": "0b7c3c4e-0000-4000-8000-000000000002",
			"name": "pre-function", "route": p["route"], "service": nil, "consumer": nil, "enabled": true,
			"protocols": []any{"http", "https"}, "created_at": float64(recordTime),
			"config": map[string]any{"access": []any{"kong.service.request.clear_header('X-Rampart-Subject')"}}})
		return want{ir.CtlUndeclared, id, drift.Unexpected, drift.Weakening, ""}
	}},
	{"unauthenticated route added", func(t *testing.T, d doc) want {
		svc := list(d["services"])[0]
		d["routes"] = append(d["routes"].([]any), map[string]any{"id": "0b7c3c4e-0000-4000-8000-000000000001", "name": "debug",
			"service": svc["id"], "paths": []any{"/debug"}, "protocols": []any{"http", "https"}, "created_at": float64(recordTime)})
		return want{ir.CtlUndeclared, "", drift.Unexpected, drift.Weakening, ""}
	}},
}

// remove deletes an entity from a top-level list.
func (d doc) remove(kind string, e map[string]any) {
	var kept []any
	for _, x := range d[kind].([]any) {
		if m, ok := x.(map[string]any); !ok || m["id"] != e["id"] {
			kept = append(kept, x)
		}
	}
	d[kind] = kept
}

// TestTampers: each tamper of the issue, made to the recorded DB-less
// answer, is found with the right control, route, direction and
// severity, and nothing else is.
func TestTampers(t *testing.T) {
	dbless, _ := recorded(t)
	for _, tc := range tampers {
		t.Run(tc.name, func(t *testing.T) {
			d := liveDoc(t, dbless)
			w := tc.do(t, d)
			r := run(t, replay(t, d.answer(t), nil).URL)
			checkFindings(t, r, w)
		})
	}
}

// checkFindings requires at least one finding, each matching w (a
// rate-limiting tamper takes any ratelimit control).
func checkFindings(t *testing.T, r drift.Result, w want) {
	t.Helper()
	if len(r.Findings) == 0 {
		t.Fatal("tamper not found")
	}
	for _, f := range r.Findings {
		ctlOK := f.Control == w.control || (w.control == "" && strings.HasPrefix(f.Control, "ratelimit"))
		if !ctlOK || f.Route != w.route || f.Direction != w.dir || f.Severity != w.sev || !strings.HasSuffix(f.Path, w.path) {
			b, _ := json.MarshalIndent(r.Findings, "", " ")
			t.Fatalf("want every finding %+v, got:\n%s", w, b)
		}
	}
}

// TestTamperDBMode: a plugin disabled behind the entity endpoints'
// pagination is found.
func TestTamperDBMode(t *testing.T) {
	_, dbmode := recorded(t)
	found := false
	for uri, body := range dbmode {
		if !strings.HasPrefix(uri, "/plugins") || found {
			continue
		}
		var pg map[string]any
		json.Unmarshal(body, &pg)
		for _, p := range pg["data"].([]any) {
			if m := p.(map[string]any); m["name"] == "rate-limiting" && !found && uri != "/plugins?size=1000" {
				m["enabled"], found = false, true
			}
		}
		if found {
			dbmode[uri], _ = json.Marshal(pg)
		}
	}
	if !found {
		t.Fatal("no rate-limiting plugin on a later page")
	}
	r := run(t, replay(t, nil, dbmode).URL)
	if len(r.Findings) != 1 || r.Findings[0].Direction != drift.Changed || !strings.HasPrefix(r.Findings[0].Control, "ratelimit") {
		t.Fatalf("want one ratelimit finding, got %+v", r.Findings)
	}
}
