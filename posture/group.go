package posture

import (
	"fmt"
	"strings"
)

// group is one line of text or Markdown output: a change, or the same
// change on several routes (a control inherited from defaults or a
// service), folded into one.
type group struct {
	Change
	// routes are the route IDs the line covers; scopes their
	// descriptions ("POST /login").
	routes, scopes []string
}

// groups folds changes that differ only in their route. JSON and SARIF
// keep one finding per route; people read the folded form.
func (r *Report) groups() []group {
	var out []group
	index := map[string]int{}
	for _, c := range r.Changes {
		key, ok := foldKey(c)
		if !ok {
			out = append(out, group{Change: c, routes: routeList(c.Route)})
			continue
		}
		if i, seen := index[key]; seen {
			out[i].routes = append(out[i].routes, c.Route)
			out[i].scopes = append(out[i].scopes, strings.TrimPrefix(c.scope, "on "))
			continue
		}
		index[key] = len(out)
		out = append(out, group{Change: c, routes: []string{c.Route}})
		out[len(out)-1].scopes = []string{strings.TrimPrefix(c.scope, "on ")}
	}
	for i := range out {
		if len(out[i].routes) > 1 {
			g := &out[i]
			g.Message = strings.Replace(g.Message, g.scope, fmt.Sprintf("on %d routes (%s)", len(g.routes), strings.Join(g.scopes, "; ")), 1)
		}
	}
	return out
}

// foldKey is what a route's change has in common with the same change on
// other routes; ok is false for changes that are not per route.
func foldKey(c Change) (string, bool) {
	if c.Route == "" || c.scope == "" || !strings.Contains(c.Message, c.scope) {
		return "", false
	}
	_, field, _ := strings.Cut(strings.TrimPrefix(c.Path, "services."), ".routes.")
	_, field, _ = strings.Cut(field, ".")
	return strings.Join([]string{string(c.Severity), c.Control, field, c.Expected, c.Actual, c.AcceptedBy,
		strings.Replace(c.Message, c.scope, "\x00", 1)}, "\x01"), true
}

func routeList(r string) []string {
	if r == "" {
		return nil
	}
	return []string{r}
}
