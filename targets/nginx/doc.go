// Package nginx compiles the IR into a complete, self-contained nginx.conf
// for open-source nginx (1.22 and later).
//
// Output goes through an AST (ast.go) and a printer that quotes every
// argument (print.go). Arguments come in two kinds: Lit, for strings from
// the policy, which the printer refuses when they hold '$' (nginx expands
// variables inside quoted strings) or a control character; and Raw, built
// only from code constants and from policy strings this package has
// validated and regex-escaped. Build re-parses its own text (parse.go)
// and fails unless it yields the AST it printed (verify.go).
//
// Controls OSS nginx cannot enforce (JWT, RBAC, token introspection,
// subject-keyed limits, auth-failure throttling) are delegated through
// auth_request to rampart's authorizer when the policy names one;
// otherwise Capabilities leaves them out, so targets.Check fails closed.
// One file per IR feature: tls.go, headers.go, limits.go, ratelimit.go,
// auth.go, cors.go, logging.go, routes.go.
package nginx
