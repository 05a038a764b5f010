package lower

import (
	"slices"
	"strings"

	"github.com/rampart-policy/rampart/compiler/ir"
)

// logging lowers the access log and computes the full redaction list:
// the policy's explicit entries, plus every credential the providers read
// when redactCredentials is on.
func (l *lowerer) logging(providers []*ir.Provider) ir.Logging {
	r := l.raw.Logging
	out := ir.Logging{Enabled: r.Enabled, Format: r.Format, Fields: []string{}, Redact: []ir.Redaction{},
		AuthFailures: r.AuthFailures, Sink: r.Sink.Kind, RetentionDays: r.RetentionDays, Origin: l.origin("logging")}
	switch r.Sink.Kind {
	case "file":
		out.SinkTarget = r.Sink.Path
	case "syslog":
		out.SinkTarget = r.Sink.Address
	case "http":
		out.SinkTarget = r.Sink.URL
	}
	for _, f := range sortedKeys(r.Fields) {
		if r.Fields[f] {
			out.Fields = append(out.Fields, f)
		}
	}
	red := map[[2]string]string{}
	if r.RedactCredentials {
		for _, h := range []string{"authorization", "proxy-authorization", "cookie", "set-cookie"} {
			red[[2]string{"header", h}] = "redact"
		}
		for _, p := range providers {
			for _, c := range credentialLocations(p) {
				red[c] = "redact"
			}
		}
	}
	for k, m := range r.Redact.Headers {
		red[[2]string{"header", strings.ToLower(k)}] = m
	}
	for k, m := range r.Redact.Query {
		red[[2]string{"query", k}] = m
	}
	for k, m := range r.Redact.Fields {
		red[[2]string{"field", k}] = m
	}
	for k, m := range red {
		out.Redact = append(out.Redact, ir.Redaction{Kind: k[0], Name: k[1], Mode: m})
	}
	slices.SortFunc(out.Redact, func(a, b ir.Redaction) int {
		if a.Kind != b.Kind {
			return strings.Compare(a.Kind, b.Kind)
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out
}

// credentialLocations lists where a provider reads credentials from, as
// (kind, name) pairs with lower-case header names.
func credentialLocations(p *ir.Provider) [][2]string {
	switch {
	case p.APIKey != nil && p.APIKey.In == "query":
		return [][2]string{{"query", p.APIKey.Name}}
	case p.APIKey != nil:
		return [][2]string{{"header", strings.ToLower(p.APIKey.Name)}}
	case p.JWT != nil:
		return [][2]string{{"header", strings.ToLower(p.JWT.Header)}}
	case p.Introspection != nil:
		return [][2]string{{"header", strings.ToLower(p.Introspection.Header)}}
	}
	return nil
}

// redacted reports whether the log hides the given credential.
func redacted(lg ir.Logging, kind, name string) bool {
	return slices.ContainsFunc(lg.Redact, func(r ir.Redaction) bool {
		return r.Kind == kind && strings.EqualFold(r.Name, name)
	})
}
