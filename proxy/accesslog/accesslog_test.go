package accesslog

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rampart-policy/rampart/proxy/config"
)

var testKey = []byte("0123456789abcdef0123456789abcdef")

var allFields = []string{"identity", "time", "method", "route", "path", "query", "status", "clientIP",
	"latency", "userAgent", "requestID"}

// entry is a request carrying credentials in a header, a query parameter
// and a field.
func entry() Entry {
	return Entry{
		Time:      time.Date(2026, 3, 4, 5, 6, 7, 891_234_567, time.FixedZone("CET", 3600)),
		Method:    "GET",
		Route:     "records/read",
		Path:      "/patients/42",
		Query:     url.Values{"q": {"smith"}, "api_key": {"QUERY-SECRET"}},
		Status:    200,
		ClientIP:  "192.0.2.7",
		Latency:   1500 * time.Microsecond,
		UserAgent: "curl/8.0",
		RequestID: "req-1",
		Identity:  "alice",
		RequestHeaders: http.Header{
			"Authorization": {"Bearer HEADER-SECRET"},
			"Cookie":        {"session=COOKIE-SECRET"},
			"X-Unlisted":    {"UNLISTED-SECRET"},
		},
		Fields: map[string]string{"email": "alice@example.com", "tenant": "t1"},
	}
}

// logOne logs e through a logger built from cfg and returns the decoded
// line and its bytes.
func logOne(t *testing.T, cfg config.AccessLog, key []byte, e Entry) (map[string]any, []byte) {
	t.Helper()
	var buf bytes.Buffer
	l, err := New(&buf, cfg, key)
	if err != nil {
		t.Fatal(err)
	}
	l.Log(e)
	out := buf.Bytes()
	if n := bytes.Count(out, []byte("\n")); n != 1 || !bytes.HasSuffix(out, []byte("\n")) {
		t.Fatalf("want one line, got %d newlines: %q", n, out)
	}
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatalf("line is not JSON: %v: %s", err, out)
	}
	return m, out
}

func TestLogAllFields(t *testing.T) {
	cfg := config.AccessLog{Enabled: true, Fields: allFields, AuthFailures: true, Redact: []config.Redaction{
		{Kind: "header", Name: "authorization", Mode: "redact"},
		{Kind: "header", Name: "cookie", Mode: "hash"},
		{Kind: "query", Name: "api_key", Mode: "redact"},
		{Kind: "field", Name: "email", Mode: "hash"},
	}}
	e := entry()
	e.AuthFailure = "jwt: token expired"
	got, _ := logOne(t, cfg, testKey, e)
	rs, _ := newRules(cfg.Redact, testKey, true)
	want := map[string]any{
		"time":        "2026-03-04T04:06:07.891Z",
		"method":      "GET",
		"route":       "records/read",
		"path":        "/patients/42",
		"query":       map[string]any{"q": []any{"smith"}, "api_key": []any{"[redacted]"}},
		"status":      200.0,
		"clientIP":    "192.0.2.7",
		"latency":     0.0015,
		"userAgent":   "curl/8.0",
		"requestID":   "req-1",
		"identity":    "alice",
		"headers":     map[string]any{"authorization": []any{"[redacted]"}, "cookie": []any{rs.hash("session=COOKIE-SECRET")}},
		"authFailure": "jwt: token expired",
		"fields":      map[string]any{"email": rs.hash("alice@example.com"), "tenant": "t1"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("line (-want +got):\n%s", d)
	}
}

func TestLogOrder(t *testing.T) {
	cfg := config.AccessLog{Enabled: true, Fields: allFields}
	_, out := logOne(t, cfg, nil, entry())
	keys := []string{"time", "method", "route", "path", "query", "status", "clientIP", "latency", "userAgent",
		"requestID", "identity", "fields"}
	last := -1
	for _, k := range keys {
		i := bytes.Index(out, []byte(`"`+k+`":`))
		if i <= last {
			t.Fatalf("key %q out of order in %s", k, out)
		}
		last = i
	}
}

func TestLogFieldSelection(t *testing.T) {
	cfg := config.AccessLog{Enabled: true, Fields: []string{"status", "route"}}
	got, _ := logOne(t, cfg, nil, entry())
	want := map[string]any{"status": 200.0, "route": "records/read",
		"fields": map[string]any{"email": "alice@example.com", "tenant": "t1"}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("line (-want +got):\n%s", d)
	}
}

func TestLogDisabled(t *testing.T) {
	var buf bytes.Buffer
	cfg := config.AccessLog{Enabled: false, Fields: allFields,
		Redact: []config.Redaction{{Kind: "query", Name: "api_key", Mode: "hash"}}}
	l, err := New(&buf, cfg, nil) // no key needed: nothing is written
	if err != nil {
		t.Fatal(err)
	}
	l.Log(entry())
	var nilLogger *Logger
	nilLogger.Log(entry())
	if buf.Len() != 0 {
		t.Errorf("disabled logger wrote %q", buf.String())
	}
}

func TestLogAuthFailureOff(t *testing.T) {
	e := entry()
	e.AuthFailure = "apikey: unknown key"
	got, _ := logOne(t, config.AccessLog{Enabled: true, Fields: []string{"status"}}, nil, e)
	if _, ok := got["authFailure"]; ok {
		t.Errorf("authFailure logged with authFailures off: %v", got)
	}
}

func TestLogTime(t *testing.T) {
	cfg := config.AccessLog{Enabled: true, Fields: []string{"time"}}
	e := Entry{Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	got, _ := logOne(t, cfg, nil, e)
	if got["time"] != "2026-01-02T03:04:05.000Z" {
		t.Errorf("time = %v", got["time"])
	}
	before := time.Now().UTC().Truncate(time.Millisecond)
	got, _ = logOne(t, cfg, nil, Entry{})
	ts, err := time.Parse(time.RFC3339, got["time"].(string))
	if err != nil || ts.Before(before) {
		t.Errorf("zero time logged as %v (%v), want now", got["time"], err)
	}
}

func TestLogPathWithoutQuery(t *testing.T) {
	cfg := config.AccessLog{Enabled: true, Fields: []string{"path"}}
	got, out := logOne(t, cfg, nil, Entry{Path: "/reset?token=PATH-SECRET"})
	if got["path"] != "/reset" || bytes.Contains(out, []byte("PATH-SECRET")) {
		t.Errorf("path with a query logged as %s", out)
	}
}

func TestLogEmptyQuery(t *testing.T) {
	got, _ := logOne(t, config.AccessLog{Enabled: true, Fields: []string{"query"}}, nil, Entry{})
	if d := cmp.Diff(map[string]any{"query": map[string]any{}}, got); d != "" {
		t.Errorf("line (-want +got):\n%s", d)
	}
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  config.AccessLog
		key  []byte
		want string
	}{
		{"field", config.AccessLog{Enabled: true, Fields: []string{"body"}}, nil, `unknown field "body"`},
		{"kind", config.AccessLog{Enabled: true, Redact: []config.Redaction{{Kind: "cookie", Name: "a", Mode: "drop"}}}, nil, `unknown kind "cookie"`},
		{"mode", config.AccessLog{Enabled: true, Redact: []config.Redaction{{Kind: "header", Name: "a", Mode: "mask"}}}, nil, `unknown mode "mask"`},
		{"name", config.AccessLog{Enabled: true, Redact: []config.Redaction{{Kind: "query", Mode: "drop"}}}, nil, "without a name"},
		{"no key", config.AccessLog{Enabled: true, Redact: []config.Redaction{{Kind: "query", Name: "a", Mode: "hash"}}}, nil, "at least 16 bytes"},
		{"short key", config.AccessLog{Enabled: true, Redact: []config.Redaction{{Kind: "query", Name: "a", Mode: "hash"}}}, []byte("short"), "at least 16 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(&bytes.Buffer{}, tt.cfg, tt.key)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

// errWriter fails every write.
type errWriter struct{}

func (errWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestLogWriteFailure(t *testing.T) {
	l, err := New(errWriter{}, config.AccessLog{Enabled: true, Fields: allFields}, nil)
	if err != nil {
		t.Fatal(err)
	}
	l.Log(entry())
	l.Log(entry())
	if l.Failed() != 2 {
		t.Errorf("Failed = %d, want 2", l.Failed())
	}
}

// lockedBuffer records each Write call.
type lockedBuffer struct {
	mu     sync.Mutex
	writes [][]byte
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.writes = append(b.writes, append([]byte(nil), p...))
	return len(p), nil
}

func TestLogConcurrent(t *testing.T) {
	var w lockedBuffer
	cfg := config.AccessLog{Enabled: true, Fields: allFields,
		Redact: []config.Redaction{{Kind: "query", Name: "api_key", Mode: "hash"}}}
	l, err := New(&w, cfg, testKey)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 50 {
				l.Log(entry())
			}
		})
	}
	wg.Wait()
	if len(w.writes) != 400 {
		t.Fatalf("%d writes, want 400", len(w.writes))
	}
	for _, p := range w.writes {
		if bytes.Count(p, []byte("\n")) != 1 || !json.Valid(p) {
			t.Fatalf("write is not one JSON line: %q", p)
		}
	}
}

func BenchmarkLog(b *testing.B) {
	cfg := config.AccessLog{Enabled: true, Fields: allFields, AuthFailures: true, Redact: []config.Redaction{
		{Kind: "header", Name: "authorization", Mode: "redact"},
		{Kind: "header", Name: "cookie", Mode: "hash"},
		{Kind: "query", Name: "api_key", Mode: "redact"},
		{Kind: "field", Name: "email", Mode: "hash"},
	}}
	l, err := New(io.Discard, cfg, testKey)
	if err != nil {
		b.Fatal(err)
	}
	e := entry()
	b.ReportAllocs()
	for b.Loop() {
		l.Log(e)
	}
}
