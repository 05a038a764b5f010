package live

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/rampart-policy/rampart/drift"
)

// fullCompare compares data with w the long way: a decoder that knows
// nothing of the policy's texts, every route table reduced and compared
// (the policy's side without its recorded comparisons).
func fullCompare(t *testing.T, w *Want, data []byte) drift.Result {
	t.Helper()
	got, err := parseLive(data, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, lv := range got.listeners {
		if lv.self != nil {
			t.Fatalf("listener %s: the long way took a shortcut", lv.name)
		}
		for _, vv := range lv.vhosts {
			for _, rv := range vv.routes {
				if rv.self != nil {
					t.Fatalf("listener %s: the long way took a route's shortcut", lv.name)
				}
			}
		}
	}
	plain := *w.want
	plain.listeners = map[string]*lview{}
	for name, lv := range w.want.listeners {
		cp := *lv
		cp.self, cp.vhosts = nil, nil
		for _, vv := range lv.vhosts {
			vc := *vv
			vc.routes, vc.byName = nil, map[string]*rview{}
			for _, rv := range vv.routes {
				rc := *rv
				rc.self = nil
				vc.routes = append(vc.routes, &rc)
				vc.byName[rv.route.GetName()] = &rc
			}
			cp.vhosts = append(cp.vhosts, &vc)
		}
		plain.listeners[name] = &cp
	}
	c := newComparer(w.p)
	c.compare(&plain, got)
	checkMarker(c.d, w.p, got.node)
	return c.d.Result()
}

// shared counts the live listeners whose route table is the policy's own
// message (so their comparison is the recorded one).
func shared(t *testing.T, w *Want, data []byte) int {
	t.Helper()
	got, err := parseLive(data, w.dec, w.policy)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for name, lv := range got.listeners {
		if wl := w.want.listeners[name]; wl != nil && lv.rc == wl.rc && lv.self != nil {
			n++
		}
	}
	return n
}

// TestShortcutsChangeNothing: Want.Compare (the live decoder forked from
// the policy's, route tables found by text taken with their recorded
// comparison) gives exactly the result of the long way — every check and
// finding, in order — on the untouched dump, the dump without white
// space, the dump with JSON field names (which the policy's texts do not
// match), and every tamper (a tamper outside the route tables leaves
// them shared); on the untouched dump every listener takes the shortcut,
// with JSON field names none does, and with one route changed only that
// route is reduced and compared again.
func TestShortcutsChangeNothing(t *testing.T) {
	w := testWant(t)
	dump := recorded(t)
	var compact bytes.Buffer
	if err := json.Compact(&compact, dump); err != nil {
		t.Fatal(err)
	}
	camel, err := protojson.Marshal(decodeDump(t, dump))
	if err != nil {
		t.Fatal(err)
	}
	check := func(t *testing.T, data []byte) {
		t.Helper()
		got, err := w.Compare(data)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(fullCompare(t, w, data), got); d != "" {
			t.Fatalf("Compare differs from the long way (-long +Compare):\n%s", d)
		}
	}
	n := len(w.want.listeners)
	for name, data := range map[string][]byte{"untouched": dump, "compact": compact.Bytes()} {
		t.Run(name, func(t *testing.T) {
			check(t, data)
			if s := shared(t, w, data); s != n {
				t.Errorf("%d of %d listeners took the shortcut", s, n)
			}
		})
	}
	t.Run("JSON field names", func(t *testing.T) {
		check(t, camel)
		if s := shared(t, w, camel); s != 0 {
			t.Errorf("%d listeners took the shortcut with texts the policy does not have", s)
		}
	})
	t.Run("one route changed", func(t *testing.T) {
		at := bytes.Index(dump, []byte("envoy.admin.v3.ListenersConfigDump"))
		data := []byte(string(dump[:at]) + strings.Replace(string(dump[at:]), `"timeout": "30s"`, `"timeout": "31s"`, 1))
		check(t, data)
		got, err := parseLive(data, w.dec, w.policy)
		if err != nil {
			t.Fatal(err)
		}
		tables, reduced, routes := 0, 0, 0
		for _, lv := range got.listeners {
			if lv.self != nil {
				tables++
				continue
			}
			for _, vv := range lv.vhosts {
				for _, rv := range vv.routes {
					routes++
					if rv.self == nil {
						reduced++
					}
				}
			}
		}
		if tables != n-1 || reduced != 1 || routes < 2 {
			t.Errorf("%d of %d route tables shared, %d of %d routes of the other reduced again; want all tables but one, one route",
				tables, n, reduced, routes)
		}
	})
	t.Run("header removed on the route configuration", func(t *testing.T) {
		cd := decodeDump(t, dump)
		onFirst(t, cd, func(_ *listenerv3.Listener, hcm *hcmv3.HttpConnectionManager) bool {
			rc := hcm.GetRouteConfig()
			rc.ResponseHeadersToRemove = append(rc.ResponseHeadersToRemove, "strict-transport-security")
			return true
		})
		data := dumpJSON(t, cd)
		check(t, data)
		if r, err := w.Compare(data); err != nil || !r.Drifted() {
			t.Fatalf("HSTS removed for a whole listener not found (err %v)", err)
		}
	})
	for _, tc := range tampers {
		t.Run(tc.name, func(t *testing.T) {
			cd := decodeDump(t, dump)
			tc.do(t, cd)
			data := dumpJSON(t, cd)
			check(t, data)
		})
	}
}
