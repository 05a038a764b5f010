package server

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"net/netip"
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
//   - Envoy ext_authz (HTTP service): the original method and path arrive
//     as the request's own, after the path prefix; the answer's status
//     goes to the client as is.
//
// The path is /authorize, or /authorize/listener/NAME when the policy has
// several listeners (part of the gateway's static config, never of the
// client's request). The client's address is X-Rampart-Client-IP, which
// the gateway config sets (overwriting any client value), else the last
// X-Forwarded-For entry (the one the gateway appended). The authorizer
// never approves a CORS preflight: the gateway answers those itself. An
// allowed answer carries X-Rampart-Subject, X-Rampart-Roles and
// X-Rampart-Route for the upstream.
func (s *Server) authorizerHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := s.state.Load()
		listener, rest, ok := authorizerListener(r.URL.Path, st)
		if !ok {
			deny(w, engine.Decision{Status: http.StatusForbidden})
			return
		}
		method, path, raw, nginx, ok := originalRequest(r, rest)
		if !ok {
			deny(w, engine.Decision{Status: http.StatusForbidden})
			return
		}
		orig := r.Clone(r.Context())
		orig.Method, orig.URL = method, &url.URL{Path: path, RawPath: raw, RawQuery: originalQuery(r)}
		orig.TLS = clientCertState(r, st.tls[listener])
		d := st.engine.Decide(r.Context(), engine.Request{Listener: listener, Method: method, Path: path, RawPath: raw,
			ClientIP: gatewayClientIP(r), HTTP: orig})
		if d.Reason != "" {
			s.metrics.denials.WithLabelValues(d.Reason).Inc()
		}
		switch {
		case d.Allowed() && !d.Preflight:
			if p := d.Principal; p != nil {
				w.Header().Set("X-Rampart-Subject", p.Subject)
				w.Header().Set("X-Rampart-Roles", strings.Join(p.Roles, " "))
				// the identity as the policy's access log may record it
				// (redacted or hashed), for gateways that write the log
				if v, keep := st.log.Field("identity", p.Subject); keep {
					w.Header().Set("X-Rampart-Log-Identity", v)
				}
			}
			w.Header().Set("X-Rampart-Route", d.Route.ID)
			w.WriteHeader(http.StatusOK)
		case d.Preflight:
			deny(w, engine.Decision{Status: http.StatusForbidden})
		case nginx && d.Status != http.StatusUnauthorized && d.Status != http.StatusForbidden:
			w.Header().Set("X-Rampart-Status", strconv.Itoa(d.Status))
			deny(w, engine.Decision{Status: http.StatusForbidden, RetryAfter: d.RetryAfter})
		default:
			deny(w, d)
		}
	})
}

// authorizerListener splits "/authorize[/listener/NAME]REST" into the
// listener and the rest; without a listener segment the policy must have
// exactly one listener.
func authorizerListener(p string, st *state) (listener, rest string, ok bool) {
	rest, ok = strings.CutPrefix(p, AuthorizerPath)
	if !ok {
		return "", "", false
	}
	if r, found := strings.CutPrefix(rest, "/listener/"); found {
		name, after, _ := strings.Cut(r, "/")
		if _, known := st.hosts[name]; !known {
			return "", "", false
		}
		return name, "/" + after, true
	}
	if len(st.cfg.Listeners) != 1 {
		return "", "", false
	}
	return st.cfg.Listeners[0].Name, rest, true
}

// originalRequest recovers the method and path being authorized; a URI
// that does not parse is refused, never read as "/".
func originalRequest(r *http.Request, rest string) (method, path, raw string, nginx, ok bool) {
	if uri := r.Header.Get("X-Original-URI"); uri != "" {
		u, err := url.ParseRequestURI(uri)
		if err != nil || r.Header.Get("X-Original-Method") == "" {
			return "", "", "", true, false
		}
		return r.Header.Get("X-Original-Method"), u.Path, u.EscapedPath(), true, true
	}
	if rest == "" {
		rest = "/"
	}
	u, err := url.Parse(rest)
	if err != nil {
		return "", "", "", false, false
	}
	return r.Method, u.Path, u.EscapedPath(), false, true
}

// originalQuery is the query string of the request being authorized, so
// providers that read a query parameter work behind a gateway too.
func originalQuery(r *http.Request) string {
	if uri := r.Header.Get("X-Original-URI"); uri != "" {
		if u, err := url.ParseRequestURI(uri); err == nil {
			return u.RawQuery
		}
		return ""
	}
	return r.URL.RawQuery
}

// clientCertState rebuilds the TLS state an mTLS provider reads from the
// client certificate the gateway verified and passes in
// X-Rampart-Client-Cert (nginx: $ssl_client_escaped_cert). The authorizer
// verifies the chain again against the listener's own CA pool, so a
// certificate from elsewhere never authenticates; without a listener that
// verifies client certificates, the header is ignored.
func clientCertState(r *http.Request, tc *tls.Config) *tls.ConnectionState {
	h := r.Header.Get("X-Rampart-Client-Cert")
	if h == "" || tc == nil || tc.ClientCAs == nil {
		return nil
	}
	pemText, err := url.QueryUnescape(h)
	if err != nil {
		return nil
	}
	block, _ := pem.Decode([]byte(pemText))
	if block == nil || block.Type != "CERTIFICATE" {
		return nil
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil
	}
	chains, err := cert.Verify(x509.VerifyOptions{Roots: tc.ClientCAs, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	if err != nil {
		return nil
	}
	return &tls.ConnectionState{HandshakeComplete: true, PeerCertificates: []*x509.Certificate{cert}, VerifiedChains: chains}
}

// gatewayClientIP is the client address the gateway reports.
func gatewayClientIP(r *http.Request) string {
	if ip := strings.TrimSpace(r.Header.Get("X-Rampart-Client-IP")); ip != "" {
		return ip
	}
	if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
		entries := strings.Split(xff[len(xff)-1], ",")
		return strings.TrimSpace(entries[len(entries)-1])
	}
	h, _, _ := net.SplitHostPort(r.RemoteAddr)
	return h
}

// StartAuthorizer serves the authorizer on addr, which must be a loopback
// address: the authorizer believes the headers its caller sets.
func (s *Server) StartAuthorizer(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("authorizer address %q: %w", addr, err)
	}
	if ip, err := netip.ParseAddr(host); (err != nil && host != "localhost") || (err == nil && !ip.IsLoopback()) {
		return fmt.Errorf("authorizer address %q is not loopback: the authorizer trusts its caller's headers, so it only listens on 127.0.0.1, ::1 or localhost", addr)
	}
	return s.serve("authorizer", addr, s.authorizerHandler(), nil, nil)
}
