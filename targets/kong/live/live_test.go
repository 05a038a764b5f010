package live

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/drift"
	"github.com/rampart-policy/rampart/internal/drifttest"
	"github.com/rampart-policy/rampart/targets/kong"
)

// testRoutes is the size of the generated policy the tests use: five
// services, one of each kind internal/gen writes, trimmed to perService
// routes each.
const testRoutes, perService = 81, 5

var (
	policyOnce sync.Once
	policy     *ir.Policy
)

// testPolicy compiles the generated policy once per test binary.
func testPolicy(t testing.TB) *ir.Policy {
	t.Helper()
	policyOnce.Do(func() { policy = drifttest.Trim(drifttest.Policy(t, testRoutes, "kong"), perService) })
	if policy == nil {
		t.Fatal("the generated policy did not compile")
	}
	return policy
}

// deck builds the policy's kong.yaml.
func deck(t testing.TB, p *ir.Policy) []byte {
	t.Helper()
	arts, err := kong.New().Build(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range arts {
		if a.Path == kong.DeckFile {
			return a.Data
		}
	}
	t.Fatal("no kong.yaml")
	return nil
}

// recorded reads a recorded Admin API answer; with RAMPART_UPDATE=1 it
// records it first from the current build.
func recorded(t *testing.T) (dbless []byte, dbmode map[string]json.RawMessage) {
	t.Helper()
	lessPath, modePath := filepath.Join("testdata", "dbless-config.json.gz"), filepath.Join("testdata", "dbmode-pages.json.gz")
	if os.Getenv("RAMPART_UPDATE") == "1" {
		f := record(t, deck(t, testPolicy(t)))
		drifttest.WriteGzip(t, lessPath, configAnswer(t, f))
		drifttest.WriteGzip(t, modePath, indentJSON(t, pages(t, f, 25)))
	}
	dbless = drifttest.ReadGzip(t, lessPath)
	if err := json.Unmarshal(drifttest.ReadGzip(t, modePath), &dbmode); err != nil {
		t.Fatal(err)
	}
	return dbless, dbmode
}

// replay serves recorded Admin API answers by request URI: GET /config
// answers 200 in DB-less mode (dbless non-nil), 400 in DB mode.
func replay(t *testing.T, dbless []byte, dbmode map[string]json.RawMessage) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		if r.Method != http.MethodGet {
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		if r.URL.RequestURI() == "/config" && dbless != nil {
			w.Write(dbless)
			return
		}
		body, ok := dbmode[r.URL.RequestURI()]
		switch {
		case !ok:
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"message":"Not found"}`))
		case r.URL.Path == "/config":
			w.WriteHeader(http.StatusBadRequest)
			w.Write(body)
		default:
			w.Write(body)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// run fetches src and compares it with the policy.
func run(t *testing.T, src string) drift.Result {
	t.Helper()
	r, err := drift.Run(context.Background(), New(), testPolicy(t), src)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func noDrift(t *testing.T, r drift.Result) {
	t.Helper()
	if r.Drifted() {
		var b bytes.Buffer
		drift.WriteText(&b, []drift.Result{r}, false)
		t.Fatalf("drift on an untouched configuration:\n%s", b.String())
	}
	if len(r.Checks) < 1000 {
		t.Fatalf("only %d checks", len(r.Checks))
	}
}

// TestRecordedIsCurrent checks the recorded answers match what the
// current kong.yaml records to (RAMPART_UPDATE=1 refreshes them).
func TestRecordedIsCurrent(t *testing.T) {
	dbless, dbmode := recorded(t)
	f := record(t, deck(t, testPolicy(t)))
	var want, got any
	json.Unmarshal(configAnswer(t, f), &want)
	json.Unmarshal(dbless, &got)
	wj, _ := json.Marshal(want)
	gj, _ := json.Marshal(got)
	if !bytes.Equal(wj, gj) {
		t.Fatal("testdata/dbless-config.json.gz is stale: RAMPART_UPDATE=1 go test ./targets/kong/live/")
	}
	pj, _ := json.Marshal(pages(t, f, 25))
	mj, _ := json.Marshal(dbmode)
	if !bytes.Equal(pj, mj) {
		t.Fatal("testdata/dbmode-pages.json.gz is stale: RAMPART_UPDATE=1 go test ./targets/kong/live/")
	}
}

// TestUntouched: the recorded answers of an untouched deployment, in
// DB-less and DB mode, and the decK file itself, show no drift.
func TestUntouched(t *testing.T) {
	dbless, dbmode := recorded(t)
	t.Run("dbless", func(t *testing.T) { noDrift(t, run(t, replay(t, dbless, nil).URL)) })
	t.Run("dbmode", func(t *testing.T) { noDrift(t, run(t, replay(t, nil, dbmode).URL)) })
	t.Run("deck-file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "kong.yaml")
		os.WriteFile(path, deck(t, testPolicy(t)), 0o644)
		noDrift(t, run(t, path))
	})
}

// doc is a decoded flat configuration being tampered with.
type doc map[string]any

// liveDoc decodes the recorded /config answer's text.
func liveDoc(t *testing.T, answer []byte) doc {
	t.Helper()
	var ans struct{ Config string }
	if err := json.Unmarshal(answer, &ans); err != nil {
		t.Fatal(err)
	}
	var m any
	if err := yaml.Unmarshal([]byte(ans.Config), &m); err != nil {
		t.Fatal(err)
	}
	return doc(norm(m).(map[string]any))
}

// answer encodes d as GET /config's answer.
func (d doc) answer(t *testing.T) []byte {
	t.Helper()
	text, err := yaml.Marshal(map[string]any(d))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(map[string]string{"config": string(text)})
	return b
}

// pluginOn returns the first plugin named name, its route and the
// route's policy ID.
func (d doc) pluginOn(t *testing.T, name string, where func(cfg map[string]any) bool) (plugin, route map[string]any, id string) {
	t.Helper()
	routes := map[string]map[string]any{}
	for _, r := range list(d["routes"]) {
		routes[str(r, "id")] = r
	}
	for _, p := range list(d["plugins"]) {
		cfg, _ := p["config"].(map[string]any)
		if str(p, "name") != name || (where != nil && !where(cfg)) {
			continue
		}
		r := routes[str(p, "route")]
		for _, tag := range strs(r["tags"]) {
			if s, ok := strings.CutPrefix(tag, "rampart-route:"); ok {
				return p, r, strings.Replace(s, ".", "/", 1)
			}
		}
	}
	t.Fatalf("no route has plugin %s", name)
	return nil, nil, ""
}

// emptyPolicy is a policy with nothing in it, for the fuzz target.
var emptyPolicy = &ir.Policy{}
