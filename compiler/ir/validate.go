package ir

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Validate checks the invariants lowering guarantees, so a target can rely
// on them: references resolve, exactly one key source per consumer and
// JWT provider, non-public routes have providers, secrets are references,
// and trusted-proxy ranges are canonical and no wider than allowed.
func (p *Policy) Validate() error {
	var errs []error
	listeners := map[string]bool{}
	for _, l := range p.Listeners {
		listeners[l.Name] = true
		if l.ClientAddress != nil {
			if err := l.ClientAddress.validate(l.Name); err != nil {
				errs = append(errs, err)
			}
		}
	}
	providers := map[string]bool{}
	for _, pr := range p.Providers {
		providers[pr.Name] = true
		errs = append(errs, pr.validate()...)
	}
	for _, s := range p.Services {
		for _, l := range s.Listeners {
			if !listeners[l] {
				errs = append(errs, fmt.Errorf("service %s: unknown listener %q", s.Name, l))
			}
		}
		for _, r := range s.Routes {
			if !r.Public && len(r.Providers) == 0 {
				errs = append(errs, fmt.Errorf("route %s: not public and no providers", r.ID))
			}
			for _, name := range r.Providers {
				if !providers[name] {
					errs = append(errs, fmt.Errorf("route %s: unknown provider %q", r.ID, name))
				}
			}
		}
	}
	if err := p.Targets.Deploy.validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func (pr *Provider) validate() []error {
	var errs []error
	set := 0
	for _, b := range []bool{pr.APIKey != nil, pr.JWT != nil, pr.MTLS != nil, pr.Introspection != nil} {
		if b {
			set++
		}
	}
	if set != 1 {
		errs = append(errs, fmt.Errorf("provider %s: %d kind settings, want 1", pr.Name, set))
	}
	if pr.JWT != nil && (pr.JWT.JWKSURI == "") == (pr.JWT.LocalJWKS == "") {
		errs = append(errs, fmt.Errorf("provider %s: want exactly one of jwksURI and localJWKS", pr.Name))
	}
	if pr.APIKey != nil {
		for _, c := range pr.APIKey.Consumers {
			if (c.KeyHash == "") == (c.KeyRef == "") {
				errs = append(errs, fmt.Errorf("provider %s consumer %s: want exactly one of keyHash and keyRef", pr.Name, c.Name))
			}
			if c.KeyRef != "" && !c.KeyRef.Valid() {
				errs = append(errs, fmt.Errorf("provider %s consumer %s: keyRef is not a secret reference", pr.Name, c.Name))
			}
		}
	}
	if pr.Introspection != nil && !pr.Introspection.ClientSecret.Valid() {
		errs = append(errs, fmt.Errorf("provider %s: clientSecret is not a secret reference", pr.Name))
	}
	return errs
}

// Valid reports whether the reference has a known scheme and a name.
func (s SecretRef) Valid() bool {
	scheme, rest, ok := strings.Cut(string(s), ":")
	return ok && rest != "" && slices.Contains([]string{"env", "file", "vault"}, scheme)
}
