package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Decode strictly decodes a config: unknown fields, trailing data and an
// unknown apiVersion are errors, and the result must Validate.
func Decode(r io.Reader) (*Config, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var c Config
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("decoding proxy config: %w", err)
	}
	if dec.More() {
		return nil, errors.New("decoding proxy config: trailing data after the config")
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// DecodeBytes is Decode on a byte slice.
func DecodeBytes(b []byte) (*Config, error) { return Decode(bytes.NewReader(b)) }

// Validate checks what the proxy relies on: a known version, references
// that resolve, one kind per provider, secret references only.
func (c *Config) Validate() error {
	var errs []error
	if c.APIVersion != APIVersion {
		errs = append(errs, fmt.Errorf("apiVersion %q: this proxy reads %q", c.APIVersion, APIVersion))
	}
	names := func(n int, get func(int) string) map[string]bool {
		m := map[string]bool{}
		for i := range n {
			m[get(i)] = true
		}
		return m
	}
	listeners := names(len(c.Listeners), func(i int) string { return c.Listeners[i].Name })
	providers := names(len(c.Providers), func(i int) string { return c.Providers[i].Name })
	upstreams := names(len(c.Upstreams), func(i int) string { return c.Upstreams[i].Name })
	for _, p := range c.Providers {
		errs = append(errs, p.validate()...)
	}
	for _, r := range c.Routes {
		errs = append(errs, r.validate(listeners, providers, upstreams)...)
	}
	errs = append(errs, c.validateSafety()...)
	if c.Redis != nil && c.Redis.PasswordRef != "" && !IsSecretRef(c.Redis.PasswordRef) {
		errs = append(errs, errors.New("redis.passwordRef is not a secret reference"))
	}
	return errors.Join(errs...)
}

func (p Provider) validate() []error {
	var errs []error
	n := 0
	for _, set := range []bool{p.APIKey != nil, p.JWT != nil, p.MTLS != nil, p.Introspection != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		errs = append(errs, fmt.Errorf("provider %s: %d kinds set, want 1", p.Name, n))
	}
	if p.APIKey != nil {
		for _, k := range p.APIKey.Consumers {
			if (k.KeyHash == "") == (k.KeyRef == "") || (k.KeyRef != "" && !IsSecretRef(k.KeyRef)) {
				errs = append(errs, fmt.Errorf("provider %s consumer %s: want a keyHash or a secret keyRef", p.Name, k.Name))
			}
		}
	}
	if p.Introspection != nil && !IsSecretRef(p.Introspection.ClientSecret) {
		errs = append(errs, fmt.Errorf("provider %s: clientSecretRef is not a secret reference", p.Name))
	}
	return errs
}

func (r Route) validate(listeners, providers, upstreams map[string]bool) []error {
	var errs []error
	for _, l := range r.Listeners {
		if !listeners[l] {
			errs = append(errs, fmt.Errorf("route %s: unknown listener %q", r.ID, l))
		}
	}
	for _, p := range r.Providers {
		if !providers[p] {
			errs = append(errs, fmt.Errorf("route %s: unknown provider %q", r.ID, p))
		}
	}
	if !upstreams[r.Upstream] {
		errs = append(errs, fmt.Errorf("route %s: unknown upstream %q", r.ID, r.Upstream))
	}
	if !r.Public && len(r.Providers) == 0 {
		errs = append(errs, fmt.Errorf("route %s: not public and no providers", r.ID))
	}
	return errs
}

// IsSecretRef reports whether s is "env:", "file:" or "vault:" followed by
// a name.
func IsSecretRef(s string) bool {
	scheme, rest, ok := strings.Cut(s, ":")
	return ok && rest != "" && slices.Contains([]string{"env", "file", "vault"}, scheme)
}

// validateSafety refuses configs the compiler would refuse or the proxy
// could not apply as written, since `serve --config` takes configs that
// did not come through the compiler.
func (c *Config) validateSafety() []error {
	var errs []error
	if a := c.AuthFailures; a != nil && a.Key != "ip" {
		errs = append(errs, fmt.Errorf("authFailures.key %q: rampart's proxy throttles authentication failures per client IP only", a.Key))
	}
	for _, l := range c.Listeners {
		if l.ClientAddress != nil {
			if _, err := l.ClientAddress.Prefixes(); err != nil {
				errs = append(errs, fmt.Errorf("listener %s: %w", l.Name, err))
			}
		}
	}
	for _, r := range c.Routes {
		if r.CORS != nil && r.CORS.AllowCredentials && slices.Contains(r.CORS.AllowOrigins, "*") {
			errs = append(errs, fmt.Errorf("route %s: CORS allows credentials from any origin", r.ID))
		}
		for _, l := range r.RateLimits {
			if !knownLimitKey(l.Key) {
				errs = append(errs, fmt.Errorf("route %s: rate limit %s has key %q: want ip, subject, apiKey or header:<Name>", r.ID, l.Name, l.Key))
			}
		}
	}
	errs = append(errs, c.queryKeysLogged()...)
	return errs
}

// queryKeysLogged refuses API keys read from the query string when the
// access log records query strings without redacting that parameter.
func (c *Config) queryKeysLogged() []error {
	if !c.AccessLog.Enabled || !slices.Contains(c.AccessLog.Fields, "query") {
		return nil
	}
	var errs []error
	for _, p := range c.Providers {
		if p.APIKey == nil || p.APIKey.In != "query" {
			continue
		}
		redacted := slices.ContainsFunc(c.AccessLog.Redact, func(r Redaction) bool {
			return r.Kind == "query" && strings.EqualFold(r.Name, p.APIKey.Name) && r.Mode != ""
		})
		if !redacted {
			errs = append(errs, fmt.Errorf("provider %s reads API keys from query parameter %q, which the access log records unredacted", p.Name, p.APIKey.Name))
		}
	}
	return errs
}

// knownLimitKey reports whether the proxy applies a rate-limit key.
func knownLimitKey(k string) bool {
	switch k {
	case "ip", "subject", "apiKey":
		return true
	}
	name, ok := strings.CutPrefix(k, "header:")
	return ok && name != ""
}
