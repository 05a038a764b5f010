package server

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rampart-policy/rampart/proxy/accesslog"
	"github.com/rampart-policy/rampart/proxy/config"
	"github.com/rampart-policy/rampart/proxy/engine"
)

// Defaults where the policy sets no limit.
const (
	defaultHeaderTimeout  = 10 * time.Second
	defaultIdleTimeout    = 60 * time.Second
	defaultMaxHeaderBytes = 32 << 10
)

// listenerServer builds the http.Server for a listener, with the
// strictest header timeout, idle timeout and the largest header size any
// of its routes allows (each route's own limits are enforced per request).
func (s *Server) listenerServer(l config.Listener) *http.Server {
	header, idle, maxHeader := defaultHeaderTimeout, defaultIdleTimeout, 0
	for _, r := range s.state.Load().cfg.Routes {
		if !contains(r.Listeners, l.Name) {
			continue
		}
		if t := seconds(r.Limits.HeaderTimeoutSeconds); t > 0 && t < header {
			header = t
		}
		if t := seconds(r.Limits.IdleTimeoutSeconds); t > 0 && t < idle {
			idle = t
		}
		maxHeader = max(maxHeader, r.Limits.MaxHeaderBytes)
	}
	if maxHeader == 0 {
		maxHeader = defaultMaxHeaderBytes
	}
	name := l.Name
	return &http.Server{
		Handler:           http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.handle(name, w, r) }),
		ReadHeaderTimeout: header,
		IdleTimeout:       idle,
		MaxHeaderBytes:    maxHeader,
	}
}

// handle is the request pipeline: hygiene, the engine's decision,
// security headers and CORS, size limits, the upstream, the access log.
func (s *Server) handle(listener string, w http.ResponseWriter, r *http.Request) {
	st := s.state.Load()
	start := s.opts.Now()
	rec := &recorder{ResponseWriter: w}
	ip := clientIP(r)
	var d engine.Decision
	defer func() { s.finish(st, rec, r, d, ip, start) }()

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
	d = st.engine.Decide(r.Context(), engine.Request{Listener: listener, Method: r.Method, Path: r.URL.Path, ClientIP: ip, HTTP: r})
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

// enforceLimits applies the route's header size, body size and body
// timeout. The body limit is enforced while streaming: nothing buffers
// the whole body.
func (s *Server) enforceLimits(w *recorder, r *http.Request, d *engine.Decision) bool {
	lim := d.Route.Limits
	if lim.MaxHeaderBytes > 0 && headerBytes(r) > lim.MaxHeaderBytes {
		*d = engine.Decision{Status: http.StatusRequestHeaderFieldsTooLarge, Reason: "header-too-large", Route: d.Route, Principal: d.Principal}
		deny(w, *d)
		return false
	}
	if lim.MaxBodyBytes > 0 {
		if r.ContentLength > int64(lim.MaxBodyBytes) {
			*d = engine.Decision{Status: http.StatusRequestEntityTooLarge, Reason: "body-too-large", Route: d.Route, Principal: d.Principal}
			deny(w, *d)
			return false
		}
		r.Body = http.MaxBytesReader(w, r.Body, int64(lim.MaxBodyBytes))
	}
	if t := seconds(lim.BodyTimeoutSeconds); t > 0 {
		http.NewResponseController(w.ResponseWriter).SetReadDeadline(s.opts.Now().Add(t))
	}
	return true
}

// forward sends the request upstream with the caller's identity in
// X-Rampart-* headers (any such header from the client is removed first).
func (s *Server) forward(st *state, w *recorder, r *http.Request, d engine.Decision) {
	for k := range r.Header {
		if strings.HasPrefix(strings.ToLower(k), "x-rampart-") {
			r.Header.Del(k)
		}
	}
	if p := d.Principal; p != nil {
		r.Header.Set("X-Rampart-Subject", p.Subject)
		r.Header.Set("X-Rampart-Roles", strings.Join(p.Roles, " "))
	}
	r.Header.Set("X-Rampart-Route", d.Route.ID)
	ctx := context.WithValue(r.Context(), routeKey{}, d.Route)
	if t := seconds(d.Route.Limits.UpstreamTimeoutSeconds); t > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, t)
		defer cancel()
	}
	st.upstreams[d.Route.Upstream].proxy.ServeHTTP(w, r.WithContext(ctx))
}

// routeKey carries the route to the reverse proxy's response hooks.
type routeKey struct{}

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

// badRequest rejects what should never reach a route: invalid UTF-8,
// dot segments, encoded slashes or backslashes, and requests that carry
// both Content-Length and Transfer-Encoding (smuggling).
func badRequest(r *http.Request) string {
	p := r.URL.Path
	raw := r.URL.EscapedPath()
	switch {
	case !strings.HasPrefix(p, "/"):
		return "path is not absolute"
	case !utf8.ValidString(p):
		return "path is not valid UTF-8"
	case strings.Contains(p, "\\") || strings.ContainsAny(p, "\x00\r\n"):
		return "path holds a backslash or control character"
	case strings.Contains(strings.ToLower(raw), "%2f") || strings.Contains(strings.ToLower(raw), "%5c"):
		return "path holds an encoded slash"
	case hasDotSegment(p) || strings.Contains(p, "//"):
		return "path holds dot segments or empty segments"
	case len(r.TransferEncoding) > 0 && len(r.Header.Values("Content-Length")) > 0:
		return "both Content-Length and Transfer-Encoding"
	}
	return ""
}

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

// headerBytes approximates the request header size as sent.
func headerBytes(r *http.Request) int {
	n := len(r.Method) + len(r.RequestURI) + 12
	for k, vs := range r.Header {
		for _, v := range vs {
			n += len(k) + len(v) + 4
		}
	}
	return n
}

// clientIP is the peer address without port. rampart does not trust
// X-Forwarded-For: it is the edge.
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
