package engine

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/rampart-policy/rampart/proxy/authn"
	"github.com/rampart-policy/rampart/proxy/config"
	"github.com/rampart-policy/rampart/proxy/ratelimit"
)

// Reasons label denials in logs and metrics. They are stable.
const (
	ReasonUndeclared      = "undeclared-route"
	ReasonMethod          = "method-not-allowed"
	ReasonBadRequest      = "bad-request"
	ReasonContentType     = "unsupported-content-type"
	ReasonRateLimited     = "rate-limited"
	ReasonUnauthenticated = "unauthenticated"
	ReasonAuthThrottled   = "auth-throttled"
	ReasonForbidden       = "forbidden"
	ReasonUnavailable     = "limiter-unavailable"
)

// Throttle blocks clients after repeated authentication failures.
type Throttle interface {
	Fail(key string, now time.Time)
	Blocked(key string, now time.Time) (bool, time.Duration)
}

// Deps are the engine's collaborators, built from the config by the caller.
type Deps struct {
	// Providers by name.
	Providers map[string]authn.Authenticator
	// Local keeps per-instance limits; Shared keeps limits marked shared
	// (Redis with local fallback). Shared may be nil when no limit is shared.
	Local, Shared ratelimit.Store
	// Throttle is nil when the policy has no auth-failure throttling.
	Throttle Throttle
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Engine decides requests for one config. It is immutable and safe for
// concurrent use; a reload builds a new Engine.
type Engine struct {
	cfg    *config.Config
	router *router
	deps   Deps
}

// New builds an engine. Every route's providers must be in deps.
func New(cfg *config.Config, deps Deps) (*Engine, error) {
	if deps.Now == nil {
		deps.Now = time.Now
	}
	for _, r := range cfg.Routes {
		for _, p := range r.Providers {
			if deps.Providers[p] == nil {
				return nil, fmt.Errorf("route %s: provider %q is not configured", r.ID, p)
			}
		}
		for _, l := range r.RateLimits {
			if l.Shared && deps.Shared == nil {
				return nil, fmt.Errorf("route %s: rate limit %s is shared but no shared store is configured", r.ID, l.Name)
			}
		}
	}
	if deps.Local == nil {
		return nil, errors.New("engine: a local rate-limit store is required")
	}
	return &Engine{cfg: cfg, router: newRouter(cfg.Routes), deps: deps}, nil
}

// Config returns the engine's config.
func (e *Engine) Config() *config.Config { return e.cfg }

// Request is what the engine needs to know about a request.
type Request struct {
	// Listener is the name of the listener the request arrived on.
	Listener string
	// Method and Path are the original request's (for the authorizer,
	// taken from the forwarding headers).
	Method, Path string
	// ClientIP is the client's address without port.
	ClientIP string
	// HTTP carries headers and TLS state for authenticators.
	HTTP *http.Request
}

// Decision is the engine's answer.
type Decision struct {
	// Status is 0 when the request is allowed, else the HTTP status.
	Status int
	// Reason labels a denial; Detail explains it for the log (an
	// authentication failure reason, never a credential).
	Reason, Detail string
	// Route is the matched route (nil for undeclared paths).
	Route *config.Route
	// Principal is set when a provider authenticated the request.
	Principal *authn.Principal
	// Preflight is true for a CORS preflight the caller must answer.
	Preflight bool
	// Allow lists the route's methods, for 405 answers.
	Allow []string
	// RetryAfter is set on 429.
	RetryAfter time.Duration
}

// Allowed reports whether the request may proceed.
func (d Decision) Allowed() bool { return d.Status == 0 }

// Decide runs the controls in order and returns the first denial, or an
// allow decision with the route and principal.
func (e *Engine) Decide(ctx context.Context, req Request) Decision {
	d, r := e.route(req)
	if r == nil || d.Preflight {
		return d
	}
	steps := []func(context.Context, Request, *Decision) bool{
		e.clientLimits, e.contentType, e.authenticate, e.authorize, e.subjectLimits,
	}
	for _, step := range steps {
		if !step(ctx, req, &d) {
			return d
		}
	}
	return d
}

// route finds the route, answering 404, 405 or a CORS preflight.
func (e *Engine) route(req Request) (Decision, *route) {
	cands := e.router.match(req.Listener, req.Path)
	if len(cands) == 0 {
		return Decision{Status: http.StatusNotFound, Reason: ReasonUndeclared}, nil
	}
	if req.Method == http.MethodOptions && req.HTTP != nil && req.HTTP.Header.Get("Access-Control-Request-Method") != "" {
		want := req.HTTP.Header.Get("Access-Control-Request-Method")
		for _, r := range cands {
			if r.cfg.CORS != nil && r.methods[want] {
				return Decision{Route: r.cfg, Preflight: true}, r
			}
		}
	}
	for _, r := range cands {
		if r.methods[req.Method] {
			return Decision{Route: r.cfg}, r
		}
	}
	allow := slices.Clone(cands[0].cfg.Methods)
	return Decision{Status: http.StatusMethodNotAllowed, Reason: ReasonMethod, Route: cands[0].cfg, Allow: allow}, nil
}

// contentType enforces the route's content types on requests with a body.
func (e *Engine) contentType(_ context.Context, req Request, d *Decision) bool {
	if len(d.Route.ContentTypes) == 0 || req.HTTP == nil || !hasBody(req.HTTP) {
		return true
	}
	mt, _, err := mime.ParseMediaType(req.HTTP.Header.Get("Content-Type"))
	if err == nil && slices.Contains(d.Route.ContentTypes, strings.ToLower(mt)) {
		return true
	}
	d.Status, d.Reason = http.StatusUnsupportedMediaType, ReasonContentType
	return false
}

// hasBody reports whether a request declares a body.
func hasBody(r *http.Request) bool {
	return r.ContentLength > 0 || len(r.TransferEncoding) > 0 || r.Header.Get("Transfer-Encoding") != ""
}
