package live

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/drift"
	"github.com/rampart-policy/rampart/targets/kong"
)

// policyConf builds the policy's kong.conf.
func policyConf(t *testing.T) string {
	t.Helper()
	arts, err := kong.New().Build(context.Background(), testPolicy(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range arts {
		if a.Path == kong.ConfFile {
			return string(a.Data)
		}
	}
	t.Fatal("no kong.conf")
	return ""
}

// setConf replaces a setting's line (or appends it); an empty value
// removes the setting.
func setConf(conf, key, value string) string {
	var out []string
	done := false
	for _, line := range strings.Split(strings.TrimSuffix(conf, "\n"), "\n") {
		if k, _, ok := strings.Cut(line, " = "); ok && k == key {
			done = true
			if value == "" {
				continue
			}
			line = key + " = " + value
		}
		out = append(out, line)
	}
	if !done && value != "" {
		out = append(out, key+" = "+value)
	}
	return strings.Join(out, "\n") + "\n"
}

// confTamper changes the policy's kong.conf: a finding w on key must be
// among the findings, and every finding must be of w's control.
type confTamper struct {
	name, key string
	edit      func(conf string) string
	w         want
}

var confTampers = []confTamper{
	{"TLS 1.1 allowed", "ssl_protocols", func(c string) string { return setConf(c, "ssl_protocols", "TLSv1.1 TLSv1.2 TLSv1.3") },
		want{ir.CtlTLS, "", drift.Unexpected, drift.Weakening, ""}},
	{"weak cipher added", "ssl_ciphers", func(c string) string {
		return setConf(setConf(c, "ssl_cipher_suite", "custom"), "ssl_ciphers", "ECDHE-RSA-AES128-SHA")
	}, want{ir.CtlTLS, "", drift.Unexpected, drift.Weakening, ""}},
	{"cipher suite back to Kong's default", "ssl_cipher_suite", func(c string) string { return setConf(c, "ssl_cipher_suite", "") },
		want{ir.CtlTLS, "", drift.Changed, drift.Weakening, ""}},
	{"TLS dropped from the proxy listener", "proxy_listen", func(c string) string { return strings.Replace(c, " ssl", "", 1) },
		want{ir.CtlTLS, "", drift.Unexpected, drift.Weakening, ""}},
	{"session tickets on", "ssl_session_tickets", func(c string) string { return setConf(c, "ssl_session_tickets", "on") },
		want{ir.CtlTLS, "", drift.Changed, drift.Weakening, ""}},
	{"version headers back", "headers", func(c string) string { return setConf(c, "headers", "") },
		want{ir.CtlHeaders, "", drift.Unexpected, drift.Weakening, ""}},
	{"Admin API on every address", "admin_listen", func(c string) string { return setConf(c, "admin_listen", "0.0.0.0:8001") },
		want{ir.CtlUndeclared, "", drift.Unexpected, drift.Weakening, ""}},
	{"status API opened", "status_listen", func(c string) string { return setConf(c, "status_listen", "0.0.0.0:8100") },
		want{ir.CtlUndeclared, "", drift.Unexpected, drift.Weakening, ""}},
	{"Lua sandbox off", "untrusted_lua", func(c string) string { return setConf(c, "untrusted_lua", "on") },
		want{ir.CtlRedact, "", drift.Changed, drift.Weakening, ""}},
	{"body limit raised", "nginx_http_client_max_body_size", func(c string) string {
		return setConf(c, "nginx_http_client_max_body_size", "1g")
	}, want{ir.CtlBodyLimit, "", drift.Changed, drift.Weakening, ""}},
	{"body limit removed", "nginx_http_client_max_body_size", func(c string) string {
		return setConf(c, "nginx_http_client_max_body_size", "0")
	}, want{ir.CtlBodyLimit, "", drift.Changed, drift.Weakening, ""}},
	{"keepalive lengthened", "nginx_http_keepalive_timeout", func(c string) string {
		return setConf(c, "nginx_http_keepalive_timeout", "1h")
	}, want{ir.CtlTimeouts, "", drift.Changed, drift.Weakening, ""}},
	{"proxy trusted", "trusted_ips", func(c string) string { return setConf(c, "trusted_ips", "0.0.0.0/0") },
		want{ir.CtlClientAddress, "", drift.Unexpected, drift.Weakening, ""}},
	{"client address from a header", "real_ip_header", func(c string) string { return setConf(c, "real_ip_header", "X-Forwarded-For") },
		want{ir.CtlClientAddress, "", drift.Changed, drift.Weakening, ""}},
	{"PROXY protocol on the proxy listener", "proxy_listen", func(c string) string {
		return strings.Replace(c, " ssl", " ssl proxy_protocol", 1)
	}, want{ir.CtlTLS, "", drift.Unexpected, drift.Weakening, ""}},
	{"body limit lowered (stricter)", "nginx_http_client_max_body_size", func(c string) string {
		return setConf(c, "nginx_http_client_max_body_size", "1")
	}, want{ir.CtlBodyLimit, "", drift.Changed, drift.Strengthening, ""}},
}

// TestConfInlineKeyNotPrinted: a private key written into kong.conf in
// place of ssl_cert_key's path is found, but shown only as a fingerprint.
func TestConfInlineKeyNotPrinted(t *testing.T) {
	key := "-----BEGIN PRIVATE KEY-----MIIEvQIBADANBgkqhkiG9w0BAQEFAASC-----END PRIVATE KEY-----"
	path := filepath.Join(t.TempDir(), "kong.conf")
	os.WriteFile(path, []byte(setConf(policyConf(t), "ssl_cert_key", key)), 0o644)
	r := run(t, path)
	b, _ := json.Marshal(r)
	if strings.Contains(string(b), "MIIEvQ") {
		t.Fatalf("the key reached drift output:\n%s", b)
	}
	found := false
	for _, f := range r.Findings {
		found = found || (f.Path == "kong.conf:ssl_cert_key" && strings.HasPrefix(f.Actual, "[redacted sha256:"))
	}
	if !found {
		t.Fatalf("no fingerprinted ssl_cert_key finding:\n%s", b)
	}
}

// TestConfTampers: each change to kong.conf, read from a file, is found
// with its control, direction and severity and the policy's origin.
func TestConfTampers(t *testing.T) {
	orig := policyConf(t)
	for _, tc := range confTampers {
		t.Run(tc.name, func(t *testing.T) {
			conf := tc.edit(orig)
			if conf == orig {
				t.Fatal("the tamper changed nothing")
			}
			path := filepath.Join(t.TempDir(), "kong.conf")
			os.WriteFile(path, []byte(conf), 0o644)
			r := run(t, path)
			found := false
			for _, f := range r.Findings {
				if f.Control != tc.w.control || !strings.HasPrefix(f.Path, "kong.conf:") {
					b, _ := json.MarshalIndent(r.Findings, "", " ")
					t.Fatalf("want findings of %s in kong.conf only, got:\n%s", tc.w.control, b)
				}
				// undeclared and clientAddress (the peer, by default)
				// may be set nowhere in the policy
				if f.Origin == (ir.Origin{}) && tc.w.control != ir.CtlUndeclared && tc.w.control != ir.CtlClientAddress {
					t.Errorf("finding without the policy's origin: %+v", f)
				}
				found = found || (f.Path == "kong.conf:"+tc.key && f.Direction == tc.w.dir && f.Severity == tc.w.sev)
			}
			if !found {
				b, _ := json.MarshalIndent(r.Findings, "", " ")
				t.Fatalf("want a %s %s finding, got:\n%s", tc.w.dir, tc.w.sev, b)
			}
		})
	}
}

// TestConfUntouched: the policy's own kong.conf, alone, reformatted as an
// operator might write it, or beside kong.yaml in a directory, shows no
// drift; the directory's kong.yaml is compared too.
func TestConfUntouched(t *testing.T) {
	orig := policyConf(t)
	path := filepath.Join(t.TempDir(), "kong.conf")
	os.WriteFile(path, []byte(orig), 0o644)
	if r := run(t, path); r.Drifted() || len(r.Checks) != len(confSpecs) {
		t.Fatalf("kong.conf alone: drifted %v, %d checks: %+v", r.Drifted(), len(r.Checks), r.Findings)
	}
	var loose []string
	for _, line := range strings.Split(orig, "\n") {
		if k, v, ok := strings.Cut(line, " = "); ok {
			if k == "ssl_prefer_server_ciphers" || k == "ssl_session_tickets" {
				v = map[string]string{"on": "true", "off": "false"}[v]
			}
			line = "  " + strings.ToUpper(k) + "=" + strings.ReplaceAll(v, "#", `\#`) + "   # set by rampart"
		}
		loose = append(loose, line)
	}
	os.WriteFile(path, []byte("# operator's copy\n"+strings.Join(loose, "\n")), 0o644)
	if r := run(t, path); r.Drifted() {
		t.Fatalf("reformatted kong.conf: %+v", r.Findings)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "kong.conf"), []byte(orig), 0o644)
	os.WriteFile(filepath.Join(dir, "kong.yaml"), deck(t, testPolicy(t)), 0o644)
	r := run(t, dir)
	if r.Drifted() || len(r.Checks) < 1000+len(confSpecs) {
		t.Fatalf("directory: drifted %v, %d checks", r.Drifted(), len(r.Checks))
	}
	os.WriteFile(filepath.Join(dir, "kong.conf"), []byte(setConf(orig, "ssl_protocols", "TLSv1 TLSv1.2 TLSv1.3")), 0o644)
	r = run(t, dir)
	if len(r.Findings) == 0 {
		t.Fatal("directory with TLS 1.0 allowed: no finding")
	}
	for _, f := range r.Findings {
		if f.Control != ir.CtlTLS || f.Severity != drift.Weakening || f.Path != "kong.conf:ssl_protocols" {
			t.Fatalf("directory with TLS 1.0 allowed: %+v", r.Findings)
		}
	}
}

// TestConfSource: a directory holding neither file, and a line that is
// not a setting, are errors.
func TestConfSource(t *testing.T) {
	if _, err := New().Fetch(context.Background(), t.TempDir()); err == nil {
		t.Fatal("an empty directory was read")
	}
	path := filepath.Join(t.TempDir(), "kong.conf")
	os.WriteFile(path, []byte("ssl_protocols = TLSv1.3\nthis is not a setting\n"), 0o644)
	if _, err := drift.Run(context.Background(), New(), testPolicy(t), path); err == nil {
		t.Fatal("a kong.conf with a stray line was read")
	}
}
