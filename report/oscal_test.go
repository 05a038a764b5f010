package report

import (
	"bytes"
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/rampart-policy/rampart/internal/reference"
)

var (
	oscalOnce   sync.Once
	oscalSchema *jsonschema.Schema
	oscalErr    error
)

// loadOSCAL compiles the published OSCAL 1.2.2 complete schema, read in
// place from shared/reference, with format assertions on.
func loadOSCAL(t *testing.T) *jsonschema.Schema {
	t.Helper()
	path := reference.Path(t, "oscal", "oscal_complete_schema-1.2.2.json")
	oscalOnce.Do(func() {
		f, err := os.Open(path)
		if err != nil {
			oscalErr = err
			return
		}
		defer f.Close()
		doc, err := jsonschema.UnmarshalJSON(f)
		if err != nil {
			oscalErr = err
			return
		}
		c := jsonschema.NewCompiler()
		c.AssertFormat()
		if oscalErr = c.AddResource("file:///oscal_complete_schema-1.2.2.json", doc); oscalErr != nil {
			return
		}
		oscalSchema, oscalErr = c.Compile("file:///oscal_complete_schema-1.2.2.json")
	})
	if oscalErr != nil {
		t.Fatalf("compiling the OSCAL schema: %v", oscalErr)
	}
	return oscalSchema
}

// validateOSCAL validates one document against the schema.
func validateOSCAL(t *testing.T, sch *jsonschema.Schema, name string, data []byte) {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Errorf("%s is not valid OSCAL 1.2.2: %v", name, err)
	}
}

// TestOSCALValid validates the assessment-results and component-definition
// of every framework on every example, with and without a timestamp.
func TestOSCALValid(t *testing.T) {
	sch := loadOSCAL(t)
	for ex := range examples {
		p := compileExample(t, ex)
		for _, fw := range FrameworkIDs() {
			r := assess(t, p, fw, Input{})
			validateOSCAL(t, sch, ex+"/"+fw+"/ar", render(t, r, "oscal"))
			validateOSCAL(t, sch, ex+"/"+fw+"/cd", render(t, r, "oscal-component"))
		}
	}
	r := assess(t, compileExample(t, "eu-saas"), "gdpr", Input{Timestamp: today.Add(9 * 3600e9)})
	validateOSCAL(t, sch, "timestamped ar", render(t, r, "oscal"))
}

// TestOSCALSchemaRejects proves the validation can fail: a document with a
// native citation as control id, and one with a random (v1) uuid.
func TestOSCALSchemaRejects(t *testing.T) {
	sch := loadOSCAL(t)
	r := assess(t, compileExample(t, "hospital-records"), "hipaa", Input{})
	good := string(render(t, r, "oscal"))
	bad := strings.Replace(good, `"control-id": "hipaa-164.312-e-1"`, `"control-id": "164.312(e)(1)"`, 1)
	if bad == good {
		t.Fatal("token id not found in the document")
	}
	inst, _ := jsonschema.UnmarshalJSON(strings.NewReader(bad))
	if sch.Validate(inst) == nil {
		t.Error("a native citation as control-id validated")
	}
	var doc map[string]map[string]any
	if err := json.Unmarshal([]byte(good), &doc); err != nil {
		t.Fatal(err)
	}
	doc["assessment-results"]["uuid"] = "6ba7b810-9dad-11d1-80b4-00c04fd430c8"
	data, _ := json.Marshal(doc)
	inst, _ = jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if sch.Validate(inst) == nil {
		t.Error("a version 1 uuid validated")
	}
}

// TestUUIDDerived: uuids are version 5, stable for the same content and
// different for different content.
func TestUUIDDerived(t *testing.T) {
	v5 := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	if u := uuid5("x"); !v5.MatchString(u) || u != uuid5("x") || u == uuid5("y") {
		t.Errorf("uuid5: %s", u)
	}
	p := compileExample(t, "hospital-records")
	a := string(render(t, assess(t, p, "hipaa", Input{}), "oscal"))
	b := string(render(t, assess(t, p, "nist-800-53", Input{}), "oscal"))
	ua, ub := docUUID(t, a), docUUID(t, b)
	if ua == ub || !v5.MatchString(ua) {
		t.Errorf("document uuids %s and %s", ua, ub)
	}
}

// docUUID returns an assessment-results document's uuid.
func docUUID(t *testing.T, s string) string {
	t.Helper()
	var doc struct {
		AR struct {
			UUID string `json:"uuid"`
		} `json:"assessment-results"`
	}
	if err := json.Unmarshal([]byte(s), &doc); err != nil {
		t.Fatal(err)
	}
	return doc.AR.UUID
}
