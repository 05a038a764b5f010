// Package diag defines rampart's diagnostics: a position in the user's CUE,
// a severity, a stable code, a plain-words message, and printers for text,
// JSON, SARIF 2.1.0, GitHub workflow commands and JUnit XML. Every error
// the compiler reports about a policy is a Diagnostic.
package diag
