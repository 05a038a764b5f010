// Package sarifcheck validates SARIF logs against the published SARIF
// 2.1.0 JSON Schema in shared/reference, for the tests of every command
// that writes SARIF (vet, diff).
package sarifcheck
