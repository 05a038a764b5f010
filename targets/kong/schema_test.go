package kong_test
import "testing"
func validateSchemas(t *testing.T, b []byte) {}
