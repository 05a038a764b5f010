package kong_test

import (
	"strings"
	"testing"

	"github.com/rampart-policy/rampart/internal/reference"
	"github.com/rampart-policy/rampart/targets/kong"
)

// validateSchemas checks a kong.yaml against Kong's published decK and
// plugin schemas (read in place from the shared reference folder).
func validateSchemas(t *testing.T, deck []byte) {
	t.Helper()
	if err := kong.ValidateSchemas(deck, reference.Path(t, "kong")); err != nil {
		t.Fatalf("kong.yaml fails Kong's published schemas: %v", err)
	}
}

// TestSchemasRejectWhatKongRejects shows the schema check can fail: each
// case breaks a valid file the way a buggy emitter could.
func TestSchemasRejectWhatKongRejects(t *testing.T) {
	ref := reference.Path(t, "kong")
	valid := `_format_version: "3.0"
services:
  - name: "s"
    host: "h"
    port: 80
    protocol: "http"
    routes:
      - name: "r"
        paths: ["~/a$"]
        plugins:
          - name: "acl"
            config: {allow: ["g"], hide_groups_header: true}
          - name: "rate-limiting"
            config: {minute: 5, policy: "local", limit_by: "ip", redis: {password: "{vault://env/REDIS_PASSWORD}"}}
`
	if err := kong.ValidateSchemas([]byte(valid), ref); err != nil {
		t.Fatalf("the valid file fails: %v", err)
	}
	cases := map[string][2]string{
		"unknown top-level key":    {`_format_version: "3.0"`, "_format_version: \"3.0\"\nupstreamz: []"},
		"unknown route field":      {`paths: ["~/a$"]`, `paths: ["~/a$"]` + "\n        pathz: []"},
		"unknown config field":     {`hide_groups_header: true`, `hide_groups_header: true, hide_groups: true`},
		"wrong config type":        {`minute: 5`, `minute: "5"`},
		"invalid enum":             {`policy: "local"`, `policy: "memory"`},
		"unknown plugin":           {`name: "acl"`, `name: "acl-ish"`},
		"vault ref not resolvable": {`allow: ["g"]`, `allow: ["{vault://env/G}"]`},
		"nested unknown field":     {`password: "{vault://env/REDIS_PASSWORD}"`, `password: "x", pass: "y"`},
		"port is not an integer":   {`port: 80`, `port: "80"`},
		"plugin without a name":    {`- name: "acl"`, `- instance: "acl"`},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			bad := strings.Replace(valid, c[0], c[1], 1)
			if bad == valid {
				t.Fatalf("case does not change the file")
			}
			if err := kong.ValidateSchemas([]byte(bad), ref); err == nil {
				t.Fatalf("accepted:\n%s", bad)
			}
		})
	}
}
