// Package livetest runs real gateways for the drift and probe tests: a
// throwaway CA and certificate, policies localised to the test machine
// (loopback ports, local upstreams, temporary logs), and a real nginx
// started, reloaded and stopped by the test. It is imported by tests only.
package livetest
