package accesslog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/rampart-policy/rampart/proxy/config"
)

// Entry is one request as the proxy saw it. Nothing in it is written
// until the config's field selection and redactions have been applied.
type Entry struct {
	// Time is when the request arrived; zero means now.
	Time time.Time
	// Method is the request method.
	Method string
	// Route is the ID of the route that matched, if any.
	Route string
	// Path is the URL path without the query; anything from a "?" on is
	// cut, so a query can only reach the log through Query.
	Path string
	// Query are the request's query parameters.
	Query url.Values
	// Status is the response status code.
	Status int
	// ClientIP is the client's address.
	ClientIP string
	// Latency is the time from arrival to the end of the response.
	Latency time.Duration
	// UserAgent is the User-Agent header.
	UserAgent string
	// RequestID is the request's ID.
	RequestID string
	// Identity is the authenticated principal's subject, if any.
	Identity string
	// RequestHeaders are the request's headers. Only headers a redaction
	// in mode redact or hash names are written, hidden.
	RequestHeaders http.Header
	// AuthFailure is why authentication failed: a reason, never the
	// credential. It is written only if the config logs auth failures.
	AuthFailure string
	// Fields are further values (claims, for example), written under
	// "fields" after field redactions.
	Fields map[string]string
}

// field is one selectable field of a line.
type field uint16

const (
	fieldIdentity field = 1 << iota
	fieldTime
	fieldMethod
	fieldRoute
	fieldPath
	fieldQuery
	fieldStatus
	fieldClientIP
	fieldLatency
	fieldUserAgent
	fieldRequestID
)

var fieldNames = map[string]field{
	"identity": fieldIdentity, "time": fieldTime, "method": fieldMethod, "route": fieldRoute,
	"path": fieldPath, "query": fieldQuery, "status": fieldStatus, "clientIP": fieldClientIP,
	"latency": fieldLatency, "userAgent": fieldUserAgent, "requestID": fieldRequestID,
}

// timeFormat is RFC 3339 with milliseconds; times are written in UTC.
const timeFormat = "2006-01-02T15:04:05.000Z07:00"

// Logger writes access log lines. It is safe for concurrent use; each
// line reaches the writer in one Write call.
type Logger struct {
	h            slog.Handler // nil when the log is off
	fields       field
	rules        *rules
	authFailures bool
	failed       atomic.Uint64
}

// New returns a logger writing JSON lines to w. hashKey keys the "hash"
// redaction mode and must be at least 16 bytes if any redaction uses it.
// Unknown fields, kinds or modes are errors. With cfg.Enabled false the
// logger writes nothing.
func New(w io.Writer, cfg config.AccessLog, hashKey []byte) (*Logger, error) {
	if w == nil && cfg.Enabled {
		return nil, errors.New("access log: no writer")
	}
	var fs field
	for _, name := range cfg.Fields {
		f, ok := fieldNames[name]
		if !ok {
			return nil, fmt.Errorf("access log: unknown field %q", name)
		}
		fs |= f
	}
	rs, err := newRules(cfg.Redact, hashKey, cfg.Enabled)
	if err != nil {
		return nil, err
	}
	l := &Logger{fields: fs, rules: rs, authFailures: cfg.AuthFailures}
	if cfg.Enabled {
		l.h = slog.NewJSONHandler(w, &slog.HandlerOptions{ReplaceAttr: dropBuiltins})
	}
	return l, nil
}

// dropBuiltins removes slog's level and message: a line holds only the
// entry. (Records carry no time, so slog writes none of its own.)
func dropBuiltins(groups []string, a slog.Attr) slog.Attr {
	if len(groups) == 0 && (a.Key == slog.LevelKey || a.Key == slog.MessageKey) {
		return slog.Attr{}
	}
	return a
}

// Field returns v as the log records field name (drop, redact or hash
// applied), and false when the field is dropped. A gateway that logs for
// itself (nginx behind rampart's authorizer) gets the same redaction.
func (l *Logger) Field(name, v string) (string, bool) {
	if l == nil || l.rules == nil {
		return v, true
	}
	return l.rules.fieldValue(name, v)
}

// Failed reports how many lines could not be written.
func (l *Logger) Failed() uint64 { return l.failed.Load() }

// Log writes e as one JSON line. A nil or disabled logger does nothing.
func (l *Logger) Log(e Entry) {
	if l == nil || l.h == nil {
		return
	}
	r := slog.NewRecord(time.Time{}, slog.LevelInfo, "", 0)
	var buf [16]slog.Attr
	r.AddAttrs(l.attrs(buf[:0], &e)...)
	if err := l.h.Handle(context.Background(), r); err != nil {
		l.failed.Add(1)
	}
}

// attrs appends e's selected fields, redacted, in a fixed order.
func (l *Logger) attrs(as []slog.Attr, e *Entry) []slog.Attr {
	if l.fields&fieldTime != 0 {
		t := e.Time
		if t.IsZero() {
			t = time.Now()
		}
		as = append(as, slog.String("time", t.UTC().Format(timeFormat)))
	}
	path, _, _ := strings.Cut(e.Path, "?")
	as = l.text(as, fieldMethod, "method", e.Method)
	as = l.text(as, fieldRoute, "route", e.Route)
	as = l.text(as, fieldPath, "path", path)
	if l.fields&fieldQuery != 0 {
		as = append(as, slog.Any("query", l.rules.queryValues(e.Query)))
	}
	if l.fields&fieldStatus != 0 {
		as = append(as, slog.Int("status", e.Status))
	}
	as = l.text(as, fieldClientIP, "clientIP", e.ClientIP)
	if l.fields&fieldLatency != 0 {
		as = append(as, slog.Float64("latency", e.Latency.Seconds()))
	}
	as = l.text(as, fieldUserAgent, "userAgent", e.UserAgent)
	as = l.text(as, fieldRequestID, "requestID", e.RequestID)
	as = l.text(as, fieldIdentity, "identity", e.Identity)
	if hs := l.rules.headerValues(e.RequestHeaders); len(hs) > 0 {
		as = append(as, slog.Any("headers", hs))
	}
	if l.authFailures && e.AuthFailure != "" {
		as = append(as, slog.String("authFailure", e.AuthFailure))
	}
	if len(e.Fields) > 0 {
		if fs := l.rules.fieldValues(e.Fields); len(fs) > 0 {
			as = append(as, slog.Any("fields", fs))
		}
	}
	return as
}

// text appends a selected string field after its field redaction.
func (l *Logger) text(as []slog.Attr, f field, name, v string) []slog.Attr {
	if l.fields&f == 0 {
		return as
	}
	if v, keep := l.rules.fieldValue(name, v); keep {
		as = append(as, slog.String(name, v))
	}
	return as
}
