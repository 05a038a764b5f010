package envoy

import (
	"fmt"
	"sort"
	"strings"

	"github.com/rampart-policy/rampart/compiler/diag"
	"github.com/rampart-policy/rampart/compiler/ir"
)

// Warnings reports, per listener, the suites of a Mozilla profile that
// Envoy leaves out, DHE above all (RMP410), and every rate limit too small
// to share among the Envoy routes that forward its route: an error
// (RMP400) unless waived (RMP401), as targets.Check reports a control the
// target lacks, since Capabilities cannot name one route. targets.Check
// includes them.
func (*Target) Warnings(p *ir.Policy) diag.List {
	return append(dheWarnings(p), splitDiags(p)...)
}

// dheWarnings reports the suites of a Mozilla profile Envoy leaves out.
func dheWarnings(p *ir.Policy) diag.List {
	dropped := DroppedCiphers(p)
	names := make([]string, 0, len(dropped))
	for n := range dropped {
		names = append(names, n)
	}
	sort.Strings(names)
	var out diag.List
	for _, n := range names {
		var o ir.Origin
		for _, l := range p.Listeners {
			if l.Name == n {
				o = l.TLS.Origin
			}
		}
		out.Add(diag.Diagnostic{Pos: diag.Pos{File: o.File, Line: o.Line, Col: o.Col}, Severity: diag.Warning,
			Code: diag.CodeEnvoyDHEDropped, Control: ir.CtlTLS, Path: o.Path,
			Message: fmt.Sprintf("target envoy leaves out the cipher suites %s of the TLS profile on listener %s: BoringSSL does not implement DHE (or these suites)",
				strings.Join(dropped[n], ", "), n)})
	}
	return out
}
