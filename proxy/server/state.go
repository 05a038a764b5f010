package server

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"net/http/httputil"
	"net/url"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rampart-policy/rampart/proxy/accesslog"
	"github.com/rampart-policy/rampart/proxy/authn"
	"github.com/rampart-policy/rampart/proxy/config"
	"github.com/rampart-policy/rampart/proxy/engine"
	"github.com/rampart-policy/rampart/proxy/ratelimit"
	"github.com/rampart-policy/rampart/proxy/tlsconf"
)

// localLimitKeys bounds the in-memory rate-limit and throttle tables.
const localLimitKeys = 100_000

// state is everything built from one config. A reload builds a new state
// completely before swapping it in, so a bad config never serves.
type state struct {
	cfg       *config.Config
	engine    *engine.Engine
	log       *accesslog.Logger
	upstreams map[string]*upstream
	tls       map[string]*tls.Config // by listener
	reloaders []*tlsconf.Reloader
	hosts     map[string][]string    // listener → hosts
	hsts      map[string]string      // listener → Strict-Transport-Security
	clients   map[string]*clientAddr // listener → client address; nil: the peer
	fallback  *ratelimit.Fallback
	redis     redis.UniversalClient
	stop      context.CancelFunc // stops the certificate watchers
}

// certPollInterval is how often listener certificates are checked for
// changes on disk.
const certPollInterval = 2 * time.Second

// upstream is one service's reverse proxy.
type upstream struct {
	name  string
	proxy *httputil.ReverseProxy
}

// buildState validates cfg and builds a state from it.
func (s *Server) buildState(cfg *config.Config) (*state, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	st := &state{cfg: cfg, upstreams: map[string]*upstream{}, tls: map[string]*tls.Config{},
		hosts: map[string][]string{}, hsts: map[string]string{}, clients: map[string]*clientAddr{}, stop: func() {}}
	steps := []func(*Server) error{st.buildListeners, st.buildUpstreams, st.buildEngine, st.buildLog}
	for _, step := range steps {
		if err := step(s); err != nil {
			st.close()
			return nil, err
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	st.stop = cancel
	for _, rl := range st.reloaders {
		rl.Logger = s.opts.Log
		go rl.Watch(ctx, certPollInterval)
	}
	return st, nil
}

// buildListeners prepares TLS configs (certificates loaded now, so a
// missing file fails the load), host lists and client-address sources.
func (st *state) buildListeners(s *Server) error {
	for _, l := range st.cfg.Listeners {
		st.hosts[l.Name] = l.Hosts
		ca, err := newClientAddr(l.ClientAddress)
		if err != nil {
			return fmt.Errorf("listener %s: %w", l.Name, err)
		}
		st.clients[l.Name] = ca
		if l.TLS == nil {
			continue
		}
		tc, rl, err := tlsconf.ServerConfig(l.TLS)
		if err != nil {
			return fmt.Errorf("listener %s: %w", l.Name, err)
		}
		tc.NextProtos = []string{"http/1.1"}
		st.tls[l.Name] = tc
		st.reloaders = append(st.reloaders, rl)
		st.hsts[l.Name] = l.TLS.HSTS
	}
	return nil
}

// buildUpstreams makes one reverse proxy per service.
func (st *state) buildUpstreams(s *Server) error {
	for _, u := range st.cfg.Upstreams {
		target, err := url.Parse(u.URL)
		if err != nil {
			return fmt.Errorf("upstream %s: %w", u.Name, err)
		}
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = 256
		tr.ResponseHeaderTimeout = 60 * time.Second
		if target.Scheme == "https" {
			tc, err := tlsconf.UpstreamConfig(u) // its errors name the upstream
			if err != nil {
				return err
			}
			tr.TLSClientConfig = tc
		}
		st.upstreams[u.Name] = &upstream{name: u.Name, proxy: s.newReverseProxy(u.Name, target, tr)}
	}
	return nil
}

// buildEngine creates providers and limit stores and the engine.
func (st *state) buildEngine(s *Server) error {
	deps := engine.Deps{Providers: map[string]authn.Authenticator{}, Local: s.local, Keyed: s.keyed, Now: s.opts.Now}
	for _, p := range st.cfg.Providers {
		a, err := authn.New(p, authn.Options{HTTPClient: s.opts.HTTPClient, Secrets: s.opts.Secrets, Now: s.opts.Now})
		if err != nil {
			return err // names the provider
		}
		deps.Providers[p.Name] = a
	}
	if r := st.cfg.Redis; r != nil {
		if err := st.buildRedis(s, r, &deps); err != nil {
			return err
		}
	}
	if a := st.cfg.AuthFailures; a != nil {
		if err := ratelimit.ValidateThrottle(a.MaxAttempts, seconds(a.WindowSeconds), seconds(a.LockoutSeconds), localLimitKeys); err != nil {
			return fmt.Errorf("authFailures: %w", err)
		}
		deps.Throttle = s.throttleFor(*a)
	}
	e, err := engine.New(st.cfg, deps)
	if err != nil {
		return err
	}
	st.engine = e
	return nil
}

// buildRedis connects the shared limit store with a local fallback.
func (st *state) buildRedis(s *Server, r *config.Redis, deps *engine.Deps) error {
	password := ""
	if r.PasswordRef != "" {
		pw, err := s.opts.Secrets(r.PasswordRef)
		if err != nil {
			return fmt.Errorf("redis: %w", err)
		}
		password = pw
	}
	st.redis = ratelimit.NewClient(r.Address, password)
	st.fallback = ratelimit.NewFallback(ratelimit.NewRedis(st.redis, "rampart:"+st.cfg.Policy.Name+":"),
		ratelimit.NewLocal(localLimitKeys), func(err error) {
			s.logf("shared rate limits fall back to local buckets: redis: %v", err)
		})
	deps.Shared = st.fallback
	return nil
}

// buildLog opens the access log.
func (st *state) buildLog(s *Server) error {
	l, err := accesslog.New(s.opts.AccessLog, st.cfg.AccessLog, s.opts.HashKey)
	if err != nil {
		return fmt.Errorf("access log: %w", err)
	}
	st.log = l
	return nil
}

// close releases what a state holds.
func (st *state) close() {
	st.stop()
	if st.redis != nil {
		st.redis.Close()
	}
}

func seconds(n int) time.Duration { return time.Duration(n) * time.Second }

// throttleFor returns the auth-failure throttle for a, reusing the running
// one when a reload keeps the same settings, so a reload does not lift
// lockouts.
func (s *Server) throttleFor(a config.AuthFailures) *ratelimit.Throttle {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.throttle == nil || s.throttleCfg != a {
		s.throttle = ratelimit.NewThrottle(a.MaxAttempts, seconds(a.WindowSeconds), seconds(a.LockoutSeconds), localLimitKeys)
		s.throttleCfg = a
	}
	return s.throttle
}
