package envoy

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	accesslogv3 "github.com/envoyproxy/go-control-plane/envoy/config/accesslog/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	filev3 "github.com/envoyproxy/go-control-plane/envoy/extensions/access_loggers/file/v3"
	celv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/access_loggers/filters/cel/v3"
	streamv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/access_loggers/stream/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/rampart-policy/rampart/compiler/ir"
)

// accessLogSink names the logger Envoy writes the policy's sink with, or
// "" when Envoy has none (syslog, HTTP): then logging.access is missing
// from Capabilities and the build fails closed unless waived.
func accessLogSink(p *ir.Policy) string {
	switch p.Logging.Sink {
	case "file":
		return "envoy.access_loggers.file, json_format"
	case "stdout":
		return "envoy.access_loggers.stdout, json_format"
	}
	return ""
}

// redactionsOK reports whether Envoy can honour every redaction: it logs
// no header at all; neither the query nor the path's query string when a
// query key is redacted (Envoy cannot hide one key, so the query field is
// left out, as nginx does); the identity only as rampart's authorizer
// returns it, already redacted or hashed. Any other logged field that
// must be redacted it cannot hide.
func redactionsOK(p *ir.Policy) bool {
	for _, r := range p.Logging.Redact {
		if r.Kind == "field" && r.Name != "identity" && slices.Contains(p.Logging.Fields, r.Name) {
			return false
		}
	}
	return true
}

// logFields maps each log field to its Envoy command. The path never
// carries the query (that is the query field, left out when a query key
// is redacted); the identity comes from
// the authorizer's answer (dynamic metadata), never from a client header.
func logFields(p *ir.Policy) (map[string]string, error) {
	hideQuery := false
	for _, r := range p.Logging.Redact {
		hideQuery = hideQuery || r.Kind == "query"
	}
	// the path alone, as rampart's proxy logs it: :path carries the query
	// string, which is the query field's (and only when the policy logs it)
	path := "%REQ_WITHOUT_QUERY(:PATH)%"
	cmds := map[string]string{
		"time":      "%START_TIME%",
		"method":    "%REQ(:METHOD)%",
		"route":     "%ROUTE_NAME%",
		"path":      path,
		"query":     "%REQ(:PATH)%",
		"status":    "%RESPONSE_CODE%",
		"clientIP":  "%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%",
		"latency":   "%DURATION%",
		"userAgent": "%REQ(USER-AGENT)%",
		"requestID": "%REQ(X-REQUEST-ID)%",
		"identity":  "%DYNAMIC_METADATA(" + filterExtAuthz + ":" + logIdentityHeader + ")%",
	}
	out := map[string]string{}
	for _, f := range p.Logging.Fields {
		c, ok := cmds[f]
		if !ok {
			return nil, fmt.Errorf("log field %q: Envoy has no command for it", f)
		}
		if f == "query" && hideQuery {
			continue // Envoy cannot hide one key: no query at all
		}
		out[f] = c
	}
	out["responseFlags"] = "%RESPONSE_FLAGS%"
	return out, nil
}

// accessLogs is the connection manager's access log: JSON lines with the
// policy's fields to its file or stdout; none when logging is off or
// Envoy has no logger for the sink (Build has checked a waiver covers it).
func (e *emitter) accessLogs() ([]*accesslogv3.AccessLog, error) {
	if !e.p.Logging.Enabled || accessLogSink(e.p) == "" {
		return nil, nil
	}
	fields, err := logFields(e.p)
	if err != nil {
		return nil, err
	}
	vals := map[string]any{}
	for k, v := range fields {
		vals[k] = v
	}
	st, err := structpb.NewStruct(vals)
	if err != nil {
		return nil, err
	}
	format := &corev3.SubstitutionFormatString{Format: &corev3.SubstitutionFormatString_JsonFormat{JsonFormat: st}}
	var name string
	var cfg proto.Message
	switch e.p.Logging.Sink {
	case "file":
		name, cfg = "envoy.access_loggers.file", &filev3.FileAccessLog{Path: e.p.Logging.SinkTarget,
			AccessLogFormat: &filev3.FileAccessLog_LogFormat{LogFormat: format}}
	default:
		name, cfg = "envoy.access_loggers.stdout", &streamv3.StdoutAccessLog{
			AccessLogFormat: &streamv3.StdoutAccessLog_LogFormat{LogFormat: format}}
	}
	filter, err := e.unloggedRoutes()
	if err != nil {
		return nil, err
	}
	return []*accesslogv3.AccessLog{{Name: name, Filter: filter, ConfigType: &accesslogv3.AccessLog_TypedConfig{TypedConfig: e.pack(cfg)}}}, nil
}

// routeIDRE is what a route ID may be to appear in a CEL string literal.
var routeIDRE = regexp.MustCompile(`^[a-z][a-z0-9-]{0,62}/[a-z][a-z0-9-]{0,62}$`)

// unloggedRoutes is the access-log filter that leaves out the routes the
// policy does not log (accessLog false), by route name (the route and its
// "ID#…" variants); nil when every route is logged. Not every request has
// a route: the connection manager rejects some before routing (400 for
// escaped slashes or a malformed request, 431, 408), and then Envoy's
// xds.route_name is absent (expr/context.cc returns no value without a
// route), the comparison an error, and the CEL filter does not log on an
// error. Such requests are logged: the expression tests for the route
// name first (CEL's || is true when either side is, error or not).
func (e *emitter) unloggedRoutes() (*accesslogv3.AccessLogFilter, error) {
	var terms []string
	for _, s := range e.p.Services {
		for _, r := range s.Routes {
			if r.AccessLog {
				continue
			}
			if !routeIDRE.MatchString(r.ID) {
				return nil, fmt.Errorf("route ID %q cannot be named in a log filter", r.ID)
			}
			terms = append(terms, fmt.Sprintf("xds.route_name == %q || xds.route_name.startsWith(%q)", r.ID, r.ID+"#"))
		}
	}
	if len(terms) == 0 {
		return nil, nil
	}
	expr := "!has(xds.route_name) || !(" + strings.Join(terms, " || ") + ")"
	return &accesslogv3.AccessLogFilter{FilterSpecifier: &accesslogv3.AccessLogFilter_ExtensionFilter{
		ExtensionFilter: &accesslogv3.ExtensionFilter{Name: "envoy.access_loggers.extension_filters.cel",
			ConfigType: &accesslogv3.ExtensionFilter_TypedConfig{TypedConfig: e.pack(&celv3.ExpressionFilter{Expression: expr})}}}}, nil
}
