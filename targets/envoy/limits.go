package envoy

import (
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/rampart-policy/rampart/compiler/ir"
)

// lim are the listener-wide limits: Envoy sets header size, header
// timeout and connection idle timeout per connection manager, so the
// strictest route on the listener sets them for all.
type lim struct {
	headersKB      *wrapperspb.UInt32Value
	headersTimeout *durationpb.Duration
	idle           *durationpb.Duration
}

// listenerLimits takes the smallest limit any route on l sets. A header
// limit is rounded down to whole KiB (at least 1), never up.
func (e *emitter) listenerLimits(l *ir.Listener) lim {
	var hdr, hto, idle int
	low := func(cur, v int) int {
		if v > 0 && (cur == 0 || v < cur) {
			return v
		}
		return cur
	}
	for _, s := range e.servicesOn(l.Name) {
		for _, r := range s.Routes {
			hdr = low(hdr, r.Limits.MaxHeaderBytes)
			hto = low(hto, r.Limits.HeaderTimeout)
			idle = low(idle, r.Limits.IdleTimeout)
		}
	}
	var out lim
	if hdr > 0 {
		out.headersKB = wrapperspb.UInt32(uint32(max(1, min(hdr/1024, 8192))))
	}
	out.headersTimeout = seconds(hto)
	out.idle = seconds(idle)
	return out
}
