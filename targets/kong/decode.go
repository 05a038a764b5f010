package kong

import (
	"bytes"
	"fmt"

	"gopkg.in/yaml.v3"
)

// pluginConfigs names the config type of every plugin rampart emits.
var pluginConfigs = map[string]func() any{
	"key-auth":              func() any { return &KeyAuthConfig{} },
	"acl":                   func() any { return &ACLConfig{} },
	"rate-limiting":         func() any { return &RateLimitingConfig{} },
	"request-size-limiting": func() any { return &RequestSizeConfig{} },
	"cors":                  func() any { return &CORSConfig{} },
	"response-transformer":  func() any { return &ResponseTransformerConfig{} },
	"request-termination":   func() any { return &RequestTerminationConfig{} },
	"file-log":              func() any { return &FileLogConfig{} },
	"http-log":              func() any { return &HTTPLogConfig{} },
	"openid-connect":        func() any { return &OpenIDConnectConfig{} },
	"request-validator":     func() any { return &RequestValidatorConfig{} },
}

// Decode reads a decK file strictly: unknown fields, unknown plugins and
// trailing documents are errors.
func Decode(data []byte) (*File, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var f File
	if err := dec.Decode(&f); err != nil {
		return nil, err
	}
	var extra any
	if err := dec.Decode(&extra); err == nil {
		return nil, fmt.Errorf("more than one YAML document")
	}
	return &f, nil
}

// UnmarshalYAML decodes a plugin's config into its typed struct,
// rejecting fields the struct does not declare.
func (p *Plugin) UnmarshalYAML(n *yaml.Node) error {
	var raw struct {
		Name     string          `yaml:"name"`
		Config   yaml.Node       `yaml:"config"`
		Ordering *PluginOrdering `yaml:"ordering"`
		Tags     []string        `yaml:"tags"`
	}
	if err := n.Decode(&raw); err != nil {
		return err
	}
	mk, ok := pluginConfigs[raw.Name]
	if !ok {
		return fmt.Errorf("line %d: plugin %q is not one rampart emits", n.Line, raw.Name)
	}
	text, err := yaml.Marshal(&raw.Config)
	if err != nil {
		return err
	}
	cfg := mk()
	dec := yaml.NewDecoder(bytes.NewReader(text))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil {
		return fmt.Errorf("plugin %s config: %w", raw.Name, err)
	}
	p.Name, p.Config, p.Ordering, p.Tags = raw.Name, cfg, raw.Ordering, raw.Tags
	return nil
}
