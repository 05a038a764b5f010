// Package secrets resolves the secret references a proxy config carries
// ("env:NAME", "file:/path"); the config never holds a secret itself.
package secrets

import (
	"fmt"
	"os"
	"strings"
)

// Resolver returns the secret a reference names.
type Resolver func(ref string) (string, error)

// FromEnvironment resolves "env:NAME" from the process environment and
// "file:/path" from a file (trailing newline trimmed). "vault:" references
// need a Vault client the proxy does not have: they fail, so a policy that
// uses one fails to load rather than running without its secret.
func FromEnvironment(ref string) (string, error) {
	scheme, name, ok := strings.Cut(ref, ":")
	if !ok || name == "" {
		return "", fmt.Errorf("secret reference %q: want env:NAME or file:/path", ref)
	}
	switch scheme {
	case "env":
		v, ok := os.LookupEnv(name)
		if !ok || v == "" {
			return "", fmt.Errorf("secret reference %s: environment variable %s is not set", ref, name)
		}
		return v, nil
	case "file":
		b, err := os.ReadFile(name)
		if err != nil {
			return "", fmt.Errorf("secret reference %s: %w", ref, err)
		}
		return strings.TrimRight(string(b), "\r\n"), nil
	}
	return "", fmt.Errorf("secret reference %s: scheme %q is not supported by rampart's proxy (use env: or file:)", ref, scheme)
}
