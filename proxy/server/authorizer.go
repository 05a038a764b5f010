package server

import (
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/rampart-policy/rampart/proxy/engine"
)

// AuthorizerPath is the path prefix of the authorizer endpoint.
const AuthorizerPath = "/authorize"

// authorizerHandler answers external authorization checks with the same
// engine that serves traffic:
//
//   - nginx auth_request: the subrequest carries X-Original-Method and
//     X-Original-URI; the answer is 2xx (allow), 401 or 403, so other
//     denials are sent as 403 with the real status in X-Rampart-Status.
//   - Envoy ext_authz (HTTP service, path_prefix "/authorize"): the
//     original method and path arrive as the request's own; the answer's
//     status goes to the client as is.
//
// Either way X-Rampart-Listener names the listener (optional when the
// config has one), and an allowed answer carries X-Rampart-Subject,
// X-Rampart-Roles and X-Rampart-Route for the upstream.
func (s *Server) authorizerHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := s.state.Load()
		method, path, nginx := originalRequest(r)
		listener := r.Header.Get("X-Rampart-Listener")
		if listener == "" && len(st.cfg.Listeners) == 1 {
			listener = st.cfg.Listeners[0].Name
		}
		orig := r.Clone(r.Context())
		orig.Method, orig.URL = method, &url.URL{Path: path}
		d := st.engine.Decide(r.Context(), engine.Request{Listener: listener, Method: method, Path: path, ClientIP: forwardedIP(r), HTTP: orig})
		if d.Reason != "" {
			s.metrics.denials.WithLabelValues(d.Reason).Inc()
		}
		switch {
		case d.Allowed() || d.Preflight:
			if p := d.Principal; p != nil {
				w.Header().Set("X-Rampart-Subject", p.Subject)
				w.Header().Set("X-Rampart-Roles", strings.Join(p.Roles, " "))
			}
			w.Header().Set("X-Rampart-Route", d.Route.ID)
			w.WriteHeader(http.StatusOK)
		case nginx && d.Status != http.StatusUnauthorized && d.Status != http.StatusForbidden:
			w.Header().Set("X-Rampart-Status", strconv.Itoa(d.Status))
			deny(w, engine.Decision{Status: http.StatusForbidden, RetryAfter: d.RetryAfter})
		default:
			deny(w, d)
		}
	})
}

// originalRequest recovers the method and path being authorized.
func originalRequest(r *http.Request) (method, path string, nginx bool) {
	if uri := r.Header.Get("X-Original-URI"); uri != "" {
		u, err := url.ParseRequestURI(uri)
		if err != nil {
			return r.Header.Get("X-Original-Method"), "/", true
		}
		return r.Header.Get("X-Original-Method"), u.Path, true
	}
	p := strings.TrimPrefix(r.URL.Path, AuthorizerPath)
	if p == "" {
		p = "/"
	}
	return r.Method, p, false
}

// forwardedIP is the client address the gateway reports. The authorizer
// trusts its caller (it listens on loopback), so X-Real-IP and the first
// X-Forwarded-For entry are believed.
func forwardedIP(r *http.Request) string {
	if ip := r.Header.Get("X-Real-IP"); ip != "" {
		return ip
	}
	if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
		first, _, _ := strings.Cut(xff, ",")
		return strings.TrimSpace(first)
	}
	h, _, _ := net.SplitHostPort(r.RemoteAddr)
	return h
}

// StartAuthorizer serves the authorizer on addr.
func (s *Server) StartAuthorizer(addr string) error {
	return s.serve("authorizer", addr, s.authorizerHandler(), nil, nil)
}
