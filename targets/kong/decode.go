package kong

import (
	"bytes"
	"fmt"

	"gopkg.in/yaml.v3"
)

// pluginConfigs decodes, for every plugin rampart emits, a plugin whose
// config is of that plugin's type, and returns the config.
var pluginConfigs = map[string]func(unmarshal func(any) error) (any, error){
	"key-auth":              decodeConfig[KeyAuthConfig],
	"acl":                   decodeConfig[ACLConfig],
	"rate-limiting":         decodeConfig[RateLimitingConfig],
	"request-size-limiting": decodeConfig[RequestSizeConfig],
	"cors":                  decodeConfig[CORSConfig],
	"response-transformer":  decodeConfig[ResponseTransformerConfig],
	"request-termination":   decodeConfig[RequestTerminationConfig],
	"file-log":              decodeConfig[FileLogConfig],
	"http-log":              decodeConfig[HTTPLogConfig],
	"openid-connect":        decodeConfig[OpenIDConnectConfig],
	"request-validator":     decodeConfig[RequestValidatorConfig],
}

// pluginFields are a plugin's fields with its config of type C.
type pluginFields[C any] struct {
	Name     string          `yaml:"name"`
	Config   C               `yaml:"config"`
	Ordering *PluginOrdering `yaml:"ordering"`
	Tags     []string        `yaml:"tags"`
}

// decodeConfig decodes a plugin with a config of type C and returns the
// config.
func decodeConfig[C any](unmarshal func(any) error) (any, error) {
	var f pluginFields[*C]
	if err := unmarshal(&f); err != nil {
		return nil, err
	}
	if f.Config == nil {
		f.Config = new(C) // as the config "null" or "{}" decodes
	}
	return f.Config, nil
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

// UnmarshalYAML decodes a plugin, its config into the typed struct its
// name selects. It decodes with the decoder reading the file (yaml.v3's
// unmarshal function), so under Decode, which is strict, a field that
// neither the plugin nor its config type declares is an error.
func (p *Plugin) UnmarshalYAML(unmarshal func(any) error) error {
	var head pluginFields[yaml.Node]
	if err := unmarshal(&head); err != nil {
		return err
	}
	decode, ok := pluginConfigs[head.Name]
	if !ok {
		return fmt.Errorf("plugin %q is not one rampart emits", head.Name)
	}
	cfg, err := decode(unmarshal)
	if err != nil {
		return fmt.Errorf("plugin %s config: %w", head.Name, err)
	}
	p.Name, p.Config, p.Ordering, p.Tags = head.Name, cfg, head.Ordering, head.Tags
	return nil
}
