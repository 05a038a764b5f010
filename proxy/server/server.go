package server

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rampart-policy/rampart/proxy/config"
	"github.com/rampart-policy/rampart/proxy/ratelimit"
	"github.com/rampart-policy/rampart/proxy/secrets"
)

// Options configure a Server.
type Options struct {
	// Load returns the config to serve; it is called at start and on every
	// reload (reading a file, or compiling a policy).
	Load func() (*config.Config, error)
	// AdminAddr is the admin listener; default 127.0.0.1:9901. "off"
	// disables it.
	AdminAddr string
	// Addrs overrides listener addresses by listener name ("127.0.0.1:0"
	// in tests).
	Addrs map[string]string
	// AccessLog receives the JSON access log; default os.Stdout.
	AccessLog io.Writer
	// Log receives operational messages; default a JSON logger on stderr.
	Log *slog.Logger
	// HashKey keys pseudonymising log hashes; default random per process.
	HashKey []byte
	// HTTPClient is used for JWKS and introspection.
	HTTPClient *http.Client
	// Secrets resolves secret references; default env: and file:.
	Secrets secrets.Resolver
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// ShutdownTimeout bounds draining on shutdown; default 15 s.
	ShutdownTimeout time.Duration
}

// Server is a running proxy.
type Server struct {
	opts    Options
	state   atomic.Pointer[state]
	metrics *metrics
	reload  sync.Mutex // serialises reloads

	// local and keyed hold per-instance rate-limit buckets, and throttle
	// the auth-failure lockouts; they outlive reloads, so reloading never
	// hands a client fresh buckets.
	local, keyed *ratelimit.Local
	throttle     *ratelimit.Throttle
	throttleCfg  config.AuthFailures

	mu        sync.Mutex
	listeners map[string]net.Listener
	servers   []*http.Server
	ready     atomic.Bool
}

// New loads the first config and prepares the server. A config that does
// not load is an error: the proxy never starts without a valid policy.
func New(opts Options) (*Server, error) {
	if opts.Load == nil {
		return nil, errors.New("server: Options.Load is required")
	}
	if opts.AdminAddr == "" {
		opts.AdminAddr = "127.0.0.1:9901"
	}
	if opts.AccessLog == nil {
		opts.AccessLog = os.Stdout
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.NewJSONHandler(os.Stderr, nil))
	}
	if opts.HashKey == nil {
		opts.HashKey = make([]byte, 32)
		rand.Read(opts.HashKey)
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: 5 * time.Second}
	}
	if opts.Secrets == nil {
		opts.Secrets = secrets.FromEnvironment
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.ShutdownTimeout == 0 {
		opts.ShutdownTimeout = 15 * time.Second
	}
	s := &Server{opts: opts, listeners: map[string]net.Listener{},
		local: ratelimit.NewLocal(localLimitKeys), keyed: ratelimit.NewLocal(localLimitKeys)}
	s.metrics = newMetrics(s.degraded)
	cfg, err := opts.Load()
	if err != nil {
		return nil, err
	}
	st, err := s.buildState(cfg)
	if err != nil {
		return nil, err
	}
	s.state.Store(st)
	return s, nil
}

// Reload builds a state from a freshly loaded config and swaps it in. On
// any error the running state keeps serving and the error is returned
// (and logged, and counted).
func (s *Server) Reload() error {
	s.reload.Lock()
	defer s.reload.Unlock()
	err := s.tryReload()
	result := "ok"
	if err != nil {
		result = "rejected"
		s.opts.Log.Error("config reload rejected; the previous config keeps serving", "reason", err.Error())
	} else {
		s.opts.Log.Info("config reloaded", "digest", s.state.Load().cfg.Policy.Digest)
	}
	s.metrics.reloads.WithLabelValues(result).Inc()
	return err
}

func (s *Server) tryReload() error {
	cfg, err := s.opts.Load()
	if err != nil {
		return err
	}
	old := s.state.Load()
	if err := sameListeners(old.cfg, cfg); err != nil {
		return err
	}
	for _, l := range cfg.Listeners {
		if listenerParams(old.cfg, l.Name) != listenerParams(cfg, l.Name) {
			return fmt.Errorf("the new config changes listener %s's header timeout, idle timeout or header size limit, which apply per connection: restart rampart serve to apply it", l.Name)
		}
	}
	st, err := s.buildState(cfg)
	if err != nil {
		return err
	}
	s.state.Store(st)
	go func() { // let in-flight requests on the old state finish first
		time.Sleep(s.opts.ShutdownTimeout)
		old.close()
	}()
	return nil
}

// sameListeners refuses reloads that change sockets: ports and addresses
// need a restart. TLS settings, routes and everything else reload.
func sameListeners(a, b *config.Config) error {
	if len(a.Listeners) != len(b.Listeners) {
		return errors.New("the new config changes the set of listeners: restart rampart serve to apply it")
	}
	for i := range a.Listeners {
		x, y := a.Listeners[i], b.Listeners[i]
		if x.Name != y.Name || x.Address != y.Address || x.Port != y.Port || (x.TLS == nil) != (y.TLS == nil) || x.RedirectPort != y.RedirectPort {
			return fmt.Errorf("the new config changes listener %s's address, port or TLS on/off: restart rampart serve to apply it", x.Name)
		}
		if proxyProtocol(x) != proxyProtocol(y) {
			return fmt.Errorf("the new config turns listener %s's PROXY protocol on or off: restart rampart serve to apply it", x.Name)
		}
	}
	return nil
}

// degraded reports whether shared rate limits fall back to local buckets.
func (s *Server) degraded() bool {
	st := s.state.Load()
	return st != nil && st.fallback != nil && st.fallback.Degraded()
}

// Addr returns the bound address of a listener ("admin" for the admin
// listener), once Start has run.
func (s *Server) Addr(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if l := s.listeners[name]; l != nil {
		return l.Addr().String()
	}
	return ""
}

// Start binds every listener and serves in the background.
func (s *Server) Start() error {
	st := s.state.Load()
	for _, l := range st.cfg.Listeners {
		if err := s.startListener(l); err != nil {
			s.closeAll()
			return err
		}
	}
	if s.opts.AdminAddr != "off" {
		if err := s.serve("admin", s.opts.AdminAddr, s.adminHandler(), nil, nil); err != nil {
			s.closeAll()
			return err
		}
	}
	s.ready.Store(true)
	return nil
}

// startListener binds one config listener and its redirect port.
func (s *Server) startListener(l config.Listener) error {
	addr := net.JoinHostPort(l.Address, strconv.Itoa(l.Port))
	if a, ok := s.opts.Addrs[l.Name]; ok {
		addr = a
	}
	var tc *tls.Config
	if l.TLS != nil {
		name := l.Name
		tc = &tls.Config{GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
			return s.state.Load().tls[name], nil
		}}
	}
	srv := s.listenerServer(l)
	if err := s.serve(l.Name, addr, srv.Handler, tc, srv, s.proxyWrap(l)); err != nil {
		return err
	}
	if l.RedirectPort != 0 {
		raddr := net.JoinHostPort(l.Address, strconv.Itoa(l.RedirectPort))
		if a, ok := s.opts.Addrs[l.Name+"-redirect"]; ok {
			raddr = a
		}
		return s.serve(l.Name+"-redirect", raddr, s.redirectHandler(l.Name, l.Port), nil, nil, s.proxyWrap(l))
	}
	return nil
}

// serve binds addr and serves h on it (TLS when tc is set), through the
// listener wrappers given (the PROXY protocol).
func (s *Server) serve(name, addr string, h http.Handler, tc *tls.Config, srv *http.Server, wrap ...func(net.Listener) net.Listener) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listener %s: %w", name, err)
	}
	for _, w := range wrap {
		if w != nil {
			ln = w(ln)
		}
	}
	if srv == nil {
		srv = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 60 * time.Second}
	}
	srv.ErrorLog = slog.NewLogLogger(s.opts.Log.Handler(), slog.LevelWarn)
	if tc != nil {
		srv.TLSConfig = tc
		ln = tls.NewListener(ln, tc)
	}
	s.mu.Lock()
	s.listeners[name] = ln
	s.servers = append(s.servers, srv)
	s.mu.Unlock()
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.opts.Log.Error("listener stopped", "listener", name, "error", err.Error())
		}
	}()
	return nil
}

// Shutdown stops accepting, drains in-flight requests (bounded by
// ShutdownTimeout) and releases resources.
func (s *Server) Shutdown(ctx context.Context) error {
	s.ready.Store(false)
	ctx, cancel := context.WithTimeout(ctx, s.opts.ShutdownTimeout)
	defer cancel()
	s.mu.Lock()
	servers := append([]*http.Server(nil), s.servers...)
	s.mu.Unlock()
	var errs []error
	for _, srv := range servers {
		errs = append(errs, srv.Shutdown(ctx))
	}
	if st := s.state.Load(); st != nil {
		st.close()
	}
	return errors.Join(errs...)
}

func (s *Server) closeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, srv := range s.servers {
		srv.Close()
	}
}

// logf logs an operational warning.
func (s *Server) logf(format string, args ...any) {
	s.opts.Log.Warn(fmt.Sprintf(format, args...))
}
