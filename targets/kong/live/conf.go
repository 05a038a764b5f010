package live

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/drift"
)

// confKind says how a kong.conf setting is compared.
type confKind int

const (
	confText     confKind = iota // one value
	confList                     // a list split at sep, compared as a set
	confListen                   // a listen list: "addr:port [ssl]" entries as a set
	confSize                     // an nginx size ("10m"); 0 is unlimited
	confDuration                 // an nginx time ("60s", "1m")
	confBufSize                  // "number size": the size is compared
)

// confSpec is one compared kong.conf setting. Default is Kong's value
// when the setting is absent (kong/templates/kong_defaults.lua; nginx's
// own default for nginx_http_* that Kong leaves unset).
type confSpec struct {
	Key, Control string
	Kind         confKind
	Sep          string
	Rule         drift.Rule
	Default      string
	// Secret marks a setting Kong also takes as inline content (a
	// private key): a value that is not a file path is shown only as
	// a fingerprint.
	Secret bool
}

// confSpecs are the settings compared: every setting the kong target
// writes, and those it leaves at Kong's default whose change weakens the
// node (another listener, a trusted proxy, a looser Lua sandbox). Each
// is compared whether or not the policy's kong.conf sets it, against
// Kong's default where absent.
var confSpecs = []confSpec{
	{Key: "database", Control: ir.CtlUndeclared, Rule: drift.AnyWeakens, Default: "postgres"},
	{Key: "declarative_config", Control: ir.CtlUndeclared, Rule: drift.AnyWeakens},
	{Key: "proxy_listen", Control: ir.CtlTLS, Kind: confListen, Rule: drift.HigherWeakens,
		Default: "0.0.0.0:8000 reuseport backlog=16384, 0.0.0.0:8443 http2 ssl reuseport backlog=16384"},
	{Key: "admin_listen", Control: ir.CtlUndeclared, Kind: confListen, Rule: drift.HigherWeakens,
		Default: "127.0.0.1:8001 reuseport backlog=16384, 127.0.0.1:8444 http2 ssl reuseport backlog=16384"},
	{Key: "admin_gui_listen", Control: ir.CtlUndeclared, Kind: confListen, Rule: drift.HigherWeakens,
		Default: "0.0.0.0:8002, 0.0.0.0:8445 ssl"},
	{Key: "status_listen", Control: ir.CtlUndeclared, Kind: confListen, Rule: drift.HigherWeakens, Default: "off"},
	{Key: "stream_listen", Control: ir.CtlUndeclared, Kind: confListen, Rule: drift.HigherWeakens, Default: "off"},
	{Key: "headers", Control: ir.CtlHeaders, Kind: confList, Sep: ",", Rule: drift.HigherWeakens, Default: "server_tokens, latency_tokens"},
	{Key: "untrusted_lua", Control: ir.CtlRedact, Rule: drift.AnyWeakens, Default: "sandbox"},
	{Key: "untrusted_lua_sandbox_requires", Control: ir.CtlRedact, Kind: confList, Sep: ",", Rule: drift.HigherWeakens},
	{Key: "untrusted_lua_sandbox_environment", Control: ir.CtlRedact, Kind: confList, Sep: ",", Rule: drift.HigherWeakens},
	{Key: "trusted_ips", Control: ir.CtlClientAddress, Kind: confList, Sep: ",", Rule: drift.HigherWeakens},
	{Key: "real_ip_header", Control: ir.CtlClientAddress, Rule: drift.AnyWeakens, Default: "X-Real-IP"},
	{Key: "real_ip_recursive", Control: ir.CtlClientAddress, Rule: drift.AnyWeakens, Default: "off"},
	{Key: "ssl_cert", Control: ir.CtlTLS, Rule: drift.AnyWeakens},
	{Key: "ssl_cert_key", Control: ir.CtlTLS, Rule: drift.AnyWeakens, Secret: true},
	{Key: "ssl_cipher_suite", Control: ir.CtlTLS, Rule: drift.AnyWeakens, Default: "intermediate"},
	{Key: "ssl_ciphers", Control: ir.CtlTLS, Kind: confList, Sep: ":", Rule: drift.HigherWeakens},
	{Key: "ssl_protocols", Control: ir.CtlTLS, Kind: confList, Sep: " ", Rule: drift.HigherWeakens, Default: "TLSv1.1 TLSv1.2 TLSv1.3"},
	{Key: "ssl_prefer_server_ciphers", Control: ir.CtlTLS, Rule: drift.AnyWeakens, Default: "on"},
	{Key: "ssl_dhparam", Control: ir.CtlTLS, Rule: drift.AnyWeakens},
	{Key: "ssl_session_tickets", Control: ir.CtlTLS, Rule: drift.AnyWeakens, Default: "on"},
	{Key: "nginx_http_client_max_body_size", Control: ir.CtlBodyLimit, Kind: confSize, Rule: drift.HigherWeakens, Default: "0"},
	{Key: "nginx_http_large_client_header_buffers", Control: ir.CtlHeaderLimit, Kind: confBufSize, Rule: drift.HigherWeakens, Default: "4 8k"},
	{Key: "nginx_http_client_header_timeout", Control: ir.CtlTimeouts, Kind: confDuration, Rule: drift.HigherWeakens, Default: "60s"},
	{Key: "nginx_http_client_body_timeout", Control: ir.CtlTimeouts, Kind: confDuration, Rule: drift.HigherWeakens, Default: "60s"},
	{Key: "nginx_http_keepalive_timeout", Control: ir.CtlTimeouts, Kind: confDuration, Rule: drift.HigherWeakens, Default: "75s"},
	{Key: "lua_ssl_trusted_certificate", Control: ir.CtlUpstreamTLS, Kind: confList, Sep: ",", Rule: drift.HigherWeakens, Default: "system"},
}

// parseKongConf reads a kong.conf as Kong's loader does: "key = value"
// lines, '#' starting a comment unless escaped as "\#", keys in any case,
// values trimmed, a later line overriding an earlier one. A line that is
// not a setting is an error.
func parseKongConf(data []byte) (map[string]string, error) {
	out := map[string]string{}
	for i, line := range strings.Split(string(data), "\n") {
		line = uncomment(line)
		if strings.TrimSpace(line) == "" {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		k = strings.ToLower(strings.TrimSpace(k))
		if !ok || !confKeyChars(k) {
			return nil, fmt.Errorf("kong.conf line %d is not a setting", i+1)
		}
		out[k] = strings.TrimSpace(v)
	}
	return out, nil
}

// uncomment drops a line's comment and unescapes "\#".
func uncomment(line string) string {
	var b strings.Builder
	for i := 0; i < len(line); i++ {
		switch {
		case line[i] == '\\' && i+1 < len(line) && line[i+1] == '#':
			b.WriteByte('#')
			i++
		case line[i] == '#':
			return b.String()
		default:
			b.WriteByte(line[i])
		}
	}
	return b.String()
}

func confKeyChars(k string) bool {
	if k == "" {
		return false
	}
	for _, c := range k {
		if !(c == '_' || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
			return false
		}
	}
	return true
}

// isKongConf reports whether data reads as a kong.conf: its first line
// that is neither blank nor a comment is "key = value".
func isKongConf(data []byte) bool {
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		t := bytes.TrimSpace(line)
		if len(t) == 0 || t[0] == '#' {
			continue
		}
		k, _, ok := bytes.Cut(t, []byte("="))
		return ok && len(k) < 200 && confKeyChars(strings.ToLower(string(bytes.TrimSpace(k))))
	}
	return false
}

// confValue is a setting's value, or Kong's default when absent; NONE
// reads as empty.
func confValue(conf map[string]string, s confSpec) string {
	v, ok := conf[s.Key]
	if !ok {
		v = s.Default
	}
	if strings.EqualFold(v, "NONE") {
		return ""
	}
	return v
}

// compareConf compares the policy's kong.conf with a live one, setting by
// setting.
func (c *comparer) compareConf(want, got map[string]string) {
	origins := map[string]ir.Origin{}
	for _, n := range c.p.Needs() {
		if _, ok := origins[n.Control]; !ok && n.Origin != (ir.Origin{}) {
			origins[n.Control] = n.Origin
		}
	}
	for _, s := range confSpecs {
		at := drift.At{Control: s.Control, Path: "kong.conf:" + s.Key, Origin: origins[s.Control]}
		w, g := confValue(want, s), confValue(got, s)
		name := "kong.conf " + s.Key
		switch s.Kind {
		case confList:
			c.d.Set(at, name, confItems(w, s.Sep), confItems(g, s.Sep), s.Rule)
		case confListen:
			c.d.Set(at, name, listenEntries(w), listenEntries(g), s.Rule)
		case confSize, confDuration, confBufSize:
			c.d.Number(at, name, confNumber(w, s.Kind), confNumber(g, s.Kind), s.Rule, showConfNumber(s.Kind))
		default:
			if s.Secret {
				w, g = shownSecret(w), shownSecret(g)
			}
			c.d.Value(at, name, confBool(w), confBool(g), s.Rule)
		}
	}
}

// shownSecret is a secret-capable setting as findings show it: a file
// path as it is, inline content (Kong takes a PEM or base64 key in place
// of a path) as a fingerprint.
func shownSecret(v string) string {
	if v == "" || (strings.HasPrefix(v, "/") && !strings.ContainsAny(v, "\n\r ")) {
		return v
	}
	return drift.Fingerprint(v)
}

// confItems splits a list setting; "off" is the empty list.
func confItems(v, sep string) []string {
	out := []string{}
	if strings.EqualFold(v, "off") {
		return out
	}
	for _, it := range strings.Split(v, sep) {
		if it = strings.TrimSpace(it); it != "" {
			out = append(out, it)
		}
	}
	return out
}

// listenEntries reduces a listen list to "address:port" entries with
// their "ssl" and "proxy_protocol" flags: the flags that change nothing the policy controls
// (reuseport, backlog=, http2, …) are dropped; "off" is no entry.
func listenEntries(v string) []string {
	var out []string
	for _, e := range confItems(v, ",") {
		fields := strings.Fields(e)
		entry := fields[0]
		for _, flag := range []string{"ssl", "proxy_protocol"} {
			if slices.Contains(fields[1:], flag) {
				entry += " " + flag
			}
		}
		out = append(out, entry)
	}
	return out
}

// confBool reads Kong's boolean spellings as on/off; other values as
// they are.
func confBool(v string) string {
	switch strings.ToLower(v) {
	case "on", "true":
		return "on"
	case "off", "false":
		return "off"
	}
	return v
}

// confNumber reads a size in bytes or a time in seconds; a size of 0 (no
// limit) and an unreadable value are unlimited (-1).
func confNumber(v string, k confKind) int64 {
	if k == confBufSize {
		f := strings.Fields(v)
		if len(f) != 2 {
			return -1
		}
		v = f[1]
	}
	units := map[byte]int64{'k': 1 << 10, 'm': 1 << 20, 'g': 1 << 30}
	if k == confDuration {
		units = map[byte]int64{'s': 1, 'm': 60, 'h': 3600, 'd': 86400}
	}
	mult := int64(1)
	if n := len(v); n > 0 {
		if u, ok := units[v[n-1]|0x20]; ok {
			mult, v = u, v[:n-1]
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 || (n == 0 && k != confDuration) {
		return -1
	}
	return n * mult
}

// showConfNumber formats sizes in bytes and times in seconds.
func showConfNumber(k confKind) func(int64) string {
	return func(n int64) string {
		switch {
		case n < 0:
			return "unlimited"
		case k == confDuration:
			return strconv.FormatInt(n, 10) + "s"
		}
		return strconv.FormatInt(n, 10) + " bytes"
	}
}
