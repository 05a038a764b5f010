package cli

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"text/template"

	"github.com/spf13/cobra"

	"github.com/rampart-policy/rampart/baselines"
	"github.com/rampart-policy/rampart/schema"
)

func newInitCmd(s *streams) *cobra.Command {
	var baseline, name string
	cmd := &cobra.Command{
		Use:   "init [--baseline ID] DIR",
		Short: "Create a policy folder that imports a baseline",
		Long: `init creates DIR with a starter policy that embeds a baseline, and a cue.mod
holding rampart's schema and baselines so editors and plain "cue vet" work too.
rampart itself always uses its own embedded copy of the schema and baselines.
Baselines: ` + strings.Join(baselineIDs(), ", ") + `.`,
		Args: exactlyOnePath,
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := args[0]
			if !slices.Contains(baselineIDs(), baseline) {
				return usageError(fmt.Errorf("unknown --baseline %q (known: %s)", baseline, strings.Join(baselineIDs(), ", ")))
			}
			if name == "" {
				name = sanitizeName(filepath.Base(dir))
			}
			files, err := initFiles(baseline, name)
			if err != nil {
				return usageError(err)
			}
			if _, err := os.Stat(filepath.Join(dir, "policy.cue")); err == nil {
				return usageError(fmt.Errorf("%s already holds a policy.cue; init does not overwrite policies", dir))
			}
			for _, p := range sortedFileNames(files) {
				full := filepath.Join(dir, filepath.FromSlash(p))
				if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
					return usageError(err)
				}
				if err := os.WriteFile(full, files[p], 0o644); err != nil {
					return usageError(err)
				}
			}
			fmt.Fprintf(s.out, "created %s with baseline %s\nnext: edit %s, then run: rampart vet %s\n",
				dir, baseline, filepath.Join(dir, "policy.cue"), dir)
			return nil
		},
	}
	cmd.Flags().StringVar(&baseline, "baseline", "owasp-api-2023", "baseline the policy embeds")
	cmd.Flags().StringVar(&name, "name", "", "policy name (default: the directory's name)")
	return cmd
}

// baselineIDs lists the embedded baselines.
func baselineIDs() []string {
	entries, _ := fs.ReadDir(baselines.Files, ".")
	var ids []string
	for _, e := range entries {
		if e.IsDir() {
			ids = append(ids, e.Name())
		}
	}
	return ids
}

// cuePackageName is a baseline's CUE package name: its ID without dashes.
func cuePackageName(id string) string { return strings.ReplaceAll(id, "-", "") }

// sanitizeName turns a directory name into a valid policy name.
func sanitizeName(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	out := strings.Trim(b.String(), "-")
	if out == "" || out[0] < 'a' || out[0] > 'z' {
		out = "policy-" + out
	}
	return strings.TrimSuffix(out, "-")
}

// initFiles returns the files init writes, by slash path.
func initFiles(baseline, name string) (map[string][]byte, error) {
	files := map[string][]byte{
		"cue.mod/module.cue": []byte("module: \"policy.local/" + name + "\"\nlanguage: version: \"v0.13.0\"\n"),
	}
	for prefix, src := range map[string]fs.FS{"schema": schema.Files, "baselines": baselines.Files} {
		err := fs.WalkDir(src, ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || path.Ext(p) != ".cue" {
				return err
			}
			data, err := fs.ReadFile(src, p)
			files[path.Join("cue.mod/pkg/rampart.dev", prefix, p)] = data
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	var buf bytes.Buffer
	err := starter.Execute(&buf, map[string]string{
		"Package":  strings.ReplaceAll(name, "-", ""),
		"Name":     name,
		"Import":   "rampart.dev/baselines/" + baseline + ":" + cuePackageName(baseline),
		"Baseline": cuePackageName(baseline),
		"Profile":  map[bool]string{true: "modern", false: "intermediate"}[baseline == "mozilla-modern"],
	})
	files["policy.cue"] = buf.Bytes()
	return files, err
}

func sortedFileNames(m map[string][]byte) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

var starter = template.Must(template.New("policy.cue").Parse(`// Policy {{.Name}}: edit the values below, then run "rampart vet".
// Schema reference: rampart.dev/schema (see cue.mod/pkg/rampart.dev/schema).
package {{.Package}}

import {{.Baseline}} "{{.Import}}"

{{.Baseline}}.#Policy

metadata: {
	name:  "{{.Name}}"
	owner: "Security team <security@example.com>"
}

listeners: public: {
	port: 443
	hosts: ["api.example.com"]
	tls: {
		profile: "{{.Profile}}"
		certificate: {cert: "/etc/rampart/tls/api.crt", key: "/etc/rampart/tls/api.key"}
		hsts: {}
	}
	redirectHTTP: port: 80
}

authentication: users: {
	kind:      "jwt"
	issuer:    "https://id.example.com/"
	audiences: ["https://api.example.com"]
	jwksURI:   "https://id.example.com/.well-known/jwks.json"
	rolesClaim: "roles"
	maxTokenAgeSeconds: 900
}

authFailures: {maxAttempts: 10, lockoutSeconds: 1800}

defaults: {
	authentication: ["users"]
	rateLimits: client: {requests: 600, per: "minute", burst: 50}
	limits: {
		maxBodyBytes:   1048576
		maxHeaderBytes: 16384
		timeouts: {headerSeconds: 10, bodySeconds: 30, idleSeconds: 60, upstreamSeconds: 30}
	}
}

services: api: {
	upstream: {
		url: "https://app.internal.example.com:8443"
		tls: {verify: true}
	}
	listeners: ["public"]
	routes: {
		health: {path: "/healthz", methods: ["GET"], public: true, classification: "public"}
		items: {
			path:    "/items"
			methods: ["GET", "POST"]
			allow: [{methods: ["GET"], anyAuthenticated: true}, {methods: ["POST"], roles: ["editor"]}]
		}
	}
}

logging: {
	sink: {kind: "file", path: "/var/log/rampart/access.log"}
	retentionDays: 365
	// pseudonymise who made each request: a keyed hash, not the raw subject
	redact: fields: identity: "hash"
}

// The gateways this policy is deployed to: rampart build and rampart report
// use them, and rampart vet checks that each enforces every control. Add
// "nginx", "kong" or "envoy" when you deploy there.
targets: deploy: ["goproxy"]
`))
