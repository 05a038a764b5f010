package accesslog

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/rampart-policy/rampart/proxy/config"
)

// marker starts every fuzzed secret, so that a secret cannot be found in
// the output by coincidence (in a hash, a status or a time).
const marker = "S3CR3T-"

// FuzzRedact logs arbitrary query strings with a secret in a redacted
// query parameter, header, identity and field, in every mode: each Log
// call writes exactly one line of valid JSON, and the secret is in none.
func FuzzRedact(f *testing.F) {
	f.Add("a=1&b=2", "api_key", "abc", byte(0))
	f.Add("token=x&TOKEN=y&%00=%ff", "token", "\"\\\n</script>", byte(1))
	f.Add("q=%E2%80%A8&q=\u2028", "Access_Token", "\xff\xfe", byte(2))
	f.Add(";;&&==", "k", "", byte(1))
	f.Fuzz(func(t *testing.T, raw, name, tail string, m byte) {
		if name == "" || strings.Contains(name, marker) {
			t.Skip()
		}
		secret := marker + tail
		mode := []string{"drop", "redact", "hash"}[int(m)%3]
		q, _ := url.ParseQuery(raw) // a partial parse is still a query to log
		for k, vs := range q {
			if strings.EqualFold(k, name) {
				delete(q, k)
				continue
			}
			if strings.Contains(k, marker) || strings.Contains(strings.Join(vs, ""), marker) {
				t.Skip() // the secret is also in a value logged as it is
			}
		}
		q.Add(name, secret)
		q.Add(strings.ToUpper(name), secret)
		cfg := config.AccessLog{Enabled: true, Fields: allFields, AuthFailures: true, Redact: []config.Redaction{
			{Kind: "query", Name: name, Mode: mode},
			{Kind: "header", Name: "authorization", Mode: mode},
			{Kind: "field", Name: "identity", Mode: mode},
			{Kind: "field", Name: name, Mode: mode},
		}}
		e := Entry{
			Method: "GET", Path: "/p?" + raw + "&x=" + secret, Query: q, Status: 200,
			Identity:       secret,
			RequestHeaders: http.Header{"Authorization": {secret}, "X-Other": {secret}},
			AuthFailure:    "apikey: unknown key",
			Fields:         map[string]string{name: secret},
		}
		var buf bytes.Buffer
		l, err := New(&buf, cfg, testKey)
		if err != nil {
			t.Fatal(err)
		}
		l.Log(e)
		l.Log(e)
		checkLines(t, buf.Bytes(), 2, secret)
	})
}

// checkLines checks out is n lines of JSON objects without secret.
func checkLines(t *testing.T, out []byte, n int, secret string) {
	t.Helper()
	if bytes.Contains(out, []byte(secret)) {
		t.Fatalf("secret %q written: %s", secret, out)
	}
	lines := bytes.SplitAfter(out, []byte("\n"))
	if len(lines) != n+1 || len(lines[n]) != 0 {
		t.Fatalf("want %d lines, got %q", n, out)
	}
	for _, line := range lines[:n] {
		var v map[string]any
		if err := json.Unmarshal(line, &v); err != nil {
			t.Fatalf("line is not a JSON object: %v: %q", err, line)
		}
		if !utf8.ValidString(secret) {
			continue // escaped as U+FFFD: the byte check above covers it
		}
		walkStrings(v, func(s string) {
			if strings.Contains(s, secret) {
				t.Fatalf("secret %q written (decoded): %q", secret, line)
			}
		})
	}
}

// walkStrings calls fn on every key and string in a decoded JSON value.
func walkStrings(v any, fn func(string)) {
	switch v := v.(type) {
	case string:
		fn(v)
	case []any:
		for _, x := range v {
			walkStrings(x, fn)
		}
	case map[string]any:
		for k, x := range v {
			fn(k)
			walkStrings(x, fn)
		}
	}
}
