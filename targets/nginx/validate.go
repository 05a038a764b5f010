package nginx

import (
	"fmt"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

var (
	hostRE       = regexp.MustCompile(`^(\*\.)?([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?\.)*[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$`)
	tokenRE      = regexp.MustCompile("^[A-Za-z0-9!#%&'*+.^_`|~-]+$")
	varHeaderRE  = regexp.MustCompile(`^[A-Za-z0-9-]+$`)
	methodRE     = regexp.MustCompile(`^[A-Z]+$`)
	cipherRE     = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	serviceRE    = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)
	pathSegRE    = regexp.MustCompile(`^[A-Za-z0-9._~!&'()*+,=:@%-]*$`)
	paramSegRE   = regexp.MustCompile(`^\{[A-Za-z_][A-Za-z0-9_]*\}$`)
	mediaTypeRE  = regexp.MustCompile(`^[A-Za-z0-9!#&^_.+-]+/[A-Za-z0-9!#&^_.+-]+$`)
	syslogAddrRE = regexp.MustCompile(`^[A-Za-z0-9.-]+:[0-9]{1,5}$`)
)

// serverNames returns server_name arguments. An exact host is a literal;
// "*.example.com" becomes a regex matching exactly one label, as
// rampart's proxy does (nginx's own wildcard would match several). No
// hosts means any host: the catch-all name "".
func serverNames(hosts []string) ([]Arg, error) {
	if len(hosts) == 0 {
		return Raws(""), nil
	}
	var out []Arg
	for _, h := range hosts {
		if !hostRE.MatchString(h) {
			return nil, fmt.Errorf("host %q is not a DNS name or *.wildcard", h)
		}
		if rest, ok := strings.CutPrefix(h, "*."); ok {
			out = append(out, Raw(`~^[^.]+\.`+regexp.QuoteMeta(rest)+`$`))
			continue
		}
		out = append(out, Lit(h))
	}
	return out, nil
}

// listenAddr formats address:port for listen.
func listenAddr(address string, port int) (string, error) {
	if port < 1 || port > 65535 {
		return "", fmt.Errorf("port %d out of range", port)
	}
	if address == "" {
		return strconv.Itoa(port), nil
	}
	a, err := netip.ParseAddr(address)
	if err != nil {
		return "", fmt.Errorf("listen address %q is not an IP address", address)
	}
	return netip.AddrPortFrom(a, uint16(port)).String(), nil
}

// headerName checks a response header name is an HTTP token.
func headerName(n string) (Arg, error) {
	if !tokenRE.MatchString(n) {
		return Arg{}, fmt.Errorf("header name %q is not an HTTP token", n)
	}
	return Lit(n), nil
}

// headerVar returns the $http_ variable for a request header.
func headerVar(n string) (string, error) {
	if !varHeaderRE.MatchString(n) {
		return "", fmt.Errorf("header %q: nginx can key only on headers of letters, digits and '-'", n)
	}
	return "$http_" + strings.ReplaceAll(strings.ToLower(n), "-", "_"), nil
}

// methodAlternation returns "GET|POST" for a regex, checking each method.
func methodAlternation(methods []string) (string, error) {
	for _, m := range methods {
		if !methodRE.MatchString(m) {
			return "", fmt.Errorf("method %q is not an upper-case token", m)
		}
	}
	if len(methods) == 0 {
		return "", fmt.Errorf("no methods")
	}
	return strings.Join(methods, "|"), nil
}

// upstreamURL splits a service URL into scheme and host:port; a path,
// query, fragment or user info is refused (proxy_pass would rewrite the
// request path with it).
func upstreamURL(raw string) (scheme, hostport, host string, err error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", "", "", err
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return "", "", "", fmt.Errorf("upstream %q: want http(s)://host[:port] without path, query or user info", raw)
	}
	host = u.Hostname()
	if !hostRE.MatchString(host) && !isIP(host) {
		return "", "", "", fmt.Errorf("upstream %q: bad host", raw)
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return "", "", "", fmt.Errorf("upstream %q: bad port", raw)
	}
	hp := host + ":" + port
	if strings.Contains(host, ":") {
		hp = "[" + host + "]:" + port
	}
	return u.Scheme, hp, host, nil
}

func isIP(s string) bool {
	_, err := netip.ParseAddr(s)
	return err == nil
}
