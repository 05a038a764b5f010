package probe

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/drift"
)

// Options say what to probe.
type Options struct {
	// URL is the endpoint's base URL, e.g. https://127.0.0.1:8443.
	URL string
	// Host is the host name sent as SNI and Host header; empty means the
	// listener's first host, else the URL's host.
	Host string
	// Listener names the policy listener the endpoint serves; empty means
	// the listener serving Host, else the listener on the URL's port,
	// else the only listener.
	Listener string
	// Timeout bounds the whole run (default 60 s); each request gets at
	// most 10 s of it.
	Timeout time.Duration
	// SkipRateLimit leaves out the rate-limit probe.
	SkipRateLimit bool
	// APIKey, if set, is an API key of one of the policy's consumers: the
	// probe sends it to routes whose rules do not allow its roles and
	// expects 403. It is never printed.
	APIKey string
}

// prober holds one run's state.
type prober struct {
	p      *ir.Policy
	l      *ir.Listener
	base   *url.URL
	host   string
	addr   string
	client *http.Client
	d      *drift.Diff
	apiKey string
	key    struct {
		keyHolder
		ok bool
	}
}

// Run probes the endpoint and returns the checks made and the findings.
func Run(ctx context.Context, p *ir.Policy, o Options) (drift.Result, error) {
	if o.Timeout <= 0 {
		o.Timeout = time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	pr, err := newProber(p, o)
	if err != nil {
		return drift.Result{}, err
	}
	if pr.base.Scheme == "https" {
		if pr.l.TLS == nil {
			return drift.Result{}, fmt.Errorf("probe: %s is https but listener %s has no TLS in the policy", o.URL, pr.l.Name)
		}
		if err := pr.tlsChecks(ctx); err != nil {
			return drift.Result{}, err
		}
	} else if pr.l.TLS != nil {
		pr.d.Add(drift.At{Control: ir.CtlTLS, Listener: pr.l.Name, Origin: pr.l.TLS.Origin}, "endpoint serves TLS",
			drift.Finding{Direction: drift.Missing, Severity: drift.Weakening, Expected: "https", Actual: pr.base.Scheme,
				Message: "the policy's listener " + pr.l.Name + " serves TLS, the probed URL is " + pr.base.Scheme})
	}
	if err := pr.routeChecks(ctx, o.SkipRateLimit); err != nil {
		return drift.Result{}, err
	}
	r := pr.d.Result()
	r.Kind, r.Policy, r.Source = drift.KindProbe, p.Name, o.URL
	r.Sort()
	return r, nil
}

// newProber resolves the listener, host and HTTP client.
func newProber(p *ir.Policy, o Options) (*prober, error) {
	u, err := url.Parse(o.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("probe: URL %q: want http(s)://host[:port]", o.URL)
	}
	l, err := pickListener(p, o, u)
	if err != nil {
		return nil, err
	}
	host := o.Host
	if host == "" && len(l.Hosts) > 0 {
		host = l.Hosts[0]
	}
	if host == "" {
		host = u.Hostname()
	}
	addr := u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), map[string]string{"http": "80", "https": "443"}[u.Scheme])
	}
	tr := &http.Transport{
		// The certificate is checked by the TLS probe, which reports it
		// as a finding; here the requests must get through to be checked.
		TLSClientConfig:   &tls.Config{ServerName: host, InsecureSkipVerify: true},
		DisableKeepAlives: true,
		// Wait for 100 Continue (or a refusal) before sending a body.
		ExpectContinueTimeout: 5 * time.Second,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
	}
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	pr := &prober{p: p, l: l, base: u, host: host, addr: addr, client: client, d: drift.NewDiff(""), apiKey: o.APIKey}
	if o.APIKey != "" {
		pr.key.keyHolder, pr.key.ok = findKey(p, o.APIKey)
		if !pr.key.ok {
			return nil, fmt.Errorf("probe: the API key given matches no consumer of the policy")
		}
	}
	return pr, nil
}

// pickListener chooses the listener the endpoint serves.
func pickListener(p *ir.Policy, o Options, u *url.URL) (*ir.Listener, error) {
	for _, l := range p.Listeners {
		if o.Listener != "" && l.Name == o.Listener {
			return l, nil
		}
	}
	if o.Listener != "" {
		return nil, fmt.Errorf("probe: the policy has no listener %q", o.Listener)
	}
	for _, l := range p.Listeners {
		if o.Host != "" && slices.Contains(l.Hosts, o.Host) {
			return l, nil
		}
	}
	for _, l := range p.Listeners {
		if fmt.Sprint(l.Port) == u.Port() {
			return l, nil
		}
	}
	if len(p.Listeners) == 1 {
		return p.Listeners[0], nil
	}
	return nil, fmt.Errorf("probe: cannot tell which listener %s serves; name it with --listener", o.URL)
}
