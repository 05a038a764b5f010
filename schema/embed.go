// Package schema embeds rampart's CUE hardening schema, the definitions
// every policy is unified with. The CUE files in this directory are the
// source of truth; Go code reaches them only through the compiler.
package schema

import "embed"

// ImportPath is the CUE import path policies use for the schema.
const ImportPath = "rampart.dev/schema"

// Files holds the schema's CUE files.
//
//go:embed *.cue
var Files embed.FS
