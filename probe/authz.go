package probe

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"net/url"
	"slices"

	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/drift"
	"github.com/rampart-policy/rampart/proxy/secrets"
)

// keyHolder is the API-key consumer the probe's key belongs to.
type keyHolder struct {
	provider *ir.Provider
	consumer *ir.Consumer
}

// findKey finds the consumer whose key the probe holds: by SHA-256 hash,
// or by resolving a consumer's secret reference from the environment.
func findKey(p *ir.Policy, key string) (keyHolder, bool) {
	sum := sha256.Sum256([]byte(key))
	hash := "sha256:" + hex.EncodeToString(sum[:])
	for _, pv := range p.Providers {
		if pv.APIKey == nil {
			continue
		}
		for _, c := range pv.APIKey.Consumers {
			if c.KeyHash == hash {
				return keyHolder{pv, c}, true
			}
			if c.KeyRef != "" {
				if v, err := secrets.FromEnvironment(string(c.KeyRef)); err == nil && subtle.ConstantTimeCompare([]byte(v), []byte(key)) == 1 {
					return keyHolder{pv, c}, true
				}
			}
		}
	}
	return keyHolder{}, false
}

// allows reports whether a rule of r lets roles use method.
func allows(r *ir.Route, method string, roles []string) bool {
	for _, rule := range r.Rules {
		if len(rule.Methods) > 0 && !slices.Contains(rule.Methods, method) {
			continue
		}
		if rule.AnyAuthenticated || slices.ContainsFunc(rule.Roles, func(x string) bool { return slices.Contains(roles, x) }) {
			return true
		}
	}
	return false
}

// roleCheck sends the probe's API key to a route that accepts its
// provider but whose rules do not allow the key's roles: 403. The key
// is never printed.
func (pr *prober) roleCheck(ctx context.Context, at drift.At, r *ir.Route) error {
	if !pr.key.ok || r.Public || !slices.Contains(r.Providers, pr.key.provider.Name) {
		return nil
	}
	m := r.Methods[0]
	if allows(r, m, pr.key.consumer.Roles) {
		return nil
	}
	h := http.Header{}
	path := concretePath(r)
	if pr.key.provider.APIKey.In == "query" {
		path += "?" + url.Values{pr.key.provider.APIKey.Name: {pr.apiKey}}.Encode()
	} else {
		h.Set(pr.key.provider.APIKey.Name, pr.apiKey)
	}
	a := withCtl(at, ir.CtlAuthzRules)
	if o, ok := r.Origins[ir.CtlAuthzRules]; ok {
		a.Origin = o
	}
	a.Path = m + " " + concretePath(r) + " as consumer " + pr.key.consumer.Name
	const name = "request with a role the rules do not allow answered 403"
	code, _, err := pr.do(ctx, m, path, h, nil)
	if err != nil {
		return pr.failed(ctx, a, name, err)
	}
	pr.status(a, name, http.StatusForbidden, code)
	return nil
}
