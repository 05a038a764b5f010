package probe

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/drift"
)

// maxBodyProbe is the largest oversize body sent (a limit above it is
// not probed).
const maxBodyProbe = 8 << 20

// probeOrigin is the CORS origin no policy allows.
const probeOrigin = "https://rampart-probe.invalid"

// routeChecks probes every route of the listener, rate limits last so
// that their 429s cannot mask the other answers.
func (pr *prober) routeChecks(ctx context.Context, skipRate bool) error {
	if ca := pr.l.TLS; ca != nil && ca.ClientAuth != nil && ca.ClientAuth.Required {
		return pr.clientCertCheck(ctx)
	}
	routes := pr.routes()
	for _, r := range routes {
		if err := pr.route(ctx, r, routes); err != nil {
			return fmt.Errorf("probe: route %s: %w", r.ID, err)
		}
	}
	if skipRate {
		return nil
	}
	return pr.rateLimit(ctx, routes)
}

// routes returns the routes the listener serves, by ID.
func (pr *prober) routes() []*ir.Route {
	var out []*ir.Route
	for _, s := range pr.p.Services {
		if slices.Contains(s.Listeners, pr.l.Name) {
			out = append(out, s.Routes...)
		}
	}
	slices.SortFunc(out, func(a, b *ir.Route) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// clientCertCheck checks a listener that requires client certificates
// refuses a handshake without one; its routes cannot be probed further.
func (pr *prober) clientCertCheck(ctx context.Context) error {
	at := drift.At{Control: ir.CtlMTLS, Listener: pr.l.Name, Path: pr.addr, Origin: pr.l.TLS.Origin}
	_, _, err := pr.do(ctx, http.MethodGet, "/", nil, nil)
	var fs []drift.Finding
	if err == nil {
		fs = append(fs, drift.Finding{Direction: drift.Missing, Severity: drift.Weakening, Expected: "handshake refused",
			Actual: "request answered", Message: "a request without a client certificate was answered; the policy requires one"})
	}
	pr.d.Add(at, "request without client certificate refused", fs...)
	return nil
}

// concretePath fills a route's {params}.
func concretePath(r *ir.Route) string {
	segs := strings.Split(r.Path, "/")
	for i, s := range segs {
		if strings.HasPrefix(s, "{") {
			segs[i] = "rampart-probe"
		}
	}
	return strings.Join(segs, "/")
}

// route runs the per-route checks: authentication, headers, CORS,
// methods and body size.
func (pr *prober) route(ctx context.Context, r *ir.Route, all []*ir.Route) error {
	at := drift.At{Route: r.ID, Listener: pr.l.Name, Path: r.Methods[0] + " " + concretePath(r), Origin: r.Origin}
	code, h, err := pr.do(ctx, r.Methods[0], concretePath(r), http.Header{"Origin": {probeOrigin}}, nil)
	if err != nil {
		first, name := withCtl(at, ir.CtlHeaders), "route answered"
		if !r.Public {
			first, name = pr.authAt(at, r), "unauthenticated request answered 401"
		}
		return pr.failed(ctx, first, name, err)
	}
	if !r.Public {
		pr.status(pr.authAt(at, r), "unauthenticated request answered 401", http.StatusUnauthorized, code)
	}
	if err := pr.roleCheck(ctx, at, r); err != nil {
		return err
	}
	pr.headerChecks(at, r, h)
	pr.corsCheck(withCtl(at, ir.CtlCORS), r, h)
	if err := pr.methodCheck(ctx, at, r, all); err != nil {
		return err
	}
	return pr.bodyCheck(ctx, at, r)
}

// status records a check that the answer was want.
func (pr *prober) status(at drift.At, name string, want, got int) {
	if want == got {
		pr.d.Add(at, name)
		return
	}
	pr.d.Add(at, name, drift.Finding{Direction: drift.Changed, Severity: drift.Weakening, Expected: strconv.Itoa(want), Actual: strconv.Itoa(got),
		Message: fmt.Sprintf("%s: want %d, got %d", at.Path, want, got)})
}

func withCtl(at drift.At, control string) drift.At {
	at.Control = control
	return at
}

// authAt places the authentication check under the route's first
// provider's control.
func (pr *prober) authAt(at drift.At, r *ir.Route) drift.At {
	at.Control = ir.CtlAuthzRules
	for _, pv := range pr.p.Providers {
		if len(r.Providers) > 0 && pv.Name == r.Providers[0] {
			at.Control = map[string]string{ir.KindAPIKey: ir.CtlAPIKey, ir.KindJWT: ir.CtlJWT,
				ir.KindMTLS: ir.CtlMTLSAuthn, ir.KindIntrospection: ir.CtlIntrospection}[pv.Kind]
		}
	}
	return at
}

// headerChecks compares the route's security headers and HSTS.
func (pr *prober) headerChecks(at drift.At, r *ir.Route, h http.Header) {
	for _, hd := range r.Headers.Set {
		pr.d.Value(withCtl(at, ir.CtlHeaders), "response header "+hd.Name, hd.Value, h.Get(hd.Name), drift.AnyWeakens)
	}
	if t := pr.l.TLS; t != nil && t.HSTS != nil && pr.base.Scheme == "https" {
		a := withCtl(at, ir.CtlHSTS)
		a.Origin = t.Origin
		pr.d.Value(a, "Strict-Transport-Security", hstsValue(t.HSTS), h.Get("Strict-Transport-Security"), drift.AnyWeakens)
	}
}

// hstsValue renders the header value the targets send.
func hstsValue(h *ir.HSTS) string {
	v := fmt.Sprintf("max-age=%d", h.MaxAgeSeconds)
	if h.IncludeSubDomains {
		v += "; includeSubDomains"
	}
	if h.Preload {
		v += "; preload"
	}
	return v
}

// corsCheck checks an undeclared origin is not allowed.
func (pr *prober) corsCheck(at drift.At, r *ir.Route, h http.Header) {
	acao := h.Get("Access-Control-Allow-Origin")
	wildcard := r.CORS != nil && slices.Contains(r.CORS.AllowOrigins, "*")
	var fs []drift.Finding
	if acao == probeOrigin || (acao == "*" && !wildcard) {
		fs = append(fs, drift.Finding{Direction: drift.Unexpected, Severity: drift.Weakening, Actual: acao,
			Message: fmt.Sprintf("%s: origin %s, which the policy does not allow, got Access-Control-Allow-Origin: %s", at.Path, probeOrigin, acao)})
	}
	pr.d.Add(at, "CORS refused to an undeclared origin", fs...)
}

// methodCheck sends a method no route on the path declares: 405.
func (pr *prober) methodCheck(ctx context.Context, at drift.At, r *ir.Route, all []*ir.Route) error {
	var declared []string
	for _, o := range all {
		if o.Path == r.Path {
			declared = append(declared, o.Methods...)
		}
	}
	for _, m := range []string{http.MethodDelete, http.MethodPatch, http.MethodPut, http.MethodPost, http.MethodGet} {
		if slices.Contains(declared, m) {
			continue
		}
		a := withCtl(at, ir.CtlMethods)
		a.Path = m + " " + concretePath(r)
		code, _, err := pr.do(ctx, m, concretePath(r), nil, nil)
		if err != nil {
			return pr.failed(ctx, a, "undeclared method answered 405", err)
		}
		pr.status(a, "undeclared method answered 405", http.StatusMethodNotAllowed, code)
		return nil
	}
	return nil
}

// bodyCheck sends one byte more than the route's body limit: 413.
func (pr *prober) bodyCheck(ctx context.Context, at drift.At, r *ir.Route) error {
	max := r.Limits.MaxBodyBytes
	i := slices.IndexFunc(r.Methods, func(m string) bool { return m == "POST" || m == "PUT" || m == "PATCH" })
	if max <= 0 || max >= maxBodyProbe || i < 0 {
		return nil
	}
	ct := "application/json"
	if len(r.ContentTypes) > 0 {
		ct = r.ContentTypes[0]
	}
	// Expect: 100-continue lets a gateway refuse on Content-Length
	// before the body is sent; one that accepts asks for it.
	body := bytes.Repeat([]byte(" "), max+1)
	code, _, err := pr.do(ctx, r.Methods[i], concretePath(r), http.Header{"Content-Type": {ct}, "Expect": {"100-continue"}}, body)
	a := withCtl(at, ir.CtlBodyLimit)
	a.Path = r.Methods[i] + " " + concretePath(r) + " (" + strconv.Itoa(max+1) + " bytes)"
	if err != nil && (errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)) {
		return nil // the connection was cut without an answer: inconclusive, not a check made
	}
	if err != nil {
		return pr.failed(ctx, a, "oversize body answered 413", err)
	}
	if !r.Public && (code == http.StatusUnauthorized || code == http.StatusForbidden) {
		// Refused by authentication before the limit showed: a gateway
		// may check credentials first (rampart's proxy does), and without
		// credentials the probe cannot see the limit. Not a check made.
		return nil
	}
	pr.status(a, "oversize body answered 413", http.StatusRequestEntityTooLarge, code)
	return nil
}

// failed records a request that got no answer as a failed check, with
// severity weakening: a gateway that drops the connection has not shown
// the control holds. When the run's own deadline has passed it returns
// the error instead: then the run is incomplete, not the gateway at fault.
func (pr *prober) failed(ctx context.Context, at drift.At, name string, err error) error {
	if ctx.Err() != nil {
		return err
	}
	pr.d.Add(at, name, drift.Finding{Direction: drift.Changed, Severity: drift.Weakening, Expected: "an answer", Actual: "no answer: " + err.Error(),
		Message: fmt.Sprintf("%s: %s: the request got no answer: %v", at.Path, name, err)})
	return nil
}

// do sends one request and returns the status and headers. path may
// carry a query ("/items?api_key=…"); an error names the URL without its
// query, which may hold the probe's API key.
func (pr *prober) do(ctx context.Context, method, path string, h http.Header, body []byte) (int, http.Header, error) {
	u := *pr.base
	path, u.RawQuery, _ = strings.Cut(path, "?")
	u.Path = strings.TrimSuffix(pr.base.Path, "/") + path
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return 0, nil, err
	}
	req.Host = pr.host
	for k, v := range h {
		req.Header[k] = v
	}
	resp, err := pr.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			shown := u
			shown.RawQuery, shown.ForceQuery = "", false
			if u.RawQuery != "" {
				shown.RawQuery = "[redacted]"
			}
			ue.URL = shown.String()
		}
		return 0, nil, err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, resp.Header, nil
}
