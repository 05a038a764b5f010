package envoy_test

import (
	"regexp"
	"testing"
	"time"

	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/targets/envoy"
)

// TestTokenBucket: the bucket never allows more than the policy's rate
// (a fill of one token every period/requests, rounded up) and holds the
// burst plus the first request.
func TestTokenBucket(t *testing.T) {
	cases := []struct {
		rl                ir.RateLimit
		tokens, maxTokens uint32
		every             time.Duration
	}{
		{ir.RateLimit{PerHour: 600, Burst: 0}, 1, 1, 6 * time.Second},             // 10/minute
		{ir.RateLimit{PerHour: 3600 * 5, Burst: 4}, 1, 5, 200 * time.Millisecond}, // 5/second
		{ir.RateLimit{PerHour: 7, Burst: 1}, 1, 2, 514286 * time.Millisecond},     // rounded up
		{ir.RateLimit{PerHour: 360000, Burst: 20}, 100, 100, time.Second},         // 100/second: below 50 ms a token
	}
	for _, c := range cases {
		b, err := envoy.TokenBucket(c.rl)
		if err != nil {
			t.Fatal(err)
		}
		got := b.FillInterval.AsDuration()
		if b.TokensPerFill.GetValue() != c.tokens || b.MaxTokens != c.maxTokens || got != c.every {
			t.Errorf("%d/hour burst %d: %d tokens every %v, max %d; want %d every %v, max %d",
				c.rl.PerHour, c.rl.Burst, b.TokensPerFill.GetValue(), got, b.MaxTokens, c.tokens, c.every, c.maxTokens)
		}
		if rate := float64(b.TokensPerFill.GetValue()) / got.Hours(); rate > float64(c.rl.PerHour)+1e-9 {
			t.Errorf("%d/hour becomes %.3f/hour", c.rl.PerHour, rate)
		}
	}
	if _, err := envoy.TokenBucket(ir.RateLimit{PerHour: 0}); err == nil {
		t.Error("a zero rate gave a bucket")
	}
}

// TestPathRegex: {param} matches exactly one non-empty segment; a prefix
// also matches below the path; regex characters in the path are literal.
func TestPathRegex(t *testing.T) {
	cases := []struct {
		path   string
		prefix bool
		yes    []string
		no     []string
	}{
		{"/orders/{id}", false, []string{"/orders/1", "/orders/a-b"}, []string{"/orders/", "/orders/1/x", "/orders"}},
		{"/a.b/{id}/items", true, []string{"/a.b/1/items", "/a.b/1/items/2"}, []string{"/aXb/1/items", "/a.b/1/itemsx"}},
	}
	for _, c := range cases {
		re := regexp.MustCompile(envoy.PathRegex(c.path, c.prefix))
		for _, p := range c.yes {
			if !re.MatchString(p) {
				t.Errorf("%s (prefix %t) does not match %s", c.path, c.prefix, p)
			}
		}
		for _, p := range c.no {
			if re.MatchString(p) {
				t.Errorf("%s (prefix %t) matches %s", c.path, c.prefix, p)
			}
		}
	}
}
