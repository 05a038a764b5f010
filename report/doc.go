// Package report turns a compiled policy into a compliance report for one
// framework (HIPAA, GDPR, PCI DSS v4.0, SOC 2, OWASP API Top 10 2023, NIST
// SP 800-53 Rev 5): every control of the framework's catalogue with a
// status, its evidence strength, the policy values behind it (file:line),
// the targets that enforce it, the compiled artifacts' digests, waivers and
// any drift or probe results supplied.
//
// Assess builds the Report model; one file per output format writes it
// (Markdown, HTML, JSON, CSV, OSCAL assessment-results and
// component-definition). Every writer is deterministic: the same inputs
// give the same bytes, and no wall-clock time appears unless the caller
// supplies a timestamp.
package report
