// Package gen generates realistic rampart policy directories of a chosen
// size, for benchmarks and load tests. Output is deterministic: the same
// options always produce the same bytes.
//
// A generated directory is a self-contained CUE module: policy.cue embeds
// schema.#Policy and holds the listeners, authentication providers,
// defaults and logging; each service lives in its own file with up to
// RoutesPerService routes; cue.mod holds module.cue and a copy of
// rampart's schema, so plain `cue export` evaluates the same package
// rampart compiles.
package gen

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"cuelang.org/go/cue/format"

	"github.com/rampart-policy/rampart/schema"
)

// RoutesPerService is how many routes each generated service holds; the
// last service holds the remainder.
const RoutesPerService = 20

// Options select what to generate.
type Options struct {
	// Routes is the total number of routes, at least 1.
	Routes int
	// Package is the CUE package name; empty means "bench".
	Package string
	// Module is the CUE module path in cue.mod/module.cue; empty means
	// "bench.local".
	Module string
	// KongWaivers adds targets.cue: Kong Enterprise, and waivers for Kong
	// of what it cannot enforce, so `build --target all` builds every
	// target (rampart-gen sets it; tests that set Kong's settings
	// themselves leave it off).
	KongWaivers bool
}

// File is one generated file, with a slash-separated path relative to
// the policy directory.
type File struct {
	Path string
	Data []byte
}

// Files returns the generated policy directory's files, sorted by path.
func Files(opts Options) ([]File, error) {
	if opts.Routes < 1 {
		return nil, fmt.Errorf("gen: routes must be at least 1, got %d", opts.Routes)
	}
	if opts.Package == "" {
		opts.Package = "bench"
	}
	if opts.Module == "" {
		opts.Module = "bench.local"
	}
	var files []File
	add := func(p string, src []byte, isCUE bool) error {
		if isCUE {
			out, err := format.Source(src)
			if err != nil {
				return fmt.Errorf("gen: formatting %s: %w\n%s", p, err, src)
			}
			src = out
		}
		files = append(files, File{Path: p, Data: src})
		return nil
	}
	mod := fmt.Sprintf("module: %s\nlanguage: version: \"v0.13.0\"\n", strconv.Quote(opts.Module))
	if err := add("cue.mod/module.cue", []byte(mod), true); err != nil {
		return nil, err
	}
	// fs.WalkDir visits entries in lexical order, so the copy is stable.
	err := fs.WalkDir(schema.Files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path.Ext(p) != ".cue" {
			return err
		}
		data, err := fs.ReadFile(schema.Files, p)
		if err != nil {
			return err
		}
		return add(path.Join("cue.mod/pkg", schema.ImportPath, p), data, false)
	})
	if err != nil {
		return nil, err
	}
	if err := add("policy.cue", policyFile(opts.Package), true); err != nil {
		return nil, err
	}
	if opts.KongWaivers {
		if err := add("targets.cue", targetsFile(opts.Package), true); err != nil {
			return nil, err
		}
	}
	nsvc := (opts.Routes + RoutesPerService - 1) / RoutesPerService
	for j := range nsvc {
		n := min(RoutesPerService, opts.Routes-j*RoutesPerService)
		name := serviceName(j)
		if err := add(name+".cue", serviceFile(opts.Package, j, n), true); err != nil {
			return nil, err
		}
	}
	sortFiles(files)
	return files, nil
}

// kongWaived are the controls Kong cannot enforce as the generated policy
// states them (mTLS, hashed API keys, several certificates, one
// rate-limiting plugin per route, …): waived for Kong only, as the
// shipped examples do, so `build --target all` builds every target.
var kongWaived = []string{"authFailures", "authn.apiKey", "authn.jwt", "authn.mtls", "authz.rules",
	"ratelimit.apiKey", "ratelimit.header", "ratelimit.subject", "tls", "tls.mtls", "tls.upstream",
	"validation.undeclared"}

// targetsFile sets Kong's edition and waives, for Kong only, what it
// cannot enforce.
func targetsFile(pkg string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "package %s\n\ntargets: kong: edition: \"enterprise\"\n\nwaivers: [\n", pkg)
	for _, c := range kongWaived {
		fmt.Fprintf(&b, "\t{control: %q, target: \"kong\", reason: \"generated policy: Kong cannot enforce this as the policy states it\", approver: \"bench@rampart.example\", expires: \"2099-12-31\"},\n", c)
	}
	b.WriteString("]\n")
	return []byte(b.String())
}

// Write generates the policy into dir, creating it if needed. It refuses a
// directory that already holds files, so a run never mixes with leftovers.
func Write(dir string, opts Options) error {
	files, err := Files(opts)
	if err != nil {
		return err
	}
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return fmt.Errorf("gen: %s is not empty", dir)
	}
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// sortFiles orders files by path (insertion sort: the list is short and
// nearly sorted).
func sortFiles(files []File) {
	for i := 1; i < len(files); i++ {
		for k := i; k > 0 && files[k].Path < files[k-1].Path; k-- {
			files[k], files[k-1] = files[k-1], files[k]
		}
	}
}

// domains name the generated services; past the list they repeat with a
// numeric suffix.
var domains = []string{
	"orders", "customers", "payments", "inventory", "shipping", "catalog",
	"invoices", "accounts", "reports", "notifications", "search", "reviews",
	"returns", "pricing", "loyalty", "support",
}

// serviceName returns the j-th service's name.
func serviceName(j int) string {
	d := domains[j%len(domains)]
	if r := j / len(domains); r > 0 {
		return fmt.Sprintf("%s-%d", d, r+1)
	}
	return d
}

// consumers is how many API-key consumers the partners provider declares.
const consumers = 8

func policyFile(pkg string) []byte {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("package %s\n\nimport \"%s\"\n\nschema.#Policy\n\n", pkg, schema.ImportPath)
	w(`metadata: {
	name:        "bench-gateway"
	owner:       "Platform Security <security@example.com>"
	purpose:     "Generated benchmark policy"
	description: "A generated policy exercising listeners, providers, services and routes at scale"
	contact:     "security@example.com"
}

listeners: {
	public: {
		port: 443
		hosts: ["api.example.com", "www.api.example.com"]
		tls: {
			profile: "intermediate"
			certificate: {cert: "/etc/rampart/tls/public.crt", key: "/etc/rampart/tls/public.key"}
			hsts: {preload: true}
		}
		redirectHTTP: {port: 80}
	}
	internal: {
		port:    8443
		address: "10.0.0.1"
		hosts: ["api.internal.example.com"]
		tls: {
			profile: "modern"
			certificate: {cert: "/etc/rampart/tls/internal.crt", key: "/etc/rampart/tls/internal.key"}
		}
	}
	partner: {
		port: 9443
		hosts: ["partners.example.com"]
		tls: {
			profile:    "intermediate"
			minVersion: "1.3"
			certificate: {cert: "/etc/rampart/tls/partner.crt", key: "/etc/rampart/tls/partner.key"}
			hsts: {}
			clientAuth: {
				ca: "/etc/rampart/tls/partner-ca.pem"
				subjects: [%s]
			}
		}
	}
}

`, partnerSubjects())
	w(`authentication: {
	staff: {
		kind:   "jwt"
		issuer: "https://login.example.com/staff"
		audiences: ["bench-gateway"]
		jwksURI: "https://login.example.com/staff/jwks.json"
		algorithms: ["RS256", "ES256"]
		requiredClaims: ["sub", "exp"]
		maxTokenAgeSeconds: 3600
		rolesClaim:         "roles"
	}
	customers: {
		kind:   "jwt"
		issuer: "https://id.example.com"
		audiences: ["api.example.com", "www.api.example.com"]
		jwksURI:          "https://id.example.com/.well-known/jwks.json"
		clockSkewSeconds: 60
		scopesClaim:      "scp"
	}
	partners: {
		kind:   "apiKey"
		header: "X-Partner-Key"
		consumers: {
`)
	for i := 1; i <= consumers; i++ {
		c := fmt.Sprintf("partner-%02d", i)
		if i == consumers {
			w("\t\t\t%q: {keyRef: \"env:PARTNER_%02d_KEY\", roles: [\"partner\"], shared: true}\n", c, i)
			continue
		}
		sum := sha256.Sum256([]byte("rampart-bench-" + c))
		roles := []string{"partner"}
		if i%3 == 0 {
			roles = append(roles, "partner-admin")
		}
		w("\t\t\t%q: {keyHash: \"sha256:%s\", roles: %s}\n", c, hex.EncodeToString(sum[:]), list(roles))
	}
	w(`		}
	}
	"partner-certs": {
		kind:        "mtls"
		subjectFrom: "cn"
		principals: {
`)
	for i := 1; i <= consumers; i++ {
		w("\t\t\t\"partner-%02d.example.com\": {roles: [\"partner\"]}\n", i)
	}
	w(`		}
	}
}

authFailures: {maxAttempts: 10, lockoutSeconds: 900, key: "ip"}

defaults: {
	authentication: ["staff"]
	allow: [{roles: ["admin"]}]
	rateLimits: global: {requests: 200, per: "second", burst: 100, key: "ip"}
	limits: {
		maxBodyBytes:   1048576
		maxHeaderBytes: 16384
		timeouts: {headerSeconds: 10, bodySeconds: 30, idleSeconds: 60, upstreamSeconds: 30}
	}
	headers: {
		referrerPolicy: "strict-origin-when-cross-origin"
		extra: {
			"Permissions-Policy":           "geolocation=(), camera=(), microphone=()"
			"Cross-Origin-Resource-Policy": "same-origin"
		}
	}
	accessLog: true
}

logging: {
	fields: {query: true, userAgent: true}
	redact: {
		headers: {"X-Customer-Token": "hash", "X-Forwarded-For": "redact"}
		query: {ssn: "drop", email: "hash"}
		fields: {email: "hash"}
	}
	sink: {kind: "file", path: "/var/log/rampart/access.log"}
	retentionDays: 90
}

targets: {
	authorizer: url: "http://127.0.0.1:9902"
	goproxy: redis: {address: "redis.internal.example.com:6379", passwordRef: "env:RAMPART_REDIS_PASSWORD"}
}
`)
	return []byte(b.String())
}

func partnerSubjects() string {
	var s []string
	for i := 1; i <= consumers; i++ {
		s = append(s, fmt.Sprintf("%q", fmt.Sprintf("partner-%02d.example.com", i)))
	}
	return strings.Join(s, ", ")
}

// service kinds, by service index modulo 5.
const (
	kindCustomer = iota // pii, public listener, customer JWT + API keys, CORS
	kindInternal        // internal, staff only (inherits defaults)
	kindHealth          // phi, public and internal listeners, upstream TLS
	kindPayments        // pci, public listener, CORS with credentials
	kindPartner         // partner listener, mTLS + API keys
	numKinds
)

// resources are the four resources of every service; each gets five
// operations, so a full service has 20 routes.
var resources = []struct{ name, param string }{
	{"records", "id"},
	{"notes", "noteId"},
	{"attachments", "attachmentId"},
	{"events", "eventId"},
}

var ops = []string{"list", "create", "get", "update", "delete"}

func serviceFile(pkg string, j, n int) []byte {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	name := serviceName(j)
	kind := j % numKinds
	base := "/" + name + "/v1"
	w("package %s\n\nservices: %q: {\n", pkg, name)
	w("\towner:   \"Team %s <team-%s@example.com>\"\n", name, name)
	w("\tpurpose: \"Manages %s data\"\n", name)
	host := fmt.Sprintf("10.%d.%d.%d", 1+j/(250*250), j/250%250, 10+j%240)
	switch kind {
	case kindCustomer:
		w("\tclassification: \"pii\"\n\tdataCategories: [\"contact details\", \"order history\"]\n")
		w("\tupstream: url: \"http://%s:8080\"\n", host)
		w("\tlisteners: [\"public\"]\n")
		w("\tauthentication: [\"customers\", \"partners\"]\n")
		w("\tcors: {\n\t\tallowOrigins: [\"https://app.example.com\", \"https://*.example.com\"]\n\t\tallowMethods: [\"GET\", \"HEAD\", \"POST\", \"PUT\", \"PATCH\", \"DELETE\"]\n\t\tallowHeaders: [\"Authorization\", \"Content-Type\", \"X-Request-ID\"]\n\t\texposeHeaders: [\"ETag\"]\n\t\tmaxAgeSeconds: 3600\n\t}\n")
	case kindInternal:
		w("\tupstream: url: \"http://%s:8080\"\n", host)
		w("\tlisteners: [\"internal\"]\n")
		w("\taccessLog: %t\n", j%2 == 1)
	case kindHealth:
		w("\tclassification: \"phi\"\n\tdataCategories: [\"health records\", \"contact details\"]\n")
		w("\tupstream: {\n\t\turl: \"https://%s:8443\"\n\t\ttls: {ca: \"/etc/rampart/upstream/ca.pem\", serverName: \"%s.svc.internal.example.com\"}\n\t}\n", host, name)
		w("\tlisteners: [\"public\", \"internal\"]\n")
		w("\theaders: {cacheControl: \"no-store\", frameOptions: \"DENY\"}\n")
		w("\tlimits: timeouts: upstreamSeconds: 15\n")
	case kindPayments:
		w("\tclassification: \"pci\"\n\tdataCategories: [\"payment card data\"]\n")
		w("\tupstream: {\n\t\turl: \"https://%s:8443\"\n\t\ttls: {\n\t\t\tca: \"/etc/rampart/upstream/ca.pem\"\n\t\t\tclientCertificate: {cert: \"/etc/rampart/upstream/client.crt\", key: \"/etc/rampart/upstream/client.key\"}\n\t\t}\n\t}\n", host)
		w("\tlisteners: [\"public\"]\n")
		w("\tauthentication: [\"customers\"]\n")
		w("\theaders: cacheControl: \"no-store\"\n")
		w("\tcors: {\n\t\tallowOrigins: [\"https://checkout.example.com\"]\n\t\tallowMethods: [\"GET\", \"POST\"]\n\t\tallowHeaders: [\"Authorization\", \"Content-Type\"]\n\t\texposeHeaders: [\"X-Request-ID\"]\n\t\tallowCredentials: true\n\t}\n")
		w("\trateLimits: tenant: {requests: 3000, per: \"hour\", key: \"header\", header: \"X-Tenant-ID\", shared: true}\n")
	case kindPartner:
		w("\tupstream: url: \"http://%s:8080\"\n", host)
		w("\tlisteners: [\"partner\"]\n")
		w("\tauthentication: [\"partner-certs\", \"partners\"]\n")
		w("\trateLimits: partner: {requests: 100, per: \"second\", burst: 20, key: \"apiKey\"}\n")
	}
	w("\trateLimits: service: {requests: 5000, per: \"minute\", key: \"ip\"}\n")
	w("\troutes: {\n")
	for k := range n {
		writeRoute(&b, name, base, kind, j, k)
	}
	w("\t}\n}\n")
	return []byte(b.String())
}

// writeRoute writes the k-th route of service j.
func writeRoute(b *strings.Builder, svc, base string, kind, j, k int) {
	w := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	res := resources[k/len(ops)]
	op := ops[k%len(ops)]
	reader, writer, admin := svc+"-reader", svc+"-writer", svc+"-admin"
	readRoles, writeRoles := []string{reader, writer, admin}, []string{writer, admin}
	if kind == kindPartner {
		readRoles = append(readRoles, "partner")
		writeRoles = append(writeRoles, "partner-admin")
	}
	scope := func(s string) string { return svc + ":" + s }

	// The last route of every service is its health check; every tenth
	// service also has a token endpoint, a rate-limited authentication
	// endpoint.
	switch {
	case k == RoutesPerService-1:
		w("\t\thealth: {path: %q, methods: [\"GET\", \"HEAD\"], public: true, classification: \"public\", accessLog: false}\n", "/"+svc+"/healthz")
		return
	case k == RoutesPerService-2 && j%10 == 0:
		w("\t\ttoken: {\n\t\t\tpath: %q\n\t\t\tmethods: [\"POST\"]\n\t\t\tpublic: true\n\t\t\tauthEndpoint: true\n\t\t\tclassification: \"public\"\n", "/"+svc+"/oauth/token")
		w("\t\t\tcontentTypes: [\"application/x-www-form-urlencoded\"]\n")
		w("\t\t\trateLimits: token: {requests: 10, per: \"minute\", burst: 5, key: \"ip\", shared: true}\n")
		w("\t\t\tlimits: maxBodyBytes: 4096\n\t\t}\n")
		return
	}

	var coll string
	if res.name == "records" {
		coll = base + "/records"
	} else {
		coll = base + "/records/{id}/" + res.name
	}
	item := coll + "/{" + res.param + "}"
	w("\t\t\"%s-%s\": {\n", op, res.name)
	switch op {
	case "list":
		w("\t\t\tpath: %q\n\t\t\tmethods: [\"GET\", \"HEAD\"]\n", coll)
		w("\t\t\tallow: [{methods: [\"GET\", \"HEAD\"], roles: %s, scopes: [%q]}]\n", list(readRoles), scope("read"))
		if res.name == "records" {
			w("\t\t\trateLimits: list: {requests: 600, per: \"minute\", burst: 100, key: \"subject\"}\n")
		}
	case "create":
		w("\t\t\tpath: %q\n\t\t\tmethods: [\"POST\"]\n", coll)
		w("\t\t\tallow: [{roles: %s, scopes: [%q]}]\n", list(writeRoles), scope("write"))
		w("\t\t\trateLimits: writes: {requests: 60, per: \"minute\", burst: 10, key: \"subject\"}\n")
		if res.name == "attachments" {
			w("\t\t\tcontentTypes: [\"multipart/form-data\", \"application/octet-stream\"]\n")
			w("\t\t\tlimits: {maxBodyBytes: 26214400, timeouts: {bodySeconds: 120, upstreamSeconds: 120}}\n")
		} else {
			w("\t\t\tcontentTypes: [\"application/json\"]\n\t\t\tlimits: maxBodyBytes: 65536\n")
		}
	case "get":
		w("\t\t\tpath: %q\n\t\t\tmethods: [\"GET\", \"HEAD\"]\n", item)
		w("\t\t\tallow: [{roles: %s, scopes: [%q]}, {methods: [\"HEAD\"], anyAuthenticated: true}]\n", list(readRoles), scope("read"))
		if kind == kindHealth {
			w("\t\t\theaders: extra: \"X-Data-Classification\": \"phi\"\n")
		}
	case "update":
		w("\t\t\tpath: %q\n\t\t\tmethods: [\"PUT\", \"PATCH\"]\n", item)
		w("\t\t\tallow: [{roles: %s, scopes: [%q]}]\n", list(writeRoles), scope("write"))
		w("\t\t\tcontentTypes: [\"application/json\", \"application/merge-patch+json\"]\n\t\t\tlimits: maxBodyBytes: 65536\n")
	case "delete":
		w("\t\t\tpath: %q\n\t\t\tmethods: [\"DELETE\"]\n", item)
		w("\t\t\tallow: [{roles: [%q], scopes: [%q]}]\n", admin, scope("admin"))
		w("\t\t\trateLimits: deletes: {requests: 10, per: \"minute\", burst: 2, key: \"subject\"}\n")
		if kind == kindPayments {
			w("\t\t\tclassification: \"pci\"\n\t\t\taccessLog: true\n")
		}
	}
	w("\t\t}\n")
}

// list renders strings as a CUE list.
func list(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = strconv.Quote(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}
