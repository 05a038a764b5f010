package live

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	adminv3 "github.com/envoyproxy/go-control-plane/envoy/admin/v3"

	"github.com/rampart-policy/rampart/drift"
)

// replay serves a dump at /config_dump as Envoy's admin does (query
// strings such as include_eds are accepted and ignored).
func replay(t *testing.T, dump []byte) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/config_dump" || r.Method != http.MethodGet {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(dump)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func run(t *testing.T, src string) drift.Result {
	t.Helper()
	data, err := New().Fetch(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	r, err := testWant(t).Compare(data)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestUntouched: the recorded dump, over HTTP with and without a query,
// and as a file, shows no drift.
func TestUntouched(t *testing.T) {
	dump := recorded(t)
	srv := replay(t, dump)
	path := filepath.Join(t.TempDir(), "dump.json")
	os.WriteFile(path, dump, 0o644)
	for _, src := range []string{srv.URL, srv.URL + "/config_dump", srv.URL + "/config_dump?include_eds", path} {
		r := run(t, src)
		if r.Drifted() {
			var b bytes.Buffer
			drift.WriteText(&b, []drift.Result{r}, false)
			t.Fatalf("%s: drift on an untouched dump:\n%s", src, b.String())
		}
		if len(r.Checks) < 500 {
			t.Fatalf("%s: only %d checks", src, len(r.Checks))
		}
	}
}

// TestBootstrapOnly: a dump with only the bootstrap (no listeners dump)
// is read from the bootstrap's static resources.
func TestBootstrapOnly(t *testing.T) {
	cd := decodeDump(t, recorded(t))
	cd.Configs = cd.Configs[:1]
	if r := run(t, replay(t, dumpJSON(t, cd)).URL); r.Drifted() {
		t.Fatalf("drift: %+v", r.Findings[0])
	}
}

// TestFailsClosed: what cannot be read is an error, not "no drift".
func TestFailsClosed(t *testing.T) {
	for name, data := range map[string]string{
		"not json":     "{",
		"unknown type": `{"configs":[{"@type":"type.googleapis.com/example.Unknown"}]}`,
		"no listeners": `{"configs":[]}`,
	} {
		if _, err := testWant(t).Compare([]byte(data)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// checkFindings requires at least one finding, each matching w.
func checkFindings(t *testing.T, r drift.Result, w want) {
	t.Helper()
	if len(r.Findings) == 0 {
		t.Fatal("tamper not found")
	}
	named := map[string]bool{}
	for _, f := range r.Findings {
		route := f.Route == w.route
		if w.routes != nil {
			route = slices.Contains(w.routes, f.Route)
		}
		if f.Control != w.control || !route || f.Direction != w.dir || f.Severity != drift.Weakening ||
			(w.listener != "" && f.Listener != w.listener) {
			b, _ := json.MarshalIndent(r.Findings, "", " ")
			t.Fatalf("want every finding %+v, got:\n%s", w, b)
		}
		named[f.Route] = true
	}
	for _, id := range w.routes {
		if !named[id] {
			t.Errorf("no finding names route %q, which inherits the tampered config", id)
		}
	}
}

// want is what a tamper must produce: every finding with this control,
// direction and route (one of routes, when set: a tamper on a virtual
// host drifts each route that inherits from it, and each must be named).
type want struct {
	control, route, listener string
	dir                      drift.Direction
	routes                   []string
}

// TestTampers: each tamper of the issue, made to the recorded dump's
// listeners, is found with the right control, route, direction and
// severity, and nothing else is.
func TestTampers(t *testing.T) {
	dump := recorded(t)
	for _, tc := range tampers {
		t.Run(tc.name, func(t *testing.T) {
			cd := decodeDump(t, dump)
			w := tc.do(t, cd)
			checkFindings(t, run(t, replay(t, dumpJSON(t, cd)).URL), w)
		})
	}
}

// tamper changes a dump and says what drift must find.
type tamper struct {
	name string
	do   func(t *testing.T, cd *adminv3.ConfigDump) want
}

// routeID is the policy route of an Envoy route name.
func routeID(name string) string {
	id, _, _ := strings.Cut(name, "#")
	return id
}
