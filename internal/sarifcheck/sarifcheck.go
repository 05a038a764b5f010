package sarifcheck

import (
	"bytes"
	"os"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/rampart-policy/rampart/internal/reference"
)

// Validate fails t unless data is one SARIF 2.1.0 log that the OASIS
// schema (reference/sarif/sarif-schema-2.1.0.json) accepts. It returns the
// decoded log for further checks.
func Validate(t testing.TB, data []byte) map[string]any {
	t.Helper()
	path := reference.Path(t, "sarif", "sarif-schema-2.1.0.json")
	schemaFile, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer schemaFile.Close()
	doc, err := jsonschema.UnmarshalJSON(schemaFile)
	if err != nil {
		t.Fatalf("reading the SARIF schema: %v", err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("sarif-schema-2.1.0.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("sarif-schema-2.1.0.json")
	if err != nil {
		t.Fatalf("compiling the SARIF schema: %v", err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("SARIF output is not JSON: %v\n%s", err, data)
	}
	if err := sch.Validate(inst); err != nil {
		t.Fatalf("SARIF output does not match the SARIF 2.1.0 schema: %v\n%s", err, data)
	}
	log, ok := inst.(map[string]any)
	if !ok {
		t.Fatalf("SARIF output is not an object")
	}
	return log
}
