package report

import (
	"fmt"
	"strings"
	"unicode"
)

// CatalogueVersion versions the control catalogue below. HIPAA's proposed
// rule (90 FR 898, 2025-01-06) is not final; when it is, the catalogue
// changes and so does this version.
const CatalogueVersion = "2026.11"

// Framework is one compliance framework's catalogue of controls an API
// gateway's configuration can evidence.
type Framework struct {
	ID     string
	Title  string
	Link   string
	Notice string
	// Prefix starts every token-safe control id; empty for NIST SP 800-53,
	// whose controls keep the ids of NIST's own OSCAL catalogue.
	Prefix string
	// Catalog is the OSCAL catalogue the token ids refer to, if one is
	// published; otherwise Link.
	Catalog  string
	Controls []CatalogueControl
}

// CatalogueControl is one control: its native citation, a title (the
// primary text's for HIPAA, GDPR, NIST and OWASP; our own paraphrase for
// PCI DSS and SOC 2, whose texts are copyrighted), the evidence strength a
// gateway configuration can give, and the checks that assess it. A
// control with no checks is reported as not assessed.
type CatalogueControl struct {
	ID       string
	Title    string
	Strength Strength
	Checks   []string
	// Unassessable says why a control has no check.
	Unassessable string
}

// cc builds a catalogue control.
func cc(id string, s Strength, title string, checks ...string) CatalogueControl {
	return CatalogueControl{ID: id, Title: title, Strength: s, Checks: checks}
}

// none builds a control rampart cannot assess, saying why.
func none(id string, s Strength, title, why string) CatalogueControl {
	return CatalogueControl{ID: id, Title: title, Strength: s, Unassessable: why}
}

// Reasons shared by controls without checks.
const (
	whyMFA = "MFA happens at the identity provider, and the schema cannot require acr or amr claim values"
	whyWAF = "the schema models no web application firewall"
)

// Frameworks lists every framework, in command-line order.
func Frameworks() []Framework {
	return []Framework{hipaa(), gdpr(), pciDSS4(), soc2(), owaspAPI(), nist80053()}
}

// FrameworkIDs lists the framework ids.
func FrameworkIDs() []string {
	var out []string
	for _, f := range Frameworks() {
		out = append(out, f.ID)
	}
	return out
}

// FrameworkByID returns the named framework.
func FrameworkByID(id string) (Framework, error) {
	for _, f := range Frameworks() {
		if f.ID == id {
			return f, nil
		}
	}
	return Framework{}, fmt.Errorf("unknown framework %q (known: %s)", id, strings.Join(FrameworkIDs(), ", "))
}

// TokenID returns the OSCAL-safe id of a native citation:
// "164.312(e)(1)" → "hipaa-164.312-e-1". NIST SP 800-53 controls get the
// ids of NIST's OSCAL catalogue: "IA-2(1)" → "ia-2.1".
func (f Framework) TokenID(native string) string {
	if f.Prefix == "" {
		id := strings.ToLower(strings.ReplaceAll(native, "(", "."))
		return strings.ReplaceAll(id, ")", "")
	}
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(native) {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r) || (r == '.' && b.Len() > 0):
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
		default:
			dash = true
		}
	}
	s := strings.ReplaceAll(b.String(), ".-", "-")
	return f.Prefix + "-" + strings.Trim(s, ".-")
}

// hipaa is the HIPAA Security Rule catalogue (45 CFR 164.312).
func hipaa() Framework {
	return Framework{ID: "hipaa", Prefix: "hipaa", Title: "HIPAA Security Rule, 45 CFR 164.312 technical safeguards",
		Link: "https://www.ecfr.gov/current/title-45/subtitle-A/subchapter-C/part-164/subpart-C/section-164.312",
		Controls: []CatalogueControl{
			cc("164.312(a)(1)", Partial, "Standard: Access control", "authn.required", "authz.rules", "routing.undeclared"),
			cc("164.312(a)(2)(i)", Direct, "Unique user identification (Required)", "authn.uniqueIdentity", "log.identity"),
			cc("164.312(a)(2)(iii)", Partial, "Automatic logoff (Addressable)", "authn.tokenAge", "limits.idle"),
			cc("164.312(a)(2)(iv)", Partial, "Encryption and decryption (Addressable)", "headers.noStore"),
			cc("164.312(b)", Partial, "Standard: Audit controls", "log.enabled", "log.fields", "log.authFailures"),
			cc("164.312(c)(1)", Partial, "Standard: Integrity", "tls.minVersion", "tls.aead", "routing.methods", "routing.undeclared", "validation.contentType"),
			cc("164.312(d)", Direct, "Standard: Person or entity authentication", "authn.strong", "authn.required"),
			cc("164.312(e)(1)", Direct, "Standard: Transmission security", "tls.minVersion", "tls.hsts", "tls.noPlaintext", "tls.upstreamVerify"),
			cc("164.312(e)(2)(i)", Direct, "Integrity controls (Addressable)", "tls.aead", "tls.noPlaintext"),
			cc("164.312(e)(2)(ii)", Direct, "Encryption (Addressable)", "tls.minVersion", "tls.upstreamVerify"),
		}}
}

// gdpr is the GDPR catalogue: the articles a gateway gives technical measures for.
func gdpr() Framework {
	return Framework{ID: "gdpr", Prefix: "gdpr", Title: "GDPR (Regulation (EU) 2016/679), technical measures",
		Link: "https://eur-lex.europa.eu/eli/reg/2016/679/oj",
		Controls: []CatalogueControl{
			cc("Art. 5(1)(f)", Partial, "Integrity and confidentiality (principle)", "tls.minVersion", "authn.required", "authz.rules", "limits.rate", "log.enabled"),
			cc("Art. 25(1)", Partial, "Data protection by design", "log.pseudonymise"),
			cc("Art. 25(2)", Partial, "Data protection by default", "routing.undeclared", "authn.required", "log.redactCredentials"),
			cc("Art. 30(1)(g)", Supporting, "Records of processing: general description of TOMs referred to in Art. 32(1)", "records.processing"),
			cc("Art. 32(1)(a)", Direct, "Pseudonymisation and encryption", "tls.minVersion", "tls.upstreamVerify", "log.redactCredentials", "log.pseudonymise"),
			cc("Art. 32(1)(b)", Partial, "Ongoing confidentiality, integrity, availability and resilience", "authz.rules", "tls.minVersion", "limits.rate", "limits.body", "limits.timeouts"),
			cc("Art. 32(1)(c)", Supporting, "Ability to restore availability and access in a timely manner", "build.reproducible"),
			cc("Art. 32(1)(d)", Supporting, "Regular testing, assessing and evaluating effectiveness", "runs.testing"),
			cc("Art. 33", Supporting, "Notification of a personal data breach (72 h)", "log.enabled", "log.authFailures", "log.identity", "log.retention"),
		}}
}

// pciDSS4 is the PCI DSS v4.0 catalogue, with titles in rampart's words.
func pciDSS4() Framework {
	return Framework{ID: "pci-dss-4", Prefix: "pci-dss-4", Title: "PCI DSS v4.0 (identifiers with paraphrased titles)",
		Link:   "https://www.pcisecuritystandards.org/document_library/",
		Notice: "PCI DSS text is copyrighted by PCI SSC: this report shows requirement numbers with short titles in rampart's own words; read the standard for the requirement text.",
		Controls: []CatalogueControl{
			cc("4.2.1", Direct, "Strong cryptography protects PAN sent over open networks", "tls.minVersion", "tls.aead", "tls.certificates", "tls.upstreamVerify"),
			cc("4.2.1.1", Direct, "Inventory of trusted keys and certificates for PAN in transit", "tls.certificates", "tls.upstreamVerify"),
			none("6.4.1", Partial, "Public web applications protected against known attacks", whyWAF+", and vulnerability reviews are a process"),
			none("6.4.2", Partial, "Automated solution detects and blocks web attacks", whyWAF+"; method and content-type checks alone are not attack detection"),
			none("6.4.3", Partial, "Scripts on payment pages authorised and integrity-checked", "rampart cannot tell which routes serve payment pages, and the script inventory is a process"),
			cc("7.2.1", Partial, "Access-control model defined", "authz.rules"),
			cc("7.2.2", Partial, "Access granted by job function, least privilege", "authz.rules"),
			cc("7.2.5", Partial, "Application and system accounts get least privilege", "authz.serviceAccounts"),
			cc("7.3.1", Direct, "Access-control system limits access to need to know", "authz.rules"),
			cc("7.3.2", Direct, "Access-control system enforces permissions by job role", "authz.rules"),
			cc("7.3.3", Direct, "Access-control system denies all by default", "routing.undeclared", "authz.rules"),
			cc("8.2.1", Partial, "Every user has a unique ID", "authn.uniqueIdentity"),
			cc("8.2.8", Partial, "Re-authentication after 15 minutes idle", "authn.tokenAge15m"),
			cc("8.3.1", Direct, "All access authenticated", "authn.required"),
			cc("8.3.2", Direct, "Authentication factors protected by strong cryptography", "tls.noPlaintext", "tls.minVersion"),
			cc("8.3.4", Partial, "Invalid attempts limited with lockout", "authn.lockout"),
			none("8.4.2", Partial, "Multi-factor authentication into the CDE", whyMFA),
			cc("8.6.2", Direct, "No hard-coded passwords for system accounts", "secrets.referenced"),
			cc("10.2.1", Partial, "Audit logs enabled and active", "log.enabled"),
			cc("10.2.1.1", Direct, "Audit logs record individual access to cardholder data", "log.identityPCI"),
			none("10.2.1.2", Partial, "Administrative actions logged", "gateway admin APIs (Kong Admin API, Envoy admin) are not part of the policy"),
			cc("10.2.1.4", Direct, "Invalid logical access attempts logged", "log.authFailures"),
			cc("10.2.2", Direct, "Audit events record user, type, time, outcome, origin and resource", "log.fields"),
			cc("10.3.1", Partial, "Read access to audit logs limited", "log.central"),
			cc("10.3.2", Partial, "Audit logs protected from modification", "log.central"),
			cc("10.3.3", Partial, "Audit logs promptly backed up centrally", "log.central"),
			cc("10.5.1", Partial, "Audit log history kept at least 12 months", "log.retention365"),
			cc("11.6.1", Supporting, "Changes to payment-page headers and scripts detected", "headers.security"),
			cc("12.3.3", Direct, "Cipher suites and protocols documented and reviewed yearly", "tls.inventory"),
		}}
}

// soc2 is the SOC 2 (TSC 2017) catalogue, with titles in rampart's words.
func soc2() Framework {
	return Framework{ID: "soc2", Prefix: "soc2", Title: "SOC 2, Trust Services Criteria (2017), common criteria (identifiers with paraphrased titles)",
		Link:   "https://www.aicpa-cima.com/resources/download/2017-trust-services-criteria-with-revised-points-of-focus-2022",
		Notice: "The Trust Services Criteria are copyrighted by the AICPA: this report shows criterion numbers with short titles in rampart's own words.",
		Controls: []CatalogueControl{
			cc("CC6.1", Partial, "Logical access controls protect information assets", "authn.required", "authz.rules", "tls.minVersion"),
			cc("CC6.6", Partial, "Boundary protection against external threats", "limits.rate", "limits.body", "limits.header", "limits.timeouts", "routing.undeclared"),
			cc("CC6.7", Partial, "Information protected in transmission", "tls.minVersion", "tls.upstreamVerify", "tls.noPlaintext"),
			cc("CC7.2", Supporting, "Components monitored for anomalies and attacks", "log.enabled", "log.authFailures", "limits.rate"),
		}}
}

// owaspAPI is the OWASP API Security Top 10 (2023) catalogue.
func owaspAPI() Framework {
	return Framework{ID: "owasp-api-2023", Prefix: "owasp-api-2023", Title: "OWASP API Security Top 10 (2023)",
		Link:   "https://owasp.org/API-Security/editions/2023/en/0x11-t10/",
		Notice: "OWASP API Security Top 10 titles are CC BY-SA 4.0.",
		Controls: []CatalogueControl{
			cc("API1:2023", Supporting, "Broken Object Level Authorization", "authz.rules"),
			cc("API2:2023", Direct, "Broken Authentication", "authn.strong", "authn.failures", "authn.endpointLimited"),
			none("API3:2023", Partial, "Broken Object Property Level Authorization", "the schema has no response filtering and no request-schema validation"),
			cc("API4:2023", Direct, "Unrestricted Resource Consumption", "limits.rate", "limits.body", "limits.header", "limits.timeouts"),
			cc("API5:2023", Partial, "Broken Function Level Authorization", "authz.rules", "routing.methods"),
			cc("API6:2023", Partial, "Unrestricted Access to Sensitive Business Flows", "limits.rate"),
			none("API7:2023", Partial, "Server Side Request Forgery", "the schema has no egress allow-list"),
			cc("API8:2023", Direct, "Security Misconfiguration", "tls.minVersion", "routing.methods", "cors.safe", "headers.security", "validation.contentType"),
			cc("API9:2023", Direct, "Improper Inventory Management", "routing.undeclared"),
			cc("API10:2023", Partial, "Unsafe Consumption of APIs", "tls.upstreamVerify"),
		}}
}

// nist80053 is the NIST SP 800-53 Rev. 5 catalogue.
func nist80053() Framework {
	return Framework{ID: "nist-800-53", Title: "NIST SP 800-53 Rev. 5, controls an API gateway evidences",
		Link:    "https://csrc.nist.gov/pubs/sp/800/53/r5/upd1/final",
		Catalog: "https://raw.githubusercontent.com/usnistgov/oscal-content/main/nist.gov/SP800-53/rev5/json/NIST_SP-800-53_rev5_catalog.json",
		Controls: []CatalogueControl{
			cc("AC-3", Direct, "Access Enforcement", "authz.rules", "routing.undeclared"),
			cc("AC-7", Partial, "Unsuccessful Logon Attempts", "authn.failures"),
			cc("AU-2", Direct, "Event Logging", "log.enabled", "log.authFailures"),
			cc("AU-3", Direct, "Content of Audit Records", "log.fields"),
			cc("IA-2", Direct, "Identification and Authentication (Organizational Users)", "authn.strong", "authn.required"),
			none("IA-2(1)", Direct, "Multi-factor Authentication to Privileged Accounts", whyMFA),
			cc("IA-8", Direct, "Identification and Authentication (Non-organizational Users)", "authn.strong", "authn.required"),
			cc("SC-5", Partial, "Denial-of-service Protection", "limits.rate", "limits.body", "limits.timeouts"),
			cc("SC-8", Direct, "Transmission Confidentiality and Integrity", "tls.minVersion", "tls.noPlaintext", "tls.upstreamVerify"),
			cc("SC-8(1)", Direct, "Cryptographic Protection", "tls.minVersion", "tls.aead"),
			cc("SC-13", Partial, "Cryptographic Protection", "tls.aead", "jwt.algorithms"),
			cc("SC-23", Partial, "Session Authenticity", "tls.minVersion", "jwt.audience"),
		}}
}
