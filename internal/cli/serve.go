package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"log/syslog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/rampart-policy/rampart/compiler"
	"github.com/rampart-policy/rampart/compiler/diag"
	"github.com/rampart-policy/rampart/proxy/config"
	"github.com/rampart-policy/rampart/proxy/server"
	"github.com/rampart-policy/rampart/targets"
	"github.com/rampart-policy/rampart/targets/goproxy"
)

func newServeCmd(s *streams) *cobra.Command {
	var configFile, policyDir, adminAddr, authzAddr string
	var listen map[string]string
	cmd := &cobra.Command{
		Use:   "serve (--config FILE | --policy PATH) [--admin ADDR] [--authorizer ADDR]",
		Short: "Run rampart's reverse proxy, enforcing a compiled policy",
		Long: `serve runs rampart's own reverse proxy on the policy's listeners, enforcing every
control. --config serves a rampart-proxy.json built by "rampart build --target
goproxy"; --policy compiles a policy directory on the fly. The config is
reloaded on SIGHUP and when its files change; a config that fails to load is
refused with a logged reason and the previous one keeps serving. The admin
listener (default 127.0.0.1:9901) serves /healthz, /readyz, /metrics and
/config. --authorizer ADDR also answers nginx auth_request and Envoy ext_authz
checks at /authorize.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if (configFile == "") == (policyDir == "") {
				return usageError(errors.New("serve needs exactly one of --config FILE and --policy PATH"))
			}
			load, watch := configLoader(configFile), []string{configFile}
			if policyDir != "" {
				load, watch = policyLoader(policyDir, s.err), cueFiles(policyDir)
			}
			return runServer(cmd.Context(), s, load, watch, serveAddrs{admin: adminAddr, authz: authzAddr, listen: listen})
		},
	}
	cmd.Flags().StringVar(&configFile, "config", "", "rampart-proxy.json to serve")
	cmd.Flags().StringVar(&policyDir, "policy", "", "policy directory to compile and serve")
	cmd.Flags().StringVar(&adminAddr, "admin", "127.0.0.1:9901", `admin listener address ("off" to disable)`)
	cmd.Flags().StringVar(&authzAddr, "authorizer", "", "authorizer listener address (for nginx auth_request and Envoy ext_authz); off by default")
	cmd.Flags().StringToStringVar(&listen, "listen", nil, "override a listener's address, NAME=HOST:PORT (repeatable; NAME-redirect for its redirect port)")
	return cmd
}

// serveAddrs are the addresses serve binds besides the policy's own.
type serveAddrs struct {
	admin, authz string
	listen       map[string]string
}

// runServer starts the proxy and runs until SIGINT, SIGTERM or ctx ends.
func runServer(ctx context.Context, s *streams, load func() (*config.Config, error), watch []string, addrs serveAddrs) error {
	logger := slog.New(slog.NewJSONHandler(s.err, nil))
	first, err := load()
	if err != nil {
		return policyErr(err)
	}
	sink, closeSink, err := openSink(first.AccessLog, s.out)
	if err != nil {
		return policyErr(err)
	}
	defer closeSink()
	srv, err := server.New(server.Options{Load: load, AdminAddr: addrs.admin, Addrs: addrs.listen, AccessLog: sink, Log: logger})
	if err != nil {
		return policyErr(err)
	}
	if err := srv.Start(); err != nil {
		return usageError(err)
	}
	if addrs.authz != "" {
		if err := srv.StartAuthorizer(addrs.authz); err != nil {
			return usageError(err)
		}
	}
	logger.Info("rampart serve started", "policy", first.Policy.Name, "digest", first.Policy.Digest, "admin", srv.Addr("admin"))
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	go srv.WatchFiles(ctx, 2*time.Second, watch...)
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-hup:
			srv.Reload()
		case <-ctx.Done():
			logger.Info("shutting down: draining in-flight requests")
			return srv.Shutdown(context.Background())
		}
	}
}

// policyErr reports a config that cannot be served.
func policyErr(err error) error { return &exitError{code: ExitPolicy, err: err} }

// configLoader reads and strictly decodes a proxy config file.
func configLoader(path string) func() (*config.Config, error) {
	return func() (*config.Config, error) {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		return config.Decode(f)
	}
}

// policyLoader compiles a policy directory to a proxy config, failing
// closed on any error diagnostic or any control the proxy cannot enforce.
func policyLoader(dir string, errw io.Writer) func() (*config.Config, error) {
	return func() (*config.Config, error) {
		p, diags, err := compiler.Compile(context.Background(), compiler.Input{Dir: dir}, compileOptions())
		if err != nil {
			return nil, err
		}
		t := goproxy.New()
		if p != nil && !diags.HasErrors() {
			diags = append(diags, targets.Check(t, p)...)
		}
		if diags.HasErrors() {
			diag.PrintText(errw, diags.Sort(), false)
			return nil, fmt.Errorf("policy %s does not compile: %s", dir, diag.Summary(diags))
		}
		return goproxy.Convert(p)
	}
}

// cueFiles lists a policy directory's CUE files, for change detection.
func cueFiles(dir string) []string {
	files, _ := filepath.Glob(filepath.Join(dir, "*.cue"))
	return files
}

// openSink opens the access log's sink: stdout, a file, or syslog over UDP
// (one JSON line per message). The goproxy target does not claim an HTTP
// sink, so such a policy never compiles for the proxy; a hand-written
// config with one refuses to start rather than drop the log.
func openSink(l config.AccessLog, stdout io.Writer) (io.Writer, func(), error) {
	switch l.Sink {
	case "", "stdout":
		return stdout, func() {}, nil
	case "file":
		f, err := os.OpenFile(l.SinkTarget, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o640)
		if err != nil {
			return nil, nil, fmt.Errorf("access log: %w", err)
		}
		return f, func() { f.Close() }, nil
	case "syslog":
		w, err := syslog.Dial("udp", l.SinkTarget, syslog.LOG_INFO|syslog.LOG_LOCAL0, "rampart")
		if err != nil {
			return nil, nil, fmt.Errorf("access log: syslog %s: %w", l.SinkTarget, err)
		}
		return w, func() { w.Close() }, nil
	}
	return nil, nil, fmt.Errorf("access log sink %q is not supported by rampart serve (use stdout or file, and ship the file)", l.Sink)
}
