package load

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	cueerrors "cuelang.org/go/cue/errors"

	"github.com/rampart-policy/rampart/baselines"
	"github.com/rampart-policy/rampart/compiler/diag"
)

// mapFields are the schema's maps keyed by user-chosen names, with what a
// key must be. CUE reports a bad key as "field not allowed"; rampart says
// what a key must look like instead.
var mapFields = map[string]string{
	"listeners":      "a name: lower-case letters, digits and dashes, starting with a letter",
	"authentication": "a name: lower-case letters, digits and dashes, starting with a letter",
	"services":       "a name: lower-case letters, digits and dashes, starting with a letter",
	"routes":         "a name: lower-case letters, digits and dashes, starting with a letter",
	"rateLimits":     "a name: lower-case letters, digits and dashes, starting with a letter",
	"consumers":      "a name: lower-case letters, digits and dashes, starting with a letter",
	"extra":          "an HTTP header name (letters, digits and dashes; the value goes on the right)",
	"headers":        "an HTTP header name (letters, digits and dashes)",
	"query":          "a query parameter name",
	"fields":         "a log field or claim name",
}

// classify picks a code and a plain message for a schema error.
func (c *converter) classify(fallback, p, msg string, e cueerrors.Error, ps []pos) (string, string) {
	field := lastField(p)
	parent := parentPath(p)
	switch {
	case strings.HasSuffix(msg, "field not allowed"):
		if want, ok := mapFields[lastField(parent)]; ok {
			return diag.CodeConflict, fmt.Sprintf("%s: %q is not allowed as a key here: want %s", orRoot(parent), unquote(field), want)
		}
		return diag.CodeUnknownField, fmt.Sprintf("%s: unknown field %q: the schema has no such setting here (check the spelling, or `rampart explain %s`)", orRoot(parent), field, diag.CodeUnknownField)
	case strings.Contains(msg, "field is required but not present"):
		return diag.CodeMissingField, fmt.Sprintf("%s: required field %q is missing", orRoot(parent), field)
	case strings.HasSuffix(p, ".tls.curves.0") || strings.HasSuffix(p, ".tls.minVersion"):
		if strings.HasPrefix(msg, "incomplete value") {
			return diag.CodeMissingField, fmt.Sprintf("%s: a custom TLS profile must set minVersion and list curves (and ciphers for TLS 1.2)", orRoot(parentPath(p)))
		}
	}
	switch {
	case strings.HasPrefix(msg, "incomplete value"), strings.Contains(msg, "non-concrete value"):
		return diag.CodeMissingField, fmt.Sprintf("%s: no concrete value given (%s)", orRoot(p), plainMessage(msg))
	case msg == "import failed" || strings.HasPrefix(msg, "import failed"):
		return diag.CodeLoad, importMessage(e)
	case fallback == diag.CodeLoad:
		return fallback, msg
	}
	if d, ok := c.defs.at(ps); ok {
		if got, ok := offendingValue(msg); ok {
			return diag.CodeConflict, fmt.Sprintf("%s: %s is not allowed: want %s (%s)", orRoot(p), got, d.words, d.name)
		}
	}
	return diag.CodeConflict, fmt.Sprintf("%s: %s", orRoot(p), plainMessage(msg))
}

// offendingValue extracts the user's value from CUE's bound and type
// messages: `invalid value "x" (out of bound …)` and
// `conflicting values "443" and int (mismatched types …)`.
func offendingValue(msg string) (string, bool) {
	if rest, ok := strings.CutPrefix(msg, "invalid value "); ok {
		if v, _, ok := strings.Cut(rest, " (out of bound"); ok {
			return v, true
		}
	}
	if strings.Contains(msg, "mismatched types") {
		if a, b, ok := conflictPair(msg); ok {
			if isTypeName(a) {
				return b, true
			}
			return a, true
		}
	}
	return "", false
}

func isTypeName(s string) bool {
	switch s {
	case "int", "string", "bool", "number", "float", "struct", "list", "null", "bytes":
		return true
	}
	return strings.HasPrefix(s, "=~") || strings.HasPrefix(s, "[") || strings.HasPrefix(s, "{")
}

// baselineMessage words a violation of a baseline constraint.
func (c *converter) baselineMessage(p, msg string, ctl Control) string {
	switch {
	case strings.Contains(msg, "field is required but not present"):
		return fmt.Sprintf("%s: %s is required by %s, and the policy does not set it", orRoot(parentPath(p)), lastField(p), ctl.Describe())
	case lastField(p) == "perHour":
		ceiling := "the baseline's"
		if m := reCeiling.FindStringSubmatch(msg + " " + ctl.Requires); m != nil {
			ceiling = m[1]
		}
		return fmt.Sprintf("%s: rate limit %q allows %s requests per hour, above the ceiling of %s per hour (%s)",
			orRoot(parentPath(p)), unquote(lastField(parentPath(p))), valueOf(msg), ceiling, ctl.Describe())
	case ctl.Requires != "":
		out := fmt.Sprintf("%s weakens %s: the baseline requires %s", orRoot(p), ctl.Describe(), ctl.Requires)
		if got, ok := policyValue(msg, ctl.Requires); ok {
			out += ", the policy sets " + got
		}
		return out
	}
	return fmt.Sprintf("%s weakens %s: %s", orRoot(p), ctl.Describe(), plainMessage(msg))
}

// reCeiling finds an upper bound such as "<=360000".
var reCeiling = regexp.MustCompile(`<=\s*([0-9]+)`)

// policyValue picks the policy's side of a conflict or bound message.
func policyValue(msg, requires string) (string, bool) {
	if v, ok := offendingValue(msg); ok {
		return v, true
	}
	if a, b, ok := conflictPair(msg); ok {
		switch requires {
		case a:
			return b, true
		case b:
			return a, true
		}
	}
	return "", false
}

// unquote strips the quotes CUE puts around labels that are not identifiers.
func unquote(s string) string {
	if u, err := strconv.Unquote(s); err == nil {
		return u
	}
	return s
}

// valueOf returns the value named in a bound message, or the message.
func valueOf(msg string) string {
	if v, ok := offendingValue(msg); ok {
		return v
	}
	return msg
}

// importMessage explains a failed import and lists what rampart ships.
func importMessage(e cueerrors.Error) string {
	detail := "the package does not exist"
	if m := reMissingPackage.FindStringSubmatch(e.Error()); m != nil {
		detail = "cannot find package " + m[1]
	}
	return fmt.Sprintf("import failed: %s; rampart ships rampart.dev/schema and rampart.dev/baselines/{%s} (a dashed name needs a qualifier, e.g. \"rampart.dev/baselines/pci-dss-4:pcidss4\")",
		strings.TrimSpace(detail), strings.Join(baselineIDs(), ","))
}

// reMissingPackage finds the package a failed import named.
var reMissingPackage = regexp.MustCompile(`cannot find package ("[^"]+")`)

// baselineIDs lists the embedded baselines.
func baselineIDs() []string {
	entries, _ := baselines.Files.ReadDir(".")
	var out []string
	for _, e := range entries {
		if e.IsDir() {
			out = append(out, e.Name())
		}
	}
	return out
}
