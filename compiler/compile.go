// Package compiler turns a policy directory into rampart's IR: load and
// validate with CUE (package load), resolve and check (package lower).
package compiler

import (
	"context"
	"fmt"
	"time"

	"github.com/rampart-policy/rampart/compiler/diag"
	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/compiler/load"
	"github.com/rampart-policy/rampart/compiler/lower"
)

// Input names what to compile.
type Input struct {
	// Dir is the policy directory: one CUE package.
	Dir string
}

// Options tune a compilation.
type Options struct {
	// Today is the date waivers are checked against; zero means now.
	Today time.Time
}

// Compile loads, validates and lowers a policy. Diagnostics describe
// problems in the policy; err is reserved for failures that are not the
// policy's fault (unreadable directory, internal error). The IR is nil
// when the policy could not be evaluated, and must not be emitted when
// diagnostics hold errors.
func Compile(ctx context.Context, in Input, opts Options) (*ir.Policy, diag.List, error) {
	res, diags, err := load.Load(ctx, in.Dir)
	if err != nil || diags.HasErrors() {
		return nil, diags, err
	}
	p, ldiags, err := lower.Lower(res, lower.Options{Today: opts.Today})
	if err != nil {
		return nil, nil, err
	}
	diags = append(diags, ldiags...)
	if !diags.HasErrors() {
		if err := p.Validate(); err != nil {
			return nil, diags, fmt.Errorf("internal error: lowered IR is invalid: %w", err)
		}
	}
	return p, diags, nil
}
