package authn

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jws"

	"github.com/rampart-policy/rampart/proxy/config"
)

// maxTokenBytes bounds a bearer JWT; a longer one is rejected unparsed.
const maxTokenBytes = 64 << 10

// jwtAuth verifies bearer JWTs signed with an allowed asymmetric
// algorithm by a key from the provider's JWKS.
type jwtAuth struct {
	name         string
	header       string
	issuer       string
	audiences    []string
	algorithms   map[string]bool
	required     []string
	skew         time.Duration
	maxAge       time.Duration
	subjectClaim string
	rolesClaim   string
	scopesClaim  string
	keys         keySource
	now          func() time.Time
}

// jwtHeader is the part of a JWS protected header rampart reads.
type jwtHeader struct {
	alg string
	kid string
}

// newJWT checks c and sets up its key source: the local JWKS is read now;
// a remote one on the first token.
func newJWT(name string, c *config.JWT, opts Options) (*jwtAuth, error) {
	if err := checkJWTConfig(c); err != nil {
		return nil, fmt.Errorf("jwt: %w", err)
	}
	j := &jwtAuth{
		name: name, header: headerName(c.Header), issuer: c.Issuer,
		audiences: cloneStrings(c.Audiences), algorithms: map[string]bool{},
		required: cloneStrings(c.RequiredClaims), now: opts.Now,
		skew:         time.Duration(c.ClockSkewSeconds) * time.Second,
		maxAge:       time.Duration(c.MaxTokenAgeSeconds) * time.Second,
		subjectClaim: orDefault(c.SubjectClaim, "sub"), rolesClaim: c.RolesClaim,
		scopesClaim: orDefault(c.ScopesClaim, "scope"),
	}
	for _, a := range c.Algorithms {
		j.algorithms[a] = true
	}
	if c.LocalJWKS != "" {
		keys, err := loadLocalJWKS(c.LocalJWKS)
		if err != nil {
			return nil, fmt.Errorf("jwt: %w", err)
		}
		j.keys = keys
		return j, nil
	}
	j.keys = newRemoteKeys(c.JWKSURI, httpsOnly(opts.HTTPClient), opts.Now)
	return j, nil
}

// checkJWTConfig refuses a JWT config that could not verify safely.
func checkJWTConfig(c *config.JWT) error {
	switch {
	case c.Issuer == "":
		return errors.New("no issuer")
	case len(c.Audiences) == 0:
		return errors.New("no audiences: without an audience check a token minted for another service would pass")
	case len(c.Algorithms) == 0:
		return errors.New("no algorithms")
	case (c.JWKSURI == "") == (c.LocalJWKS == ""):
		return errors.New("want exactly one of jwksURI and localJWKS")
	case c.ClockSkewSeconds < 0 || c.MaxTokenAgeSeconds < 0:
		return errors.New("clockSkewSeconds and maxTokenAgeSeconds must not be negative")
	}
	for _, a := range c.Algorithms {
		if !supportedAlgorithm(a) {
			return fmt.Errorf("algorithm %q is not accepted (use RS*, PS*, ES* or EdDSA; never none or HS*)", a)
		}
	}
	if c.JWKSURI != "" {
		if _, err := requireHTTPS("jwksURI", c.JWKSURI); err != nil {
			return err
		}
	}
	return nil
}

// orDefault returns s, or def when s is empty.
func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// Name is the provider's name.
func (j *jwtAuth) Name() string { return j.name }

// Authenticate verifies the bearer token in the configured header (never
// a query parameter) and returns its principal.
func (j *jwtAuth) Authenticate(ctx context.Context, r *http.Request) (*Principal, error) {
	token, err := bearerToken(j.name, r, j.header)
	if err != nil {
		return nil, err
	}
	payload, err := j.verify(ctx, token)
	if err != nil {
		return nil, err
	}
	c, err := parseClaims(payload)
	if err != nil {
		return nil, fail(j.name, "malformed claims")
	}
	if reason := j.checkClaims(c, j.now()); reason != "" {
		return nil, fail(j.name, reason)
	}
	return j.principal(c)
}

// verify checks the token's header and signature and returns its payload.
func (j *jwtAuth) verify(ctx context.Context, token string) ([]byte, error) {
	if len(token) > maxTokenBytes {
		return nil, fail(j.name, "token too large")
	}
	h, reason := parseJWTHeader(token)
	if reason != "" {
		return nil, fail(j.name, reason)
	}
	if !j.algorithms[h.alg] {
		return nil, fail(j.name, "algorithm not allowed")
	}
	keys, err := j.keys.lookup(ctx, h.kid)
	if err != nil {
		return nil, err
	}
	return j.verifyWith(token, h.alg, keys)
}

// verifyWith tries the keys that fit alg; the first that verifies the
// signature wins.
func (j *jwtAuth) verifyWith(token, alg string, keys []verifyKey) ([]byte, error) {
	sigAlg, ok := jwa.LookupSignatureAlgorithm(alg)
	if !ok {
		return nil, fail(j.name, "algorithm not allowed")
	}
	tried := false
	for _, k := range keys {
		if !keyFits(alg, k) {
			continue
		}
		tried = true
		payload, err := jws.Verify([]byte(token), jws.WithKey(sigAlg, k.pub),
			jws.WithAlgorithmMatch(true), jws.WithCritValidation(true))
		if err == nil {
			return payload, nil
		}
	}
	if !tried {
		return nil, fail(j.name, "unknown signing key")
	}
	return nil, fail(j.name, "bad signature")
}

// parseJWTHeader decodes the protected header of a compact JWS. It
// returns a reason when the token is not one rampart will verify.
func parseJWTHeader(token string) (jwtHeader, string) {
	if strings.Count(token, ".") != 2 {
		return jwtHeader{}, "malformed token"
	}
	enc, _, _ := strings.Cut(token, ".")
	raw, err := base64.RawURLEncoding.Strict().DecodeString(enc)
	if err != nil {
		return jwtHeader{}, "malformed token"
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		return jwtHeader{}, "malformed token"
	}
	if _, ok := fields["crit"]; ok {
		return jwtHeader{}, "unsupported critical header"
	}
	if _, ok := fields["b64"]; ok {
		return jwtHeader{}, "unsupported b64 header"
	}
	var h jwtHeader
	if json.Unmarshal(fields["alg"], &h.alg) != nil || h.alg == "" {
		return jwtHeader{}, "algorithm not allowed"
	}
	if kid, ok := fields["kid"]; ok && json.Unmarshal(kid, &h.kid) != nil {
		return jwtHeader{}, "malformed token"
	}
	return h, ""
}

// checkClaims returns why claims c are unacceptable at now, or "".
func (j *jwtAuth) checkClaims(c claims, now time.Time) string {
	if iss, _ := c["iss"].(string); iss != j.issuer {
		return "wrong issuer"
	}
	if !c.audienceMatches(j.audiences) {
		return "wrong audience"
	}
	if reason := j.checkTimes(c, now); reason != "" {
		return reason
	}
	if name := c.missing(j.required); name != "" {
		return "missing required claim " + name
	}
	return ""
}

// checkTimes checks exp (required), nbf and iat, with the clock skew as
// leeway, and the token's age when maxTokenAgeSeconds is set.
func (j *jwtAuth) checkTimes(c claims, now time.Time) string {
	exp, ok, err := c.numericDate("exp")
	switch {
	case err != nil:
		return "malformed exp"
	case !ok:
		return "token has no expiry"
	case !now.Before(exp.Add(j.skew)):
		return "token expired"
	}
	nbf, ok, err := c.numericDate("nbf")
	switch {
	case err != nil:
		return "malformed nbf"
	case ok && now.Add(j.skew).Before(nbf):
		return "token not yet valid"
	}
	return j.checkIssuedAt(c, now)
}

// checkIssuedAt checks iat: not in the future beyond the skew, and, when
// a maximum age is set, present and no older than it.
func (j *jwtAuth) checkIssuedAt(c claims, now time.Time) string {
	iat, ok, err := c.numericDate("iat")
	switch {
	case err != nil:
		return "malformed iat"
	case ok && iat.After(now.Add(j.skew)):
		return "token issued in the future"
	case j.maxAge > 0 && !ok:
		return "token has no issue time"
	case j.maxAge > 0 && now.Sub(iat) > j.maxAge+j.skew:
		return "token too old"
	}
	return ""
}

// principal builds the principal from the subject, roles and scopes
// claims.
func (j *jwtAuth) principal(c claims) (*Principal, error) {
	sub, ok := c.nonEmptyString(j.subjectClaim)
	if !ok {
		return nil, fail(j.name, "missing subject")
	}
	var roles []string
	if j.rolesClaim != "" {
		var err error
		if roles, err = c.stringList(j.rolesClaim); err != nil {
			return nil, fail(j.name, "malformed roles claim")
		}
	}
	scopes, err := c.stringList(j.scopesClaim)
	if err != nil {
		return nil, fail(j.name, "malformed scopes claim")
	}
	return principal(j.name, sub, roles, scopes), nil
}
