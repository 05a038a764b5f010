package goproxy

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/proxy/config"
	"github.com/rampart-policy/rampart/targets/internal/digest"
	"github.com/rampart-policy/rampart/targets/internal/targetapi"
)

// ConfigFile is the artifact's name.
const ConfigFile = "rampart-proxy.json"

// Target is the goproxy target.
type Target struct{}

// New returns the goproxy target.
func New() *Target { return &Target{} }

// Name returns "goproxy".
func (*Target) Name() string { return "goproxy" }

// Capabilities: the proxy enforces every control natively, except that it
// writes the access log only to stdout, a file or syslog (an HTTP sink
// would be dropped, so it is not claimed).
func (*Target) Capabilities(p *ir.Policy) targetapi.Capabilities {
	caps := targetapi.Capabilities{}
	for ctl := range ir.ControlPhase {
		caps[ctl] = targetapi.Support{Mechanism: "rampart proxy"}
	}
	if p.Logging.Sink == "http" {
		delete(caps, ir.CtlAccessLog)
		delete(caps, ir.CtlRedact)
	}
	return caps
}

// Build writes rampart-proxy.json and checks it decodes strictly.
func (t *Target) Build(ctx context.Context, p *ir.Policy) ([]targetapi.Artifact, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	cfg, err := Convert(p)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(cfg); err != nil {
		return nil, err
	}
	if err := Verify(buf.Bytes()); err != nil {
		return nil, fmt.Errorf("goproxy: internal error: emitted config does not verify: %w", err)
	}
	return []targetapi.Artifact{{Path: ConfigFile, Data: buf.Bytes()}}, nil
}

// Verify strictly decodes a config and re-encodes it, so a field the proxy
// does not know, or one it would drop, fails the build.
func Verify(data []byte) error {
	cfg, err := config.DecodeBytes(data)
	if err != nil {
		return err
	}
	var again bytes.Buffer
	enc := json.NewEncoder(&again)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(cfg); err != nil {
		return err
	}
	if !bytes.Equal(again.Bytes(), data) {
		return fmt.Errorf("config does not round-trip through proxy/config")
	}
	return nil
}

// Convert maps the IR to the proxy's config.
func Convert(p *ir.Policy) (*config.Config, error) {
	c := &config.Config{
		APIVersion:       config.APIVersion,
		Policy:           config.PolicyInfo{Name: p.Name, Digest: digest.Policy(p), Baselines: []string{}},
		Listeners:        []config.Listener{},
		Providers:        []config.Provider{},
		Routes:           []config.Route{},
		Upstreams:        []config.Upstream{},
		RejectUndeclared: p.RejectUndeclared,
		AccessLog:        accessLog(p.Logging),
	}
	for _, b := range p.Baselines {
		c.Policy.Baselines = append(c.Policy.Baselines, b.ID)
	}
	for _, l := range p.Listeners {
		cl, err := listener(l)
		if err != nil {
			return nil, err
		}
		c.Listeners = append(c.Listeners, cl)
	}
	for _, pr := range p.Providers {
		c.Providers = append(c.Providers, provider(pr))
	}
	if a := p.AuthFailures; a != nil {
		c.AuthFailures = &config.AuthFailures{MaxAttempts: a.MaxAttempts, WindowSeconds: a.WindowSeconds, LockoutSeconds: a.LockoutSeconds, Key: a.Key}
	}
	shared := false
	for _, s := range p.Services {
		c.Upstreams = append(c.Upstreams, upstream(s))
		for _, r := range s.Routes {
			cr := route(s, r)
			for _, rl := range cr.RateLimits {
				shared = shared || rl.Shared
			}
			c.Routes = append(c.Routes, cr)
		}
	}
	if shared {
		if p.Targets.RedisAddress == "" {
			return nil, fmt.Errorf("goproxy: the policy has shared rate limits but targets.goproxy.redis is not set: the proxy needs Redis to share limits across instances")
		}
	}
	if p.Targets.RedisAddress != "" {
		c.Redis = &config.Redis{Address: p.Targets.RedisAddress, PasswordRef: string(p.Targets.RedisPasswordRef)}
	}
	return c, nil
}
