// Package drift compares what a policy compiles to with what is live on a
// gateway and explains the differences as controls: fetch → normalise →
// typed diff → findings (STYLE.md convention 11). Probe results, black-box
// checks against a live endpoint, share the same finding model, so reports
// and CI read both the same way.
package drift
