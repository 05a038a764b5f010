package ratelimit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultRedisTimeout bounds one Take against Redis unless WithTimeout
// says otherwise.
const DefaultRedisTimeout = 100 * time.Millisecond

// redisUnit is the time unit of the Redis script's arithmetic: Redis's
// TIME is in microseconds, and Lua's numbers hold them exactly.
const redisUnit = time.Microsecond

// takeScript takes one token from the GCRA bucket at KEYS[1], a hash whose
// field "tat" is the theoretical arrival time in microseconds of the
// server's clock. ARGV is the emission interval and the tolerance, in
// microseconds. It returns {allowed, retry after µs, remaining}. The key
// expires when the bucket would be full again, so idle keys vanish. The
// numbers are formatted with %.0f because Lua's tostring keeps only 14
// significant digits.
var takeScript = redis.NewScript(`
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('HGET', KEYS[1], 'tat'))
if not tat or tat < now then tat = now end
local allow_at = tat - tolerance
if now < allow_at then
  return {0, allow_at - now, 0}
end
tat = tat + interval
redis.call('HSET', KEYS[1], 'tat', string.format('%.0f', tat))
redis.call('PEXPIRE', KEYS[1], string.format('%.0f', math.ceil((tat - now) / 1000)))
return {1, 0, math.floor((now + tolerance + interval - tat) / interval)}
`)

// Redis keeps token buckets in Redis, so that every proxy instance using
// the same Redis and prefix shares one limit. Each Take is one atomic Lua
// script that reads the Redis server's clock, so instances whose clocks
// differ still agree. Bucket keys are prefix followed by the hex SHA-256
// of the caller's key: API keys, tokens and addresses never appear in
// Redis key names. A Redis is safe for concurrent use.
type Redis struct {
	client  redis.UniversalClient
	prefix  string
	timeout time.Duration
}

// RedisOption configures a Redis store.
type RedisOption func(*Redis)

// WithTimeout bounds each Take to d (DefaultRedisTimeout otherwise). The
// client must have ContextTimeoutEnabled for the bound to cover slow
// reads, as NewClient's clients do.
func WithTimeout(d time.Duration) RedisOption {
	return func(r *Redis) { r.timeout = d }
}

// NewRedis returns a store keeping its buckets in c under key prefix, for
// example "rampart:rl:".
func NewRedis(c redis.UniversalClient, prefix string, opts ...RedisOption) *Redis {
	r := &Redis{client: c, prefix: prefix, timeout: DefaultRedisTimeout}
	for _, o := range opts {
		o(r)
	}
	return r
}

// NewClient returns a Redis client suited to rate limiting: it honours
// context deadlines, dials and reads with short timeouts and retries once,
// so that a failing Redis costs a request little time before the caller
// falls back.
func NewClient(addr, password string) redis.UniversalClient {
	return redis.NewUniversalClient(&redis.UniversalOptions{
		Addrs:                 []string{addr},
		Password:              password,
		ContextTimeoutEnabled: true,
		DialTimeout:           DefaultRedisTimeout,
		DialerRetries:         1,
		ReadTimeout:           DefaultRedisTimeout,
		WriteTimeout:          DefaultRedisTimeout,
		PoolTimeout:           DefaultRedisTimeout,
		MaxRetries:            1,
		DisableIdentity:       true,
	})
}

// Take takes one token from key's bucket under l. It uses the Redis
// server's clock, not now, so that every instance agrees on time.
func (r *Redis) Take(ctx context.Context, key string, l Limit, _ time.Time) (Decision, error) {
	if err := l.Validate(); err != nil {
		return Decision{}, err
	}
	p := paramsIn(l, redisUnit)
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	res, err := takeScript.Run(ctx, r.client, []string{r.key(key)}, p.interval, p.tolerance).Int64Slice()
	if err != nil {
		return Decision{}, fmt.Errorf("ratelimit: redis: %w", err)
	}
	if len(res) != 3 {
		return Decision{}, fmt.Errorf("ratelimit: redis: script returned %d values, want 3", len(res))
	}
	return Decision{
		Allowed:    res[0] == 1,
		RetryAfter: time.Duration(res[1]) * redisUnit,
		Remaining:  int(res[2]),
	}, nil
}

// key returns the Redis key of the bucket for key.
func (r *Redis) key(key string) string {
	sum := sha256.Sum256([]byte(key))
	return r.prefix + hex.EncodeToString(sum[:])
}
