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
	ReasonHeaderTooLarge  = "header-too-large"
	ReasonBodyTooLarge    = "body-too-large"
)

// keyedLimitKeys bounds the engine's own store for header-keyed limits.
const keyedLimitKeys = 100_000

// Throttle blocks clients after repeated authentication failures.
type Throttle interface {
	Fail(key string, now time.Time)
	Blocked(key string, now time.Time) (bool, time.Duration)
}

// Deps are the engine's collaborators, built from the config by the caller.
type Deps struct {
	// Providers by name.
	Providers map[string]authn.Authenticator
	// Local keeps per-instance limits keyed by client IP or subject; Keyed
	// keeps limits keyed by a request header (nil: the engine makes its
	// own), so a flood of distinct header values cannot evict IP buckets;
	// Shared keeps limits marked shared (Redis with local fallback) and may
	// be nil when no limit is shared.
	Local, Keyed, Shared ratelimit.Store
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
	fold   *router // the same routes with lower-cased paths
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
			if !knownKey(l.Key) {
				return nil, fmt.Errorf("route %s: rate limit %s has key %q: want ip, subject, apiKey or header:<Name>", r.ID, l.Name, l.Key)
			}
			if l.Shared && deps.Shared == nil {
				return nil, fmt.Errorf("route %s: rate limit %s is shared but no shared store is configured", r.ID, l.Name)
			}
		}
	}
	if deps.Local == nil {
		return nil, errors.New("engine: a local rate-limit store is required")
	}
	if deps.Keyed == nil {
		deps.Keyed = ratelimit.NewLocal(keyedLimitKeys)
	}
	return &Engine{cfg: cfg, router: newRouter(cfg.Routes), fold: newFoldRouter(cfg.Routes), deps: deps}, nil
}

// Config returns the engine's config.
func (e *Engine) Config() *config.Config { return e.cfg }

// Request is what the engine needs to know about a request.
type Request struct {
	// Listener is the name of the listener the request arrived on.
	Listener string
	// Method and Path are the original request's (for the authorizer,
	// taken from the forwarding headers); Path is decoded. RawPath is the
	// path as sent, percent-encoding intact.
	Method, Path, RawPath string
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
	if reason := BadPath(req.Path, req.RawPath); reason != "" {
		return Decision{Status: http.StatusBadRequest, Reason: ReasonBadRequest, Detail: reason}
	}
	if e.caseConfusion(req) {
		return Decision{Status: http.StatusBadRequest, Reason: ReasonBadRequest, Detail: "path differs only in letter case from a declared route"}
	}
	d, r := e.route(req)
	if r == nil {
		return d
	}
	if !e.clientLimits(ctx, req, &d) || d.Preflight {
		return d
	}
	steps := []func(context.Context, Request, *Decision) bool{
		e.headerSize, e.declaredBody, e.contentType, e.authenticate, e.authorize, e.subjectLimits,
	}
	for _, step := range steps {
		if !step(ctx, req, &d) {
			return d
		}
	}
	return d
}

// route finds the route, answering 404, 405 or a CORS preflight. Only
// the most specific matching path decides: a method it does not declare
// is 405, never a fall-through to a broader route.
func (e *Engine) route(req Request) (Decision, *route) {
	cands := e.router.match(req.Listener, req.Path)
	if len(cands) == 0 {
		return Decision{Status: http.StatusNotFound, Reason: ReasonUndeclared}, nil
	}
	if req.Method == http.MethodOptions && req.HTTP != nil && req.HTTP.Header.Get("Origin") != "" &&
		req.HTTP.Header.Get("Access-Control-Request-Method") != "" {
		want := req.HTTP.Header.Get("Access-Control-Request-Method")
		for _, r := range cands {
			if r.cfg.CORS != nil && r.methods[want] {
				return Decision{Route: r.cfg, Preflight: true}, r
			}
		}
	}
	var allow []string
	for _, r := range cands {
		if r.methods[req.Method] {
			return Decision{Route: r.cfg}, r
		}
		for _, m := range r.cfg.Methods {
			if !slices.Contains(allow, m) {
				allow = append(allow, m)
			}
		}
	}
	return Decision{Status: http.StatusMethodNotAllowed, Reason: ReasonMethod, Route: cands[0].cfg, Allow: allow}, nil
}

// caseConfusion reports a path that, compared without letter case,
// matches a different route than it matches as written: upstreams that
// fold case would serve the other route's resource under this route's
// (or no route's) controls.
func (e *Engine) caseConfusion(req Request) bool {
	lower := strings.ToLower(req.Path)
	if lower == req.Path {
		return false
	}
	folded := e.fold.match(req.Listener, lower)
	if len(folded) == 0 {
		return false
	}
	exact := e.router.match(req.Listener, req.Path)
	return len(exact) == 0 || exact[0].cfg != folded[0].cfg
}

// headerSize enforces the route's header limit before authentication, so
// oversized requests cost no token checks.
func (e *Engine) headerSize(_ context.Context, req Request, d *Decision) bool {
	if max := d.Route.Limits.MaxHeaderBytes; max > 0 && req.HTTP != nil && HeaderBytes(req.HTTP) > max {
		d.Status, d.Reason = http.StatusRequestHeaderFieldsTooLarge, ReasonHeaderTooLarge
		return false
	}
	return true
}

// declaredBody refuses a request whose Content-Length exceeds the route's
// body limit before authentication, as ir.PhaseOrder puts limits before
// authn (and nginx does): an oversize request is 413 whoever sends it. The
// server still enforces the limit while streaming bodies of unknown length.
func (e *Engine) declaredBody(_ context.Context, req Request, d *Decision) bool {
	if max := d.Route.Limits.MaxBodyBytes; max > 0 && req.HTTP != nil && req.HTTP.ContentLength > int64(max) {
		d.Status, d.Reason = http.StatusRequestEntityTooLarge, ReasonBodyTooLarge
		return false
	}
	return true
}

// HeaderBytes approximates the request header size as sent.
func HeaderBytes(r *http.Request) int {
	n := len(r.Method) + len(r.RequestURI) + 12
	for k, vs := range r.Header {
		for _, v := range vs {
			n += len(k) + len(v) + 4
		}
	}
	return n
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
