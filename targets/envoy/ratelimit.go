package envoy

import (
	"fmt"
	"strings"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	ratelimitv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/common/ratelimit/v3"
	localrlv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/local_ratelimit/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/rampart-policy/rampart/compiler/ir"
)

// maxClients bounds the token buckets kept per limit (one per client IP
// or header value); the least recently used are evicted.
const maxClients = 100_000

// unlimited is a token bucket size no client reaches.
const unlimited = 1<<32 - 1

// minFill is the shortest fill interval Envoy's token bucket accepts.
const minFill = 50 * time.Millisecond

// nativeLimits are the route's limits Envoy enforces itself: keyed by
// client IP or by a request header. A shared limit also gets a
// per-instance bucket here; the authorizer keeps the shared count.
// Subject and API-key limits are the authorizer's.
func nativeLimits(r *ir.Route) []ir.RateLimit {
	var out []ir.RateLimit
	for _, rl := range r.RateLimits {
		if rl.Key == "ip" || rl.Key == "header" {
			out = append(out, rl)
		}
	}
	return out
}

// percent100 is a runtime fraction fixed at 100 %: local_ratelimit
// enables and enforces nothing by default (0 %).
func percent100(key string) *corev3.RuntimeFractionalPercent {
	return &corev3.RuntimeFractionalPercent{RuntimeKey: key,
		DefaultValue: &typev3.FractionalPercent{Numerator: 100, Denominator: typev3.FractionalPercent_HUNDRED}}
}

// localLimit is the route's local_ratelimit: filter_enabled and
// filter_enforced at 100 %, and per limit a descriptor (generic_key =
// the limit's name, plus the client address or the header value) whose
// blank value gives each client its own token bucket. Clients are kept
// as rampart's proxy keeps them: an IPv4 address, an IPv6 /64 (one
// subscriber's block: rotating addresses inside it gets no fresh
// bucket). Requests lacking a header-keyed limit's header share one
// bucket of their own (Envoy's request_headers action produces no
// descriptor for them, which would leave them uncounted). Each limit is
// shareLimit(limit, parts), parts being how many Envoy routes forward
// r's requests (each keeps buckets of its own; 1 for a route that
// forwards nothing). Nil when the route has no native limit.
func (e *emitter) localLimit(r *ir.Route, parts int) (*localrlv3.LocalRateLimit, error) {
	limits := nativeLimits(r)
	if len(limits) == 0 {
		return nil, nil
	}
	cfg := &localrlv3.LocalRateLimit{
		StatPrefix:     "rampart_ratelimit",
		FilterEnabled:  percent100("local_rate_limit_enabled"),
		FilterEnforced: percent100("local_rate_limit_enforced"),
		// Envoy rejects a per-route configuration without a token bucket;
		// this one is consumed only by a request no descriptor matches
		// (none: every limit counts every request) and is set so high
		// that it never limits: the policy's limits are the descriptors.
		TokenBucket: &typev3.TokenBucket{MaxTokens: unlimited, TokensPerFill: wrapperspb.UInt32(unlimited),
			FillInterval: durationpb.New(time.Second)},
		AlwaysConsumeDefaultTokenBucket: wrapperspb.Bool(false),
		MaxDynamicDescriptors:           wrapperspb.UInt32(maxClients),
		EnableRetryAfterHeader:          true,
		Status:                          &typev3.HttpStatus{Code: typev3.StatusCode_TooManyRequests},
	}
	for _, rl := range limits {
		share, _ := shareLimit(rl, parts) // one too small to share is a gap: splitGaps
		bucket, err := tokenBucket(share)
		if err != nil {
			return nil, fmt.Errorf("rate limit %s: %w", rl.Name, err)
		}
		name := &routev3.RateLimit_Action{ActionSpecifier: &routev3.RateLimit_Action_GenericKey_{GenericKey: &routev3.RateLimit_Action_GenericKey{
			DescriptorKey: "rampart_limit", DescriptorValue: rl.Name}}}
		add := func(action *routev3.RateLimit_Action, key, value string) {
			cfg.RateLimits = append(cfg.RateLimits, &routev3.RateLimit{Actions: []*routev3.RateLimit_Action{name, action}})
			cfg.Descriptors = append(cfg.Descriptors, &ratelimitv3.LocalRateLimitDescriptor{
				Entries: []*ratelimitv3.RateLimitDescriptor_Entry{
					{Key: "rampart_limit", Value: rl.Name},
					{Key: key, Value: value}, // blank: one bucket per distinct value
				},
				TokenBucket: bucket,
			})
		}
		if rl.Key != "header" {
			add(&routev3.RateLimit_Action{ActionSpecifier: &routev3.RateLimit_Action_MaskedRemoteAddress_{
				MaskedRemoteAddress: &routev3.RateLimit_Action_MaskedRemoteAddress{
					V4PrefixMaskLen: wrapperspb.UInt32(32), V6PrefixMaskLen: wrapperspb.UInt32(64)}}}, "masked_remote_address", "")
			continue
		}
		h := strings.ToLower(rl.Header)
		add(&routev3.RateLimit_Action{ActionSpecifier: &routev3.RateLimit_Action_RequestHeaders_{
			RequestHeaders: &routev3.RateLimit_Action_RequestHeaders{HeaderName: h, DescriptorKey: "header"}}}, "header", "")
		add(&routev3.RateLimit_Action{ActionSpecifier: &routev3.RateLimit_Action_HeaderValueMatch_{
			HeaderValueMatch: &routev3.RateLimit_Action_HeaderValueMatch{DescriptorKey: "header_absent", DescriptorValue: "true",
				ExpectMatch: wrapperspb.Bool(true), Headers: []*routev3.HeaderMatcher{absent(h)}}}}, "header_absent", "true")
	}
	return cfg, nil
}

// TokenBucket converts a limit to a token bucket: one token every
// period/requests (rounded up, never looser) when that is at least 50 ms,
// else the per-second rate every second; the bucket holds burst+1 tokens
// (the first request plus the burst), and at least one fill.
func TokenBucket(rl ir.RateLimit) (*typev3.TokenBucket, error) { return tokenBucket(rl) }

// tokenBucket is TokenBucket.
func tokenBucket(rl ir.RateLimit) (*typev3.TokenBucket, error) {
	if rl.PerHour <= 0 || rl.Burst < 0 {
		return nil, fmt.Errorf("%d per hour, burst %d", rl.PerHour, rl.Burst)
	}
	hour := time.Hour
	interval := (hour + time.Duration(rl.PerHour) - 1) / time.Duration(rl.PerHour)
	interval = interval.Round(time.Millisecond)
	if interval*time.Duration(rl.PerHour) < hour {
		interval += time.Millisecond
	}
	tokens := uint32(1)
	if interval < minFill {
		interval = time.Second
		tokens = uint32(rl.PerHour / 3600)
	}
	maxTokens := max(uint32(min(rl.Burst, 1<<31))+1, tokens)
	return &typev3.TokenBucket{MaxTokens: maxTokens, TokensPerFill: wrapperspb.UInt32(tokens),
		FillInterval: durationpb.New(interval)}, nil
}

// secondsDur is n seconds.
func secondsDur(n int) time.Duration { return time.Duration(n) * time.Second }
