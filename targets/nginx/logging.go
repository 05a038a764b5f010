package nginx

import (
	"fmt"
	"strings"

	"github.com/rampart-policy/rampart/compiler/ir"
)

// logFields maps the IR's log fields to nginx variables. Only these are
// ever logged: no request header (so no credential) reaches the log.
var logFields = map[string]string{
	"clientIP":  "$remote_addr",
	"identity":  "$rampart_log_identity", // redacted by the authorizer
	"latency":   "$request_time",
	"method":    "$request_method",
	"path":      "$rampart_log_path",
	"query":     "$args",
	"requestID": "$request_id",
	"route":     varRoute,
	"status":    "$status",
	"time":      "$time_iso8601",
	"userAgent": "$http_user_agent",
}

// logging returns log_format (one JSON object per request, escape=json)
// and the access_log, or access_log off.
func (e *emitter) logging() ([]Directive, error) {
	lg := e.p.Logging
	if !lg.Enabled || lg.Sink == "http" {
		return []Directive{D("access_log", Raw("off"))}, nil
	}
	sink, err := sinkPath(lg)
	if err != nil {
		return nil, err
	}
	format, note := e.logFormat(lg)
	return []Directive{
		B("map", Raws("$request_uri", "$rampart_log_path"),
			D("", Raws("~^(?<rampart_p>[^?]*)", "$rampart_p")...),
			D("default", Raw(""))).WithComment("the path without its query"),
		D("log_format", Raw(logFormat), Raw("escape=json"), Raw(format)).WithComment(note),
		D("access_log", Lit(sink), Raw(logFormat)),
	}, nil
}

// logFormat builds the JSON object. A query string is logged only when
// the policy asks for it and redacts no query parameter: nginx cannot
// rewrite every occurrence of a parameter safely with map and regex, so
// with query redactions the query is left out entirely.
func (e *emitter) logFormat(lg ir.Logging) (format, note string) {
	redactQuery := false
	for _, r := range lg.Redact {
		redactQuery = redactQuery || r.Kind == "query"
	}
	note = "fields: " + strings.Join(lg.Fields, ", ") + "; no headers are logged"
	var parts []string
	for _, f := range lg.Fields {
		v, ok := logFields[f]
		switch {
		case !ok:
			continue
		case f == "query" && redactQuery:
			note += "; query omitted: the policy redacts query parameters"
			continue
		case f == "identity" && e.p.Targets.AuthorizerURL == "":
			v = ""
		}
		parts = append(parts, fmt.Sprintf(`"%s":"%s"`, f, v))
	}
	return "{" + strings.Join(parts, ",") + "}", note
}

// sinkPath returns access_log's path for the sink.
func sinkPath(lg ir.Logging) (string, error) {
	switch lg.Sink {
	case "stdout", "":
		return "/dev/stdout", nil
	case "file":
		if !strings.HasPrefix(lg.SinkTarget, "/") {
			return "", fmt.Errorf("log file %q is not an absolute path", lg.SinkTarget)
		}
		return lg.SinkTarget, nil
	case "syslog":
		if !syslogAddrRE.MatchString(lg.SinkTarget) {
			return "", fmt.Errorf("syslog address %q", lg.SinkTarget)
		}
		return "syslog:server=" + lg.SinkTarget, nil
	}
	return "", fmt.Errorf("log sink %q", lg.Sink)
}

// accessLog turns the log off in locations whose routes do not log, or
// logs conditionally when routes sharing the location differ.
func (e *emitter) accessLog(rs []*ir.Route) ([]Directive, error) {
	lg := e.p.Logging
	if !lg.Enabled || lg.Sink == "http" {
		return nil, nil
	}
	on := 0
	for _, r := range rs {
		if r.AccessLog {
			on++
		}
	}
	switch on {
	case len(rs):
		return nil, nil
	case 0:
		return []Directive{D("access_log", Raw("off"))}, nil
	}
	vals := make([]string, len(rs))
	for i, r := range rs {
		if r.AccessLog {
			vals[i] = "1"
		}
	}
	v, err := e.perRoute(rs, vals)
	if err != nil {
		return nil, err
	}
	sink, err := sinkPath(lg)
	if err != nil {
		return nil, err
	}
	return []Directive{D("access_log", Lit(sink), Raw(logFormat), Raw("if="+v.Text()))}, nil
}
