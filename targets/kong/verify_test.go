package kong_test

import (
	"strings"
	"testing"

	"github.com/rampart-policy/rampart/targets/internal/golden"
	"github.com/rampart-policy/rampart/targets/kong"
)

// validFile decodes the oss fixture's kong.yaml.
func validFile(t *testing.T) *kong.File {
	t.Helper()
	f, err := kong.Decode(artifact(t, golden.ReadIR(t, "testdata/oss.ir.yaml"), kong.DeckFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := kong.CheckFile(f); err != nil {
		t.Fatalf("the valid file fails: %v", err)
	}
	return f
}

// plugin returns the named plugin's config on the named route.
func plugin[T any](t *testing.T, f *kong.File, route, name string) T {
	t.Helper()
	for _, s := range append(f.Services, kong.Service{Routes: f.Routes}) {
		for _, r := range s.Routes {
			for _, p := range r.Plugins {
				if r.Name == route && p.Name == name {
					return p.Config.(T)
				}
			}
		}
	}
	t.Fatalf("no %s plugin on route %s", name, route)
	var zero T
	return zero
}

// TestCheckFileRejects breaks one Kong entity rule per case; CheckFile
// (which Build runs on every kong.yaml) must refuse each.
func TestCheckFileRejects(t *testing.T) {
	cases := map[string]func(t *testing.T, f *kong.File){
		"format version": func(t *testing.T, f *kong.File) { f.FormatVersion = "1.1" },
		"key-auth shows credentials": func(t *testing.T, f *kong.File) {
			plugin[*kong.KeyAuthConfig](t, f, "orders.list", "key-auth").HideCredentials = false
		},
		"key-auth reads the body": func(t *testing.T, f *kong.File) {
			plugin[*kong.KeyAuthConfig](t, f, "orders.list", "key-auth").KeyInBody = true
		},
		"key name with a space": func(t *testing.T, f *kong.File) {
			plugin[*kong.KeyAuthConfig](t, f, "orders.list", "key-auth").KeyNames = []string{"x key"}
		},
		"acl allow and deny": func(t *testing.T, f *kong.File) {
			plugin[*kong.ACLConfig](t, f, "orders.list", "acl").Deny = []string{"x"}
		},
		"acl neither": func(t *testing.T, f *kong.File) {
			plugin[*kong.ACLConfig](t, f, "orders.list", "acl").Allow = nil
		},
		"rate limit cluster": func(t *testing.T, f *kong.File) {
			plugin[*kong.RateLimitingConfig](t, f, "orders.list", "rate-limiting").Policy = "cluster"
		},
		"rate limit windows out of order": func(t *testing.T, f *kong.File) {
			n := 1
			plugin[*kong.RateLimitingConfig](t, f, "orders.list", "rate-limiting").Minute = &n
		},
		"rate limit without a window": func(t *testing.T, f *kong.File) {
			c := plugin[*kong.RateLimitingConfig](t, f, "orders.list", "rate-limiting")
			c.Second, c.Minute = nil, nil
		},
		"rate limit fails open": func(t *testing.T, f *kong.File) {
			plugin[*kong.RateLimitingConfig](t, f, "orders.list", "rate-limiting").FaultTolerant = true
		},
		"rate limit header without name": func(t *testing.T, f *kong.File) {
			plugin[*kong.RateLimitingConfig](t, f, "web.static", "rate-limiting").HeaderName = ""
		},
		"ordering after a log plugin": func(t *testing.T, f *kong.File) {
			r := &f.Services[0].Routes[0]
			for i := range r.Plugins {
				if r.Plugins[i].Name == "rate-limiting" {
					r.Plugins[i].Ordering = &kong.PluginOrdering{Before: map[string][]string{"log": {"file-log"}}}
				}
			}
		},
		"redis policy without redis": func(t *testing.T, f *kong.File) {
			plugin[*kong.RateLimitingConfig](t, f, "orders.list", "rate-limiting").Policy = "redis"
		},
		"body limit in megabytes": func(t *testing.T, f *kong.File) {
			plugin[*kong.RequestSizeConfig](t, f, "orders.list", "request-size-limiting").SizeUnit = "megabytes"
		},
		"cors passes preflights on": func(t *testing.T, f *kong.File) {
			plugin[*kong.CORSConfig](t, f, "orders.list", "cors").PreflightContinue = true
		},
		"header entry without a name": func(t *testing.T, f *kong.File) {
			c := plugin[*kong.ResponseTransformerConfig](t, f, "orders.list", "response-transformer")
			c.Add.Headers = append(c.Add.Headers, "X Bad:v")
		},
		"header value with a newline": func(t *testing.T, f *kong.File) {
			c := plugin[*kong.ResponseTransformerConfig](t, f, "orders.list", "response-transformer")
			c.Replace.Headers = append(c.Replace.Headers, "X-A:v\r\nSet-Cookie: a=b")
		},
		"log path relative": func(t *testing.T, f *kong.File) {
			plugin[*kong.FileLogConfig](t, f, "orders.list", "file-log").Path = "access.log"
		},
		"lua not a fixed snippet": func(t *testing.T, f *kong.File) {
			plugin[*kong.FileLogConfig](t, f, "orders.list", "file-log").CustomFieldsByLua["x"] = `os.execute("id")`
		},
		"two plugins of a kind": func(t *testing.T, f *kong.File) {
			r := &f.Services[0].Routes[0]
			r.Plugins = append(r.Plugins, r.Plugins[0])
		},
		"tag with a slash": func(t *testing.T, f *kong.File) {
			f.Services[0].Routes[0].Tags = append(f.Services[0].Routes[0].Tags, "a/b")
		},
		"log path with a percent": func(t *testing.T, f *kong.File) {
			plugin[*kong.FileLogConfig](t, f, "orders.list", "file-log").Path = "/var/log/%s"
		},
		"host with a space": func(t *testing.T, f *kong.File) { f.Services[0].Routes[0].Hosts = []string{"a b.example"} },
		"path with a newline": func(t *testing.T, f *kong.File) {
			f.Services[0].Routes[0].Paths = []string{"~/a\nb$"}
		},
		"route name twice": func(t *testing.T, f *kong.File) { f.Services[1].Routes[0].Name = f.Services[0].Routes[0].Name },
		"unanchored path":  func(t *testing.T, f *kong.File) { f.Services[0].Routes[0].Paths = []string{"/orders"} },
		"redirect on plain http": func(t *testing.T, f *kong.File) {
			f.Services[0].Routes[0].Protocols = []string{"http", "https"}
		},
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			f := validFile(t)
			mutate(t, f)
			if err := kong.CheckFile(f); err == nil {
				t.Fatal("CheckFile accepted it")
			}
		})
	}
}

// TestCheckConfRejects breaks kong.conf's security settings.
func TestCheckConfRejects(t *testing.T) {
	conf := string(artifact(t, golden.ReadIR(t, "testdata/oss.ir.yaml"), kong.ConfFile))
	if err := kong.CheckConf([]byte(conf)); err != nil {
		t.Fatalf("the valid kong.conf fails: %v", err)
	}
	cases := map[string][2]string{
		"admin on every address": {"admin_listen = 127.0.0.1:8001", "admin_listen = 0.0.0.0:8001"},
		"admin also public":      {"admin_listen = 127.0.0.1:8001", "admin_listen = 127.0.0.1:8001, 0.0.0.0:8444 ssl"},
		"version headers on":     {"headers = off", "headers = server_tokens"},
		"a database":             {"database = off", "database = postgres"},
		"custom without ciphers": {"ssl_ciphers = ", "# ssl_ciphers = "},
		"setting twice":          {"headers = off", "headers = off\nheaders = off"},
		"not a setting":          {"headers = off", "headers = off\nheaders"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			bad := strings.Replace(conf, c[0], c[1], 1)
			if bad == conf {
				t.Fatal("case does not change kong.conf")
			}
			if err := kong.CheckConf([]byte(bad)); err == nil {
				t.Fatalf("CheckConf accepted:\n%s", bad)
			}
		})
	}
}

// TestConfPrintRefusesInjection: a value that could end the line or start
// a comment never reaches kong.conf.
func TestConfPrintRefusesInjection(t *testing.T) {
	for _, v := range []string{"a\nadmin_listen = 0.0.0.0:8001", "/x # y", "a\\b", " lead", `"q"`, ""} {
		c := &kong.Conf{Settings: []kong.Setting{{Key: "ssl_cert", Value: v}}}
		if out, err := c.Print(); err == nil {
			t.Errorf("Print accepted %q:\n%s", v, out)
		}
	}
}

// TestVerifyRejectsNonCanonicalYAML: Build's round trip refuses a file
// that does not print back to the same bytes, or that has unknown fields.
func TestVerifyRejectsNonCanonicalYAML(t *testing.T) {
	p := golden.ReadIR(t, "testdata/oss.ir.yaml")
	deck, conf := artifact(t, p, kong.DeckFile), artifact(t, p, kong.ConfFile)
	if err := kong.Verify(deck, conf); err != nil {
		t.Fatal(err)
	}
	for name, bad := range map[string]string{
		"unquoted string": strings.Replace(string(deck), `"name": "orders"`, `"name": orders`, 1),
		"unknown field":   strings.Replace(string(deck), `"reopen": false`, `"reopen": false`+"\n              \"rotate\": true", 1),
		"unknown plugin":  strings.Replace(string(deck), `"name": "acl"`, `"name": "pre-function"`, 1),
		"second document": string(deck) + "---\n\"_format_version\": \"3.0\"\n",
	} {
		if bad == string(deck) {
			t.Fatalf("%s: case does not change the file", name)
		}
		if err := kong.Verify([]byte(bad), conf); err == nil {
			t.Errorf("%s: Verify accepted it", name)
		}
	}
}

// TestDecodeStrict: Decode itself (not only the round trip after it)
// refuses a field that neither a plugin nor its config declares, and a
// plugin rampart does not emit.
func TestDecodeStrict(t *testing.T) {
	deck := string(artifact(t, golden.ReadIR(t, "testdata/oss.ir.yaml"), kong.DeckFile))
	if _, err := kong.Decode([]byte(deck)); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string][3]string{
		"unknown config field": {`"reopen": false`, `"reopen": false` + "\n          \"rotate\": true", "rotate"},
		"unknown plugin field": {`"name": "file-log"`, `"name": "file-log"` + "\n        \"enabled\": true", "enabled"},
		"unknown plugin":       {`"name": "acl"`, `"name": "pre-function"`, "pre-function"},
		"config of a kind":     {`"reopen": false`, `"reopen": []`, "bool"},
	} {
		bad := strings.Replace(deck, c[0], c[1], 1)
		if bad == deck {
			t.Fatalf("%s: case does not change the file", name)
		}
		_, err := kong.Decode([]byte(bad))
		if err == nil || !strings.Contains(err.Error(), c[2]) {
			t.Errorf("%s: Decode error %v, want one naming %q", name, err, c[2])
		}
	}
}
