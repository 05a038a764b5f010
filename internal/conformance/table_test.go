package conformance

import (
	"crypto/tls"
	"io"
	"net/http"
	"strings"
	"testing"
)

// request is one row of the conformance table: what is sent, the status
// both gateways must answer, and response headers that must be present
// (value "" means only present).
type request struct {
	name    string
	method  string
	path    string
	body    string
	headers map[string]string
	status  int
	want    map[string]string
	// repeat sends the request this many times first (rate limits).
	repeat int
}

// securityHeaders are on every response, allowed or denied.
var securityHeaders = map[string]string{
	"X-Content-Type-Options":    "nosniff",
	"X-Frame-Options":           "DENY",
	"Referrer-Policy":           "no-referrer",
	"Strict-Transport-Security": "max-age=63072000; includeSubDomains",
}

var key = map[string]string{"X-API-Key": apiKey}

// table is the suite. Where nginx legitimately differs (error body
// wording) the table does not look.
var table = []request{
	{name: "public route", method: "GET", path: "/status", status: 200, want: securityHeaders},
	{name: "allowed with key", method: "GET", path: "/items", headers: key, status: 200, want: securityHeaders},
	{name: "no key", method: "GET", path: "/items", status: 401, want: securityHeaders},
	{name: "wrong key", method: "GET", path: "/items", headers: map[string]string{"X-API-Key": "nope"}, status: 401},
	{name: "role missing", method: "GET", path: "/admin", headers: key, status: 403},
	{name: "rule for method missing", method: "POST", path: "/items", body: "{}", headers: merge(key, map[string]string{"Content-Type": "application/json"}), status: 403},
	{name: "method not declared", method: "DELETE", path: "/items", headers: key, status: 405},
	{name: "undeclared route", method: "GET", path: "/nope", headers: key, status: 404},
	{name: "body too large", method: "POST", path: "/upload", body: strings.Repeat("x", 4096), headers: key, status: 413},
	{name: "body within limit", method: "POST", path: "/upload", body: "small", headers: key, status: 200},
	{name: "wrong content type", method: "POST", path: "/items", body: "{}", headers: merge(key, map[string]string{"Content-Type": "text/plain"}), status: 415},
	{name: "CORS preflight", method: "OPTIONS", path: "/items", headers: map[string]string{"Origin": "https://app.example.com", "Access-Control-Request-Method": "GET"},
		status: 204, want: map[string]string{"Access-Control-Allow-Origin": "https://app.example.com"}},
	{name: "CORS on a response", method: "GET", path: "/items", headers: merge(key, map[string]string{"Origin": "https://app.example.com"}),
		status: 200, want: map[string]string{"Access-Control-Allow-Origin": "https://app.example.com"}},
	{name: "rate limited after burst", method: "GET", path: "/status", repeat: 2, status: 429},
	{name: "dot segments refused", method: "GET", path: "/status/../admin", headers: key, status: 400},
}

func merge(a, b map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// check sends the row to g and compares.
func (c request) check(t *testing.T, g gateway) {
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true, ServerName: "api.example.com"}}}
	var resp *http.Response
	for i := 0; i <= c.repeat; i++ {
		var body io.Reader
		if c.body != "" {
			body = strings.NewReader(c.body)
		}
		req, _ := http.NewRequest(c.method, "https://"+g.addr+c.path, body)
		req.URL.Opaque = c.path // sent as written: no dot-segment cleaning
		req.Host = "api.example.com"
		for k, v := range c.headers {
			req.Header.Set(k, v)
		}
		r, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, r.Body)
		r.Body.Close()
		resp = r
	}
	if resp.StatusCode != c.status {
		t.Errorf("%s %s: status %d, want %d", c.method, c.path, resp.StatusCode, c.status)
	}
	for k, v := range c.want {
		if got := resp.Header.Get(k); got == "" || (v != "" && got != v) {
			t.Errorf("%s %s: header %s = %q, want %q", c.method, c.path, k, got, v)
		}
	}
}

// checkTLS: TLS 1.1 refused, TLS 1.2 and 1.3 accepted.
func checkTLS(t *testing.T, addr string) {
	for v, ok := range map[uint16]bool{tls.VersionTLS11: false, tls.VersionTLS12: true, tls.VersionTLS13: true} {
		c, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true, ServerName: "api.example.com", MinVersion: v, MaxVersion: v})
		if err == nil {
			c.Close()
		}
		if (err == nil) != ok {
			t.Errorf("TLS version %#x: handshake error %v, want accepted=%v", v, err, ok)
		}
	}
}
