package drift

import (
	"context"

	"github.com/rampart-policy/rampart/compiler/ir"
)

// Live is one target's live side: it reads what a gateway runs and
// compares it with what the policy compiles to for that target. Each
// target's implementation lives in targets/<name>/live; the CLI lists
// them. A new gateway (Kong's Admin API, Envoy's /config_dump) plugs in by
// implementing Live and joining that list: the engine, the output formats,
// the sources file and the Terraform source then work for it unchanged.
type Live interface {
	// Target is the target's name, as in `rampart build --target`.
	Target() string
	// Fetch reads the live configuration named by source (a file,
	// directory, URL or "cmd:…", as the target documents) and returns it
	// in the form Compare reads. The Terraform source skips Fetch and
	// hands Compare the artifact content it found in the state.
	Fetch(ctx context.Context, source string) ([]byte, error)
	// Compare normalises the policy's expected configuration and the
	// live one (defaults filled, server fields stripped, order ignored
	// where the target ignores it) and returns the typed difference:
	// one Check per comparison made and one Finding per difference.
	// Kind, Policy and Source are filled in by the caller.
	Compare(ctx context.Context, p *ir.Policy, live []byte) (Result, error)
}

// Run fetches source with l and compares it with p.
func Run(ctx context.Context, l Live, p *ir.Policy, source string) (Result, error) {
	data, err := l.Fetch(ctx, source)
	if err != nil {
		return Result{}, err
	}
	r, err := l.Compare(ctx, p, data)
	if err != nil {
		return Result{}, err
	}
	r.Kind, r.Policy, r.Target, r.Source = KindDrift, p.Name, l.Target(), source
	r.Sort()
	return r, nil
}
