// Package lower turns a loaded, validated CUE policy into the IR: it
// decodes the value, resolves inheritance (defaults → service → route),
// attaches provenance, and runs the checks CUE cannot express, each as a
// diagnostic with a stable code.
package lower
