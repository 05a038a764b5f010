// Package ratelimit keeps rampart's proxy's token buckets: in memory with
// bounded size (least recently used keys are evicted), or in Redis so that
// several proxy instances share one limit. When Redis fails, limits fall
// back to the local store and the fallback is reported.
package ratelimit
