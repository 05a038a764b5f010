package server

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rampart-policy/rampart/proxy/accesslog"
	"github.com/rampart-policy/rampart/proxy/config"
	"github.com/rampart-policy/rampart/proxy/engine"
)

// Defaults where the policy sets no limit.
const (
	defaultHeaderTimeout  = 10 * time.Second
	defaultIdleTimeout    = 60 * time.Second
	defaultMaxHeaderBytes = 32 << 10
	defaultBodyTimeout    = 60 * time.Second
	defaultMaxBodyBytes   = 16 << 20
)

// connParams are the per-connection settings of a listener's
// http.Server: the strictest header and idle timeouts and the largest
// header size any of its routes allows (each route's own limits are
// enforced per request). They are fixed while the server runs.
type connParams struct {
	header, idle time.Duration
	maxHeader    int
}

// listenerParams computes a listener's connParams from cfg.
func listenerParams(cfg *config.Config, listener string) connParams {
	p := connParams{header: defaultHeaderTimeout, idle: defaultIdleTimeout}
	for _, r := range cfg.Routes {
		if !contains(r.Listeners, listener) {
			continue
		}
		if t := seconds(r.Limits.HeaderTimeoutSeconds); t > 0 && t < p.header {
			p.header = t
		}
		if t := seconds(r.Limits.IdleTimeoutSeconds); t > 0 && t < p.idle {
			p.idle = t
		}
		p.maxHeader = max(p.maxHeader, r.Limits.MaxHeaderBytes)
	}
	if p.maxHeader == 0 {
		p.maxHeader = defaultMaxHeaderBytes
	}
	return p
}

// listenerServer builds the http.Server for a listener.
func (s *Server) listenerServer(l config.Listener) *http.Server {
	p := listenerParams(s.state.Load().cfg, l.Name)
	name := l.Name
	return &http.Server{
		Handler:           http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.handle(name, w, r) }),
		ReadHeaderTimeout: p.header,
		IdleTimeout:       p.idle,
		MaxHeaderBytes:    p.maxHeader,
	}
}

// handle is the request pipeline: hygiene, the engine's decision,
// security headers and CORS, size limits, the upstream, the access log.
func (s *Server) handle(listener string, w http.ResponseWriter, r *http.Request) {
	st := s.state.Load()
	start := s.opts.Now()
	rec := &recorder{ResponseWriter: w}
	ip := st.clients[listener].of(r)
	if st.clients[listener] != nil {
		r = r.WithContext(context.WithValue(r.Context(), clientIPKey{}, ip))
	}
	var d engine.Decision
	defer func() { s.finish(st, rec, r, d, ip, start) }()

	sanitizeConnection(r.Header)
	if reason := badRequest(r); reason != "" {
		st.setHeaders(rec.Header(), listener, nil)
		d = engine.Decision{Status: http.StatusBadRequest, Reason: engine.ReasonBadRequest, Detail: reason}
		deny(rec, d)
		return
	}
	if !hostAllowed(st.hosts[listener], r.Host) {
		st.setHeaders(rec.Header(), listener, nil)
		d = engine.Decision{Status: http.StatusNotFound, Reason: engine.ReasonUndeclared, Detail: "unknown host"}
		deny(rec, d)
		return
	}
	d = st.engine.Decide(r.Context(), engine.Request{Listener: listener, Method: r.Method, Path: r.URL.Path,
		RawPath: r.URL.EscapedPath(), ClientIP: ip, HTTP: r})
	st.setHeaders(rec.Header(), listener, d.Route)
	if d.Route != nil && d.Route.CORS != nil {
		applyCORS(rec.Header(), r, d.Route.CORS, d.Preflight)
	}
	switch {
	case d.Preflight:
		rec.WriteHeader(http.StatusNoContent)
		return
	case !d.Allowed():
		deny(rec, d)
		return
	}
	if !s.enforceLimits(rec, r, &d) {
		return
	}
	s.forward(st, rec, r, d)
}

// enforceLimits applies the route's body size and body timeout, or the
// proxy's defaults (16 MiB, 60 s) where the policy sets none. The body
// limit is enforced while streaming: nothing buffers the whole body.
func (s *Server) enforceLimits(w *recorder, r *http.Request, d *engine.Decision) bool {
	lim := d.Route.Limits
	maxBody := int64(lim.MaxBodyBytes)
	if maxBody == 0 {
		maxBody = defaultMaxBodyBytes
	}
	if r.ContentLength > maxBody {
		*d = engine.Decision{Status: http.StatusRequestEntityTooLarge, Reason: engine.ReasonBodyTooLarge, Route: d.Route, Principal: d.Principal}
		deny(w, *d)
		return false
	}
	if r.ContentLength == 0 && len(r.TransferEncoding) == 0 {
		return true // no body: nothing to limit or time
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	bodyTimeout := seconds(lim.BodyTimeoutSeconds)
	if bodyTimeout == 0 {
		bodyTimeout = defaultBodyTimeout
	}
	http.NewResponseController(w.ResponseWriter).SetReadDeadline(s.opts.Now().Add(bodyTimeout))
	return true
}

// forward sends the request upstream. The reverse proxy's Rewrite sets
// the caller's identity in X-Rampart-* headers after removing every
// client header that could pass for them (see scrub).
func (s *Server) forward(st *state, w *recorder, r *http.Request, d engine.Decision) {
	ctx := context.WithValue(r.Context(), routeKey{}, &d)
	if t := seconds(d.Route.Limits.UpstreamTimeoutSeconds); t > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, t)
		defer cancel()
	}
	st.upstreams[d.Route.Upstream].proxy.ServeHTTP(w, r.WithContext(ctx))
}

// routeKey carries the decision to the reverse proxy's hooks.
type routeKey struct{}

// clientIPHeaders are request headers upstreams commonly believe for the
// client's address; rampart sets X-Forwarded-For and X-Real-IP itself.
var clientIPHeaders = []string{"X-Real-Ip", "True-Client-Ip", "X-Client-Ip", "Cf-Connecting-Ip", "Forwarded", "X-Cluster-Client-Ip"}

// scrub removes from an outgoing request every header a client could use
// to pose as rampart or as another client: X-Rampart-* in any spelling
// ("_" for "-" included, as CGI-style upstreams fold them) and the
// client-address headers.
func scrub(h http.Header) {
	for k := range h {
		if isRampartHeader(k) {
			delete(h, k)
		}
	}
	for _, k := range clientIPHeaders {
		h.Del(k)
	}
}

// isRampartHeader reports "X-Rampart-…" in any letter case, with "_" for
// "-", without allocating.
func isRampartHeader(k string) bool {
	const prefix = "x-rampart-"
	if len(k) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		c := k[i]
		if c == '_' {
			c = '-'
		} else if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != prefix[i] {
			return false
		}
	}
	return true
}

// sanitizeConnection keeps only "close", "keep-alive" and "upgrade" in the
// Connection header: the reverse proxy deletes every header Connection
// names, and a client must not delete headers rampart checked or sets.
func sanitizeConnection(h http.Header) {
	vs := h.Values("Connection")
	if len(vs) == 0 {
		return
	}
	var keep []string
	for _, v := range vs {
		for _, tok := range strings.Split(v, ",") {
			switch t := strings.ToLower(strings.TrimSpace(tok)); t {
			case "close", "keep-alive", "upgrade":
				keep = append(keep, t)
			}
		}
	}
	h.Del("Connection")
	if len(keep) > 0 {
		h.Set("Connection", strings.Join(keep, ", "))
	}
}

// deny writes a short JSON error. Nothing internal is revealed.
func deny(w http.ResponseWriter, d engine.Decision) {
	h := w.Header()
	switch d.Status {
	case http.StatusMethodNotAllowed:
		h.Set("Allow", strings.Join(d.Allow, ", "))
	case http.StatusTooManyRequests:
		if d.RetryAfter > 0 {
			h.Set("Retry-After", strconv.Itoa(int(d.RetryAfter.Round(time.Second)/time.Second)+1))
		}
	case http.StatusUnauthorized:
		h.Set("WWW-Authenticate", `Bearer realm="rampart"`)
	}
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(d.Status)
	json.NewEncoder(w).Encode(map[string]string{"error": strings.ToLower(http.StatusText(d.Status))})
}

// badRequest rejects what should never reach a route: a path not in
// normal form (engine.BadPath), and a request that carries both
// Content-Length and Transfer-Encoding (smuggling; Go drops the length,
// but refusing outright is clearer).
func badRequest(r *http.Request) string {
	if reason := engine.BadPath(r.URL.Path, r.URL.EscapedPath()); reason != "" {
		return reason
	}
	if len(r.TransferEncoding) > 0 && len(r.Header.Values("Content-Length")) > 0 {
		return "both Content-Length and Transfer-Encoding"
	}
	return ""
}

// hasDotSegment reports a "." or ".." segment.
func hasDotSegment(p string) bool {
	for _, s := range strings.Split(p, "/") {
		if s == "." || s == ".." {
			return true
		}
	}
	return false
}

// hostAllowed matches the Host header (port removed) against the
// listener's host names; "*.example.com" matches one label.
func hostAllowed(hosts []string, host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, h := range hosts {
		if h == host {
			return true
		}
		if rest, ok := strings.CutPrefix(h, "*."); ok {
			if label, parent, ok := strings.Cut(host, "."); ok && label != "" && parent == rest {
				return true
			}
		}
	}
	return false
}

// clientIP is the peer address without port (for a PROXY protocol
// listener, the header's source when the peer is trusted). Without a
// listener clientAddress, rampart believes no X-Forwarded-For: it is the
// edge.
func clientIP(r *http.Request) string {
	h, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return h
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// finish writes the access log line and metrics for a request.
func (s *Server) finish(st *state, rec *recorder, r *http.Request, d engine.Decision, ip string, start time.Time) {
	routeID := "-"
	logOn := true
	if d.Route != nil {
		routeID = d.Route.ID
		logOn = d.Route.AccessLog
	}
	status := rec.status()
	s.metrics.requests.WithLabelValues(routeID, strconv.Itoa(status)).Inc()
	if d.Reason != "" {
		s.metrics.denials.WithLabelValues(d.Reason).Inc()
		if d.Reason == engine.ReasonRateLimited {
			s.metrics.rateLimit.WithLabelValues(routeID).Inc()
		}
		if d.Reason == engine.ReasonUnauthenticated {
			s.metrics.authFailed.WithLabelValues(routeID).Inc()
		}
	}
	authFailure := ""
	if d.Reason == engine.ReasonUnauthenticated || d.Reason == engine.ReasonAuthThrottled {
		authFailure = d.Detail
		logOn = logOn || st.cfg.AccessLog.AuthFailures
	}
	if !logOn {
		return
	}
	e := accesslog.Entry{Time: start, Method: r.Method, Route: routeID, Path: r.URL.Path, Query: r.URL.Query(),
		Status: status, ClientIP: ip, Latency: s.opts.Now().Sub(start), UserAgent: r.UserAgent(),
		RequestID: r.Header.Get("X-Request-Id"), RequestHeaders: r.Header, AuthFailure: authFailure}
	if d.Principal != nil {
		e.Identity = d.Principal.Subject
	}
	st.log.Log(e)
}

// recorder remembers the status code written.
type recorder struct {
	http.ResponseWriter
	code int
}

func (r *recorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

func (r *recorder) status() int {
	if r.code == 0 {
		return http.StatusOK
	}
	return r.code
}

// Unwrap lets http.ResponseController reach the connection.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// Flush passes streaming flushes through.
func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
