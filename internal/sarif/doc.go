// Package sarif is the subset of SARIF 2.1.0 rampart writes — `vet`,
// `diff`, `drift` and `probe` all print through it — and the one place
// that turns a policy file name into a location code-scanning tools
// resolve to the right file (relative to a root under %SRCROOT%, or an
// absolute file:// URI, percent-encoded).
package sarif
