package schema_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
	"github.com/google/go-cmp/cmp"

	"github.com/rampart-policy/rampart/internal/reference"
	"github.com/rampart-policy/rampart/schema"
)

// TestMozillaProfilesMatchReference checks #MozillaProfiles against
// Mozilla's own guideline JSON for every version and profile rampart
// offers: TLS floor, TLS 1.2 ciphers (OpenSSL names) and curves.
func TestMozillaProfilesMatchReference(t *testing.T) {
	profiles := loadProfiles(t)
	for _, version := range []string{"5.7", "6.0"} {
		ref := readReference(t, version)
		for _, name := range []string{"modern", "intermediate"} {
			want := ref.Configurations[name]
			var got struct {
				MinVersion string   `json:"minVersion"`
				Ciphers    []string `json:"ciphers"`
				Curves     []string `json:"curves"`
				HSTSMinAge int      `json:"hstsMinAge"`
			}
			if err := profiles.LookupPath(cue.MakePath(cue.Str(version), cue.Str(name))).Decode(&got); err != nil {
				t.Fatalf("%s %s: %v", version, name, err)
			}
			if diff := cmp.Diff(want.Ciphers.OpenSSL, got.Ciphers); diff != "" {
				t.Errorf("%s %s ciphers (-mozilla +schema):\n%s", version, name, diff)
			}
			if diff := cmp.Diff(want.Curves, got.Curves); diff != "" {
				t.Errorf("%s %s curves (-mozilla +schema):\n%s", version, name, diff)
			}
			if floor := strings.TrimPrefix(want.Versions[0], "TLSv"); floor != got.MinVersion {
				t.Errorf("%s %s: minVersion %s, Mozilla's lowest is %s", version, name, got.MinVersion, floor)
			}
			if want.HSTSMinAge != got.HSTSMinAge {
				t.Errorf("%s %s: hstsMinAge %d, Mozilla says %d", version, name, got.HSTSMinAge, want.HSTSMinAge)
			}
		}
	}
}

type guidelines struct {
	Configurations map[string]struct {
		Ciphers struct {
			OpenSSL []string `json:"openssl"`
		} `json:"ciphers"`
		Curves     []string `json:"tls_curves"`
		Versions   []string `json:"tls_versions"`
		HSTSMinAge int      `json:"hsts_min_age"`
	} `json:"configurations"`
}

func readReference(t *testing.T, version string) guidelines {
	t.Helper()
	data, err := os.ReadFile(reference.Path(t, "mozilla-tls", version+".json"))
	if err != nil {
		t.Fatalf("reading Mozilla's guidelines: %v", err)
	}
	var r guidelines
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// loadProfiles compiles the embedded schema files and returns #MozillaProfiles.
func loadProfiles(t *testing.T) cue.Value {
	t.Helper()
	data, err := schema.Files.ReadFile("tls.cue")
	if err != nil {
		t.Fatal(err)
	}
	types, _ := schema.Files.ReadFile("types.cue")
	ctx := cuecontext.New()
	v := ctx.CompileBytes(append(append(data, '\n'), stripPackage(types)...), cue.Filename("tls.cue"))
	if err := v.Err(); err != nil {
		t.Fatal(err)
	}
	return v.LookupPath(cue.ParsePath("#MozillaProfiles"))
}

func stripPackage(b []byte) []byte {
	s := string(b)
	if i := strings.Index(s, "package schema"); i >= 0 {
		s = s[:i] + s[i+len("package schema"):]
	}
	return []byte(s)
}
