package live

import (
	"reflect"
	"slices"
	"strings"
	"unsafe"

	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/drift"
)

// This file holds the comparer's fast paths: most fields of most routes
// are equal on both sides, and an equal field is recorded as a passed
// check without building its members' text, its path or its message.
// Each fast path answers "equal" only where the full comparison finds
// nothing; anything else goes to the full comparison.

// nameCache holds check names and paths a configuration repeats on
// every route, built once per comparer.
type nameCache struct {
	plugins map[string]pluginText
	// headers maps a "Name:value" header to its lower-cased name.
	headers map[string]string
	joined  map[[2]string]string
	scratch []string
}

// pluginText is the check names and path of a plugin instance, by its
// key in a route's effective plugins.
type pluginText struct{ what, enabled, path string }

// plugin returns the names and path of the instance keyed name.
func (n *nameCache) plugin(name string) pluginText {
	if t, ok := n.plugins[name]; ok {
		return t
	}
	if n.plugins == nil {
		n.plugins = map[string]pluginText{}
	}
	t := pluginText{what: "plugin " + name, enabled: "plugin " + name + " enabled", path: ".plugins[" + name + "]"}
	n.plugins[name] = t
	return t
}

// join returns a + " " + b.
func (n *nameCache) join(a, b string) string {
	k := [2]string{a, b}
	if s, ok := n.joined[k]; ok {
		return s
	}
	if n.joined == nil {
		n.joined = map[[2]string]string{}
	}
	s := a + " " + b
	n.joined[k] = s
	return s
}

// headerNames returns the sorted distinct lower-cased names of a list
// of "Name:value" strings, as headerMap's keys; valid until the next
// call.
func (n *nameCache) headerNames(list []any) []string {
	if n.headers == nil {
		n.headers = map[string]string{}
	}
	out := n.scratch[:0]
	for _, x := range list {
		h := x.(string)
		name, ok := n.headers[h]
		if !ok {
			k, _, _ := strings.Cut(h, ":")
			name = strings.ToLower(strings.TrimSpace(k))
			n.headers[h] = name
		}
		out = append(out, name)
	}
	slices.Sort(out)
	out = slices.Compact(out)
	n.scratch = out
	return out
}

// value compares two texts as drift.Diff.Value does, completing at's
// path with suffix only when they differ.
func (c *comparer) value(at drift.At, suffix pathSuffix, name, want, got string, rule drift.Rule) {
	if want == got {
		c.d.Add(at, name)
		return
	}
	c.d.Value(withSuffix(at, suffix), name, want, got, rule)
}

// scalar compares two scalars as text.
func (c *comparer) scalar(at drift.At, suffix pathSuffix, name string, want, got any, rule drift.Rule) {
	if sameScalar(want, got) {
		c.d.Add(at, name)
		return
	}
	c.value(at, suffix, name, text(want), text(got), rule)
}

// list compares two lists of scalars as sets.
func (c *comparer) list(at drift.At, suffix pathSuffix, name string, want, got any, rule drift.Rule) {
	if sameList(want, got) {
		c.d.Add(at, name)
		return
	}
	c.set(at, suffix, name, strs(want), strs(got), rule)
}

// sameScalar reports two strings, bools or numbers that are equal (so
// their texts are), or two nulls.
func sameScalar(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case string:
		y, ok := b.(string)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case float64:
		y, ok := b.(float64)
		return ok && x == y
	}
	return false
}

// sameList reports two lists (or non-lists, read as empty) holding the
// same strings in the same order, so that strs reads them alike.
func sameList(a, b any) bool {
	xs, _ := a.([]any)
	ys, _ := b.([]any)
	if len(xs) != len(ys) {
		return false
	}
	for i, x := range xs {
		s, ok := x.(string)
		t, ok2 := ys[i].(string)
		if !ok || !ok2 || s != t {
			return false
		}
	}
	return true
}

// sameMapping reports two mappings (or non-mappings, read as empty) with
// the same keys and sameScalar values, so that pairs reads them alike.
func sameMapping(a, b any) bool {
	x, _ := a.(map[string]any)
	y, _ := b.(map[string]any)
	if len(x) != len(y) {
		return false
	}
	for k, v := range x {
		u, ok := y[k]
		if !ok || !sameScalar(v, u) {
			return false
		}
	}
	return true
}

// sameHeaders records headers' checks when both sides list the same
// headers in the same order (every header then has one value on both
// sides) and reports whether it did.
func (c *comparer) sameHeaders(at drift.At, name string, w, g any) bool {
	wm, _ := w.(map[string]any)
	gm, _ := g.(map[string]any)
	if !sameList(wm["headers"], gm["headers"]) {
		return false
	}
	list, _ := wm["headers"].([]any)
	for _, h := range c.names.headerNames(list) {
		hat := at
		if h == "strict-transport-security" {
			hat.Control = ir.CtlHSTS
		}
		c.d.Add(hat, c.names.join(name, h))
	}
	return true
}

// pairKey names a comparison of two plugin instances' fields: what
// pluginFields reads of its arguments but the route. Configs are named
// by identity: the builder gives the instances that repeat a config one
// shared, never changed, map (builder.pluginConfig).
type pairKey struct {
	w, g          unsafe.Pointer
	name, control string
	what          string
	plain         bool
}

// pairFields compares the fields of two plugin instances as
// pluginFields does, once for each pair of configs: when every field of
// a pair passed, the same checks are recorded again, on at's route, for
// the pair's next instances. A pair with a finding is compared in full
// each time.
func (c *comparer) pairFields(at drift.At, pt pluginText, plain bool, w, g plugin) {
	k := pairKey{w: reflect.ValueOf(w.Config).UnsafePointer(), g: reflect.ValueOf(g.Config).UnsafePointer(),
		name: w.Name, control: at.Control, what: pt.what, plain: plain}
	if checks, ok := c.pairs[k]; ok {
		for _, ch := range checks {
			c.d.Add(drift.At{Control: ch.Control, Route: at.Route, Listener: at.Listener}, ch.Name)
		}
		return
	}
	d := c.d
	c.d = drift.NewDiff("kong")
	c.pluginFields(at, pt, plain, w, g)
	part := c.d
	c.d = d
	c.d.Append(part)
	if r := part.Result(); len(r.Findings) == 0 {
		if c.pairs == nil {
			c.pairs = map[pairKey][]drift.Check{}
		}
		c.pairs[k] = r.Checks
	}
}
