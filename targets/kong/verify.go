package kong

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode"
)

// Verify checks both artifacts the way Build cannot rely on Kong to: both
// start with rampart's header line for the same policy (Header), the
// decK file decodes strictly into rampart's types and prints back to the
// same bytes after its header, every entity passes the checks Kong makes
// in code (CheckFile), and kong.conf passes CheckConf. The JSON Schema validation against Kong's
// published schemas (ValidateSchemas) needs the reference data outside
// the repository, so the tests and `make demo` run it, not Build.
func Verify(deck, conf []byte) error { return verify(deck, conf, nil) }

// verify is Verify; Build passes the JSON of the File it encoded as
// built (json.Marshal). When the decoded file marshals to the same JSON,
// the re-encoding is skipped: Encode prints a file's JSON form, so the
// same JSON encodes to the same bytes, which are the file's body (Build
// encoded built's file into it). Otherwise, and without built, the
// decoded file is encoded and compared. CheckFile runs beside that.
func verify(deck, conf, built []byte) error {
	body, err := checkHeaderLines(deck, conf)
	if err != nil {
		return err
	}
	f, err := Decode(deck)
	if err != nil {
		return fmt.Errorf("kong.yaml does not decode strictly: %w", err)
	}
	var checkErr error
	var wg sync.WaitGroup
	wg.Go(func() { checkErr = CheckFile(f) })
	err = sameEncoding(f, built, body)
	wg.Wait()
	if err != nil {
		return err
	}
	if checkErr != nil {
		return checkErr
	}
	return CheckConf(conf)
}

// sameEncoding requires f to encode to body: f marshalled to the JSON
// built, the JSON of a file that encodes to body, or f encoded and
// compared.
func sameEncoding(f *File, built, body []byte) error {
	if built != nil {
		if j, err := json.Marshal(f); err == nil && bytes.Equal(j, built) {
			return nil
		}
	}
	again, err := Encode(f)
	if err != nil {
		return err
	}
	if !bytes.Equal(again, body) {
		return errors.New("kong.yaml does not survive a decode/encode round trip")
	}
	return nil
}

// CheckFile applies the entity rules Kong enforces in code (and rampart's
// own) that the JSON Schemas do not express.
func CheckFile(f *File) error {
	var errs []error
	if f.FormatVersion != FormatVersion {
		errs = append(errs, fmt.Errorf("_format_version %q, want %q", f.FormatVersion, FormatVersion))
	}
	errs = append(errs, uniqueNames(f)...)
	for _, s := range f.Services {
		if s.Protocol != "http" && s.Protocol != "https" {
			errs = append(errs, fmt.Errorf("service %s: protocol %q", s.Name, s.Protocol))
		}
		errs = append(errs, checkTags("service "+s.Name, s.Tags))
		for _, r := range s.Routes {
			errs = append(errs, checkRoute(r)...)
			errs = append(errs, checkTags("route "+r.Name, r.Tags))
		}
	}
	for _, r := range f.Routes {
		errs = append(errs, checkRoute(r)...)
		errs = append(errs, checkTags("route "+r.Name, r.Tags))
	}
	for _, c := range f.Consumers {
		errs = append(errs, checkTags("consumer "+c.Username, c.Tags))
	}
	return errors.Join(errs...)
}

// uniqueNames checks that service, route and consumer names are unique.
func uniqueNames(f *File) []error {
	var errs []error
	seen := map[string]bool{}
	add := func(kind, name string) {
		if name == "" || seen[kind+"/"+name] {
			errs = append(errs, fmt.Errorf("%s name %q is empty or not unique", kind, name))
		}
		seen[kind+"/"+name] = true
	}
	for _, s := range f.Services {
		add("service", s.Name)
		for _, r := range s.Routes {
			add("route", r.Name)
		}
	}
	for _, r := range f.Routes {
		add("route", r.Name)
	}
	for _, c := range f.Consumers {
		add("consumer", c.Username)
		if len(c.ACLs) == 0 && len(c.Tags) == 0 {
			errs = append(errs, fmt.Errorf("consumer %s: no groups and no tags", c.Username))
		}
	}
	return errs
}

// tagRE is Kong's rule for tags: printable ASCII except "," and "/"
// (rampart emits no other).
var tagRE = regexp.MustCompile(`^[\x21-\x2B\x2D\x2E\x30-\x7E]+$`)

// checkTags applies Kong's tag rule.
func checkTags(where string, tags []string) error {
	for _, t := range tags {
		if !tagRE.MatchString(t) {
			return fmt.Errorf("%s: tag %q has a character Kong refuses (\",\", \"/\", space or control)", where, t)
		}
	}
	return nil
}

var (
	// hostRE is a host name with an optional leading or trailing
	// wildcard label, as Kong's route hosts allow.
	hostRE     = regexp.MustCompile(`^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*(\.\*)?$`)
	methodRE   = regexp.MustCompile(`^[A-Z]+$`)
	keyNameRE  = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	redirectOK = []int{0, 301, 302, 307, 308, 426}
)

// checkRoute checks a route and its plugins.
func checkRoute(r Route) []error {
	var errs []error
	bad := func(format string, a ...any) {
		errs = append(errs, fmt.Errorf("route %s: "+format, append([]any{r.Name}, a...)...))
	}
	if len(r.Paths) == 0 {
		bad("no paths")
	}
	for _, p := range r.Paths {
		re, ok := strings.CutPrefix(p, "~")
		if !ok || !strings.HasPrefix(re, "/") || !strings.HasSuffix(re, "$") || strings.ContainsFunc(re, unicode.IsControl) {
			bad("path %q is not an anchored regex path", p)
		} else if _, err := regexp.Compile(re); err != nil {
			bad("path %q: %v", p, err)
		}
	}
	for _, h := range r.Hosts {
		if !hostRE.MatchString(h) {
			bad("host %q is not a host name Kong accepts", h)
		}
	}
	for _, m := range r.Methods {
		if !methodRE.MatchString(m) {
			bad("method %q", m)
		}
	}
	for _, p := range r.Protocols {
		if p != "http" && p != "https" {
			bad("protocol %q", p)
		}
	}
	if !slices.Contains(redirectOK, r.HTTPSRedirectStatusCode) ||
		(r.HTTPSRedirectStatusCode != 0 && !slices.Equal(r.Protocols, []string{"https"})) {
		bad("https_redirect_status_code %d with protocols %v", r.HTTPSRedirectStatusCode, r.Protocols)
	}
	seen := map[string]bool{}
	for _, p := range r.Plugins {
		if seen[p.Name] {
			bad("two %s plugins (Kong allows one per route)", p.Name)
		}
		seen[p.Name] = true
		if err := checkOrdering(p); err != nil {
			bad("plugin %s: %v", p.Name, err)
		}
		if err := checkPlugin(p); err != nil {
			bad("plugin %s: %v", p.Name, err)
		}
	}
	return errs
}

// checkOrdering allows dynamic ordering only as rampart emits it: on
// rate-limiting, before authn plugins, in the access phase (the only
// phase Kong reorders).
func checkOrdering(p Plugin) error {
	o := p.Ordering
	if o == nil {
		return nil
	}
	if p.Name != "rate-limiting" || len(o.Before) != 1 || len(o.Before["access"]) == 0 {
		return fmt.Errorf("ordering %+v: only rate-limiting before the access phase's authn plugins", *o)
	}
	for _, n := range o.Before["access"] {
		if !slices.Contains(authnPlugins, n) {
			return fmt.Errorf("ordering before %q, not an authn plugin", n)
		}
	}
	return nil
}

// checkPlugin applies one plugin's rules.
func checkPlugin(p Plugin) error {
	switch c := p.Config.(type) {
	case *KeyAuthConfig:
		return checkKeyAuth(c)
	case *ACLConfig:
		if (len(c.Allow) == 0) == (len(c.Deny) == 0) {
			return errors.New("acl needs exactly one of allow and deny")
		}
	case *RateLimitingConfig:
		return checkRateLimiting(c)
	case *RequestSizeConfig:
		if c.AllowedPayloadSize <= 0 || c.SizeUnit != "bytes" {
			return fmt.Errorf("allowed_payload_size %d %s", c.AllowedPayloadSize, c.SizeUnit)
		}
	case *CORSConfig:
		if len(c.Origins) == 0 || c.PreflightContinue {
			return errors.New("cors needs origins and must answer preflights itself")
		}
	case *ResponseTransformerConfig:
		return checkHeaders(append(slices.Clone(c.Add.Headers), c.Replace.Headers...))
	case *FileLogConfig:
		if !strings.HasPrefix(c.Path, "/") || strings.ContainsAny(c.Path, "*&%`") {
			return fmt.Errorf("file-log path %q is not absolute", c.Path)
		}
		return checkLua(c.CustomFieldsByLua)
	case *HTTPLogConfig:
		if !strings.HasPrefix(c.HTTPEndpoint, "http://") && !strings.HasPrefix(c.HTTPEndpoint, "https://") {
			return fmt.Errorf("http-log endpoint %q", c.HTTPEndpoint)
		}
		return checkLua(c.CustomFieldsByLua)
	case *RequestTerminationConfig:
		if c.StatusCode < 100 || c.StatusCode > 599 {
			return fmt.Errorf("status %d", c.StatusCode)
		}
	case *OpenIDConnectConfig:
		return checkOIDC(c)
	case *RequestValidatorConfig:
		if len(c.AllowedContentTypes) == 0 || c.BodySchema == "" {
			return errors.New("request-validator needs content types and a body schema")
		}
	default:
		return fmt.Errorf("unknown config type %T", p.Config)
	}
	return nil
}

func checkKeyAuth(c *KeyAuthConfig) error {
	if !c.HideCredentials || c.KeyInBody || (!c.KeyInHeader && !c.KeyInQuery) || len(c.KeyNames) == 0 {
		return errors.New("key-auth must hide credentials, read no body and read keys from a header or query")
	}
	for _, k := range c.KeyNames {
		if !keyNameRE.MatchString(k) {
			return fmt.Errorf("key name %q", k)
		}
	}
	return nil
}

// checkRateLimiting applies Kong's rate-limiting rules: a window is set,
// shorter windows are not above longer ones, cluster is invalid in
// DB-less mode, and header/redis settings are present when needed.
func checkRateLimiting(c *RateLimitingConfig) error {
	var set []int
	for _, w := range []*int{c.Second, c.Minute, c.Hour} {
		if w != nil {
			if *w <= 0 {
				return fmt.Errorf("window limit %d", *w)
			}
			set = append(set, *w)
		}
	}
	switch {
	case len(set) == 0:
		return errors.New("no window set")
	case !slices.IsSorted(set):
		return fmt.Errorf("window limits %v: a shorter window above a longer one", set)
	case c.Policy != "local" && c.Policy != "redis":
		return fmt.Errorf("policy %q (cluster is invalid in DB-less mode)", c.Policy)
	case (c.Policy == "redis") != (c.Redis != nil) || (c.Redis != nil && c.Redis.Host == ""):
		return errors.New("redis policy and redis settings disagree")
	case (c.LimitBy == "header") != (c.HeaderName != ""):
		return errors.New("limit_by header needs header_name, and only it")
	case c.FaultTolerant:
		return errors.New("fault_tolerant would let requests through when counting fails")
	}
	if c.Redis != nil && c.Redis.Password != "" && !vaultRefRE.MatchString(c.Redis.Password) {
		return errors.New("redis password is not an env vault reference")
	}
	return nil
}

var vaultRefRE = regexp.MustCompile(`^\{vault://env/[A-Z][A-Z0-9_]*\}$`)

// checkHeaders checks response-transformer's "Name:value" entries.
func checkHeaders(hs []string) error {
	for _, h := range hs {
		name, value, ok := strings.Cut(h, ":")
		if !ok || !headerNameRE.MatchString(name) || strings.ContainsAny(value, "\r\n\x00") {
			return fmt.Errorf("header entry %q", h)
		}
	}
	return nil
}

// checkLua allows only rampart's fixed snippets.
func checkLua(fields map[string]string) error {
	for k, v := range fields {
		if !slices.Contains(LuaSnippets, v) {
			return fmt.Errorf("custom_fields_by_lua %q is not one of rampart's fixed snippets", k)
		}
	}
	return nil
}

func checkOIDC(c *OpenIDConnectConfig) error {
	if c.Issuer == "" || !c.HideCredentials || !c.VerifyClaims || !slices.Equal(c.BearerTokenParamType, []string{"header"}) {
		return errors.New("openid-connect needs an issuer, hidden credentials, verified claims and header tokens only")
	}
	for _, m := range c.AuthMethods {
		if m != "bearer" && m != "introspection" {
			return fmt.Errorf("auth method %q", m)
		}
	}
	for _, s := range c.ClientSecret {
		if !vaultRefRE.MatchString(s) {
			return errors.New("client secret is not an env vault reference")
		}
	}
	return nil
}
