package kong

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"
)

// PluginSchemaFiles names each plugin's schema file in Kong's published
// 3.15 plugin schemas (reference/kong/plugins-3.15).
var PluginSchemaFiles = map[string]string{
	"key-auth": "KeyAuth.json", "acl": "ACL.json", "rate-limiting": "RateLimiting.json",
	"request-size-limiting": "RequestSizeLimiting.json", "cors": "Cors.json",
	"response-transformer": "ResponseTransformer.json", "request-termination": "RequestTermination.json",
	"file-log": "FileLog.json", "http-log": "HttpLog.json", "openid-connect": "OpenidConnect.json",
	"request-validator": "RequestValidator.json",
}

// ValidateSchemas validates a decK file against Kong's published schemas
// in kongRef (the reference/kong folder): the whole file against
// kong_json_schema.json, and each plugin's {"config": …} against its
// plugin schema. Because the plugin schemas leave additionalProperties
// open, it also rejects any config field a plugin schema does not
// define, and any vault reference in a field the schema does not mark
// x-referenceable.
func ValidateSchemas(deck []byte, kongRef string) error {
	doc, err := yamlToJSONValue(deck)
	if err != nil {
		return err
	}
	sch, _, err := compileSchema(filepath.Join(kongRef, "kong_json_schema.json"))
	if err != nil {
		return err
	}
	if err := sch.Validate(doc); err != nil {
		return fmt.Errorf("kong.yaml against the decK schema: %w", err)
	}
	var errs []error
	for _, pl := range pluginsOf(doc) {
		errs = append(errs, validatePlugin(pl.where, pl.plugin, kongRef))
	}
	return errors.Join(errs...)
}

// located is a plugin and where it is in the file.
type located struct {
	where  string
	plugin map[string]any
}

// pluginsOf lists every plugin under services[].routes[] and routes[].
func pluginsOf(doc any) []located {
	var out []located
	root, _ := doc.(map[string]any)
	services, _ := root["services"].([]any)
	top, _ := root["routes"].([]any)
	for _, s := range append(services, map[string]any{"routes": top}) {
		svc, _ := s.(map[string]any)
		routes, _ := svc["routes"].([]any)
		for _, r := range routes {
			route, _ := r.(map[string]any)
			plugins, _ := route["plugins"].([]any)
			for _, p := range plugins {
				pl, _ := p.(map[string]any)
				out = append(out, located{fmt.Sprintf("route %v plugin %v", route["name"], pl["name"]), pl})
			}
		}
	}
	return out
}

// validatePlugin validates one plugin's config against its schema.
func validatePlugin(where string, pl map[string]any, kongRef string) error {
	name, _ := pl["name"].(string)
	file, ok := PluginSchemaFiles[name]
	if !ok {
		return fmt.Errorf("%s: no published schema for plugin %q", where, name)
	}
	sch, raw, err := compileSchema(filepath.Join(kongRef, "plugins-3.15", file))
	if err != nil {
		return err
	}
	inst := map[string]any{"config": pl["config"]}
	if err := sch.Validate(inst); err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	return closed(where, inst, raw)
}

// closed walks an instance beside its schema: every object key must be a
// property the schema defines (or the schema must allow more), and a
// vault reference may only sit where the schema says x-referenceable.
func closed(where string, inst, schema any) error {
	s, _ := schema.(map[string]any)
	switch v := inst.(type) {
	case map[string]any:
		props, _ := s["properties"].(map[string]any)
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			sub, ok := props[k]
			if !ok {
				switch addl := s["additionalProperties"].(type) {
				case map[string]any:
					sub = addl
				case bool:
					if !addl {
						return fmt.Errorf("%s: field %q is not in the schema", where, k)
					}
					sub = map[string]any{}
				default:
					return fmt.Errorf("%s: field %q is not in the schema", where, k)
				}
			}
			if err := closed(where+"."+k, v[k], sub); err != nil {
				return err
			}
		}
	case []any:
		for i, e := range v {
			if err := closed(fmt.Sprintf("%s[%d]", where, i), e, s["items"]); err != nil {
				return err
			}
		}
	case string:
		if strings.Contains(v, "{vault://") && s["x-referenceable"] != true {
			return fmt.Errorf("%s: a vault reference in a field Kong does not resolve references in", where)
		}
	}
	return nil
}

// compileSchema compiles a schema file and returns it with its raw JSON.
func compileSchema(path string) (*jsonschema.Schema, any, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	raw, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft4)
	url := "file://" + filepath.ToSlash(path)
	if err := c.AddResource(url, raw); err != nil {
		return nil, nil, err
	}
	sch, err := c.Compile(url)
	if err != nil {
		return nil, nil, fmt.Errorf("compiling %s: %w", path, err)
	}
	return sch, raw, nil
}

// yamlToJSONValue decodes YAML into the values jsonschema validates.
func yamlToJSONValue(data []byte) (any, error) {
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		return nil, err
	}
	j, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return jsonschema.UnmarshalJSON(bytes.NewReader(j))
}
