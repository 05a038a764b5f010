// Package load reads a policy directory from disk together with rampart's
// embedded schema and baselines, evaluates it with CUE, and turns CUE's
// errors into diagnostics that point at the user's file:line:col and name
// the baseline control a value violates.
//
// The embedded schema and baselines always win over any copy under the
// policy's cue.mod/pkg/rampart.dev: editing a vendored baseline cannot
// weaken it.
package load
