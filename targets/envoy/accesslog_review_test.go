package envoy_test

import (
	"testing"

	filev3 "github.com/envoyproxy/go-control-plane/envoy/extensions/access_loggers/file/v3"

	"github.com/rampart-policy/rampart/targets/internal/golden"
)

// TestLogPathWithoutQuery: the "path" field is the path alone, as
// rampart's proxy logs it (proxy/accesslog: the query is cut off, and is
// its own field). Envoy's %REQ(:PATH)% carries the query string, which
// would write query parameters to a log whose policy does not ask for
// the query field at all.
func TestLogPathWithoutQuery(t *testing.T) {
	p := golden.ReadIR(t, "testdata/mtls.ir.yaml") // fields: clientIP, method, path, status; no redaction
	logs := collect[*filev3.FileAccessLog](t, parseAll(t, p)[0])
	if len(logs) == 0 {
		t.Fatal("no file access log")
	}
	for _, l := range logs {
		f := l.GetLogFormat().GetJsonFormat().GetFields()
		if got := f["path"].GetStringValue(); got != "%REQ_WITHOUT_QUERY(:PATH)%" {
			t.Errorf("path is logged as %q, want %%REQ_WITHOUT_QUERY(:PATH)%%", got)
		}
		if _, ok := f["query"]; ok {
			t.Error("query logged though the policy does not ask for it")
		}
	}
}
