package live

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"sync"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/rampart-policy/rampart/internal/reference"
)

// This file turns a decK file rampart built into what Kong's Admin API
// answers for it, as Kong 3.x's own code shapes it (kong/api/routes/
// config.lua and kong/db/declarative/export.lua): GET /config answers
// {"config": "<YAML>"} with _format_version "3.0", _transform false and
// flat top-level services, routes, consumers, plugins and acls whose
// foreign keys are ids; the entity endpoints answer pages {"data": […],
// "next": "/routes?offset=…&size=…" | null} with foreign keys as
// {"id": …}. Every entity carries id, created_at and updated_at, and each
// plugin's config every field of its published 3.15 schema (the default,
// or null). Kong is not run here.

// recordTime is the fixed created_at/updated_at of recorded entities.
const recordTime = 1767225600

// uuid is a deterministic UUID-shaped id for an entity.
func uuid(kind, name string) string {
	h := sha256.Sum256([]byte(kind + "\x00" + name))
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

// flat is Kong's flat export of a configuration.
type flat struct {
	Services, Routes, Consumers, Plugins, ACLs []map[string]any
}

// schemaProps caches schemaConfig by plugin: the properties are only
// read, and decoding a schema for each of 5,000 routes dominated the
// benchmark's setup.
var schemaProps sync.Map

// schemaConfig returns the properties of a plugin's config schema.
func schemaConfig(t testing.TB, plugin string) map[string]any {
	t.Helper()
	if p, ok := schemaProps.Load(plugin); ok {
		return p.(map[string]any)
	}
	file, ok := schemaFiles[plugin]
	if !ok {
		t.Fatalf("no schema file for plugin %s", plugin)
	}
	data, err := os.ReadFile(reference.Path(t, "kong", "plugins-3.15", file))
	if err != nil {
		t.Fatal(err)
	}
	var s map[string]any
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	props := s["properties"].(map[string]any)["config"].(map[string]any)["properties"].(map[string]any)
	schemaProps.Store(plugin, props)
	return props
}

// fill returns cfg with every schema property: set values kept, others
// the schema's default or null; records are filled recursively.
func fill(cfg map[string]any, props map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range cfg {
		out[k] = v
	}
	for k, p := range props {
		ps, _ := p.(map[string]any)
		sub, isRecord := ps["properties"].(map[string]any)
		cur, has := out[k]
		switch {
		case isRecord && (has && cur != nil):
			if m, ok := cur.(map[string]any); ok {
				out[k] = fill(m, sub)
			}
		case isRecord && ps["default"] == nil:
			out[k] = fill(map[string]any{}, sub)
		case !has:
			out[k] = ps["default"]
		}
	}
	return out
}

// record turns a nested decK file into Kong's flat export.
func record(t testing.TB, deck []byte) flat {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(deck, &v); err != nil {
		t.Fatal(err)
	}
	top := norm(v).(map[string]any)
	stamp := func(m map[string]any, kind, name string) map[string]any {
		m["id"], m["created_at"], m["updated_at"] = uuid(kind, name), float64(recordTime), float64(recordTime)
		return m
	}
	var f flat
	for _, s := range list(top["services"]) {
		name := str(s, "name")
		svc := map[string]any{"retries": float64(5), "connect_timeout": float64(60000), "read_timeout": float64(60000),
			"write_timeout": float64(60000), "enabled": true, "path": nil, "tls_verify": nil, "tls_verify_depth": nil,
			"ca_certificates": nil, "client_certificate": nil, "tags": nil}
		for k, v := range s {
			if k != "routes" && k != "plugins" {
				svc[k] = v
			}
		}
		f.Services = append(f.Services, stamp(svc, "service", name))
		for _, r := range list(s["routes"]) {
			recordRoute(t, &f, r, uuid("service", name), stamp)
		}
	}
	// Top-level routes (rampart's catch-all per listener) have no service.
	for _, r := range list(top["routes"]) {
		recordRoute(t, &f, r, nil, stamp)
	}
	for _, c := range list(top["consumers"]) {
		u := str(c, "username")
		f.Consumers = append(f.Consumers, stamp(map[string]any{"username": u, "custom_id": nil, "tags": c["tags"]}, "consumer", u))
		for _, a := range list(c["acls"]) {
			g := str(a, "group")
			f.ACLs = append(f.ACLs, stamp(map[string]any{"consumer": uuid("consumer", u), "group": g, "tags": nil}, "acl", u+"/"+g))
		}
	}
	return f
}

// recordRoute adds a route and its plugins as Kong exports them; svc is
// the service's id, or nil for a route without a service.
func recordRoute(t testing.TB, f *flat, r map[string]any, svc any, stamp func(map[string]any, string, string) map[string]any) {
	rname := str(r, "name")
	rt := map[string]any{"service": svc, "strip_path": true, "preserve_host": false,
		"regex_priority": float64(0), "path_handling": "v0", "https_redirect_status_code": float64(426),
		"request_buffering": true, "response_buffering": true, "headers": nil, "snis": nil, "sources": nil,
		"destinations": nil, "hosts": nil, "methods": nil, "tags": nil}
	for k, v := range r {
		if k != "plugins" {
			rt[k] = v
		}
	}
	f.Routes = append(f.Routes, stamp(rt, "route", rname))
	for _, p := range list(r["plugins"]) {
		pname := str(p, "name")
		cfg, _ := p["config"].(map[string]any)
		f.Plugins = append(f.Plugins, stamp(map[string]any{"name": pname, "route": uuid("route", rname),
			"service": nil, "consumer": nil, "enabled": true, "instance_name": nil, "tags": p["tags"],
			"protocols": []any{"grpc", "grpcs", "http", "https"}, "config": fill(cfg, schemaConfig(t, pname))},
			"plugin", rname+"/"+pname))
	}
}

// configAnswer is GET /config's answer for f in DB-less mode.
func configAnswer(t testing.TB, f flat) []byte {
	t.Helper()
	doc := map[string]any{"_format_version": "3.0", "_transform": false, "services": f.Services, "routes": f.Routes,
		"consumers": f.Consumers, "plugins": f.Plugins, "acls": f.ACLs}
	text, err := yaml.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	ans, err := json.Marshal(map[string]string{"config": string(text)})
	if err != nil {
		t.Fatal(err)
	}
	return ans
}

// foreignKeys are the fields the entity endpoints return as {"id": …}.
var foreignKeys = []string{"service", "route", "consumer"}

// pages are the entity endpoints' answers for f in DB mode, by request
// URI, size entities a page. GET /config answers 400 as Kong does.
func pages(t testing.TB, f flat, size int) map[string]json.RawMessage {
	t.Helper()
	out := map[string]json.RawMessage{}
	for name, rows := range map[string][]map[string]any{"services": f.Services, "routes": f.Routes,
		"consumers": f.Consumers, "plugins": f.Plugins, "acls": f.ACLs} {
		var data []map[string]any
		for _, r := range rows {
			row := map[string]any{}
			for k, v := range r {
				row[k] = v
				if id, ok := v.(string); ok && contains(foreignKeys, k) {
					row[k] = map[string]any{"id": id}
				}
			}
			data = append(data, row)
		}
		sort.Slice(data, func(i, j int) bool { return data[i]["id"].(string) < data[j]["id"].(string) })
		uri := "/" + name + "?size=1000"
		for i := 0; ; i += size {
			end := min(i+size, len(data))
			pg := map[string]any{"data": data[i:end], "next": nil}
			if i == 0 && len(data) == 0 {
				pg["data"] = []any{}
			}
			var next string
			if end < len(data) {
				next = fmt.Sprintf("/%s?offset=%s&size=1000", name, uuid("offset", fmt.Sprint(name, end)))
				pg["next"], pg["offset"] = next, uuid("offset", fmt.Sprint(name, end))
			}
			b, err := json.Marshal(pg)
			if err != nil {
				t.Fatal(err)
			}
			out[uri] = b
			if next == "" {
				break
			}
			uri = next
		}
	}
	msg, _ := json.Marshal(map[string]string{"message": "this endpoint is only available when Kong is configured to not use a database"})
	out["/config"] = msg
	return out
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// indentJSON renders v as indented JSON, for the recorded testdata.
func indentJSON(t testing.TB, v any) []byte {
	t.Helper()
	data, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return append(data, '\n')
}
