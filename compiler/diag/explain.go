package diag

import "slices"

// Explanation is the long form of a diagnostic code.
type Explanation struct {
	Title string
	Text  string
}

// Explain returns the explanation of code.
func Explain(code string) (Explanation, bool) {
	e, ok := explanations[code]
	return e, ok
}

// Codes lists every code with an explanation, sorted.
func Codes() []string {
	out := make([]string, 0, len(explanations))
	for c := range explanations {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}

var explanations = map[string]Explanation{
	CodeLoad: {"the policy could not be loaded",
		"The directory could not be read as one CUE package: a syntax error, an import that does not\nexist (rampart ships rampart.dev/schema and rampart.dev/baselines/<id>), several packages in\none directory, or a stale vendored copy of rampart's packages under cue.mod/pkg/rampart.dev.\nFix the file and line shown."},
	CodeSchema: {"the policy does not match the schema",
		"A value does not satisfy the hardening schema. The message names the path; the related line\npoints at the schema constraint."},
	CodeConflict: {"a value is not allowed here",
		"The value conflicts with what the schema allows at this path: the wrong type, a value outside\nthe allowed set, or a string that does not match the required pattern (host names, paths,\nheader names and file paths are restricted so that nothing can be injected into a gateway's\nconfiguration)."},
	CodeUnknownField: {"unknown field",
		"The schema's definitions are closed: a field it does not define is an error rather than being\nignored, because an ignored, misspelt control (\"rateLimts\") would silently leave an API\nunprotected. Check the spelling against the schema reference, docs/schema.md."},
	CodeMissingField: {"a required field is missing",
		"The schema or a baseline requires this field and the policy does not set it. Baselines use\nrequired fields for controls that must be present, such as TLS on every listener."},
	CodeCORSWildcardCredentials: {"CORS allows credentials from any origin",
		"allowCredentials: true with allowOrigins containing \"*\" lets any web site make authenticated\nrequests with the user's cookies or tokens. Browsers refuse the literal combination, and gateways\nthat reflect the Origin header to work around it expose the API to every site. Name the trusted\norigins."},
	CodeJWTNoAudience: {"JWT provider without audience",
		"Without audiences, a token that the same issuer minted for another API is accepted here\n(OWASP API2:2023 Broken Authentication). Set audiences to the values this API's tokens carry."},
	CodeAPIKeyInLoggedQuery: {"API key read from a logged query string",
		"The provider reads the API key from the query string and the access log records query strings\nwithout redacting that parameter, so every key would be written to the logs. Read the key from a\nheader, or keep logging.redactCredentials on, or redact the parameter."},
	CodeAuthEndpointNoRateLimit: {"authentication endpoint without a rate limit",
		"Routes marked authEndpoint (login, token, password reset) are the target of credential\nstuffing and brute force (OWASP API2:2023, PCI DSS 8.3.4). Give the route a rate limit."},
	CodeHSTSPlaintext: {"HSTS on a plaintext listener",
		"Browsers ignore Strict-Transport-Security received over plain HTTP (RFC 6797 §7.2). Configure\nhsts on a TLS listener, and redirect plaintext to HTTPS with redirectHTTP."},
	CodeSensitiveUnauthed: {"phi or pci route without authentication",
		"A route classified phi or pci is public. Protected health information and cardholder data must\nnot be served without authentication (HIPAA 164.312(d), PCI DSS 8.3.1)."},
	CodeLiteralSecret: {"literal secret in the policy",
		"A secret field holds something that is not a reference. Policies live in git and compiled\nconfiguration is widely readable: give \"env:NAME\", \"file:/path\" or \"vault:mount/path#key\",\nand store API keys as \"sha256:<hex>\" hashes (PCI DSS 8.6.2)."},
	CodeUnknownReference: {"reference to something the policy does not declare",
		"A service names a listener, a route names an authentication provider, or a waiver names a\nroute that does not exist."},
	CodeWaiverExpired: {"expired waiver",
		"A waiver's expiry date has passed. Waivers are temporary by design: renew it with a new date and\napprover, or enforce the control."},
	CodeDuplicateRoute: {"two routes match the same request",
		"Two routes match the same method and path on the same listener, so which controls apply would\ndepend on the gateway. Merge them or make the paths distinct."},
	CodeJWTKeySource: {"JWT provider key source",
		"A JWT provider needs exactly one of jwksURI (keys fetched over HTTPS) and localJWKS (a JWKS file\nthe deployer provides)."},
	CodeNoProviders: {"route needs authentication but has no provider",
		"Routes authenticate by default. This route is not public, yet no authentication providers are\nset on the route, its service or the policy defaults."},
	CodeDenyAll: {"route denies every request",
		"Authorization is default deny: a request is allowed only when an allow rule matches. This route\nhas no rules, so every request gets 403. Add allow rules (roles, scopes or anyAuthenticated)."},
	CodeWeakTLS: {"TLS below 1.2",
		"TLS 1.0 and 1.1 are deprecated (RFC 8996) and fail every baseline rampart ships."},
	CodeConsumerKey: {"API-key consumer key",
		"Each API-key consumer needs exactly one of keyHash (\"sha256:\" and the hex SHA-256 of the key)\nand keyRef (a secret reference)."},
	CodeCredentialsPlaintext: {"credentials over plaintext",
		"A route that takes credentials is served on a listener without TLS, so tokens and keys cross\nthe network in clear (PCI DSS 8.3.2). Serve it on TLS listeners only."},
	CodeMTLSWithoutClientAuth: {"mTLS provider without client-certificate verification",
		"An mtls provider identifies clients by their verified certificate, which only exists when every\nlistener serving the route sets tls.clientAuth."},
	CodeUpstreamTLSOff: {"upstream certificate not verified",
		"upstream.tls.verify is false: the gateway accepts any certificate from the upstream, so the\nre-encrypted hop can be intercepted (HIPAA 164.312(e), OWASP API10:2023)."},
	CodeInsecureURL: {"credential URL is not HTTPS",
		"A JWKS URI, issuer or introspection endpoint uses http://: keys, tokens and client secrets would\ncross the network in clear and could be replaced by an attacker."},
	CodeClassificationLowered: {"route classified below its service",
		"A route declares a less sensitive classification than its service (a \"public\" route in a phi\nservice, say). Baselines key their rules on the route's classification, so this route escapes\nthe stricter ones. That is right for a health check; make sure the route really carries none of\nthe service's data."},
	CodeUpstreamScheme: {"upstream TLS settings on a plaintext URL",
		"The service sets upstream.tls but its URL is http://, so the hop to the upstream is not\nencrypted and the TLS settings do nothing. Use an https:// URL."},
	CodeShadowedHeader: {"extra header shadows a standard security header",
		"headers.extra names a header rampart sets from its own field (Content-Security-Policy,\nX-Content-Type-Options, X-Frame-Options, Referrer-Policy, Cache-Control). Set it with that field\n(contentSecurityPolicy, contentTypeOptions, frameOptions, referrerPolicy, cacheControl) so\nbaselines can check it."},
	CodeTLSNoCiphers: {"TLS 1.2 enabled without cipher suites",
		"A custom TLS profile allows TLS 1.2 but lists no TLS 1.2 cipher suites, so no TLS 1.2 client\ncould connect. List ciphers, or set minVersion \"1.3\"."},
	CodeAuthorizerRemote: {"authorizer is not on loopback",
		"nginx and Envoy delegate JWT, rules and introspection to rampart's authorizer, which trusts\nthe headers its caller sets (the original URI, the client address). It therefore runs beside\neach gateway and listens on loopback only: set targets.authorizer.url to http://127.0.0.1:PORT\nand run rampart serve --authorizer 127.0.0.1:PORT there."},
	CodePrefixParam: {"prefix route with a {param}",
		"A route with match: \"prefix\" cannot hold {param} placeholders: nginx, Envoy and rampart's\nproxy would rank it differently against other routes, so the same request could get different\ncontrols on different gateways. Declare each path below it as a route of its own."},
	CodeDeployDuplicate: {"a target is listed twice in targets.deploy",
		"targets.deploy lists the gateways the policy is deployed to; each name may appear once. Remove\nthe repeated name (the order of the list does not matter)."},
	CodeWaiverNotDeployed: {"a waiver names a target the policy is not deployed to",
		"The waiver's target is not in targets.deploy, so build, vet and report do not use it unless\nthat target is chosen explicitly (--target NAME). Remove the waiver, or add the target to\ntargets.deploy if the policy really runs there. It stays in every report's list of waivers."},
	CodeTrustedProxies: {"trusted proxies for the client address",
		"A listener behind a load balancer may take the client address (the key of per-IP rate limits\nand the access log's clientIP) from the balancer's X-Forwarded-For or PROXY protocol header,\nbut only from the proxies listed in clientAddress.trustedProxies: any other peer could write\nany address there. The list is required with from \"x-forwarded-for\" or \"proxy-protocol\" and\nrefused with from \"peer\"; each entry must be an IP address or CIDR, and none may be wider than\nan IPv4 /8 or an IPv6 /7 (0.0.0.0/0 or ::/0 would let every client choose its own address and\nescape its rate limit). List only the balancers' own ranges."},
	CodeBaseline: {"the policy weakens a baseline",
		"The policy unifies with a baseline (hipaa.#Policy, …) and sets a value the baseline forbids.\nA policy can tighten a baseline but never weaken it. The message names the baseline control;\nthe related line shows the baseline's constraint. To deviate on purpose, don't edit the\nbaseline: discuss it with the baseline's owners."},
	CodeUnsupported: {"a target cannot enforce a control",
		"rampart fails closed: when a target cannot enforce a control the policy asks for, build fails\nand names the control, the route and the target. Choose another target, delegate to rampart's\nauthorizer where the target supports it, or add a waiver (control, target, route, reason,\napprover, expires), which every report shows."},
	CodeTargetBuild: {"a target cannot express the policy",
		"A target refused to build the policy: a route's shape has no equivalent in the gateway's\nconfiguration language (two services on one nginx location, routes on one path with different\nCORS policies, …). Nothing is written; change the routes as the message says."},
	CodeNotDeployed: {"a target the policy is not deployed to",
		"--target names a gateway that targets.deploy does not list. rampart build, report and drift\ngo ahead for it (for a comparison or a migration), but the policy's owners have said it is not\nwhere the policy runs: add it to targets.deploy if it is. Without --target, build and report\nuse targets.deploy."},
	CodeEnvoyDHEDropped: {"Envoy leaves out a profile's DHE cipher suites",
		"Envoy uses BoringSSL, which does not implement finite-field Diffie-Hellman (DHE) suites. When\na Mozilla profile version lists DHE suites (or others BoringSSL does not know), the Envoy target\nleaves them out (the ECDHE suites remain) and warns; clients that can only do DHE cannot\nconnect to Envoy. A custom profile that pins such a suite does not compile for Envoy: remove\nthe suite from the policy's ciphers."},
	CodeWaived: {"a control is waived on a target",
		"A waiver covers a control the target cannot enforce. The build goes on, and the waiver appears\nin reports until it expires."},
	CodeReportForeignRun: {"drift or probe results are for another policy",
		"rampart report --drift/--probe read a result whose policy name differs from the policy being\nreported on, or a --drift file holding probe results (or the reverse). Evidence from another\npolicy would be misattributed, so the report is refused: pass the results of this policy's\nown drift or probe run."},
	CodeReportTargetGap: {"a target cannot compile the policy, so it enforces nothing in the report",
		"While gathering evidence, rampart report checks and builds the policy for every target in memory.\nA target that cannot enforce a control the policy needs (and has no waiver for it), or whose\nbuild fails, is listed as not built: no control counts it as an enforcing target and its\nartifacts have no digest. Run rampart build --target NAME for the full diagnostics."},
	CodeReportExpiredWaiver: {"an expired waiver does not count in the report",
		"The policy holds a waiver whose expiry date has passed. rampart build refuses such a policy\n(RMP209); rampart report still assesses it so that auditors see the gap, but the expired waiver\nexcuses nothing: the control it covered is reported as not satisfied at the waiver's line.\nRenew the waiver with a new date and approver, or enforce the control."},
	CodeWeakened: {"a change weakens the security posture",
		"rampart diff compared the policy before (BASE) and after (HEAD) a change and found a control\nthat HEAD enforces less strictly: a higher rate limit, a lower TLS minimum, a route that lost\nauthentication, a new public route, a CORS origin added, a redaction removed, a new waiver.\nrampart diff exits 1 until the change is reverted, a waiver in HEAD accepts it (same control,\ntarget \"*\", the route or every route, not expired) or the reviewer passes --allow-weakening."},
	CodeWeakenedAccepted: {"an accepted weakening",
		"A change weakens the security posture, and a waiver in HEAD (or --allow-weakening) accepts it.\nrampart diff reports it, with who approved it and until when, and does not fail."},
	CodeStrengthened: {"a change strengthens the security posture",
		"HEAD enforces a control more strictly than BASE: a lower rate limit, a higher TLS minimum, a\nroute that now requires authentication, a redaction added. Nothing to do."},
	CodePostureChanged: {"a change neither strengthens nor weakens",
		"HEAD changes a value that does not rank as stronger or weaker (a certificate path, an issuer,\nan upstream URL, a new authenticated route). Review it like any other change."},
	CodeDiffGit: {"a git revision could not be read",
		"rampart diff --git REV reads the policy directory as it was at REV with git archive, without\ntouching the working tree. git must be installed, PATH must be inside a git work tree, and REV\nmust name a commit that holds the directory (fetch the base branch first in shallow CI\ncheckouts: actions/checkout with fetch-depth: 0)."},
}
