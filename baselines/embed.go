// Package baselines embeds rampart's CUE baselines: mozilla-modern,
// mozilla-intermediate, owasp-api-2023, hipaa, gdpr, pci-dss-4 and soc2.
// Each is a CUE package a policy imports and embeds; its constraints can
// only narrow the schema, so a policy can tighten a baseline but never
// weaken it.
package baselines

import "embed"

// ImportPrefix is the CUE import path prefix of the baselines.
const ImportPrefix = "rampart.dev/baselines"

// Files holds each baseline's directory of CUE files.
//
//go:embed */*.cue
var Files embed.FS
