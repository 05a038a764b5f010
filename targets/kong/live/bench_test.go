package live

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/rampart-policy/rampart/internal/drifttest"
)

// BenchmarkDriftKong5000 times drift over a 5,000-route policy's Kong
// configuration as GET /config answers it: parsing and normalising the
// live side and the typed diff (Want.Compare). Building the policy's side
// (the kong target's Build, once per comparison) is timed once in setup
// and logged.
func BenchmarkDriftKong5000(b *testing.B) {
	p := drifttest.Policy(b, 5000, "kong")
	start := time.Now()
	w, err := Expected(context.Background(), p)
	if err != nil {
		b.Fatal(err)
	}
	build := time.Since(start)
	f := record(b, deck(b, p))
	answer := configAnswer(b, f)
	entities := entitiesJSON(b, f)
	b.Logf("kong: %d routes in the policy, %d Kong routes, /config answer %d bytes, entity endpoints %d bytes; building the policy's side took %s",
		5000, len(w.want.routes), len(answer), len(entities), build)
	for _, in := range []struct {
		name string
		data []byte
	}{{"dbless-config-yaml", answer}, {"dbmode-entities-json", entities}} {
		b.Run(in.name, func(b *testing.B) {
			b.SetBytes(int64(len(in.data)))
			for range b.N {
				r, err := w.Compare(in.data)
				if err != nil || r.Drifted() {
					b.Fatalf("err %v, drifted %v", err, r.Drifted())
				}
			}
		})
	}
}

// entitiesJSON is what Fetch assembles from the entity endpoints in DB
// mode: one JSON document, foreign keys as {"id": …}.
func entitiesJSON(b testing.TB, f flat) []byte {
	doc := map[string]any{"_format_version": "3.0"}
	for uri, body := range pages(b, f, 1000) {
		name := strings.TrimPrefix(strings.SplitN(uri, "?", 2)[0], "/")
		if name == "config" {
			continue
		}
		var pg struct{ Data []json.RawMessage }
		if err := json.Unmarshal(body, &pg); err != nil {
			b.Fatal(err)
		}
		rows, _ := doc[name].([]json.RawMessage)
		doc[name] = append(rows, pg.Data...)
	}
	data, err := json.Marshal(doc)
	if err != nil {
		b.Fatal(err)
	}
	return data
}
