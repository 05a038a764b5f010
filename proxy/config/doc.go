// Package config defines the versioned configuration rampart's proxy
// reads: the goproxy target writes it, the proxy strictly decodes it.
// Unknown fields are errors, so a config from a newer compiler never runs
// with a control silently ignored. Secrets appear only as references.
package config
