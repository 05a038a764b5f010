package server

import (
	"errors"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rampart-policy/rampart/proxy/config"
	"github.com/rampart-policy/rampart/proxy/engine"
)

// defaultHeaders secure responses that match no route.
var defaultHeaders = []config.Header{
	{Name: "X-Content-Type-Options", Value: "nosniff"},
	{Name: "X-Frame-Options", Value: "DENY"},
	{Name: "Referrer-Policy", Value: "no-referrer"},
	{Name: "Cache-Control", Value: "no-store"},
}

// setHeaders sets the route's security headers (or secure defaults) and
// the listener's HSTS on h.
func (st *state) setHeaders(h http.Header, listener string, r *config.Route) {
	set := defaultHeaders
	if r != nil {
		set = r.Headers
	}
	for _, x := range set {
		h.Set(x.Name, x.Value)
	}
	if v := st.hsts[listener]; v != "" {
		h.Set("Strict-Transport-Security", v)
	}
}

// applyCORS answers an allowed origin; a disallowed origin gets no CORS
// headers, so the browser refuses the response.
func applyCORS(h http.Header, r *http.Request, c *config.CORS, preflight bool) {
	origin := r.Header.Get("Origin")
	h.Add("Vary", "Origin")
	if origin == "" || !originAllowed(c.AllowOrigins, origin) {
		return
	}
	if slices.Contains(c.AllowOrigins, "*") && !c.AllowCredentials {
		h.Set("Access-Control-Allow-Origin", "*")
	} else {
		h.Set("Access-Control-Allow-Origin", origin)
	}
	if c.AllowCredentials {
		h.Set("Access-Control-Allow-Credentials", "true")
	}
	if len(c.ExposeHeaders) > 0 {
		h.Set("Access-Control-Expose-Headers", strings.Join(c.ExposeHeaders, ", "))
	}
	if preflight {
		h.Set("Access-Control-Allow-Methods", strings.Join(c.AllowMethods, ", "))
		if len(c.AllowHeaders) > 0 {
			h.Set("Access-Control-Allow-Headers", strings.Join(c.AllowHeaders, ", "))
		}
		h.Set("Access-Control-Max-Age", strconv.Itoa(c.MaxAgeSeconds))
	}
}

// originAllowed matches exact origins, "*", and "https://*.example.com".
func originAllowed(allowed []string, origin string) bool {
	for _, a := range allowed {
		if a == "*" || a == origin {
			return true
		}
		if scheme, rest, ok := strings.Cut(a, "://*."); ok {
			if o, ok := strings.CutPrefix(origin, scheme+"://"); ok {
				if _, parent, ok := strings.Cut(o, "."); ok && parent == rest {
					return true
				}
			}
		}
	}
	return false
}

// newReverseProxy forwards to target. Responses get the route's security
// headers (replacing the upstream's) and lose Server and X-Powered-By when
// the policy hides server tokens; upstream failures become 502/504 with
// no internal detail; an over-long body becomes 413.
func (s *Server) newReverseProxy(name string, target *url.URL, tr http.RoundTripper) *httputil.ReverseProxy {
	return &httputil.ReverseProxy{
		BufferPool: copyBuffers,
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			scrub(pr.Out.Header)
			pr.SetXForwarded()
			if ip, _, err := net.SplitHostPort(pr.In.RemoteAddr); err == nil {
				pr.Out.Header.Set("X-Real-Ip", ip)
			}
			if ip, ok := pr.In.Context().Value(clientIPKey{}).(string); ok {
				// behind trusted proxies: the client address they reported
				pr.Out.Header.Set("X-Forwarded-For", ip)
				pr.Out.Header.Set("X-Real-Ip", ip)
			}
			if d, ok := pr.In.Context().Value(routeKey{}).(*engine.Decision); ok {
				if p := d.Principal; p != nil {
					pr.Out.Header.Set("X-Rampart-Subject", p.Subject)
					pr.Out.Header.Set("X-Rampart-Roles", strings.Join(p.Roles, " "))
				}
				pr.Out.Header.Set("X-Rampart-Route", d.Route.ID)
			}
		},
		Transport: &timedTransport{next: tr, observe: func(d time.Duration) {
			s.metrics.upstream.WithLabelValues(name).Observe(d.Seconds())
		}},
		ModifyResponse: func(resp *http.Response) error {
			// rampart already set the route's security headers, HSTS and
			// CORS answer on the response; the upstream's own versions
			// are dropped so they can neither weaken nor duplicate them.
			for k := range resp.Header {
				if strings.HasPrefix(strings.ToLower(k), "access-control-") {
					delete(resp.Header, k)
				}
			}
			resp.Header.Del("Strict-Transport-Security")
			if d, ok := resp.Request.Context().Value(routeKey{}).(*engine.Decision); ok {
				for _, h := range d.Route.Headers {
					resp.Header.Del(h.Name)
				}
				if d.Route.HideServer {
					resp.Header.Del("Server")
					resp.Header.Del("X-Powered-By")
				}
			}
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			var mbe *http.MaxBytesError
			status := http.StatusBadGateway
			switch {
			case errors.As(err, &mbe):
				status = http.StatusRequestEntityTooLarge
			case errors.Is(err, errDeadline(r)):
				status = http.StatusGatewayTimeout
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			w.Write([]byte(`{"error":"` + strings.ToLower(http.StatusText(status)) + `"}` + "\n"))
		},
	}
}

// errDeadline returns the request context's error when it timed out.
func errDeadline(r *http.Request) error {
	if err := r.Context().Err(); err != nil {
		return err
	}
	return errNoDeadline
}

var errNoDeadline = errors.New("no deadline")

// copyBuffers recycles the reverse proxy's 32 KiB copy buffers, which
// otherwise dominate allocation per request.
var copyBuffers = &bufferPool{pool: sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}}

type bufferPool struct{ pool sync.Pool }

func (p *bufferPool) Get() []byte  { return *p.pool.Get().(*[]byte) }
func (p *bufferPool) Put(b []byte) { p.pool.Put(&b) }

// timedTransport observes upstream latency to response headers.
type timedTransport struct {
	next    http.RoundTripper
	observe func(time.Duration)
}

func (t *timedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := t.next.RoundTrip(r)
	t.observe(time.Since(start))
	return resp, err
}

// redirectHandler sends plaintext requests for the listener's hosts to
// HTTPS on port; other hosts get 404 (no open redirect).
func (s *Server) redirectHandler(listener string, port int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		if !hostAllowed(s.state.Load().hosts[listener], host) || badRequest(r) != "" {
			http.NotFound(w, r)
			return
		}
		if port != 443 {
			host = host + ":" + strconv.Itoa(port)
		}
		w.Header().Set("Connection", "close")
		http.Redirect(w, r, "https://"+host+r.URL.RequestURI(), http.StatusPermanentRedirect)
	})
}
