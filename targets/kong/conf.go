package kong

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/rampart-policy/rampart/compiler/ir"
)

// ConfFile and DeckFile are the artifacts' names; DeclarativePath is
// where kong.conf expects kong.yaml on the gateway host.
const (
	ConfFile        = "kong.conf"
	DeckFile        = "kong.yaml"
	DeclarativePath = "/etc/kong/kong.yaml"
	AdminListen     = "127.0.0.1:8001"
)

// Conf is kong.conf: settings in the order they are printed.
type Conf struct {
	Settings []Setting
}

// Setting is one "key = value" line with an optional comment above it.
type Setting struct {
	Key, Value, Comment string
}

var (
	confKey   = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	confValue = regexp.MustCompile(`^[A-Za-z0-9 ._:/,\[\]@+=*-]+$`)
)

// Print writes kong.conf. It refuses a key or value outside the safe
// character sets, so no value can start a new setting or a comment.
func (c *Conf) Print() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("# kong.conf written by rampart: node settings the decK file cannot carry.\n")
	b.WriteString("# Kong validates it at start; rampart has checked it against its own rules.\n")
	for _, s := range c.Settings {
		if !confKey.MatchString(s.Key) {
			return nil, fmt.Errorf("kong.conf: invalid key %q", s.Key)
		}
		if !confValue.MatchString(s.Value) || strings.TrimSpace(s.Value) != s.Value {
			return nil, fmt.Errorf("kong.conf: %s: value %q has characters kong.conf cannot carry safely", s.Key, s.Value)
		}
		if s.Comment != "" {
			for _, line := range strings.Split(s.Comment, "\n") {
				b.WriteString("# " + strings.Map(printable, line) + "\n")
			}
		}
		fmt.Fprintf(&b, "%s = %s\n", s.Key, s.Value)
	}
	return b.Bytes(), nil
}

// printable keeps comments on one line each.
func printable(r rune) rune {
	if r < 0x20 || r == 0x7f || r == '\u2028' || r == '\u2029' {
		return ' '
	}
	return r
}

// Get returns a setting's value.
func (c *Conf) Get(key string) (string, bool) {
	for _, s := range c.Settings {
		if s.Key == key {
			return s.Value, true
		}
	}
	return "", false
}

func (c *Conf) set(key, value, comment string) {
	c.Settings = append(c.Settings, Setting{Key: key, Value: value, Comment: comment})
}

// buildConf builds kong.conf for the policy.
func (e *emitter) buildConf() (*Conf, error) {
	c := &Conf{}
	c.set("database", "off", "DB-less: the decK file is the whole configuration.")
	c.set("declarative_config", DeclarativePath, "")
	listen, err := proxyListen(e.p)
	if err != nil {
		return nil, err
	}
	c.set("proxy_listen", listen, "")
	c.set("admin_listen", AdminListen, "The Admin API is reachable from the gateway host only.")
	c.set("admin_gui_listen", "off", "")
	c.set("headers", "off", "No Server, Via or X-Kong-* headers: no version disclosure.")
	c.set("untrusted_lua", "sandbox", "custom_fields_by_lua runs in Kong's sandbox.")
	if err := e.tlsConf(c); err != nil {
		return nil, err
	}
	if err := realIPConf(e.p, c); err != nil {
		return nil, err
	}
	e.limitsConf(c)
	if cas := upstreamCAs(e.p); len(cas) > 0 {
		c.set("lua_ssl_trusted_certificate", strings.Join(append([]string{"system"}, cas...), ","),
			"Upstream CAs (services.*.upstream.tls.ca); Kong trusts them node-wide.")
	}
	return c, nil
}

// proxyListen lists every listener's port, and each redirect port.
func proxyListen(p *ir.Policy) (string, error) {
	var out []string
	for _, l := range p.Listeners {
		addr := l.Address
		if addr == "" {
			addr = "0.0.0.0"
		}
		if strings.Contains(addr, ":") {
			addr = "[" + addr + "]"
		}
		entry := addr + ":" + strconv.Itoa(l.Port)
		if l.TLS != nil {
			entry += " ssl"
		}
		out = append(out, entry+proxyProtocolSuffix(p))
		if l.RedirectPort != 0 {
			out = append(out, addr+":"+strconv.Itoa(l.RedirectPort)+proxyProtocolSuffix(p))
		}
	}
	out = slices.Compact(out)
	if len(out) == 0 {
		return "", fmt.Errorf("the policy has no listeners")
	}
	return strings.Join(out, ", "), nil
}

// limitsConf sets the node-wide nginx limits: the largest body limit
// (request-size-limiting enforces each route's own), the smallest header
// buffer and client timeouts (nginx applies them to the whole node).
func (e *emitter) limitsConf(c *Conf) {
	var maxBody, minHeader, header, body, idle int
	allBody := true
	for _, r := range e.routes() {
		l := r.Limits
		if l.MaxBodyBytes == 0 {
			allBody = false
		}
		maxBody = max(maxBody, l.MaxBodyBytes)
		minHeader = minSet(minHeader, l.MaxHeaderBytes)
		header = minSet(header, l.HeaderTimeout)
		body = minSet(body, l.BodyTimeout)
		idle = minSet(idle, l.IdleTimeout)
	}
	if allBody && maxBody > 0 {
		c.set("nginx_http_client_max_body_size", strconv.Itoa(maxBody),
			"The largest route body limit; request-size-limiting enforces each route's own.")
	}
	if minHeader > 0 {
		c.set("nginx_http_large_client_header_buffers", "4 "+strconv.Itoa(minHeader),
			"limits.maxHeaderBytes: nginx applies the smallest route limit to the node.")
	}
	for _, t := range []struct {
		key string
		v   int
	}{{"nginx_http_client_header_timeout", header}, {"nginx_http_client_body_timeout", body}, {"nginx_http_keepalive_timeout", idle}} {
		if t.v > 0 {
			c.set(t.key, strconv.Itoa(t.v)+"s", "")
		}
	}
}

// minSet is the smaller of the non-zero values a and b.
func minSet(a, b int) int {
	switch {
	case b == 0:
		return a
	case a == 0:
		return b
	}
	return min(a, b)
}

// upstreamCAs lists the services' upstream CA files, sorted.
func upstreamCAs(p *ir.Policy) []string {
	var out []string
	for _, s := range p.Services {
		if s.UpstreamTLS != nil && s.UpstreamTLS.CAFile != "" {
			out = append(out, s.UpstreamTLS.CAFile)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// ParseConf reads kong.conf as rampart prints it: comments and
// "key = value" lines, each key once.
func ParseConf(data []byte) (*Conf, error) {
	c := &Conf{}
	seen := map[string]bool{}
	for i, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, " = ")
		if !ok || !confKey.MatchString(k) || !confValue.MatchString(v) {
			return nil, fmt.Errorf("kong.conf line %d: %q is not a setting", i+1, line)
		}
		if seen[k] {
			return nil, fmt.Errorf("kong.conf line %d: %s set twice", i+1, k)
		}
		seen[k] = true
		c.set(k, v, "")
	}
	return c, nil
}

// CheckConf checks kong.conf's security settings: DB-less, no version
// headers, the Admin API on loopback only, and explicit TLS settings.
func CheckConf(data []byte) error {
	c, err := ParseConf(data)
	if err != nil {
		return err
	}
	want := map[string]string{"database": "off", "headers": "off", "admin_gui_listen": "off"}
	for k, v := range want {
		if got, _ := c.Get(k); got != v {
			return fmt.Errorf("kong.conf: %s = %q, want %q", k, got, v)
		}
	}
	admin, _ := c.Get("admin_listen")
	for _, a := range strings.Split(admin, ",") {
		a = strings.TrimSpace(a)
		if !strings.HasPrefix(a, "127.0.0.1:") && !strings.HasPrefix(a, "[::1]:") {
			return fmt.Errorf("kong.conf: admin_listen %q is not loopback only", admin)
		}
	}
	listen, _ := c.Get("proxy_listen")
	if !strings.Contains(listen, " ssl") {
		return nil
	}
	suite, _ := c.Get("ssl_cipher_suite")
	_, ciphers := c.Get("ssl_ciphers")
	_, protos := c.Get("ssl_protocols")
	if !protos || (suite != "custom" && suite != "modern") || (suite == "custom") != ciphers {
		return fmt.Errorf("kong.conf: TLS listeners need ssl_protocols and ssl_cipher_suite custom with ssl_ciphers (or modern)")
	}
	return nil
}
