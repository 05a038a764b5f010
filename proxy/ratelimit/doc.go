// Package ratelimit keeps rampart's proxy's token buckets: in memory with
// bounded size (least recently used keys are evicted), or in Redis so that
// several proxy instances share one limit. When Redis fails, limits fall
// back to the local store and the fallback is reported.
//
// Every store computes the token bucket as GCRA in integer time (see
// gcra.go), so a Limit of rate r and burst b allows exactly b+1 requests
// at once and then one per 1/r seconds, with no drift. Throttle locks out
// keys that fail authentication too often, with the same bounded memory.
package ratelimit
